//! The `a` key: a presenter applies the agent's allowlisted recommendation
//! through the story's own recovery path; other modes never apply an
//! agent's; a recommendation that would not undo the fault in place (or is
//! outside the allowlist) is not applied.

use std::time::Duration;

use chaosdeck::agent::model::answer;
use chaosdeck::agent::second_opinion::{self, ModelAnswer, Outcome, SecondOpinion, Verdict};
use chaosdeck::agent::{Diagnosis, analyze};
use chaosdeck::app::keys::command_for;
use chaosdeck::app::{AgentState, App, Command, Effect, Mode, Msg, update};
use chaosdeck::cluster::Recovery;
use chaosdeck::testing;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};

use crate::evidence;
use crate::streams::answer_json;

fn app(mode: Mode, model_says: Option<&str>) -> App {
    let mut app = testing::app_for_analyzer(mode, "openai test");
    testing::put_fault(&mut app, testing::kill(Duration::from_secs(10), "tikv1"));
    let mut diagnosis: Diagnosis = analyze(&evidence::kill()).diagnosis;
    if let Some(text) = model_says {
        let services: Vec<String> = evidence::SERVICES.iter().map(|s| s.to_string()).collect();
        let verdict = answer::parse(text, &services, "openai test");
        let disagreements = match &verdict {
            Verdict::Structured(m) => second_opinion::disagreements(&diagnosis, m),
            Verdict::Text(_) => vec![],
        };
        diagnosis.second_opinion = Some(Box::new(SecondOpinion {
            agent: "openai test".into(),
            outcome: Outcome::Answered(Box::new(ModelAnswer {
                verdict,
                first_token: None,
                took: Duration::from_secs(3),
                tool_calls: 0,
                output_tokens: 0,
                disagreements,
            })),
        }));
    }
    app.set_agent_state(AgentState::Done {
        diagnosis: Box::new(diagnosis),
        took: Duration::from_secs(3),
    });
    app
}

fn press_a(app: &mut App) -> Vec<Effect> {
    update(app, Msg::Command(Command::ApplyRecommendation))
}

fn recoveries(effects: &[Effect]) -> Vec<(Recovery, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Recover {
                recovery, service, ..
            } => Some((*recovery, service.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_key_a_means_apply() {
    let key = KeyEvent {
        code: KeyCode::Char('a'),
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    };
    assert_eq!(command_for(key), Some(Command::ApplyRecommendation));
}

#[test]
fn a_presenter_applies_the_models_allowed_recommendation_through_the_storys_recovery() {
    let mut app = app(
        Mode::Presenter,
        Some(&answer_json(
            "process_crash",
            Some("tikv1"),
            "start",
            Some("tikv1"),
            0.9,
        )),
    );
    let effects = press_a(&mut app);
    assert_eq!(
        recoveries(&effects),
        [(Recovery::Start, "tikv1".to_string())]
    );
    assert!(
        matches!(app.fault(), chaosdeck::app::FaultState::Recovering { .. }),
        "the story's Recover now waits for this one"
    );
    // A second press while it runs sends nothing more.
    assert!(recoveries(&press_a(&mut app)).is_empty());
    assert!(app.hint().unwrap().contains("wait"), "{:?}", app.hint());
}

#[test]
fn in_auto_mode_no_agent_recommendation_is_applied() {
    let mut app = app(
        Mode::Auto,
        Some(&answer_json(
            "process_crash",
            Some("tikv1"),
            "start",
            Some("tikv1"),
            0.9,
        )),
    );
    assert!(recoveries(&press_a(&mut app)).is_empty());
    assert!(
        app.hint().unwrap().contains("only a presenter"),
        "{:?}",
        app.hint()
    );
    assert!(matches!(
        app.fault(),
        chaosdeck::app::FaultState::InPlace(_)
    ));
}

#[test]
fn a_recommendation_that_would_not_undo_the_fault_is_not_applied() {
    let mut app = app(
        Mode::Presenter,
        Some(&answer_json(
            "frozen",
            Some("tikv1"),
            "unpause",
            Some("tikv1"),
            0.7,
        )),
    );
    assert!(recoveries(&press_a(&mut app)).is_empty());
    let hint = app.hint().map(str::to_string).unwrap();
    assert!(
        hint.contains("unpause tikv1 would not undo the fault in place"),
        "{hint}"
    );
    assert!(app.fault().fault().is_some());
}

#[test]
fn an_action_outside_the_allowlist_is_never_applied_the_builtins_is() {
    let mut app = app(
        Mode::Presenter,
        Some(&answer_json(
            "process_crash",
            Some("tikv1"),
            "docker rm -f",
            Some("tikv1"),
            0.9,
        )),
    );
    let effects = press_a(&mut app);
    assert_eq!(
        recoveries(&effects),
        [(Recovery::Start, "tikv1".to_string())]
    );
    let journal: Vec<String> = app.journal().entries().map(|e| e.text.clone()).collect();
    assert!(
        journal
            .iter()
            .any(|t| t.contains("applies built-in analyzer's recommendation: start tikv1")),
        "{journal:#?}"
    );
}

#[test]
fn nothing_to_apply_before_a_diagnosis() {
    let mut app = app(Mode::Presenter, None);
    app.set_agent_state(AgentState::Idle);
    assert!(recoveries(&press_a(&mut app)).is_empty());
    assert_eq!(app.hint(), Some("no diagnosis to apply yet"));
}
