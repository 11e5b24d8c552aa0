//! A private tmux server per test, driven like a person at the keyboard.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A tmux session on its own server (`-L`), so tests never share one.
pub struct Session {
    pub name: String,
}

pub fn tmux(name: &str) -> Command {
    let mut cmd = Command::new("tmux");
    cmd.args(["-L", name]);
    cmd
}

impl Session {
    pub fn start(tag: &str, command: &str, width: u16, height: u16) -> Self {
        let name = format!("chaosdeck-{tag}-{}", std::process::id());
        // Its own state home, unless the command names a --state-dir.
        let command = format!(
            "export XDG_STATE_HOME='{}'; {command}",
            super::state_home::fresh_state_home().display()
        );
        let status = tmux(&name)
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .arg(&command)
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        Self { name }
    }

    pub fn keys(&self, keys: &[&str]) {
        let status = tmux(&self.name)
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// The screen as text; with `escapes`, with its colour escape sequences.
    pub fn screen(&self, escapes: bool) -> String {
        let mut cmd = tmux(&self.name);
        cmd.args(["capture-pane", "-p", "-t", &self.name]);
        if escapes {
            cmd.arg("-e");
        }
        let out = cmd.output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn display(&self, format: &str) -> String {
        let out = tmux(&self.name)
            .args(["display-message", "-p", "-t", &self.name, format])
            .output()
            .expect("tmux display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until `check` holds for the screen, or fails showing the screen.
    pub fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen(false);
            if check(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = tmux(&self.name).arg("kill-server").status();
    }
}

pub fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("CHAOSDECK_REQUIRE_TMUX").is_ok_and(|v| v == "1") {
            panic!("tmux is required (CHAOSDECK_REQUIRE_TMUX=1) but was not found");
        }
        eprintln!("SKIP tmux walkthrough: tmux not found (install tmux to run it)");
    }
    found
}
