//! Every way out recovers the fault and says so in the journal: the
//! terminating signals beyond TERM/INT/HUP, plain mode's input ending, and a
//! full screen whose keyboard terminal closes with no hang-up and no
//! controlling terminal (a pty harness, no tmux).

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, Instant};

use chaosdeck::testing::tmux::{Session, tmux_available};

const WAIT: Duration = Duration::from_secs(60);

/// Chapter 1 injects at once: the fault is in place while it shows.
const PAUSE_NOW: &str = "[[chapter]]\ntitle = \"Now\"\non_enter = [{ action = \"wait_healthy\" }, { action = \"inject_fault\", kind = \"pause\", target = \"tikv1\" }]\n[[chapter]]\ntitle = \"After\"\n";

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chaosdeck"))
}

fn state_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chaosdeck-leaving-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("story.toml"), PAUSE_NOW).unwrap();
    dir
}

fn ledger(dir: &Path) -> PathBuf {
    dir.join("fault-ledger.json")
}

fn journal(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("journal.jsonl")).unwrap_or_default()
}

/// chaosdeck on the one-chapter-fault story, in `dir`.
fn show(dir: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command
        .args(["--speed", "4", "--seed", "3", "--script"])
        .arg(dir.join("story.toml"))
        .arg("--state-dir")
        .arg(dir)
        .arg("--log-file")
        .arg(dir.join("log"))
        .args(extra);
    command
}

fn wait_for_fault(dir: &Path, child: &mut Child) {
    let start = Instant::now();
    while !ledger(dir).exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "chaosdeck left ({status}) before the fault:\n{}",
                journal(dir)
            );
        }
        assert!(
            start.elapsed() < WAIT,
            "no fault was injected:\n{}",
            journal(dir)
        );
        sleep(Duration::from_millis(20));
    }
}

/// Waits for the child to leave, at most `within`.
fn wait_exit(child: &mut Child, within: Duration, dir: &Path) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chaosdeck did not leave within {within:?}:\n{}",
                journal(dir)
            );
        }
        sleep(Duration::from_millis(20));
    }
}

/// The journal's last line, parsed.
fn last_entry(dir: &Path) -> serde_json::Value {
    let journal = journal(dir);
    let line = journal.lines().last().expect("a journal line");
    serde_json::from_str(line).expect("a JSON line")
}

/// The leave's recovery is the journal's last word, and it succeeded.
fn assert_recovery_journalled(dir: &Path) {
    let last = last_entry(dir);
    let context = journal(dir);
    assert_eq!(last["kind"], "recovery", "{context}");
    assert_eq!(last["service"], "tikv1", "{context}");
    assert_eq!(last["ok"], true, "{context}");
    assert!(
        last["text"]
            .as_str()
            .unwrap()
            .contains("recovered tikv1 (unpause after pause) before leaving"),
        "{context}"
    );
    assert!(!ledger(dir).exists(), "the ledger was cleared: {context}");
}

