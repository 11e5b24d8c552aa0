//! The fault catalogue: every fault kind chaosdeck can inject and every
//! class of failure an analyzer can name, each described once. The
//! backends keep only the how; the story, the episode, the agent and the
//! screen read their words, recoveries and expected signals from here.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The faults chaosdeck can inject, the same set on every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// SIGKILL: the process is gone (exit code 137).
    Kill,
    /// Graceful stop (SIGTERM): leaders are handed over first.
    Stop,
    /// Frozen: the process exists but does nothing (a grey failure).
    Pause,
    /// Alive but cut off from PD and its peers.
    Partition,
    /// Alive and connected, but starved of CPU (its quota lowered).
    Slow,
    /// Alive and connected, but a share of its packets dropped.
    Loss,
}

/// How a node is brought back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recovery {
    Start,
    Unpause,
    Reconnect,
    /// Put back the CPU limit the node had before it was slowed.
    Restore,
    /// Remove the rules that drop the node's packets.
    Clear,
}

/// The kind of failure, as an analyzer tells it from the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaultClass {
    /// The process was killed (SIGKILL) or crashed: gone without handing over.
    ProcessCrash,
    /// The process was asked to stop (SIGTERM) and exited cleanly.
    GracefulStop,
    /// The process exists but does nothing (paused, hung): a grey failure.
    Frozen,
    /// The process runs but is cut off from PD and its peers.
    NetworkPartition,
    /// PD's leader went (killed, stopped, frozen or cut off): no leader
    /// until its lease expires and another member is elected, and no TSO
    /// until the new leader's lease keep-alive starts.
    PdLeaderLost,
    /// The node is up and heard from, but serves slowly.
    SlowStore,
    /// The node is up, but a share of its packets is lost: TCP resends
    /// them after its timeout, so its requests take far longer.
    PacketLoss,
    /// The evidence does not say.
    Unknown,
}

/// A signal a fault is expected to produce, which the episode waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// PD names the store (Disconnected, then Down) once its heartbeats stop.
    PdVerdict,
    /// The runtime sees the node change (an event, or its state).
    RuntimeEvent,
    /// PD's members name another leader than the one before the fault.
    PdLeaderChange,
    /// The workload's own figures turn (p99 up, throughput down): all a
    /// mild slowdown shows, since PD keeps hearing from the store.
    WorkloadSignal,
}

/// What a fault struck, as far as the catalogue tells faults apart: the
/// same kill is a TiKV node's crash or PD's leader lost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Struck {
    /// A TiKV node (or any node but a PD member): the kind's own entry.
    #[default]
    Tikv,
    /// The PD member that led when the fault landed.
    PdLeader,
    /// A PD member that did not lead: PD keeps its leader, no store to judge.
    PdFollower,
}

impl Struck {
    pub fn is_tikv(&self) -> bool {
        *self == Self::Tikv
    }
}

/// PD's leader lost, whatever the kind: the runtime sees the member go and
/// the members name a new leader once its lease has run out. PD gives no
/// verdict on a store: none of them is touched.
pub const PD_LEADER_EXPECTS: &[Expected] = &[Expected::RuntimeEvent, Expected::PdLeaderChange];
const PD_FOLLOWER_EXPECTS: &[Expected] = &[Expected::RuntimeEvent];

/// One fault kind, described once.
#[derive(Debug)]
pub struct Fault {
    pub kind: FaultKind,
    /// The chapters file's word, and the journal's: `kill`.
    pub name: &'static str,
    /// `killed`, as in "it was killed".
    pub past: &'static str,
    pub recovery: Recovery,
    /// The class an analyzer should name for it.
    pub class: FaultClass,
    /// The signals the episode waits for before it calls the fault seen.
    pub expects: &'static [Expected],
    /// The one parameter a chapters file may give it (`cpus = 0.2`).
    pub param: Option<Param>,
}

/// A fault kind's parameter: its name in a chapters file and its range.
#[derive(Debug)]
pub struct Param {
    /// The chapters file's key: `cpus`.
    pub name: &'static str,
    /// What a value is shown with: `0.2 CPUs`, `30%`.
    pub unit: &'static str,
    pub min: f64,
    pub max: f64,
    /// The value when the chapters file gives none.
    pub default: f64,
}

/// One class of failure, described once.
#[derive(Debug)]
pub struct Class {
    pub class: FaultClass,
    /// The diagnosis's words: `process killed or crashed`.
    pub label: &'static str,
    /// The evaluation table's word: `crash`.
    pub short: &'static str,
    /// The agent pane's cause cell: `crash tikv1`.
    pub cell: &'static str,
    /// The name a model answers with, and the evaluation set's.
    pub wire: &'static str,
    /// Other names a model may use for it.
    pub aliases: &'static [&'static str],
}

