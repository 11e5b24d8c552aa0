//! The fault matrix, on the release binary in tmux: whatever ends the show
//! (SIGTERM, SIGINT or SIGHUP at every chapter of the default story, the
//! terminal closed mid-fault with or without a hang-up, a panic in a
//! background task), the fault is recovered, the terminal restored where
//! there is one, the ledger cleared, and the exit code is the documented one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use chaosdeck::testing::tmux::{Session, tmux, tmux_available};

const WAIT: Duration = Duration::from_secs(60);

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chaosdeck"))
}

/// A fresh state directory for one run.
fn state_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chaosdeck-matrix-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ledger(dir: &Path) -> PathBuf {
    dir.join("fault-ledger.json")
}

fn journal(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("journal.jsonl")).unwrap_or_default()
}

/// chaosdeck in the pane, under a shell that prints its exit code.
fn show_command(dir: &Path, extra: &str) -> String {
    format!(
        "{} --auto --speed 8 --seed 3 --state-dir {} --log-file {}/log {extra}; echo \"chaosdeck exited with $?\"; sleep 60",
        binary().display(),
        dir.display(),
        dir.display(),
    )
}

fn signal_chaosdeck(session: &Session, signal: &str) {
    let pid = session.display("#{pane_pid}");
    let status = Command::new("pkill")
        .args([&format!("-{signal}"), "-P", &pid, "chaosdeck"])
        .status()
        .expect("pkill runs");
    assert!(status.success(), "chaosdeck found and sent {signal}");
}

