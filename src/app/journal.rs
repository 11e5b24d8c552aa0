//! The journal: what happened, in order, as an append-only sequence.
//!
//! `update` appends; every reader (the full screen's log, plain mode, the
//! JSON-lines file, tests) keeps its own [`Cursor`] and reads what is new, so
//! no front end needs `&mut App`. Memory is bounded: the oldest entries fall
//! off, and a reader that fell that far behind is told how many it missed.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::pass_chart::PassChart;
use crate::cluster::{FaultSpec, Recovery, Struck};
use crate::monitor::Signal;
use crate::units::serde_secs::{secs, secs_opt};

/// How much an entry matters; the UI colours by it (with a word beside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Good,
    Warning,
    Critical,
}

/// What an entry records, with the figures the scoreboard and `report` read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// Anything worth a line that carries no figure.
    Note,
    /// A chapter was entered (its index).
    Chapter {
        index: usize,
    },
    ActionStarted,
    ActionDone,
    ActionFailed,
    /// Called off by the presenter (ESC), by a reset or by moving on.
    ActionAborted,
    /// A fault is in place.
    Fault {
        fault: FaultSpec,
        service: String,
        /// What it struck, where that is not a TiKV node (PD's leader).
        #[serde(default, skip_serializing_if = "Struck::is_tikv")]
        struck: Struck,
    },
    /// The monitor opened an incident after a fault, by this signal.
    Detection {
        signal: Signal,
        #[serde(with = "secs_opt")]
        after_fault: Option<Duration>,
    },
    Diagnosis {
        #[serde(with = "secs")]
        took: Duration,
    },
    /// The recovery of the fault in place was asked for.
    RecoveryStarted {
        recovery: Recovery,
        service: String,
        #[serde(default)]
        by: Undoer,
    },
    /// A recovery (or a heal) was answered.
    Recovery {
        recovery: Recovery,
        service: String,
        ok: bool,
        /// Who asked, for a heal; none for the answer to the
        /// `RecoveryStarted` of the same node before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Undoer>,
    },
    /// The cluster is healthy again after the fault, `took` after the
    /// recovery started.
    Recovered {
        #[serde(with = "secs")]
        took: Duration,
    },
    /// The workload is back at its baseline (within noise), `took` after
    /// the recovery started.
    LoadBack {
        #[serde(with = "secs")]
        took: Duration,
    },
    /// The pass's workload chart, written just before its end.
    Workload(PassChart),
    /// A pass of the story ended.
    PassEnd {
        healthy: bool,
    },
    /// The show stopped injecting faults.
    Hold,
    HoldReleased,
    /// This run followed another in the same state directory: the earlier
    /// one, `previous_pid`, had left cleanly or not (a SIGKILL, a crash, a
    /// power cut).
    Restart {
        previous_pid: u32,
        clean: bool,
    },
    /// Something in the world failed.
    Error,
}

/// Who asked for a fault to be undone: the report's table of undos says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Undoer {
    /// The story's own recovery action.
    Story,
    /// The presenter, applying the agent's recommendation.
    Presenter,
    /// What ran was called off (ESC, a reset, going back, a hold, the
    /// pass over), and its fault with it.
    CalledOff,
    /// The booth, retrying a recovery that failed.
    Booth,
    /// A node healed outside the ledger's fault: the booth's check between
    /// passes, or a stray injection undone as it landed.
    Heal,
    /// chaosdeck starting, from the ledger of a run before.
    StartUp,
    /// chaosdeck leaving with a fault in place.
    Leaving,
    /// A late injection, called off before it landed, undone as it did.
    Late,
    /// A journal from before this was written down.
    #[default]
    Unknown,
}