const BOTH: &[Expected] = &[Expected::PdVerdict, Expected::RuntimeEvent];

/// Every fault kind, in the order of [`FaultKind::ALL`].
pub const FAULTS: [Fault; 6] = [
    Fault {
        kind: FaultKind::Kill,
        name: "kill",
        past: "killed",
        recovery: Recovery::Start,
        class: FaultClass::ProcessCrash,
        expects: BOTH,
        param: None,
    },
    Fault {
        kind: FaultKind::Stop,
        name: "stop",
        past: "stopped",
        recovery: Recovery::Start,
        class: FaultClass::GracefulStop,
        expects: BOTH,
        param: None,
    },
    Fault {
        kind: FaultKind::Pause,
        name: "pause",
        past: "paused",
        recovery: Recovery::Unpause,
        class: FaultClass::Frozen,
        expects: BOTH,
        param: None,
    },
    Fault {
        kind: FaultKind::Partition,
        name: "partition",
        past: "partitioned",
        recovery: Recovery::Reconnect,
        class: FaultClass::NetworkPartition,
        expects: BOTH,
        param: None,
    },
    // TiKV's slow score trips only past 100 ms inspect requests or
    // timed-out probes, and PD keeps a store Up while it heartbeats: a
    // starved store shows only in the clients' latency and throughput.
    Fault {
        kind: FaultKind::Slow,
        name: "slow",
        past: "slowed",
        recovery: Recovery::Restore,
        class: FaultClass::SlowStore,
        expects: &[Expected::WorkloadSignal],
        param: Some(Param {
            name: "cpus",
            unit: "CPUs",
            min: 0.01,
            max: 64.0,
            default: 0.2,
        }),
    },
    // Dropped packets are resent by TCP after its retransmission timeout
    // (200 ms, doubling), so requests to the regions the node leads take
    // far longer; PD keeps the store Up unless heartbeats miss for 20 s,
    // and leaders move only once Raft's heartbeats miss an election
    // timeout. The clients' latency is the one sure signal.
    Fault {
        kind: FaultKind::Loss,
        name: "loss",
        past: "made lossy",
        recovery: Recovery::Clear,
        class: FaultClass::PacketLoss,
        expects: &[Expected::WorkloadSignal],
        param: Some(Param {
            name: "percent",
            unit: "%",
            min: 1.0,
            max: 100.0,
            default: 30.0,
        }),
    },
];

/// Every class, the fault classes first and `Unknown` last.
pub const CLASSES: [Class; 8] = [
    Class {
        class: FaultClass::ProcessCrash,
        label: "process killed or crashed",
        short: "crash",
        cell: "crash",
        wire: "process_crash",
        aliases: &[
            "crash",
            "crashed",
            "kill",
            "killed",
            "process_killed",
            "sigkill",
            "processcrash",
        ],
    },
    Class {
        class: FaultClass::GracefulStop,
        label: "graceful stop",
        short: "stop",
        cell: "stop",
        wire: "graceful_stop",
        aliases: &["stop", "stopped", "sigterm", "gracefulstop"],
    },
    Class {
        class: FaultClass::Frozen,
        label: "process frozen (paused)",
        short: "frozen",
        cell: "frozen",
        wire: "frozen",
        aliases: &["freeze", "pause", "paused", "hung", "process_frozen"],
    },
    Class {
        class: FaultClass::NetworkPartition,
        label: "network partition",
        short: "partition",
        cell: "cut off",
        wire: "network_partition",
        aliases: &["partition", "partitioned", "networkpartition"],
    },
    Class {
        class: FaultClass::SlowStore,
        label: "slow store (starved of CPU)",
        short: "slow",
        cell: "slow",
        wire: "slow_store",
        aliases: &[
            "slow",
            "slowed",
            "slowstore",
            "cpu_starved",
            "cpu_throttled",
            "throttled",
        ],
    },
    Class {
        class: FaultClass::PacketLoss,
        label: "packet loss",
        short: "loss",
        cell: "lossy",
        wire: "packet_loss",
        aliases: &[
            "loss",
            "lossy",
            "packet_drop",
            "packets_dropped",
            "dropped_packets",
            "packetloss",
        ],
    },
    Class {
        class: FaultClass::PdLeaderLost,
        label: "PD leader lost",
        short: "pd leader",
        cell: "PD leader",
        wire: "pd_leader_lost",
        aliases: &[
            "pd_leader",
            "pd_leader_failover",
            "pd_failover",
            "pd_leader_down",
            "pdleaderlost",
        ],
    },
    Class {
        class: FaultClass::Unknown,
        label: "unclear",
        short: "unclear",
        cell: "unclear",
        wire: "unknown",
        aliases: &["unclear"],
    },
];

