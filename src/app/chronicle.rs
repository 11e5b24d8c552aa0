//! The chronicle: the journal and what is folded from it as it is written
//! (the scoreboard, the episode's timeline, the monitor pane's lines). Every
//! entry is stamped here with the pass, show time and the time since the
//! fault; every other room writes the journal through this one.

use std::collections::VecDeque;
use std::time::Duration;

use super::journal::{Entry, Journal, Kind, Level};
use super::scoreboard::Scoreboard;
use super::timeline::Timeline;
use crate::cluster::InjectedFault;
use crate::monitor::Signal;

/// Lines the monitor pane keeps.
pub const PANE_LINES: usize = 200;

#[derive(Debug, Clone)]
pub struct Chronicle {
    journal: Journal,
    scoreboard: Scoreboard,
    timeline: Timeline,
    /// The story's pass, from 1.
    pass: u32,
    /// The monitor pane: what the monitor and the world said, newest last.
    pane: VecDeque<Entry>,
}

impl Default for Chronicle {
    fn default() -> Self {
        Self {
            journal: Journal::default(),
            scoreboard: Scoreboard::default(),
            timeline: Timeline::default(),
            pass: 1,
            pane: VecDeque::new(),
        }
    }
}

impl Chronicle {
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn scoreboard(&self) -> &Scoreboard {
        &self.scoreboard
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    pub fn pass(&self) -> u32 {
        self.pass
    }

    pub fn pane(&self) -> &VecDeque<Entry> {
        &self.pane
    }

    /// An entry stamped for this pass and episode; not yet written.
    pub(super) fn entry(&self, at: Duration, level: Level, kind: Kind, text: String) -> Entry {
        Entry {
            seq: 0,
            pass: self.pass,
            at,
            after_fault: self.timeline.after_fault(at),
            level,
            kind,
            text,
        }
    }

    /// The scoreboard and the timeline fold each entry as it is written:
    /// their figures are the journal's own.
    pub(super) fn record(&mut self, entry: Entry) {
        self.scoreboard.observe(&entry);
        self.timeline.observe(&entry);
        self.journal.push(entry);
    }

    /// Whether this pass's workload chart is in the journal already.
    pub(super) fn workload_written(&self) -> bool {
        self.journal
            .entries()
            .rev()
            .take_while(|e| e.pass == self.pass)
            .any(|e| matches!(e.kind, Kind::Workload(_)))
    }

    /// A line with no figure, at show time `at`.
    pub(super) fn note(&mut self, at: Duration, level: Level, text: String) {
        self.note_kind(at, level, Kind::Note, text);
    }

    /// A line stamped with the show time of what it reports.
    pub(super) fn note_kind(&mut self, at: Duration, level: Level, kind: Kind, text: String) {
        let entry = self.entry(at, level, kind, text);
        self.record(entry);
    }

    /// Shows `entry` in the monitor pane (not journalled by itself).
    pub(super) fn show(&mut self, entry: Entry) {
        if self.pane.len() == PANE_LINES {
            self.pane.pop_front();
        }
        self.pane.push_back(entry);
    }

    /// A line from outside the story: shown in the pane and journalled.
    pub(super) fn tell(&mut self, at: Duration, level: Level, kind: Kind, text: String) {
        let entry = self.entry(at, level, kind, text);
        self.show(entry.clone());
        self.record(entry);
    }

    // ---- the episode's milestones ------------------------------------------

    /// A fault landed: a new episode starts with it.
    pub(super) fn open_episode(&mut self, fault: InjectedFault) {
        self.timeline = Timeline {
            injected: Some(fault),
            ..Timeline::default()
        };
    }

    pub(super) fn detected(&mut self, after: Duration, signal: Signal) {
        self.timeline.detected = Some((after, signal));
    }

    pub(super) fn diagnosed(&mut self, now: Duration) {
        self.timeline.diagnosed = self.timeline.after_fault(now);
    }

    pub(super) fn recovery_started(&mut self, now: Duration) {
        self.timeline.recovery_started = Some(now);
    }

    pub(super) fn recovered(&mut self, now: Duration) {
        self.timeline.recovered = self.timeline.after_fault(now);
    }

    /// The next pass: a fresh episode and an empty pane; the journal and the
    /// scoreboard go on.
    pub(super) fn next_pass(&mut self) {
        self.clear_pass();
        self.pass += 1;
    }

    /// Forgets what this pass showed (the episode and the pane).
    pub(super) fn clear_pass(&mut self) {
        self.timeline = Timeline::default();
        self.pane.clear();
    }

    /// Tests set up a scene by hand.
    #[cfg(any(test, feature = "testing"))]
    pub fn timeline_mut(&mut self) -> &mut Timeline {
        &mut self.timeline
    }
}