impl Undoer {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Story => "the story",
            Self::Presenter => "the presenter (agent's action)",
            Self::CalledOff => "calling it off",
            Self::Booth => "the booth (retry)",
            Self::Heal => "a heal (the booth's check, or a stray injection)",
            Self::StartUp => "chaosdeck at start-up",
            Self::Leaving => "chaosdeck leaving",
            Self::Late => "chaosdeck (a late injection)",
            Self::Unknown => "not recorded",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the journal, from 0, without gaps.
    pub seq: u64,
    /// The story's pass, from 1.
    pub pass: u32,
    /// Show time.
    #[serde(rename = "show_s", with = "secs")]
    pub at: Duration,
    /// Time since the fault, for everything after one was injected.
    #[serde(rename = "after_fault_s", with = "secs_opt", default)]
    pub after_fault: Option<Duration>,
    pub level: Level,
    #[serde(flatten)]
    pub kind: Kind,
    pub text: String,
}

impl Entry {
    /// The chapter this entry opens, if it opens one.
    pub fn chapter(&self) -> Option<usize> {
        match self.kind {
            Kind::Chapter { index } => Some(index),
            _ => None,
        }
    }
}

/// Where one reader is in the journal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    next: u64,
}

/// Entries kept in memory; readers run after every message, so they never
/// fall this far behind in practice.
pub const KEPT: usize = 2000;

#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: VecDeque<Entry>,
    next_seq: u64,
}

impl Journal {
    /// Appends an entry, numbering it; returns its number.
    pub fn push(&mut self, mut entry: Entry) -> u64 {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        if self.entries.len() == KEPT {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
        self.next_seq - 1
    }

    /// A cursor that reads only what is appended from now on.
    pub fn cursor_at_end(&self) -> Cursor {
        Cursor {
            next: self.next_seq,
        }
    }

    /// What is new for `cursor`, moving it to the end, and how many entries
    /// it missed because they had already fallen off.
    pub fn read<'a>(
        &'a self,
        cursor: &mut Cursor,
    ) -> (u64, impl Iterator<Item = &'a Entry> + use<'a>) {
        let oldest = self.entries.front().map_or(self.next_seq, |e| e.seq);
        let missed = oldest.saturating_sub(cursor.next);
        let from = cursor.next.max(oldest);
        cursor.next = self.next_seq;
        let skip = usize::try_from(from - oldest).unwrap_or(usize::MAX);
        (missed, self.entries.iter().skip(skip))
    }

    /// The entries still in memory, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(text: &str) -> Entry {
        Entry {
            seq: 0,
            pass: 1,
            at: Duration::from_millis(1500),
            after_fault: None,
            level: Level::Info,
            kind: Kind::Note,
            text: text.into(),
        }
    }

    #[test]
    fn each_reader_sees_each_entry_once() {
        let mut journal = Journal::default();
        let mut a = Cursor::default();
        journal.push(note("one"));
        let mut b = journal.cursor_at_end();
        journal.push(note("two"));
        let (_, new) = journal.read(&mut a);
        assert_eq!(
            new.map(|e| e.text.as_str()).collect::<Vec<_>>(),
            ["one", "two"]
        );
        let (_, new) = journal.read(&mut b);
        assert_eq!(new.map(|e| e.seq).collect::<Vec<_>>(), [1]);
        assert_eq!(journal.read(&mut a).1.count(), 0);
    }

    #[test]
    fn a_reader_left_behind_is_told_what_it_missed() {
        let mut journal = Journal::default();
        let mut cursor = Cursor::default();
        for i in 0..KEPT + 5 {
            journal.push(note(&i.to_string()));
        }
        assert_eq!(journal.len(), KEPT);
        let (missed, mut new) = journal.read(&mut cursor);
        assert_eq!(missed, 5);
        assert_eq!(new.next().map(|e| e.seq), Some(5));
    }

    #[test]
    fn entries_round_trip_as_json_lines() {
        let entry = Entry {
            after_fault: Some(Duration::from_millis(250)),
            kind: Kind::Detection {
                signal: Signal::ProcessEvent,
                after_fault: Some(Duration::from_millis(250)),
            },
            ..note("DETECTED tikv1")
        };
        let line = serde_json::to_string(&entry).unwrap();
        assert!(line.contains(r#""kind":"detection""#), "{line}");
        assert!(line.contains(r#""show_s":1.5"#), "{line}");
        let back: Entry = serde_json::from_str(&line).unwrap();
        assert_eq!(back, entry);
    }
}
