//! PD's leader killed, stopped or frozen on the simulator: the lease, the
//! followers' 503s, the election and the TSO gap in the model; the whole
//! `pd-failover` story on paused time, detected by the members' leader
//! change, diagnosed as PD's leader lost, recovered and healthy.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chaosdeck::app::{App, Entry, ExitKind, Msg};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::sim::{LEADER_LEASE, Simulator};
use chaosdeck::cluster::{
    ClusterSnapshot, DataSource, EventKind, FaultKind, FaultTarget, NodeRole, Recovery, StoreState,
    Struck,
};
use chaosdeck::faults::FaultClass;
use chaosdeck::monitor::Signal;
use chaosdeck::show::Frontend;
use chaosdeck::story::load_script;
use chaosdeck::testing;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const SEC: Duration = Duration::from_secs(1);

fn leader(snap: &ClusterSnapshot) -> Option<&str> {
    snap.pd_members
        .iter()
        .find(|m| m.is_leader)
        .map(|m| m.name.as_str())
}

/// Steps the simulator a tenth of a second at a time for `span`, with
/// each snapshot.
fn watch(sim: &mut Simulator, span: Duration) -> Vec<ClusterSnapshot> {
    let end = sim.now() + span;
    let mut seen = Vec::new();
    while sim.now() < end {
        sim.advance(Duration::from_millis(100));
        seen.push(sim.snapshot());
    }
    seen
}

#[test]
fn a_killed_pd_leader_goes_silent_then_leaderless_then_is_replaced() {
    for seed in [1, 7, 23, 40] {
        let mut sim = testing::simulator(seed, 3, 64);
        sim.set_load(true);
        sim.advance(SEC * 20);
        let before = sim.snapshot();
        let old = leader(&before).expect("a leader at start").to_string();
        let fault = sim.inject(FaultKind::Kill, &old).expect("kill PD's leader");
        assert_eq!(fault.struck, Struck::PdLeader);
        assert_eq!(fault.class(), FaultClass::PdLeaderLost);
        let died = sim.drain_events();
        assert!(
            died.iter().any(|e| e.service == old
                && e.kind
                    == EventKind::Died {
                        exit_code: Some(137)
                    }),
            "{died:?}"
        );
        let seen = watch(&mut sim, SEC * 15);
        let silent = seen
            .iter()
            .position(|s| !s.pd_reachable && leader(s).is_none())
            .expect("a spell with no leader");
        let first_no_leader = seen[silent].taken_at - fault.at;
        assert!(
            first_no_leader > SEC && first_no_leader <= LEADER_LEASE + SEC / 10,
            "the lease ran out {first_no_leader:?} after the kill"
        );
        // Before that, the stale picture still names the old leader, and
        // says PD does not answer: never shown as live.
        assert!(
            seen[..silent]
                .iter()
                .all(|s| !s.pd_reachable && leader(s) == Some(old.as_str()))
        );
        let no_leader = seen[silent].trouble(DataSource::Pd).unwrap();
        assert!(no_leader.contains("503"), "{no_leader}");
        let back = seen
            .iter()
            .position(|s| s.pd_reachable)
            .expect("PD answers again");
        let new = leader(&seen[back]).expect("a new leader").to_string();
        assert_ne!(new, old);
        let tso = seen
            .iter()
            .position(|s| {
                s.pd_members
                    .iter()
                    .any(|m| m.is_leader && m.serves_tso == Some(true))
            })
            .expect("TSO served again");
        let stall = seen[tso].taken_at - fault.at;
        assert!(
            stall >= SEC * 4 && stall <= SEC * 8 + SEC / 10,
            "TSO stalled {stall:?}"
        );
        // TiKV carries on: every store Up, every region led, throughput on.
        let last = seen.last().unwrap();
        assert!(last.stores.iter().all(|s| s.state == StoreState::Up));
        assert_eq!(last.regions.led_from_dead_node, 0);
        let baseline = sim.drain_samples();
        let lowest = baseline
            .iter()
            .filter(|s| s.at > fault.at)
            .map(|s| s.ops_per_sec)
            .fold(f64::MAX, f64::min);
        assert!(lowest > 4000.0, "raw KV barely dips: lowest {lowest}");
        assert!(!last.is_healthy(), "the old leader is still down");

        sim.recover(Recovery::Start, &old).expect("start it");
        let after = watch(&mut sim, SEC * 5);
        let last = after.last().unwrap();
        assert!(
            last.is_healthy(),
            "{:?}",
            chaosdeck::cluster::health::troubles(last)
        );
        assert_eq!(leader(last), Some(new.as_str()), "it comes back a follower");
        assert!(sim.fault().is_none());
    }
}

