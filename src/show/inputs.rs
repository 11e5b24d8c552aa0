//! The sources of messages other than the presenter: show-time ticks, cluster
//! snapshots, the backend's streams and the process's signals. Each is a task
//! holding a sender and a cancellation token, never a lock on the app.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::Msg;
use crate::clock::ShowClock;
use crate::cluster::{BackendError, ClusterBackend, Subscriptions};

/// Real time between ticks: smooth enough for a 0.1 s timer and a spinner.
pub const TICK: Duration = Duration::from_millis(100);
/// Show time between snapshots, bounded below in real time.
/// PD's view changes at most once a heartbeat; the runtime's events arrive on
/// their own stream, so a snapshot a second is plenty.
const POLL_SHOW: Duration = Duration::from_secs(1);
const POLL_MIN_REAL: Duration = Duration::from_millis(50);
/// A snapshot that takes longer counts as failed (real time).
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(5);

pub fn spawn_ticks(tx: mpsc::Sender<Msg>, clock: ShowClock, cancel: CancellationToken) {
    super::guarded::spawn("ticks", tx.clone(), async move {
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = interval.tick() => {
                    if tx.send(Msg::Tick(clock.now())).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
}

pub fn spawn_snapshots(
    backend: Arc<dyn ClusterBackend>,
    tx: mpsc::Sender<Msg>,
    clock: ShowClock,
    cancel: CancellationToken,
) {
    let period = clock.to_real(POLL_SHOW).max(POLL_MIN_REAL);
    super::guarded::spawn("snapshots", tx.clone(), async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = interval.tick() => {}
            }
            let snapshot = tokio::select! {
                () = cancel.cancelled() => return,
                snapshot = tokio::time::timeout(SNAPSHOT_TIMEOUT, backend.snapshot()) => {
                    snapshot.unwrap_or(Err(BackendError::NoAnswer(SNAPSHOT_TIMEOUT.as_secs())))
                }
            };
            if tx.send(Msg::Snapshot(snapshot)).await.is_err() {
                return;
            }
        }
    });
}

pub fn spawn_streams(streams: Subscriptions, tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
    let Subscriptions {
        mut events,
        mut samples,
    } = streams;
    super::guarded::spawn("streams", tx.clone(), async move {
        let mut events_open = true;
        let mut samples_open = true;
        while events_open || samples_open {
            let msg = tokio::select! {
                () = cancel.cancelled() => return,
                event = events.recv(), if events_open => match event {
                    Some(event) => Msg::Event(event),
                    None => { events_open = false; continue; }
                },
                sample = samples.recv(), if samples_open => match sample {
                    Some(sample) => Msg::Sample(sample),
                    None => { samples_open = false; continue; }
                },
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    });
}

/// SIGTERM, SIGHUP and SIGINT (when not in raw mode) end the show cleanly.
pub fn spawn_signals(tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    super::guarded::spawn("signals", tx.clone(), async move {
        let kinds = [
            (SignalKind::terminate(), "SIGTERM"),
            (SignalKind::hangup(), "SIGHUP"),
            (SignalKind::interrupt(), "SIGINT"),
        ];
        let mut streams = Vec::new();
        for (kind, name) in kinds {
            match signal(kind) {
                Ok(stream) => streams.push((stream, name)),
                Err(e) => tracing::warn!("cannot watch {name}: {e}"),
            }
        }
        let waits = streams.iter_mut().map(|(stream, name)| {
            Box::pin(async move {
                stream.recv().await;
                *name
            })
        });
        tokio::select! {
            () = cancel.cancelled() => {}
            (name, _, _) = futures::future::select_all(waits) => {
                let _ = tx.send(Msg::Shutdown(format!("received {name}"))).await;
            }
        }
    });
}
