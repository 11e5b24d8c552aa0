//! The real binary in plain mode, as CI or a screen reader would run it.

use std::process::{Command, Stdio};

use chaosdeck::testing::state_home::fresh_state_home;

fn chaosdeck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(args)
        .args(["--log-file", "/dev/null"])
        .env("XDG_STATE_HOME", fresh_state_home())
        .stdin(Stdio::null())
        .output()
        .expect("chaosdeck runs")
}

#[test]
fn plain_auto_tells_the_whole_story_and_exits_zero() {
    let out = chaosdeck(&["--plain", "--auto", "--speed", "50", "--seed", "9"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for chapter in [
        "Welcome",
        "Cluster health",
        "Load",
        "Fault",
        "Detection",
        "Diagnosis",
        "Recovery",
        "Complete",
    ] {
        assert!(
            stdout.contains(&format!(": {chapter}\n")),
            "chapter {chapter} missing:\n{stdout}"
        );
    }
    for needle in [
        "INJECTED kill",
        "DETECTED",
        "-> Disconnected",
        "Disconnected -> Up",
        "diagnosis by built-in analyzer",
        "> Action: start",
        "timeline:",
        "recovered: +",
    ] {
        assert!(stdout.contains(needle), "{needle:?} missing:\n{stdout}");
    }
    // Everything after the fault is stamped with the time since the fault.
    let after = stdout.split("INJECTED").nth(1).unwrap();
    let stamped = after
        .lines()
        .filter(|l| l.starts_with('['))
        .all(|l| l.contains("T+"));
    assert!(stamped, "{after}");
    assert!(
        !stdout.contains('\u{1b}'),
        "no escape sequences in plain mode"
    );
}

#[test]
fn a_failing_story_exits_non_zero() {
    let script = std::env::temp_dir().join(format!("chaosdeck-fail-{}.toml", std::process::id()));
    std::fs::write(
        &script,
        "[[chapter]]\ntitle = \"Nothing\"\non_enter = [{ action = \"inject_fault\", kind = \"kill\", target = \"tikv9\" }]\n",
    )
    .unwrap();
    let out = chaosdeck(&[
        "--plain",
        "--auto",
        "--speed",
        "50",
        "--script",
        script.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("tikv9"),
        "the reason names the target:\n{stdout}"
    );
    let _ = std::fs::remove_file(script);
}

#[test]
fn a_bad_script_is_rejected_before_the_show_with_line_and_column() {
    let script = std::env::temp_dir().join(format!("chaosdeck-bad-{}.toml", std::process::id()));
    std::fs::write(
        &script,
        "[[chapter]]\ntitle = 'x'\non_enter = [{ action = 'explode' }]\n",
    )
    .unwrap();
    let path = script.to_str().unwrap();
    for args in [vec!["--script", path], vec!["check-script", path]] {
        let out = chaosdeck(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("{path}: line 3, column 24")),
            "{stderr}"
        );
        assert!(stderr.contains("unknown variant `explode`"), "{stderr}");
        assert!(
            !stderr.contains("Backtrace") && !stderr.contains('\u{1b}'),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "the screen was never taken over");
    }
    let out = chaosdeck(&["check-script", "assets/chapters.toml"]);
    assert!(out.status.success());
    let _ = std::fs::remove_file(script);
}

#[test]
fn help_documents_the_simulator_flags() {
    let out = chaosdeck(&["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--cluster",
        "sim",
        "--seed",
        "--speed",
        "--stores",
        "--regions",
        "--plain",
        "--auto",
        "--script",
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
}

/// A backend task that panics is said where the show's notes are, and the
/// show goes on: the simulator's clock stops, its snapshots still answer.
#[test]
fn a_panic_in_a_backend_task_is_said_and_the_show_goes_on() {
    let out = Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(["--plain", "--auto", "--speed", "50", "--seed", "9"])
        .args(["--log-file", "/dev/null"])
        .env("XDG_STATE_HOME", fresh_state_home())
        .env("CHAOSDECK_TEST_PANIC", "simulator clock")
        .stdin(Stdio::null())
        .output()
        .expect("chaosdeck runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("the simulator clock task panicked"))
        .collect();
    assert_eq!(said.len(), 1, "said once:\n{stdout}");
    assert!(
        said[0].contains(
            "test panic in the simulator clock task (CHAOSDECK_TEST_PANIC) (not restarted)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains(": Complete\n"), "the story ends:\n{stdout}");
}
