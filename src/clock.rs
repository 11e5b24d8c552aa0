//! Show time: the one clock the story, the monitor and the simulator share.
//!
//! It runs at `speed` times real time from the moment the show starts, on
//! tokio's clock, so tests with paused time advance it without sleeping.
//! Time the process spent stopped (SIGSTOP, a machine asleep) is skipped:
//! nothing on screen may claim it as cluster time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct ShowClock {
    start: Instant,
    speed: f64,
    /// Real nanoseconds skipped. One per show, alive as long as the process:
    /// copies of the clock are handed to every task that stamps time.
    skipped: &'static AtomicU64,
}

impl ShowClock {
    pub fn start(speed: f64) -> Self {
        assert!(speed > 0.0 && speed.is_finite(), "speed must be positive");
        Self {
            start: Instant::now(),
            speed,
            skipped: Box::leak(Box::new(AtomicU64::new(0))),
        }
    }

    /// Show time elapsed since start.
    pub fn now(&self) -> Duration {
        let skipped = Duration::from_nanos(self.skipped.load(Ordering::Relaxed));
        self.start
            .elapsed()
            .saturating_sub(skipped)
            .mul_f64(self.speed)
    }

    /// Real time that `show` of show time takes.
    pub fn to_real(&self, show: Duration) -> Duration {
        show.div_f64(self.speed)
    }

    /// The process was stopped for `real`: not show time.
    pub fn skip(&self, real: Duration) {
        let nanos = u64::try_from(real.as_nanos()).unwrap_or(u64::MAX);
        self.skipped.fetch_add(nanos, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn skipped_time_is_not_show_time() {
        let clock = ShowClock::start(2.0);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(clock.now(), Duration::from_secs(20));
        tokio::time::advance(Duration::from_secs(30)).await;
        clock.skip(Duration::from_secs(30));
        assert_eq!(clock.now(), Duration::from_secs(20));
    }
}
