//! Header: product, cluster source, mode, chapter progress, time since fault.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{text, theme};
use crate::app::App;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let sep = || Span::styled(" │ ", theme::dim());
    let mut spans = vec![
        Span::styled(" chaosdeck", theme::title()),
        sep(),
        Span::styled(text::plain(&app.source.to_string()), theme::bold()),
        sep(),
        Span::raw(app.mode.label()),
    ];
    if let Some(kiosk) = &app.kiosk {
        let up = kiosk.uptime(app.now).as_secs();
        spans.push(Span::raw(format!(
            " pass {} · up {}h{:02}m",
            app.pass,
            up / 3600,
            up / 60 % 60
        )));
        if !kiosk.autoplay() {
            spans.push(Span::styled(
                " · presenter has control",
                Style::new().fg(theme::WARN).add_modifier(Modifier::BOLD),
            ));
        }
    }
    spans.extend([
        sep(),
        Span::styled(
            format!("[{}/{}]", app.chapter + 1, app.chapter_count()),
            theme::bold(),
        ),
        Span::raw(" "),
        Span::raw(text::plain(&app.current_chapter().title)),
    ]);
    if let Some(since) = app.timeline.since_fault(app.now) {
        spans.push(sep());
        spans.push(Span::styled(
            format!("since fault {:.1}s", since.as_secs_f64()),
            Style::new().fg(theme::BAD).add_modifier(Modifier::BOLD),
        ));
    }
    if app.hold.is_some() {
        spans.push(sep());
        spans.push(Span::styled(
            "HOLD",
            Style::new().fg(theme::BAD).add_modifier(Modifier::BOLD),
        ));
    }
    if app.paused {
        spans.push(sep());
        spans.push(Span::styled(
            "PAUSED",
            Style::new().fg(theme::WARN).add_modifier(Modifier::BOLD),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
