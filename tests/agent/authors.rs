//! Who wrote the diagnosis shown, and one renderer for it: the pane's title
//! and plain mode's "diagnosis by" name the analyzer whose text is shown
//! (the built-in analyzer when the model gave nothing), and plain mode
//! prints the pane's own rows, in the screen's words.

use std::time::Duration;

use chaosdeck::agent::model::{ModelFailure, answer};
use chaosdeck::agent::second_opinion::{self, ModelAnswer, Outcome, SecondOpinion, Verdict};
use chaosdeck::agent::{Diagnosis, analyze, score};
use chaosdeck::app::{AgentState, App, Mode};
use chaosdeck::plain::Plain;
use chaosdeck::show::{Change, Frontend};
use chaosdeck::testing::app_for_analyzer;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use crate::evidence;
use crate::streams::answer_json;

const MODEL: &str = "anthropic claude-test";

fn done(mode: Mode, outcome: Outcome) -> App {
    let mut app = app_for_analyzer(mode, MODEL);
    let mut diagnosis: Diagnosis = analyze(&evidence::kill()).diagnosis;
    diagnosis.second_opinion = Some(Box::new(SecondOpinion {
        agent: MODEL.into(),
        outcome,
    }));
    app.set_agent_state(AgentState::Done {
        diagnosis: Box::new(diagnosis),
        took: Duration::from_secs(12),
    });
    app
}

fn failed() -> Outcome {
    Outcome::Failed(ModelFailure::FirstToken(Duration::from_secs(20)))
}

fn agreeing() -> Outcome {
    let services: Vec<String> = evidence::SERVICES.iter().map(|s| s.to_string()).collect();
    let text = answer_json("process_crash", Some("tikv1"), "start", Some("tikv1"), 0.8);
    let verdict = answer::parse(&text, &services, MODEL);
    let Verdict::Structured(model) = &verdict else {
        panic!("structured")
    };
    let builtin = analyze(&evidence::kill()).diagnosis;
    let disagreements = second_opinion::disagreements(&builtin, model);
    Outcome::Answered(Box::new(ModelAnswer {
        verdict,
        first_token: Some(Duration::from_millis(800)),
        took: Duration::from_secs(11),
        tool_calls: 2,
        output_tokens: 200,
        disagreements,
    }))
}

/// The pane drawn wide and tall enough that no row wraps or scrolls: its
/// title, and each row's text inside the border.
fn pane(app: &App) -> (String, Vec<String>) {
    let (width, height) = (400, 120);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| chaosdeck::ui::agent::render(app, frame, Rect::new(0, 0, width, height)))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let line = |y: u16| -> String { (0..width).map(|x| buffer[(x, y)].symbol()).collect() };
    let rows = (1..height - 1)
        .map(|y| {
            let inside: String = line(y).chars().skip(1).take(width as usize - 2).collect();
            inside.trim_end().to_string()
        })
        .filter(|row| !row.is_empty())
        .collect();
    (line(0), rows)
}

/// What plain mode prints of the finished diagnosis: its heading, and the
/// rows after `> `.
fn plain(app: &App) -> (String, Vec<String>) {
    let mut plain = Plain::new(Vec::new(), true);
    plain.changed(app, Change::World);
    let out = String::from_utf8(plain.into_inner()).unwrap();
    let heading = out
        .lines()
        .find(|l| l.contains("diagnosis by"))
        .unwrap_or_else(|| panic!("no heading:\n{out}"))
        .trim()
        .to_string();
    let rows = out
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("> "))
        .map(|l| l.trim_end().to_string())
        .collect();
    (heading, rows)
}

#[test]
fn the_builtin_analyzer_is_named_over_its_diagnosis_when_the_model_gave_none() {
    let app = done(Mode::Auto, failed());
    let (title, _) = pane(&app);
    assert!(title.contains(" Agent · built-in analyzer "), "{title}");
    assert!(!title.contains(MODEL), "{title}");
    assert_eq!(plain(&app).0, "diagnosis by built-in analyzer:");
}

#[test]
fn the_model_is_named_when_its_answer_is_shown_beside_the_builtin() {
    let app = done(Mode::Auto, agreeing());
    let (title, _) = pane(&app);
    assert!(title.contains(&format!(" Agent · {MODEL} ")), "{title}");
    assert_eq!(plain(&app).0, format!("diagnosis by {MODEL}:"));
}

#[test]
fn plain_mode_prints_the_panes_rows() {
    for outcome in [failed(), agreeing()] {
        let app = done(Mode::Auto, outcome);
        let (_, screen) = pane(&app);
        let (_, printed) = plain(&app);
        assert_eq!(printed, screen);
        let all = printed.join("\n");
        assert!(
            all.contains("0.90"),
            "the score as the screen writes it: {all}"
        );
        assert!(!all.contains("confidence 90%"), "{all}");
    }
}

#[test]
fn plain_mode_offers_no_key_it_does_not_read() {
    let app = done(Mode::Presenter, agreeing());
    let (_, screen) = pane(&app);
    let (_, printed) = plain(&app);
    assert!(
        screen.iter().any(|r| r.starts_with("a: apply start tikv1")),
        "{screen:#?}"
    );
    let without_key: Vec<&String> = screen
        .iter()
        .filter(|r| !r.starts_with("a: apply"))
        .collect();
    assert_eq!(printed.iter().collect::<Vec<_>>(), without_key);
}

#[test]
fn one_function_writes_the_score_wherever_a_diagnosis_is_told() {
    let report = analyze(&evidence::kill());
    let diagnosis = &report.diagnosis;
    let shown = format!("score {}", score(diagnosis.root_cause.confidence));
    assert_eq!(shown, "score 0.90");
    let app = done(Mode::Auto, failed());
    let (_, printed) = plain(&app);
    let told = [
        ("the pane and plain mode", printed.join("\n")),
        ("the log", diagnosis.lines()[0].clone()),
        ("the ground-truth line", second_opinion::headline(diagnosis)),
        (
            "the analysis's steps",
            report
                .steps
                .iter()
                .find(|s| s.starts_with("hypothesis:"))
                .cloned()
                .unwrap(),
        ),
    ];
    for (where_, text) in told {
        assert!(text.contains(&shown), "{where_}: {text}");
        assert!(!text.contains("90%"), "{where_}: {text}");
    }
}
