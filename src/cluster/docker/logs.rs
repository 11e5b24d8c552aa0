//! Following a service's output: `docker logs --follow --timestamps` of its
//! container, stdout and stderr split into lines, re-opened (where it left
//! off) when the container stops, restarts or is re-created.

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::control::DockerControl;
use super::timestamps::{parse_rfc3339_nanos, split_timestamped_line};
use crate::backoff::Backoff;
use crate::cluster::BackendError;

/// Longest line kept whole; longer ones are cut (a runaway line must not
/// grow memory without bound).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Splits a byte stream into lines. Bytes are decoded per complete line, so
/// a UTF-8 character split across chunks survives; `\r\n` ends a line too.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk, returning the lines it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &byte in chunk {
            if byte == b'\n' {
                lines.push(self.take_line());
            } else if self.pending.len() < MAX_LINE_BYTES {
                self.pending.push(byte);
            } else {
                // Over-long: emit what we have and go on with the rest.
                lines.push(self.take_line());
                self.pending.push(byte);
            }
        }
        lines
    }

    /// The last line when the stream ends without a newline.
    pub fn finish(&mut self) -> Option<String> {
        (!self.pending.is_empty()).then(|| self.take_line())
    }

    fn take_line(&mut self) -> String {
        if self.pending.last() == Some(&b'\r') {
            self.pending.pop();
        }
        let line = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        line
    }
}

/// Options of a log follow.
#[derive(Debug, Clone, Copy)]
pub struct LogFollowConfig {
    /// Lines of history sent first (`None`: all of it).
    pub initial_tail: Option<u64>,
    /// Wait before re-opening the stream; doubles up to `retry_max`.
    pub retry_min: Duration,
    pub retry_max: Duration,
}

impl Default for LogFollowConfig {
    fn default() -> Self {
        Self {
            initial_tail: Some(0),
            retry_min: Duration::from_millis(500),
            retry_max: Duration::from_secs(2),
        }
    }
}

/// Follows `service`'s output into `lines` until `cancel` fires or the
/// receiver is dropped. Never gives up on its own: a missing container, a
/// stopped one or an engine gone are retried with backoff.
pub async fn follow_log(
    control: DockerControl,
    service: String,
    lines: mpsc::Sender<String>,
    config: LogFollowConfig,
    cancel: CancellationToken,
) {
    let mut follower = Follower {
        control,
        service,
        lines,
        config,
        last_nanos: None,
        opened_before: false,
    };
    tokio::select! {
        () = cancel.cancelled() => {}
        () = follower.run() => {}
    }
}

struct Follower {
    control: DockerControl,
    service: String,
    lines: mpsc::Sender<String>,
    config: LogFollowConfig,
    /// Engine time of the last line sent, to resume without repeating.
    last_nanos: Option<i128>,
    /// A stream was opened before: a re-open catches up, it does not skip.
    opened_before: bool,
}

/// Where a (re)opened follow starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePoint {
    /// Lines at or before this engine time (Unix ns) were sent or belong to
    /// an earlier run of the container: they are dropped.
    pub after_nanos: Option<i128>,
    /// Lines of history asked for (`None`: all since `after_nanos`).
    pub tail: Option<u64>,
}

impl ResumePoint {
    /// The first open takes `initial_tail` lines of history. Later opens go
    /// on after the last line sent; with none sent yet (the container was
    /// stopped, or restarted before it printed), from the container's start,
    /// so the first reports of a restarted load are not lost.
    pub fn of(
        last_nanos: Option<i128>,
        opened_before: bool,
        started_at_nanos: Option<i128>,
        initial_tail: Option<u64>,
    ) -> Self {
        match (last_nanos, opened_before) {
            (Some(last), _) => Self {
                after_nanos: Some(last),
                tail: None,
            },
            (None, false) => Self {
                after_nanos: None,
                tail: initial_tail,
            },
            (None, true) => match started_at_nanos {
                Some(started) => Self {
                    after_nanos: Some(started - 1),
                    tail: None,
                },
                // Without a start time, history of an earlier run could be
                // replayed: take only what comes.
                None => Self {
                    after_nanos: None,
                    tail: Some(0),
                },
            },
        }
    }

