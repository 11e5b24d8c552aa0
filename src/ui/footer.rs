//! Footer: the keys from the one key table, and the answer to a key that
//! could not act (first, since it answers the presenter). Keys that do not
//! fit are left out with a mark pointing at the help.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

use super::paint;
use super::theme::Theme;
use super::view::{Piece, Row, Screen, Tone};

pub fn render(screen: &Screen, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
    let mut lead = vec![Piece::new(Tone::Plain, " ")];
    if let Some(hint) = &screen.hint {
        lead.push(Piece::new(Tone::Warn, format!("» {hint}  ")));
    }
    let keys: Vec<Vec<Piece>> = screen
        .footer
        .iter()
        .map(|(key, what)| {
            vec![
                Piece::new(Tone::Accent, *key),
                Piece::new(Tone::Label, format!(" {what}  ")),
            ]
        })
        .collect();
    let mut count = keys.len();
    let build = |count: usize| {
        let mut pieces = lead.clone();
        pieces.extend(keys.iter().take(count).flatten().cloned());
        if count < keys.len() {
            pieces.push(Piece::new(Tone::Warn, "… ? all keys"));
        }
        Row::new(pieces)
    };
    while count > 0 && build(count).width() > width {
        count -= 1;
    }
    let row = build(count);
    let pieces = if row.width() <= width {
        row.pieces
    } else {
        paint::one_line(&row, width)
    };
    frame.render_widget(Paragraph::new(paint::line(&pieces, theme)), area);
}
