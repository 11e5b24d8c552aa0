//! The agent pane: mid-stream with tool calls, and the side-by-side
//! verdict where the model and the built-in analyzer disagree (insta
//! snapshots of the pane alone, at its size on 80x24 and 120x40 screens).

use chaosdeck::agent::model::ModelFailure;
use chaosdeck::agent::model::answer;
use chaosdeck::agent::second_opinion::{self, ModelAnswer, Outcome, SecondOpinion, Verdict};
use chaosdeck::agent::{Diagnosis, Progress, analyze};
use chaosdeck::app::{AgentState, App, Mode, Msg, update};
use chaosdeck::testing::{app_for_analyzer, kill, put_fault, secs};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use crate::evidence;
use crate::streams::answer_json;

/// The pane's size on an 80x24 screen, and on a 120x40 one.
const SIZES: [(u16, u16); 2] = [(40, 6), (60, 18)];

fn app(mode: Mode) -> App {
    let mut app = app_for_analyzer(mode, "openai llama3.1");
    put_fault(&mut app, kill(secs(10.0), "tikv1"));
    app
}

fn text(app: &App, (width, height): (u16, u16)) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| chaosdeck::ui::agent::render(app, frame, Rect::new(0, 0, width, height)))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn streaming() -> App {
    let mut app = app(Mode::Presenter);
    app.set_agent_state(AgentState::Working {
        run: 9,
        started: secs(36.0),
    });
    let steps: Vec<(f64, Progress)> = vec![
        (36.0, "built-in analyzer (ground truth): process killed or crashed on tikv1 (score 0.90), start tikv1".into()),
        (36.0, "asking openai llama3.1…".into()),
        (36.8, Progress::FirstToken(secs(0.8))),
        (36.8, Progress::Text("Let me look at the cluster first.".into())),
        (37.0, Progress::ToolCall { name: "cluster_snapshot".into(), arguments: "{}".into() }),
        (37.0, Progress::ToolAnswer {
            name: "cluster_snapshot".into(),
            summary: "3 stores: tikv1 Disconnected; 0 regions without a leader".into(),
            refused: false,
        }),
        (37.9, Progress::ToolCall { name: "process_state".into(), arguments: "{\"service\":\"tikv1\"}".into() }),
        (37.9, Progress::ToolAnswer {
            name: "process_state".into(),
            summary: "tikv1: exited (code 137)".into(),
            refused: false,
        }),
        (38.5, Progress::ToolCall { name: "process_state".into(), arguments: "{\"service\":\"tikv1\"}".into() }),
        (38.5, Progress::ToolAnswer {
            name: "process_state".into(),
            summary: "refused: identical to call 2 (its answer is above)".into(),
            refused: true,
        }),
        (39.0, Progress::Text("tikv1 exited with code 137: killed. ".into())),
        (39.2, Progress::Text("{\"root_cause\": {\"class\": \"process_cr".into())),
    ];
    for (at, progress) in steps {
        update(&mut app, Msg::Tick(secs(at)));
        update(
            &mut app,
            Msg::AgentLine {
                run: 9,
                line: progress,
            },
        );
    }
    update(&mut app, Msg::Tick(secs(39.4)));
    app
}

#[test]
fn mid_stream_with_tool_calls() {
    let app = streaming();
    for size in SIZES {
        insta::assert_snapshot!(
            format!("mid_stream_{}x{}", size.0, size.1),
            text(&app, size)
        );
    }
    let pane = text(&app, (60, 18));
    assert!(
        pane.contains("analysing… 3.4s · first token 0.8s"),
        "{pane}"
    );
    assert!(
        pane.contains("→ tool process_state {\"service\":\"tikv1\"}"),
        "{pane}"
    );
    assert!(pane.contains("  ← tikv1: exited (code 137)"), "{pane}");
    assert!(pane.contains("  ✗ refused: identical to call 2"), "{pane}");
    // The streamed text, joined across its fragments, newest at the bottom.
    assert!(pane.contains("│{\"class\": \"process_cr   "), "{pane}");
}

fn with_opinion(outcome: Outcome) -> App {
    let mut builtin: Diagnosis = analyze(&evidence::kill()).diagnosis;
    builtin.second_opinion = Some(Box::new(SecondOpinion {
        agent: "openai llama3.1".into(),
        outcome,
    }));
    let mut app = app(Mode::Presenter);
    app.set_agent_state(AgentState::Done {
        diagnosis: Box::new(builtin),
        took: secs(12.0),
    });
    app
}

fn disagreeing() -> App {
    let builtin = analyze(&evidence::kill()).diagnosis;
    let services: Vec<String> = evidence::SERVICES.iter().map(|s| s.to_string()).collect();
    let text = answer_json(
        "frozen",
        Some("tikv1"),
        "docker restart",
        Some("tikv1"),
        0.55,
    );
    let Verdict::Structured(model) = answer::parse(&text, &services, "openai llama3.1") else {
        panic!("structured")
    };
    let disagreements = second_opinion::disagreements(&builtin, &model);
    with_opinion(Outcome::Answered(Box::new(ModelAnswer {
        verdict: Verdict::Structured(model),
        first_token: Some(secs(0.8)),
        took: secs(11.6),
        tool_calls: 3,
        output_tokens: 312,
        disagreements,
    })))
}

#[test]
fn side_by_side_where_they_disagree() {
    let app = disagreeing();
    for size in SIZES {
        insta::assert_snapshot!(format!("disagree_{}x{}", size.0, size.1), text(&app, size));
    }
    let small = text(&app, (40, 6));
    // At 80x24 the cause and the action rows, each marked, and the verdict.
    assert!(
        small.contains("≠cause  crash tikv1    frozen tikv1"),
        "{small}"
    );
    assert!(
        small.contains("≠action start tikv1    ✗ refused"),
        "{small}"
    );
    let large = text(&app, (60, 18));
    assert!(
        large.contains("≠ they differ on root cause, action"),
        "{large}"
    );
    assert!(
        large.contains("✗ REFUSED, never executed: docker restart tikv1"),
        "{large}"
    );
    assert!(
        large.contains("a: apply start tikv1 (built-in analyzer)"),
        "{large}"
    );
}

#[test]
fn a_failed_model_leaves_a_note_beside_the_builtin_diagnosis() {
    let app = with_opinion(Outcome::Failed(ModelFailure::FirstToken(secs(20.0))));
    insta::assert_snapshot!("model_failed_60x18", text(&app, (60, 18)));
    let small = text(&app, (40, 6));
    assert!(
        small.contains("✓ crash tikv1 (0.90) · start tikv1"),
        "{small}"
    );
    assert!(
        small.contains("✗ openai llama3.1 gave no answer: no"),
        "{small}"
    );
    assert!(small.contains("first token within 20.0s"), "{small}");
}

#[test]
fn the_pane_names_the_agent_and_the_model() {
    let app = streaming();
    let pane = text(&app, (60, 18));
    assert!(
        pane.lines()
            .next()
            .unwrap()
            .contains("Agent · openai llama3.1"),
        "{pane}"
    );
}
