//! Walks the real binary through the whole default story in tmux at 120x40,
//! reading the screen as the audience would. Skips (saying so) without tmux;
//! fails instead when CHAOSDECK_REQUIRE_TMUX=1, as in CI.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use chaosdeck::testing::tmux::{Session, tmux_available};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn the_whole_story_on_the_real_binary() {
    if !tmux_available() {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chaosdeck"));
    let log = std::env::temp_dir().join(format!("chaosdeck-tmux-{}.log", std::process::id()));
    let command = format!(
        "{} --seed 11 --speed 10 --log-file {}; echo \"chaosdeck exited with $?\"; sleep 30",
        binary.display(),
        log.display()
    );
    let tmux = Session::start("walkthrough", &command, 120, 40);

    let screen = tmux.wait_for("the welcome chapter", WAIT, |s| {
        s.contains("[1/8]") && s.contains("Cluster")
    });
    assert!(
        screen.contains("SIM") && screen.contains("PRESENTER"),
        "{screen}"
    );

    tmux.keys(&["Space"]);
    tmux.wait_for("every store Up", WAIT, |s| {
        s.contains("[2/8]") && s.contains("DONE the cluster is healthy")
    });

    tmux.keys(&["Space"]);
    tmux.wait_for("a baseline", WAIT, |s| {
        s.contains("[3/8]") && s.contains("DONE baseline")
    });

    // The fault: the countdown runs, then a store is killed and we move on.
    tmux.keys(&["PageDown"]);
    tmux.wait_for("the detection chapter", WAIT, |s| s.contains("[5/8]"));
    // The runtime's event comes first: an incident in the monitor pane.
    tmux.wait_for("the process incident", WAIT, |s| {
        s.contains("(exit code 137)") && s.contains("since fault")
    });
    // PD's rule takes 10 to 20 s of show time: then the store turns red.
    let store_down = |s: &str| {
        s.lines()
            .any(|l| l.contains("tikv") && l.contains("✗ Disconnected"))
    };
    tmux.wait_for("a store Disconnected", WAIT, store_down);
    let coloured = tmux.screen(true);
    // Red is SGR 31, or 38;5;1 as tmux writes it.
    let red_store = coloured
        .lines()
        .any(|l| l.contains("\u{1b}[31m✗ Disconnected") || l.contains("38;5;1m✗ Disconnected"));
    assert!(red_store, "the disconnected store is red:\n{coloured}");

    tmux.wait_for("detection done", WAIT, |s| s.contains("DONE detected"));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("a diagnosis", WAIT, |s| {
        s.contains("[6/8]") && s.contains("✓ Root cause:")
    });
    assert!(screen.contains("Agent"), "{screen}");
    // The diagnosis is longer than the pane: it scrolls, and says so.
    tmux.wait_for("more of the diagnosis below", WAIT, |s| {
        s.contains("more below · ↑↓")
    });
    tmux.keys(&["Down", "Down", "Down"]);
    let scrolled = tmux.wait_for("the agent pane scrolled", WAIT, |s| {
        s.contains("▲ 3 more above · ↑↓")
    });
    assert!(
        !scrolled.contains("✓ Root cause:"),
        "the first line scrolled out of view:\n{scrolled}"
    );
    tmux.keys(&["Up", "Up", "Up"]);
    tmux.wait_for("back at the top", WAIT, |s| {
        s.contains("✓ Root cause:") && !s.contains("more above · ↑↓")
    });

    tmux.keys(&["Space"]);
    tmux.wait_for("recovery", Duration::from_secs(60), |s| {
        s.contains("[7/8]") && s.contains("DONE recovered")
    });

    tmux.keys(&["Space"]);
    let screen = tmux.wait_for("the end", WAIT, |s| s.contains("[8/8]"));
    assert!(!store_down(&screen), "all green at the end:\n{screen}");
    assert_eq!(screen.matches("● Up").count(), 3, "{screen}");
    assert!(
        screen.contains("✓ recovered T+"),
        "the timeline is complete:\n{screen}"
    );
    // The whole episode on the chart: the fault, PD's verdict, the
    // re-election and the recovery, marked on the time axis and named in
    // the legend, with the dip between them.
    for word in [
        "F fault",
        "P PD verdict",
        "E leaders re-elected",
        "R recovered",
    ] {
        assert!(screen.contains(word), "{word:?} on the chart:\n{screen}");
    }
    let marker_row = screen
        .lines()
        .find(|l| l.contains('F') && l.contains('R') && l.contains('─') && !l.contains("fault"))
        .unwrap_or_else(|| panic!("a marker row with F ... R:\n{screen}"));
    let (f, r) = (
        marker_row.find('F').unwrap(),
        marker_row.rfind('R').unwrap(),
    );
    assert!(f < r, "the fault comes before the recovery: {marker_row}");
    let coloured = tmux.screen(true);
    let red_bar = "▁▂▃▄▅▆▇█".chars().any(|g| {
        coloured.contains(&format!("31m{g}"))
            || coloured.contains(&format!("38;5;1m{g}"))
            || coloured.contains(&format!("31;100m{g}"))
    });
    assert!(red_bar, "the dip is on the chart in red:\n{coloured}");

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the exit", WAIT, |s| s.contains("chaosdeck exited with"));
    assert!(screen.contains("chaosdeck exited with 0"), "{screen}");
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "left the alternate screen"
    );
    assert_eq!(
        tmux.display("#{cursor_flag}"),
        "1",
        "the cursor is visible again"
    );
    assert!(
        !screen.contains("Workload"),
        "the dashboard is gone:\n{screen}"
    );
}

