//! The built-in analyzer's hypotheses: one row per fault class, keyed by its
//! [`FaultClass`], with everything the analyzer knows about that class: the
//! symptom it explains best and the base score that sets (its weight), the
//! tests of the evidence for and against it, in the order they are told,
//! what is said when it is the verdict, and the risks of its recovery.
//!
//! Adding a class is adding a row (and its variant to [`FaultClass`]). The
//! rows are plain data over the [`Clues`], so that a fault catalogue can
//! feed them: the scoring ([`super::reasoning`]) reads only the table.

use std::time::Duration;

use super::diagnosis::FaultClass;
use super::facts::{ImpactFacts, Symptom};
use super::pd_facts::PdLeaderFacts;
use crate::cluster::{CpuLimit, PacketLoss};
use crate::text::{clock, count};

/// Each clue for a hypothesis past the first adds this much to its score.
pub const PER_CLUE_FOR: f32 = 0.05;
/// Each clue against a hypothesis takes this much off its score.
pub const PER_CLUE_AGAINST: f32 = 0.15;
/// Added when the runtime's event and its state in snapshots agree.
pub const CORROBORATED: f32 = 0.05;

/// Observations about the suspect, as the hypotheses use them.
#[derive(Debug, Clone, Default)]
pub struct Clues {
    /// `Some(code)` when the process exited.
    pub exit: Option<Option<i64>>,
    pub paused: bool,
    pub disconnected: bool,
    pub leaderless_peak: u64,
    pub drained_at: Option<Duration>,
    pub heartbeats_stopped: bool,
    /// The runtime's latest word on the process: running and connected.
    pub runtime_says_well: bool,
    /// The runtime told anything about the process at all.
    pub runtime_visible: bool,
    /// What PD's members said of their leadership, if the node led PD.
    pub pd: PdLeaderFacts,
    /// The CPU limit that starves it beside its peers.
    pub starved: Option<CpuLimit>,
    /// The share of its packets its packet filter drops.
    pub lossy: Option<PacketLoss>,
}

impl Clues {
    pub fn exited(&self) -> bool {
        self.exit.is_some()
    }
}

/// One test of the evidence: the side it speaks for, and what it says when
/// the clues bear it out.
#[derive(Clone, Copy)]
pub enum Test {
    For(fn(&Clues) -> Option<String>),
    Against(fn(&Clues) -> Option<String>),
}

/// What a hypothesis knows when it is the verdict on a node.
pub struct Onset<'a> {
    pub name: &'a str,
    /// When the node went, as a show time.
    pub at: String,
    pub clues: &'a Clues,
    pub impact: &'a ImpactFacts,
}

