//! A record of what happened, in order: plain mode prints it, the TUI logs it.

use std::collections::VecDeque;
use std::time::Duration;

/// How much an entry matters; the UI colours by it (with a word beside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Good,
    Warning,
    Critical,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Show time.
    pub at: Duration,
    /// Time since the fault, for everything after one was injected.
    pub after_fault: Option<Duration>,
    pub level: Level,
    pub text: String,
    /// Set on the entry that opens a chapter (its index).
    pub chapter: Option<usize>,
}

/// Entries not yet taken by a reader; bounded so a long kiosk run cannot grow it.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    pending: VecDeque<Entry>,
}

const MAX_PENDING: usize = 1000;

impl Journal {
    pub fn push(&mut self, entry: Entry) {
        if self.pending.len() == MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(entry);
    }

    pub fn drain(&mut self) -> impl Iterator<Item = Entry> + '_ {
        self.pending.drain(..)
    }
}
