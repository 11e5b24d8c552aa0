//! Small pure helpers for laying out text.

use std::time::Duration;

/// Greedy word wrap. Newlines in `text` end paragraphs; words longer than
/// `width` are cut so nothing runs past the edge.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in paragraph.split_whitespace() {
            let mut word = word;
            let mut word_len = word.chars().count();
            // A word longer than the line is cut into whole lines first.
            while word_len > width {
                if len > 0 {
                    lines.push(std::mem::take(&mut line));
                    len = 0;
                }
                let cut = word
                    .char_indices()
                    .nth(width)
                    .map_or(word.len(), |(i, _)| i);
                lines.push(word[..cut].to_string());
                word = &word[cut..];
                word_len -= width;
            }
            if len > 0 && len + 1 + word_len > width {
                lines.push(std::mem::take(&mut line));
                len = 0;
            }
            if len > 0 {
                line.push(' ');
                len += 1;
            }
            line.push_str(word);
            len += word_len;
        }
        lines.push(line);
    }
    lines
}

/// Cuts `text` to `width` characters, marking the cut with `…`.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `4,987`
pub fn thousands(value: f64) -> String {
    let n = value.max(0.0).round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `3s`, `24s`, `2m05s`
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// `12.3ms`
pub fn latency(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// `T+12.3s` after the fault, or `mm:ss` of show time before it.
pub fn stamp(at: Duration, after_fault: Option<Duration>) -> String {
    match after_fault {
        Some(after) => format!("T+{:.1}s", after.as_secs_f64()),
        None => {
            let s = at.as_secs();
            format!("{:02}:{:02}", s / 60, s % 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_and_paragraphs() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("a\n\nb", 10), ["a", "", "b"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        for line in wrap("the quick brown fox jumps over the lazy dog", 9) {
            assert!(line.chars().count() <= 9, "{line}");
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(4987.4), "4,987");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(12.0), "12");
        assert_eq!(age(Duration::from_secs(125)), "2m05s");
        assert_eq!(latency(Duration::from_micros(12_300)), "12ms");
        assert_eq!(latency(Duration::from_micros(2_340)), "2.3ms");
        assert_eq!(stamp(Duration::from_secs(75), None), "01:15");
        assert_eq!(
            stamp(Duration::from_secs(75), Some(Duration::from_millis(12_340))),
            "T+12.3s"
        );
        assert_eq!(ellipsize("abcdef", 4), "abc…");
    }
}

/// Text from the outside world, made safe to draw: control characters (an
/// escape sequence in a log line, a stray carriage return) become `�`.
pub fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod plain_tests {
    #[test]
    fn control_characters_are_never_drawn() {
        assert_eq!(super::plain("a\u{1b}[31mb\r"), "a\u{fffd}[31mb\u{fffd}");
    }
}
