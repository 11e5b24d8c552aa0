//! The fault episode as it unfolds, read off the state: each detection signal
//! as it arrives (for the Detection chapter), the evidence the diagnosis waits
//! for, and the moment the workload is back at its baseline. Pure functions
//! of the world and the timeline at show time `now`, except
//! [`note_load_back`], which journals that moment.

use std::time::Duration;

use super::chronicle::Chronicle;
use super::journal::{Kind, Level};
use super::timeline::{Timeline, secs};
use super::world::World;
use crate::cluster::pd_rules::DISCONNECTED_AFTER;
use crate::cluster::{DataSource, ProcessState, StoreState, Struck};
use crate::faults::Expected;
use crate::monitor::Signal;
use crate::text::{age_tenths, thousands};

/// Throughput within this fraction below the baseline counts as back at it:
/// the simulator's and a real load's noise is a few percent.
pub const BASELINE_NOISE: f64 = 0.05;

/// What the Detection chapter shows while it waits: every signal so far,
/// PD's verdict (or the heartbeat age counting up to it) and the re-election.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionProgress {
    /// The faulty node.
    pub service: String,
    /// What the fault struck: a TiKV node's regions re-elect, PD's leader
    /// is replaced.
    pub struck: Struck,
    /// Each signal's first detection, time after the fault, in arrival order.
    pub signals: Vec<(Signal, Duration)>,
    pub pd: PdVerdict,
    pub reelection: Reelection,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PdVerdict {
    /// PD named the store: its state now, and when it said so (after the fault).
    Given {
        state: StoreState,
        after_fault: Duration,
    },
    /// PD still counts the store Up: the age of its last heartbeat now
    /// (counting up live between snapshots) and the age at which PD names
    /// it Disconnected.
    Waiting {
        heartbeat_age: Option<Duration>,
        threshold: Duration,
    },
    /// The fault keeps the store heartbeating (the catalogue says PD gives
    /// no verdict on it): nothing to wait for.
    NotExpected,
    /// The fault struck PD's leader: PD's word is its members'. When they
    /// named none (the followers' 503s) and when they named a new leader,
    /// after the fault, and whether it serves TSO yet (`None`: PD's API
    /// does not say).
    Leadership {
        no_leader: Option<Duration>,
        elected: Option<(String, Duration)>,
        serves_tso: Option<bool>,
    },
}

/// Regions still led from the dead node: the re-election's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reelection {
    pub leaderless: u64,
    pub total: u64,
}

impl Reelection {
    pub fn done(&self) -> bool {
        self.leaderless == 0
    }
}

/// The Detection chapter's live view, while a fault is in this episode.
pub fn detection_progress(
    world: &World,
    timeline: &Timeline,
    now: Duration,
) -> Option<DetectionProgress> {
    let fault = timeline.injected.as_ref()?;
    let snapshot = world.snapshot();
    let store = snapshot.and_then(|s| s.store(&fault.service));
    let pd = match (timeline.signal(Signal::StoreState), store) {
        _ if fault.expects(Expected::PdLeaderChange) => leadership(world, timeline),
        (None, _) if !fault.expects(Expected::PdVerdict) => PdVerdict::NotExpected,
        (Some(after_fault), store) => PdVerdict::Given {
            state: store.map_or(StoreState::Disconnected, |s| s.state.clone()),
            after_fault,
        },
        (None, _) => PdVerdict::Waiting {
            heartbeat_age: world.cluster().heartbeat_age(&fault.service, now),
            threshold: DISCONNECTED_AFTER,
        },
    };
    let regions = snapshot.map(|s| s.regions).unwrap_or_default();
    Some(DetectionProgress {
        service: fault.service.clone(),
        struck: fault.struck,
        signals: timeline.signals.clone(),
        pd,
        reelection: Reelection {
            leaderless: regions.led_from_dead_node,
            total: regions.total,
        },
    })
}

/// PD's members on its leadership since the fault.
fn leadership(world: &World, timeline: &Timeline) -> PdVerdict {
    let leader = world
        .snapshot()
        .filter(|s| s.pd_reachable)
        .and_then(|s| s.pd_members.iter().find(|m| m.is_leader));
    let elected = timeline
        .signal(Signal::PdLeaderChange)
        .zip(leader)
        .map(|(after, leader)| (leader.name.clone(), after));
    PdVerdict::Leadership {
        no_leader: timeline.signal(Signal::PdNoLeader),
        serves_tso: leader.and_then(|l| l.serves_tso),
        elected,
    }
}