/// What a model or an evaluation case says when nothing is wrong.
pub const NO_INCIDENT: &str = "no_incident";
/// Other names a model may use for [`NO_INCIDENT`].
pub const NO_INCIDENT_ALIASES: &[&str] = &["none", "healthy", "no_fault", "nothing"];

/// A fault to inject: its kind and the value of the kind's parameter,
/// if it has one. Stored in thousandths so that specs compare and hash
/// exactly; written as `slow cpus=0.2` in the journal and the ledger (a
/// kind alone, `kill`, as earlier versions wrote it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultSpec {
    kind: FaultKind,
    milli: Option<u32>,
}

/// Values are kept to this many decimals.
const MILLI: f64 = 1000.0;

impl FaultSpec {
    /// `kind` with its parameter's default value.
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            milli: kind.fault().param.as_ref().map(|p| to_milli(p.default)),
        }
    }

    /// `kind` with `value` for its parameter; an error says why not (the
    /// kind takes none, or the value is out of its range).
    pub fn with(kind: FaultKind, name: &str, value: f64) -> Result<Self, String> {
        let Some(param) = kind.fault().param.as_ref() else {
            return Err(format!("{kind} takes no parameter ({name} given)"));
        };
        if name != param.name {
            return Err(format!("{kind} takes `{}`, not `{name}`", param.name));
        }
        if !value.is_finite() || value < param.min || value > param.max {
            return Err(format!(
                "{name} = {value} is out of range: {kind} takes {name} from {} to {}",
                param.min, param.max
            ));
        }
        Ok(Self {
            kind,
            milli: Some(to_milli(value)),
        })
    }

    pub fn kind(self) -> FaultKind {
        self.kind
    }

    /// The parameter's value, if the kind has one.
    pub fn value(self) -> Option<f64> {
        self.milli.map(|m| f64::from(m) / MILLI)
    }

    /// `0.2 CPUs`, `30%`: the parameter as the screen shows it.
    pub fn amount(self) -> Option<String> {
        let param = self.kind.fault().param.as_ref()?;
        let value = crate::text::numbers::trimmed(self.value()?);
        Some(match param.unit {
            "%" => format!("{value}%"),
            unit => format!("{value} {unit}"),
        })
    }

    /// The recovery that undoes it.
    pub fn recovery(self) -> Recovery {
        self.kind.recovery()
    }
}

fn to_milli(value: f64) -> u32 {
    (value * MILLI).round() as u32
}

impl From<FaultKind> for FaultSpec {
    fn from(kind: FaultKind) -> Self {
        Self::new(kind)
    }
}

/// `kill`, `slow (0.2 CPUs)`: for the screen and the journal's text.
impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.amount() {
            Some(amount) => write!(f, "{} ({amount})", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::str::FromStr for FaultSpec {
    type Err = String;

    /// `kill`, or `slow cpus=0.2`: the journal's and the ledger's form.
    fn from_str(text: &str) -> Result<Self, String> {
        let (name, param) = match text.trim().split_once(' ') {
            Some((name, param)) => (name, Some(param.trim())),
            None => (text.trim(), None),
        };
        let kind = FaultKind::named(name).ok_or_else(|| format!("no such fault kind: {name}"))?;
        let Some(param) = param else {
            return Ok(Self::new(kind));
        };
        let (key, value) = param
            .split_once('=')
            .ok_or_else(|| format!("`{param}` is not name=value"))?;
        let value: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("`{value}` is not a number"))?;
        Self::with(kind, key.trim(), value)
    }
}

impl Serialize for FaultSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.kind.fault().param.as_ref(), self.value()) {
            (Some(param), Some(value)) => s.collect_str(&format_args!(
                "{} {}={}",
                self.kind,
                param.name,
                crate::text::numbers::trimmed(value)
            )),
            _ => s.serialize_str(self.kind.name()),
        }
    }
}

