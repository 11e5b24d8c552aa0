//! The API key is sent to the server and appears nowhere else: not in the
//! progress, the diagnosis, the journal, the screen, an error message or
//! the log (at trace level), even when the server echoes it back.

use std::io::Write;
use std::sync::{Arc, Mutex};

use chaosdeck::agent::model::Provider;
use chaosdeck::agent::{Diagnosis, Progress};
use chaosdeck::app::{AgentState, App, Mode, Msg, update};
use chaosdeck::testing;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::evidence;
use crate::server::{Reply, StandIn};
use crate::streams::*;
use crate::support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything a diagnosis puts anywhere a person or a file could see it.
fn everything_shown(diagnosis: &Diagnosis, progress: &[Progress]) -> String {
    let mut app = testing::app_for_analyzer(Mode::Presenter, "anthropic test-model");
    app.set_agent_state(AgentState::Working {
        run: 3,
        started: Default::default(),
    });
    let mut out = String::new();
    let screen = |app: &App| {
        let mut terminal = Terminal::new(TestBackend::new(160, 50)).unwrap();
        terminal.draw(|f| chaosdeck::ui::view(app, f)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        buffer
            .content
            .iter()
            .map(|c| c.symbol())
            .collect::<String>()
    };
    for p in progress {
        update(
            &mut app,
            Msg::AgentLine {
                run: 3,
                line: p.clone(),
            },
        );
    }
    out.push_str(&screen(&app));
    update(
        &mut app,
        Msg::Diagnosed {
            run: 3,
            result: Ok(diagnosis.clone()),
        },
    );
    out.push_str(&screen(&app));
    for entry in app.journal().entries() {
        out.push_str(&entry.text);
    }
    out.push_str(&format!("{progress:?}{diagnosis:?}"));
    out.push_str(&diagnosis.lines().join("\n"));
    out
}

#[tokio::test]
async fn the_key_shows_nowhere_even_when_the_server_echoes_it() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let echoed = format!(
        r#"{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key: {KEY}"}}}}"#
    );
    let leaky_answer = answer_json(
        "process_crash",
        Some("tikv1"),
        &format!("start {KEY}"),
        None,
        0.9,
    )
    .replace("tikv1 was killed by SIGKILL", &format!("the key is {KEY}"));
    let key_pieces: Vec<String> = pieces(&format!("Your key: {KEY}. "), 3);
    let mut text: Vec<&str> = key_pieces.iter().map(String::as_str).collect();
    text.push(&leaky_answer);
    let cases: Vec<(Provider, Vec<Reply>)> = vec![
        (Provider::Anthropic, vec![Reply::status(401, &[], &echoed)]),
        (Provider::OpenAi, vec![Reply::status(403, &[], &echoed)]),
        (
            Provider::Anthropic,
            vec![Reply::sse(vec![
                message_start(),
                anthropic_error("overloaded_error", &format!("overloaded for {KEY}")),
            ])],
        ),
        (
            Provider::OpenAi,
            vec![
                Reply::sse(openai_tool_turn(&[(
                    "call_1",
                    "store",
                    &format!("{{\"service\":\"{KEY}\"}}"),
                )])),
                Reply::sse(openai_answer(&text)),
            ],
        ),
        (
            Provider::Anthropic,
            vec![Reply::sse(anthropic_answer(&text))],
        ),
    ];
    for (provider, replies) in cases {
        let server = StandIn::start(replies).await;
        let mut limits = limits();
        limits.max_retries = 0;
        let config = config(provider, &server, limits);
        assert!(!format!("{config:?}").contains(KEY), "the config's Debug");
        let (diagnosis, progress) = diagnose(config, None, evidence::kill()).await;
        let requests = server.requests();
        let sent = requests[0]
            .header("x-api-key")
            .or(requests[0].header("authorization"))
            .unwrap_or_default();
        assert!(sent.contains(KEY), "the key was sent ({provider:?})");
        let shown = everything_shown(&diagnosis, &progress);
        assert!(
            !shown.contains(KEY),
            "{provider:?}: the key shows:\n{shown}"
        );
        // Nothing was left to show either: the leaks were real attempts.
        assert!(
            shown.contains("[redacted key]") || shown.contains("HTTP 40"),
            "{provider:?}: {shown}"
        );
    }
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(!log.is_empty(), "the log was captured");
    assert!(!log.contains(KEY), "the log shows the key:\n{log}");
}

#[test]
fn a_missing_key_is_named_by_its_variable_only() {
    let args = <chaosdeck::cli::Cli as clap::Parser>::parse_from([
        "chaosdeck",
        "--agent",
        "anthropic",
        "--agent-key-env",
        "CHAOSDECK_TEST_NO_SUCH_KEY",
    ])
    .show;
    let error = chaosdeck::launch::model_config(&args, |_| None).unwrap_err();
    assert!(error.contains("$CHAOSDECK_TEST_NO_SUCH_KEY"), "{error}");
    let found = chaosdeck::launch::model_config(&args, |name| {
        (name == "CHAOSDECK_TEST_NO_SUCH_KEY").then(|| KEY.to_string())
    })
    .unwrap()
    .unwrap();
    assert!(!format!("{found:?}").contains(KEY));
    // A local server needs no key; the providers' own URLs do.
    let local = <chaosdeck::cli::Cli as clap::Parser>::parse_from([
        "chaosdeck",
        "--agent",
        "openai",
        "--agent-url",
        "http://127.0.0.1:11434/v1",
        "--model",
        "llama3.1",
    ])
    .show;
    let config = chaosdeck::launch::model_config(&local, |_| None)
        .unwrap()
        .unwrap();
    assert_eq!(config.label(), "openai llama3.1");
    assert!(config.key.is_none());
}