/// PD has given its verdict on the faulty store in this episode, or the
/// fault is one PD gives none on.
pub fn pd_verdict_given(timeline: &Timeline) -> bool {
    timeline.signal(Signal::StoreState).is_some()
        || timeline
            .injected
            .as_ref()
            .is_some_and(|f| !f.expects(Expected::PdVerdict))
}

/// One line on the wait for PD's members to name a new leader.
pub fn leader_wait_text(world: &World) -> String {
    match world.snapshot().and_then(|s| s.trouble(DataSource::Pd)) {
        Some(why) => format!("waiting for PD's members to name a new leader: {why}"),
        None => "waiting for PD's members to name a new leader".into(),
    }
}

/// One line on where the wait for PD stands, for the status line.
pub fn pd_wait_text(world: &World, timeline: &Timeline, now: Duration) -> String {
    match detection_progress(world, timeline, now).map(|p| p.pd) {
        Some(PdVerdict::Waiting {
            heartbeat_age: Some(age),
            threshold,
        }) => format!(
            "waiting for PD's verdict: last heartbeat {} old, Disconnected past {}",
            age_tenths(age),
            secs(threshold)
        ),
        _ => "waiting for PD's verdict on the store".into(),
    }
}

/// The evidence the diagnosis weighs that is not in yet, each named. Empty
/// when there is no fault in this episode (nothing to wait for).
pub fn missing_evidence(world: &World, timeline: &Timeline, now: Duration) -> Vec<String> {
    let Some(fault) = timeline.injected.as_ref() else {
        return Vec::new();
    };
    let mut missing = Vec::new();
    if !pd_verdict_given(timeline) {
        let age = match detection_progress(world, timeline, now).map(|p| p.pd) {
            Some(PdVerdict::Waiting {
                heartbeat_age: Some(age),
                threshold,
            }) => format!(" (heartbeat {} of {})", age_tenths(age), secs(threshold)),
            _ => String::new(),
        };
        missing.push(format!("PD's verdict on {}{age}", fault.service));
    }
    if fault.expects(Expected::PdLeaderChange) && timeline.signal(Signal::PdLeaderChange).is_none()
    {
        missing.push("a new PD leader named by PD's members".into());
    }
    let runtime_saw = !fault.expects(Expected::RuntimeEvent)
        || timeline.signal(Signal::ProcessEvent).is_some()
        || world
            .snapshot()
            .and_then(|s| s.process(&fault.service))
            .is_some_and(|p| p.state != ProcessState::Running || !p.network_connected);
    if !runtime_saw {
        missing.push(format!("the runtime's view of {}", fault.service));
    }
    let sampled = world.tracker().latest().is_some_and(|s| s.at > fault.at);
    if world.load_running() && !sampled {
        missing.push("a workload sample since the fault".into());
    }
    missing
}

/// Journals the workload back at its baseline once, after the recovery began.
pub(super) fn note_load_back(world: &World, log: &mut Chronicle) {
    let timeline = log.timeline();
    let Some(started) = timeline.recovery_started else {
        return;
    };
    if timeline.injected.is_none() || timeline.load_back.is_some() || !world.load_running() {
        return;
    }
    let tracker = world.tracker();
    let (Some(baseline), Some(latest)) = (tracker.baseline(), tracker.latest()) else {
        return;
    };
    if latest.at <= started || latest.ops_per_sec < baseline * (1.0 - BASELINE_NOISE) {
        return;
    }
    let floor = baseline * (1.0 - BASELINE_NOISE);
    // Already back when the recovery began (the survivors carry the load
    // since the re-election): nothing for the recovery to bring back.
    let before = tracker.samples().filter(|s| s.at <= started).last();
    let already = before.is_some_and(|s| s.ops_per_sec >= floor);
    let (at, took) = if already {
        (started, Duration::ZERO)
    } else {
        (latest.at, latest.at - started)
    };
    let text = if already {
        format!(
            "workload already at its baseline ({} ops/s against {} ops/s) when the recovery began",
            thousands(before.map_or(0.0, |s| s.ops_per_sec)),
            thousands(baseline)
        )
    } else {
        format!(
            "workload back at its baseline ({} of {} ops/s) {} after the recovery began",
            thousands(latest.ops_per_sec),
            thousands(baseline),
            secs(took)
        )
    };
    log.note_kind(at, Level::Good, Kind::LoadBack { took }, text);
}
