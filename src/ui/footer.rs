//! Footer: the keys, and the answer to a key that could not act.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::app::App;

const KEYS: &[(&str, &str)] = &[
    ("SPACE", "next"),
    ("←", "back"),
    ("ESC", "abort"),
    ("r", "reset"),
    ("p", "pause"),
    ("?", "help"),
    ("q", "quit"),
];

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in KEYS {
        spans.push(Span::styled(*key, theme::bold().fg(theme::ACCENT)));
        spans.push(Span::styled(format!(" {what}  "), theme::dim()));
    }
    if let Some(hint) = &app.hint {
        spans.push(Span::styled(
            format!("» {}", super::text::plain(hint)),
            Style::new().fg(theme::WARN),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
