//! What the show publishes of itself for the outside to read: the chapter,
//! the pass, the fault in place, the hold, and when its loop last turned and
//! its front end last drew. The show's loop is the one writer; the metrics
//! server only reads, so a scrape never waits on the app.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// A loop that has not turned for this long (real time) is stuck: it wakes
/// at least once a second ([`crate::show::HEARTBEAT`]) with nothing to do.
pub const STUCK_AFTER: Duration = Duration::from_secs(5);

/// The show as of its loop's last publication.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Vitals {
    /// The chapter on screen, from 1 (the attract chapter between kiosk
    /// passes counts as the one the story is at).
    pub chapter: usize,
    pub chapters: usize,
    pub title: String,
    pub pass: u32,
    /// `kill of tikv1` while a fault is in place, or may be.
    pub fault_in_place: Option<String>,
    pub on_hold: bool,
    /// Why, while on hold.
    pub hold: Option<String>,
    /// Every signal healthy (PD, the runtime, the data fresh).
    pub cluster_healthy: bool,
    /// The show has stopped its loop and is leaving.
    pub leaving: bool,
}

/// When the loop last turned and the front end last drew, written by the
/// loop on every turn without allocating: milliseconds since `origin`, plus
/// one (0 means never).
#[derive(Debug)]
pub struct Beat {
    origin: Instant,
    turned: AtomicU64,
    drawn: AtomicU64,
    frames: AtomicU64,
}

impl Beat {
    pub fn new(origin: Instant) -> Self {
        Self {
            origin,
            turned: AtomicU64::new(0),
            drawn: AtomicU64::new(0),
            frames: AtomicU64::new(0),
        }
    }

    fn stamp(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX - 1)
            + 1
    }

    fn age(&self, stamp: u64, now: Instant) -> Option<Duration> {
        let at = self.origin + Duration::from_millis(stamp.checked_sub(1)?);
        Some(now.saturating_duration_since(at))
    }

    pub fn turned(&self, at: Instant) {
        self.turned.store(self.stamp(at), Ordering::Relaxed);
    }

    /// The front end has drawn `frames` in all, the last at `last`.
    pub fn drew(&self, frames: u64, last: Option<Instant>) {
        self.frames.store(frames, Ordering::Relaxed);
        if let Some(last) = last {
            self.drawn.store(self.stamp(last), Ordering::Relaxed);
        }
    }

    pub fn turn_age(&self, now: Instant) -> Option<Duration> {
        self.age(self.turned.load(Ordering::Relaxed), now)
    }

    pub fn frame_age(&self, now: Instant) -> Option<Duration> {
        self.age(self.drawn.load(Ordering::Relaxed), now)
    }

    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    pub fn origin(&self) -> Instant {
        self.origin
    }
}

/// What `/healthz` says: the status code and a small JSON body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// `ok`, `starting` (the loop has not turned yet), `stuck` or `leaving`.
    pub status: &'static str,
    #[serde(flatten)]
    pub vitals: Vitals,
    pub last_turn_age_s: Option<f64>,
    pub last_frame_age_s: Option<f64>,
    pub frames: u64,
}

impl Health {
    /// The health of the show as of `now`: 200 only while its loop turns.
    /// A hold is a state the show is in, not a failure of it.
    pub fn of(vitals: &Vitals, beat: &Beat, now: Instant) -> (u16, Self) {
        let turn_age = beat.turn_age(now);
        let status = match turn_age {
            _ if vitals.leaving => "leaving",
            None => "starting",
            Some(age) if age > STUCK_AFTER => "stuck",
            Some(_) => "ok",
        };
        let code = if status == "ok" { 200 } else { 503 };
        let secs = |d: Option<Duration>| d.map(|d| (d.as_secs_f64() * 1000.0).round() / 1000.0);
        (
            code,
            Self {
                status,
                vitals: vitals.clone(),
                last_turn_age_s: secs(turn_age),
                last_frame_age_s: secs(beat.frame_age(now)),
                frames: beat.frames(),
            },
        )
    }
}

/// The two halves the loop and the server share.
#[derive(Debug, Clone)]
pub struct Published {
    pub vitals: tokio::sync::watch::Receiver<Vitals>,
    pub beat: Arc<Beat>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_while_the_loop_turns_and_a_hold_is_no_failure() {
        let origin = Instant::now();
        let beat = Beat::new(origin);
        let vitals = Vitals {
            on_hold: true,
            ..Vitals::default()
        };
        assert_eq!(Health::of(&vitals, &beat, origin).0, 503, "not started");
        beat.turned(origin);
        let (code, health) = Health::of(&vitals, &beat, origin + Duration::from_secs(2));
        assert_eq!((code, health.status), (200, "ok"));
        assert_eq!(health.last_turn_age_s, Some(2.0));
        let (code, health) = Health::of(&vitals, &beat, origin + STUCK_AFTER * 2);
        assert_eq!((code, health.status), (503, "stuck"));
        let leaving = Vitals {
            leaving: true,
            ..vitals
        };
        assert_eq!(Health::of(&leaving, &beat, origin).1.status, "leaving");
    }

    #[test]
    fn frames_and_their_age() {
        let origin = Instant::now();
        let beat = Beat::new(origin);
        assert_eq!(beat.frame_age(origin), None);
        beat.drew(3, Some(origin + Duration::from_millis(500)));
        assert_eq!(beat.frames(), 3);
        assert_eq!(
            beat.frame_age(origin + Duration::from_secs(1)),
            Some(Duration::from_millis(500))
        );
    }
}
