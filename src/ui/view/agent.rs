//! The agent pane's rows: the diagnosis as it is produced (a spinner, the
//! elapsed time, the time to the first token, a model's streamed text and
//! its tool calls with one line on each answer), then the verdict. With a
//! model beside the built-in analyzer the two are side by side, their
//! disagreements marked; when the model gave nothing, a note says why the
//! built-in diagnosis stands. The pane scrolls: every line can be read.
//! Plain mode prints the same rows as text ([`diagnosis_text`]).

use super::PaneView;
use super::flow::{Piece, Row, Tone};
use super::monitor::stamped;
use crate::agent::second_opinion::{ModelAnswer, ModelDiagnosis, Outcome, SecondOpinion, Verdict};
use crate::agent::{Diagnosis, FaultClass, Progress, RecommendedAction, Transcript, score};
use crate::app::{AgentState, App, Mode};
use crate::ui::text;
use unicode_width::UnicodeWidthStr;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

pub fn pane(app: &App) -> PaneView {
    let mut pinned = Vec::new();
    let (rows, anchor_bottom, content) = match &app.agent().state() {
        AgentState::Idle => (vec![Row::prose(Tone::Label, idle_words(app))], false, 0),
        AgentState::Working { run, started } => {
            let elapsed = app.now().saturating_sub(*started);
            let frame = (app.now().as_millis() / 150) as usize % SPINNER.len();
            let first = app
                .agent()
                .transcript()
                .first_token()
                .map(|d| format!(" · first token {}", text::secs(d)))
                .unwrap_or_default();
            pinned.push(Row::prose(
                Tone::Accent,
                format!(
                    "{} analysing… {}{first}",
                    SPINNER[frame],
                    text::secs(elapsed)
                ),
            ));
            (
                transcript_rows(app.agent().transcript()),
                true,
                run.wrapping_mul(4) + 1,
            )
        }
        AgentState::Done { diagnosis, took } => (
            done_rows(app, diagnosis, Medium::Screen),
            false,
            (took.as_millis() as u64).wrapping_mul(4) + 2,
        ),
        AgentState::Failed(why) => (
            vec![Row::prose(
                Tone::Bad,
                format!("✗ FAILED {}", text::plain(why)),
            )],
            false,
            3,
        ),
        AgentState::CalledOff(why) => (
            vec![Row::prose(
                Tone::Warn,
                format!("■ ABORTED {}", text::plain(why)),
            )],
            false,
            5,
        ),
    };
    if let Some(applied) = app.agent().applied() {
        pinned.push(Row::prose(
            Tone::Good,
            format!("✓ applied by the presenter: {}", text::plain(applied)),
        ));
    }
    // Who wrote what is shown: the analyzer asked, until its diagnosis is in.
    let author = match &app.agent().state() {
        AgentState::Done { diagnosis, .. } => diagnosis.author(),
        _ => app.agent().analyzer(),
    };
    PaneView {
        title: format!(" Agent · {} ", text::plain(author)),
        pinned,
        rows,
        anchor_bottom,
        content: content ^ (u64::from(app.pass()) << 48),
    }
}

/// Why the agent is idle now, and what will ask it: never a promise the
/// story has already passed.
fn idle_words(app: &App) -> String {
    if app.hold().is_some() {
        return "idle: on hold, no fault to diagnose".into();
    }
    let asked_at = app
        .script()
        .chapters
        .iter()
        .enumerate()
        .skip(app.chapter())
        .find(|(_, c)| {
            c.on_enter
                .iter()
                .any(|a| matches!(a, crate::story::Action::Diagnose { .. }))
        })
        .map(|(i, c)| {
            if i == app.chapter() {
                "this chapter".to_string()
            } else {
                format!(
                    "[{}/{}] {}",
                    i + 1,
                    app.chapter_count(),
                    text::plain(&c.title)
                )
            }
        });
    let timeline = app.timeline();
    match (
        timeline.injected.is_some(),
        timeline.detected.is_some(),
        asked_at,
    ) {
        (true, true, Some(at)) => format!("idle: the fault is detected; asked in {at}"),
        (true, false, Some(at)) => format!("idle: asked in {at}, once the fault is detected"),
        (_, _, None) if timeline.injected.is_some() => {
            "idle: no chapter left asks for a diagnosis".into()
        }
        _ => "idle: asked for a diagnosis once a fault is detected".into(),
    }
}

