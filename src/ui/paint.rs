//! From the view model's toned pieces to ratatui's styled lines, and the
//! blocks every panel shares.

use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use unicode_width::UnicodeWidthStr;

use super::text;
use super::theme::Theme;
use super::view::{self, Piece, Row, Tone};

pub fn line(pieces: &[Piece], theme: &Theme) -> Line<'static> {
    Line::from(
        pieces
            .iter()
            .map(|p| Span::styled(p.text.clone(), theme.style(p.tone)))
            .collect::<Vec<_>>(),
    )
}

pub fn lines(fitted: &view::Fitted, theme: &Theme) -> Vec<Line<'static>> {
    fitted.lines.iter().map(|l| line(l, theme)).collect()
}

pub fn block(title: &str, theme: &Theme) -> Block<'static> {
    titled(
        Line::from(Span::styled(title.to_string(), theme.title())),
        theme,
    )
}

/// A block whose title carries figures in their tones.
pub fn block_with(title: &str, pieces: &[Piece], theme: &Theme) -> Block<'static> {
    let mut spans = vec![Span::styled(title.to_string(), theme.title())];
    spans.extend(line(pieces, theme).spans);
    spans.push(Span::raw(" "));
    titled(Line::from(spans), theme)
}

fn titled(title: Line<'static>, theme: &Theme) -> Block<'static> {
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(title)
}

/// `row` on one line of `width` columns: whole, or its first line with a
/// `…` after the last whole piece.
pub fn one_line(row: &Row, width: usize) -> Vec<Piece> {
    let first = view::lay(row, width).into_iter().next().unwrap_or_default();
    if row.width() <= width {
        first
    } else {
        marked(first, width)
    }
}

/// `line` ended with ` …` (something follows that is not shown), within
/// `width` columns: whole pieces are dropped to make room, and only a lone
/// piece is cut.
pub fn marked(mut line: Vec<Piece>, width: usize) -> Vec<Piece> {
    while line.iter().map(|p| p.text.width()).sum::<usize>() + 2 > width {
        match line.pop() {
            Some(last) if line.iter().all(|p| p.text.trim().is_empty()) => {
                // Whole words only, so no figure is cut.
                let room = width.saturating_sub(2);
                let mut kept = last.text.trim_end();
                while kept.width() > room {
                    match kept.rsplit_once(' ') {
                        Some((head, _)) => kept = head.trim_end(),
                        None => break,
                    }
                }
                line.push(Piece::new(last.tone, text::ellipsize(kept, room)));
                break;
            }
            Some(_) => {}
            None => break,
        }
    }
    line.push(Piece::new(Tone::Warn, " …"));
    line
}
