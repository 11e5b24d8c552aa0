//! `chaosdeck doctor` with no cluster: a table of clear failures, a non-zero
//! exit, and no backtrace.

use std::process::{Command, Stdio};

#[test]
fn doctor_without_a_cluster_fails_clearly() {
    let out = Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(["doctor", "--compose-project", "chaosdeck-no-such-project"])
        .args(["--pd", "http://127.0.0.1:9", "--pd", "127.0.0.1:10"])
        .stdin(Stdio::null())
        .output()
        .expect("chaosdeck runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    for row in [
        "Docker engine",
        "Compose tool",
        "Compose project",
        "PD",
        "TiKV stores",
        "load output",
        "terminal size",
    ] {
        assert!(stdout.contains(row), "no {row} row:\n{stdout}");
    }
    assert!(stdout.contains("FAIL"), "{stdout}");
    assert!(
        stdout.contains("chaosdeck-no-such-project"),
        "names the project:\n{stdout}"
    );
    assert!(
        stdout.contains("127.0.0.1:9"),
        "names the PD endpoints tried:\n{stdout}"
    );
    for noise in ["panicked", "Backtrace", "RUST_BACKTRACE", "\u{1b}["] {
        assert!(
            !stdout.contains(noise) && !stderr.contains(noise),
            "{noise}:\n{stdout}\n{stderr}"
        );
    }
}
