//! One chaosdeck per state directory and per cluster: a second one refuses
//! at start (exit 2, naming the first), before it touches the cluster, the
//! ledger, the journal or the terminal; another cluster's ledger entry is
//! kept; a state directory that cannot be written refuses a story that
//! injects.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chaosdeck"))
}

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chaosdeck-once-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chaosdeck(args: &[&str], state: &Path, locks: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .args(args)
        .arg("--state-dir")
        .arg(state)
        .arg("--log-file")
        .arg(state.join("log"))
        .env("CHAOSDECK_LOCK_DIR", locks);
    command
}

/// A presenter-mode show that waits on its first chapter for as long as
/// its input stays open.
fn first_show(args: &[&str], state: &Path, locks: &Path) -> Child {
    let child = chaosdeck(args, state, locks)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !std::fs::read_to_string(state.join("journal.jsonl"))
        .unwrap_or_default()
        .contains("chapter 1/")
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the first show never started"
        );
        sleep(Duration::from_millis(20));
    }
    child
}

fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stop(mut child: Child) {
    drop(child.stdin.take());
    let _ = child.wait();
}

#[test]
fn a_second_chaosdeck_on_one_state_directory_refuses_naming_the_first() {
    let (state, locks) = (temp("dir"), temp("dir-locks"));
    let mut first = first_show(&["--plain"], &state, &locks);
    let before = std::fs::read_to_string(state.join("journal.jsonl")).unwrap();
    let out = chaosdeck(&["--plain", "--auto"], &state, &locks)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("another chaosdeck (pid {}, started ", first.id()))
            && stderr.contains("uses this state directory"),
        "{stderr}"
    );
    assert!(!stdout.contains("chapter 1/"), "no story told: {stdout}");
    let after = std::fs::read_to_string(state.join("journal.jsonl")).unwrap();
    assert_eq!(before, after, "the journal is the first's alone");
    assert!(first.try_wait().unwrap().is_none(), "the first goes on");
    stop(first);
    // Once the first has gone, the directory is free again.
    let out = chaosdeck(&["--plain", "--auto", "--speed", "50"], &state, &locks)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&locks);
}

#[test]
fn a_second_chaosdeck_on_one_cluster_refuses_whatever_its_state_directory() {
    let (one, two, locks) = (temp("cluster-1"), temp("cluster-2"), temp("cluster-locks"));
    let project = format!("chaosdeck-once-{}", std::process::id());
    // PD never answers here: start-up waits for the cluster, holding its lock.
    let args = [
        "--plain",
        "--cluster",
        "docker",
        "--compose-project",
        &project,
        "--pd",
        "http://127.0.0.1:9",
    ];
    let first = chaosdeck(&args, &one, &locks)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = locks.join(format!("docker-project-{project}.lock"));
    let start = Instant::now();
    while !std::fs::read_to_string(&lock)
        .unwrap_or_default()
        .contains("pid")
    {
        assert!(start.elapsed() < Duration::from_secs(30), "no cluster lock");
        sleep(Duration::from_millis(20));
    }
    let out = chaosdeck(&args, &two, &locks)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("another chaosdeck (pid {}, started ", first.id()))
            && stderr.contains("runs on this cluster"),
        "{stderr}"
    );
    assert!(!stdout.contains("start-up:"), "nothing healed: {stdout}");
    stop(first);
    for dir in [one, two, locks] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

const PAUSE_TIKV1: &str = "[[chapter]]\ntitle = \"Now\"\non_enter = [{ action = \"wait_healthy\" }, { action = \"inject_fault\", kind = \"pause\", target = \"tikv1\" }, { action = \"recover\" }]\n";

#[test]
fn another_clusters_ledger_entry_outlives_this_runs_fault() {
    let (state, locks) = (temp("foreign"), temp("foreign-locks"));
    let ledger = state.join("fault-ledger.json");
    let theirs = r#"{"kind":"pause","service":"tikv2","cluster":"DOCKER other","at":"2026-12-01T10:00:00.000Z","pid":1}"#;
    std::fs::write(&ledger, theirs).unwrap();
    let script = state.join("story.toml");
    std::fs::write(&script, PAUSE_TIKV1).unwrap();
    let out = chaosdeck(
        &[
            "--plain",
            "--auto",
            "--speed",
            "20",
            "--script",
            script.to_str().unwrap(),
        ],
        &state,
        &locks,
    )
    .stdin(Stdio::null())
    .output()
    .unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("INJECTED pause"), "{stdout}");
    assert!(
        stdout.contains("on another cluster (DOCKER other): kept"),
        "{stdout}"
    );
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger).expect("the ledger is kept"))
            .unwrap();
    assert_eq!(kept.as_array().map(Vec::len), Some(1), "{kept}");
    assert_eq!(kept[0]["cluster"], "DOCKER other", "{kept}");
    assert_eq!(kept[0]["service"], "tikv2", "{kept}");
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&locks);
}

#[test]
fn a_damaged_ledger_is_set_aside_as_said() {
    let (state, locks) = (temp("damaged"), temp("damaged-locks"));
    std::fs::write(state.join("fault-ledger.json"), "{ truncated").unwrap();
    let out = chaosdeck(&["--plain", "--auto", "--speed", "50"], &state, &locks)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("set aside as"), "{stdout}");
    let aside: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "renamed aside, not deleted");
    assert_eq!(
        std::fs::read_to_string(aside[0].path()).unwrap(),
        "{ truncated"
    );
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&locks);
}

#[test]
fn a_state_directory_that_cannot_be_written_refuses_a_story_that_injects() {
    let (dir, locks) = (temp("unwritable"), temp("unwritable-locks"));
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = chaosdeck(&["--plain", "--auto"], &file, &locks)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("cannot write the state directory") && stderr.contains("not a directory"),
        "{stderr}"
    );
    assert!(!stdout.contains("chapter 1/"), "{stdout}");
    // A story with no fault runs without its state, saying so.
    let script = dir.join("story.toml");
    std::fs::write(&script, "[[chapter]]\ntitle = \"Hello\"\ndwell = \"1s\"\n").unwrap();
    let out = chaosdeck(
        &[
            "--plain",
            "--auto",
            "--speed",
            "50",
            "--script",
            script.to_str().unwrap(),
        ],
        &file,
        &locks,
    )
    .stdin(Stdio::null())
    .output()
    .unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("no state kept"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&locks);
}
