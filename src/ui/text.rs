//! Small pure helpers for laying out text.

use std::time::Duration;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Greedy word wrap by display width (a CJK character takes two columns).
/// Newlines in `text` end paragraphs; words wider than `width` are cut so
/// nothing runs past the edge.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for word in paragraph.split_whitespace() {
            let mut word = word;
            // A word wider than the line is cut into whole lines first.
            while word.width() > width {
                if used > 0 {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                }
                let cut = cut_at(word, width);
                lines.push(word[..cut].to_string());
                word = &word[cut..];
            }
            let word_width = word.width();
            if used > 0 && used + 1 + word_width > width {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            if used > 0 {
                line.push(' ');
                used += 1;
            }
            line.push_str(word);
            used += word_width;
        }
        lines.push(line);
    }
    lines
}

/// The byte index where `text` stops fitting in `width` columns.
fn cut_at(text: &str, width: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > width {
            return i.max(c.len_utf8().min(text.len()));
        }
    }
    text.len()
}

/// Cuts `text` to `width` columns, marking the cut with `…`.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let cut = cut_at(text, width.saturating_sub(1));
    let mut out = text[..cut].to_string();
    out.push('…');
    out
}

/// `4,987`; `?` for a value that is not a finite, non-negative number
/// (the parsers never let one through; the screen still never shows a
/// wrapped or saturated figure).
pub fn thousands(value: f64) -> String {
    if !value.is_finite() || value < 0.0 {
        return "?".to_string();
    }
    // `+ 0.0` turns -0.0 into 0.0, which would print as "-0".
    let digits = format!("{:.0}", value.round() + 0.0);
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
        // Wide characters take two columns each.
        assert_eq!(wrap("東京大阪京都", 4), ["東京", "大阪", "京都"]);
        assert_eq!(ellipsize("東京大阪", 5), "東京…");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(4987.4), "4,987");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(12.0), "12");
        assert_eq!(thousands(1e20), "100,000,000,000,000,000,000");
        assert_eq!(thousands(f64::NAN), "?");
        assert_eq!(thousands(-3.0), "?");
        assert_eq!(thousands(-0.0), "0");
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

/// Text made safe to draw, owned for a span: the one cleaner,
/// [`crate::text::clean_line`], applied again where text is drawn, since
/// drawn lines are also built from pieces.
pub fn plain(text: &str) -> String {
    crate::text::clean_line(text).into_owned()
}

#[cfg(test)]
mod plain_tests {
    #[test]
    fn control_and_bidi_characters_are_never_drawn() {
        assert_eq!(super::plain("a\u{1b}[31mb\r\u{202e}"), "a␛[31mb␍\u{fffd}");
    }
}
