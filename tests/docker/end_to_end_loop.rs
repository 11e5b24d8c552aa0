//! The story twice in one process against the stand-in project (the booth
//! loop, in plain mode): the second pass learns its own baseline, and it
//! is right; and the full screen walked through in tmux.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chaosdeck::cluster::FaultKind;
use chaosdeck::cluster::docker::DockerControl;

use crate::end_to_end::{docker_args, leftovers, state_dir, story};
use crate::standin_project::StandinProject;
use crate::support::{docker_or_skip, eventually};
use chaosdeck::testing::tmux::{Session, tmux_available};

/// `baseline <n> ops/s` lines, in order.
fn baselines(out: &str) -> Vec<f64> {
    out.lines()
        .filter_map(|line| {
            let rest = line.split("OK   baseline ").nth(1)?;
            // The screen's one number format: `1,000`.
            rest.split_whitespace()
                .next()?
                .replace(',', "")
                .parse()
                .ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_passes_in_one_process_each_with_its_own_right_baseline() {
    let Some(_) = docker_or_skip("e2e-loop").await else {
        return;
    };
    let project = StandinProject::up("loop");
    project.wait_ready(Duration::from_secs(60)).await;
    let control = DockerControl::connect(&project.project)
        .await
        .expect("the project's engine");
    let script = format!(
        "{}\n[kiosk]\nfaults = [{{ kind = \"kill\" }}, {{ kind = \"pause\" }}]\nheal_timeout = \"60s\"\n\
         [kiosk.attract]\ntitle = \"Between passes\"\nnarration = \"Healing.\"\ndwell = \"1s\"\n",
        story(FaultKind::Kill)
    );
    let dir = state_dir(&project.project, "loop");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(docker_args(&project, &dir, &script))
        .args(["--plain", "--kiosk"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chaosdeck runs");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut out = String::new();
    let mut ended = false;
    while Instant::now() < deadline {
        match lines.recv_timeout(Duration::from_secs(1)) {
            Ok(line) => {
                out.push_str(&line);
                out.push('\n');
                if line.contains("pass 2 ended") {
                    ended = true;
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("chaosdeck exits");
    while let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
        out.push_str(&line);
        out.push('\n');
    }
    eprintln!("{out}");
    assert!(ended, "two passes within 240 s:\n{out}\n{}", project.logs());
    assert_eq!(
        status.code(),
        Some(143),
        "SIGTERM ends the loop cleanly:\n{out}"
    );
    assert!(out.contains("INJECTED kill on tikv"), "{out}");
    assert!(out.contains("INJECTED pause on tikv"), "{out}");
    assert!(
        out.contains("pass 1 ended with the cluster healthy"),
        "{out}"
    );
    assert!(
        out.contains("pass 2 ended with the cluster healthy"),
        "{out}"
    );
    let learnt = baselines(&out);
    assert_eq!(learnt.len(), 2, "one baseline per pass:\n{out}");
    // The load aims at 1000 ops/s; each pass measures that, not a mix of
    // the previous pass's fault and recovery.
    for baseline in &learnt {
        assert!(
            (800.0..=1200.0).contains(baseline),
            "baselines {learnt:?} against a 1000 ops/s load:\n{out}"
        );
    }
    assert!(
        eventually(Duration::from_secs(10), || async {
            leftovers(&control).await.is_empty()
        })
        .await,
        "left behind {:?}",
        leftovers(&control).await
    );
}

#[test]
fn baselines_are_read_from_plain_lines() {
    let out = "[   00:06] OK   baseline 5,024 ops/s\n[x] OK   baseline 998.5 ops/s\n";
    assert_eq!(baselines(out), [5024.0, 998.5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_screen_walkthrough_against_the_stand_ins() {
    let Some(_) = docker_or_skip("e2e-tmux").await else {
        return;
    };
    if !tmux_available() {
        return;
    }
    let project = StandinProject::up("tmux");
    project.wait_ready(Duration::from_secs(60)).await;
    let dir = state_dir(&project.project, "tmux");
    let args = docker_args(&project, &dir, &story(FaultKind::Kill));
    let command = format!(
        "{} {} --auto; echo \"chaosdeck exited with $?\"; sleep 30",
        env!("CARGO_BIN_EXE_chaosdeck"),
        args.join(" ")
    );
    let tmux = Session::start("e2e", &command, 120, 40);
    const WAIT: Duration = Duration::from_secs(60);
    let screen = tmux.wait_for("the first chapter", WAIT, |s| s.contains("Cluster health"));
    assert!(screen.contains("DOCKER"), "{screen}");
    tmux.wait_for("a baseline", WAIT, |s| s.contains("DONE baseline"));
    tmux.wait_for("the process incident", WAIT, |s| {
        s.contains("(exit code 137)")
    });
    tmux.wait_for("a store Disconnected", WAIT, |s| {
        s.lines()
            .any(|l| l.contains("tikv") && l.contains("Disconnected"))
    });
    tmux.wait_for("a diagnosis", WAIT, |s| s.contains("Root cause:"));
    tmux.wait_for("recovery", Duration::from_secs(90), |s| {
        s.contains("DONE recovered")
    });
    let screen = tmux.wait_for("the end", WAIT, |s| s.contains("Complete"));
    let up = |s: &str| s.matches("● Up").count() == 3;
    let screen = if up(&screen) {
        screen
    } else {
        tmux.wait_for("every store Up", Duration::from_secs(10), up)
    };
    assert!(!screen.contains("✗ Disconnected"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("a clean exit", WAIT, |s| {
        s.contains("chaosdeck exited with 0")
    });
}