impl<'de> Deserialize<'de> for FaultSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        Self::Kill,
        Self::Stop,
        Self::Pause,
        Self::Partition,
        Self::Slow,
        Self::Loss,
    ];

    /// This kind's entry in the catalogue.
    pub fn fault(self) -> &'static Fault {
        FAULTS
            .iter()
            .find(|f| f.kind == self)
            .expect("every kind is in the catalogue")
    }

    pub fn name(self) -> &'static str {
        self.fault().name
    }

    /// The kind a chapters file or the journal names.
    pub fn named(name: &str) -> Option<FaultKind> {
        FAULTS.iter().find(|f| f.name == name).map(|f| f.kind)
    }

    /// `killed`, as in "it was killed".
    pub fn past(self) -> &'static str {
        self.fault().past
    }

    /// The recovery that undoes this fault.
    pub fn recovery(self) -> Recovery {
        self.fault().recovery
    }

    pub fn class(self) -> FaultClass {
        self.fault().class
    }

    /// The episode waits for `signal` before it calls this fault seen.
    pub fn expects(self, signal: Expected) -> bool {
        self.fault().expects.contains(&signal)
    }

    /// The class of this kind where it struck `struck`.
    pub fn class_on(self, struck: Struck) -> FaultClass {
        match struck {
            Struck::PdLeader => FaultClass::PdLeaderLost,
            Struck::Tikv | Struck::PdFollower => self.class(),
        }
    }

    /// Whether the episode waits for `signal` after this kind struck `struck`.
    pub fn expects_on(self, struck: Struck, signal: Expected) -> bool {
        match struck {
            Struck::Tikv => self.expects(signal),
            Struck::PdLeader => PD_LEADER_EXPECTS.contains(&signal),
            Struck::PdFollower => PD_FOLLOWER_EXPECTS.contains(&signal),
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Recovery {
    /// Every recovery: the only actions an analyzer may recommend.
    pub const ALL: [Recovery; 5] = [
        Self::Start,
        Self::Unpause,
        Self::Reconnect,
        Self::Restore,
        Self::Clear,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Unpause => "unpause",
            Self::Reconnect => "reconnect",
            Self::Restore => "restore",
            Self::Clear => "clear",
        }
    }

    /// What a node this recovery undoes was: `killed or stopped`.
    pub fn undoes(self) -> String {
        let pasts: Vec<&str> = FAULTS
            .iter()
            .filter(|f| f.recovery == self)
            .map(|f| f.past)
            .collect();
        pasts.join(" or ")
    }
}

impl Recovery {
    /// The recovery that undoes what the runtime shows of a process:
    /// exited, paused, or running but cut off (`None`: nothing to undo).
    pub fn for_process(exited: bool, paused: bool, disconnected: bool) -> Option<Recovery> {
        if exited {
            Some(Self::Start)
        } else if paused {
            Some(Self::Unpause)
        } else if disconnected {
            Some(Self::Reconnect)
        } else {
            None
        }
    }
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FaultClass {
    /// This class's entry in the catalogue.
    pub fn words(self) -> &'static Class {
        CLASSES
            .iter()
            .find(|c| c.class == self)
            .expect("every class is in the catalogue")
    }

    pub fn label(self) -> &'static str {
        self.words().label
    }

    /// The one recovery that undoes this class of fault, if any: that of
    /// the kinds of its class. PD's leader lost has none of its own: it is
    /// undone as the member was struck (see [`Recovery::for_process`]).
    pub fn recovery(self) -> Option<Recovery> {
        FAULTS.iter().find(|f| f.class == self).map(|f| f.recovery)
    }

    /// The class a name stands for (a model's answer, an evaluation case):
    /// `None` for "no incident", [`FaultClass::Unknown`] for a name it
    /// does not know.
    pub fn named(name: &str) -> Option<FaultClass> {
        let name = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        if name == NO_INCIDENT || NO_INCIDENT_ALIASES.contains(&name.as_str()) {
            return None;
        }
        let class = CLASSES
            .iter()
            .find(|c| c.wire == name || c.aliases.contains(&name.as_str()))
            .map_or(FaultClass::Unknown, |c| c.class);
        Some(class)
    }

    /// The names a model may answer with, for its prompt:
    /// `process_crash | … | unknown | no_incident`.
    pub fn wire_names() -> String {
        let mut names: Vec<&str> = CLASSES.iter().map(|c| c.wire).collect();
        names.push(NO_INCIDENT);
        names.join(" | ")
    }
}