/// One fault class, as the built-in analyzer weighs it.
pub struct Hypothesis {
    pub class: FaultClass,
    /// What sets the base score when this class explains the symptom the
    /// runtime saw, and the base; `None` when it does not (one row claims
    /// each symptom).
    pub basis: fn(Symptom, &Clues) -> Option<(&'static str, f32)>,
    /// For and against, each side told in this order.
    pub tests: &'static [Test],
    /// What happened, when this class is the verdict.
    pub summary: fn(&Onset<'_>) -> String,
    /// The risks of acting on it (before those every verdict shares).
    pub risks: fn(&Clues) -> Vec<String>,
}

/// The node faults, in the order the alternatives are weighed.
pub static HYPOTHESES: [Hypothesis; 7] = [CRASH, STOP, FROZEN, PARTITION, SLOW, LOSS, PD_LEADER];

/// The row of `class`; none for [`FaultClass::Unknown`], which is what is
/// left when no row explains the evidence.
pub fn hypothesis(class: FaultClass) -> Option<&'static Hypothesis> {
    HYPOTHESES.iter().find(|h| h.class == class)
}

/// The class the symptom points to and what set its base.
pub fn explaining(symptom: Symptom, clues: &Clues) -> Option<(FaultClass, (&'static str, f32))> {
    HYPOTHESES
        .iter()
        .find_map(|h| (h.basis)(symptom, clues).map(|basis| (h.class, basis)))
}

/// The evidence for and against `class`, in the order it is told.
pub fn weigh(class: FaultClass, clues: &Clues) -> (Vec<String>, Vec<String>) {
    let (mut pro, mut con) = (Vec::new(), Vec::new());
    for test in hypothesis(class).map_or(&[][..], |h| h.tests) {
        match test {
            Test::For(says) => pro.extend(says(clues)),
            Test::Against(says) => con.extend(says(clues)),
        }
    }
    (pro, con)
}

// The clues more than one hypothesis reads.

fn leaderless(clues: &Clues) -> Option<String> {
    (clues.leaderless_peak > 0).then(|| {
        format!(
            "{} lost their leader after it went",
            count(clues.leaderless_peak, "region", "regions")
        )
    })
}

fn heartbeats_stopped(clues: &Clues) -> Option<String> {
    clues
        .heartbeats_stopped
        .then(|| "PD stopped receiving its heartbeats".to_string())
}

/// Silent to PD, yet it did not exit.
fn silent_but_alive(clues: &Clues) -> Option<String> {
    if !clues.heartbeats_stopped || clues.exited() {
        return None;
    }
    Some(if clues.runtime_visible {
        "PD stopped receiving its heartbeats, yet no exit was seen".to_string()
    } else {
        "PD stopped receiving its heartbeats".to_string()
    })
}

/// Against an exit: the runtime still shows the process.
fn still_there(clues: &Clues) -> Option<String> {
    (!clues.exited() && (clues.paused || clues.disconnected || clues.runtime_says_well))
        .then(|| "no exit was seen: the process is still there".to_string())
}

/// Leaders handed over (leader count 0) and none lost: a stop's sign.
fn handed_over(clues: &Clues) -> bool {
    clues.drained_at.is_some() && clues.leaderless_peak == 0
}

const CRASH: Hypothesis = Hypothesis {
    class: FaultClass::ProcessCrash,
    basis: |symptom, clues| match symptom {
        _ if clues.pd.led => None,
        Symptom::Died {
            exit_code: Some(137),
        } => Some(("exit code 137: SIGKILL", 0.75)),
        Symptom::Died {
            exit_code: Some(0 | 143),
        } => None,
        Symptom::Died { exit_code: Some(_) } => Some(("another exit code", 0.6)),
        Symptom::Died { exit_code: None } if !handed_over(clues) => {
            Some(("gone, no exit code", 0.45))
        }
        _ => None,
    },
    tests: &[
        Test::For(|c| match c.exit {
            Some(Some(137)) => Some("exit code 137: killed by SIGKILL".into()),
            Some(Some(0 | 143)) | None => None,
            Some(Some(code)) => Some(format!("exit code {code}: it ended on its own")),
            Some(None) => Some("the process exited".into()),
        }),
        Test::Against(|c| match c.exit {
            Some(Some(code @ (0 | 143))) => {
                Some(format!("exit code {code} means it was asked to stop"))
            }
            Some(_) => None,
            None => still_there(c),
        }),
        Test::For(|c| leaderless(c).map(|l| format!("{l} (no hand-over)"))),
        Test::For(heartbeats_stopped),
        Test::Against(|c| {
            c.drained_at.map(|at| {
                format!(
                    "its leaders were moved off before it exited (leader count 0 at {})",
                    clock(at)
                )
            })
        }),
    ],
    summary: |o| {
        let (name, at) = (o.name, &o.at);
        match o.clues.exit {
            Some(Some(137)) => {
                let mut t = format!(
                    "{name} was killed (SIGKILL, exit code 137) at {at}: it went without handing over its leaders"
                );
                let leaderless = count(o.impact.leaderless_peak, "region", "regions");
                if o.impact.leaderless_peak > 0 && o.impact.leaderless_cleared.is_some() {
                    t.push_str(&format!(
                        ", and {leaderless} had no leader until re-election"
                    ));
                } else if o.impact.leaderless_peak > 0 {
                    // The peak is what was lost; the last snapshot what still is.
                    t.push_str(&format!(
                        "; {leaderless} lost their leader, {} still led from {name} (re-election under way)",
                        o.impact.leaderless_now
                    ));
                }
                t
            }
            Some(Some(code)) => {
                format!("{name} exited on its own with exit code {code} at {at} (a crash)")
            }
            _ => format!(
                "{name} exited at {at} without a known exit code; it looks like a crash or a kill"
            ),
        }
    },
    risks: |c| {
        let mut risks = vec!["the restarted store comes back with stale data and catches up from its peers (Raft log or snapshot): extra load on them meanwhile".to_string()];
        if c.exit == Some(Some(137)) {
            risks.push("exit code 137 is also what the kernel's OOM killer leaves: if nobody killed it on purpose, check its memory before restarting".into());
        }
        if c.drained_at.is_some() {
            risks.push("leaders left before the kill: perhaps a stop that ran past its timeout and was then killed".into());
        }
        risks
    },
};

const STOP: Hypothesis = Hypothesis {
    class: FaultClass::GracefulStop,
    basis: |symptom, clues| match symptom {
        _ if clues.pd.led => None,
        Symptom::Died {
            exit_code: Some(0 | 143),
        } => Some(("a clean exit code", 0.75)),
        Symptom::Died { exit_code: None } if handed_over(clues) => {
            Some(("gone, no exit code, leaders handed over", 0.5))
        }
        _ => None,
    },
    tests: &[
        Test::For(|c| match c.exit {
            Some(Some(code @ (0 | 143))) => {
                Some(format!("exit code {code}: a requested stop (SIGTERM)"))
            }
            Some(_) => Some("the process exited".into()),
            None => None,
        }),
        Test::Against(|c| match c.exit {
            Some(Some(137)) => Some("exit code 137 is SIGKILL, not a requested stop".into()),
            Some(Some(0 | 143)) | Some(None) => None,
            Some(Some(code)) => Some(format!(
                "exit code {code} is neither a clean exit nor SIGTERM"
            )),
            None => still_there(c),
        }),
        Test::For(|c| {
            c.drained_at.map(|at| {
                format!(
                    "its leader count fell to 0 at {}, before it exited (hand-over)",
                    clock(at)
                )
            })
        }),
        Test::Against(|c| leaderless(c).map(|l| format!("{l}: nothing was handed over"))),
    ],
    summary: |o| {
        let code = o
            .clues
            .exit
            .flatten()
            .map(|c| format!(" (exit code {c})"))
            .unwrap_or_default();
        let mut t = format!("{} was stopped{code} at {}", o.name, o.at);
        if let Some(drained) = o.clues.drained_at {
            t.push_str(&format!(
                " after handing over its leaders (leader count 0 at {})",
                clock(drained)
            ));
        }
        if o.impact.leaderless_peak > 0 {
            t.push_str(&format!(
                "; {} lost their leader: leaders were not handed over",
                count(o.impact.leaderless_peak, "region", "regions")
            ));
        }
        t
    },
    risks: |c| {
        let mut risks = vec!["after the start PD moves leaders back gradually: load rebalances over minutes, not at once".to_string()];
        if c.leaderless_peak > 0 {
            risks.push("leaders were not handed over before the exit: TiKV or PD may predate the evict-stopping-store change".into());
        }
        risks
    },
};

const FROZEN: Hypothesis = Hypothesis {
    class: FaultClass::Frozen,
    basis: |symptom, clues| {
        (symptom == Symptom::Paused && !clues.pd.led).then_some(("process paused", 0.8))
    },
    tests: &[
        Test::For(|c| {
            c.paused
                .then(|| "the runtime shows the process paused".into())
        }),
        Test::For(silent_but_alive),
        Test::Against(|c| {
            c.exited()
                .then(|| "the process exited; a frozen one does not".into())
        }),
        Test::Against(|c| {
            c.disconnected
                .then(|| "the runtime shows it running, cut off from the network".into())
        }),
        Test::Against(|c| {
            c.runtime_says_well
                .then(|| "the runtime reports it running".into())
        }),
    ],
    summary: |o| {
        format!(
            "{} is frozen: its process was paused at {}; it did not exit, it just stopped answering",
            o.name, o.at
        )
    },
    risks: |_| {
        vec!["on unpause it has missed heartbeats and Raft messages: expect a short latency spike while it catches up; its stale leaderships are rejected by term".into()]
    },
};

const PARTITION: Hypothesis = Hypothesis {
    class: FaultClass::NetworkPartition,
    basis: |symptom, clues| {
        (symptom == Symptom::Disconnected && !clues.pd.led).then_some(("network cut", 0.8))
    },
    tests: &[
        Test::For(|c| {
            c.disconnected
                .then(|| "the runtime shows it running but off the cluster network".into())
        }),
        Test::For(silent_but_alive),
        Test::Against(|c| {
            c.exited()
                .then(|| "the process exited; a partitioned one keeps running".into())
        }),
        Test::Against(|c| {
            c.paused
                .then(|| "the process is paused, not cut off".into())
        }),
        Test::Against(|c| {
            c.runtime_says_well
                .then(|| "the runtime reports it attached to the network".into())
        }),
    ],
    summary: |o| {
        format!(
            "{} is cut off from the network since {}: its process runs, but PD and its peers cannot reach it",
            o.name, o.at
        )
    },
    risks: |_| {
        vec![
            "on reconnect it rejoins with a stale term and steps down from old leaderships: expect brief catch-up traffic".into(),
            "if the cut is in the network rather than the container, reconnecting it here will not help".into(),
        ]
    },
};

/// How the node went, in a few words, for a PD leader's summary.
fn went(clues: &Clues) -> String {
    match clues.exit {
        Some(Some(137)) => "was killed (SIGKILL, exit code 137)".into(),
        Some(Some(code @ (0 | 143))) => format!("was stopped (exit code {code})"),
        Some(Some(code)) => format!("exited with code {code}"),
        Some(None) => "exited".into(),
        None if clues.paused => "was frozen (paused)".into(),
        None if clues.disconnected => "was cut off from the network".into(),
        None => "went".into(),
    }
}

const PD_LEADER: Hypothesis = Hypothesis {
    class: FaultClass::PdLeaderLost,
    basis: |symptom, clues| {
        clues.pd.led.then_some(match symptom {
            Symptom::Died { .. } => ("PD's leader exited", 0.8),
            Symptom::Paused => ("PD's leader froze", 0.8),
            Symptom::Disconnected => ("PD's leader was cut off", 0.8),
            Symptom::Starved { .. } | Symptom::Lossy { .. } => return None,
        })
    },
    tests: &[
        Test::For(|c| c.pd.led.then(|| "it was PD's leader when it went".into())),
        Test::For(|c| {
            c.pd.no_leader_at.map(|at| {
                format!(
                    "PD's members named no leader at {} (its followers answer 503)",
                    clock(at)
                )
            })
        }),
        Test::For(|c| {
            c.pd.elected
                .as_ref()
                .map(|(at, name)| format!("PD's members named {name} leader at {}", clock(*at)))
        }),
        Test::Against(|c| (!c.pd.led).then(|| "it did not lead PD when it went".into())),
        Test::Against(|c| {
            c.heartbeats_stopped
                .then(|| "a TiKV store stopped heartbeating: more than PD's leader went".into())
        }),
    ],
    summary: |o| {
        let mut t = format!("{}, PD's leader, {} at {}", o.name, went(o.clues), o.at);
        let pd = &o.clues.pd;
        if let Some(at) = pd.no_leader_at {
            t.push_str(&format!(
                "; once its lease ran out PD had no leader ({} onwards, followers answering 503)",
                clock(at)
            ));
        }
        match &pd.elected {
            Some((at, name)) => t.push_str(&format!("; {name} was elected at {}", clock(*at))),
            None => t.push_str("; no new leader yet"),
        }
        if let Some(at) = pd.tso_at {
            t.push_str(&format!(" and served TSO from {}", clock(at)));
        }
        t
    },
    risks: |_| {
        vec![
            "until the new leader serves TSO, transactional clients stall (others measured 4 to 8 s); raw KV through a warm region cache barely notices".into(),
            "the old leader comes back as a follower: PD does not move leadership back by itself".into(),
            "with one of three PD members down, one more loss leaves PD without a quorum and without a leader".into(),
        ]
    },
};

const SLOW: Hypothesis = Hypothesis {
    class: FaultClass::SlowStore,
    basis: |symptom, _| {
        matches!(symptom, Symptom::Starved { .. })
            .then_some(("CPU limit far below its peers'", 0.75))
    },
    tests: &[
        Test::For(|c| {
            c.starved
                .map(|limit| format!("the runtime holds it to {limit}, far less than its peers"))
        }),
        Test::For(|c| {
            (c.starved.is_some() && !c.heartbeats_stopped)
                .then(|| "PD still hears from it: slow, not gone".into())
        }),
        Test::Against(heartbeats_stopped),
        Test::Against(|c| {
            c.exited()
                .then(|| "the process exited; a slow one keeps serving".into())
        }),
        Test::Against(|c| {
            (c.paused || c.disconnected)
                .then(|| "the process is paused or cut off, not merely slow".into())
        }),
    ],
    summary: |o| {
        let limit = o
            .clues
            .starved
            .map_or_else(String::new, |l| format!(" (held to {l})"));
        format!(
            "{} is starved of CPU since {}{limit}: PD still hears from it and its leaders stay, so only the clients feel it, as latency and lost throughput on the regions it leads",
            o.name, o.at
        )
    },
    risks: |_| {
        vec![
            "once its CPU is back, the requests queued on it drain at once: a short burst of load on it".into(),
            "if it is slow for another reason (its disk, its network), restoring the CPU limit will not help".into(),
        ]
    },
};

const LOSS: Hypothesis = Hypothesis {
    class: FaultClass::PacketLoss,
    basis: |symptom, _| {
        matches!(symptom, Symptom::Lossy { .. })
            .then_some(("its packet filter drops a share of its packets", 0.75))
    },
    tests: &[
        Test::For(|c| {
            c.lossy
                .map(|loss| format!("its network namespace drops {loss} of its packets at random"))
        }),
        Test::For(|c| {
            (c.lossy.is_some() && !c.heartbeats_stopped).then(|| {
                "PD still hears from it: TCP resends what is dropped, so it is late, not gone"
                    .into()
            })
        }),
        Test::Against(heartbeats_stopped),
        Test::Against(|c| {
            c.exited()
                .then(|| "the process exited; a lossy one keeps serving".into())
        }),
        Test::Against(|c| {
            (c.paused || c.disconnected)
                .then(|| "the process is paused or cut off, not merely lossy".into())
        }),
    ],
    summary: |o| {
        let loss = o
            .clues
            .lossy
            .map_or_else(String::new, |l| format!(" ({l} of them)"));
        format!(
            "{} drops packets at random since {}{loss}: TCP resends each after 0.2 s, then 0.4, 0.8…, so requests to the regions it leads come back late; PD keeps it Up while its heartbeats get through",
            o.name, o.at
        )
    },
    risks: |_| {
        vec![
            "clearing the rules brings its latency back at once; requests still waiting on a resend finish first".into(),
            "at heavy loss its connections stall for longer than Raft's election timeout: some of its leaders may have moved, and PD moves them back by its own schedule".into(),
        ]
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_node_fault_and_none_for_unknown() {
        let classes: Vec<FaultClass> = HYPOTHESES.iter().map(|h| h.class).collect();
        assert_eq!(
            classes,
            [
                FaultClass::ProcessCrash,
                FaultClass::GracefulStop,
                FaultClass::Frozen,
                FaultClass::NetworkPartition,
                FaultClass::SlowStore,
                FaultClass::PacketLoss,
                FaultClass::PdLeaderLost
            ]
        );
        assert!(hypothesis(FaultClass::Unknown).is_none());
        assert_eq!(
            weigh(FaultClass::Unknown, &Clues::default()),
            (vec![], vec![])
        );
    }

    #[test]
    fn exactly_one_row_explains_each_symptom() {
        let symptoms = [
            Symptom::Died {
                exit_code: Some(137),
            },
            Symptom::Died { exit_code: Some(0) },
            Symptom::Died {
                exit_code: Some(143),
            },
            Symptom::Died { exit_code: Some(1) },
            Symptom::Died { exit_code: None },
            Symptom::Paused,
            Symptom::Disconnected,
            Symptom::Starved {
                limit: CpuLimit::from_cpus(0.2),
            },
            Symptom::Lossy {
                loss: PacketLoss::from_percent(30.0),
            },
        ];
        for symptom in symptoms {
            let cases = [(false, 0), (true, 0), (false, 2), (true, 2)];
            for ((drained, peak), led) in cases.into_iter().flat_map(|c| [(c, false), (c, true)]) {
                let clues = Clues {
                    drained_at: drained.then_some(Duration::from_secs(3)),
                    leaderless_peak: peak,
                    pd: PdLeaderFacts {
                        led,
                        ..PdLeaderFacts::default()
                    },
                    ..Clues::default()
                };
                let claims = HYPOTHESES
                    .iter()
                    .filter(|h| (h.basis)(symptom, &clues).is_some())
                    .count();
                assert_eq!(claims, 1, "{symptom:?} {clues:?}");
            }
        }
    }
}
