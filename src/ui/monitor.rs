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
        .title(Span::styled(format!(" Monitor · {open} open "), theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = usize::from(inner.height);
    let width = usize::from(inner.width);
    let lines: Vec<Line> = if app.monitor_lines.is_empty() {
        vec![Line::styled("watching: no incidents", theme::dim())]
    } else {
        let skip = app.monitor_lines.len().saturating_sub(rows);
        app.monitor_lines.iter().skip(skip).map(|e| line(e, width)).collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `T+3.2s CRIT tikv1: process died (exit code 137)`
pub fn line(entry: &Entry, width: usize) -> Line<'static> {
    let (word, style) = theme::level(entry.level);
    let stamp = format!("{:>7} ", text::stamp(entry.at, entry.after_fault));
    let room = width.saturating_sub(stamp.len() + word.len() + 1);
    Line::from(vec![
        Span::styled(stamp, theme::dim()),
        Span::styled(format!("{word} "), style),
        Span::styled(text::ellipsize(&text::plain(&entry.text), room), style),
    ])
}
