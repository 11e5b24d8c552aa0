//! Show time: the one clock the story, the monitor and the simulator share.
//!
//! It runs at `speed` times real time from the moment the show starts, on
//! tokio's clock, so tests with paused time advance it without sleeping.
//! Time the process spent stopped (SIGSTOP, a machine asleep) is skipped:
//! nothing on screen may claim it as cluster time. So is time the show was
//! frozen ([`ShowClock::freeze`]): on the simulator the presenter's pause
//! stops the simulated cluster with the show's timers, because the simulator
//! advances from this clock alone.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// Real time between two readings of a watched clock beyond which the process
/// was stopped: the show reads its clock ten times a second.
pub const STOPPED_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
pub struct ShowClock {
    start: Instant,
    speed: f64,
    /// One per show, alive as long as the process: copies of the clock are
    /// handed to every task that stamps time.
    state: &'static Stops,
}

#[derive(Debug, Default)]
struct Stops {
    /// Set by [`ShowClock::watch_for_stops`].
    watching: AtomicBool,
    /// Real nanoseconds since start at the last reading.
    last: AtomicU64,
    /// Real nanoseconds skipped.
    skipped: AtomicU64,
    /// Unscaled show nanoseconds when frozen; [`NOT_FROZEN`] otherwise.
    frozen_at: AtomicU64,
}

const NOT_FROZEN: u64 = u64::MAX;

impl ShowClock {
    pub fn start(speed: f64) -> Self {
        assert!(speed > 0.0 && speed.is_finite(), "speed must be positive");
        Self {
            start: Instant::now(),
            speed,
            state: Box::leak(Box::new(Stops {
                frozen_at: AtomicU64::new(NOT_FROZEN),
                ..Stops::default()
            })),
        }
    }

    /// Stops show time where it is (`true`) or lets it run on from there
    /// (`false`): the time in between is skipped, like a stop of the process.
    /// Everything that reads this clock (the simulator, stamps, timers) sees
    /// time stand still. Idempotent.
    pub fn freeze(&self, frozen: bool) {
        let real = self.real_nanos();
        let skipped = self.state.skipped.load(Ordering::SeqCst);
        let shown = real.saturating_sub(skipped);
        if frozen {
            let _ = self.state.frozen_at.compare_exchange(
                NOT_FROZEN,
                shown,
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
            return;
        }
        let at = self.state.frozen_at.load(Ordering::SeqCst);
        if at == NOT_FROZEN {
            return;
        }
        // In this order, a reading on another task sees either the frozen
        // time or time running on from it, never a jump.
        self.state.last.fetch_max(real, Ordering::SeqCst);
        self.state
            .skipped
            .fetch_add(shown.saturating_sub(at), Ordering::SeqCst);
        self.state.frozen_at.store(NOT_FROZEN, Ordering::SeqCst);
    }

    pub fn is_frozen(&self) -> bool {
        self.state.frozen_at.load(Ordering::SeqCst) != NOT_FROZEN
    }

    /// From now on a gap of more than [`STOPPED_AFTER`] between two readings
    /// is taken for a stop and skipped. The show turns this on: its ticks
    /// read the clock ten times a second. Whichever task reads the clock
    /// first after the stop skips it, so no stamp ever includes it.
    pub fn watch_for_stops(&self) {
        self.state.last.store(self.real_nanos(), Ordering::SeqCst);
        self.state.watching.store(true, Ordering::SeqCst);
    }

    fn real_nanos(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Show time elapsed since start.
    pub fn now(&self) -> Duration {
        let frozen_at = self.state.frozen_at.load(Ordering::SeqCst);
        if frozen_at != NOT_FROZEN {
            // Readings while frozen are not watched: a long pause is no stop.
            return Duration::from_nanos(frozen_at).mul_f64(self.speed);
        }
        let real = self.real_nanos();
        if self.state.watching.load(Ordering::Relaxed) {
            let previous = self.state.last.fetch_max(real, Ordering::SeqCst);
            let gap = real.saturating_sub(previous);
            if gap > STOPPED_AFTER.as_nanos() as u64 {
                self.state.skipped.fetch_add(gap, Ordering::SeqCst);
                tracing::warn!(
                    "the process was stopped for {}: not counted as show time",
                    crate::text::secs(Duration::from_nanos(gap))
                );
            }
        }
        let skipped = self.state.skipped.load(Ordering::SeqCst);
        Duration::from_nanos(real.saturating_sub(skipped)).mul_f64(self.speed)
    }

    /// Real time that `show` of show time takes.
    pub fn to_real(&self, show: Duration) -> Duration {
        show.div_f64(self.speed)
    }

    /// Show time that passes in `real` of real time.
    pub fn to_show(&self, real: Duration) -> Duration {
        real.mul_f64(self.speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_stop_is_not_show_time_once_watched() {
        let clock = ShowClock::start(2.0);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(
            clock.now(),
            Duration::from_secs(20),
            "unwatched: all counts"
        );
        clock.watch_for_stops();
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(clock.now(), Duration::from_secs(22));
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(clock.now(), Duration::from_secs(22), "the stop is skipped");
        tokio::time::advance(Duration::from_millis(500)).await;
        assert_eq!(clock.now(), Duration::from_secs(23));
    }

    #[tokio::test(start_paused = true)]
    async fn a_frozen_clock_stands_still_and_runs_on_from_where_it_stood() {
        let clock = ShowClock::start(1.0);
        clock.watch_for_stops();
        tokio::time::advance(Duration::from_secs(1)).await;
        clock.freeze(true);
        clock.freeze(true);
        assert!(clock.is_frozen());
        for _ in 0..5 {
            tokio::time::advance(Duration::from_secs(1)).await;
            assert_eq!(clock.now(), Duration::from_secs(1));
        }
        clock.freeze(false);
        assert!(!clock.is_frozen());
        assert_eq!(clock.now(), Duration::from_secs(1));
        tokio::time::advance(Duration::from_millis(500)).await;
        assert_eq!(
            clock.now(),
            Duration::from_millis(1500),
            "no stop was counted"
        );
    }
}
