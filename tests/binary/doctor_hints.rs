//! `doctor`'s words act on what was checked: hints and the verdict carry
//! the project named with --compose-project (and the options that picked
//! the cluster), and a model that does not answer is reported with the
//! deadline that fired.

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};

use chaosdeck::cluster::pd::client::BODY_LIMIT_ENV;

const PROJECT: &str = "chaosdeck-hints";

/// `chaosdeck doctor` for `PROJECT` with no Docker engine and no PD.
fn doctor(extra: &[&str]) -> String {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(["doctor", "--compose-project", PROJECT])
        .args(["--pd", "http://127.0.0.1:9"])
        .args(extra)
        .env("DOCKER_HOST", "unix:///nonexistent/chaosdeck-test.sock")
        .env_remove(BODY_LIMIT_ENV)
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .output()
        .expect("chaosdeck runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn line<'a>(stdout: &'a str, start: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?}:\n{stdout}"))
}

#[test]
fn hints_and_verdict_name_the_project_checked() {
    let stdout = doctor(&[]);
    let pd = line(&stdout, "PD:");
    assert!(
        pd.contains(&format!(" -p {PROJECT} ps`")),
        "the Compose command acts on {PROJECT}: {pd}"
    );
    let verdict = line(&stdout, "Not ready");
    assert!(
        verdict.contains(&format!(
            "`chaosdeck doctor --compose-project {PROJECT} --pd http://127.0.0.1:9`"
        )),
        "{verdict}"
    );
}

#[test]
fn a_silent_model_is_reported_with_the_deadline_that_fired() {
    // Takes the request and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    let stdout = doctor(&[
        "--agent",
        "openai",
        "--agent-url",
        &url,
        "--model",
        "silent",
        "--agent-first-token",
        "1s",
        "--agent-timeout",
        "30s",
    ]);
    let row = line(&stdout, "WARN  agent");
    assert!(row.contains("no first token within 1.0s"), "{row}");
    assert!(!row.contains("30.0s"), "{row}");
    let hint = line(&stdout, "agent:");
    assert!(hint.contains("raise --agent-first-token"), "{hint}");
}
