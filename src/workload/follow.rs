//! Follow a growing log file like `tail -F`: new complete lines as they are
//! appended, across truncation, rotation, and a file that does not exist yet.
//!
//! [`FileFollower`] does one synchronous, bounded poll at a time and is tested
//! step by step; [`follow`] runs it on tokio's clock and sends lines to a
//! channel until cancelled.

use std::fs::{File, Metadata};
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Where to begin in a file that already exists when following starts.
/// A file that appears later (or replaces the followed one) is always read
/// from its beginning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    End,
}

/// How often [`follow`] polls; `tail -F` uses one second.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// At most this much is read per poll, so one poll never stalls the runtime.
pub const MAX_READ_PER_POLL: u64 = 256 * 1024;

/// A line longer than this is cut and delivered in pieces rather than
/// buffered without bound.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Identity of a file behind a path, to notice rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

#[cfg(unix)]
fn file_id(meta: &Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

#[cfg(not(unix))]
fn file_id(_meta: &Metadata) -> Option<FileId> {
    // Without inodes only truncation is noticed, not rotation.
    None
}

struct OpenFile {
    file: File,
    id: Option<FileId>,
    position: u64,
}

/// One poll's outcome.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Poll {
    /// Complete lines, without their line ending, lossily decoded.
    pub lines: Vec<String>,
    /// More bytes are waiting: poll again without sleeping.
    pub more: bool,
}

/// Synchronous `tail -F` state for one path.
pub struct FileFollower {
    path: PathBuf,
    start: StartAt,
    open: Option<OpenFile>,
    /// Bytes of the last, not yet terminated line.
    partial: Vec<u8>,
    /// `start` applies to a file already there at the first poll; a file
    /// opened later is new and read from 0.
    first_poll: bool,
}

impl FileFollower {
    pub fn new(path: impl Into<PathBuf>, start: StartAt) -> Self {
        Self {
            path: path.into(),
            start,
            open: None,
            partial: Vec::new(),
            first_poll: true,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read what was appended since the last poll. Never fails: a missing or
    /// unreadable file is waited for, like `tail -F` does.
    pub fn poll(&mut self) -> Poll {
        let mut poll = Poll::default();
        if self.open.is_none() {
            self.try_open();
        }
        self.first_poll = false;
        let Some(open) = self.open.as_mut() else {
            return poll;
        };

        // Truncated in place: start again from the top.
        if let Ok(meta) = open.file.metadata() {
            if meta.len() < open.position {
                open.position = 0;
                self.partial.clear();
            }
        }
        match read_from(open) {
            Ok((bytes, more)) => {
                poll.more = more;
                self.take_lines(&bytes, &mut poll.lines);
            }
            Err(_) => {
                // The handle went bad: reopen by path next time.
                self.open = None;
                return poll;
            }
        }
        if !poll.more && self.path_was_replaced() {
            // The old file is drained: its unterminated tail is all it will
            // ever have. Continue with the new file from its start.
            self.flush_partial(&mut poll.lines);
            self.open = None;
            self.try_open();
            poll.more = self.open.is_some();
        }
        poll
    }

    fn try_open(&mut self) {
        let Ok(mut file) = File::open(&self.path) else {
            return;
        };
        let Ok(meta) = file.metadata() else {
            return;
        };
        let position = match (self.first_poll, self.start) {
            (true, StartAt::End) => meta.len(),
            _ => 0,
        };
        if file.seek(SeekFrom::Start(position)).is_err() {
            return;
        }
        self.partial.clear();
        self.open = Some(OpenFile {
            file,
            id: file_id(&meta),
            position,
        });
    }

    /// The path now names another file (rotated and recreated).
    fn path_was_replaced(&self) -> bool {
        let Some(open) = &self.open else {
            return false;
        };
        match std::fs::metadata(&self.path) {
            Ok(meta) => {
                let current = file_id(&meta);
                current.is_some() && open.id.is_some() && current != open.id
            }
            // Renamed away and not recreated yet: keep reading the old one.
            Err(e) if e.kind() == ErrorKind::NotFound => false,
            Err(_) => false,
        }
    }

    fn take_lines(&mut self, bytes: &[u8], lines: &mut Vec<String>) {
        let mut rest = bytes;
        while let Some(newline) = rest.iter().position(|b| *b == b'\n') {
            self.partial.extend_from_slice(&rest[..newline]);
            self.flush_partial(lines);
            rest = &rest[newline + 1..];
        }
        self.partial.extend_from_slice(rest);
        if self.partial.len() >= MAX_LINE_BYTES {
            self.flush_partial(lines);
        }
    }

    fn flush_partial(&mut self, lines: &mut Vec<String>) {
        if self.partial.is_empty() {
            return;
        }
        if self.partial.last() == Some(&b'\r') {
            self.partial.pop();
        }
        lines.push(String::from_utf8_lossy(&self.partial).into_owned());
        self.partial.clear();
    }
}

/// Read up to [`MAX_READ_PER_POLL`] bytes from the current position.
fn read_from(open: &mut OpenFile) -> std::io::Result<(Vec<u8>, bool)> {
    open.file.seek(SeekFrom::Start(open.position))?;
    let mut bytes = Vec::new();
    let read = (&mut open.file)
        .take(MAX_READ_PER_POLL)
        .read_to_end(&mut bytes)?;
    open.position += read as u64;
    Ok((bytes, read as u64 == MAX_READ_PER_POLL))
}

/// Follow `path` until `cancel` fires or the receiver is dropped, sending
/// every complete line. Polls every `interval` on tokio's clock.
pub async fn follow(
    path: PathBuf,
    start: StartAt,
    interval: Duration,
    lines: mpsc::Sender<String>,
    cancel: CancellationToken,
) {
    let mut follower = FileFollower::new(path, start);
    loop {
        let poll = follower.poll();
        for line in poll.lines {
            tokio::select! {
                _ = cancel.cancelled() => return,
                sent = lines.send(line) => if sent.is_err() { return },
            }
        }
        if poll.more {
            tokio::task::yield_now().await;
            if cancel.is_cancelled() {
                return;
            }
            continue;
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
