//! Header: product, cluster source, mode, chapter, time since the fault;
//! what does not fit is left out, least needed first, never cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::paint;
use super::theme::Theme;
use super::view::{Piece, Row, Screen, Tone};

pub fn render(screen: &Screen, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
    let mut shown: Vec<&(Piece, u8)> = screen.header.iter().collect();
    let row = |shown: &[&(Piece, u8)]| {
        let mut pieces = vec![Piece::new(Tone::Plain, " ")];
        for (i, (piece, _)) in shown.iter().enumerate() {
            if i > 0 {
                pieces.push(Piece::new(Tone::Label, " │ "));
            }
            pieces.push(piece.clone());
        }
        Row::new(pieces)
    };
    while row(&shown).width() > width {
        let Some(most) = shown.iter().map(|(_, rank)| *rank).max().filter(|r| *r > 0) else {
            break;
        };
        let at = shown
            .iter()
            .rposition(|(_, rank)| *rank == most)
            .expect("a piece");
        shown.remove(at);
    }
    let row = row(&shown);
    let pieces = if row.width() <= width {
        row.pieces
    } else {
        paint::one_line(&row, width)
    };
    debug_assert!(pieces.iter().map(|p| p.text.width()).sum::<usize>() <= width);
    frame.render_widget(Paragraph::new(paint::line(&pieces, theme)), area);
}
