//! Agent: the diagnosis as it is produced, with a spinner and the elapsed
//! time while the analyzer works.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{text, theme};
use crate::agent::Diagnosis;
use crate::app::{AgentState, App};

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme::dim())
        .title(Span::styled(
            format!(" Agent · {} ", text::plain(&app.agent.analyzer)),
            theme::title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let rows = usize::from(inner.height);
    if rows == 0 {
        return;
    }
    let lines: Vec<Line> = match &app.agent.state {
        AgentState::Idle => text::wrap(
            "idle: asked for a diagnosis once a fault is detected",
            width,
        )
        .into_iter()
        .map(|l| Line::styled(l, theme::dim()))
        .collect(),
        AgentState::Working { started, .. } => {
            let elapsed = app.now.saturating_sub(*started);
            let frame_index = (app.now.as_millis() / 150) as usize % SPINNER.len();
            let mut lines = vec![Line::styled(
                format!(
                    "{} analysing… {:.1}s",
                    SPINNER[frame_index],
                    elapsed.as_secs_f64()
                ),
                Style::new().fg(theme::ACCENT),
            )];
            // Newest at the bottom, each stamped like the monitor's lines.
            let produced: Vec<Line> = app
                .agent
                .lines
                .iter()
                .flat_map(|entry| super::monitor::entry_lines(entry, width))
                .collect();
            let skip = produced.len().saturating_sub(rows - 1);
            lines.extend(produced.into_iter().skip(skip));
            lines
        }
        AgentState::Done { diagnosis, .. } => {
            // Wrap only what fits: the diagnosis can be long.
            let items = pane_lines(diagnosis);
            let mut lines: Vec<Line> = Vec::new();
            let mut complete = 0;
            for (style, item) in &items {
                if lines.len() > rows {
                    break;
                }
                let parts = text::wrap(&text::plain(item), width);
                lines.extend(parts.into_iter().map(|part| Line::styled(part, *style)));
                complete += 1;
            }
            if lines.len() > rows || complete < items.len() {
                lines.truncate(rows - 1);
                // Items cut short count as not shown.
                let hidden = items.len() + 1 - complete.min(items.len());
                lines.push(Line::styled(
                    format!("… {} more lines in the log", hidden.min(items.len())),
                    theme::dim(),
                ));
            }
            lines
        }
        AgentState::Failed(why) => text::wrap(&format!("✗ FAILED {}", text::plain(why)), width)
            .into_iter()
            .map(|l| Line::styled(l, Style::new().fg(theme::BAD)))
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The diagnosis in the order an audience needs it: the cause, the action,
/// what else was weighed, the impact, the risks, then the timeline.
fn pane_lines(diagnosis: &Diagnosis) -> Vec<(Style, String)> {
    let cause = &diagnosis.root_cause;
    let on = cause
        .service
        .as_deref()
        .map(|s| format!(" on {s}"))
        .unwrap_or_default();
    let confidence = (cause.confidence.clamp(0.0, 1.0) * 100.0).round();
    let mut lines = vec![(
        theme::bold().fg(theme::GOOD),
        format!(
            "✓ Root cause: {}{on} ({confidence:.0}% confident)",
            cause.class,
        ),
    )];
    lines.push(match &diagnosis.action {
        Some(action) => (
            theme::bold().fg(theme::ACCENT),
            format!("Action: {} {}", action.recovery, action.service),
        ),
        None => (
            Style::new().fg(theme::WARN),
            "Action: none suggested (not enough evidence)".to_string(),
        ),
    });
    lines.push((Style::new(), cause.summary.clone()));
    if !diagnosis.alternatives.is_empty() {
        let weighed: Vec<&str> = diagnosis
            .alternatives
            .iter()
            .map(|a| a.hypothesis.as_str())
            .collect();
        lines.push((
            theme::dim(),
            format!("Also weighed: {}", weighed.join("; ")),
        ));
    }
    lines.extend(
        diagnosis
            .impact
            .iter()
            .map(|i| (Style::new(), format!("Impact: {i}"))),
    );
    lines.extend(
        diagnosis
            .risks
            .iter()
            .map(|r| (theme::dim(), format!("Risk: {r}"))),
    );
    lines.extend(
        diagnosis
            .timeline
            .iter()
            .map(|(at, what)| (theme::dim(), format!("{} {what}", text::stamp(*at, None)))),
    );
    lines
}
