//! The sources of messages other than the presenter: cluster snapshots, the
//! backend's streams and the process's signals. Each is a task holding a
//! sender and a cancellation token, never a lock on the app. Time needs no
//! task: the show loop wakes for its soonest timer (see `Show::run`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;

use crate::app::{Msg, STALE_AFTER};
use crate::clock::ShowClock;
use crate::cluster::{BackendError, ClusterBackend, Notice, Subscriptions};
use crate::supervise;

/// Show time between snapshots, bounded below in real time.
/// PD's view changes at most once a heartbeat; the runtime's events arrive on
/// their own stream, so a snapshot a second is plenty.
const POLL_SHOW: Duration = Duration::from_secs(1);
/// At the top `--speed` (1000) this is 10 s of show: PD's verdict, which
/// follows a heartbeat 10 to 20 s late, reaches the screen within one.
const POLL_MIN_REAL: Duration = Duration::from_millis(10);
/// How late a snapshot may arrive in real time (a busy machine, a slow PD)
/// before its data counts as stale: at a high speed a few milliseconds of
/// real time are seconds of show.
const POLL_LATE_REAL: Duration = Duration::from_millis(100);
/// A snapshot that takes longer counts as failed (real time).
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(5);

/// Real time between snapshots.
fn poll_period(clock: ShowClock) -> Duration {
    clock.to_real(POLL_SHOW).max(POLL_MIN_REAL)
}

/// Show time after which the last snapshot is stale: [`STALE_AFTER`], or
/// a period and a late arrival where those are longer in show time.
pub fn stale_after(clock: ShowClock) -> Duration {
    STALE_AFTER.max(clock.to_show(poll_period(clock) + POLL_LATE_REAL))
}

pub fn spawn_snapshots(
    backend: Arc<dyn ClusterBackend>,
    tx: mpsc::Sender<Msg>,
    clock: ShowClock,
    cancel: CancellationToken,
) {
    let period = poll_period(clock);
    supervise::spawn("snapshots", move || {
        let (backend, tx, cancel) = (Arc::clone(&backend), tx.clone(), cancel.clone());
        async move {
            let mut interval = tokio::time::interval(period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    _ = interval.tick() => {}
                }
                supervise::test_panic_point("snapshots");
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
        }
    });
}

/// What the show says when one of the backend's streams closes: what it
/// will no longer see.
pub const EVENTS_CLOSED: &str =
    "the cluster's event stream closed: the runtime's node events no longer reach the show";
pub const SAMPLES_CLOSED: &str =
    "the cluster's sample stream closed: the workload is no longer measured";

pub fn spawn_streams(streams: Subscriptions, tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
    // Shared, with which are still open, so that a task restarted after a
    // panic takes the streams up where it left them.
    let streams = Arc::new(Mutex::new((streams, [true; 3])));
    supervise::spawn("streams", move || {
        let (streams, tx, cancel) = (Arc::clone(&streams), tx.clone(), cancel.clone());
        async move {
            let mut streams = streams.lock().await;
            let (
                Subscriptions {
                    events,
                    samples,
                    notices,
                },
                [events_open, samples_open, notices_open],
            ) = &mut *streams;
            while *events_open || *samples_open || *notices_open {
                // A closed stream is said once, in the monitor pane.
                let msg = tokio::select! {
                    () = cancel.cancelled() => return,
                    event = events.recv(), if *events_open => match event {
                        Some(event) => Msg::Event(event),
                        None => {
                            *events_open = false;
                            Msg::Notice(Notice::trouble(EVENTS_CLOSED))
                        }
                    },
                    sample = samples.recv(), if *samples_open => match sample {
                        Some(sample) => Msg::Sample(sample),
                        None => {
                            *samples_open = false;
                            Msg::Notice(Notice::trouble(SAMPLES_CLOSED))
                        }
                    },
                    notice = notices.recv(), if *notices_open => match notice {
                        Some(notice) => Msg::Notice(notice),
                        None => { *notices_open = false; continue; }
                    },
                };
                supervise::test_panic_point("streams");
                if tx.send(msg).await.is_err() {
                    return;
                }
            }
        }
    });
}

