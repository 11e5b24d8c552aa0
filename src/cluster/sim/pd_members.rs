//! The simulated cluster's three PD members: who leads, the leader's lease,
//! the election once it runs out, and the gap before the new leader hands
//! out timestamps. The rules are PD v8.5.1's:
//!
//! - the leader holds PD's leader key under an etcd lease of 3 s and keeps
//!   it alive while it serves (etcd's keep-alive renews at a third of the
//!   TTL);
//! - a leader killed, frozen or cut off renews nothing: the key goes when
//!   the lease expires, 2 to 3 s later; a leader stopped with SIGTERM
//!   revokes its lease as it closes, and the key goes at once;
//! - without a key the members campaign (only etcd's raft leader may, so
//!   etcd elects one first; a quorum of 2 of the 3 is needed), and the
//!   winner writes the key under a lease of its own;
//! - the new leader serves TSO only once its lease keep-alive has started
//!   and it has loaded and saved the timestamp window: others measured 4 to
//!   8 s of TSO stall after a leader kill (tikv/pd issues 5122, 3847);
//! - with no leader, followers answer the HTTP API with 503 "redirect finds
//!   no leader"; while the key still names a silent leader they redirect to
//!   it and get nothing back.
//!
//! Raw KV through a warm region cache needs neither TSO nor PD, so the
//! simulated workload does not dip for any of this (see the load model).

use std::time::Duration;

use rand::Rng;

use crate::cluster::model::{
    EventKind, FaultKind, NodeRole, PdMember, Process, ProcessState, Recovery, Struck,
};

/// PD members of the simulated cluster.
pub const PD_MEMBERS: [&str; 3] = ["pd0", "pd1", "pd2"];
/// PD's `leader-lease` (v8.5.1; 5 s at HEAD since 2025).
pub const LEADER_LEASE: Duration = Duration::from_secs(3);
/// etcd's keep-alive renews a lease a third of the way through its TTL.
const RENEW_EVERY: Duration = Duration::from_secs(1);
/// From the key's end to a new leader: etcd elects a raft leader among the
/// survivors, which then campaigns (seeded within these bounds).
const CAMPAIGN: (Duration, Duration) = (Duration::from_millis(1000), Duration::from_millis(3000));
/// From the election to TSO served: the keep-alive starts, the last
/// timestamp is loaded and the next window saved to etcd.
const TSO_SYNC: (Duration, Duration) = (Duration::from_millis(1000), Duration::from_millis(2000));
/// How long a started PD takes before it joins (etcd replays its log).
const BOOT_TIME: Duration = Duration::from_secs(2);
/// etcd needs a majority of the three to elect anyone.
const QUORUM: usize = 2;
const SIGKILL_EXIT: i64 = 137;
const CLEAN_EXIT: i64 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    Running,
    Booting { ready_at: Duration },
    Exited { code: i64 },
}

#[derive(Debug, Clone)]
struct Member {
    life: Life,
    paused: bool,
    connected: bool,
}

impl Member {
    /// Takes part in etcd and answers its peers and clients.
    fn serves(&self) -> bool {
        self.life == Life::Running && !self.paused && self.connected
    }

