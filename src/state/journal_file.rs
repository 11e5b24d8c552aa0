//! The journal on disk: one JSON line per entry, appended as the show runs,
//! rotated by size (`journal.jsonl`, then `journal.jsonl.1`, `.2`, …) and
//! never more than a set number of files. It is one more reader of the
//! in-memory journal, through its own cursor.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

/// What [`files_in_order`] found: the files to read and the gaps between.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct JournalFiles {
    pub files: Vec<PathBuf>,
    /// Gaps in a family (`.1` and `.3` there, `.2` not): entries lost, said
    /// so rather than dropping the files past the gap.
    pub missing: Vec<Missing>,
}

/// Rotated files `first..=last` of `base`, absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub base: PathBuf,
    pub first: usize,
    pub last: usize,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.base.display(), self.first)?;
        if self.last > self.first {
            write!(f, " to .{}", self.last)?;
        }
        Ok(())
    }
}

/// The journal files of `paths`, oldest first: each path's rotated files
/// (highest number first), then the path itself. A directory stands for
/// the journal in it; a path that is itself a rotated file (`x.jsonl.2`)
/// stands for its whole family.
pub fn files_in_order(paths: &[PathBuf]) -> JournalFiles {
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
    let mut found = JournalFiles::default();
    for base in bases {
        let (numbers, gaps) = family_order(rotated_numbers(&base));
        found
            .files
            .extend(numbers.into_iter().map(|n| rotated(&base, n)));
        found
            .missing
            .extend(gaps.into_iter().map(|(first, last)| Missing {
                base: base.clone(),
                first,
                last,
            }));
        found.files.push(base);
    }
    found
}

/// The numbers `N` of the `base.N` files there, as [`rotated`] names them
/// (no leading zeros). Listed, not probed from `.1` up, so that a gap does
/// not hide what is past it; probed when the directory cannot be listed.
fn rotated_numbers(base: &Path) -> Vec<usize> {
    let (Some(dir), Some(name)) = (base.parent(), base.file_name()) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(listing) = fs::read_dir(dir) else {
        return (1..).take_while(|&n| rotated(base, n).exists()).collect();
    };
    let mut prefix = name.as_encoded_bytes().to_vec();
    prefix.push(b'.');
    listing
        .filter_map(|item| {
            let file = item.ok()?.file_name();
            let suffix = file.as_encoded_bytes().strip_prefix(prefix.as_slice())?;
            let n: usize = std::str::from_utf8(suffix).ok()?.parse().ok()?;
            (n > 0 && n.to_string().as_bytes() == suffix).then_some(n)
        })
        .collect()
}

/// The rotated numbers there, highest (oldest) first, and the runs missing
/// below the highest, lowest first, as inclusive ranges.
fn family_order(mut numbers: Vec<usize>) -> (Vec<usize>, Vec<(usize, usize)>) {
    numbers.sort_unstable();
    numbers.dedup();
    let mut gaps = Vec::new();
    let mut expected = 1;
    for &n in &numbers {
        if n > expected {
            gaps.push((expected, n - 1));
        }
        expected = n.saturating_add(1);
    }
    numbers.reverse();
    (numbers, gaps)
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

/// A line longer than this (its newline included) is not a journal entry,
/// which is well under a KiB (a pass's workload chart, the longest, some
/// 12 KiB): it is read past and counted as damaged, and
/// never held whole, so memory stays near this whatever the file holds.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// An entry as read back, with the wall-clock time its line was written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReadEntry {
    /// RFC 3339, as [`JournalFile`] writes it; `None` when absent or not a
    /// time, since it comes from a file.
    #[serde(default, deserialize_with = "wall_time")]
    pub wall: Option<String>,
    #[serde(flatten)]
    pub entry: Entry,
}

fn wall_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(d).unwrap_or(None);
    let format = &time::format_description::well_known::Rfc3339;
    Ok(text.filter(|t| time::OffsetDateTime::parse(t, format).is_ok()))
}

/// What reading journal files found.
#[derive(Debug, Default)]
pub struct ReadJournals {
    pub entries: Vec<Entry>,
    /// Lines that were not journal entries (damaged, truncated, foreign,
    /// too long).
    pub damaged: u64,
    /// Of the damaged lines, those longer than [`MAX_LINE_BYTES`].
    pub too_long: u64,
    /// Files that could not be opened, or not be read to the end, with why.
    pub unreadable: Vec<String>,
}

/// Reads entries from `files` in order, feeding each to `each` so that a
/// long journal need not sit in memory; damaged lines are counted. Only
/// regular files are read, each as far as it was long when opened: a FIFO,
/// a device or a file still growing cannot keep `report` waiting.
pub fn read_each(files: &[PathBuf], mut each: impl FnMut(ReadEntry)) -> ReadJournals {
    let mut read = ReadJournals::default();
    for path in files {
        match open_regular(path) {
            Ok(file) => read_lines(path, file, &mut read, &mut each),
            Err(why) => read.unreadable.push(format!("{}: {why}", path.display())),
        }
    }
    read
}

