//! The help overlay on `?`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme;
use crate::app::keys::KEY_HELP;

pub fn render(frame: &mut Frame, area: Rect) {
    let height = KEY_HELP.len() as u16 + 4;
    let [area] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [area] = Layout::horizontal([Constraint::Length(70)])
        .flex(Flex::Center)
        .areas(area);
    let mut lines: Vec<Line> = KEY_HELP
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<22}"), theme::bold().fg(theme::ACCENT)),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(" any key closes this help", theme::dim()));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::new()
                .borders(Borders::ALL)
                .title(Span::styled(" Keys ", theme::title())),
        ),
        area,
    );
}
