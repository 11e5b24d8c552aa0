//! The journal on disk: one JSON line per entry, appended as the show runs,
//! rotated by size (`journal.jsonl`, then `journal.jsonl.1`, `.2`, …) and
//! never more than a set number of files. It is one more reader of the
//! in-memory journal, through its own cursor.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::app::{Cursor, Entry, Journal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// A file is rotated once it would grow past this.
    pub max_bytes: u64,
    /// The current file and the rotated ones, at most.
    pub max_files: usize,
}

impl Default for Rotation {
    fn default() -> Self {
        Self {
            max_bytes: 8 << 20,
            max_files: 5,
        }
    }
}

pub const DEFAULT_NAME: &str = "journal.jsonl";

pub struct JournalFile {
    path: PathBuf,
    rotation: Rotation,
    out: Option<BufWriter<File>>,
    written: u64,
    cursor: Cursor,
    /// The last failure, logged once; the show goes on without the file.
    failing: Option<String>,
}

#[derive(Serialize)]
struct Line<'a> {
    /// Wall-clock time the line was written (RFC 3339, UTC).
    wall: String,
    #[serde(flatten)]
    entry: &'a Entry,
}

impl JournalFile {
    /// Opens (creating) the journal at `path`, appending to what is there.
    pub fn open(path: &Path, rotation: Rotation) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let written = file.metadata()?.len();
        Ok(Self {
            path: path.to_path_buf(),
            rotation: Rotation {
                max_files: rotation.max_files.max(1),
                ..rotation
            },
            out: Some(BufWriter::new(file)),
            written,
            cursor: Cursor::default(),
            failing: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends what is new in `journal` and flushes. Errors are logged once
    /// and the show goes on: a full disk must not stop a booth.
    pub fn write_new(&mut self, journal: &Journal) {
        let (missed, entries) = journal.read(&mut self.cursor);
        if missed > 0 {
            tracing::warn!(missed, "journal file fell behind");
        }
        let wall = super::rfc3339(super::wall_now());
        let mut result = Ok(());
        for entry in entries {
            let line = Line {
                wall: wall.clone(),
                entry,
            };
            let mut text = match serde_json::to_vec(&line) {
                Ok(text) => text,
                Err(e) => {
                    tracing::error!("journal entry not written: {e}");
                    continue;
                }
            };
            text.push(b'\n');
            result = self.append(&text);
            if result.is_err() {
                break;
            }
        }
        if result.is_ok()
            && let Some(out) = self.out.as_mut()
        {
            result = out.flush();
        }
        match result {
            Ok(()) => self.failing = None,
            Err(e) => {
                let text = e.to_string();
                if self.failing.as_deref() != Some(&text) {
                    tracing::error!(path = %self.path.display(), "journal not written: {text}");
                }
                self.failing = Some(text);
            }
        }
    }

    fn append(&mut self, line: &[u8]) -> io::Result<()> {
        if self.written > 0 && self.written + line.len() as u64 > self.rotation.max_bytes {
            self.rotate()?;
        }
        let out = match self.out.as_mut() {
            Some(out) => out,
            None => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?;
                self.written = file.metadata()?.len();
                self.out.insert(BufWriter::new(file))
            }
        };
        out.write_all(line)?;
        self.written += line.len() as u64;
        Ok(())
    }

    /// `journal.jsonl` becomes `.1`, `.1` becomes `.2`, …; the oldest goes.
    fn rotate(&mut self) -> io::Result<()> {
        if let Some(mut out) = self.out.take() {
            out.flush()?;
        }
        let keep = self.rotation.max_files - 1;
        if keep == 0 {
            fs::remove_file(&self.path)?;
        } else {
            let _ = fs::remove_file(rotated(&self.path, keep));
            for n in (1..keep).rev() {
                let from = rotated(&self.path, n);
                if from.exists() {
                    fs::rename(&from, rotated(&self.path, n + 1))?;
                }
            }
            fs::rename(&self.path, rotated(&self.path, 1))?;
        }
        self.written = 0;
        Ok(())
    }
}

/// `journal.jsonl.N`
pub fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// The journal files of `paths`, oldest first: each path's rotated files
/// (highest number first), then the path itself. A directory stands for
/// the journal in it; a path that is itself a rotated file (`x.jsonl.2`)
/// stands for its whole family.
pub fn files_in_order(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut bases: Vec<PathBuf> = Vec::new();
    for path in paths {
        let base = if path.is_dir() {
            path.join(DEFAULT_NAME)
        } else {
            base_of(path)
        };
        if !bases.contains(&base) {
            bases.push(base);
        }
    }
    let mut files = Vec::new();
    for base in bases {
        let mut n = 1;
        let mut family = Vec::new();
        while rotated(&base, n).exists() {
            family.push(rotated(&base, n));
            n += 1;
        }
        family.reverse();
        files.extend(family);
        files.push(base);
    }
    files
}

fn base_of(path: &Path) -> PathBuf {
    let text = path.to_string_lossy();
    if let Some((stem, number)) = text.rsplit_once('.')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
    {
        return PathBuf::from(stem);
    }
    path.to_path_buf()
}

/// What reading journal files found.
#[derive(Debug, Default)]
pub struct ReadJournals {
    pub entries: Vec<Entry>,
    /// Lines that were not journal entries (damaged, truncated, foreign).
    pub damaged: u64,
    /// Files that could not be opened, with why.
    pub unreadable: Vec<String>,
}

/// Reads entries from `files` in order, feeding each to `each` so that a
/// long journal need not sit in memory; damaged lines are counted.
pub fn read_each(files: &[PathBuf], mut each: impl FnMut(Entry)) -> ReadJournals {
    let mut read = ReadJournals::default();
    for path in files {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                read.unreadable
                    .push(format!("{}: no such file", path.display()));
                continue;
            }
            Err(e) => {
                read.unreadable.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let mut lines = BufReader::new(file);
        let mut line = Vec::new();
        loop {
            line.clear();
            match lines.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    read.unreadable.push(format!("{}: {e}", path.display()));
                    break;
                }
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_str::<Entry>(text) {
                Ok(entry) => each(entry),
                Err(_) => read.damaged += 1,
            }
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::app::{Kind, Level};

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("chaosdeck-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn note(journal: &mut Journal, text: &str) {
        journal.push(Entry {
            seq: 0,
            pass: 1,
            at: Duration::from_secs(1),
            after_fault: None,
            level: Level::Info,
            kind: Kind::Note,
            text: text.into(),
        });
    }

    #[test]
    fn rotates_by_size_and_keeps_at_most_the_set_number_of_files() {
        let dir = dir("rotate");
        let path = dir.join(DEFAULT_NAME);
        let rotation = Rotation {
            max_bytes: 400,
            max_files: 3,
        };
        let mut file = JournalFile::open(&path, rotation).unwrap();
        let mut journal = Journal::default();
        for i in 0..40 {
            note(&mut journal, &format!("entry {i:02}"));
            file.write_new(&journal);
        }
        let files = files_in_order(std::slice::from_ref(&path));
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(!rotated(&path, 3).exists());
        for f in &files {
            assert!(fs::metadata(f).unwrap().len() <= 400, "{f:?}");
        }
        let mut seqs = Vec::new();
        let read = read_each(&files, |e| seqs.push(e.seq));
        assert_eq!(read.damaged, 0);
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
        assert_eq!(seqs.last(), Some(&39));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn damaged_and_truncated_lines_are_counted_not_fatal() {
        let dir = dir("damaged");
        let path = dir.join(DEFAULT_NAME);
        let mut file = JournalFile::open(&path, Rotation::default()).unwrap();
        let mut journal = Journal::default();
        note(&mut journal, "whole");
        file.write_new(&journal);
        let mut text = fs::read(&path).unwrap();
        text.extend_from_slice(b"not json\n\xff\xfe\n{\"seq\":1,\"pass\":1,\"show_s\":2.0,\"lev");
        fs::write(&path, text).unwrap();
        let mut n = 0;
        let read = read_each(&files_in_order(std::slice::from_ref(&dir)), |_| n += 1);
        assert_eq!((n, read.damaged), (1, 3));
        let _ = fs::remove_dir_all(&dir);
    }
}