/// `path` opened for reading, up to its length at opening, if it is a
/// regular file. Checked before opening, and again after on what was
/// opened; it is opened non-blocking, so that a FIFO swapped in between
/// (opening one with no writer waits for one) cannot keep it waiting
/// either. A regular file's reads ignore the flag.
fn open_regular(path: &Path) -> Result<io::Take<File>, String> {
    let describe = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        _ => e.to_string(),
    };
    let regular = |meta: fs::Metadata| {
        if meta.is_file() {
            Ok(meta.len())
        } else {
            Err(format!("not a regular file ({})", file_kind(&meta)))
        }
    };
    regular(fs::metadata(path).map_err(describe)?)?;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(describe)?;
    let len = regular(file.metadata().map_err(describe)?)?;
    Ok(file.take(len))
}

fn file_kind(meta: &fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

fn read_lines(
    path: &Path,
    file: impl io::Read,
    read: &mut ReadJournals,
    each: &mut impl FnMut(ReadEntry),
) {
    let mut lines = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        match read_line_bounded(&mut lines, &mut line, MAX_LINE_BYTES) {
            Ok(LineRead::End) => break,
            Ok(LineRead::TooLong) => {
                read.damaged += 1;
                read.too_long += 1;
            }
            Ok(LineRead::Line) => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                match serde_json::from_str::<ReadEntry>(text) {
                    Ok(entry) => each(entry),
                    Err(_) => read.damaged += 1,
                }
            }
            Err(e) => {
                read.unreadable.push(format!("{}: {e}", path.display()));
                break;
            }
        }
    }
}

/// What [`read_line_bounded`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRead {
    /// Nothing left.
    End,
    /// A line, in the buffer, with its newline if it had one.
    Line,
    /// A line longer than the limit, read past; the buffer is empty.
    TooLong,
}

