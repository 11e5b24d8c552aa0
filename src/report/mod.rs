//! `chaosdeck report`: the scoreboard of any journals, folded by the same
//! code as the Complete chapter's, and the faults they show left behind.

mod html;
pub mod passes;
mod svg;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::app::{Kind, Scoreboard};
use crate::cluster::FaultSpec;
use crate::state::journal_file::{self, ReadEntry};
use crate::ui::text::plain;

/// What `report` prints, and whether anything could be read.
pub struct Report {
    pub text: String,
    pub ok: bool,
}

pub fn run(paths: &[PathBuf], json: bool) -> Report {
    let (folded, _) = fold(paths, false);
    Report {
        text: if json { folded.json() } else { folded.table() },
        ok: folded.entries > 0,
    }
}

/// The HTML page of the same journals: the figures `run` prints, and each
/// pass drawn.
pub fn html(paths: &[PathBuf]) -> Report {
    let (folded, passes) = fold(paths, true);
    Report {
        text: html::page(&folded, &passes.finish()),
        ok: folded.entries > 0,
    }
}

/// Reads the journals once: the scoreboard, what was left behind and, with
/// `by_pass`, each pass's record.
fn fold(paths: &[PathBuf], by_pass: bool) -> (Folded, passes::Passes) {
    let found = journal_file::files_in_order(paths);
    let mut board = Scoreboard::default();
    let mut left = LeftBehind::default();
    let mut passes = passes::Passes::default();
    let mut entries = 0u64;
    let read = journal_file::read_each(&found.files, |read| {
        entries += 1;
        board.observe(&read.entry);
        if by_pass {
            passes.observe(&read);
        }
        left.observe(read);
    });
    let clean = |texts: Vec<String>| texts.iter().map(|t| plain(t)).collect();
    let folded = Folded {
        files: clean(
            found
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
        ),
        missing: clean(found.missing.iter().map(|m| m.to_string()).collect()),
        unreadable: clean(read.unreadable),
        entries,
        damaged: read.damaged,
        too_long: read.too_long,
        left: left.in_journal_order(),
        board,
    };
    (folded, passes)
}

/// What the journals held, every text from them cleaned.
pub(crate) struct Folded {
    files: Vec<String>,
    missing: Vec<String>,
    unreadable: Vec<String>,
    entries: u64,
    damaged: u64,
    too_long: u64,
    left: Vec<LeftFault>,
    board: Scoreboard,
}

impl Folded {
    fn json(&self) -> String {
        let value = serde_json::json!({
            "files": self.files,
            "entries": self.entries,
            "damaged_lines": self.damaged,
            "lines_too_long": self.too_long,
            "missing": self.missing,
            "unreadable": self.unreadable,
            "left_behind": self.left,
            "scoreboard": self.board.summary(),
        });
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    }

    fn table(&self) -> String {
        let mut text = String::new();
        for file in &self.files {
            text.push_str(&format!("journal  {file}\n"));
        }
        text.push_str(&format!(
            "entries  {}, damaged lines skipped {}",
            self.entries, self.damaged
        ));
        if self.too_long > 0 {
            let mib = journal_file::MAX_LINE_BYTES >> 20;
            text.push_str(&format!(" ({} longer than {mib} MiB)", self.too_long));
        }
        text.push('\n');
        // First after the header: the cluster may still be hurt.
        for fault in &self.left {
            text.push_str(&format!("left behind  {}\n", fault.line()));
        }
        for gap in &self.missing {
            text.push_str(&format!(
                "missing  {gap} (a gap in the rotated files; not counted)\n"
            ));
        }
        for why in &self.unreadable {
            text.push_str(&format!("unreadable  {why}\n"));
        }
        for line in self.board.lines() {
            text.push_str(&line);
            text.push('\n');
        }
        text
    }
}

/// A fault the journals show put in place and never recovered after: no
/// later successful recovery (or heal) of its node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftFault {
    pub fault: FaultSpec,
    /// Cleaned: it comes from a file.
    pub service: String,
    pub pass: u32,
    pub show_s: f64,
    /// When the fault's line was written (RFC 3339), when the line says.
    pub wall: Option<String>,
    /// What the last failed recovery of it said, cleaned.
    pub why: Option<String>,
    #[serde(skip)]
    at: Duration,
    /// Its place in the journals, which number entries afresh in each run.
    #[serde(skip)]
    order: u64,
}

