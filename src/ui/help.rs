//! The help overlay on `?`, from the one key table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::paint;
use super::theme::Theme;
use super::view::Tone;
use crate::app::keys;

pub fn render(theme: &Theme, frame: &mut Frame, area: Rect) {
    let height = keys::KEYS.len() as u16 + 4;
    let [area] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [area] = Layout::horizontal([Constraint::Length(72.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let mut lines: Vec<Line> = keys::help_rows()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<22}"), theme.style(Tone::Accent)),
                Span::styled(what, theme.style(Tone::Plain)),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " any key closes this help",
        theme.style(Tone::Label),
    ));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(paint::block(" Keys ", theme)),
        area,
    );
}