/// The finished diagnosis as plain mode prints it: the pane's rows as text.
pub fn diagnosis_text(app: &App, diagnosis: &Diagnosis) -> Vec<String> {
    done_rows(app, diagnosis, Medium::Text)
        .iter()
        .map(Row::text)
        .collect()
}

/// Where the rows go: the screen offers its keys; plain mode reads lines,
/// not keys, so its text offers none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Medium {
    Screen,
    Text,
}

/// A finished diagnosis: the built-in analyzer's alone, or beside a model's.
/// The analyzer's show-clock times are restamped from the fault, as
/// every other pane's.
fn done_rows(app: &App, diagnosis: &Diagnosis, medium: Medium) -> Vec<Row> {
    let mut rows = match &diagnosis.second_opinion {
        None => diagnosis_rows(app, diagnosis),
        Some(opinion) => verdict_rows(app, diagnosis, opinion, medium),
    };
    let fault_at = app.timeline().injected.as_ref().map(|f| f.at);
    for piece in rows.iter_mut().flat_map(|r| r.pieces.iter_mut()) {
        if let std::borrow::Cow::Owned(text) = crate::text::restamp(&piece.text, fault_at) {
            piece.text = text;
        }
    }
    rows
}

/// Steps stamped like the monitor's, tool calls with one line on each
/// answer, streamed text as paragraphs.
fn transcript_rows(transcript: &Transcript) -> Vec<Row> {
    let mut rows = Vec::new();
    for item in transcript.items() {
        match &item.progress {
            Progress::Step(step) => rows.push(stamped(
                item.at,
                item.after_fault,
                "INFO",
                Tone::Accent,
                step,
            )),
            Progress::Note(note) => {
                rows.push(stamped(item.at, item.after_fault, "WARN", Tone::Warn, note))
            }
            Progress::ToolCall { name, arguments } => {
                let args = if arguments.trim().is_empty() || arguments.trim() == "{}" {
                    String::new()
                } else {
                    format!(" {arguments}")
                };
                rows.push(
                    Row::prose(Tone::Accent, text::plain(&format!("→ tool {name}{args}")))
                        .indented(2),
                );
            }
            Progress::ToolAnswer {
                summary, refused, ..
            } => {
                let (mark, tone) = if *refused {
                    ("✗", Tone::Warn)
                } else {
                    ("←", Tone::Label)
                };
                rows.push(
                    Row::prose(tone, format!("  {mark} {}", text::plain(summary))).indented(4),
                );
            }
            Progress::Text(streamed) => {
                for paragraph in streamed.split('\n').filter(|p| !p.trim().is_empty()) {
                    rows.push(Row::prose(Tone::Plain, text::plain(paragraph)));
                }
            }
            Progress::FirstToken(_) | Progress::Standing(_) => {}
        }
    }
    rows
}

/// `Root cause: process killed or crashed on tikv1 (score 0.90)`.
pub fn cause_line(diagnosis: &Diagnosis, lead: &str) -> String {
    let cause = &diagnosis.root_cause;
    let on = cause
        .service
        .as_deref()
        .map(|s| format!(" on {}", text::plain(s)))
        .unwrap_or_default();
    format!(
        "{lead}: {}{on} (score {})",
        cause.class,
        score(cause.confidence)
    )
}