/// How much of a failed recovery's text the table quotes; JSON has it all.
const WHY_CHARS: usize = 200;

impl LeftFault {
    /// `kill of tikv1 at <when> (pass N): not recovered[: why]`
    pub(crate) fn line(&self) -> String {
        let when = match &self.wall {
            Some(wall) => wall.clone(),
            None => format!("show time {}", crate::text::stamp(self.at, None)),
        };
        let mut line = format!(
            "{} of {} at {when} (pass {}): not recovered",
            self.fault, self.service, self.pass
        );
        if let Some(why) = &self.why {
            line.push_str(": ");
            line.push_str(&crate::text::excerpt(why, WHY_CHARS));
        }
        line
    }
}

/// The faults still in place, by node, as the journals are read in order.
#[derive(Debug, Default)]
struct LeftBehind {
    by_service: HashMap<String, Vec<LeftFault>>,
    seen: u64,
}

impl LeftBehind {
    fn observe(&mut self, read: ReadEntry) {
        self.seen += 1;
        let entry = read.entry;
        match entry.kind {
            Kind::Fault { fault, service, .. } => {
                let left = LeftFault {
                    fault,
                    service: plain(&service),
                    pass: entry.pass,
                    show_s: entry.at.as_secs_f64(),
                    at: entry.at,
                    wall: read.wall,
                    why: None,
                    order: self.seen,
                };
                self.by_service.entry(service).or_default().push(left);
            }
            Kind::Recovery {
                service, ok: true, ..
            } => {
                self.by_service.remove(&service);
            }
            // A recovery is of the fault in place: the node's latest.
            Kind::Recovery {
                service, ok: false, ..
            } => {
                if let Some(last) = self.by_service.get_mut(&service).and_then(|f| f.last_mut()) {
                    last.why = Some(plain(&entry.text));
                }
            }
            _ => {}
        }
    }

    fn in_journal_order(self) -> Vec<LeftFault> {
        let mut left: Vec<LeftFault> = self.by_service.into_values().flatten().collect();
        left.sort_by_key(|f| f.order);
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Entry, Level};
    use crate::cluster::Recovery;

    fn read(kind: Kind, text: &str) -> ReadEntry {
        ReadEntry {
            wall: None,
            entry: Entry {
                seq: 0,
                pass: 2,
                at: Duration::from_secs(75),
                after_fault: None,
                level: Level::Info,
                kind,
                text: text.into(),
            },
        }
    }

    fn fault(service: &str) -> ReadEntry {
        let kind = Kind::Fault {
            fault: crate::cluster::FaultKind::Kill.into(),
            service: service.into(),
            struck: Default::default(),
        };
        read(kind, "INJECTED")
    }

    fn recovery(service: &str, ok: bool, text: &str) -> ReadEntry {
        let kind = Kind::Recovery {
            recovery: Recovery::Start,
            service: service.into(),
            ok,
            by: None,
        };
        read(kind, text)
    }

    fn left_after(entries: Vec<ReadEntry>) -> Vec<String> {
        let mut left = LeftBehind::default();
        for entry in entries {
            left.observe(entry);
        }
        left.in_journal_order()
            .iter()
            .map(LeftFault::line)
            .collect()
    }

    #[test]
    fn only_a_later_successful_recovery_of_the_same_node_clears_a_fault() {
        let left = left_after(vec![
            fault("tikv2"),
            fault("tikv1"),
            recovery("tikv1", false, "refused: \u{1b}[2Jbusy"),
            recovery("tikv2", true, "RECOVERY: start tikv2 done"),
            recovery("tikv3", true, "healed tikv3 (start)"),
            fault("tikv3"),
        ]);
        assert_eq!(
            left,
            [
                "kill of tikv1 at show time 01:15 (pass 2): not recovered: refused: ␛[2Jbusy",
                "kill of tikv3 at show time 01:15 (pass 2): not recovered",
            ]
        );
    }

    #[test]
    fn a_recovery_before_the_fault_does_not_count() {
        let left = left_after(vec![recovery("tikv1", true, "healed"), fault("tikv1")]);
        assert_eq!(left.len(), 1, "{left:?}");
    }
}
