//! [`SimBackend`]: the simulator behind the [`ClusterBackend`] trait, kept in
//! step with show time by a driver task.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::{CancellationToken, DropGuard};

use super::config::{SimConfig, SimConfigError};
use super::load::INTERVAL as SAMPLE_INTERVAL;
use super::simulator::Simulator;
use crate::clock::ShowClock;
use crate::cluster::model::{
    Before, ClusterEvent, ClusterSnapshot, ClusterSource, FaultSpec, InjectedFault, Recovery,
};
use crate::cluster::tasks::Supervisor;
use crate::cluster::{
    BackendError, Capabilities, ClusterBackend, FaultTarget, NOTICE_CAPACITY, NonTikv, Notice,
    Subscriptions,
};
use crate::workload::WorkloadSample;

/// The driver wakes when the next workload sample is due (see [`Shared::next_drive`]),
/// at most this long apart in real time (events between samples: boots, the
/// processes' state), and never more often than [`DRIVER_MIN`].
pub const DRIVER_PERIOD: Duration = Duration::from_secs(1);
const DRIVER_MIN: Duration = Duration::from_millis(20);
/// Room in each stream; beyond it items are dropped and counted, never waited for.
pub const STREAM_CAPACITY: usize = 1024;

/// Why a simulated backend could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimStartError {
    #[error(transparent)]
    Config(#[from] SimConfigError),
    #[error("the simulator needs a tokio runtime to run its clock")]
    NoRuntime,
}

struct Senders {
    events: mpsc::Sender<ClusterEvent>,
    samples: mpsc::Sender<WorkloadSample>,
    notices: mpsc::Sender<Notice>,
}

struct Shared {
    sim: Mutex<Simulator>,
    senders: Mutex<Option<Senders>>,
    dropped: AtomicU64,
    clock: ShowClock,
    /// Show time (nanoseconds) the next workload sample is due; 0 when none is.
    next_sample_at: AtomicU64,
    /// Wakes the driver when the load starts: its next deadline moved.
    load_switched: Notify,
}

impl Shared {
    fn sim(&self) -> MutexGuard<'_, Simulator> {
        // The simulator has no invariant a panicking holder could break halfway
        // that a later step would not tolerate, so a poisoned lock is still usable.
        self.sim.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Brings the simulator to show time and forwards what happened, holding
    /// the simulator's lock only while stepping and draining.
    fn catch_up(&self) -> MutexGuard<'_, Simulator> {
        let mut sim = self.sim();
        sim.advance_to(self.clock.now());
        let events = sim.drain_events();
        let samples = sim.drain_samples();
        if let Some(last) = samples.last() {
            self.expect_sample(last.at + SAMPLE_INTERVAL);
        }
        self.publish(events, samples);
        sim
    }

    fn expect_sample(&self, at: Duration) {
        let nanos = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX);
        self.next_sample_at.store(nanos, Ordering::Relaxed);
    }

    /// Real time until the driver should bring the simulator up to show time:
    /// just after the next sample is due, so it reaches the show on time.
    fn next_drive(&self, load_running: bool) -> Duration {
        let due = self.next_sample_at.load(Ordering::Relaxed);
        if !load_running || due == 0 {
            return DRIVER_PERIOD;
        }
        let left = Duration::from_nanos(due).saturating_sub(self.clock.now());
        (self.clock.to_real(left) + Duration::from_millis(1)).clamp(DRIVER_MIN, DRIVER_PERIOD)
    }

    fn publish(&self, events: Vec<ClusterEvent>, samples: Vec<WorkloadSample>) {
        if events.is_empty() && samples.is_empty() {
            return;
        }
        let senders = self.senders.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(senders) = senders.as_ref() else {
            return;
        };
        for event in events {
            self.count_drop(senders.events.try_send(event));
        }
        for sample in samples {
            self.count_drop(senders.samples.try_send(sample));
        }
    }

    /// Tells the current subscriber, if any, about the backend's own task.
    fn notify(&self, notice: Notice) {
        let senders = self.senders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(senders) = senders.as_ref() {
            self.count_drop(senders.notices.try_send(notice));
        }
    }

    fn count_drop<T>(&self, sent: Result<(), TrySendError<T>>) {
        if let Err(TrySendError::Full(_)) = sent {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The built-in simulated cluster as a [`ClusterBackend`]. Dropping it stops
/// its driver task.
pub struct SimBackend {
    shared: Arc<Shared>,
    _driver: DropGuard,
}

impl SimBackend {
    /// Starts the simulator at show time zero of `clock` and a driver task
    /// that keeps it in step. Must be called within a tokio runtime.
    pub fn new(config: SimConfig, clock: ShowClock) -> Result<Self, SimStartError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| SimStartError::NoRuntime)?;
        let mut sim = Simulator::new(config)?;
        sim.advance_to(clock.now());
        let shared = Arc::new(Shared {
            sim: Mutex::new(sim),
            senders: Mutex::new(None),
            dropped: AtomicU64::new(0),
            clock,
            next_sample_at: AtomicU64::new(0),
            load_switched: Notify::new(),
        });
        let cancel = CancellationToken::new();
        let told = Arc::clone(&shared);
        let tasks = Supervisor::start(&runtime, cancel.clone(), move |ended| {
            told.notify(Notice::from(ended));
        });
        tasks.spawn(
            "simulator clock",
            drive(Arc::clone(&shared), cancel.clone()),
        );
        Ok(Self {
            shared,
            _driver: cancel.drop_guard(),
        })
    }

    pub fn source() -> ClusterSource {
        ClusterSource::Sim
    }

    /// The seed in use (random unless the config named one), to replay a run.
    pub fn seed(&self) -> u64 {
        self.shared.sim().config().seed
    }

    /// Events, samples and notices dropped because a subscriber fell behind.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

async fn drive(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut load_running = shared.sim().load_running();
    loop {
        let wait = shared.next_drive(load_running);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
            () = shared.load_switched.notified() => {}
        }
        crate::supervise::test_panic_point("simulator clock");
        load_running = shared.catch_up().load_running();
    }
}

