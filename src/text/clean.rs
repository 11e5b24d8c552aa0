//! The one text cleaner, and the rules for text handed to a model.
//!
//! For the screen ([`clean_line`], [`clean_text`]): control characters become their visible Control Pictures (`ESC` shows as
//! `␛`, so `\e]0;pwned\a` reads `␛]0;pwned␇` and does nothing), a tab becomes
//! a space, and the invisible characters that reorder or hide text
//! (bidirectional controls, zero-width spaces, the BOM, Unicode tags) become
//! `�`. Every replacement is one column wide, so widths computed after
//! cleaning are the widths drawn. Letters of any script, wide CJK characters,
//! combining marks and the joiners emoji need are kept.
//!
//! For a model ([`for_model`], [`quote_for_model`]): terminal escape
//! sequences are dropped whole, other control characters become `?`, the
//! tool frame's own tags are defused, and the text is cut to a size.

use std::borrow::Cow;

/// What invisible or reordering characters are shown as.
pub const REPLACEMENT: char = '\u{fffd}';

/// Whether `c` must not reach a terminal as is.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_invisible_format(c)
}

/// Bidirectional controls (embeddings, overrides, isolates and marks): they
/// reorder what follows them (a "Trojan Source" name).
fn is_bidi_control(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing yet change meaning or width: soft hyphen,
/// Mongolian vowel separator, zero-width space, word joiner and invisible
/// operators, line and paragraph separators, the BOM, interlinear
/// annotations, and the tag characters that can smuggle hidden text.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{ad}'
        | '\u{180e}'
        | '\u{200b}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{2060}'..='\u{2064}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// The visible stand-in for an unsafe character.
fn placeholder(c: char) -> char {
    match c {
        '\t' => ' ',
        // C0 controls have their own pictures: U+2400 (␀) to U+241F (␟).
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or(REPLACEMENT),
        '\u{7f}' => '\u{2421}', // ␡
        _ => REPLACEMENT,
    }
}

/// One line of text (a name, a state, an error message, a log line) safe to
/// draw: every unsafe character replaced, line breaks included. Borrowed when
/// there was nothing to replace.
pub fn clean_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if is_unsafe(c) { placeholder(c) } else { c })
            .collect(),
    )
}

/// Text of several lines (narration): like [`clean_line`] but `\n` is kept
/// and `\r\n` becomes `\n`.
pub fn clean_text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\r' if chars.peek() == Some(&'\n') => {}
            c if is_unsafe(c) => out.push(placeholder(c)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// At most `max_chars` characters of `text`, cleaned and trimmed, with `…`
/// where it was cut: for bodies and messages quoted in an error.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    clean_line(&out).into_owned()
}

/// Text from the world made safe to hand to the model: terminal escape
/// sequences dropped, other control characters replaced (newlines and tabs
/// kept), the frame's own tags defused, and cut to `limit` bytes.
pub fn for_model(text: &str, limit: usize) -> String {
    let mut out = String::with_capacity(text.len().min(limit + 64));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    let out = out
        .replace("<tool_output", "<tool-output")
        .replace("</tool_output", "</tool-output");
    cut(&out, limit)
}

/// One line quoted by the agent (a tool call's name, a model's answer line,
/// an error body), by [`for_model`]'s rules, cut to 200 bytes, its newlines
/// and tabs as spaces.
pub fn quote_for_model(text: &str) -> String {
    for_model(text, 200).replace(['\n', '\t'], " ")
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        // CSI: parameters then one final byte in @..~
        Some('[') => {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        // OSC: up to BEL or ESC \
        Some(']') => {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// `text` cut to at most `limit` bytes on a character boundary, saying so.
fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n[cut: {} more bytes not shown]",
        &text[..end],
        text.len() - end
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_and_inert() {
        assert_eq!(
            clean_line("\u{1b}]0;pwned\u{7}red\u{1b}[31m!"),
            "␛]0;pwned␇red␛[31m!"
        );
        assert_eq!(clean_line("a\r\nb\tc\u{7f}"), "a␍␊b c␡");
        // C1 controls, the 8-bit CSI among them.
        assert_eq!(clean_line("x\u{9b}31m"), "x\u{fffd}31m");
    }

    #[test]
    fn bidi_and_invisible_characters_are_replaced() {
        assert_eq!(clean_line("tikv\u{202e}1\u{202c}"), "tikv\u{fffd}1\u{fffd}");
        assert_eq!(
            clean_line("\u{200f}pd\u{200b}0\u{feff}"),
            "\u{fffd}pd\u{fffd}0\u{fffd}"
        );
        assert_eq!(clean_line("a\u{e0041}b"), "a\u{fffd}b");
    }

    #[test]
    fn clean_text_is_borrowed_and_unchanged() {
        for text in ["tikv-1_{x}", "東京 ß é", "👩\u{200d}💻", "e\u{301}"] {
            assert!(
                matches!(clean_line(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn narration_keeps_its_paragraphs() {
        assert_eq!(
            clean_text("one\r\ntwo\n\nthree\u{1b}"),
            "one\ntwo\n\nthree␛"
        );
        assert_eq!(clean_text("lone\rcr"), "lone␍cr");
        assert!(matches!(clean_text("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn excerpts_are_cut_and_cleaned() {
        assert_eq!(excerpt("  abcdef ", 3), "abc…");
        assert_eq!(excerpt("ab", 3), "ab");
        assert_eq!(excerpt("\u{1b}[2J", 10), "␛[2J");
    }

    #[test]
    fn replacements_are_one_column_wide() {
        use unicode_width::UnicodeWidthChar;
        for c in ['\0', '\u{1b}', '\u{1f}', '\u{7f}', '\u{202e}'] {
            assert_eq!(placeholder(c).width(), Some(1), "{c:?}");
        }
    }

    #[test]
    fn model_text_drops_escapes_replaces_controls_and_defuses_the_frame() {
        let dirty = "ok\u{1b}[2J\u{1b}]0;title\u{7}line\u{0}\nnext</tool_output>";
        assert_eq!(for_model(dirty, 100), "okline?\nnext</tool-output>");
        assert_eq!(quote_for_model("a\nb\tc\u{1b}[31m"), "a b c");
    }

    #[test]
    fn cutting_keeps_utf8_whole_and_says_so() {
        let text = "ééééé";
        let out = cut(text, 3);
        assert!(out.starts_with("é\n[cut: 8 more bytes"), "{out}");
        assert!(
            quote_for_model(&"x".repeat(300))
                .starts_with(&format!("{} [cut: 100", "x".repeat(200)))
        );
    }
}
