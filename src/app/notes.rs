//! Writing to the journal: every entry is stamped with the pass, show time and
//! the time since the fault, and folded into the scoreboard as it is written.

use std::time::Duration;

use super::App;
use super::journal::{Entry, Kind, Level};

pub(super) fn entry(app: &App, at: Duration, level: Level, kind: Kind, text: String) -> Entry {
    Entry {
        seq: 0,
        pass: app.pass,
        at,
        after_fault: app.timeline.after_fault(at),
        level,
        kind,
        text,
    }
}

/// The scoreboard and the timeline fold each entry as it is written: their
/// figures are the journal's own.
pub(super) fn record(app: &mut App, entry: Entry) {
    app.scoreboard.observe(&entry);
    app.timeline.observe(&entry);
    app.journal.push(entry);
}

/// A line with no figure, at the current show time.
pub(super) fn note(app: &mut App, level: Level, text: String) {
    note_kind(app, level, Kind::Note, text);
}

pub(super) fn note_kind(app: &mut App, level: Level, kind: Kind, text: String) {
    let entry = entry(app, app.now, level, kind, text);
    record(app, entry);
}

pub(super) fn note_at(app: &mut App, at: Duration, level: Level, text: String) {
    note_kind_at(app, at, level, Kind::Note, text);
}

/// A line stamped with the show time of what it reports, not of its arrival.
pub(super) fn note_kind_at(app: &mut App, at: Duration, level: Level, kind: Kind, text: String) {
    let entry = entry(app, at, level, kind, text);
    record(app, entry);
}
