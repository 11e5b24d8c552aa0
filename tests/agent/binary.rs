//! The binary as a user runs it: plain mode, one pass on the simulator,
//! with `--agent openai --agent-url` pointed at the stand-in server; and
//! `chaosdeck eval` on the repository's set.

use std::process::{Command, Output, Stdio};

use crate::server::{Reply, StandIn};
use crate::streams::*;
use crate::support::KEY;
use chaosdeck::testing::state_home::fresh_state_home;

async fn run(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chaosdeck"));
    command
        .args(args)
        .env("OPENAI_API_KEY", KEY)
        .env("CHAOSDECK_LOG", "trace")
        .env("XDG_STATE_HOME", fresh_state_home())
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_auto_with_an_openai_compatible_server() {
    let answer = answer_json("process_crash", Some("tikv1"), "start", Some("tikv1"), 0.9);
    let server = StandIn::start(vec![
        Reply::sse(openai_tool_turn(&[("call_1", "cluster_snapshot", "{}")])),
        Reply::sse(openai_answer(
            &pieces(&answer, 30)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )),
    ])
    .await;
    let log =
        std::env::temp_dir().join(format!("chaosdeck-agent-binary-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let out = run(&[
        "--plain",
        "--auto",
        "--speed",
        "50",
        "--seed",
        "7",
        "--agent",
        "openai",
        "--agent-url",
        &server.url,
        "--model",
        "stand-in",
        "--log-file",
        log.to_str().unwrap(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("diagnosis by openai stand-in:"), "{stdout}");
    assert!(stdout.contains("        BUILT-IN "), "{stdout}");
    assert!(stdout.contains(" · 1 tool calls · "), "{stdout}");
    assert_eq!(server.requests().len(), 2, "a tool turn and the answer");
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        log_text.contains("tool call"),
        "the log has the tool call: {log_text}"
    );
    for (name, text) in [
        ("stdout", &*stdout),
        ("stderr", &*stderr),
        ("log", &log_text),
    ] {
        assert!(!text.contains(KEY), "the key is in {name}");
    }
    let _ = std::fs::remove_file(&log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_never_answers_leaves_the_show_running_on_the_builtin() {
    let server = StandIn::start(vec![Reply::status(
        401,
        &[],
        r#"{"error":{"message":"bad key","type":"invalid_api_key"}}"#,
    )])
    .await;
    let out = run(&[
        "--plain",
        "--auto",
        "--speed",
        "50",
        "--seed",
        "7",
        "--agent",
        "openai",
        "--agent-url",
        &server.url,
        "--model",
        "stand-in",
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("diagnosis by built-in analyzer:"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "> ✗ openai stand-in gave no answer: HTTP 401 from the server: invalid_api_key: bad key"
        ),
        "{stdout}"
    );
}

#[tokio::test]
async fn eval_scores_the_builtin_analyzer_at_100_percent() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/evals");
    let out = run(&["eval", dir]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("cases right (100%)"), "{stdout}");
}

#[tokio::test]
async fn a_missing_key_is_refused_before_the_show() {
    let out = tokio::task::spawn_blocking(|| {
        Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
            .args(["--plain", "--auto", "--agent", "anthropic"])
            .env_remove("ANTHROPIC_API_KEY")
            .env("XDG_STATE_HOME", fresh_state_home())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("needs an API key in $ANTHROPIC_API_KEY"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing of the show started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_whether_the_agent_answers_and_its_first_token() {
    let server = StandIn::start(vec![Reply::sse(openai_answer(&["ready"]))]).await;
    let out = run(&[
        "doctor",
        "--agent",
        "openai",
        "--agent-url",
        &server.url,
        "--model",
        "stand-in",
        "--pd",
        "http://127.0.0.1:1",
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = stdout
        .lines()
        .find(|l| l.contains(" agent "))
        .unwrap_or_default();
    assert!(row.trim_start().starts_with("ok"), "{stdout}");
    assert!(
        row.contains("openai stand-in at http://127.0.0.1:"),
        "{row}"
    );
    assert!(row.contains("answers: first token after"), "{row}");
    let request = &server.requests()[0];
    assert_eq!(request.body["max_tokens"], 16, "a tiny request");

    // A server that does not answer is a warning: the built-in stands alone.
    let silent = StandIn::start(vec![Reply::status(401, &[], "{}")]).await;
    let out = run(&[
        "doctor",
        "--agent",
        "openai",
        "--agent-url",
        &silent.url,
        "--pd",
        "http://127.0.0.1:1",
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = stdout
        .lines()
        .find(|l| l.contains(" agent "))
        .unwrap_or_default();
    assert!(row.trim_start().starts_with("WARN"), "{stdout}");
    assert!(row.contains("HTTP 401"), "{row}");
    assert!(!stdout.contains(KEY));
}
