//! The metrics server: `/metrics` and `/healthz`, and nothing else, on a
//! thread and runtime of its own, so no client can take time from the
//! show's loop and a stuck loop still gets its 503. It reads only what the
//! loop publishes ([`Published`], [`ShowMetrics`]); it never touches the app.
//!
//! Bad clients are bounded: at most [`MAX_CONNECTIONS`] at once (more are
//! closed at once), a request head of at most [`HEAD_LIMIT`] bytes read
//! within [`READ_DEADLINE`], the answer written within [`WRITE_DEADLINE`],
//! one request per connection.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::metrics::{OPENMETRICS_TYPE, PROMETHEUS_TEXT_TYPE, ShowMetrics};
use super::vitals::{Health, Published, STUCK_AFTER};

pub const MAX_CONNECTIONS: usize = 8;
pub const HEAD_LIMIT: usize = 8 * 1024;
pub const READ_DEADLINE: Duration = Duration::from_secs(2);
pub const WRITE_DEADLINE: Duration = Duration::from_secs(2);
/// How often the textfile is written while the loop turns.
pub const TEXTFILE_EVERY: Duration = Duration::from_secs(10);

/// What the server reads, all of it written by the show's loop.
#[derive(Debug, Clone)]
pub struct Board {
    pub published: Published,
    pub metrics: ShowMetrics,
}

impl Board {
    fn turn_age(&self, now: Instant) -> Option<Duration> {
        self.published.beat.turn_age(now)
    }

    fn health(&self, now: Instant) -> (u16, Health) {
        let vitals = self.published.vitals.borrow().clone();
        Health::of(&vitals, &self.published.beat, now)
    }
}

/// The server's thread, stopped when this is dropped.
pub struct Running {
    cancel: CancellationToken,
    pub addr: Option<SocketAddr>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Starts serving `listener` (if any) and writing `textfile` (if any).
/// The listener is bound by the caller, so a taken port is refused before
/// the terminal is.
pub fn start(
    listener: Option<std::net::TcpListener>,
    textfile: Option<PathBuf>,
    board: Board,
) -> std::io::Result<Running> {
    let cancel = CancellationToken::new();
    let addr = listener.as_ref().map(|l| l.local_addr()).transpose()?;
    if let Some(listener) = &listener {
        listener.set_nonblocking(true)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stop = cancel.clone();
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            runtime.block_on(async move {
                let serving = async {
                    if let Some(listener) = listener {
                        match TcpListener::from_std(listener) {
                            Ok(listener) => serve(listener, board.clone()).await,
                            Err(e) => tracing::error!("metrics: cannot serve: {e}"),
                        }
                    }
                };
                let writing = async {
                    if let Some(path) = &textfile {
                        write_textfile_every(path, &board).await;
                    }
                };
                tokio::select! {
                    () = stop.cancelled() => {}
                    _ = futures::future::join(serving, writing) => {}
                }
            });
        })?;
    Ok(Running { cancel, addr })
}

async fn serve(listener: TcpListener, board: Board) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, or a reset before accept: breathe.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // Full: this one is closed at once rather than queued.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let board = board.clone();
        tokio::spawn(async move {
            answer(stream, &board).await;
            drop(slot);
        });
    }
}

async fn answer(mut stream: TcpStream, board: &Board) {
    let response = match tokio::time::timeout(READ_DEADLINE, read_head(&mut stream)).await {
        Ok(Ok(head)) => respond(&head, board, Instant::now()),
        Ok(Err(HeadError::TooLarge)) => Response::text(431, "request head too large\n"),
        // Slow, silent or gone: nothing to answer.
        Ok(Err(HeadError::Closed)) | Err(_) => return,
    };
    let _ = tokio::time::timeout(WRITE_DEADLINE, async {
        stream.write_all(&response.encode()).await?;
        stream.shutdown().await
    })
    .await;
}

enum HeadError {
    TooLarge,
    Closed,
}

/// Reads up to the blank line that ends a request head; a body is never read.
async fn read_head(stream: &mut TcpStream) -> Result<String, HeadError> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end);
            return Ok(String::from_utf8_lossy(&head).into_owned());
        }
        if head.len() > HEAD_LIMIT {
            return Err(HeadError::TooLarge);
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        head.extend_from_slice(&chunk[..n]);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// HEAD: the headers of the GET, without its body.
    pub head_only: bool,
}

impl Response {
    fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.to_string(),
            head_only: false,
        }
    }

    fn reason(&self) -> &'static str {
        match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            431 => "Request Header Fields Too Large",
            503 => "Service Unavailable",
            _ => "Status",
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
            self.status,
            self.reason(),
            self.content_type,
            self.body.len()
        )
        .into_bytes();
        if !self.head_only {
            out.extend_from_slice(self.body.as_bytes());
        }
        out
    }
}

/// The answer to one request head. Pure but for the clock, for the tests.
pub fn respond(head: &str, board: &Board, now: Instant) -> Response {
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Response::text(400, "bad request line\n");
    };
    if !version.starts_with("HTTP/1.") {
        return Response::text(400, "HTTP/1 only\n");
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Response::text(405, "GET or HEAD only\n"),
    };
    let accept = lines
        .filter_map(|h| h.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("accept"))
        .map_or("", |(_, value)| value);
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    let response = match path {
        "/metrics" => {
            let turn_age = board.turn_age(now);
            // Prometheus asks for OpenMetrics; promtool, curl and the
            // textfile collector read the classic text format.
            if accept.contains("application/openmetrics-text") {
                Response {
                    status: 200,
                    content_type: OPENMETRICS_TYPE,
                    body: board.metrics.openmetrics(now, turn_age),
                    head_only,
                }
            } else {
                Response {
                    status: 200,
                    content_type: PROMETHEUS_TEXT_TYPE,
                    body: board.metrics.prometheus_text(now, turn_age),
                    head_only,
                }
            }
        }
        "/healthz" => {
            let (status, health) = board.health(now);
            let mut body = serde_json::to_string(&health).unwrap_or_default();
            body.push('\n');
            Response {
                status,
                content_type: "application/json",
                body,
                head_only,
            }
        }
        _ => Response::text(404, "not found: /metrics and /healthz only\n"),
    };
    Response {
        head_only,
        ..response
    }
}

/// Writes the metrics to `path` for node_exporter's textfile collector,
/// atomically, while the loop turns: a stuck show stops refreshing the file,
/// and its age (`node_textfile_mtime_seconds`) says so.
async fn write_textfile_every(path: &std::path::Path, board: &Board) {
    let mut every = tokio::time::interval(TEXTFILE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let now = Instant::now();
        let turn_age = board.turn_age(now);
        if turn_age.is_none_or(|age| age > STUCK_AFTER) {
            continue;
        }
        if let Err(e) = write_textfile(path, board, now) {
            tracing::warn!("metrics: cannot write {}: {e}", path.display());
        }
    }
}

/// One atomic write of the textfile (also the check at start that it can
/// be written).
pub fn write_textfile(path: &std::path::Path, board: &Board, now: Instant) -> std::io::Result<()> {
    let text = board.metrics.prometheus_text(now, board.turn_age(now));
    crate::state::write_atomically(path, text.as_bytes())
}
