//! The Detection chapter's live rows: each signal as it arrived, PD's
//! verdict (or the heartbeat age counting up to PD's threshold) and the
//! re-election's progress, read off [`crate::app::App::detection_progress`].

use super::flow::{Piece, Row, Tone};
use crate::app::App;
use crate::app::episode::PdVerdict;
use crate::monitor::Signal;
use crate::story::Action;
// `12.3s`: one decimal, as every other time on screen.
use crate::text::seconds as secs;
use crate::ui::text;

/// Kept before the narration when room runs short: counting the heartbeat
/// up to PD's threshold is what the chapter is there to show.
const RANK: u8 = 1;

/// Shown only in a chapter that awaits the detection, once a fault is in
/// this episode.
pub fn rows(app: &App) -> Vec<Row> {
    let awaits = app
        .current_chapter()
        .on_enter
        .iter()
        .any(|a| matches!(a, Action::AwaitDetection { .. }));
    let Some(progress) = app.detection_progress().filter(|_| awaits) else {
        return Vec::new();
    };
    // One row of pieces: it breaks between them, so it takes as few lines
    // as the panel's width allows.
    let mut pieces: Vec<Piece> = progress
        .signals
        .iter()
        // PD's verdict has its own piece, below.
        .filter(|(signal, _)| *signal != Signal::StoreState)
        .map(|(signal, after)| {
            piece(
                Tone::Good,
                "✓",
                format!("{} {}", signal.name(), text::stamp(*after, Some(*after))),
            )
        })
        .collect();
    pieces.push(match &progress.pd {
        PdVerdict::Given { state, after_fault } => piece(
            Tone::Good,
            "✓",
            format!(
                "PD: {state} {}",
                text::stamp(*after_fault, Some(*after_fault))
            ),
        ),
        PdVerdict::Waiting {
            heartbeat_age: Some(age),
            threshold,
        } => piece(
            Tone::Warn,
            "…",
            format!(
                "PD: heartbeat {} old, Disconnected past {}",
                crate::text::age_tenths(*age),
                secs(threshold.as_secs_f64())
            ),
        ),
        PdVerdict::Waiting { .. } => piece(Tone::Warn, "…", "PD: no verdict yet".into()),
        PdVerdict::NotExpected => piece(
            Tone::Label,
            "·",
            "PD: the store keeps heartbeating (no verdict to wait for)".into(),
        ),
    });
    let r = progress.reelection;
    let service = text::plain(&progress.service);
    pieces.push(if r.done() {
        piece(Tone::Good, "✓", format!("no region led from {service}"))
    } else {
        piece(
            Tone::Bad,
            "…",
            format!(
                "{} of {} regions led from {service}",
                text::thousands(r.leaderless as f64),
                text::thousands(r.total as f64),
            ),
        )
    });
    vec![Row::new(pieces).indented(2).ranked(RANK)]
}

fn piece(tone: Tone, symbol: &str, what: String) -> Piece {
    Piece::new(tone, format!("{symbol} {what}  "))
}
