//! Timeline strip: fault injected, then detected, diagnosed and recovered,
//! each with its time after the fault; what has not happened yet is dim.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{text, theme};
use crate::app::App;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let mut strip = line(app, true);
    if strip.width() > usize::from(area.width) {
        // Narrow screens: leave out which signal detected it.
        strip = line(app, false);
    }
    frame.render_widget(Paragraph::new(strip), area);
}

fn line(app: &App, with_signal: bool) -> Line<'static> {
    let t = &app.timeline;
    let Some(fault) = &t.injected else {
        return Line::styled(" timeline: no fault injected yet", theme::dim());
    };
    let step = |word: &str, at: Option<Duration>, extra: &str, colour| -> Vec<Span<'static>> {
        match at {
            Some(after) => vec![Span::styled(
                format!("✓ {word} +{:.1}s{extra}", after.as_secs_f64()),
                Style::new().fg(colour),
            )],
            None => vec![Span::styled(format!("○ {word}"), theme::dim())],
        }
    };
    let arrow = || Span::styled(" ─ ", theme::dim());
    let mut spans = vec![Span::styled(
        format!(
            " ✗ {} {}",
            fault.kind.name().to_uppercase(),
            text::plain(&fault.service)
        ),
        Style::new().fg(theme::BAD),
    )];
    spans.push(arrow());
    let by = t
        .detected
        .filter(|_| with_signal)
        .map(|(_, signal)| format!(" by {}", signal.describe()))
        .unwrap_or_default();
    spans.extend(step("detected", t.detected.map(|d| d.0), &by, theme::WARN));
    spans.push(arrow());
    spans.extend(step("diagnosed", t.diagnosed, "", theme::ACCENT));
    spans.push(arrow());
    spans.extend(step("recovered", t.recovered, "", theme::GOOD));
    Line::from(spans)
}