impl fmt::Display for FaultClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_every_kind_once_in_order() {
        let kinds: Vec<FaultKind> = FAULTS.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, FaultKind::ALL);
    }

    #[test]
    fn every_name_reads_back_as_its_kind() {
        for kind in FaultKind::ALL {
            let toml = format!("\"{}\"", kind.name());
            let read: FaultKind = serde_json::from_str(&toml).expect("a kind");
            assert_eq!(read, kind);
        }
    }

    #[test]
    fn every_class_is_named_by_its_wire_name_and_aliases() {
        for class in &CLASSES {
            assert_eq!(FaultClass::named(class.wire), Some(class.class));
            for alias in class.aliases {
                assert_eq!(FaultClass::named(alias), Some(class.class), "{alias}");
            }
        }
        assert_eq!(FaultClass::named("No incident"), None);
        assert_eq!(FaultClass::named("gremlins"), Some(FaultClass::Unknown));
        assert_eq!(
            FaultClass::named("Process-Crash"),
            Some(FaultClass::ProcessCrash)
        );
    }

    #[test]
    fn no_alias_names_two_classes() {
        let mut seen = std::collections::HashSet::new();
        for class in &CLASSES {
            for name in std::iter::once(&class.wire).chain(class.aliases) {
                assert!(seen.insert(*name), "{name} names two classes");
            }
        }
    }

    #[test]
    fn a_spec_reads_back_from_its_written_form() {
        let slow = FaultSpec::with(FaultKind::Slow, "cpus", 0.25).unwrap();
        assert_eq!(serde_json::to_string(&slow).unwrap(), "\"slow cpus=0.25\"");
        assert_eq!("slow cpus=0.25".parse::<FaultSpec>(), Ok(slow));
        assert_eq!(slow.to_string(), "slow (0.25 CPUs)");
        let loss = FaultSpec::with(FaultKind::Loss, "percent", 30.0).unwrap();
        assert_eq!(serde_json::to_string(&loss).unwrap(), "\"loss percent=30\"");
        assert_eq!("loss percent=30".parse::<FaultSpec>(), Ok(loss));
        assert_eq!(loss.to_string(), "loss (30%)");
        // A kind alone, as earlier versions wrote it, takes its default.
        let read: FaultSpec = serde_json::from_str("\"slow\"").unwrap();
        assert_eq!(read.value(), Some(0.2));
        let kill: FaultSpec = serde_json::from_str("\"kill\"").unwrap();
        assert_eq!((kill.kind(), kill.value()), (FaultKind::Kill, None));
        assert_eq!(serde_json::to_string(&kill).unwrap(), "\"kill\"");
    }

    #[test]
    fn a_parameter_is_checked_against_its_kind() {
        let err = |r: Result<FaultSpec, String>| r.unwrap_err();
        assert!(err(FaultSpec::with(FaultKind::Kill, "cpus", 0.2)).contains("takes no parameter"));
        assert!(err(FaultSpec::with(FaultKind::Slow, "percent", 3.0)).contains("takes `cpus`"));
        assert!(err(FaultSpec::with(FaultKind::Loss, "percent", 0.5)).contains("out of range"));
        assert!(err(FaultSpec::with(FaultKind::Loss, "percent", 101.0)).contains("out of range"));
        assert!(err(FaultSpec::with(FaultKind::Slow, "cpus", 0.0)).contains("out of range"));
        assert!(err(FaultSpec::with(FaultKind::Slow, "cpus", f64::NAN)).contains("out of range"));
        assert!(err("nuke".parse()).contains("no such fault kind"));
        assert!(err("slow cpus".parse()).contains("name=value"));
        assert!(err("slow cpus=lots".parse()).contains("not a number"));
    }

    #[test]
    fn recoveries_follow_the_kinds_of_a_class() {
        assert_eq!(Recovery::Start.undoes(), "killed or stopped");
        assert_eq!(FaultClass::Frozen.recovery(), Some(Recovery::Unpause));
        assert_eq!(FaultClass::Unknown.recovery(), None);
        for fault in &FAULTS {
            assert_eq!(fault.class.recovery(), Some(fault.recovery));
        }
        assert_eq!(FaultClass::PdLeaderLost.recovery(), None);
    }

    #[test]
    fn what_a_fault_struck_sets_its_class_and_signals() {
        for kind in FaultKind::ALL {
            assert_eq!(kind.class_on(Struck::Tikv), kind.class());
            assert_eq!(kind.class_on(Struck::PdFollower), kind.class());
            assert_eq!(kind.class_on(Struck::PdLeader), FaultClass::PdLeaderLost);
            assert!(kind.expects_on(Struck::PdLeader, Expected::PdLeaderChange));
            assert!(!kind.expects_on(Struck::PdLeader, Expected::PdVerdict));
            assert!(!kind.expects_on(Struck::PdFollower, Expected::PdVerdict));
            assert!(!kind.expects_on(Struck::Tikv, Expected::PdLeaderChange));
        }
        assert_eq!(
            FaultClass::named("PD-failover"),
            Some(FaultClass::PdLeaderLost)
        );
    }
}
