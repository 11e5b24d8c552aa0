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
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(title.to_string(), theme.title()))
}

/// `row` on one line of `width` columns: whole, or its first line with a
/// `…` after the last whole piece.
pub fn one_line(row: &Row, width: usize) -> Vec<Piece> {
    let laid = view::lay(row, width);
    let mut first = laid.into_iter().next().unwrap_or_default();
    let whole = row.width() <= width;
    if !whole {
        // Make room for the mark at a piece boundary.
        while first.iter().map(|p| p.text.width()).sum::<usize>() + 2 > width {
            match first.pop() {
                Some(last) if first.is_empty() => {
                    first.push(Piece::new(
                        last.tone,
                        text::ellipsize(&last.text, width.saturating_sub(2)),
                    ));
                    break;
                }
                Some(_) => {}
                None => break,
            }
        }
        first.push(Piece::new(Tone::Warn, " …"));
    }
    first
}
