//! Tasks whose panic ends the show cleanly instead of leaving it half alive.
//!
//! ratatui's panic hook restores the terminal on a panic in any thread; a
//! task that panicked would otherwise leave the show drawing into a restored
//! terminal with one of its sources silently gone.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::app::Msg;

/// Spawns `task`; if it panics, the show is asked to shut down.
pub fn spawn(
    name: &'static str,
    tx: mpsc::Sender<Msg>,
    task: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if AssertUnwindSafe(task).catch_unwind().await.is_err() {
            tracing::error!("the {name} task panicked");
            let _ = tx
                .send(Msg::Shutdown(format!("internal error in the {name} task")))
                .await;
        }
    })
}