#[test]
fn quitting_mid_fault_recovers_the_node_first() {
    if !tmux_available() {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chaosdeck"));
    let script = std::env::temp_dir().join(format!("chaosdeck-quick-{}.toml", std::process::id()));
    std::fs::write(
        &script,
        "[[chapter]]\ntitle = \"Kill now\"\non_enter = [{ action = \"wait_healthy\" }, \
         { action = \"inject_fault\", kind = \"pause\", target = \"tikv1\" }]\n",
    )
    .unwrap();
    let command = format!(
        "{} --speed 5 --script {} --log-file /dev/null; echo \"chaosdeck exited with $?\"; sleep 30",
        binary.display(),
        script.display()
    );
    let tmux = Session::start("quit", &command, 100, 30);
    tmux.wait_for("the fault", WAIT, |s| s.contains("since fault"));
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("the exit", WAIT, |s| s.contains("chaosdeck exited with"));
    assert!(
        screen.contains("recovered tikv1 (unpause after pause)"),
        "{screen}"
    );
    // Ctrl+C is a key in raw mode, and leaves as SIGINT would: 128 + 2.
    assert!(screen.contains("chaosdeck exited with 130"), "{screen}");
    let _ = std::fs::remove_file(script);
}

#[test]
fn sigterm_recovers_the_fault_and_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chaosdeck"));
    let script = std::env::temp_dir().join(format!("chaosdeck-term-{}.toml", std::process::id()));
    std::fs::write(
        &script,
        "[[chapter]]\ntitle = \"Kill now\"\non_enter = [{ action = \"wait_healthy\" }, \
         { action = \"inject_fault\", kind = \"kill\", target = \"tikv2\" }]\n",
    )
    .unwrap();
    let log = std::env::temp_dir().join(format!("chaosdeck-term-{}.log", std::process::id()));
    let command = format!(
        "{} --speed 5 --script {} --log-file {}; echo \"chaosdeck exited with $?\"; sleep 30",
        binary.display(),
        script.display(),
        log.display()
    );
    let tmux = Session::start("sigterm", &command, 100, 30);
    tmux.wait_for("the fault", WAIT, |s| s.contains("since fault"));
    let pid = tmux.display("#{pane_pid}");
    // The pane runs a shell; chaosdeck is its child.
    let status = Command::new("pkill")
        .args(["-TERM", "-P", &pid, "chaosdeck"])
        .status()
        .expect("pkill runs");
    assert!(status.success(), "chaosdeck found and signalled");
    let screen = tmux.wait_for("the exit", WAIT, |s| s.contains("chaosdeck exited with"));
    assert!(
        screen.contains("recovered tikv2 (start after kill)"),
        "{screen}"
    );
    assert!(screen.contains("chaosdeck exited with 143"), "{screen}");
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "left the alternate screen"
    );
    let _ = std::fs::remove_file(script);
    let _ = std::fs::remove_file(log);
}