#[test]
fn a_stopped_leader_resigns_at_once_and_a_follower_moves_nothing() {
    let mut sim = testing::simulator(5, 3, 64);
    sim.advance(SEC * 5);
    let old = leader(&sim.snapshot()).unwrap().to_string();
    sim.inject(FaultKind::Stop, &old).expect("stop");
    sim.advance(Duration::from_millis(100));
    let snap = sim.snapshot();
    assert!(
        !snap.pd_reachable && leader(&snap).is_none(),
        "no wait for the lease"
    );
    sim.advance(SEC * 10);
    sim.recover(Recovery::Start, &old).unwrap();

    let mut calm = testing::simulator(5, 3, 64);
    calm.advance(SEC * 5);
    let snap = calm.snapshot();
    let follower = snap
        .pd_members
        .iter()
        .find(|m| !m.is_leader)
        .unwrap()
        .name
        .clone();
    let fault = calm.inject(FaultKind::Pause, &follower).unwrap();
    assert_eq!(fault.struck, Struck::PdFollower);
    assert_eq!(fault.class(), FaultClass::Frozen);
    let seen = watch(&mut calm, SEC * 10);
    assert!(
        seen.iter()
            .all(|s| s.pd_reachable && leader(s) == leader(&snap))
    );
    let paused = seen.last().unwrap();
    let process = paused.process(&follower).unwrap();
    assert_eq!(process.role, NodeRole::Pd);
    assert!(!paused.is_healthy());
    assert!(
        calm.recover(Recovery::Start, &follower).is_err(),
        "the wrong recovery"
    );
    calm.recover(Recovery::Unpause, &follower).unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_backend_faults_pd_s_leader_only_while_it_leads() {
    let clock = ShowClock::start(1.0);
    let sim = testing::sim_backend(9, clock).await;
    let snap = sim.snapshot().await.unwrap();
    let old = leader(&snap).unwrap().to_string();
    let other = snap
        .pd_members
        .iter()
        .find(|m| !m.is_leader)
        .unwrap()
        .name
        .clone();
    let moved = sim
        .inject(FaultKind::Kill.into(), FaultTarget::PdLeader(&other))
        .await
        .unwrap_err();
    assert!(moved.to_string().contains("moved from"), "{moved}");
    let fault = sim
        .inject(FaultKind::Kill.into(), FaultTarget::PdLeader(&old))
        .await
        .unwrap();
    assert_eq!(
        (fault.service.as_str(), fault.struck),
        (old.as_str(), Struck::PdLeader)
    );
}

/// Records the journal and leaves after one pass.
#[derive(Default)]
struct Recorder {
    entries: Arc<Mutex<Vec<Entry>>>,
    cursor: chaosdeck::app::Cursor,
}

impl Frontend for Recorder {
    fn spawn_input(&mut self, _tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {}

    fn changed(&mut self, app: &App, _change: chaosdeck::show::Change) {
        let (_, new) = app.journal().read(&mut self.cursor);
        self.entries.lock().unwrap().extend(new.cloned());
    }
}

#[tokio::test(start_paused = true)]
async fn the_pd_failover_story_runs_start_to_finish() {
    for seed in [3, 11] {
        let script = load_script(Path::new("pd-failover")).expect("the built-in story");
        let clock = ShowClock::start(1.0);
        let backend = testing::sim_backend(seed, clock).await;
        let mut app = App::new(testing::one_pass_config(script, seed));
        let mut show = testing::instant_show(backend, clock);
        let mut recorder = Recorder::default();
        let exit = show.run(&mut app, &mut recorder).await;
        let texts: Vec<String> = recorder
            .entries
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.text.clone())
            .collect();
        assert_eq!(exit, ExitKind::Success, "{texts:#?}");
        let timeline = app.timeline();
        let fault = timeline.injected.as_ref().expect("a fault");
        assert_eq!(fault.struck, Struck::PdLeader);
        assert!(fault.service.starts_with("pd"));
        let injected = format!("INJECTED kill on {} (PD's leader)", fault.service);
        assert!(texts.contains(&injected), "{texts:#?}");
        let leader_change = timeline
            .signal(Signal::PdLeaderChange)
            .expect("detected by the members' leader change");
        let no_leader = timeline.signal(Signal::PdNoLeader).expect("the 503s");
        assert!(no_leader < leader_change);
        assert!(
            texts
                .iter()
                .any(|t| t.contains("detected: PD's members named a new leader")),
            "{texts:#?}"
        );
        let diagnosis = texts
            .iter()
            .find(|t| t.starts_with("DIAGNOSIS:"))
            .expect("diagnosed");
        assert!(
            diagnosis.contains(&format!("{}, PD's leader, was killed", fault.service)),
            "{diagnosis}"
        );
        assert!(
            texts
                .iter()
                .any(|t| *t == format!("RECOVERY: start {} done", fault.service)),
            "{texts:#?}"
        );
        assert!(timeline.recovered.is_some());
        assert!(app.fault().is_idle(), "the ledger is empty");
        let last = app.cluster().snapshot.as_ref().unwrap();
        assert!(last.is_healthy());
        assert!(leader(last).is_some_and(|l| l != fault.service));
    }
}
