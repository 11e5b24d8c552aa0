//! User errors at start-up, as a user meets them: a bad option value, a
//! real-cluster setting the backend would refuse later, no terminal for the
//! full screen, and a fresh state directory. Bad input is exit code 2 and
//! one line naming what is wrong, never an error report with a location,
//! a backtrace or colours; a fresh state directory starts without a word.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chaosdeck::cluster::pd::client::BODY_LIMIT_ENV;
use chaosdeck::testing::state_home::fresh_state_home;

/// A one-chapter story, so that a show that does start ends at once.
const ONE_CHAPTER: &str = "[[chapter]]\ntitle = 'a'\ndwell = '1s'\n";

/// A directory of this test's own, removed afterwards.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "chaosdeck-user-errors-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn script(&self) -> String {
        let path = self.0.join("story.toml");
        std::fs::write(&path, ONE_CHAPTER).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary in `dir`, with no Docker engine, its output piped and its
/// input empty.
fn chaosdeck_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(args)
        .current_dir(dir)
        .env("DOCKER_HOST", "unix:///nonexistent/chaosdeck-test.sock")
        .env("XDG_STATE_HOME", fresh_state_home())
        .env_remove(BODY_LIMIT_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("chaosdeck runs")
}

/// Exit code 2, nothing on standard output, and on standard error a clean
/// message: no report, no location, no escape sequence. Returns it.
fn refused(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "nothing started: {stdout}");
    for noise in ["Location:", "BACKTRACE", "Error:", "\u{1b}"] {
        assert!(!stderr.contains(noise), "{noise:?} in: {stderr}");
    }
    stderr
}

#[test]
fn a_value_the_simulator_cannot_run_with_is_refused_naming_the_option_and_range() {
    let dir = TempDir::new("values");
    let script = dir.script();
    for (option, value, range) in [
        (
            "--heartbeat-interval",
            "0",
            "expected 1ms to 8760h (365 days)",
        ),
        (
            "--max-store-down-time",
            "0s",
            "expected a duration above 0, at most 8760h (365 days)",
        ),
    ] {
        let out = chaosdeck_in(
            &dir.0,
            &["--plain", "--auto", "--script", &script, option, value],
        );
        let stderr = refused(&out);
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("invalid value '{value}' for '{option}")),
            "{stderr}"
        );
        assert!(first.contains(range), "{stderr}");
    }
}

#[test]
fn a_real_cluster_setting_the_backend_would_refuse_is_refused_first() {
    let dir = TempDir::new("docker");
    let script = dir.script();
    let out = chaosdeck_in(
        &dir.0,
        &[
            "--plain",
            "--cluster",
            "docker",
            "--script",
            &script,
            "--pd",
            "https://127.0.0.1:2379",
        ],
    );
    let stderr = refused(&out);
    assert!(stderr.contains("for '--pd <URL>'"), "{stderr}");
    assert!(stderr.contains("https is not supported"), "{stderr}");

    // A directory whose name Compose cannot make a project name of.
    let unnamed = dir.0.join("___");
    std::fs::create_dir_all(&unnamed).unwrap();
    let out = chaosdeck_in(
        &unnamed,
        &["--plain", "--cluster", "docker", "--script", &script],
    );
    let stderr = refused(&out);
    assert_eq!(
        stderr,
        "chaosdeck: this directory's name gives no Compose project name; pass --compose-project NAME\n"
    );
}

#[test]
fn the_full_screen_without_a_terminal_says_to_use_plain() {
    let dir = TempDir::new("no-terminal");
    let script = dir.script();
    let state = dir.0.join("state");
    let out = chaosdeck_in(
        &dir.0,
        &["--script", &script, "--state-dir", state.to_str().unwrap()],
    );
    let stderr = refused(&out);
    assert_eq!(
        stderr,
        "chaosdeck: the full screen needs a terminal (neither standard output nor standard input is one); use --plain\n"
    );
    assert!(!state.exists(), "nothing started, nothing written");
}