/// Every signal whose default is to end the process ends the show cleanly
/// instead (recovering the fault, restoring the terminal), with 128 + the
/// signal's number as the exit code. SIGINT reaches here only when not in raw
/// mode; SIGPIPE stays ignored (a closed output is noticed when writing).
pub fn spawn_signals(tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    supervise::spawn("signals", move || {
        let (tx, cancel) = (tx.clone(), cancel.clone());
        async move {
            let kinds = [
                (libc::SIGTERM, "SIGTERM"),
                (libc::SIGHUP, "SIGHUP"),
                (libc::SIGINT, "SIGINT"),
                (libc::SIGQUIT, "SIGQUIT"),
                (libc::SIGUSR1, "SIGUSR1"),
                (libc::SIGUSR2, "SIGUSR2"),
                (libc::SIGALRM, "SIGALRM"),
                (libc::SIGXCPU, "SIGXCPU"),
                (libc::SIGXFSZ, "SIGXFSZ"),
                (libc::SIGVTALRM, "SIGVTALRM"),
                (libc::SIGPROF, "SIGPROF"),
            ];
            let mut streams = Vec::new();
            for (number, name) in kinds {
                match signal(SignalKind::from_raw(number)) {
                    Ok(stream) => streams.push((stream, name, number)),
                    Err(e) => tracing::warn!("cannot watch {name}: {e}"),
                }
            }
            loop {
                let waits = streams.iter_mut().map(|(stream, name, number)| {
                    Box::pin(async move {
                        stream.recv().await;
                        (*name, *number)
                    })
                });
                tokio::select! {
                    () = cancel.cancelled() => return,
                    ((name, number), _, _) = futures::future::select_all(waits) => {
                        // A second signal while leaving changes nothing.
                        if tx.send(Msg::Signal { number, name: name.into() }).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    });
}

/// Troubles of supervised tasks anywhere in the process, shown on screen.
pub fn spawn_troubles(tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
    let mut troubles = supervise::subscribe();
    supervise::spawn_once("troubles", async move {
        loop {
            let trouble = tokio::select! {
                () = cancel.cancelled() => return,
                trouble = troubles.recv() => trouble,
            };
            let msg = match trouble {
                Ok(t) => Msg::TaskTrouble {
                    task: t.task.into(),
                    what: t.what,
                },
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => Msg::TaskTrouble {
                    task: "troubles".into(),
                    what: format!("{n} more task troubles (see the log)"),
                },
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_snapshot_on_time_is_fresh_at_every_speed() {
        for speed in [0.01, 1.0, 20.0, 100.0, 1000.0] {
            let clock = ShowClock::start(speed);
            let on_time = clock.to_show(poll_period(clock));
            assert!(on_time < stale_after(clock), "{speed}x");
            assert!(stale_after(clock) >= STALE_AFTER, "{speed}x");
        }
        assert_eq!(stale_after(ShowClock::start(1.0)), STALE_AFTER);
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_stream_is_said_once_and_notices_are_passed_on() {
        let (events_tx, events) = mpsc::channel(4);
        let (samples_tx, samples) = mpsc::channel(4);
        let (notices_tx, notices) = mpsc::channel(4);
        let (tx, mut rx) = mpsc::channel(16);
        let cancel = CancellationToken::new();
        spawn_streams(
            Subscriptions {
                events,
                samples,
                notices,
            },
            tx,
            cancel.clone(),
        );
        let said = |msg: Option<Msg>| match msg {
            Some(Msg::Notice(notice)) => (notice.trouble, notice.text),
            other => panic!("not a notice: {other:?}"),
        };
        drop(events_tx);
        assert_eq!(said(rx.recv().await), (true, EVENTS_CLOSED.to_string()));
        notices_tx
            .send(Notice::fine("the Docker event stream is open again"))
            .await
            .unwrap();
        assert_eq!(
            said(rx.recv().await),
            (false, "the Docker event stream is open again".to_string())
        );
        drop(samples_tx);
        assert_eq!(said(rx.recv().await), (true, SAMPLES_CLOSED.to_string()));
        // The notices closing is no news; with every stream gone the task ends.
        drop(notices_tx);
        assert!(
            rx.recv().await.is_none(),
            "nothing more, and the sender is gone"
        );
        cancel.cancel();
    }
}
