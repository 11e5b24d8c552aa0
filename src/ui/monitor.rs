//! Monitor: incidents as they open and resolve, timestamped and coloured by
//! severity (with the word beside), newest at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{text, theme};
use crate::app::{App, Entry};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let open = app.monitor.open_incidents().count();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme::dim())
        .title(Span::styled(
            format!(" Monitor · {open} open "),
            theme::title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = usize::from(inner.height);
    let width = usize::from(inner.width);
    let lines: Vec<Line> = if app.monitor_lines.is_empty() {
        vec![Line::styled("watching: no incidents", theme::dim())]
    } else {
        // Newest at the bottom: wrap from the newest back until the pane is full.
        let mut lines = Vec::new();
        for entry in app.monitor_lines.iter().rev() {
            let mut wrapped = entry_lines(entry, width);
            wrapped.extend(lines);
            lines = wrapped;
            if lines.len() >= rows {
                break;
            }
        }
        let skip = lines.len().saturating_sub(rows);
        lines.split_off(skip)
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `T+3.2s CRIT tikv1: process died (exit code 137)`, wrapped under its text.
pub fn entry_lines(entry: &Entry, width: usize) -> Vec<Line<'static>> {
    let (word, style) = theme::level(entry.level);
    let stamp = format!("{:>7} ", text::stamp(entry.at, entry.after_fault));
    let indent = stamp.len() + word.len() + 1;
    let room = width.saturating_sub(indent).max(10);
    text::wrap(&text::plain(&entry.text), room)
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let head = if i == 0 {
                vec![
                    Span::styled(stamp.clone(), theme::dim()),
                    Span::styled(format!("{word} "), style),
                ]
            } else {
                vec![Span::raw(" ".repeat(indent))]
            };
            let mut spans = head;
            spans.push(Span::styled(part, style));
            Line::from(spans)
        })
        .collect()
}