fn exit_code(screen: &str) -> Option<i32> {
    let at = screen.find("chaosdeck exited with ")?;
    screen[at + "chaosdeck exited with ".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One signal at chapter `chapter` (1-based) of the default story.
fn signal_at_chapter(signal: &str, number: i32, chapter: usize) {
    let tag = format!("{}-{chapter}", signal.to_lowercase());
    let dir = state_dir(&tag);
    let session = Session::start(&tag, &show_command(&dir, ""), 100, 30);
    let marker = format!("[{chapter}/8]");
    session.wait_for(&marker, WAIT, |s| {
        s.lines().next().is_some_and(|l| l.contains(&marker))
    });
    signal_chaosdeck(&session, signal);
    let screen = session.wait_for("the exit", WAIT, |s| s.contains("chaosdeck exited with"));
    let context = format!(
        "{signal} at chapter {chapter}:\n{screen}\n{}",
        journal(&dir)
    );
    assert_eq!(exit_code(&screen), Some(128 + number), "{context}");
    assert_eq!(
        session.display("#{alternate_on}"),
        "0",
        "terminal restored: {context}"
    );
    assert!(
        !screen.contains("Workload"),
        "the dashboard is gone: {context}"
    );
    assert!(!ledger(&dir).exists(), "the ledger was cleared: {context}");
    assert!(!screen.contains("could NOT recover"), "{context}");
    assert!(
        journal(&dir).contains(&format!("leaving: received {signal}")),
        "journalled: {context}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn every_chapter(signal: &'static str, number: i32) {
    if !tmux_available() {
        return;
    }
    for chapter in 1..=8 {
        signal_at_chapter(signal, number, chapter);
    }
}

#[test]
fn sigterm_at_every_chapter() {
    every_chapter("SIGTERM", 15);
}

#[test]
fn sigint_at_every_chapter() {
    every_chapter("SIGINT", 2);
}

#[test]
fn sighup_at_every_chapter() {
    every_chapter("SIGHUP", 1);
}

fn wait_for_fault(dir: &Path) {
    let start = Instant::now();
    while !ledger(dir).exists() {
        assert!(
            start.elapsed() < WAIT,
            "no fault was injected:\n{}",
            journal(dir)
        );
        sleep(Duration::from_millis(50));
    }
}

const PAUSE_NOW: &str = "[[chapter]]\ntitle = \"Now\"\non_enter = [{ action = \"wait_healthy\" }, { action = \"inject_fault\", kind = \"pause\", target = \"tikv1\" }]\n";

#[test]
fn closing_the_terminal_mid_fault_recovers_it_and_exits_129() {
    if !tmux_available() {
        return;
    }
    let dir = state_dir("close");
    let script = dir.join("story.toml");
    std::fs::write(&script, PAUSE_NOW).unwrap();
    let code = dir.join("code");
    // A parent that outlives the hang-up records chaosdeck's exit code;
    // chaosdeck itself keeps the default SIGHUP disposition.
    let command = format!(
        "python3 -c 'import signal,subprocess,sys; p=subprocess.Popen(sys.argv[2:]); signal.signal(signal.SIGHUP, signal.SIG_IGN); c=p.wait(); open(sys.argv[1], \"w\").write(str(c))' {} {} --speed 4 --script {} --state-dir {} --log-file {}/log",
        code.display(),
        binary().display(),
        script.display(),
        dir.display(),
        dir.display()
    );
    let session = Session::start("close", &command, 100, 30);
    wait_for_fault(&dir);
    session.wait_for("the fault on screen", WAIT, |s| s.contains("since fault"));
    let _ = tmux(&session.name)
        .args(["kill-session", "-t", &session.name])
        .status();
    let start = Instant::now();
    while !code.exists() {
        assert!(
            start.elapsed() < WAIT,
            "chaosdeck did not leave:\n{}",
            journal(&dir)
        );
        sleep(Duration::from_millis(100));
    }
    let journal = journal(&dir);
    assert_eq!(std::fs::read_to_string(&code).unwrap(), "129", "{journal}");
    assert!(!ledger(&dir).exists(), "recovered and cleared:\n{journal}");
    assert!(
        journal.contains("recovering tikv1 (unpause) before leaving"),
        "{journal}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_terminal_that_vanishes_without_a_hangup_ends_the_show_without_spinning() {
    if !tmux_available() {
        return;
    }
    let dir = state_dir("vanish");
    let script = dir.join("story.toml");
    std::fs::write(&script, PAUSE_NOW).unwrap();
    // chaosdeck runs on the pane's terminal but outside its session, so
    // closing the pane sends it no SIGHUP: its input just ends.
    let session = Session::start("vanish", "sleep 600", 100, 30);
    let tty = session.display("#{pane_tty}");
    let open = |write: bool| {
        std::fs::OpenOptions::new()
            .read(!write)
            .write(write)
            .open(&tty)
            .expect("the pane's terminal")
    };
    let mut child = Command::new(binary())
        .args(["--speed", "4", "--script"])
        .arg(&script)
        .arg("--state-dir")
        .arg(&dir)
        .arg("--log-file")
        .arg(dir.join("log"))
        .stdin(Stdio::from(open(false)))
        .stdout(Stdio::from(open(true)))
        .stderr(Stdio::null())
        .spawn()
        .expect("chaosdeck starts");
    wait_for_fault(&dir);
    session.wait_for("the fault on screen", WAIT, |s| s.contains("since fault"));
    let _ = tmux(&session.name).args(["kill-server"]).status();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!(
                "chaosdeck kept running after its terminal went away:\n{}",
                journal(&dir)
            );
        }
        sleep(Duration::from_millis(100));
    };
    let journal = journal(&dir);
    assert_eq!(status.code(), Some(129), "{journal}");
    assert!(journal.contains("the terminal is gone"), "{journal}");
    assert!(!ledger(&dir).exists(), "recovered and cleared:\n{journal}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_panic_in_a_background_task_keeps_the_screen_and_the_show() {
    if !tmux_available() {
        return;
    }
    let dir = state_dir("panic");
    let script = dir.join("story.toml");
    std::fs::write(&script, PAUSE_NOW).unwrap();
    let command = format!(
        "CHAOSDECK_TEST_PANIC=snapshots {} --speed 4 --script {} --state-dir {} --log-file {}/log; echo \"chaosdeck exited with $?\"; sleep 60",
        binary().display(),
        script.display(),
        dir.display(),
        dir.display()
    );
    let session = Session::start("panic", &command, 120, 40);
    // The snapshot task panics on its first round and is restarted; the
    // story still sees the cluster, injects and shows the fault.
    let screen = session.wait_for("the fault after the restart", WAIT, |s| {
        s.contains("since fault")
    });
    assert!(screen.contains("Cluster"), "{screen}");
    assert_eq!(session.display("#{alternate_on}"), "1", "still full screen");
    let journal_text = journal(&dir);
    assert!(
        journal_text.contains("snapshots: panicked: test panic in the snapshots task"),
        "{journal_text}"
    );
    session.keys(&["q"]);
    let screen = session.wait_for("the exit", WAIT, |s| s.contains("chaosdeck exited with"));
    assert_eq!(exit_code(&screen), Some(0), "{screen}");
    assert!(
        screen.contains("recovered tikv1 (unpause after pause)"),
        "{screen}"
    );
    assert!(!ledger(&dir).exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn time_spent_stopped_is_not_show_time() {
    let dir = state_dir("sigstop");
    let script = dir.join("story.toml");
    std::fs::write(&script, "[[chapter]]\ntitle = \"Wait\"\ndwell = \"60s\"\n").unwrap();
    let mut child = Command::new(binary())
        .args(["--plain", "--auto", "--script"])
        .arg(&script)
        .arg("--state-dir")
        .arg(&dir)
        .arg("--log-file")
        .arg(dir.join("log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("chaosdeck starts");
    let pid = child.id().to_string();
    let kill = |signal: &str| {
        Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("kill runs");
    };
    sleep(Duration::from_millis(1500));
    kill("STOP");
    sleep(Duration::from_secs(5));
    kill("CONT");
    sleep(Duration::from_millis(1500));
    kill("TERM");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    let journal = journal(&dir);
    let leaving = journal
        .lines()
        .find(|l| l.contains("leaving: received SIGTERM"))
        .unwrap_or_else(|| panic!("{journal}"));
    let entry: serde_json::Value = serde_json::from_str(leaving).unwrap();
    let show = entry["show_s"].as_f64().unwrap();
    // 8 s of real time, 5 of them stopped: about 3 s of show.
    assert!((2.0..5.0).contains(&show), "show time {show} s: {journal}");
    let _ = std::fs::remove_dir_all(&dir);
}
