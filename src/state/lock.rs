//! One chaosdeck per state directory and per cluster: advisory locks
//! (`flock`) on small files that say who holds them. The kernel drops a lock
//! when its holder dies, however it dies, so a SIGKILL never leaves a stale
//! lock behind; the file's words are only for telling who holds it.
//!
//! `doctor` and `report` only read, and take no lock.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// A lock held for as long as this value lives.
#[derive(Debug)]
pub struct Held {
    _file: File,
}

/// Why a lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another live process holds it; what its file says of it.
    Held { holder: String },
    /// The lock file cannot be made or locked.
    Io(io::Error),
}

/// What the lock file of a holder says, at most this many bytes of it.
const HOLDER_WORDS: u64 = 512;

/// Takes the lock at `path` (creating the file), or says who holds it.
pub fn take(path: &Path) -> Result<Held, LockError> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(LockError::Io)?;
    // SAFETY: flock on a descriptor this function owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let error = io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
            let mut words = String::new();
            let _ = (&file).take(HOLDER_WORDS).read_to_string(&mut words);
            let holder = crate::text::clean::clean_line(words.trim()).into_owned();
            return Err(LockError::Held {
                holder: if holder.is_empty() {
                    "another chaosdeck".into()
                } else {
                    holder
                },
            });
        }
        return Err(LockError::Io(error));
    }
    let words = format!(
        "another chaosdeck (pid {}, started {})",
        std::process::id(),
        super::rfc3339(super::wall_now())
    );
    file.set_len(0).map_err(LockError::Io)?;
    file.rewind().map_err(LockError::Io)?;
    file.write_all(words.as_bytes()).map_err(LockError::Io)?;
    Ok(Held { _file: file })
}

/// The state directory's lock file.
pub fn state_dir_lock(dir: &Path) -> PathBuf {
    dir.join("chaosdeck.lock")
}

/// Where the locks named for clusters live: one folder for every state
/// directory on this machine (`CHAOSDECK_LOCK_DIR` to choose another).
pub fn cluster_lock_dir() -> PathBuf {
    std::env::var_os("CHAOSDECK_LOCK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("chaosdeck-locks"))
}

/// The lock file for one name of a cluster (a compose project, a PD
/// address), as a file name anyone can read.
pub fn cluster_lock(dir: &Path, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}.lock"))
}

/// Makes the shared lock folder, open to every user (like /tmp) so that
/// two users' chaosdecks on one cluster still find each other.
pub fn make_shared_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::create_dir(dir) {
        Ok(()) => {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777));
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("chaosdeck-lock-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_second_taker_is_told_who_holds_it_until_it_is_let_go() {
        let dir = dir("twice");
        let path = state_dir_lock(&dir);
        let first = take(&path).unwrap();
        match take(&path) {
            Err(LockError::Held { holder }) => {
                assert!(
                    holder.starts_with(&format!(
                        "another chaosdeck (pid {}, started ",
                        std::process::id()
                    )),
                    "{holder}"
                );
            }
            other => panic!("taken twice: {other:?}"),
        }
        drop(first);
        let again = take(&path).unwrap();
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn cluster_names_make_plain_file_names() {
        let path = cluster_lock(Path::new("/x"), "pd http://127.0.0.1:2379/");
        assert_eq!(path, Path::new("/x/pd_http___127.0.0.1_2379_.lock"));
    }

    #[test]
    fn a_lock_in_a_folder_that_cannot_be_made_is_an_io_error() {
        let dir = dir("file");
        let not_a_dir = dir.join("file");
        std::fs::write(&not_a_dir, "x").unwrap();
        assert!(matches!(
            take(&not_a_dir.join("chaosdeck.lock")),
            Err(LockError::Io(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
