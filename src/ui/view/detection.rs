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
        // PD's verdict has its own pieces, below.
        .filter(|(signal, _)| {
            !matches!(
                signal,
                Signal::StoreState | Signal::PdNoLeader | Signal::PdLeaderChange
            )
        })
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
        PdVerdict::Leadership { .. } => return vec![leadership_row(&progress.pd, pieces)],
    });
    let r = progress.reelection;
    let service = text::plain(&progress.service);
    // A slow or lossy node keeps its leaders: say so, not that it leads none.
    let keeps_leading = matches!(progress.pd, PdVerdict::NotExpected);
    pieces.push(if r.done() && keeps_leading {
        piece(Tone::Good, "✓", format!("{service} keeps its leaders"))
    } else if r.done() {
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

/// PD's leader lost: no leader (the 503s), the new one, TSO. No region
/// row: no TiKV node went, so no region lost its leader.
fn leadership_row(pd: &PdVerdict, mut pieces: Vec<Piece>) -> Row {
    let PdVerdict::Leadership {
        no_leader,
        elected,
        serves_tso,
    } = pd
    else {
        return Row::new(pieces);
    };
    pieces.push(match no_leader {
        Some(after) => piece(
            Tone::Good,
            "✓",
            format!("PD: no leader {}", text::stamp(*after, Some(*after))),
        ),
        None if elected.is_some() => {
            piece(Tone::Label, "·", "PD: no leaderless answer seen".into())
        }
        None => piece(Tone::Warn, "…", "PD: the lease runs out".into()),
    });
    pieces.push(match elected {
        Some((leader, after)) => piece(
            Tone::Good,
            "✓",
            format!(
                "{} elected {}",
                text::plain(leader),
                text::stamp(*after, Some(*after))
            ),
        ),
        None => piece(Tone::Warn, "…", "no new leader yet".into()),
    });
    if elected.is_some() {
        pieces.push(match serves_tso {
            Some(true) => piece(Tone::Good, "✓", "TSO served".into()),
            Some(false) => piece(Tone::Warn, "…", "TSO not yet served".into()),
            None => piece(Tone::Label, "·", "TSO: PD's API does not say".into()),
        });
    }
    Row::new(pieces).indented(2).ranked(RANK)
}

fn piece(tone: Tone, symbol: &str, what: String) -> Piece {
    Piece::new(tone, format!("{symbol} {what}  "))
}
