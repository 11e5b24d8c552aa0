//! Who ran last in this state directory, and whether it left cleanly: a
//! small file written when a run starts and marked once it has left (its
//! fault recovered, the terminal given back). A run killed on the spot
//! (SIGKILL, a watchdog, a power cut) leaves it unmarked, and the next start
//! can say so ("the previous run, pid N, ended without leaving cleanly").
//!
//! It is read and written only under the state directory's lock, so the
//! record found at start is always an earlier, finished process's.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::app::{Kind, Level};

/// One run, as kept on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub pid: u32,
    /// Wall-clock time it started, RFC 3339.
    pub started: String,
    /// Set once it left cleanly.
    #[serde(default)]
    pub left: Option<Left>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Left {
    /// Wall-clock time, RFC 3339.
    pub at: String,
    pub exit_code: u8,
}

/// A record larger than this is not one: it is never read whole.
const MAX_BYTES: u64 = 4096;

#[derive(Debug, Clone)]
pub struct RunFile {
    path: PathBuf,
}

impl RunFile {
    pub const NAME: &'static str = "last-run.json";

    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join(Self::NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The earlier run's record, if one can be read; a damaged one counts
    /// as none (there is nothing to heal from it, only words).
    pub fn previous(&self) -> Option<RunRecord> {
        use std::io::Read;
        let file = std::fs::File::open(&self.path).ok()?;
        let mut bytes = Vec::new();
        file.take(MAX_BYTES).read_to_end(&mut bytes).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// This run starts: returns the earlier run's record and puts this
    /// one's in its place.
    pub fn begin(&self) -> io::Result<Option<RunRecord>> {
        let previous = self.previous();
        let ours = RunRecord {
            pid: std::process::id(),
            started: super::rfc3339(super::wall_now()),
            left: None,
        };
        self.write(&ours)?;
        Ok(previous)
    }

    /// This run has left cleanly, with `exit_code`.
    pub fn left(&self, started: &RunRecord, exit_code: u8) -> io::Result<()> {
        let record = RunRecord {
            left: Some(Left {
                at: super::rfc3339(super::wall_now()),
                exit_code,
            }),
            ..started.clone()
        };
        self.write(&record)
    }

    fn write(&self, record: &RunRecord) -> io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
        bytes.push(b'\n');
        super::write_atomically(&self.path, &bytes)
    }
}

/// What the start of a run says of the run before it: journalled as a
/// restart, which the scoreboard and the metrics count.
pub fn restart_note(previous: &RunRecord) -> (Level, Kind, String) {
    let pid = previous.pid;
    let kind = Kind::Restart {
        previous_pid: pid,
        clean: previous.left.is_some(),
    };
    match &previous.left {
        Some(left) => (
            Level::Info,
            kind,
            format!(
                "start-up: restarted; the previous run, pid {pid}, left cleanly at {} (exit code {})",
                left.at, left.exit_code
            ),
        ),
        None => (
            Level::Warning,
            kind,
            format!(
                "start-up: restarted; the previous run, pid {pid} (started {}), ended without leaving cleanly: killed, crashed or stopped by its watchdog",
                previous.started
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("chaosdeck-run-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_run_that_left_is_told_apart_from_one_that_did_not() {
        let dir = dir("told");
        let file = RunFile::in_dir(&dir);
        assert_eq!(
            file.begin().unwrap(),
            None,
            "the first run has no predecessor"
        );
        // Killed: nothing marks the record.
        let killed = file.begin().unwrap().expect("the first run's record");
        assert_eq!(killed.pid, std::process::id());
        assert_eq!(killed.left, None);
        let (level, kind, text) = restart_note(&killed);
        assert_eq!(level, Level::Warning);
        assert_eq!(
            kind,
            Kind::Restart {
                previous_pid: killed.pid,
                clean: false
            }
        );
        assert!(
            text.contains(&format!("the previous run, pid {} (started ", killed.pid))
                && text.contains("ended without leaving cleanly"),
            "{text}"
        );
        // This one leaves.
        let ours = file.previous().unwrap();
        file.left(&ours, 0).unwrap();
        let clean = file.begin().unwrap().unwrap();
        assert_eq!(clean.left.as_ref().map(|l| l.exit_code), Some(0));
        let (level, kind, text) = restart_note(&clean);
        assert_eq!(level, Level::Info);
        assert!(matches!(kind, Kind::Restart { clean: true, .. }));
        assert!(text.contains("left cleanly at"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_record_counts_as_none() {
        let dir = dir("damaged");
        let file = RunFile::in_dir(&dir);
        std::fs::write(file.path(), "{ not json").unwrap();
        assert_eq!(file.begin().unwrap(), None);
        assert!(file.previous().is_some(), "replaced by this run's");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
