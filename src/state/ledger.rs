//! The fault ledger on disk: before an injection chaosdeck writes what it is
//! about to do, synced to disk, and clears it once the recovery is confirmed.
//! A chaosdeck killed mid-fault (SIGKILL, a power cut) leaves the file
//! behind, and the next start reads it and heals what it says.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::{Before, FaultSpec};

/// One fault that may be in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// `kill`, `slow cpus=0.2` (named `kind` as earlier versions wrote it).
    #[serde(rename = "kind")]
    pub fault: FaultSpec,
    pub service: String,
    /// The cluster it was injected into: `SIM` or `DOCKER <project>`.
    pub cluster: String,
    /// Wall-clock time of the injection, RFC 3339.
    pub at: String,
    /// The process that injected it.
    pub pid: u32,
    /// What the fault changed, to put back (see [`Before`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Before>,
}

/// What the ledger file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerRead {
    /// One entry for each cluster with a fault that may be in place (none:
    /// no file, or an empty one).
    Faults(Vec<LedgerEntry>),
    /// The file exists but cannot be read as a ledger: said, then set aside.
    Damaged(String),
}

/// A ledger larger than this is damaged: it is never read whole.
pub const MAX_BYTES: u64 = 64 * 1024;

/// The file's form: one entry for each cluster. A ledger of an earlier
/// chaosdeck holds one entry alone, read as one slot.
#[derive(Deserialize)]
#[serde(untagged)]
enum OnDisk {
    Slots(Vec<LedgerEntry>),
    One(LedgerEntry),
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
        let file = match File::open(&self.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return LedgerRead::Faults(Vec::new()),
            Err(e) => {
                return LedgerRead::Damaged(format!("cannot read {}: {e}", self.path.display()));
            }
            Ok(file) => file,
        };
        let mut bytes = Vec::new();
        if let Err(e) = file.take(MAX_BYTES + 1).read_to_end(&mut bytes) {
            return LedgerRead::Damaged(format!("cannot read {}: {e}", self.path.display()));
        }
        if bytes.len() as u64 > MAX_BYTES {
            return LedgerRead::Damaged(format!(
                "{} is larger than a fault ledger can be ({} KiB)",
                self.path.display(),
                MAX_BYTES / 1024
            ));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return LedgerRead::Faults(Vec::new());
        }
        match serde_json::from_slice(&bytes) {
            Ok(OnDisk::Slots(entries)) => LedgerRead::Faults(entries),
            Ok(OnDisk::One(entry)) => LedgerRead::Faults(vec![entry]),
            Err(e) => LedgerRead::Damaged(format!(
                "{} is not a fault ledger ({e})",
                self.path.display()
            )),
        }
    }

    /// The entries as they stand, a damaged file counting as none (it was
    /// set aside at start; a file damaged since is replaced).
    fn slots(&self) -> Vec<LedgerEntry> {
        match self.read() {
            LedgerRead::Faults(entries) => entries,
            LedgerRead::Damaged(why) => {
                tracing::warn!("the fault ledger is replaced: {why}");
                Vec::new()
            }
        }
    }

    /// Writes `entry` in its cluster's slot, keeping the other clusters',
    /// and syncs it (file and folder) before returning: the injection
    /// follows only once it is on disk.
    pub fn record(&self, entry: &LedgerEntry) -> io::Result<()> {
        let mut slots = self.slots();
        slots.retain(|e| e.cluster != entry.cluster);
        slots.push(entry.clone());
        self.write(&slots)
    }

    /// The fault on `cluster` is known to be undone; other clusters' stay.
    pub fn clear(&self, cluster: &str) -> io::Result<()> {
        let mut slots = self.slots();
        let before = slots.len();
        slots.retain(|e| e.cluster != cluster);
        if slots.is_empty() {
            return match fs::remove_file(&self.path) {
                Ok(()) => sync_dir(self.dir()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            };
        }
        if slots.len() == before {
            return Ok(());
        }
        self.write(&slots)
    }

    /// Renames a damaged ledger aside, for a person to look at; returns
    /// where it went.
    pub fn set_aside(&self) -> io::Result<PathBuf> {
        let stamp = super::wall_now().unix_timestamp();
        let aside = self
            .path
            .with_extension(format!("json.damaged-{stamp}-{}", std::process::id()));
        fs::rename(&self.path, &aside)?;
        sync_dir(self.dir())?;
        Ok(aside)
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Replaces the file whole: written aside (a name of this process's
    /// own), synced, then renamed over.
    fn write(&self, slots: &[LedgerEntry]) -> io::Result<()> {
        let dir = self.dir();
        fs::create_dir_all(dir)?;
        let temporary = self
            .path
            .with_extension(format!("json.{}.tmp", std::process::id()));
        {
            let mut file = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .open(&temporary)?;
            file.write_all(&serde_json::to_vec_pretty(slots).map_err(io::Error::other)?)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
        }
        fs::rename(&temporary, &self.path)?;
        sync_dir(dir)
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

    fn entry(cluster: &str, service: &str) -> LedgerEntry {
        LedgerEntry {
            fault: crate::cluster::FaultKind::Pause.into(),
            service: service.into(),
            cluster: cluster.into(),
            at: "2026-12-01T10:00:00.000Z".into(),
            pid: 42,
            before: None,
        }
    }

    #[test]
    fn a_recorded_fault_is_read_back_until_cleared() {
        let dir = dir();
        let ledger = LedgerFile::in_dir(&dir);
        assert_eq!(ledger.read(), LedgerRead::Faults(vec![]));
        let entry = entry("DOCKER demo", "tikv1");
        ledger.record(&entry).unwrap();
        assert_eq!(ledger.read(), LedgerRead::Faults(vec![entry]));
        ledger.clear("DOCKER demo").unwrap();
        assert_eq!(ledger.read(), LedgerRead::Faults(vec![]));
        assert!(!ledger.path().exists());
        ledger.clear("DOCKER demo").unwrap();
        fs::write(ledger.path(), "{ truncated").unwrap();
        assert!(
            matches!(ledger.read(), LedgerRead::Damaged(why) if why.contains("not a fault ledger"))
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn another_clusters_entry_keeps_its_slot() {
        let dir = dir();
        let ledger = LedgerFile::in_dir(&dir);
        let theirs = entry("DOCKER other", "tikv2");
        ledger.record(&theirs).unwrap();
        let ours = entry("DOCKER demo", "tikv1");
        ledger.record(&ours).unwrap();
        assert_eq!(
            ledger.read(),
            LedgerRead::Faults(vec![theirs.clone(), ours.clone()])
        );
        // A second fault on our cluster takes our slot, not theirs.
        let again = entry("DOCKER demo", "tikv3");
        ledger.record(&again).unwrap();
        assert_eq!(
            ledger.read(),
            LedgerRead::Faults(vec![theirs.clone(), again])
        );
        ledger.clear("DOCKER demo").unwrap();
        assert_eq!(ledger.read(), LedgerRead::Faults(vec![theirs]));
        let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_earlier_chaosdecks_single_entry_is_read_as_one_slot() {
        let dir = dir();
        let ledger = LedgerFile::in_dir(&dir);
        fs::create_dir_all(&dir).unwrap();
        let old = entry("DOCKER demo", "tikv1");
        fs::write(ledger.path(), serde_json::to_vec(&old).unwrap()).unwrap();
        assert_eq!(ledger.read(), LedgerRead::Faults(vec![old]));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_huge_ledger_is_damaged_without_being_read_whole_and_is_set_aside() {
        let dir = dir();
        let ledger = LedgerFile::in_dir(&dir);
        fs::create_dir_all(&dir).unwrap();
        let file = File::create(ledger.path()).unwrap();
        // Sparse: 200 MB on paper, nothing on disk.
        file.set_len(200 << 20).unwrap();
        match ledger.read() {
            LedgerRead::Damaged(why) => assert!(why.contains("larger than"), "{why}"),
            other => panic!("{other:?}"),
        }
        let aside = ledger.set_aside().unwrap();
        assert!(aside.exists() && !ledger.path().exists(), "{aside:?}");
        assert!(
            aside
                .to_string_lossy()
                .contains("fault-ledger.json.damaged-"),
            "{aside:?}"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
