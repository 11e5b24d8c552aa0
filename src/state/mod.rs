//! What chaosdeck keeps on disk between runs, in the user's state directory
//! (`--state-dir` to choose): the fault ledger, the journal, the logs and
//! the record of the last run.

pub mod journal_file;
pub mod ledger;
pub mod lock;
pub mod run_record;

use std::path::{Path, PathBuf};

/// The state directory: `--state-dir`, else the platform's (on Linux
/// `$XDG_STATE_HOME/chaosdeck`, else `~/.local/state/chaosdeck`), else a
/// folder in the temporary directory.
pub fn state_dir(chosen: Option<&Path>) -> PathBuf {
    if let Some(dir) = chosen {
        return dir.to_path_buf();
    }
    directories::ProjectDirs::from("", "", "chaosdeck")
        .map(|dirs| {
            dirs.state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .to_path_buf()
        })
        .unwrap_or_else(|| std::env::temp_dir().join("chaosdeck"))
}

/// Unix time now, for what is written to disk (never for the show's timing).
pub fn wall_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// RFC 3339 with milliseconds, in UTC.
pub fn rfc3339(at: time::OffsetDateTime) -> String {
    let at = at
        .replace_nanosecond(at.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Replaces `path` whole, never leaving half a file for a reader: written
/// beside it under a name of this process's own, synced, renamed over, and
/// the folder synced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    std::fs::File::open(dir)?.sync_all()
}
