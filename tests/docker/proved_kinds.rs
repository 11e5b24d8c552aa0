//! Issue 17, item 4: a fault kind is offered only once proved on this
//! engine, before the terminal is taken. A story naming a kind the engine
//! cannot apply (here, packet loss with no helper image) is refused with
//! exit 2 and the proof's reason; the kiosk's default rotation leaves it out
//! with a note and runs the rest; a slow store, proved by writing a TiKV
//! container's CPU limit back, stays in.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{TestProject, docker_or_skip, unique_project};

/// No image of that name exists, and nothing is ever pulled.
const NO_IMAGE: &str = "chaosdeck-netfault-missing:test";

fn state_dir(project: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{project}-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chaosdeck(project: &str, dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chaosdeck"));
    command
        .args(["--cluster", "docker", "--compose-project", project])
        // The stand-in project here has no PD: none is needed to prove.
        .args(["--pd", "http://127.0.0.1:1", "--plain"])
        .args(["--net-helper-image", NO_IMAGE])
        .arg("--state-dir")
        .arg(dir)
        .arg("--log-file")
        .arg(dir.join("log"))
        // Other tests name the same dead PD, which chaosdeck locks as the
        // cluster's: keep this test's locks apart.
        .env("CHAOSDECK_LOCK_DIR", dir.join("locks"))
        .stdin(Stdio::null());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unproved_kind_is_refused_by_a_story_and_left_out_of_the_default_rotation() {
    let project = unique_project("proved");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    for service in ["tikv0", "tikv1", "tikv2"] {
        fixture.start_service(service).await;
    }

    // The packet-loss story: refused before anything starts, with why.
    let dir = state_dir(&project, "story");
    let out = chaosdeck(&project, &dir)
        .args(["--auto", "--script", "packet-loss"])
        .output()
        .expect("chaosdeck runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.contains("cannot apply loss faults: "), "{err}");
    assert!(err.contains(NO_IMAGE), "the proof's reason: {err}");
    assert!(err.contains("chaosdeck doctor"), "{err}");

    // A kiosk with the default rotation: loss left out with a note, the
    // slow store proved and kept; then SIGTERM ends it as usual.
    let dir = state_dir(&project, "kiosk");
    let kiosk = chaosdeck(&project, &dir)
        .args(["--kiosk", "--speed", "10"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("chaosdeck runs");
    tokio::time::sleep(Duration::from_secs(4)).await;
    unsafe { libc::kill(kiosk.id() as i32, libc::SIGTERM) };
    let out = kiosk.wait_with_output().expect("it leaves");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(143), "{text}");
    let note = text
        .lines()
        .find(|l| l.contains("kiosk: the rotation leaves out"))
        .unwrap_or_else(|| panic!("no note:\n{text}"));
    assert!(note.contains("leaves out loss (loss: "), "{note}");
    assert!(note.contains(NO_IMAGE), "{note}");
    assert!(!note.contains("slow"), "the slow store was proved: {note}");
}
