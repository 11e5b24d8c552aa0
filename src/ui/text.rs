//! Small pure helpers for laying out text, and the screen's words for times
//! and numbers, which are [`crate::text`]'s.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub use crate::text::{
    age, hours_minutes, latency, ops_per_sec, rates, secs, stamp, tenths, thousands,
};

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
    fn ellipsis_marks_the_cut() {
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
