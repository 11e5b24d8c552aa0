//! Full-frame render of the dashboard at fixed sizes with a busy, realistic
//! state: a store down, a minute of workload, incidents and a diagnosis.
//! Run: `cargo bench --bench render`.

use std::hint::black_box;
use std::time::Duration;

use chaosdeck::app::{AgentState, App, AppConfig, Mode, Msg, update};
use chaosdeck::cluster::*;
use chaosdeck::monitor::MonitorConfig;
use chaosdeck::story::default_script;
use chaosdeck::workload::tracker::TrackerConfig;
use chaosdeck::workload::{SampleSource, WorkloadSample};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn snapshot(at: f64, down: Option<&str>) -> ClusterSnapshot {
    let stores = ["tikv0", "tikv1", "tikv2"]
        .iter()
        .zip([1, 4, 5])
        .map(|(service, id)| {
            let is_down = down == Some(*service);
            Store {
                id,
                service: service.to_string(),
                address: format!("{service}:20160"),
                state: if is_down {
                    StoreState::Disconnected
                } else {
                    StoreState::Up
                },
                leader_count: if is_down { 0 } else { 32 },
                region_count: 64,
                heartbeat_age: Some(secs(if is_down { 24.0 } else { 3.0 })),
                capacity_bytes: Some(500 << 30),
                available_bytes: Some(400 << 30),
            }
        })
        .collect();
    ClusterSnapshot {
        taken_at: secs(at),
        pd_reachable: true,
        pd_members: (0..3)
            .map(|i| PdMember {
                name: format!("pd{i}"),
                client_url: format!("http://pd{i}:2379"),
                is_leader: i == 1,
                healthy: Some(true),
            })
            .collect(),
        stores,
        regions: RegionHealth {
            total: 64,
            without_leader: if down.is_some() { 21 } else { 0 },
            under_replicated: if down.is_some() { 64 } else { 0 },
            led_from_dead_node: 0,
        },
        processes: ["tikv0", "tikv1", "tikv2"]
            .iter()
            .zip([1, 4, 5])
            .map(|(s, id)| Process {
                service: s.to_string(),
                role: NodeRole::Tikv,
                state: if down == Some(*s) {
                    ProcessState::Exited {
                        exit_code: Some(137),
                    }
                } else {
                    ProcessState::Running
                },
                network_connected: true,
                store: Some(id),
            })
            .collect(),
        troubles: Vec::new(),
    }
}

fn busy_app() -> App {
    let mut app = App::new(AppConfig {
        source: ClusterSource::Sim,
        script: default_script(),
        mode: Mode::Presenter,
        seed: 1,
        tracker: TrackerConfig::default(),
        monitor: MonitorConfig::default(),
        analyzer_name: "built-in analyzer".into(),
        exit_after_one_pass: false,
        confirm_window: chaosdeck::app::confirm::WINDOW,
    });
    app.start();
    update(&mut app, Msg::Snapshot(Ok(snapshot(1.0, None))));
    for i in 0..60 {
        let ops = if (40..48).contains(&i) {
            300.0
        } else {
            5000.0 + f64::from(i % 7) * 30.0
        };
        let sample = WorkloadSample {
            at: secs(f64::from(i)),
            ops_per_sec: ops,
            errors_per_sec: 0.0,
            p99: Some(Duration::from_millis(9)),
            source: SampleSource::Simulator,
        };
        update(&mut app, Msg::Sample(sample));
    }
    let fault = InjectedFault {
        kind: FaultKind::Kill,
        service: "tikv1".into(),
        at: secs(40.0),
    };
    update(
        &mut app,
        Msg::Injected {
            run: 1,
            result: Ok(fault),
        },
    );
    update(
        &mut app,
        Msg::Event(ClusterEvent {
            at: secs(40.0),
            service: "tikv1".into(),
            kind: EventKind::Died {
                exit_code: Some(137),
            },
        }),
    );
    update(&mut app, Msg::Snapshot(Ok(snapshot(61.0, Some("tikv1")))));
    let evidence = app.world().evidence_recorder().evidence(
        app.now(),
        app.world().tracker().baseline(),
        app.world().monitor().incidents().to_vec(),
    );
    let diagnosis = chaosdeck::agent::analyze(&evidence).diagnosis;
    app.set_agent_state(AgentState::Done {
        diagnosis: Box::new(diagnosis),
        took: secs(2.0),
    });
    app.show_chapter(5);
    assert_busy(&app);
    app
}

/// The state must be as busy as claimed, or the figures mean nothing.
fn assert_busy(app: &App) {
    let snapshot = app.cluster().snapshot.as_ref().expect("a snapshot");
    let down = snapshot
        .stores
        .iter()
        .filter(|s| s.state == StoreState::Disconnected)
        .count();
    assert_eq!((snapshot.stores.len(), down), (3, 1), "3 stores, 1 down");
    let incidents = app.world().monitor().incidents().len();
    assert!(incidents >= 2, "several incidents, got {incidents}");
    assert!(matches!(app.agent().state(), AgentState::Done { .. }));
    eprintln!(
        "bench state: 3 stores (1 Disconnected), 60 s of samples, {incidents} incidents, {} monitor lines, diagnosis done",
        app.chronicle().pane().len()
    );
}

/// `render`: the view drawing every panel into the frame's buffer (what
/// `ui::view` costs). `draw`: a whole `Terminal::draw`, the view plus the
/// diff against the previous frame and the test backend taking the changes.
fn render(c: &mut Criterion) {
    let app = busy_app();
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        c.bench_function(&format!("render {w}x{h}"), |b| {
            b.iter(|| {
                let mut frame = terminal.get_frame();
                chaosdeck::ui::view(black_box(&app), &mut frame);
            })
        });
        c.bench_function(&format!("draw {w}x{h}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| chaosdeck::ui::view(black_box(&app), frame))
                    .expect("draw");
            })
        });
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