/// The diagnosis in the order an audience needs it: the cause, the action,
/// what else was weighed, the impact, the risks, then the timeline.
fn diagnosis_rows(app: &App, diagnosis: &Diagnosis) -> Vec<Row> {
    let mut rows = vec![Row::prose(
        Tone::Good,
        format!("✓ {}", cause_line(diagnosis, "Root cause")),
    )];
    rows.push(match &diagnosis.action {
        Some(action) => Row::prose(
            Tone::Accent,
            format!(
                "Action: {} {}",
                action.recovery,
                text::plain(&action.service)
            ),
        ),
        None => Row::prose(Tone::Warn, "Action: none suggested (not enough evidence)"),
    });
    rows.push(Row::prose(
        Tone::Plain,
        text::rates(&text::plain(&diagnosis.root_cause.summary)).into_owned(),
    ));
    if !diagnosis.alternatives.is_empty() {
        let weighed: Vec<String> = diagnosis
            .alternatives
            .iter()
            .map(|a| text::plain(&a.hypothesis))
            .collect();
        rows.push(Row::prose(
            Tone::Label,
            format!("Also weighed: {}", weighed.join("; ")),
        ));
    }
    rows.extend(diagnosis.impact.iter().map(|i| {
        Row::prose(
            Tone::Plain,
            format!("Impact: {}", text::rates(&text::plain(i))),
        )
    }));
    rows.extend(
        diagnosis
            .risks
            .iter()
            .map(|r| Row::prose(Tone::Label, format!("Risk: {}", text::plain(r)))),
    );
    rows.extend(
        diagnosis
            .timeline
            .iter()
            .map(|(at, what)| stamped(*at, app.timeline().after_fault(*at), "", Tone::Label, what)),
    );
    rows
}