#[test]
fn a_fresh_state_directory_starts_without_complaint() {
    let dir = TempDir::new("fresh");
    let script = dir.script();
    let state = dir.0.join("never-made");
    let out = chaosdeck_in(
        &dir.0,
        &[
            "--plain",
            "--auto",
            "--speed",
            "50",
            "--script",
            &script,
            "--state-dir",
            state.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let logs: Vec<_> = std::fs::read_dir(state.join("logs"))
        .expect("logs/ made")
        .collect();
    assert_eq!(logs.len(), 1, "one log file: {logs:?}");
}

#[test]
fn a_story_the_cluster_cannot_tell_is_refused_naming_the_chapter_and_the_cluster() {
    let dir = TempDir::new("capabilities");
    let partition = dir.0.join("partition.toml");
    std::fs::write(
        &partition,
        "[[chapter]]\ntitle = 'Calm'\n\n[[chapter]]\ntitle = 'Cut off'\n\
         on_enter = [{ action = 'inject_fault', kind = 'partition' }]\n",
    )
    .unwrap();
    let partition = partition.to_str().unwrap();
    let signals_only = ["--sim-faults", "kill,stop,pause"];
    let state = dir.0.join("state");
    let state = state.to_str().unwrap();

    let mut argv = vec![
        "--plain",
        "--auto",
        "--script",
        partition,
        "--state-dir",
        state,
    ];
    argv.extend_from_slice(&signals_only);
    let stderr = refused(&chaosdeck_in(&dir.0, &argv));
    assert_eq!(
        stderr,
        "chaosdeck: chapter 2 (\"Cut off\") asks for a partition fault on a random TiKV node, \
         but the SIM cluster cannot apply partition faults (it applies kill, stop and pause)\n"
    );

    // A rotation the chapters file writes is checked whole: its second
    // pass would partition, so the booth never starts.
    let rotation = dir.0.join("rotation.toml");
    let default_story = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/chapters.toml"),
    )
    .unwrap();
    std::fs::write(
        &rotation,
        default_story + "\n[kiosk]\nfaults = [{ kind = 'kill' }, { kind = 'partition' }]\n",
    )
    .unwrap();
    let mut argv = vec![
        "--plain",
        "--kiosk",
        "--state-dir",
        state,
        "--script",
        rotation.to_str().unwrap(),
    ];
    argv.extend_from_slice(&signals_only);
    let stderr = refused(&chaosdeck_in(&dir.0, &argv));
    assert_eq!(
        stderr,
        "chaosdeck: chapter 4 (\"Fault\") with fault 2 of the [kiosk] rotation asks for a \
         partition fault on a random TiKV node, but the SIM cluster cannot apply partition \
         faults (it applies kill, stop and pause)\n"
    );

    // A PD member named in the script is faulted now (PD leader failover):
    // tests/core/pd_failover.rs tells that story.
    assert!(
        !state_written(&dir.0.join("state")),
        "refused before the state directory is locked or written"
    );

    // What the story does not ask for is no reason to refuse.
    let script = dir.script();
    let out = chaosdeck_in(
        &dir.0,
        &[
            "--plain",
            "--auto",
            "--speed",
            "50",
            "--script",
            &script,
            "--state-dir",
            state,
            "--sim-faults",
            "kill",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The kiosk's default rotation gives every kind its turn: it leaves
    // out what this cluster does not apply, says so, and runs the rest.
    let other = dir.0.join("kiosk-state");
    let kiosk = Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(["--plain", "--kiosk", "--speed", "50", "--state-dir"])
        .arg(&other)
        .args(signals_only)
        .args(["--log-file", "/dev/null"])
        .env("XDG_STATE_HOME", fresh_state_home())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("chaosdeck runs");
    std::thread::sleep(std::time::Duration::from_secs(2));
    unsafe { libc::kill(kiosk.id() as i32, libc::SIGTERM) };
    let out = kiosk.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(143), "{text}");
    assert!(
        text.contains(
            "kiosk: the rotation leaves out partition, slow and loss \
             (this cluster does not apply them)"
        ),
        "{text}"
    );
    assert!(text.contains("chapter 1/8: Welcome"), "{text}");
}

/// Whether anything but the log folder was made in the state directory.
fn state_written(state: &Path) -> bool {
    std::fs::read_dir(state)
        .is_ok_and(|entries| entries.flatten().any(|entry| entry.file_name() != "logs"))
}
