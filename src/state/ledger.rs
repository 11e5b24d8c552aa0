//! The fault ledger on disk: before an injection chaosdeck writes what it is
//! about to do, synced to disk, and clears it once the recovery is confirmed.
//! A chaosdeck killed mid-fault (SIGKILL, a power cut) leaves the file
//! behind, and the next start reads it and heals what it says.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::FaultKind;

/// One fault that may be in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub kind: FaultKind,
    pub service: String,
    /// The cluster it was injected into: `SIM` or `DOCKER <project>`.
    pub cluster: String,
    /// Wall-clock time of the injection, RFC 3339.
    pub at: String,
    /// The process that injected it.
    pub pid: u32,
}

/// What the ledger file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerRead {
    Empty,
    Fault(LedgerEntry),
    /// The file exists but cannot be read as a ledger: said, then replaced.
    Damaged(String),
}

#[derive(Debug, Clone)]
pub struct LedgerFile {
    path: PathBuf,
}

impl LedgerFile {
    pub const NAME: &'static str = "fault-ledger.json";

    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join(Self::NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn read(&self) -> LedgerRead {
        match fs::read(&self.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => LedgerRead::Empty,
            Err(e) => LedgerRead::Damaged(format!("cannot read {}: {e}", self.path.display())),
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(entry) => LedgerRead::Fault(entry),
                Err(e) => LedgerRead::Damaged(format!(
                    "{} is not a fault ledger ({e})",
                    self.path.display()
                )),
            },
        }
    }

    /// Writes `entry` and syncs it (file and folder) before returning: the
    /// injection follows only once it is on disk.
    pub fn record(&self, entry: &LedgerEntry) -> io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let temporary = self.path.with_extension("json.tmp");
        {
            let mut file = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .open(&temporary)?;
            file.write_all(&serde_json::to_vec_pretty(entry).map_err(io::Error::other)?)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
        }
        fs::rename(&temporary, &self.path)?;
        sync_dir(dir)
    }

    /// The fault is known to be undone.
    pub fn clear(&self) -> io::Result<()> {
        match fs::remove_file(&self.path) {
            Ok(()) => sync_dir(self.path.parent().unwrap_or(Path::new("."))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "chaosdeck-ledger-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_recorded_fault_is_read_back_until_cleared() {
        let dir = dir();
        let ledger = LedgerFile::in_dir(&dir);
        assert_eq!(ledger.read(), LedgerRead::Empty);
        let entry = LedgerEntry {
            kind: FaultKind::Pause,
            service: "tikv1".into(),
            cluster: "DOCKER demo".into(),
            at: "2026-12-01T10:00:00.000Z".into(),
            pid: 42,
        };
        ledger.record(&entry).unwrap();
        assert_eq!(ledger.read(), LedgerRead::Fault(entry));
        ledger.clear().unwrap();
        assert_eq!(ledger.read(), LedgerRead::Empty);
        ledger.clear().unwrap();
        fs::write(ledger.path(), "{ truncated").unwrap();
        assert!(
            matches!(ledger.read(), LedgerRead::Damaged(why) if why.contains("not a fault ledger"))
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
