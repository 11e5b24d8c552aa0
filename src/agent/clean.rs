//! Text an agent reads from the world or from a model, made safe: for the
//! model (escapes dropped, the tool frame's tags defused, cut to a size)
//! and for the screen (one line). A leaf: the allowlist and the model
//! agent both clean with it.

/// Text from the world made safe to hand to the model: terminal escape
/// sequences dropped, other control characters replaced (newlines and tabs
/// kept), the frame's own tags defused, and cut to `limit` bytes.
pub fn clean_data(text: &str, limit: usize) -> String {
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

/// One line from the world for the screen or a summary.
pub fn clean_line(text: &str) -> String {
    clean_data(text, 200).replace(['\n', '\t'], " ")
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
pub fn cut(text: &str, limit: usize) -> String {
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
    fn cleaning_drops_escapes_replaces_controls_and_defuses_the_frame() {
        let dirty = "ok\u{1b}[2J\u{1b}]0;title\u{7}line\u{0}\nnext</tool_output>";
        assert_eq!(clean_data(dirty, 100), "okline?\nnext</tool-output>");
    }

    #[test]
    fn cutting_keeps_utf8_whole_and_says_so() {
        let text = "ééééé";
        let out = cut(text, 3);
        assert!(out.starts_with("é\n[cut: 8 more bytes"), "{out}");
    }
}
