//! Records the simulator's cases of the evaluation set (`evals/sim-*`):
//! the real show on the simulator, on paused time, with an analyzer that
//! keeps the evidence it is handed. The expected answer comes from what was
//! injected, never from an analyzer's verdict.
//!
//! `cargo test --test agent -- --ignored record_simulator_cases` rewrites them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chaosdeck::agent::FaultClass;
use chaosdeck::agent::eval::{CaseFile, Expectation};
use chaosdeck::agent::{Analyzer, AnalyzerError, BuiltinAnalyzer, Diagnosis, Evidence, Progress};
use chaosdeck::app::App;
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::FaultKind;
use chaosdeck::monitor::Signal;
use chaosdeck::show::Frontend;
use chaosdeck::story::parse_script;
use chaosdeck::testing;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Keeps the evidence of the first diagnosis.
#[derive(Default)]
struct Keeper(Mutex<Option<Evidence>>);

#[async_trait]
impl Analyzer for Keeper {
    fn name(&self) -> &str {
        "recorder"
    }

    async fn diagnose(
        &self,
        evidence: Evidence,
        progress: mpsc::Sender<Progress>,
    ) -> Result<Diagnosis, AnalyzerError> {
        self.0.lock().unwrap().get_or_insert(evidence.clone());
        BuiltinAnalyzer::instant()
            .diagnose(evidence, progress)
            .await
    }
}

struct Quiet;

impl Frontend for Quiet {
    fn spawn_input(&mut self, _tx: mpsc::Sender<chaosdeck::app::Msg>, _cancel: CancellationToken) {}
    fn changed(&mut self, _app: &App, _change: chaosdeck::show::Change) {}
}

/// A story that waits for a healthy cluster under load, injects `fault` on
/// tikv1 (if any), waits `settle` seconds of show, then diagnoses.
fn script(fault: Option<FaultKind>, settle: u32) -> String {
    let inject = match fault {
        Some(kind) => format!(
            r#"{{ action = "inject_fault", kind = "{kind}", target = "tikv1" }}, {{ action = "await_detection", timeout = "60s" }},"#
        ),
        None => String::new(),
    };
    format!(
        r#"
[[chapter]]
title = "Record"
on_enter = [
  {{ action = "wait_healthy" }}, {{ action = "start_load" }}, {{ action = "await_baseline" }},
  {inject}
  {{ action = "countdown", seconds = {settle} }},
  {{ action = "diagnose" }}, {{ action = "recover" }}, {{ action = "stop_load" }},
]
auto_advance = true
"#
    )
}

async fn record(seed: u64, fault: Option<FaultKind>, settle: u32) -> Evidence {
    let clock = ShowClock::start(1.0);
    let backend = testing::sim_backend(seed, clock).await;
    let keeper = Arc::new(Keeper::default());
    let script = parse_script(&script(fault, settle), "record").expect("script");
    let mut config = testing::one_pass_config(script, seed);
    config.analyzer_name = "recorder".into();
    let mut app = App::new(config);
    let mut show = testing::show_with(backend, keeper.clone(), clock);
    show.run(&mut app, &mut Quiet).await;
    let evidence = keeper.0.lock().unwrap().take();
    evidence.expect("the story diagnosed")
}

/// PD's word alone: the runtime's events and process states, the workload
/// and every incident not about a store's state are left out.
fn thin(mut evidence: Evidence) -> Evidence {
    evidence.events.clear();
    evidence.samples.clear();
    evidence.baseline = None;
    for snapshot in &mut evidence.snapshots {
        snapshot.processes.clear();
    }
    evidence
        .incidents
        .retain(|i| i.signal == Signal::StoreState);
    evidence
}

fn write(dir: &Path, name: &str, file: &CaseFile, evidence: &Evidence) {
    let case = dir.join(name);
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(case.join("case.toml"), toml::to_string(file).unwrap()).unwrap();
    let mut json = serde_json::to_string_pretty(evidence).unwrap();
    json.push('\n');
    std::fs::write(case.join("evidence.json"), json).unwrap();
}

fn evals_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("evals")
}

#[tokio::test(start_paused = true)]
#[ignore = "rewrites evals/sim-*: run by hand"]
async fn record_simulator_cases() {
    let dir = evals_dir();
    let faults = [
        (
            FaultKind::Kill,
            Some(FaultClass::ProcessCrash),
            "a kill (SIGKILL)",
        ),
        (
            FaultKind::Stop,
            Some(FaultClass::GracefulStop),
            "a graceful stop (SIGTERM)",
        ),
        (
            FaultKind::Pause,
            Some(FaultClass::Frozen),
            "a pause (frozen process)",
        ),
        (
            FaultKind::Partition,
            Some(FaultClass::NetworkPartition),
            "a network partition",
        ),
        (
            FaultKind::Slow,
            Some(FaultClass::SlowStore),
            "a slow store (0.2 CPUs)",
        ),
        (
            FaultKind::Loss,
            Some(FaultClass::PacketLoss),
            "packet loss (30%)",
        ),
    ];
    for (kind, cause, words) in faults {
        let evidence = record(7, Some(kind), 25).await;
        let file = CaseFile {
            description: format!("{words} of tikv1 on the simulator, diagnosed 25 s of show after its detection"),
            recorded: "the simulator (seed 7), through the show's own story runner, by tests/agent/record.rs".into(),
            expect: Expectation {
                root_cause: cause,
                service: Some("tikv1".into()),
                action: format!("{} tikv1", kind.recovery()),
                declines: false,
            },
        };
        write(&dir, &format!("sim-{kind}"), &file, &evidence);
        if kind == FaultKind::Kill {
            let file = CaseFile {
                description: "thin evidence: PD says tikv1 is Disconnected and nothing else is known (no runtime events or process states, no workload)".into(),
                recorded: "sim-kill's evidence with everything but PD's picture and PD's store-state incidents removed, by tests/agent/record.rs".into(),
                expect: Expectation {
                    root_cause: Some(FaultClass::Unknown),
                    service: Some("tikv1".into()),
                    action: "none".into(),
                    declines: true,
                },
            };
            write(&dir, "thin-pd-only", &file, &thin(evidence));
        }
    }
    let healthy = record(7, None, 20).await;
    let file = CaseFile {
        description:
            "a healthy control: the cluster under load, no fault; the right answer is no incident"
                .into(),
        recorded:
            "the simulator (seed 7), through the show's own story runner, by tests/agent/record.rs"
                .into(),
        expect: Expectation {
            root_cause: None,
            service: None,
            action: "none".into(),
            declines: false,
        },
    };
    write(&dir, "sim-healthy", &file, &healthy);
}

