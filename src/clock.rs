//! Show time: the one clock the story, the monitor and the simulator share.
//!
//! It runs at `speed` times real time from the moment the show starts, on
//! tokio's clock, so tests with paused time advance it without sleeping.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct ShowClock {
    start: Instant,
    speed: f64,
}

impl ShowClock {
    pub fn start(speed: f64) -> Self {
        assert!(speed > 0.0 && speed.is_finite(), "speed must be positive");
        Self {
            start: Instant::now(),
            speed,
        }
    }

    /// Show time elapsed since start.
    pub fn now(&self) -> Duration {
        self.start.elapsed().mul_f64(self.speed)
    }

    /// Real time that `show` of show time takes.
    pub fn to_real(&self, show: Duration) -> Duration {
        show.div_f64(self.speed)
    }
}