#[test]
fn every_terminating_signal_mid_fault_recovers_and_exits_128_plus_its_number() {
    for (name, number) in [
        ("QUIT", libc::SIGQUIT),
        ("USR1", libc::SIGUSR1),
        ("USR2", libc::SIGUSR2),
        ("ALRM", libc::SIGALRM),
        ("XCPU", libc::SIGXCPU),
    ] {
        let dir = state_dir(&name.to_lowercase());
        let mut child = show(&dir, &["--plain", "--auto"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_fault(&dir, &mut child);
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(child.id() as i32, number) }, 0);
        let code = wait_exit(&mut child, WAIT, &dir);
        assert_eq!(code, 128 + number, "SIG{name}:\n{}", journal(&dir));
        assert!(
            journal(&dir).contains(&format!("leaving: received SIG{name}")),
            "{}",
            journal(&dir)
        );
        assert_recovery_journalled(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn sigquit_on_the_full_screen_gives_the_terminal_back() {
    if !tmux_available() {
        return;
    }
    let dir = state_dir("quit-screen");
    let command = format!(
        "{}; echo \"chaosdeck exited with $?\"; sleep 60",
        shell_words(&show(&dir, &[]))
    );
    let session = Session::start("leaving-quit", &command, 100, 30);
    session.wait_for("the fault on screen", WAIT, |s| s.contains("since fault"));
    let pid = session.display("#{pane_pid}");
    let status = Command::new("pkill")
        .args(["-QUIT", "-P", &pid, "chaosdeck"])
        .status()
        .unwrap();
    assert!(status.success());
    let screen = session.wait_for("the exit", WAIT, |s| s.contains("chaosdeck exited with"));
    assert!(screen.contains("chaosdeck exited with 131"), "{screen}");
    assert_eq!(session.display("#{alternate_on}"), "0", "{screen}");
    assert_eq!(
        session.display("#{cursor_flag}"),
        "1",
        "cursor shown: {screen}"
    );
    assert_recovery_journalled(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

fn shell_words(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn plain_presenter_with_no_input_says_so_and_exits_129() {
    let dir = state_dir("plain-null");
    let out = show(&dir, &["--plain"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(129), "{stdout}");
    assert!(stdout.contains("input ended"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plain_presenter_whose_input_ends_mid_fault_recovers_it_and_exits_129() {
    let dir = state_dir("plain-eof");
    let mut child = show(&dir, &["--plain"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    wait_for_fault(&dir, &mut child);
    drop(stdin);
    let code = wait_exit(&mut child, WAIT, &dir);
    assert_eq!(code, 129, "{}", journal(&dir));
    assert!(
        journal(&dir).contains("leaving: input ended"),
        "{}",
        journal(&dir)
    );
    assert_recovery_journalled(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plain_auto_goes_on_when_its_input_ends() {
    let dir = std::env::temp_dir().join(format!("chaosdeck-leaving-auto-{}", std::process::id()));
    let out = Command::new(binary())
        .args([
            "--plain",
            "--auto",
            "--speed",
            "50",
            "--seed",
            "3",
            "--state-dir",
        ])
        .arg(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("input ended"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pty pair: (controller, the terminal's own end).
fn pty(columns: u16, rows: u16) -> (OwnedFd, OwnedFd) {
    let (mut controller, mut terminal) = (0, 0);
    let size = libc::winsize {
        ws_row: rows,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two descriptors we then own.
    let made = unsafe {
        libc::openpty(
            &mut controller,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(made, 0, "openpty: {}", std::io::Error::last_os_error());
    // The child must not inherit the controllers: closing ours must close
    // the pty for good.
    for fd in [controller, terminal] {
        // SAFETY: fcntl on descriptors we own.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: both were just opened and are owned by nobody else.
    unsafe {
        (
            OwnedFd::from_raw_fd(controller),
            OwnedFd::from_raw_fd(terminal),
        )
    }
}

/// The full screen with standard input on one pty and output on another,
/// in a session of its own (no controlling terminal, so no SIGHUP ever).
/// Returns the child, the input pty's controller (drop it to close the
/// keyboard) and what the screen wrote so far.
fn full_screen_on_ptys(dir: &Path) -> (Child, OwnedFd, Arc<Mutex<Vec<u8>>>) {
    let (keyboard, keyboard_end) = pty(100, 30);
    let (screen, screen_end) = pty(100, 30);
    let mut command = show(dir, &[]);
    command
        .stdin(Stdio::from(keyboard_end))
        .stdout(Stdio::from(screen_end))
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().unwrap();
    drop(command);
    // The screen pty is drained all along, as a terminal would.
    let written = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&written);
    let mut reader = std::fs::File::from(screen);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    (child, keyboard, written)
}

fn closed_keyboard_leaves(tag: &str, mid_fault: bool) {
    let dir = state_dir(tag);
    if !mid_fault {
        // No fault: the story waits on Welcome for a key.
        std::fs::write(dir.join("story.toml"), "[[chapter]]\ntitle = \"Welcome\"\n").unwrap();
    }
    let (mut child, keyboard, written) = full_screen_on_ptys(&dir);
    if mid_fault {
        wait_for_fault(&dir, &mut child);
    }
    let start = Instant::now();
    while !String::from_utf8_lossy(&written.lock().unwrap()).contains(if mid_fault {
        "since fault"
    } else {
        "Welcome"
    }) {
        assert!(start.elapsed() < WAIT, "nothing drawn");
        sleep(Duration::from_millis(20));
    }
    // Closed, not hung up: without a controlling terminal no SIGHUP comes.
    drop(keyboard);
    let code = wait_exit(&mut child, Duration::from_secs(5), &dir);
    let journal = journal(&dir);
    assert_eq!(code, 129, "{journal}");
    assert!(
        journal.contains("leaving: the terminal is gone"),
        "{journal}"
    );
    if mid_fault {
        assert_recovery_journalled(&dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_keyboard_pty_with_no_hang_up_ends_the_welcome_within_5s() {
    closed_keyboard_leaves("pty-welcome", false);
}

#[test]
fn a_closed_keyboard_pty_with_no_hang_up_recovers_the_fault_within_5s() {
    closed_keyboard_leaves("pty-fault", true);
}