/// The show on the simulator of `stores` stores, seeded, telling `script`:
/// the evidence of its first diagnosis and the fault it injected.
async fn record_on(
    seed: u64,
    stores: u8,
    script: &str,
) -> (Evidence, Option<chaosdeck::cluster::InjectedFault>) {
    let clock = ShowClock::start(1.0);
    let stores = stores.to_string();
    let args =
        <chaosdeck::cli::Cli as clap::Parser>::parse_from(["chaosdeck", "--stores", &stores]).show;
    let backend = chaosdeck::launch::backend(&args, seed, clock)
        .await
        .expect("simulator starts");
    let keeper = Arc::new(Keeper::default());
    let script = parse_script(script, "record").expect("script");
    let mut config = testing::one_pass_config(script, seed);
    config.analyzer_name = "recorder".into();
    let mut app = App::new(config);
    let mut show = testing::show_with(backend, keeper.clone(), clock);
    show.run(&mut app, &mut Quiet).await;
    let evidence = keeper.0.lock().unwrap().take();
    let fault = app.timeline().injected.clone();
    (evidence.expect("the story diagnosed"), fault)
}

/// [`script`]'s story with the fault on `target` (`pd-leader`, `pd0`).
fn script_on(kind: FaultKind, target: &str, settle: u32) -> String {
    script(Some(kind), settle).replace("target = \"tikv1\"", &format!("target = \"{target}\""))
}

#[tokio::test(start_paused = true)]
#[ignore = "rewrites evals/sim-pd-*: run by hand"]
async fn record_pd_cases() {
    let dir = evals_dir();
    let recorded = |seed: u64, stores: u8| {
        format!(
            "the simulator ({stores} stores, seed {seed}), through the show's own story runner, by tests/agent/record.rs"
        )
    };
    // PD's leader, whichever member leads: the answer is the member struck.
    let leader_faults = [
        (FaultKind::Kill, 7, 3, "a kill (SIGKILL)"),
        (FaultKind::Stop, 11, 5, "a graceful stop (SIGTERM)"),
        (FaultKind::Pause, 13, 7, "a pause (frozen process)"),
    ];
    for (kind, seed, stores, words) in leader_faults {
        let (evidence, fault) = record_on(seed, stores, &script_on(kind, "pd-leader", 20)).await;
        let fault = fault.expect("a fault was injected");
        assert_eq!(fault.class(), FaultClass::PdLeaderLost);
        let file = CaseFile {
            description: format!(
                "{words} of PD's leader ({}) on the simulator, diagnosed 20 s of show after the members named a new leader",
                fault.service
            ),
            recorded: recorded(seed, stores),
            expect: Expectation {
                root_cause: Some(fault.class()),
                service: Some(fault.service.clone()),
                action: format!("{} {}", kind.recovery(), fault.service),
                declines: false,
            },
        };
        write(&dir, &format!("sim-pd-leader-{kind}"), &file, &evidence);
    }
    // A PD follower killed: a crash like any other, PD keeps its leader.
    let (seed, stores) = (17, 5);
    let leader = testing::simulator(seed, stores, 64).snapshot();
    let follower = leader
        .pd_members
        .iter()
        .find(|m| !m.is_leader)
        .expect("a follower")
        .name
        .clone();
    let (evidence, fault) =
        record_on(seed, stores, &script_on(FaultKind::Kill, &follower, 20)).await;
    let fault = fault.expect("a fault was injected");
    assert_eq!(fault.class(), FaultClass::ProcessCrash, "{fault:?}");
    assert_eq!(fault.service, follower);
    let file = CaseFile {
        description: format!(
            "a kill (SIGKILL) of PD follower {follower} on the simulator: PD keeps its leader, diagnosed 20 s after"
        ),
        recorded: recorded(seed, stores),
        expect: Expectation {
            root_cause: Some(FaultClass::ProcessCrash),
            service: Some(follower.clone()),
            action: format!("start {follower}"),
            declines: false,
        },
    };
    write(&dir, "sim-pd-follower-kill", &file, &evidence);
    // The healthy control, on the largest cluster.
    let (healthy, _) = record_on(19, 7, &script(None, 20)).await;
    let file = CaseFile {
        description:
            "a healthy control on 7 stores: under load, no fault; the right answer is no incident"
                .into(),
        recorded: recorded(19, 7),
        expect: Expectation {
            root_cause: None,
            service: None,
            action: "none".into(),
            declines: false,
        },
    };
    write(&dir, "sim-healthy-7-stores", &file, &healthy);
}