    fn process_state(&self) -> ProcessState {
        match self.life {
            _ if self.paused => ProcessState::Paused,
            Life::Running | Life::Booting { .. } => ProcessState::Running,
            Life::Exited { code } => ProcessState::Exited {
                exit_code: Some(code),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leadership {
    /// `leader` holds the key until `lease_until`, renewed at `renewed_at`
    /// while it serves; it hands out timestamps from `tso_from`.
    Held {
        leader: usize,
        renewed_at: Duration,
        lease_until: Duration,
        tso_from: Duration,
    },
    /// No key since `since`; the campaign ends at `elect_at` (none while
    /// there is no quorum).
    Vacant {
        since: Duration,
        elect_at: Option<Duration>,
    },
}

/// What chaosdeck's PD client gets back now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdAnswer {
    /// The leader answers (through any follower).
    Answers,
    /// The key names a leader that does not answer: nothing comes back.
    LeaderSilent { leader: &'static str },
    /// No leader: the followers answer 503.
    NoLeader { followers: Vec<&'static str> },
}

/// The three PD members and their leadership.
#[derive(Debug, Clone)]
pub struct PdMembers {
    members: [Member; 3],
    leadership: Leadership,
    /// Since when PD has not answered (the leader went silent or resigned).
    silent_since: Option<Duration>,
}

impl PdMembers {
    /// Every member up, `leader` leading and serving TSO since the start.
    pub fn new(leader: usize) -> Self {
        let member = Member {
            life: Life::Running,
            paused: false,
            connected: true,
        };
        Self {
            members: [member.clone(), member.clone(), member],
            leadership: Leadership::Held {
                leader: leader % PD_MEMBERS.len(),
                renewed_at: Duration::ZERO,
                lease_until: LEADER_LEASE,
                tso_from: Duration::ZERO,
            },
            silent_since: None,
        }
    }

    pub fn index(service: &str) -> Option<usize> {
        PD_MEMBERS.iter().position(|name| *name == service)
    }

    /// The member that holds the key, serving or not.
    pub fn leader(&self) -> Option<&'static str> {
        match self.leadership {
            Leadership::Held { leader, .. } => Some(PD_MEMBERS[leader]),
            Leadership::Vacant { .. } => None,
        }
    }

    /// One step ending at `end`: boots, the lease kept alive or run out,
    /// the campaign and its winner.
    pub fn step(&mut self, end: Duration, rng: &mut impl Rng) {
        for member in &mut self.members {
            if let Life::Booting { ready_at } = member.life
                && ready_at <= end
                && !member.paused
            {
                member.life = Life::Running;
            }
        }
        if let Leadership::Held {
            leader,
            renewed_at,
            lease_until,
            tso_from,
        } = self.leadership
        {
            if !self.members[leader].serves() {
                if end >= lease_until {
                    self.leadership = Leadership::Vacant {
                        since: lease_until,
                        elect_at: None,
                    };
                }
            } else if end >= renewed_at + RENEW_EVERY {
                self.leadership = Leadership::Held {
                    leader,
                    renewed_at: end,
                    lease_until: end + LEADER_LEASE,
                    tso_from,
                };
            }
        }
        self.campaign(end, rng);
        if self.answer() == PdAnswer::Answers {
            self.silent_since = None;
        } else if self.silent_since.is_none() {
            self.silent_since = Some(end);
        }
    }

    fn campaign(&mut self, end: Duration, rng: &mut impl Rng) {
        let Leadership::Vacant { since, elect_at } = &mut self.leadership else {
            return;
        };
        let serving: Vec<usize> = (0..PD_MEMBERS.len())
            .filter(|&i| self.members[i].serves())
            .collect();
        if serving.len() < QUORUM {
            *elect_at = None;
            return;
        }
        let at = *elect_at.get_or_insert_with(|| (*since).max(end) + between(CAMPAIGN, rng));
        if end < at {
            return;
        }
        let leader = serving[rng.random_range(0..serving.len())];
        self.leadership = Leadership::Held {
            leader,
            renewed_at: at,
            lease_until: at + LEADER_LEASE,
            tso_from: at + between(TSO_SYNC, rng),
        };
    }

    /// Applies `kind` to member `index` at `now`: what it struck and the
    /// event the runtime reports; `None` for a kind PD members do not take
    /// here (a CPU limit, dropped packets: the simulator slows TiKV stores only).
    pub fn inject(
        &mut self,
        kind: FaultKind,
        index: usize,
        now: Duration,
    ) -> Option<(Struck, EventKind)> {
        let led = self.leader() == Some(PD_MEMBERS[index]);
        let member = &mut self.members[index];
        let event = match kind {
            FaultKind::Slow | FaultKind::Loss => return None,
            FaultKind::Kill => {
                member.life = Life::Exited { code: SIGKILL_EXIT };
                member.paused = false;
                EventKind::Died {
                    exit_code: Some(SIGKILL_EXIT),
                }
            }
            FaultKind::Stop => {
                member.life = Life::Exited { code: CLEAN_EXIT };
                if led {
                    // A closing leader revokes its lease: no wait for it.
                    self.leadership = Leadership::Vacant {
                        since: now,
                        elect_at: None,
                    };
                }
                EventKind::Died {
                    exit_code: Some(CLEAN_EXIT),
                }
            }
            FaultKind::Pause => {
                member.paused = true;
                EventKind::Paused
            }
            FaultKind::Partition => {
                member.connected = false;
                EventKind::NetworkDisconnected
            }
        };
        if led {
            self.silent_since = Some(now);
        }
        let struck = if led {
            Struck::PdLeader
        } else {
            Struck::PdFollower
        };
        Some((struck, event))
    }

    /// Undoes what `recovery` undoes on member `index` at `now`: a started
    /// member joins as a follower once booted; one that comes back while
    /// its lease still holds leads on.
    pub fn recover(
        &mut self,
        recovery: Recovery,
        index: usize,
        now: Duration,
    ) -> Option<EventKind> {
        let member = &mut self.members[index];
        Some(match recovery {
            Recovery::Restore | Recovery::Clear => return None,
            Recovery::Start => {
                member.life = Life::Booting {
                    ready_at: now + BOOT_TIME,
                };
                EventKind::Started
            }
            Recovery::Unpause => {
                member.paused = false;
                EventKind::Unpaused
            }
            Recovery::Reconnect => {
                member.connected = true;
                EventKind::NetworkReconnected
            }
        })
    }

    /// What a PD client gets back now.
    pub fn answer(&self) -> PdAnswer {
        match self.leadership {
            Leadership::Held { leader, .. } if self.members[leader].serves() => PdAnswer::Answers,
            Leadership::Held { leader, .. } => PdAnswer::LeaderSilent {
                leader: PD_MEMBERS[leader],
            },
            Leadership::Vacant { .. } => PdAnswer::NoLeader {
                followers: (0..PD_MEMBERS.len())
                    .filter(|&i| self.members[i].serves())
                    .map(|i| PD_MEMBERS[i])
                    .collect(),
            },
        }
    }

    /// The show time PD's picture is from: now while it answers, else the
    /// moment it fell silent (the last answer a client got).
    pub fn answered_at(&self, now: Duration) -> Duration {
        self.silent_since.map_or(now, |since| since.min(now))
    }

    /// Why PD gives no picture now, in the words a client would see.
    pub fn trouble(&self) -> Option<String> {
        match self.answer() {
            PdAnswer::Answers => None,
            PdAnswer::LeaderSilent { leader } => Some(format!(
                "PD's leader {leader} does not answer; the others still name it \
                 leader until its {} s lease runs out",
                LEADER_LEASE.as_secs()
            )),
            PdAnswer::NoLeader { followers } if followers.is_empty() => {
                Some("PD has no leader and no member answers".to_string())
            }
            PdAnswer::NoLeader { followers } => Some(format!(
                "PD has no leader: {} answer{} 503 (redirect finds no leader)",
                followers.join(" and "),
                if followers.len() == 1 { "s" } else { "" }
            )),
        }
    }

    /// `/pd/api/v1/members` as a client last read it: the leader marked
    /// only while PD names one (a silent leader stays marked: the key still
    /// names it; the picture is stale and the snapshot says so).
    pub fn members(&self, now: Duration) -> Vec<PdMember> {
        let answers = self.answer() == PdAnswer::Answers;
        let (leader, tso_from) = match self.leadership {
            Leadership::Held {
                leader, tso_from, ..
            } => (Some(leader), Some(tso_from)),
            Leadership::Vacant { .. } => (None, None),
        };
        PD_MEMBERS
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let is_leader = leader == Some(index);
                PdMember {
                    name: name.to_string(),
                    client_url: format!("http://{name}:2379"),
                    is_leader,
                    healthy: answers.then(|| self.members[index].serves()),
                    serves_tso: (is_leader && answers)
                        .then(|| tso_from.is_some_and(|from| now >= from)),
                }
            })
            .collect()
    }

    /// The members' processes as the runtime shows them.
    pub fn processes(&self) -> impl Iterator<Item = Process> + '_ {
        self.members
            .iter()
            .zip(PD_MEMBERS)
            .map(|(member, name)| Process {
                service: name.to_string(),
                role: NodeRole::Pd,
                state: member.process_state(),
                network_connected: member.connected,
                store: None,
                cpu_limit: None,
                packet_loss: None,
            })
    }
}

fn between((low, high): (Duration, Duration), rng: &mut impl Rng) -> Duration {
    Duration::from_millis(rng.random_range(low.as_millis() as u64..high.as_millis() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const STEP: Duration = Duration::from_millis(100);

    /// Steps until `until`, returning when PD first answered again and
    /// when TSO was first served again after `from`.
    fn run(
        pd: &mut PdMembers,
        from: Duration,
        until: Duration,
        seed: u64,
    ) -> Vec<(Duration, PdAnswer, bool)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut trace = Vec::new();
        let mut t = from;
        while t < until {
            t += STEP;
            pd.step(t, &mut rng);
            let tso = pd.members(t).iter().any(|m| m.serves_tso == Some(true));
            trace.push((t, pd.answer(), tso));
        }
        trace
    }

    fn first(
        trace: &[(Duration, PdAnswer, bool)],
        test: impl Fn(&(Duration, PdAnswer, bool)) -> bool,
    ) -> Option<Duration> {
        trace.iter().find(|e| test(e)).map(|e| e.0)
    }

    #[test]
    fn a_killed_leader_is_replaced_after_its_lease_and_tso_follows() {
        for seed in 0..40 {
            let mut pd = PdMembers::new(1);
            let warm = run(&mut pd, Duration::ZERO, Duration::from_millis(10_450), seed);
            assert!(warm.iter().all(|e| e.1 == PdAnswer::Answers && e.2));
            let killed = Duration::from_millis(10_450);
            let (struck, _) = pd.inject(FaultKind::Kill, 1, killed).unwrap();
            assert_eq!(struck, Struck::PdLeader);
            let trace = run(&mut pd, killed, killed + Duration::from_secs(20), seed);
            let vacant = first(&trace, |e| matches!(e.1, PdAnswer::NoLeader { .. })).unwrap();
            let lease_left = vacant - killed;
            assert!(
                lease_left > Duration::from_secs(1) && lease_left <= LEADER_LEASE + STEP,
                "{lease_left:?}"
            );
            let back = first(&trace, |e| e.1 == PdAnswer::Answers).unwrap();
            let tso = first(&trace, |e| e.2).unwrap();
            assert!(back > vacant && tso > back);
            let stall = tso - killed;
            assert!(
                stall >= Duration::from_secs(4) && stall <= Duration::from_secs(8) + STEP,
                "{stall:?}"
            );
            let leader = pd.leader().unwrap();
            assert_ne!(leader, "pd1", "a dead member is never elected");
            // Silent then leaderless, never answering in between.
            assert!(
                trace
                    .iter()
                    .take_while(|e| e.0 < vacant)
                    .all(|e| matches!(e.1, PdAnswer::LeaderSilent { leader: "pd1" }))
            );
        }
    }

    #[test]
    fn a_stopped_leader_resigns_at_once_and_a_follower_changes_nothing() {
        let mut pd = PdMembers::new(0);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        pd.step(STEP, &mut rng);
        let (struck, _) = pd.inject(FaultKind::Stop, 0, STEP).unwrap();
        assert_eq!(struck, Struck::PdLeader);
        assert!(
            matches!(pd.answer(), PdAnswer::NoLeader { ref followers } if followers == &["pd1", "pd2"])
        );
        assert!(pd.trouble().unwrap().contains("pd1 and pd2 answer 503"));

        let mut calm = PdMembers::new(0);
        let (struck, _) = calm.inject(FaultKind::Pause, 2, STEP).unwrap();
        assert_eq!(struck, Struck::PdFollower);
        let trace = run(&mut calm, STEP, Duration::from_secs(15), 1);
        assert!(trace.iter().all(|e| e.1 == PdAnswer::Answers));
        assert_eq!(calm.leader(), Some("pd0"));
    }

    #[test]
    fn no_quorum_no_leader_until_a_member_returns() {
        let mut pd = PdMembers::new(0);
        pd.inject(FaultKind::Kill, 0, Duration::ZERO);
        pd.inject(FaultKind::Kill, 1, Duration::ZERO);
        let trace = run(&mut pd, Duration::ZERO, Duration::from_secs(20), 2);
        assert!(
            trace
                .iter()
                .skip(40)
                .all(|e| matches!(e.1, PdAnswer::NoLeader { .. }))
        );
        pd.recover(Recovery::Start, 1, Duration::from_secs(20));
        let trace = run(&mut pd, Duration::from_secs(20), Duration::from_secs(30), 2);
        assert!(trace.last().is_some_and(|e| e.1 == PdAnswer::Answers));
    }

    #[test]
    fn a_silent_picture_is_dated_when_pd_fell_silent() {
        let mut pd = PdMembers::new(2);
        let at = Duration::from_secs(5);
        assert_eq!(pd.answered_at(at), at);
        pd.inject(FaultKind::Partition, 2, at);
        assert_eq!(pd.answered_at(at + Duration::from_secs(2)), at);
        let members = pd.members(at);
        assert!(members[2].is_leader, "the key still names it");
        assert!(
            members
                .iter()
                .all(|m| m.healthy.is_none() && m.serves_tso.is_none())
        );
    }
}
