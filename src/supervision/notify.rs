//! systemd's notify protocol (through the `sd-notify` crate): `READY=1` once
//! the show is on screen and the cluster answered, `WATCHDOG=1` from the
//! show's own loop while it turns, `STATUS=` with the chapter and the pass,
//! and `STOPPING=1` when it leaves. Without `NOTIFY_SOCKET` in the
//! environment nothing is sent and nothing changes.
//!
//! The pings come only from the loop, never from a task of their own: a
//! stuck loop stops them, and systemd restarts the show (`WatchdogSec=`).

use std::time::{Duration, Instant};

use sd_notify::NotifyState;

/// When the next watchdog ping is due: three a period, so a ping that is
/// late by a heartbeat still comes well within half of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacer {
    every: Duration,
    last: Option<Instant>,
}

impl Pacer {
    /// For systemd's `WATCHDOG_USEC` period.
    pub fn for_period(period: Duration) -> Self {
        Self {
            every: (period / 3).max(Duration::from_millis(10)),
            last: None,
        }
    }

    pub fn every(&self) -> Duration {
        self.every
    }

    pub fn due_at(&self) -> Option<Instant> {
        self.last.map(|last| last + self.every)
    }

    /// Whether to ping at `now`; if so, counts it as sent.
    pub fn ping(&mut self, now: Instant) -> bool {
        let due = self.due_at().is_none_or(|due| now >= due);
        if due {
            self.last = Some(now);
        }
        due
    }
}

/// The notifications of one run.
#[derive(Debug)]
pub struct Notifier {
    ready: bool,
    stopping: bool,
    watchdog: Option<Pacer>,
    status: String,
}

impl Notifier {
    /// `None` unless a service manager listens (`NOTIFY_SOCKET`). The
    /// watchdog is on when `WATCHDOG_USEC` is set for this process.
    pub fn from_env() -> Option<Self> {
        std::env::var_os("NOTIFY_SOCKET")?;
        let watchdog = sd_notify::watchdog_enabled().map(Pacer::for_period);
        if let Some(pacer) = &watchdog {
            tracing::info!(every = ?pacer.every(), "systemd watchdog: pinging from the show's loop");
        }
        Some(Self {
            ready: false,
            stopping: false,
            watchdog,
            status: String::new(),
        })
    }

    fn send(states: &[NotifyState]) {
        if let Err(e) = sd_notify::notify(states) {
            tracing::warn!("cannot notify the service manager: {e}");
        }
    }

    /// The loop turned at `now`: ping the watchdog if due, say `READY=1`
    /// the first time `ready` holds, and the status when it changed.
    pub fn turned(&mut self, now: Instant, ready: bool, status: &str) {
        if self.stopping {
            return;
        }
        let mut states = Vec::new();
        if ready && !self.ready {
            self.ready = true;
            states.push(NotifyState::Ready);
        }
        if status != self.status {
            self.status = status.to_string();
            states.push(NotifyState::Status(&self.status));
        }
        if self.watchdog.as_mut().is_some_and(|p| p.ping(now)) {
            states.push(NotifyState::Watchdog);
        }
        if !states.is_empty() {
            Self::send(&states);
        }
    }

    /// When the loop must wake to ping in time, with nothing else to do.
    pub fn wake_at(&self) -> Option<Instant> {
        if self.stopping {
            return None;
        }
        self.watchdog.as_ref().and_then(Pacer::due_at)
    }

    /// The show is leaving: once, and no ping after it.
    pub fn stopping(&mut self, why: &str) {
        if !std::mem::replace(&mut self.stopping, true) {
            Self::send(&[NotifyState::Stopping, NotifyState::Status(why)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_come_three_times_a_period() {
        let start = Instant::now();
        let mut pacer = Pacer::for_period(Duration::from_secs(30));
        assert_eq!(pacer.every(), Duration::from_secs(10));
        assert!(pacer.ping(start), "the first turn pings");
        assert!(!pacer.ping(start + Duration::from_secs(9)));
        assert_eq!(pacer.due_at(), Some(start + Duration::from_secs(10)));
        assert!(pacer.ping(start + Duration::from_secs(10)));
        assert!(!pacer.ping(start + Duration::from_secs(11)));
    }
}
