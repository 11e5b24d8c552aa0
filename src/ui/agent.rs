//! Agent: the diagnosis as it is produced (a spinner, the elapsed time, the
//! time to the first token, a model's streamed text and its tool calls with
//! one line on each answer), then the verdict. With a model beside the
//! built-in analyzer the two are shown side by side, their disagreements
//! marked; when the model gave nothing, a note says why the built-in
//! diagnosis stands.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::{text, theme};
use crate::agent::second_opinion::{Outcome, SecondOpinion, Verdict};
use crate::agent::{Diagnosis, FaultClass, Progress, RecommendedAction, Transcript};
use crate::app::{AgentState, App, Entry, Level, Mode};

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

/// One thing to show: text to wrap in a style, or a line laid out already.
enum Item {
    Wrapped(Style, String),
    Fixed(Line<'static>),
}

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
            let first = app
                .agent
                .transcript
                .first_token()
                .map(|d| format!(" · first token {:.1}s", d.as_secs_f64()))
                .unwrap_or_default();
            let mut lines = vec![Line::styled(
                format!(
                    "{} analysing… {:.1}s{first}",
                    SPINNER[frame_index],
                    elapsed.as_secs_f64()
                ),
                Style::new().fg(theme::ACCENT),
            )];
            // Newest at the bottom.
            let produced = transcript_lines(&app.agent.transcript, width);
            let skip = produced.len().saturating_sub(rows - 1);
            lines.extend(produced.into_iter().skip(skip));
            lines
        }
        AgentState::Done { diagnosis, .. } => {
            let items = match &diagnosis.second_opinion {
                None => pane_items(diagnosis),
                Some(opinion) => verdict_items(app, diagnosis, opinion, width),
            };
            fit(items, width, rows)
        }
        AgentState::Failed(why) => text::wrap(&format!("✗ FAILED {}", text::plain(why)), width)
            .into_iter()
            .map(|l| Line::styled(l, Style::new().fg(theme::BAD)))
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Wraps only what fits (a diagnosis can be long) and says how much is left.
fn fit(items: Vec<Item>, width: usize, rows: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = Vec::new();
    let mut complete = 0;
    for item in &items {
        if lines.len() > rows {
            break;
        }
        match item {
            Item::Wrapped(style, item) => {
                let parts = text::wrap(&text::plain(item), width);
                lines.extend(parts.into_iter().map(|part| Line::styled(part, *style)));
            }
            Item::Fixed(line) => lines.push(line.clone()),
        }
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

/// The transcript as lines: steps stamped like the monitor's, tool calls
/// with one line on each answer, streamed text as paragraphs.
fn transcript_lines(transcript: &Transcript, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for item in transcript.items() {
        let stamped = |level: Level, text: &str| {
            super::monitor::entry_lines(
                &Entry {
                    seq: 0,
                    pass: 0,
                    at: item.at,
                    after_fault: item.after_fault,
                    level,
                    kind: crate::app::Kind::Note,
                    text: text.to_string(),
                },
                width,
            )
        };
        match &item.progress {
            Progress::Step(step) => lines.extend(stamped(Level::Info, step)),
            Progress::Note(note) => lines.extend(stamped(Level::Warning, note)),
            Progress::ToolCall { name, arguments } => {
                let args = if arguments.trim().is_empty() || arguments.trim() == "{}" {
                    String::new()
                } else {
                    format!(" {arguments}")
                };
                let call = text::ellipsize(&text::plain(&format!("→ tool {name}{args}")), width);
                lines.push(Line::styled(call, Style::new().fg(theme::ACCENT)));
            }
            Progress::ToolAnswer {
                summary, refused, ..
            } => {
                let (mark, style) = if *refused {
                    ("✗", Style::new().fg(theme::WARN))
                } else {
                    ("←", theme::dim())
                };
                // One line per answer, so the calls stay in view.
                let line = text::ellipsize(&text::plain(summary), width.saturating_sub(4));
                lines.push(Line::styled(format!("  {mark} {line}"), style));
            }
            Progress::Text(streamed) => {
                for paragraph in streamed.split('\n').filter(|p| !p.trim().is_empty()) {
                    lines.extend(
                        text::wrap(&text::plain(paragraph), width)
                            .into_iter()
                            .map(Line::raw),
                    );
                }
            }
            Progress::FirstToken(_) => {}
        }
    }
    lines
}

/// The diagnosis in the order an audience needs it: the cause, the action,
/// what else was weighed, the impact, the risks, then the timeline.
fn pane_items(diagnosis: &Diagnosis) -> Vec<Item> {
    let cause = &diagnosis.root_cause;
    let on = cause
        .service
        .as_deref()
        .map(|s| format!(" on {s}"))
        .unwrap_or_default();
    let confidence = (cause.confidence.clamp(0.0, 1.0) * 100.0).round();
    let mut items = vec![Item::Wrapped(
        theme::bold().fg(theme::GOOD),
        format!(
            "✓ Root cause: {}{on} ({confidence:.0}% confident)",
            cause.class,
        ),
    )];
    items.push(match &diagnosis.action {
        Some(action) => Item::Wrapped(
            theme::bold().fg(theme::ACCENT),
            format!("Action: {} {}", action.recovery, action.service),
        ),
        None => Item::Wrapped(
            Style::new().fg(theme::WARN),
            "Action: none suggested (not enough evidence)".to_string(),
        ),
    });
    items.push(Item::Wrapped(Style::new(), cause.summary.clone()));
    if !diagnosis.alternatives.is_empty() {
        let weighed: Vec<&str> = diagnosis
            .alternatives
            .iter()
            .map(|a| a.hypothesis.as_str())
            .collect();
        items.push(Item::Wrapped(
            theme::dim(),
            format!("Also weighed: {}", weighed.join("; ")),
        ));
    }
    items.extend(
        diagnosis
            .impact
            .iter()
            .map(|i| Item::Wrapped(Style::new(), format!("Impact: {i}"))),
    );
    items.extend(
        diagnosis
            .risks
            .iter()
            .map(|r| Item::Wrapped(theme::dim(), format!("Risk: {r}"))),
    );
    items.extend(diagnosis.timeline.iter().map(|(at, what)| {
        Item::Wrapped(theme::dim(), format!("{} {what}", text::stamp(*at, None)))
    }));
    items
}

/// A root cause in a few columns: "crash tikv1".
fn cause_cell(class: FaultClass, service: Option<&str>) -> String {
    let word = match (class, service) {
        (FaultClass::ProcessCrash, _) => "crash",
        (FaultClass::GracefulStop, _) => "stop",
        (FaultClass::Frozen, _) => "frozen",
        (FaultClass::NetworkPartition, _) => "cut off",
        (FaultClass::Unknown, None) => "no culprit",
        (FaultClass::Unknown, Some(_)) => "unclear",
    };
    match service {
        Some(service) => format!("{word} {}", text::plain(service)),
        None => word.to_string(),
    }
}

fn action_cell(action: Option<&RecommendedAction>) -> String {
    action.map_or_else(
        || "none".to_string(),
        |a| format!("{} {}", a.recovery, text::plain(&a.service)),
    )
}

fn percent(confidence: f32) -> String {
    format!("{:.0}%", (confidence.clamp(0.0, 1.0) * 100.0).round())
}

/// One row of the side-by-side table: a mark (≠ where they differ), a
/// label and the two cells, each cut to its column.
fn row(
    differs: bool,
    label: &str,
    left: &str,
    right: &str,
    width: usize,
    style: Style,
) -> Line<'static> {
    let column = width.saturating_sub(8) / 2;
    let cell = |s: &str| {
        let cut = text::ellipsize(s, column.saturating_sub(1));
        let pad = column.saturating_sub(cut.width());
        format!("{cut}{}", " ".repeat(pad))
    };
    let mark = if differs { "≠" } else { " " };
    let mark_style = if differs {
        theme::bold().fg(theme::WARN)
    } else {
        theme::dim()
    };
    Line::from(vec![
        Span::styled(mark.to_string(), mark_style),
        Span::styled(format!("{label:<7}"), theme::dim()),
        Span::styled(cell(left), style),
        Span::styled(cell(right), style),
    ])
}

/// The built-in verdict and the model's, side by side, then the details.
fn verdict_items(
    app: &App,
    builtin: &Diagnosis,
    opinion: &SecondOpinion,
    width: usize,
) -> Vec<Item> {
    let agent = text::plain(&opinion.agent);
    let answer = match &opinion.outcome {
        Outcome::Failed(failure) => {
            // The built-in verdict in a line and why nothing is beside it,
            // then the built-in diagnosis, which stands.
            let mut items = vec![
                Item::Wrapped(
                    theme::bold().fg(theme::GOOD),
                    format!(
                        "✓ {} ({}) · {}",
                        cause_cell(
                            builtin.root_cause.class,
                            builtin.root_cause.service.as_deref()
                        ),
                        percent(builtin.root_cause.confidence),
                        action_cell(builtin.action.as_ref())
                    ),
                ),
                Item::Wrapped(
                    theme::bold().fg(theme::WARN),
                    format!("✗ {agent} gave no answer: {failure}"),
                ),
            ];
            items.extend(pane_items(builtin));
            return items;
        }
        Outcome::Answered(answer) => answer,
    };
    let model = match &answer.verdict {
        Verdict::Text(written) => {
            let mut items = pane_items(builtin);
            let mut model_items = vec![Item::Wrapped(
                Style::new().fg(theme::WARN),
                format!("? {agent} answered outside the structure (not compared):"),
            )];
            model_items.extend(
                written
                    .lines()
                    .take(8)
                    .map(|l| Item::Wrapped(Style::new(), format!("  {l}"))),
            );
            items.splice(2..2, model_items);
            return items;
        }
        Verdict::Structured(model) => model,
    };
    use crate::agent::second_opinion::Disagreement as D;
    let differs = |d: D| answer.disagreements.contains(&d);
    let theirs = &model.diagnosis;
    let model_action = match &model.refused_action {
        Some(_) => "✗ refused".to_string(),
        None => action_cell(theirs.action.as_ref()),
    };
    let mut items = vec![
        Item::Fixed(row(false, "", "BUILT-IN", "MODEL", width, theme::bold())),
        Item::Fixed(row(
            differs(D::RootCause) || differs(D::Service),
            "cause",
            &cause_cell(
                builtin.root_cause.class,
                builtin.root_cause.service.as_deref(),
            ),
            &cause_cell(
                theirs.root_cause.class,
                theirs.root_cause.service.as_deref(),
            ),
            width,
            Style::new(),
        )),
        Item::Fixed(row(
            differs(D::Action),
            "action",
            &action_cell(builtin.action.as_ref()),
            &model_action,
            width,
            Style::new(),
        )),
    ];
    if answer.disagreements.is_empty() {
        items.push(Item::Wrapped(
            Style::new().fg(theme::GOOD),
            "= the model agrees with the built-in analyzer".into(),
        ));
    } else {
        let words: Vec<&str> = answer.disagreements.iter().map(|d| d.word()).collect();
        items.push(Item::Wrapped(
            theme::bold().fg(theme::WARN),
            format!(
                "≠ they differ on {}: the built-in verdict stands",
                words.join(", ")
            ),
        ));
    }
    items.push(Item::Fixed(row(
        false,
        "conf.",
        &percent(builtin.root_cause.confidence),
        &if model.confidence_given {
            percent(theirs.root_cause.confidence)
        } else {
            "not given".into()
        },
        width,
        theme::dim(),
    )));
    if let Some(refused) = &model.refused_action {
        items.push(Item::Wrapped(
            theme::bold().fg(theme::BAD),
            format!(
                "✗ REFUSED, never executed: {} — {}",
                refused.asked, refused.why
            ),
        ));
    }
    if let Some((action, by)) = builtin.applicable_action() {
        if app.mode == Mode::Presenter {
            items.push(Item::Wrapped(
                Style::new().fg(theme::ACCENT),
                format!("a: apply {} {} ({})", action.recovery, action.service, by),
            ));
        }
    }
    let first = answer
        .first_token
        .map(|d| format!("first token {:.1}s · ", d.as_secs_f64()))
        .unwrap_or_default();
    items.push(Item::Wrapped(
        theme::dim(),
        format!(
            "{first}{} tool calls · {:.1}s",
            answer.tool_calls,
            answer.took.as_secs_f64()
        ),
    ));
    items.push(Item::Wrapped(
        Style::new(),
        format!("built-in: {}", builtin.root_cause.summary),
    ));
    if !theirs.root_cause.summary.is_empty() {
        items.push(Item::Wrapped(
            Style::new(),
            format!("model: {}", theirs.root_cause.summary),
        ));
    }
    // Then everything else the built-in analyzer found.
    items.extend(pane_items(builtin).into_iter().skip(3));
    items
}
