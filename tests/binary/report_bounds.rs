//! `chaosdeck report` fed what is not a tidy journal: a FIFO with no writer,
//! `/dev/zero`, a line far longer than any entry, a gap in the rotated
//! files, a file name with a bidi override; and a journal whose last fault
//! was never recovered. A clear answer and a clean exit every time, nothing
//! lost in silence.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chaosdeck::app::{Entry, Kind, Level};
use chaosdeck::cluster::{FaultKind, Recovery};
use chaosdeck::text::is_unsafe;

/// Far longer than `report` ever needs: reached only when it waits for
/// ever, and then the test fails instead of hanging.
const HANG: Duration = Duration::from_secs(30);

/// `chaosdeck report [--json] PATHS`, failing if it runs for ever.
fn report(json: bool, paths: &[&Path]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chaosdeck"));
    command.arg("report").args(paths);
    if json {
        command.arg("--json");
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chaosdeck runs");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`chaosdeck report {paths:?}` still running after {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chaosdeck-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entry(pass: u32, secs: u64, kind: Kind, text: &str) -> Entry {
    Entry {
        seq: 0,
        pass,
        at: Duration::from_secs(secs),
        after_fault: None,
        level: Level::Info,
        kind,
        text: text.into(),
    }
}

fn note(text: &str) -> Entry {
    entry(1, 1, Kind::Note, text)
}

/// One journal line, as the show writes it.
fn line(entry: &Entry) -> String {
    let mut value = serde_json::to_value(entry).unwrap();
    value["wall"] = "2025-12-07T02:40:00.000Z".into();
    format!("{value}\n")
}

fn write(path: &Path, entries: &[Entry]) {
    let text: String = entries.iter().map(line).collect();
    std::fs::write(path, text).unwrap();
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("report --json prints JSON")
}

#[test]
fn a_fifo_with_no_writer_is_refused_not_waited_on() {
    let dir = dir("fifo");
    let fifo = dir.join("journal.jsonl");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let out = report(false, &[fifo.as_path()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out).contains("not a regular file (a FIFO)"),
        "{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dev_zero_is_refused_as_not_a_regular_file() {
    let out = report(true, &[Path::new("/dev/zero")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let value = json(&out);
    let why = value["unreadable"][0].as_str().unwrap_or_default();
    assert!(why.contains("/dev/zero: not a regular file"), "{value}");
}

#[test]
fn a_line_longer_than_the_limit_is_damaged_and_the_rest_is_read() {
    let dir = dir("long-line");
    let path = dir.join("journal.jsonl");
    // A well-formed entry, but 2 MiB of it: no journal line is that long.
    let huge = note(&"x".repeat(2 << 20));
    write(&path, &[note("before"), huge, note("after")]);
    let value = json(&report(true, &[path.as_path()]));
    assert_eq!(value["entries"], 2, "{value}");
    assert_eq!(value["damaged_lines"], 1, "{value}");
    assert_eq!(value["lines_too_long"], 1, "{value}");
    let out = report(false, &[path.as_path()]);
    assert!(
        text(&out).contains("damaged lines skipped 1 (1 longer than 1 MiB)"),
        "{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_gap_in_the_rotated_files_is_named_and_the_older_file_still_read() {
    let dir = dir("gap");
    let base = dir.join("journal.jsonl");
    write(&base, &[note("newest")]);
    write(&dir.join("journal.jsonl.1"), &[note("older")]);
    write(&dir.join("journal.jsonl.3"), &[note("oldest")]);
    let value = json(&report(true, &[dir.as_path()]));
    assert_eq!(value["entries"], 3, "{value}");
    let files: Vec<&str> = value["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files[0].ends_with("journal.jsonl.3"), "{files:?}");
    let missing = value["missing"][0].as_str().unwrap_or_default();
    assert!(missing.ends_with("journal.jsonl.2"), "{value}");
    let out = text(&report(false, &[dir.as_path()]));
    assert!(
        out.lines()
            .any(|l| l.starts_with("missing  ") && l.contains("journal.jsonl.2")),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn file_names_are_cleaned_in_json_too() {
    let dir = dir("bidi").join("evil\u{202e}lmth.jsonl");
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    write(&dir, &[note("one")]);
    let missing = dir.with_file_name("gone\u{1b}]0;pwned\u{7}.jsonl");
    let out = report(true, &[dir.as_path(), missing.as_path()]);
    let raw = text(&out);
    assert!(!raw.contains('\u{202e}'), "{raw}");
    let value = json(&out);
    let strings = [&value["files"], &value["unreadable"]]
        .into_iter()
        .flat_map(|list| list.as_array().unwrap().iter())
        .map(|s| s.as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert_eq!(strings.len(), 3, "{value}");
    for s in &strings {
        assert!(!s.chars().any(is_unsafe), "{s:?}");
    }
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

fn fault(pass: u32, secs: u64, fault: FaultKind, service: &str) -> Entry {
    let text = format!("INJECTED {fault} on {service}");
    entry(
        pass,
        secs,
        Kind::Fault {
            fault: fault.into(),
            service: service.into(),
            struck: Default::default(),
        },
        &text,
    )
}

fn recovery(service: &str, ok: bool, text: &str) -> Entry {
    let kind = Kind::Recovery {
        recovery: Recovery::Start,
        service: service.into(),
        ok,
        by: None,
    };
    entry(2, 90, kind, text)
}

#[test]
fn a_fault_never_recovered_is_listed_first_and_across_files() {
    let dir = dir("left-behind");
    let base = dir.join("journal.jsonl");
    // Older file: tikv1 killed and not brought back, tikv3 killed.
    write(
        &dir.join("journal.jsonl.1"),
        &[
            fault(1, 10, FaultKind::Kill, "tikv1"),
            recovery(
                "tikv1",
                false,
                "RECOVERY: start tikv1 refused: no answer within 10s",
            ),
            fault(2, 70, FaultKind::Pause, "tikv3"),
        ],
    );
    // Newer file: tikv3 healed at start; tikv2 stopped and started again.
    write(
        &base,
        &[
            recovery("tikv3", true, "healed tikv3 (unpause)"),
            fault(3, 130, FaultKind::Stop, "tikv2"),
            recovery("tikv2", true, "RECOVERY: start tikv2 done"),
        ],
    );
    let out = report(false, &[dir.as_path()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let table = text(&out);
    let lines: Vec<&str> = table.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("entries  "))
        .map(|i| lines[i + 1]);
    assert_eq!(
        first,
        Some(
            "left behind  kill of tikv1 at 2025-12-07T02:40:00.000Z (pass 1): \
             not recovered: RECOVERY: start tikv1 refused: no answer within 10s"
        ),
        "{table}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("left behind"))
            .count(),
        1,
        "{table}"
    );

    let value = json(&report(true, &[dir.as_path()]));
    let left = value["left_behind"].as_array().expect("left_behind");
    assert_eq!(left.len(), 1, "{value}");
    assert_eq!(left[0]["fault"], "kill", "{value}");
    assert_eq!(left[0]["service"], "tikv1", "{value}");
    assert_eq!(left[0]["pass"], 1, "{value}");
    assert_eq!(left[0]["show_s"], 10.0, "{value}");
    assert!(
        left[0]["why"].as_str().unwrap().contains("no answer"),
        "{value}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_fault_with_no_recovery_tried_says_only_not_recovered() {
    let dir = dir("left-no-try");
    let base = dir.join("journal.jsonl");
    let mut last = fault(1, 65, FaultKind::Partition, "tikv2\u{202e}");
    last.text = "INJECTED partition".into();
    std::fs::write(
        &base,
        serde_json::to_string(&last).unwrap() + "\n", // no wall: the show time instead
    )
    .unwrap();
    let table = text(&report(false, &[base.as_path()]));
    assert!(
        table.contains(
            "left behind  partition of tikv2\u{fffd} at show time 01:05 (pass 1): not recovered\n"
        ),
        "{table}"
    );
    let value = json(&report(true, &[base.as_path()]));
    assert_eq!(
        value["left_behind"][0]["service"], "tikv2\u{fffd}",
        "{value}"
    );
    assert_eq!(
        value["left_behind"][0]["why"],
        serde_json::Value::Null,
        "{value}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
