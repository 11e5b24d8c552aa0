//! A load generator's log file as a stream of samples: follow the file, detect
//! its format, parse, and close go-ycsb reports when the output pauses.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::follow::{DEFAULT_POLL_INTERVAL, StartAt, follow};
use super::{LoadParser, WorkloadSample};
use crate::clock::ShowClock;

/// A go-ycsb report arrives as one burst of lines; this long without a line
/// means the burst is over, so a report still open is closed.
pub const IDLE_FLUSH: Duration = Duration::from_secs(1);

/// Follow `path` and send one sample per load report, stamped with show time,
/// until `cancel` fires or `samples` is dropped.
pub async fn watch_load_log(
    path: PathBuf,
    start: StartAt,
    clock: ShowClock,
    samples: mpsc::Sender<WorkloadSample>,
    cancel: CancellationToken,
) {
    let (lines_tx, mut lines) = mpsc::channel(256);
    let follow_cancel = cancel.child_token();
    let follower = tokio::spawn(follow(
        path,
        start,
        DEFAULT_POLL_INTERVAL,
        lines_tx,
        follow_cancel.clone(),
    ));
    let mut parser = LoadParser::new();
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => break,
            next = tokio::time::timeout(IDLE_FLUSH, lines.recv()) => next,
        };
        let sample = match next {
            Ok(Some(line)) => parser.feed(&line, clock.now()),
            Ok(None) => break,
            Err(_idle) => parser.flush(),
        };
        if let Some(sample) = sample {
            if samples.send(sample).await.is_err() {
                break;
            }
        }
    }
    follow_cancel.cancel();
    // The follower only ends by cancellation here; a panic in it is a bug
    // worth seeing in the log, not a reason to take the show down.
    if let Err(e) = follower.await {
        tracing::error!("load log follower failed: {e}");
    }
}
