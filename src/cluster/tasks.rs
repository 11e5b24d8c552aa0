//! The tasks a backend runs for itself (the simulator's clock, the real
//! cluster's feeds), under one supervisor per backend or subscription: a
//! task that stops before it is told to, or panics, is reported, so a feed
//! never falls silent without a word. Cancelling the supervisor's token
//! stops them all.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::supervise::panic_message;

/// A supervised task ended while its supervisor was still running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEnded {
    pub task: &'static str,
    /// The panic's message (`panicked: ...`), or `None` when it returned.
    pub panic: Option<String>,
}

impl fmt::Display for TaskEnded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.panic {
            Some(panic) => write!(f, "the {} task {panic}", self.task),
            None => write!(f, "the {} task stopped", self.task),
        }
    }
}

/// Whether a task ending by itself is news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifetime {
    /// Runs until cancelled: any end before that is reported.
    UntilCancelled,
    /// Does its work and returns: only a panic is reported.
    Finite,
}

struct Job {
    task: &'static str,
    lifetime: Lifetime,
    future: BoxFuture<'static, ()>,
}

/// Spawns tasks into one supervisor. Cheap to clone: tasks may start
/// others through a clone.
#[derive(Clone)]
pub struct Supervisor {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Supervisor {
    /// Starts supervising on `runtime` until `cancel` fires, telling
    /// `report` of each task that ends unexpectedly or panics. Once
    /// cancelled the tasks still running are aborted.
    pub fn start(
        runtime: &tokio::runtime::Handle,
        cancel: CancellationToken,
        report: impl Fn(TaskEnded) + Send + 'static,
    ) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        runtime.spawn(supervise(queue, cancel, report));
        Self { jobs }
    }

    /// A task that runs until cancelled (a feed, a clock): ending before
    /// that is reported, as a panic is.
    pub fn spawn(&self, task: &'static str, future: impl Future<Output = ()> + Send + 'static) {
        self.submit(task, Lifetime::UntilCancelled, future);
    }

    /// A task that does its work and returns (a connection, a set-up):
    /// only a panic is reported.
    pub fn spawn_finite(
        &self,
        task: &'static str,
        future: impl Future<Output = ()> + Send + 'static,
    ) {
        self.submit(task, Lifetime::Finite, future);
    }

    fn submit(
        &self,
        task: &'static str,
        lifetime: Lifetime,
        future: impl Future<Output = ()> + Send + 'static,
    ) {
        let job = Job {
            task,
            lifetime,
            future: future.boxed(),
        };
        if self.jobs.send(job).is_err() {
            tracing::debug!(task, "not started: its supervisor has stopped");
        }
    }
}

async fn supervise(
    mut queue: mpsc::UnboundedReceiver<Job>,
    cancel: CancellationToken,
    report: impl Fn(TaskEnded),
) {
    let mut running = JoinSet::new();
    let mut open = true;
    loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            job = queue.recv(), if open => match job {
                Some(Job { task, lifetime, future }) => {
                    running.spawn(async move {
                        let outcome = AssertUnwindSafe(future).catch_unwind().await;
                        let panic = outcome.err().map(|payload| panic_message(payload.as_ref()));
                        (task, lifetime, panic)
                    });
                }
                // Every handle is gone: no task can be started any more.
                None => open = false,
            },
            Some(done) = running.join_next(), if !running.is_empty() => {
                if cancel.is_cancelled() {
                    break;
                }
                let Ok((task, lifetime, panic)) = done else {
                    continue;
                };
                if panic.is_none() && lifetime == Lifetime::Finite {
                    continue;
                }
                let ended = TaskEnded { task, panic };
                tracing::warn!(task, "backend task ended: {ended}");
                report(ended);
            }
        }
        if !open && running.is_empty() {
            return;
        }
    }
    running.shutdown().await;
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    fn started() -> (Supervisor, CancellationToken, Arc<Mutex<Vec<TaskEnded>>>) {
        let cancel = CancellationToken::new();
        let reports = Arc::new(Mutex::new(Vec::new()));
        let heard = Arc::clone(&reports);
        let supervisor = Supervisor::start(
            &tokio::runtime::Handle::current(),
            cancel.clone(),
            move |ended| heard.lock().unwrap().push(ended),
        );
        (supervisor, cancel, reports)
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_stops_or_panics_is_reported_and_a_finite_one_is_not() {
        let (supervisor, cancel, reports) = started();
        supervisor.spawn("feed", async {});
        supervisor.spawn("clock", async { panic!("boom") });
        supervisor.spawn_finite("set-up", async {});
        supervisor.spawn_finite("connection", async { panic!("refused") });
        let forever = cancel.clone();
        supervisor.spawn("watch", async move { forever.cancelled().await });
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut said: Vec<String> = reports
            .lock()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        said.sort();
        assert_eq!(
            said,
            [
                "the clock task panicked: boom",
                "the connection task panicked: refused",
                "the feed task stopped",
            ]
        );
        // Cancelled, the rest end without a word.
        cancel.cancel();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(reports.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn tasks_start_tasks_and_cancelling_aborts_them() {
        let (supervisor, cancel, reports) = started();
        let (alive_tx, mut alive) = mpsc::channel::<()>(1);
        let inner = supervisor.clone();
        supervisor.spawn_finite("starter", async move {
            inner.spawn("sleeper", async move {
                let _alive = alive_tx;
                std::future::pending::<()>().await;
            });
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(alive.try_recv().is_err(), "the sleeper runs");
        cancel.cancel();
        // Aborted: its sender is dropped, and nothing is reported.
        assert_eq!(alive.recv().await, None);
        assert!(reports.lock().unwrap().is_empty());
        // A supervisor that stopped starts nothing.
        supervisor.spawn("late", async {});
    }
}
