//! Supervised tasks: a background task that panics is restarted with
//! backoff, and the trouble is reported to the show on screen, so one
//! failing source never leaves the show headless or silently blind.
//!
//! Tasks are spawned deep inside backends as well as by the show, so their
//! troubles go out on one process-wide channel that the running show reads.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::backoff::Backoff;

/// A task failed and is being restarted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTrouble {
    pub task: &'static str,
    pub what: String,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A task that ran this long before failing starts again from the first backoff.
const STEADY: Duration = Duration::from_secs(60);

fn troubles() -> &'static broadcast::Sender<TaskTrouble> {
    static TROUBLES: OnceLock<broadcast::Sender<TaskTrouble>> = OnceLock::new();
    TROUBLES.get_or_init(|| broadcast::channel(64).0)
}

/// Troubles from now on, for the show to display.
pub fn subscribe() -> broadcast::Receiver<TaskTrouble> {
    troubles().subscribe()
}

/// Runs the task made by `make` until it returns; each time it panics,
/// reports it and makes it again after a growing pause.
pub fn spawn<F, Fut>(task: &'static str, mut make: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut backoff = Backoff::new(FIRST_BACKOFF, MAX_BACKOFF);
        loop {
            let started = tokio::time::Instant::now();
            let Err(payload) = AssertUnwindSafe(make()).catch_unwind().await else {
                return;
            };
            if started.elapsed() >= STEADY {
                backoff.reset();
            }
            let wait = backoff.failed();
            let what = format!(
                "{}; restarting in {}",
                panic_message(payload.as_ref()),
                crate::text::secs(wait)
            );
            tracing::error!(task, "task panicked: {what}");
            let _ = troubles().send(TaskTrouble { task, what });
            tokio::time::sleep(wait).await;
        }
    })
}

/// Like [`spawn`] for a task that cannot be made again (it owns a channel's
/// receiving end): a panic is reported and the task ends.
pub fn spawn_once(
    task: &'static str,
    future: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(payload) = AssertUnwindSafe(future).catch_unwind().await {
            let what = format!("{} (not restarted)", panic_message(payload.as_ref()));
            tracing::error!(task, "task panicked: {what}");
            let _ = troubles().send(TaskTrouble { task, what });
        }
    })
}

pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".into()
    }
}

/// A test-only way to make a named task panic once (the fault matrix in
/// tests/binary): `CHAOSDECK_TEST_PANIC=<task>`.
pub fn test_panic_point(task: &'static str) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FIRED: AtomicBool = AtomicBool::new(false);
    if std::env::var("CHAOSDECK_TEST_PANIC").is_ok_and(|t| t == task)
        && !FIRED.swap(true, Ordering::SeqCst)
    {
        panic!("test panic in the {task} task (CHAOSDECK_TEST_PANIC)");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_restarted_and_reported() {
        let mut troubles = subscribe();
        let runs = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&runs);
        let handle = spawn("flaky", move || {
            let counter = Arc::clone(&counter);
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("boom");
                }
            }
        });
        handle.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        let first = loop {
            let t = troubles.recv().await.unwrap();
            if t.task == "flaky" {
                break t;
            }
        };
        assert!(first.what.contains("boom"), "{first:?}");
        assert!(first.what.contains("restarting in 0.5s"), "{first:?}");
    }
}
