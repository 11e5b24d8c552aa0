//! Issue 19 through the release binary: a plain run recorded, replayed as
//! plain text (the same lines), as an asciicast (v3's header and event
//! codes, a marker per chapter) and on the full screen in tmux (REPLAY in
//! the header, the player's keys); a damaged or older recording refused by
//! its line, exit 2.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chaosdeck::testing::state_home::fresh_state_home;
use chaosdeck::testing::tmux::{Session, tmux_available};

/// The release binary with `args`, its log discarded, in a fresh state
/// home, with no input.
pub(crate) fn chaosdeck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(args)
        .args(["--log-file", "/dev/null"])
        .env("XDG_STATE_HOME", fresh_state_home())
        .stdin(Stdio::null())
        .output()
        .expect("chaosdeck runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A `--plain --auto` pass recorded into a fresh directory: the recording
/// and what the live run printed.
fn recorded(seed: &str) -> (PathBuf, String) {
    let path = fresh_state_home().join("run.ndjson");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = path.to_str().unwrap();
    let out = chaosdeck(&[
        "--plain", "--auto", "--speed", "50", "--seed", seed, "--record", file,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (path, text(&out.stdout))
}

#[test]
fn a_plain_replay_prints_the_lines_the_live_run_printed() {
    let (path, live) = recorded("4");
    let out = chaosdeck(&[
        "replay",
        path.to_str().unwrap(),
        "--plain",
        "--speed",
        "1000",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let replayed = text(&out.stdout);
    let lines: Vec<&str> = replayed.lines().collect();
    assert!(lines[0].starts_with("chaosdeck REPLAY of "), "{replayed}");
    assert!(lines[0].contains("seed 4"), "{replayed}");
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("chaosdeck REPLAY ended: "),
        "{replayed}"
    );
    // The live run's first line is its own banner; the rest are the story.
    let live: Vec<&str> = live.lines().skip(1).collect();
    assert!(live.iter().any(|l| l.contains("DETECTED")), "{live:#?}");
    assert_eq!(lines[1..lines.len() - 1], live[..]);
}

#[test]
fn a_damaged_or_older_recording_is_refused_by_its_line() {
    let (path, _) = recorded("6");
    let good = std::fs::read_to_string(&path).unwrap();
    let refused = |content: &str| {
        let bad = path.with_file_name("bad.ndjson");
        std::fs::write(&bad, content).unwrap();
        let out = chaosdeck(&["replay", bad.to_str().unwrap(), "--plain"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            out.stdout.is_empty(),
            "nothing replayed: {}",
            text(&out.stdout)
        );
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let mut lines: Vec<&str> = good.lines().collect();
    lines[20] = "{\"t\":3.0,\"msg\":{\"snapshot\":{\"Ok\":[1,2]}}}";
    let err = refused(&(lines.join("\n") + "\n"));
    assert!(err.contains("bad.ndjson:line 21: a damaged line"), "{err}");

    let older = good.replacen(
        "\"chaosdeck_recording\":1,",
        "\"chaosdeck_recording\":0,",
        1,
    );
    let err = refused(&older);
    assert!(
        err.contains("line 1: recorded by chaosdeck 0.1.0 in recording format 0"),
        "{err}"
    );

    let err = refused("{\"wall\":\"2026-01-01T00:00:00Z\",\"seq\":0}\n");
    assert!(err.contains("line 1: not a chaosdeck recording"), "{err}");
}

/// Each event line of a cast: its interval, code and data.
fn events(cast: &str) -> Vec<(f64, String, String)> {
    cast.lines()
        .skip(1)
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("an event is JSON");
            let v = v.as_array().expect("an event is an array");
            assert_eq!(v.len(), 3, "{line}");
            (
                v[0].as_f64().expect("an interval"),
                v[1].as_str().expect("a code").to_string(),
                v[2].as_str().expect("data").to_string(),
            )
        })
        .collect()
}

#[test]
fn an_asciicast_is_v3_with_a_marker_at_each_chapter() {
    let (path, _) = recorded("8");
    let cast = path.with_file_name("talk.cast");
    let out = chaosdeck(&[
        "replay",
        path.to_str().unwrap(),
        "--asciicast",
        cast.to_str().unwrap(),
        "--size",
        "90x28",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cast = std::fs::read_to_string(cast).unwrap();
    let header: serde_json::Value = serde_json::from_str(cast.lines().next().unwrap()).unwrap();
    assert_eq!(header["version"], 3);
    assert_eq!(header["term"]["cols"], 90);
    assert_eq!(header["term"]["rows"], 28);
    let events = events(&cast);
    assert!(
        events
            .iter()
            .all(|(i, code, _)| *i >= 0.0 && ["o", "m", "x"].contains(&code.as_str()))
    );
    let markers: Vec<&str> = events
        .iter()
        .filter(|(_, code, _)| code == "m")
        .map(|(_, _, label)| label.as_str())
        .collect();
    assert_eq!(markers.len(), 8, "{markers:#?}");
    assert_eq!(markers[0], "pass 1 · 1/8 Welcome");
    assert!(markers[4].ends_with("5/8 Detection"), "{markers:#?}");
    assert_eq!(events.last().map(|e| e.1.as_str()), Some("x"));
    // Intervals are relative: they add up to the recording's show time at
    // its recorded pace (50x), a pass of a minute or two.
    let total: f64 = events.iter().map(|e| e.0).sum();
    assert!((0.5..10.0).contains(&total), "{total}");
    // The screen itself, REPLAY in its header from the first frame.
    let first = &events.iter().find(|e| e.1 == "o").unwrap().2;
    assert!(first.starts_with("\u{1b}[2J"), "{first:?}");
    assert!(first.contains("REPLAY"), "{first:?}");
}

fn wait_header(tmux: &Session, what: &str, check: impl Fn(&str) -> bool) -> String {
    tmux.wait_for(what, Duration::from_secs(10), |s| {
        s.lines().next().is_some_and(&check)
    })
}

#[test]
fn the_full_screen_replay_says_replay_and_jumps_by_chapter() {
    if !tmux_available() {
        return;
    }
    let (path, _) = recorded("2");
    let command = format!(
        "{} replay {} --speed 2 --log-file /dev/null; echo EXITED $?; sleep 30",
        env!("CARGO_BIN_EXE_chaosdeck"),
        path.display()
    );
    let tmux = Session::start("replay", &command, 100, 30);
    let header = wait_header(&tmux, "the replay", |h| h.contains("[1/8] Welcome"));
    assert!(header.contains("REPLAY 2x"), "{header}");
    tmux.keys(&["Space"]);
    wait_header(&tmux, "chapter 2", |h| {
        h.contains("REPLAY") && h.contains("[2/8]")
    });
    tmux.keys(&["Space", "Space", "Space"]);
    let screen = wait_header(&tmux, "chapter 5", |h| h.contains("[5/8] Detection"));
    assert!(screen.contains("SPACE next chapter"), "{screen}");
    tmux.keys(&["p"]);
    wait_header(&tmux, "paused", |h| h.contains("REPLAY paused at 2x"));
    tmux.keys(&["+", "p"]);
    wait_header(&tmux, "faster", |h| h.contains("REPLAY 4x"));
    tmux.keys(&["Left"]);
    wait_header(&tmux, "back", |h| {
        h.contains("REPLAY") && h.contains("[4/8]")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", Duration::from_secs(10), |s| {
        s.contains("EXITED 0")
    });
}
