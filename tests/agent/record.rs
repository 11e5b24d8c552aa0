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