#[async_trait]
impl ClusterBackend for SimBackend {
    fn source(&self) -> ClusterSource {
        Self::source()
    }

    async fn snapshot(&self) -> Result<ClusterSnapshot, BackendError> {
        Ok(self.shared.catch_up().snapshot())
    }

    /// The kinds its config names (all four by default), on TiKV nodes, and
    /// on its PD members when the script names one or PD's leader.
    fn capabilities(&self) -> Capabilities {
        let mut kinds = self.shared.sim().config().faults.clone();
        kinds.sort_unstable();
        kinds.dedup();
        Capabilities {
            kinds,
            non_tikv: NonTikv::WhenNamed,
            why_not: Vec::new(),
        }
    }

    async fn inject(
        &self,
        spec: FaultSpec,
        target: FaultTarget<'_>,
    ) -> Result<InjectedFault, BackendError> {
        let mut sim = self.shared.catch_up();
        if let FaultTarget::Tikv(service) = target
            && super::PD_MEMBERS.contains(&service)
        {
            return Err(BackendError::NotTikv {
                service: service.to_string(),
            });
        }
        if let FaultTarget::PdLeader(expected) = target {
            // Read off its own members now, as a real backend reads PD's.
            crate::cluster::check_pd_leader(expected, sim.pd_leader())?;
        }
        let fault = sim.inject(spec, target.service())?;
        let events = sim.drain_events();
        drop(sim);
        self.shared.publish(events, Vec::new());
        Ok(fault)
    }

    /// The simulator keeps what a fault changed itself: `before` is not needed.
    async fn recover(
        &self,
        recovery: Recovery,
        service: &str,
        _before: Option<&Before>,
    ) -> Result<(), BackendError> {
        let mut sim = self.shared.catch_up();
        sim.recover(recovery, service)?;
        let events = sim.drain_events();
        drop(sim);
        self.shared.publish(events, Vec::new());
        Ok(())
    }

    async fn set_load(&self, running: bool) -> Result<(), BackendError> {
        let mut sim = self.shared.catch_up();
        let was_running = sim.load_running();
        sim.set_load(running);
        if running && !was_running {
            self.shared.expect_sample(sim.now() + SAMPLE_INTERVAL);
        }
        drop(sim);
        self.shared.load_switched.notify_one();
        Ok(())
    }

    /// Hands out fresh streams; earlier ones are closed.
    fn subscribe(&self) -> Subscriptions {
        let (events_tx, events) = mpsc::channel(STREAM_CAPACITY);
        let (samples_tx, samples) = mpsc::channel(STREAM_CAPACITY);
        let (notices_tx, notices) = mpsc::channel(NOTICE_CAPACITY);
        let mut senders = self
            .shared
            .senders
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *senders = Some(Senders {
            events: events_tx,
            samples: samples_tx,
            notices: notices_tx,
        });
        Subscriptions {
            events,
            samples,
            notices,
        }
    }
}
