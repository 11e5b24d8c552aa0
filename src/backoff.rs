//! The one backoff: after each failure in a row the wait before trying again
//! doubles, from a first wait up to a cap, and a success starts it over.
//! No jitter: every user retries one thing of its own (a task, a stream, a
//! connection, a request), so there is no crowd of retries to spread out.
//!
//! Its users, each with its own first wait and cap: supervised tasks
//! restarted after a panic ([`crate::supervise`]), the Docker engine
//! reached again, its event stream and its log follows re-opened
//! ([`crate::cluster::docker`]), and the model's requests tried again
//! ([`crate::agent::model`]).

use std::time::Duration;

/// A doubling wait between `first` and `cap`, and the failures in a row so
/// far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    /// No failure yet; the first wait is `first`, and no wait is longer
    /// than `cap`.
    pub const fn new(first: Duration, cap: Duration) -> Self {
        Self {
            first,
            cap,
            failures: 0,
        }
    }

    /// The wait after `failures` failures in a row (1 for the first, which
    /// waits `first`; 0 counts as 1): doubled each time, at most `cap`.
    pub fn wait(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.first.saturating_mul(1 << doublings).min(self.cap)
    }

    /// Counts one more failure and returns the wait before the next try.
    pub fn failed(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.wait(self.failures)
    }

    /// A success (or a long enough run): the next failure waits `first`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_wait_doubles_up_to_its_cap() {
        let mut backoff = Backoff::new(250 * MS, 5000 * MS);
        let waits: Vec<Duration> = (0..7).map(|_| backoff.failed()).collect();
        assert_eq!(
            waits,
            [250, 500, 1000, 2000, 4000, 5000, 5000].map(|ms| ms * MS)
        );
        assert_eq!(backoff.failures(), 7);
    }

    #[test]
    fn a_reset_starts_over() {
        let mut backoff = Backoff::new(500 * MS, 30_000 * MS);
        backoff.failed();
        backoff.failed();
        backoff.reset();
        assert_eq!(backoff.failures(), 0);
        assert_eq!(backoff.failed(), 500 * MS);
    }

    #[test]
    fn counts_past_any_cap_saturate() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        assert_eq!(backoff.wait(0), Duration::from_secs(1));
        assert_eq!(backoff.wait(4), Duration::from_secs(8));
        assert_eq!(backoff.wait(40), Duration::from_secs(8));
        assert_eq!(backoff.wait(u32::MAX), Duration::from_secs(8));
        let huge = Backoff::new(Duration::MAX, Duration::MAX);
        assert_eq!(huge.wait(3), Duration::MAX);
        let mut counted = Backoff::new(MS, MS);
        counted.failures = u32::MAX;
        assert_eq!(counted.failed(), MS);
        assert_eq!(counted.failures(), u32::MAX);
    }
}