    /// `since` of `GET /containers/{id}/logs`: whole seconds, rounded down
    /// (the lines of that second before the point are dropped one by one).
    pub fn since_seconds(&self) -> i32 {
        self.after_nanos.map_or(0, |n| {
            i32::try_from(n.div_euclid(1_000_000_000)).unwrap_or(0)
        })
    }
}

/// The receiver is gone.
struct Closed;

impl Follower {
    async fn run(&mut self) {
        let mut backoff = Backoff::new(self.config.retry_min, self.config.retry_max);
        loop {
            match self.follow_once().await {
                Err(Closed) => return,
                Ok(sent_any) => {
                    if sent_any {
                        backoff.reset();
                    }
                }
            }
            tokio::time::sleep(backoff.failed()).await;
        }
    }

    /// Follows the current container of the service until its stream ends.
    /// Ok(true) when at least one line went out.
    async fn follow_once(&mut self) -> Result<bool, Closed> {
        let container = match self.control.container_of(&self.service).await {
            Ok(container) => container,
            Err(error) => {
                tracing::debug!(service = %self.service, %error, "no container to follow yet");
                return Ok(false);
            }
        };
        let docker = self.control.docker().clone();
        let started_at = if self.last_nanos.is_none() && self.opened_before {
            started_at_nanos(&docker, &container.id).await
        } else {
            None
        };
        let resume = ResumePoint::of(
            self.last_nanos,
            self.opened_before,
            started_at,
            self.config.initial_tail,
        );
        self.opened_before = true;
        if self.last_nanos.is_none() {
            self.last_nanos = resume.after_nanos;
        }
        let options = LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            timestamps: true,
            since: resume.since_seconds(),
            until: 0,
            tail: resume
                .tail
                .map_or_else(|| "all".to_string(), |n| n.to_string()),
        };
        let mut stream = docker.logs(&container.id, Some(options));
        let mut stdout = LineSplitter::new();
        let mut stderr = LineSplitter::new();
        let mut sent_any = false;
        while let Some(item) = stream.next().await {
            let output = match item {
                Ok(output) => output,
                Err(error) => {
                    tracing::debug!(service = %self.service, %error, "log stream dropped");
                    break;
                }
            };
            let lines = match output {
                LogOutput::StdErr { message } => stderr.push(&message),
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    stdout.push(&message)
                }
                LogOutput::StdIn { .. } => Vec::new(),
            };
            for line in lines {
                sent_any |= self.send_line(&line).await?;
            }
        }
        for line in [stdout.finish(), stderr.finish()].into_iter().flatten() {
            sent_any |= self.send_line(&line).await?;
        }
        Ok(sent_any)
    }

    /// Sends a timestamped line unless it was sent before a re-open.
    async fn send_line(&mut self, line: &str) -> Result<bool, Closed> {
        let (at, text) = match split_timestamped_line(line) {
            Some((at, text)) => (Some(at), text),
            None => (None, line),
        };
        if let (Some(at), Some(last)) = (at, self.last_nanos)
            && at <= last
        {
            return Ok(false);
        }
        if at.is_some() {
            self.last_nanos = at;
        }
        self.lines
            .send(text.to_string())
            .await
            .map(|()| true)
            .map_err(|_| Closed)
    }
}

/// When the container's current run started, in the engine's clock.
async fn started_at_nanos(docker: &bollard::Docker, id: &str) -> Option<i128> {
    let inspect = docker.inspect_container(id, None).await.ok()?;
    parse_rfc3339_nanos(inspect.state?.started_at.as_deref()?).filter(|&n| n > 0)
}

