//! What TCP makes of dropped packets, for a node whose packets are dropped
//! at random (packet loss): nothing is lost for good, it comes late. A
//! dropped segment is sent again after the retransmission timeout, which
//! starts at Linux's floor of 200 ms (the round trip in a cluster is far
//! below it) and doubles with each drop of the same segment, up to 120 s.
//!
//! Two figures come of it: how late a request's exchange is (the load
//! model's latency), and how often the node's connections stall for long
//! enough that Raft's followers stop hearing their leader (a stall longer
//! than the election timeout moves its leaders; one longer than PD's 20 s
//! makes PD call the store Disconnected).

use std::time::Duration;

use rand::Rng;

/// Linux's `TCP_RTO_MIN`.
const RTO_MIN_SECONDS: f64 = 0.2;
/// Linux's `TCP_RTO_MAX`.
const RTO_MAX_SECONDS: f64 = 120.0;
/// Drops of one segment in a row that make a stall Raft notices: the
/// waits then add up to 12.6 s, past TiKV's shortest election timeout
/// (10 s).
const STALL_DROPS: u32 = 6;

/// How long a segment dropped `drops` times in a row is late: the
/// retransmission waits, each twice the one before.
pub fn late_by(drops: u32) -> f64 {
    let mut late = 0.0;
    let mut wait = RTO_MIN_SECONDS;
    for _ in 0..drops {
        late += wait;
        wait = (wait * 2.0).min(RTO_MAX_SECONDS);
    }
    late
}

/// What becomes of a request's exchange with a node that drops `loss` of
/// its packets (its request and its answer each cross once): on time, late
/// by each retransmission wait, or given up by the client once it would be
/// late by `give_up` seconds or more.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub on_time: f64,
    /// (seconds late, share), shortest first.
    pub late: Vec<(f64, f64)>,
    pub given_up: f64,
}

impl Exchange {
    pub fn with_loss(loss: f64, give_up: f64) -> Self {
        let loss = loss.clamp(0.0, 1.0);
        // Either crossing may drop; a resent segment crosses alone.
        let first = 1.0 - (1.0 - loss) * (1.0 - loss);
        let mut late = Vec::new();
        // Share of exchanges dropped at least `drops` times.
        let mut at_least = first;
        let mut drops = 1;
        while late_by(drops) < give_up && at_least > 0.0 {
            late.push((late_by(drops), at_least * (1.0 - loss)));
            at_least *= loss;
            drops += 1;
        }
        Self {
            on_time: 1.0 - first,
            late,
            given_up: at_least,
        }
    }

    /// The mean time it adds to a request, a given-up one counted at
    /// `give_up` (it holds its client thread that long).
    pub fn mean_added(&self, give_up: f64) -> f64 {
        self.late.iter().map(|(s, share)| s * share).sum::<f64>() + self.given_up * give_up
    }
}

/// The chance that a node dropping `loss` of its packets starts a stall
/// Raft notices within `dt`: one chance a second (Raft's heartbeat tick)
/// that a segment is dropped [`STALL_DROPS`] times in a row.
pub fn stall_chance(loss: f64, dt: Duration) -> f64 {
    let per_second = loss.clamp(0.0, 1.0).powi(STALL_DROPS as i32);
    1.0 - (1.0 - per_second).powf(dt.as_secs_f64())
}

/// How long a stall lasts: [`STALL_DROPS`] drops in a row, and each drop
/// after that again with chance `loss`.
pub fn stall_length(loss: f64, rng: &mut impl Rng) -> Duration {
    let mut drops = STALL_DROPS;
    // Past 16 drops the wait is at its ceiling for minutes: far beyond any
    // pass; stop counting there.
    while drops < 16 && rng.random::<f64>() < loss {
        drops += 1;
    }
    Duration::from_secs_f64(late_by(drops))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn each_resend_waits_twice_as_long_up_to_the_ceiling() {
        assert_eq!(late_by(0), 0.0);
        assert!((late_by(1) - 0.2).abs() < 1e-9);
        assert!((late_by(3) - 1.4).abs() < 1e-9);
        assert!((late_by(6) - 12.6).abs() < 1e-9);
        assert!(late_by(20) - late_by(19) <= RTO_MAX_SECONDS + 1e-9);
    }

    #[test]
    fn an_exchange_is_on_time_late_or_given_up_and_nothing_else() {
        for loss in [0.0, 0.01, 0.3, 0.7, 1.0] {
            let x = Exchange::with_loss(loss, 2.0);
            let total = x.on_time + x.given_up + x.late.iter().map(|(_, s)| s).sum::<f64>();
            assert!((total - 1.0).abs() < 1e-9, "{loss}: {x:?}");
            assert!(x.late.iter().all(|(s, _)| *s < 2.0));
        }
        let none = Exchange::with_loss(0.0, 2.0);
        assert_eq!((none.on_time, none.given_up), (1.0, 0.0));
        let all = Exchange::with_loss(1.0, 2.0);
        assert_eq!(all.given_up, 1.0);
    }

    #[test]
    fn thirty_percent_loss_makes_one_exchange_in_two_late() {
        let x = Exchange::with_loss(0.3, 2.0);
        assert!((x.on_time - 0.49).abs() < 1e-9);
        // More than one request in a hundred is late by 1.4 s or more:
        // p99 goes past a second.
        let very_late: f64 = x
            .late
            .iter()
            .filter(|(s, _)| *s >= 1.4)
            .map(|(_, p)| p)
            .sum();
        assert!(very_late + x.given_up > 0.01, "{x:?}");
        assert!(x.mean_added(2.0) > 0.1);
    }

    #[test]
    fn long_stalls_are_rare_at_mild_loss_and_common_at_heavy_loss() {
        let minute = Duration::from_secs(60);
        assert!(stall_chance(0.3, minute) < 0.05);
        assert!(stall_chance(0.7, minute) > 0.99);
        assert_eq!(stall_chance(0.0, minute), 0.0);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let stall = stall_length(0.5, &mut rng);
        assert!(stall >= Duration::from_secs_f64(12.6), "{stall:?}");
    }
}
