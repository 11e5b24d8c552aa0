//! The monitor pane's rows: open incidents pinned first (oldest first), each
//! whole with its time, word and signal; then what resolved and the notes,
//! newest first. The pane scrolls; nothing is only "in the log".

use std::time::Duration;

use super::PaneView;
use super::flow::{Piece, Row, Tone};
use crate::app::{App, Entry, Level};
use crate::monitor::{Incident, Severity};
use crate::ui::text;

/// The tone of an incident: its severity word's, so the word and the line
/// under it never disagree (a WARN is never drawn red).
pub fn incident_tone(incident: &Incident) -> Tone {
    match incident.severity {
        Severity::Critical => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Accent,
    }
}

/// Word and tone of a journal line's level.
pub fn level(level: Level) -> (&'static str, Tone) {
    match level {
        Level::Info => ("INFO", Tone::Accent),
        Level::Good => ("OK  ", Tone::Good),
        Level::Warning => ("WARN", Tone::Warn),
        Level::Critical => ("CRIT", Tone::Bad),
    }
}

/// `T+3.2s` right-aligned in 7 columns, and a space.
fn stamp(at: Duration, after_fault: Option<Duration>) -> String {
    format!("{:>7} ", text::stamp(at, after_fault))
}

/// A stamped line: `T+3.2s CRIT tikv1: process died (exit code 137)`,
/// continued under its text.
pub fn stamped(at: Duration, after: Option<Duration>, word: &str, tone: Tone, what: &str) -> Row {
    let stamp = stamp(at, after);
    let indent = stamp.len() + word.len() + 1;
    let mut pieces = vec![
        Piece::new(Tone::Label, stamp),
        Piece::new(tone, format!("{word} ")),
    ];
    pieces.push(Piece::new(
        tone,
        text::rates(&text::plain(what)).into_owned(),
    ));
    Row::new(pieces).indented(indent)
}

pub fn entry_row(entry: &Entry) -> Row {
    let (word, tone) = level(entry.level);
    stamped(entry.at, entry.after_fault, word, tone, &entry.text)
}

pub fn pane(app: &App) -> PaneView {
    let open: Vec<&Incident> = app.world().monitor().open_incidents().collect();
    let mut rows: Vec<Row> = open
        .iter()
        .map(|i| {
            stamped(
                i.opened_at,
                app.timeline().after_fault(i.opened_at),
                i.severity.label(),
                incident_tone(i),
                &i.summary,
            )
        })
        .collect();
    // Then what resolved (one line each) and the notes, newest first; the
    // opening lines of incidents are told by the incidents themselves.
    let incident_line = |e: &Entry| {
        app.world()
            .monitor()
            .incidents()
            .iter()
            .any(|i| e.text == i.summary || e.text == i.resolved_line())
    };
    let mut history: Vec<(Duration, Row)> = app
        .chronicle()
        .pane()
        .iter()
        .filter(|e| !incident_line(e))
        .map(|e| (e.at, entry_row(e)))
        .collect();
    history.extend(app.world().monitor().incidents().iter().filter_map(|i| {
        let at = i.resolved_at?;
        let open_for = at.saturating_sub(i.opened_at);
        Some((
            at,
            stamped(
                at,
                app.timeline().after_fault(at),
                "OK  ",
                Tone::Good,
                &match &i.closed_because {
                    Some(why) => format!(
                        "✓ resolved after {} ({why}): {}",
                        text::secs(open_for),
                        i.summary
                    ),
                    None => format!("✓ resolved after {}: {}", text::secs(open_for), i.summary),
                },
            ),
        ))
    }));
    // Newest first; the sort is stable, so equal times keep their order.
    history.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    if !history.is_empty() {
        if !open.is_empty() {
            rows.push(Row::prose(Tone::Label, "── earlier, newest first ──"));
        }
        rows.extend(history.into_iter().map(|(_, row)| row));
    }
    if rows.is_empty() {
        rows.push(Row::prose(Tone::Label, "watching: no incidents"));
    }
    PaneView {
        title: format!(" Monitor · {} open ", open.len()),
        pinned: Vec::new(),
        rows,
        anchor_bottom: false,
        content: u64::from(app.pass()),
    }
}