impl DockerControl {
    /// The last `lines` lines of `service`'s output (stdout and stderr, in
    /// the engine's order), like `docker logs --tail N`. Read-only.
    pub async fn recent_logs(
        &self,
        service: &str,
        lines: usize,
    ) -> Result<Vec<String>, BackendError> {
        let container = self.container_of(service).await?;
        let options = LogsOptions {
            follow: false,
            stdout: true,
            stderr: true,
            timestamps: false,
            since: 0,
            until: 0,
            tail: lines.to_string(),
        };
        let mut stream = self.docker().logs(&container.id, Some(options));
        let (mut stdout, mut stderr) = (LineSplitter::new(), LineSplitter::new());
        let mut out = Vec::new();
        while let Some(item) = stream.next().await {
            let output = item.map_err(|e| super::connect::unreachable(e.to_string()))?;
            out.extend(match output {
                LogOutput::StdErr { message } => stderr.push(&message),
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    stdout.push(&message)
                }
                LogOutput::StdIn { .. } => Vec::new(),
            });
        }
        out.extend(stdout.finish());
        out.extend(stderr.finish());
        let keep = out.len().saturating_sub(lines);
        Ok(out.split_off(keep))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i128 = 1_000_000_000;

    #[test]
    fn the_first_open_takes_the_initial_tail() {
        let first = ResumePoint::of(None, false, Some(5 * SEC), Some(0));
        assert_eq!(first.tail, Some(0));
        assert_eq!(first.after_nanos, None);
        assert_eq!(first.since_seconds(), 0);
    }

    #[test]
    fn a_reopen_goes_on_after_the_last_line_sent() {
        let point = ResumePoint::of(Some(7 * SEC + 5), true, Some(9 * SEC), Some(0));
        assert_eq!(point.after_nanos, Some(7 * SEC + 5));
        assert_eq!(point.tail, None);
        assert_eq!(point.since_seconds(), 7);
    }

    #[test]
    fn a_reopen_with_nothing_sent_yet_starts_at_the_containers_start() {
        // Stopped at the first look, started later: its first reports count.
        let point = ResumePoint::of(None, true, Some(12 * SEC + 300), Some(0));
        assert_eq!(point.after_nanos, Some(12 * SEC + 299));
        assert_eq!(point.tail, None, "everything since the start, not tail 0");
        assert_eq!(point.since_seconds(), 12);
        let unknown = ResumePoint::of(None, true, None, Some(0));
        assert_eq!(unknown.tail, Some(0));
    }

    #[test]
    fn lines_split_across_chunks_are_joined() {
        let mut splitter = LineSplitter::new();
        assert!(splitter.push(b"READ   - Takes(s): 1.0, Co").is_empty());
        assert_eq!(
            splitter.push(b"unt: 10\r\nUPDATE - Takes"),
            vec!["READ   - Takes(s): 1.0, Count: 10".to_string()]
        );
        assert_eq!(splitter.finish().as_deref(), Some("UPDATE - Takes"));
        assert_eq!(splitter.finish(), None);
    }

    #[test]
    fn a_character_split_across_chunks_survives() {
        let mut splitter = LineSplitter::new();
        let text = "99th(µs)\n".as_bytes();
        let (a, b) = text.split_at(6); // inside the two bytes of `µ`
        assert!(splitter.push(a).is_empty());
        assert_eq!(splitter.push(b), vec!["99th(µs)".to_string()]);
    }

    #[test]
    fn over_long_lines_are_cut_not_hoarded() {
        let mut splitter = LineSplitter::new();
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let lines = splitter.push(&long);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), MAX_LINE_BYTES);
        assert_eq!(splitter.finish().map(|l| l.len()), Some(10));
    }

    #[test]
    fn empty_lines_are_kept() {
        let mut splitter = LineSplitter::new();
        assert_eq!(splitter.push(b"\n\n"), vec![String::new(), String::new()]);
    }
}