/// Reads one line into `line` (cleared first), keeping at most `limit`
/// bytes of it: the rest of a longer line is read past, never kept, so a
/// line of any length (or a file with no newline) costs at most about
/// `limit` of memory.
pub fn read_line_bounded(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> io::Result<LineRead> {
    line.clear();
    let mut read_any = false;
    let mut too_long = false;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        read_any = true;
        let (piece, ends) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        if !too_long && line.len() + piece.len() > limit {
            too_long = true;
            line.clear();
        }
        if !too_long {
            line.extend_from_slice(piece);
        }
        let used = piece.len();
        input.consume(used);
        if ends {
            break;
        }
    }
    Ok(match (read_any, too_long) {
        (false, _) => LineRead::End,
        (true, true) => LineRead::TooLong,
        (true, false) => LineRead::Line,
    })
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
        let found = files_in_order(std::slice::from_ref(&path));
        assert_eq!(found.missing, []);
        let files = found.files;
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(!rotated(&path, 3).exists());
        for f in &files {
            assert!(fs::metadata(f).unwrap().len() <= 400, "{f:?}");
        }
        let mut seqs = Vec::new();
        let read = read_each(&files, |e| seqs.push(e.entry.seq));
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
        let read = read_each(&files_in_order(std::slice::from_ref(&dir)).files, |_| {
            n += 1
        });
        assert_eq!((n, read.damaged), (1, 3));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_gap_in_the_rotated_files_is_named_and_what_is_past_it_read() {
        let dir = dir("gap");
        let path = dir.join(DEFAULT_NAME);
        for n in [1, 3, 6] {
            fs::write(rotated(&path, n), "").unwrap();
        }
        // Not of the family: a leading zero, no number, another journal.
        for name in ["journal.jsonl.07", "journal.jsonl.", "journal.jsonl.x"] {
            fs::write(dir.join(name), "").unwrap();
        }
        let found = files_in_order(std::slice::from_ref(&dir));
        let files: Vec<PathBuf> = [6, 3, 1].map(|n| rotated(&path, n)).into();
        assert_eq!(found.files, [files, vec![path.clone()]].concat());
        let missing: Vec<String> = found.missing.iter().map(|m| m.to_string()).collect();
        let name = path.display();
        assert_eq!(missing, [format!("{name}.2"), format!("{name}.4 to .5")]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = dir("special");
        let read = read_each(&[PathBuf::from("/dev/zero"), dir.clone()], |_| {});
        assert_eq!(
            read.unreadable,
            [
                "/dev/zero: not a regular file (a character device)".to_string(),
                format!("{}: not a regular file (a directory)", dir.display()),
            ]
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_wall_time_is_read_back_when_it_is_one() {
        let line = r#"{"wall":"2025-12-07T02:40:00.123Z","seq":3,"pass":2,"show_s":1.5,"level":"info","kind":"note","text":"x"}"#;
        let read: ReadEntry = serde_json::from_str(line).unwrap();
        assert_eq!(read.wall.as_deref(), Some("2025-12-07T02:40:00.123Z"));
        assert_eq!((read.entry.seq, read.entry.pass), (3, 2));
        for wall in [r#""yesterday\u001b[2J""#, "12", "null"] {
            let line = line.replace(r#""2025-12-07T02:40:00.123Z""#, wall);
            let read: ReadEntry = serde_json::from_str(&line).unwrap();
            assert_eq!(read.wall, None, "{wall}");
        }
    }

    #[test]
    fn a_long_line_is_read_past_in_bounded_memory() {
        const LIMIT: usize = 1024;
        let mut text = vec![b'x'; 64 * LIMIT];
        text.extend_from_slice(b"\nshort\n");
        text.extend(std::iter::repeat_n(b'y', 3 * LIMIT));
        let mut input = BufReader::with_capacity(100, text.as_slice());
        let mut line = Vec::new();
        let mut seen = Vec::new();
        loop {
            let read = read_line_bounded(&mut input, &mut line, LIMIT).unwrap();
            assert!(line.capacity() <= 2 * LIMIT, "{}", line.capacity());
            if read == LineRead::End {
                break;
            }
            seen.push((read, String::from_utf8_lossy(&line).into_owned()));
        }
        let too_long = (LineRead::TooLong, String::new());
        assert_eq!(
            seen,
            [
                too_long.clone(),
                (LineRead::Line, "short\n".into()),
                too_long
            ]
        );
    }

    proptest::proptest! {
        /// Lines within the limit come back as `split` would give them, the
        /// others as too long, and the buffer never holds more than the limit.
        #[test]
        fn bounded_lines_are_the_lines_split_at_newlines(
            text in proptest::collection::vec(
                proptest::prop_oneof![proptest::prelude::Just(b'\n'), proptest::prelude::any::<u8>()],
                0..400,
            ),
            limit in 1usize..40,
            capacity in 1usize..16,
        ) {
            let mut expected = Vec::new();
            let mut rest = text.as_slice();
            while !rest.is_empty() {
                let end = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
                let (piece, after) = rest.split_at(end);
                expected.push(if piece.len() > limit {
                    (LineRead::TooLong, Vec::new())
                } else {
                    (LineRead::Line, piece.to_vec())
                });
                rest = after;
            }
            let mut input = BufReader::with_capacity(capacity, text.as_slice());
            let mut line = Vec::new();
            let mut seen = Vec::new();
            loop {
                let read = read_line_bounded(&mut input, &mut line, limit).unwrap();
                proptest::prop_assert!(line.len() <= limit);
                if read == LineRead::End {
                    break;
                }
                seen.push((read, line.clone()));
            }
            proptest::prop_assert_eq!(seen, expected);
        }

        /// Every number there is read, highest first, and the gaps named
        /// are exactly the numbers below the highest that are not there.
        #[test]
        fn the_family_order_keeps_every_file_and_names_every_gap(
            numbers in proptest::collection::vec(1usize..60, 0..20),
        ) {
            let (order, gaps) = family_order(numbers.clone());
            let mut there = numbers.clone();
            there.sort_unstable_by(|a, b| b.cmp(a));
            there.dedup();
            proptest::prop_assert_eq!(&order, &there);
            let missing: Vec<usize> = gaps.iter().flat_map(|&(a, b)| a..=b).collect();
            let highest = there.first().copied().unwrap_or(0);
            let expected: Vec<usize> = (1..highest).filter(|n| !there.contains(n)).collect();
            proptest::prop_assert_eq!(missing, expected);
            proptest::prop_assert!(gaps.windows(2).all(|w| w[0].1 + 1 < w[1].0));
        }

        /// Whatever the bytes, reading a file never fails as a whole: each
        /// non-blank line is an entry or is counted as damaged.
        #[test]
        fn any_file_is_entries_and_damaged_lines(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::Just(r#"{"seq":0,"pass":1,"show_s":1.0,"level":"info","kind":"note","text":"x"}"#.to_string()),
                    "[ -~]{0,30}",
                    proptest::prelude::Just("\u{ff}\u{fe}".to_string()),
                ],
                0..20,
            ),
        ) {
            let text = lines.join("\n");
            let mut read = ReadJournals::default();
            let mut entries = 0u64;
            read_lines(Path::new("p"), text.as_bytes(), &mut read, &mut |_| entries += 1);
            let non_blank = lines.iter().filter(|l| !l.trim().is_empty()).count() as u64;
            proptest::prop_assert_eq!(entries + read.damaged, non_blank);
            proptest::prop_assert!(read.unreadable.is_empty());
        }
    }
}
