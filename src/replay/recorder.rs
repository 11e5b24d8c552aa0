//! `--record FILE`: every input the app receives, written by a thread of
//! its own through a bounded channel, one flushed line at a time, so a run
//! cut off at any moment is a valid recording up to there. The show never
//! waits on the disk: if the writer falls a whole channel behind, recording
//! stops (a recording with a gap would replay a different show) and says so
//! in the log.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::format::{Header, Input, Line};
use crate::app::Msg;

/// Lines the writer may fall behind before recording stops: minutes of a
/// show at its usual few dozen inputs a second.
pub const CAPACITY: usize = 8192;

pub struct Recorder {
    path: PathBuf,
    tx: Option<SyncSender<Line>>,
    writer: Option<JoinHandle<io::Result<u64>>>,
}

impl Recorder {
    /// Creates `path` (replacing it) and writes the header before the show
    /// starts, so a file that cannot be written is refused up front.
    pub fn create(path: &Path, header: &Header) -> io::Result<Self> {
        let mut out = BufWriter::new(File::create(path)?);
        serde_json::to_writer(&mut out, header)?;
        out.write_all(b"\n")?;
        out.flush()?;
        Self::start(path, out, CAPACITY)
    }

    fn start(path: &Path, mut out: BufWriter<File>, capacity: usize) -> io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel::<Line>(capacity);
        let writer = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || {
                let mut written = 0;
                for line in rx {
                    // Serialised here, off the show's task.
                    serde_json::to_writer(&mut out, &line)?;
                    out.write_all(b"\n")?;
                    out.flush()?;
                    written += 1;
                }
                Ok(written)
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            tx: Some(tx),
            writer: Some(writer),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Still recording: the writer has kept up and not failed.
    pub fn recording(&self) -> bool {
        self.tx.is_some()
    }

    /// Records `input`, received at show time `at`.
    pub fn record(&mut self, at: Duration, input: Input) {
        let Some(tx) = &self.tx else { return };
        let line = Line {
            t: (at.as_secs_f64() * 1e6).round() / 1e6,
            input,
        };
        match tx.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                tracing::error!(
                    "recording to {} stopped: the disk fell {CAPACITY} lines behind; the file is valid up to there",
                    self.path.display()
                );
                self.tx = None;
            }
            Err(TrySendError::Disconnected(_)) => {
                // The writer failed; `finish` says why.
                self.tx = None;
            }
        }
    }

    pub fn record_msg(&mut self, at: Duration, msg: &Msg) {
        if self.tx.is_some() {
            self.record(at, Input::Msg(msg.clone()));
        }
    }

    /// Waits for the writer to write what it holds; the lines written, or
    /// why it failed.
    pub fn finish(mut self) -> io::Result<u64> {
        self.tx = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the recorder's thread panicked")),
            None => Ok(0),
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