/// A root cause in a few columns: "crash tikv1".
fn cause_cell(class: FaultClass, service: Option<&str>) -> String {
    let word = match (class, service) {
        (FaultClass::Unknown, None) => "no culprit",
        (class, _) => class.words().cell,
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

/// One row of the side-by-side table: a mark (≠ where they differ), a
/// label and the two cells, the left one `column` wide; a narrow pane puts
/// the right cell under the left.
fn table_row(
    column: usize,
    differs: bool,
    label: &str,
    left: &str,
    right: &str,
    tone: Tone,
) -> Row {
    let mark = if differs {
        Piece::new(Tone::Warn, "≠")
    } else {
        Piece::new(Tone::Label, " ")
    };
    Row::new(vec![
        mark,
        Piece::new(Tone::Label, format!("{label:<7}")),
        Piece::new(tone, text::pad(left, column)),
        Piece::new(tone, right.to_string()),
    ])
    .indented(8)
}

/// The built-in verdict and the model's, side by side, then the details.
fn verdict_rows(
    app: &App,
    builtin: &Diagnosis,
    opinion: &SecondOpinion,
    medium: Medium,
) -> Vec<Row> {
    let agent = text::plain(&opinion.agent);
    let answer = match &opinion.outcome {
        Outcome::Failed(failure) => return failed_rows(app, builtin, &agent, failure),
        Outcome::Answered(answer) => answer,
    };
    match &answer.verdict {
        Verdict::Text(written) => unstructured_rows(app, builtin, &agent, written),
        Verdict::Structured(model) => compared_rows(app, builtin, answer, model, medium),
    }
}

/// The built-in verdict in a line and why nothing is beside it, then the
/// built-in diagnosis, which stands.
fn failed_rows(
    app: &App,
    builtin: &Diagnosis,
    agent: &str,
    failure: &impl std::fmt::Display,
) -> Vec<Row> {
    let mut rows = vec![
        Row::prose(
            Tone::Good,
            format!(
                "✓ {} ({}) · {}",
                cause_cell(
                    builtin.root_cause.class,
                    builtin.root_cause.service.as_deref()
                ),
                score(builtin.root_cause.confidence),
                action_cell(builtin.action.as_ref())
            ),
        ),
        Row::prose(
            Tone::Warn,
            text::plain(&format!("✗ {agent} gave no answer: {failure}")),
        ),
    ];
    rows.extend(diagnosis_rows(app, builtin));
    rows
}

/// A model's answer outside the structure: shown as written, beside the
/// built-in diagnosis, compared with nothing.
fn unstructured_rows(app: &App, builtin: &Diagnosis, agent: &str, written: &str) -> Vec<Row> {
    let mut rows = diagnosis_rows(app, builtin);
    let mut model_rows = vec![Row::prose(
        Tone::Warn,
        format!("? {agent} answered outside the structure (not compared):"),
    )];
    model_rows.extend(
        written
            .lines()
            .map(|l| Row::prose(Tone::Plain, format!("  {}", text::plain(l)))),
    );
    rows.splice(2..2, model_rows);
    rows
}

/// The two verdicts side by side, where they differ, the scores, what may
/// be applied, the model's cost, both summaries, then the rest of the
/// built-in diagnosis.
fn compared_rows(
    app: &App,
    builtin: &Diagnosis,
    answer: &ModelAnswer,
    model: &ModelDiagnosis,
    medium: Medium,
) -> Vec<Row> {
    let theirs = &model.diagnosis;
    let (column, mut rows) = side_by_side(builtin, answer, model);
    rows.push(agreement_row(answer));
    rows.push(table_row(
        column,
        false,
        "score",
        &score(builtin.root_cause.confidence),
        &if model.confidence_given {
            score(theirs.root_cause.confidence)
        } else {
            "not given".into()
        },
        Tone::Label,
    ));
    if let Some(refused) = &model.refused_action {
        rows.push(Row::prose(
            Tone::Bad,
            text::plain(&format!(
                "✗ REFUSED, never executed: {} — {}",
                refused.asked, refused.why
            )),
        ));
    }
    if let Some((action, by)) = builtin.applicable_action()
        && app.mode() == Mode::Presenter
        && medium == Medium::Screen
    {
        rows.push(Row::prose(
            Tone::Accent,
            text::plain(&format!(
                "a: apply {} {} ({})",
                action.recovery, action.service, by
            )),
        ));
    }
    let first = answer
        .first_token
        .map(|d| format!("first token {} · ", text::secs(d)))
        .unwrap_or_default();
    rows.push(Row::prose(
        Tone::Label,
        format!(
            "{first}{} tool calls · {}",
            answer.tool_calls,
            text::secs(answer.took)
        ),
    ));
    rows.push(Row::prose(
        Tone::Plain,
        format!("built-in: {}", text::plain(&builtin.root_cause.summary)),
    ));
    if !theirs.root_cause.summary.is_empty() {
        rows.push(Row::prose(
            Tone::Plain,
            format!("model: {}", text::plain(&theirs.root_cause.summary)),
        ));
    }
    // Then everything else the built-in analyzer found.
    rows.extend(diagnosis_rows(app, builtin).into_iter().skip(3));
    rows
}

/// The table's head, cause and action rows, and the width of its first
/// column.
fn side_by_side(
    builtin: &Diagnosis,
    answer: &ModelAnswer,
    model: &ModelDiagnosis,
) -> (usize, Vec<Row>) {
    use crate::agent::second_opinion::Disagreement as D;
    let differs = |d: D| answer.disagreements.contains(&d);
    let theirs = &model.diagnosis;
    let model_action = match &model.refused_action {
        Some(_) => "✗ refused".to_string(),
        None => action_cell(theirs.action.as_ref()),
    };
    let cells = [
        cause_cell(
            builtin.root_cause.class,
            builtin.root_cause.service.as_deref(),
        ),
        action_cell(builtin.action.as_ref()),
    ];
    // The widest left cell and a gutter of four.
    let column = cells.iter().map(|c| c.width()).max().unwrap_or(0).max(8) + 4;
    let rows = vec![
        table_row(column, false, "", "BUILT-IN", "MODEL", Tone::Strong),
        table_row(
            column,
            differs(D::RootCause) || differs(D::Service),
            "cause",
            &cells[0],
            &cause_cell(
                theirs.root_cause.class,
                theirs.root_cause.service.as_deref(),
            ),
            Tone::Plain,
        ),
        table_row(
            column,
            differs(D::Action),
            "action",
            &cells[1],
            &model_action,
            Tone::Plain,
        ),
    ];
    (column, rows)
}

/// Whether the model agrees, and if not on what.
fn agreement_row(answer: &ModelAnswer) -> Row {
    if answer.disagreements.is_empty() {
        return Row::prose(Tone::Good, "= the model agrees with the built-in analyzer");
    }
    let words: Vec<&str> = answer.disagreements.iter().map(|d| d.word()).collect();
    Row::prose(
        Tone::Warn,
        format!(
            "≠ they differ on {}: the built-in verdict stands",
            words.join(", ")
        ),
    )
}
