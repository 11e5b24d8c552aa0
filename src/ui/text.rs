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
            // At least one character, so a cut always makes progress.
            return if i == 0 { c.len_utf8() } else { i };
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

/// Names cut to `width` columns each so that different names stay
/// different: a name that fits is kept, one that does not is cut around
/// the part that sets it apart from the others (`127.0.0.1:20161` in 7
/// columns is `…:20161`, not `127.0.…` like its neighbours).
pub fn distinct_short_names(names: &[&str], width: usize) -> Vec<String> {
    let width = width.max(3);
    let chars: Vec<Vec<char>> = names.iter().map(|n| n.chars().collect()).collect();
    let long: Vec<&Vec<char>> = chars.iter().filter(|c| c.width_sum() > width).collect();
    // What the long names share at each end does not tell them apart.
    let common_prefix = shared_len(&long, |c, i| c.get(i).copied());
    let common_suffix = shared_len(&long, |c, i| c.len().checked_sub(i + 1).map(|j| c[j]));
    chars
        .iter()
        .map(|name| {
            if name.width_sum() <= width || long.len() < 2 {
                return ellipsize(&name.iter().collect::<String>(), width);
            }
            // End the window where the distinguishing part ends.
            let end = name
                .len()
                .saturating_sub(common_suffix)
                .max(common_prefix + 1)
                .min(name.len());
            let tail_mark = usize::from(end < name.len());
            let room = width - 1 - tail_mark;
            let mut start = end;
            let mut used = 0;
            while start > 0 {
                let w = name[start - 1].width().unwrap_or(0);
                if used + w > room {
                    break;
                }
                used += w;
                start -= 1;
            }
            let mut out = String::new();
            if start > 0 {
                out.push('…');
            }
            out.extend(&name[start..end]);
            if tail_mark == 1 {
                out.push('…');
            }
            ellipsize(&out, width)
        })
        .collect()
}

/// How many positions (from `at(name, 0)` on) every name agrees on.
fn shared_len(names: &[&Vec<char>], at: impl Fn(&[char], usize) -> Option<char>) -> usize {
    let Some(first) = names.first() else {
        return 0;
    };
    (0..)
        .take_while(|&i| {
            let c = at(first, i);
            c.is_some() && names.iter().all(|n| at(n, i) == c)
        })
        .count()
}

trait WidthSum {
    fn width_sum(&self) -> usize;
}

impl WidthSum for Vec<char> {
    fn width_sum(&self) -> usize {
        self.iter().map(|c| c.width().unwrap_or(0)).sum()
    }
}

/// `text` padded with spaces to `width` columns (by display width, so a
/// wide character counts twice); longer text is left as is.
pub fn pad(text: &str, width: usize) -> String {
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(text.width())));
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

/// `3s`, `24s`, `2m05s`, `59m`, `1h05m`, `23h`, `41d`: at most five columns, so a
/// heartbeat years old (a stale PD sample) fits its column too.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    let (hours, days) = (s / 3600, s / 86_400);
    if s < 60 {
        format!("{s}s")
    } else if s < 600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if hours < 10 {
        format!("{hours}h{:02}m", (s % 3600) / 60)
    } else if hours < 48 {
        format!("{hours}h")
    } else if days < 10_000 {
        format!("{days}d")
    } else {
        // Ten thousand days: older than any cluster.
        ">27y".to_string()
    }
}

/// `12.3ms`, `340ms`, `2.1s`: never a four-digit figure without its comma.
pub fn latency(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else if ms < 999.5 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Rates in text from elsewhere (the monitor's and the analyzer's words)
/// in the screen's one number format: `5080 ops/s` becomes `5,080 ops/s`.
pub fn rates(text: &str) -> std::borrow::Cow<'_, str> {
    static RATE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\b(\d{4,})( ops/s)").expect("a valid pattern")
    });
    RATE.replace_all(text, |caps: &regex::Captures| {
        let n: f64 = caps[1].parse().unwrap_or(f64::NAN);
        format!("{}{}", thousands(n), &caps[2])
    })
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
        // A cut never falls inside a character, whatever its length.
        assert_eq!(wrap("tZ?𐠼𐠼", 4), ["tZ?𐠼", "𐠼"]);
        assert_eq!(wrap("東東東", 1), ["東", "東", "東"]);
    }

    #[test]
    fn short_names_stay_distinct() {
        let ports = ["127.0.0.1:20160", "127.0.0.1:20161", "127.0.0.1:20162"];
        assert_eq!(
            distinct_short_names(&ports, 7),
            ["…:20160", "…:20161", "…:20162"]
        );
        let operator = [
            "basic-tikv-5gzwgj.basic-tikv-peer.default",
            "basic-tikv-06vg39.basic-tikv-peer.default",
            "basic-tikv-4q2bgw.basic-tikv-peer.default",
        ];
        let short = distinct_short_names(&operator, 7);
        assert_eq!(short, ["…gzwgj…", "…6vg39…", "…q2bgw…"]);
        assert_eq!(
            distinct_short_names(&["tikv0", "tikv1"], 7),
            ["tikv0", "tikv1"]
        );
        assert_eq!(
            distinct_short_names(&["tikv0", "a-very-long-name"], 7),
            ["tikv0", "a-very…"]
        );
        for name in distinct_short_names(&["東京東京東京1", "東京東京東京2"], 7) {
            assert!(name.width() <= 7, "{name}");
        }
    }

    #[test]
    fn padding_counts_columns_not_characters() {
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("東京", 5), "東京 ");
        assert_eq!(pad("abcdef", 4), "abcdef");
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
        assert_eq!(age(Duration::from_secs(3_900)), "1h05m");
        assert_eq!(age(Duration::from_secs(23 * 3600)), "23h");
        assert_eq!(age(Duration::from_secs(41 * 86_400)), "41d");
        assert_eq!(age(Duration::from_secs(257_985_940)), "2985d");
        assert_eq!(age(Duration::MAX), ">27y");
        assert_eq!(age(Duration::from_secs(3_599)), "59m");
        for secs in [0, 59, 599, 3_599, 35_999, 172_799, 863_913_599, u64::MAX] {
            assert!(
                age(Duration::from_secs(secs)).chars().count() <= 5,
                "{secs}"
            );
        }
        assert_eq!(latency(Duration::from_micros(12_300)), "12ms");
        assert_eq!(latency(Duration::from_micros(2_340)), "2.3ms");
        assert_eq!(latency(Duration::from_millis(2_065)), "2.1s");
        assert_eq!(latency(Duration::from_micros(999_400)), "999ms");
        assert_eq!(
            rates("16% of baseline 5080 ops/s, 800 ops/s, port 20160"),
            "16% of baseline 5,080 ops/s, 800 ops/s, port 20160"
        );
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
