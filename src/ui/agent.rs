//! Agent: the diagnosis as it is produced, with a spinner and the elapsed
//! time while the analyzer works.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{text, theme};
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
    let wrapped = |lines: &mut dyn Iterator<Item = &String>| -> Vec<String> {
        lines
            .flat_map(|l| text::wrap(l, width))
            .map(|l| text::plain(&l))
            .collect()
    };
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
            let produced = wrapped(&mut app.agent.lines.iter());
            let skip = produced.len().saturating_sub(rows - 1);
            lines.extend(produced.into_iter().skip(skip).map(Line::raw));
            lines
        }
        AgentState::Done { diagnosis, took } => {
            let mut lines = vec![Line::styled(
                format!("✓ diagnosis in {:.1}s", took.as_secs_f64()),
                Style::new().fg(theme::GOOD),
            )];
            let body = wrapped(&mut diagnosis.lines().iter());
            let room = rows - 1;
            if body.len() > room {
                let hidden = body.len() - room + 1;
                lines.extend(body.into_iter().take(room - 1).map(Line::raw));
                lines.push(Line::styled(
                    format!("… {hidden} more lines (in the log and plain mode)"),
                    theme::dim(),
                ));
            } else {
                lines.extend(body.into_iter().map(Line::raw));
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
