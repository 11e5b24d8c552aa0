//! A model still at work when the story's time to diagnose runs out: at a
//! high `--speed` the story's 60 s of show are a few real seconds, while the
//! model's timeouts and retries are real time. The built-in diagnosis
//! stands, with a note why, and the pass goes on and ends healthy.

use std::sync::Arc;
use std::time::Duration;

use chaosdeck::agent::model::{ModelAgent, ModelFailure, ModelLimits, Provider};
use chaosdeck::agent::{BuiltinAnalyzer, WithSecondOpinion};
use chaosdeck::app::{AgentState, App, ExitKind};
use chaosdeck::clock::ShowClock;
use chaosdeck::plain::Plain;
use chaosdeck::story::default_script;
use chaosdeck::testing;

use crate::server::{Reply, StandIn};
use crate::support::{config, failure};

/// Anthropic's answer when it is overloaded, with a wait longer than the
/// story's deadline in real time at this speed (3 s), yet one the model's
/// own 50 s allows: so the model is still retrying when the story's time
/// runs out, never failing first.
fn overloaded() -> Reply {
    Reply::status(
        529,
        &[("retry-after", "10")],
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    )
}

#[tokio::test(start_paused = true)]
async fn an_overloaded_model_at_speed_20_leaves_the_builtin_diagnosis_standing() {
    let server = StandIn::start(vec![overloaded()]).await;
    let limits = ModelLimits {
        total: Duration::from_secs(50),
        ..ModelLimits::default()
    };
    let model = ModelAgent::new(config(Provider::Anthropic, &server, limits), None).unwrap();
    let analyzer = Arc::new(WithSecondOpinion::new(BuiltinAnalyzer::instant(), model));
    let agent = chaosdeck::agent::Analyzer::name(&*analyzer).to_string();

    let clock = ShowClock::start(20.0);
    let backend = testing::sim_backend(7, clock).await;
    let mut config = testing::one_pass_config(default_script(), 7);
    config.analyzer_name = agent.clone();
    let mut app = App::new(config);
    let mut show = testing::show_with(backend, analyzer, clock);
    let mut plain = Plain::new(Vec::new(), true);
    let exit = show.run(&mut app, &mut plain).await;
    let out = String::from_utf8(plain.into_inner()).unwrap();

    assert_eq!(exit, ExitKind::Success, "the pass ended healthy:\n{out}");
    assert_eq!(app.scoreboard().healthy_passes, 1, "{out}");
    assert!(!server.requests().is_empty(), "the model was asked");
    let AgentState::Done { diagnosis, .. } = &app.agent().state() else {
        panic!("no diagnosis: {:?}\n{out}", app.agent().state());
    };
    assert_eq!(diagnosis.analyzer, "built-in analyzer");
    assert_eq!(
        failure(diagnosis),
        &ModelFailure::Overdue(Duration::from_secs(60))
    );
    for needle in [
        &format!("{agent} had not answered within 60.0s: the built-in diagnosis stands"),
        "DIAGNOSIS: ",
        "diagnosis by built-in analyzer:",
        "> ✓ Root cause: process killed or crashed on",
        &format!("> ✗ {agent} gave no answer: no answer within the story's 60.0s to diagnose"),
    ] {
        assert!(out.contains(needle), "{needle:?} missing:\n{out}");
    }
    assert!(!out.contains("no diagnosis within"), "{out}");
}
