//! A chaosdeck killed mid-fault (SIGKILL: no cleanup ran) leaves the fault
//! ledger on disk and faulted nodes behind. The next start reads the ledger,
//! asks the engine, and heals every TiKV node left paused, cut off or
//! exited before the story starts, saying so; with `--no-heal` it only
//! reports. The journal these runs write is then read by `chaosdeck report`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chaosdeck::cluster::FaultKind;
use chaosdeck::cluster::docker::DockerControl;
use chaosdeck::state::ledger::{LedgerEntry, LedgerFile};

use crate::support::{TestProject, docker_or_skip, eventually, unique_project};

const WAIT: Duration = Duration::from_secs(20);

/// One chapter with no action: the story ends as soon as start-up is done.
const NOTHING: &str = "[[chapter]]\ntitle = \"Start-up\"\ndwell = \"1s\"\n";

fn run_chaosdeck(project: &str, dir: &Path, extra: &[&str]) -> String {
    let script = dir.join("story.toml");
    std::fs::write(&script, NOTHING).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(["--cluster", "docker", "--compose-project", project])
        // Nothing listens there: the stand-in project has no PD.
        .args(["--pd", "http://127.0.0.1:1"])
        .args(["--plain", "--auto", "--speed", "10", "--script"])
        .arg(&script)
        .arg("--state-dir")
        .arg(dir)
        .arg("--log-file")
        .arg(dir.join("log"))
        .args(extra)
        // Every test here names the same dead PD, which chaosdeck locks as
        // the cluster's: each test keeps its locks apart.
        .env("CHAOSDECK_LOCK_DIR", dir.join("locks"))
        .output()
        .expect("chaosdeck runs");
    eprintln!(
        "chaosdeck's stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn faulted(control: &DockerControl) -> Vec<(String, String)> {
    let processes = control.processes().await.expect("processes");
    let snapshot = chaosdeck::cluster::ClusterSnapshot {
        taken_at: Duration::ZERO,
        pd_reachable: false,
        pd_members: Vec::new(),
        stores: Vec::new(),
        regions: Default::default(),
        processes,
        troubles: Vec::new(),
    };
    chaosdeck::cluster::health::leftovers(&snapshot)
        .into_iter()
        .map(|l| (l.service, l.recovery.to_string()))
        .collect()
}

fn state_dir(project: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{project}-state"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_sigkill_heals_what_was_left_or_only_reports_it() {
    let project = unique_project("heal");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    for service in ["pd0", "tikv0", "tikv1", "tikv2"] {
        fixture.start_service(service).await;
    }
    let dir = state_dir(&project);
    let ledger = LedgerFile::in_dir(&dir);
    let break_all = || async {
        // What a chaosdeck killed mid-fault leaves: its ledger names the
        // fault it had in place; the others were left by earlier runs or
        // by hand, and only the engine knows of them.
        ledger
            .record(&LedgerEntry {
                fault: FaultKind::Pause.into(),
                service: "tikv0".into(),
                cluster: format!("DOCKER {project}"),
                at: "2026-12-01T10:00:00.000Z".into(),
                pid: 1,
                before: None,
            })
            .unwrap();
        for (kind, service) in [
            (FaultKind::Pause, "tikv0"),
            (FaultKind::Partition, "tikv1"),
            (FaultKind::Kill, "tikv2"),
        ] {
            control
                .inject(kind.into(), service, false)
                .await
                .expect("inject");
        }
        assert!(
            eventually(WAIT, || async { faulted(&control).await.len() == 3 }).await,
            "{:?}",
            faulted(&control).await
        );
    };

    // --no-heal: reported, left as it is.
    break_all().await;
    let out = run_chaosdeck(&project, &dir, &["--no-heal"]);
    assert!(
        out.contains("the ledger says an earlier run left a pause of tikv0"),
        "{out}"
    );
    for (service, recovery) in [
        ("tikv0", "unpause"),
        ("tikv1", "reconnect"),
        ("tikv2", "start"),
    ] {
        assert!(
            out.contains(&format!("{service} "))
                && out.contains(&format!("`{recovery}` would undo it")),
            "{service}: {out}"
        );
    }
    assert_eq!(faulted(&control).await.len(), 3, "nothing healed");
    assert!(ledger.path().exists(), "the ledger is kept");

    // A normal start heals each before the story starts.
    let out = run_chaosdeck(&project, &dir, &[]);
    for (service, recovery) in [
        ("tikv0", "unpause"),
        ("tikv1", "reconnect"),
        ("tikv2", "start"),
    ] {
        assert!(
            out.contains(&format!("start-up: healed {service} ({recovery})")),
            "{service}: {out}"
        );
    }
    let story = out.find("chapter 1/1").expect("the story ran");
    assert!(out.find("start-up: healed").unwrap() < story, "{out}");
    assert!(
        eventually(WAIT, || async { faulted(&control).await.is_empty() }).await,
        "{:?}",
        faulted(&control).await
    );
    assert!(!ledger.path().exists(), "the ledger is cleared once healed");

    // The journal of both runs, with a truncated last line.
    let journal = dir.join("journal.jsonl");
    let mut text = std::fs::read(&journal).unwrap();
    text.extend_from_slice(br#"{"seq":99,"pass":1,"show_s":3.0,"lev"#);
    std::fs::write(&journal, text).unwrap();
    let report = Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .args(["report", "--json"])
        .arg(&journal)
        .output()
        .expect("report runs");
    let value: serde_json::Value =
        serde_json::from_slice(&report.stdout).expect("report --json prints JSON");
    assert_eq!(value["damaged_lines"], 1, "{value}");
    assert_eq!(value["scoreboard"]["passes"], 2, "{value}");
    assert!(value["entries"].as_u64().unwrap() > 5, "{value}");
    let table = Command::new(env!("CARGO_BIN_EXE_chaosdeck"))
        .arg("report")
        .arg(&dir)
        .output()
        .expect("report runs");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("damaged lines skipped 1"), "{table}");
    assert!(table.contains("passes 2 (0 healthy)"), "{table}");

    let _ = std::fs::remove_dir_all(&dir);
    drop(fixture);
}

/// A slow store shows in no process state: only the ledger knows it is
/// there and what its CPU limit was, and a restart puts that back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_restores_the_cpu_limit_the_ledger_kept() {
    let project = unique_project("heal-slow");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    for service in ["pd0", "tikv0", "tikv1", "tikv2"] {
        fixture.start_service(service).await;
    }
    let dir = state_dir(&project);
    let ledger = LedgerFile::in_dir(&dir);
    let before = control.cpu_limit("tikv1").await.expect("tikv1's limit");
    let slow = chaosdeck::cluster::FaultSpec::with(FaultKind::Slow, "cpus", 0.2).unwrap();
    // What a chaosdeck killed mid-fault leaves: the ledger written with the
    // limit before, then the limit lowered.
    ledger
        .record(&LedgerEntry {
            fault: slow,
            service: "tikv1".into(),
            cluster: format!("DOCKER {project}"),
            at: "2026-12-01T10:00:00.000Z".into(),
            pid: 1,
            before: Some(before),
        })
        .unwrap();
    control.inject(slow, "tikv1", false).await.expect("slow");
    let limit = || async {
        control
            .processes()
            .await
            .expect("processes")
            .into_iter()
            .find(|p| p.service == "tikv1")
            .and_then(|p| p.cpu_limit)
    };
    assert!(limit().await.is_some());
    assert!(
        faulted(&control).await.is_empty(),
        "no process state shows it"
    );

    let out = run_chaosdeck(&project, &dir, &[]);
    assert!(out.contains("start-up: healed tikv1 (restore)"), "{out}");
    assert_eq!(limit().await, None, "its CPU limit is as it was: none");
    assert!(!ledger.path().exists(), "the ledger is cleared once healed");
    let _ = std::fs::remove_dir_all(&dir);
    drop(fixture);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_deletes_the_packet_drop_chain_the_ledger_names() {
    let project = unique_project("heal-loss");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let image = crate::support::net_helper_image();
    let control = control.with_net_helper_image(image);
    let fixture = TestProject::create(control.docker(), &project).await;
    for service in ["pd0", "tikv0", "tikv1", "tikv2"] {
        fixture.start_service(service).await;
    }
    let dir = state_dir(&project);
    let ledger = LedgerFile::in_dir(&dir);
    let loss = chaosdeck::cluster::FaultSpec::with(FaultKind::Loss, "percent", 30.0).unwrap();
    // What a chaosdeck killed mid-fault leaves: the ledger, then the rules.
    ledger
        .record(&LedgerEntry {
            fault: loss,
            service: "tikv1".into(),
            cluster: format!("DOCKER {project}"),
            at: "2026-12-01T10:00:00.000Z".into(),
            pid: 1,
            before: None,
        })
        .unwrap();
    control.inject(loss, "tikv1", false).await.expect("loss");
    let tikv1 = control.container_of("tikv1").await.expect("tikv1");
    let chain = chaosdeck::cluster::docker::netfault::CHAIN;
    let rules = control.net_rules(&tikv1).await.expect("its filter");
    assert!(rules.contains(chain), "{rules}");

    let out = run_chaosdeck(&project, &dir, &["--net-helper-image", image]);
    assert!(out.contains("start-up: healed tikv1 (clear)"), "{out}");
    let rules = control.net_rules(&tikv1).await.expect("its filter");
    assert!(!rules.contains(chain), "the chain is gone: {rules}");
    assert!(!ledger.path().exists(), "the ledger is cleared once healed");
    let _ = std::fs::remove_dir_all(&dir);
    drop(fixture);
}
