//! The stand-ins' pace: TiKV and PD time everything the demo sees in
//! multiples of the store heartbeat (10 s), so a faster heartbeat scales
//! them all alike. A stand-in cluster with a 1 s heartbeat is a real one at
//! ten times the speed: Disconnected after 2 s, elections after 1 to 2 s,
//! region heartbeats every 6 s.
//!
//! PD's rule is applied on PD's own clock ([`Pace::on_pd_clock`]), so the one
//! `pd_rules::store_state` names every state.

use std::time::Duration;

use crate::cluster::model::{MetaState, StoreState};
use crate::cluster::pd_rules::{DEFAULT_HEARTBEAT_INTERVAL, DISCONNECTED_AFTER, store_state};
use crate::cluster::sim::raft::ElectionTimeout;

/// TiKV's election timeout: 10 ticks of 1 s, randomised up to 20.
const ELECTION_MIN: Duration = Duration::from_secs(10);
const ELECTION_MAX: Duration = Duration::from_secs(20);
/// A new leader heartbeats its region at once, then every minute
/// (`pd-heartbeat-tick-interval` of the region).
pub const REGION_HEARTBEAT_EVERY: Duration = Duration::from_secs(60);
/// TiKV reports a peer down after `raftstore.max-peer-down-duration`.
pub const MAX_PEER_DOWN: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// The store heartbeat, in real time.
    pub heartbeat: Duration,
}

impl Pace {
    /// `heartbeat` of at least 10 ms (a smaller one is raised to it).
    pub fn new(heartbeat: Duration) -> Self {
        Self {
            heartbeat: heartbeat.max(Duration::from_millis(10)),
        }
    }

    /// How many times faster than a real cluster.
    pub fn factor(&self) -> f64 {
        DEFAULT_HEARTBEAT_INTERVAL.as_secs_f64() / self.heartbeat.as_secs_f64()
    }

    /// A real-time span as PD would count it at this pace.
    pub fn on_pd_clock(&self, real: Duration) -> Duration {
        real.mul_f64(self.factor())
    }

    /// A span of PD's or TiKV's clock in real time at this pace.
    pub fn real(&self, cluster: Duration) -> Duration {
        cluster.div_f64(self.factor())
    }

    /// When PD calls a silent store Disconnected, in real time.
    pub fn disconnected_after(&self) -> Duration {
        self.real(DISCONNECTED_AFTER)
    }

    pub fn election_timeout(&self) -> ElectionTimeout {
        ElectionTimeout {
            min: self.real(ELECTION_MIN),
            max: self.real(ELECTION_MAX),
        }
    }

    pub fn region_heartbeat_every(&self) -> Duration {
        self.real(REGION_HEARTBEAT_EVERY)
    }

    pub fn max_peer_down(&self) -> Duration {
        self.real(MAX_PEER_DOWN)
    }

    /// How often a TiKV stand-in asks its peers whether they answer.
    pub fn probe_every(&self) -> Duration {
        self.heartbeat / 4
    }

    /// PD's name for an Up store whose last heartbeat is `age` old (real
    /// time), with `max_store_down_time` as PD's config says it.
    pub fn store_state(&self, age: Duration, max_store_down_time: Duration) -> StoreState {
        store_state(MetaState::Up, self.on_pd_clock(age), max_store_down_time)
    }
}

/// A duration as Go's `Duration.String()` writes it (`2s`, `1m30s`,
/// `250ms`), the way PD's config shows them.
pub fn go_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000_000_000 {
        return if nanos % 1_000_000 == 0 {
            format!("{}ms", nanos / 1_000_000)
        } else if nanos % 1_000 == 0 {
            format!("{}µs", nanos / 1_000)
        } else {
            format!("{nanos}ns")
        };
    }
    let hours = nanos / 3_600_000_000_000;
    let minutes = nanos / 60_000_000_000 % 60;
    let seconds = nanos % 60_000_000_000;
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    let whole = seconds / 1_000_000_000;
    let fraction = seconds % 1_000_000_000;
    if fraction == 0 {
        text.push_str(&format!("{whole}s"));
    } else {
        let digits = format!("{fraction:09}");
        text.push_str(&format!("{whole}.{}s", digits.trim_end_matches('0')));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::parse_duration;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn a_real_heartbeat_is_a_real_cluster() {
        let pace = Pace::new(DEFAULT_HEARTBEAT_INTERVAL);
        assert_eq!(pace.factor(), 1.0);
        assert_eq!(pace.disconnected_after(), DISCONNECTED_AFTER);
        assert_eq!(pace.election_timeout().min, ELECTION_MIN);
    }

    #[test]
    fn a_one_second_heartbeat_runs_ten_times_faster() {
        let pace = Pace::new(SEC);
        assert_eq!(pace.disconnected_after(), SEC * 2);
        assert_eq!(pace.region_heartbeat_every(), SEC * 6);
        assert_eq!(pace.election_timeout().max, SEC * 2);
        assert_eq!(pace.max_peer_down(), SEC * 60);
    }

    #[test]
    fn pds_rule_on_pds_clock() {
        let pace = Pace::new(SEC);
        let max = Duration::from_secs(1800);
        assert_eq!(pace.store_state(SEC * 2, max), StoreState::Up);
        assert_eq!(
            pace.store_state(SEC * 2 + Duration::from_millis(1), max),
            StoreState::Disconnected
        );
        assert_eq!(pace.store_state(SEC * 181, max), StoreState::Down);
    }

    #[test]
    fn go_durations_read_back() {
        for (duration, text) in [
            (Duration::ZERO, "0s"),
            (SEC * 2, "2s"),
            (Duration::from_millis(250), "250ms"),
            (SEC * 90, "1m30s"),
            (SEC * 1800, "30m0s"),
            (SEC * 3600 + Duration::from_millis(1500), "1h0m1.5s"),
        ] {
            assert_eq!(go_duration(duration), text);
            assert_eq!(parse_duration(text).unwrap(), duration, "{text}");
        }
    }
}
