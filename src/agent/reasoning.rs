//! The built-in analyzer's reasoning: from facts to a diagnosis. Pure and
//! deterministic; it never knows what was injected, only what was observed.

use std::time::Duration;

use super::diagnosis::{Alternative, Diagnosis, FaultClass, RecommendedAction, RootCause};
use super::evidence::Evidence;
use super::facts::{self, Episode, ImpactFacts, StoreFacts, Symptom};
use crate::cluster::StoreState;
use crate::cluster::pd_rules::{DEFAULT_HEARTBEAT_INTERVAL, DISCONNECTED_AFTER};
use crate::text::{clean_line as plain, clock, count, span};

/// How many timeline entries a diagnosis keeps (the earliest are the story).
const TIMELINE_LIMIT: usize = 18;
/// How far back before the onset the timeline looks.
const TIMELINE_LOOKBACK: Duration = Duration::from_secs(60);

/// The node under suspicion and how it was found.
#[derive(Debug, Clone)]
pub enum Suspect {
    /// The runtime (events or process states) showed the node unwell.
    Node(Episode),
    /// Only PD noticed: the store stopped heartbeating.
    Silent {
        service: String,
        onset: Duration,
        state: StoreState,
    },
    Nobody,
}

impl Suspect {
    pub fn find(evidence: &Evidence) -> Self {
        let episodes = facts::episodes(evidence);
        // A node still unwell explains the present best; among several the
        // first to fail is the root. Otherwise the latest recovered spell.
        let open = episodes.iter().find(|e| e.ended_at.is_none());
        if let Some(episode) = open.or_else(|| episodes.last()) {
            return Self::Node(episode.clone());
        }
        match facts::silent_store(evidence) {
            Some((service, onset, state)) => Self::Silent {
                service,
                onset,
                state,
            },
            None => Self::Nobody,
        }
    }

    pub fn service(&self) -> Option<&str> {
        match self {
            Self::Node(episode) => Some(&episode.service),
            Self::Silent { service, .. } => Some(service),
            Self::Nobody => None,
        }
    }

    /// When the trouble visibly began. PD notices a silent store 10 to 20 s
    /// late, so the window for a silent one starts that much earlier.
    fn window_start(&self, evidence: &Evidence) -> Duration {
        match self {
            Self::Node(episode) => episode.onset,
            Self::Silent { onset, .. } => {
                onset.saturating_sub(DISCONNECTED_AFTER + DEFAULT_HEARTBEAT_INTERVAL)
            }
            Self::Nobody => evidence
                .snapshots
                .first()
                .map(|s| s.taken_at)
                .unwrap_or_default(),
        }
    }
}

/// Observations about the suspect, as the hypotheses use them.
#[derive(Debug, Clone, Default)]
struct Clues {
    /// `Some(code)` when the process exited.
    exit: Option<Option<i64>>,
    paused: bool,
    disconnected: bool,
    leaderless_peak: u64,
    drained_at: Option<Duration>,
    heartbeats_stopped: bool,
    /// The runtime's latest word on the process: running and connected.
    runtime_says_well: bool,
    /// The runtime told anything about the process at all.
    runtime_visible: bool,
}

impl Clues {
    fn exited(&self) -> bool {
        self.exit.is_some()
    }
}

/// Evidence for and against one class of fault.
fn weigh(class: FaultClass, clues: &Clues) -> (Vec<String>, Vec<String>) {
    let mut pro = Vec::new();
    let mut con = Vec::new();
    let leaderless = (clues.leaderless_peak > 0).then(|| {
        format!(
            "{} lost their leader after it went",
            count(clues.leaderless_peak, "region", "regions")
        )
    });
    let heartbeats = "PD stopped receiving its heartbeats".to_string();
    let silent_but_alive = if clues.runtime_visible {
        "PD stopped receiving its heartbeats, yet no exit was seen".to_string()
    } else {
        heartbeats.clone()
    };
    match class {
        FaultClass::ProcessCrash => {
            match clues.exit {
                Some(Some(137)) => pro.push("exit code 137: killed by SIGKILL".into()),
                Some(Some(code @ (0 | 143))) => {
                    con.push(format!("exit code {code} means it was asked to stop"))
                }
                Some(Some(code)) => pro.push(format!("exit code {code}: it ended on its own")),
                Some(None) => pro.push("the process exited".into()),
                None => {
                    if clues.paused || clues.disconnected || clues.runtime_says_well {
                        con.push("no exit was seen: the process is still there".into());
                    }
                }
            }
            pro.extend(leaderless.map(|l| format!("{l} (no hand-over)")));
            if clues.heartbeats_stopped {
                pro.push(heartbeats);
            }
            if let Some(at) = clues.drained_at {
                con.push(format!(
                    "its leaders were moved off before it exited (leader count 0 at {})",
                    clock(at)
                ));
            }
        }
        FaultClass::GracefulStop => {
            match clues.exit {
                Some(Some(code @ (0 | 143))) => {
                    pro.push(format!("exit code {code}: a requested stop (SIGTERM)"))
                }
                Some(Some(137)) => {
                    pro.push("the process exited".into());
                    con.push("exit code 137 is SIGKILL, not a requested stop".into());
                }
                Some(Some(code)) => {
                    pro.push("the process exited".into());
                    con.push(format!(
                        "exit code {code} is neither a clean exit nor SIGTERM"
                    ));
                }
                Some(None) => pro.push("the process exited".into()),
                None => {
                    if clues.paused || clues.disconnected || clues.runtime_says_well {
                        con.push("no exit was seen: the process is still there".into());
                    }
                }
            }
            if let Some(at) = clues.drained_at {
                pro.push(format!(
                    "its leader count fell to 0 at {}, before it exited (hand-over)",
                    clock(at)
                ));
            }
            if let Some(l) = leaderless {
                con.push(format!("{l}: nothing was handed over"));
            }
        }
        FaultClass::Frozen => {
            if clues.paused {
                pro.push("the runtime shows the process paused".into());
            }
            if clues.heartbeats_stopped && !clues.exited() {
                pro.push(silent_but_alive);
            }
            if clues.exited() {
                con.push("the process exited; a frozen one does not".into());
            }
            if clues.disconnected {
                con.push("the runtime shows it running, cut off from the network".into());
            }
            if clues.runtime_says_well {
                con.push("the runtime reports it running".into());
            }
        }
        FaultClass::NetworkPartition => {
            if clues.disconnected {
                pro.push("the runtime shows it running but off the cluster network".into());
            }
            if clues.heartbeats_stopped && !clues.exited() {
                pro.push(silent_but_alive);
            }
            if clues.exited() {
                con.push("the process exited; a partitioned one keeps running".into());
            }
            if clues.paused {
                con.push("the process is paused, not cut off".into());
            }
            if clues.runtime_says_well {
                con.push("the runtime reports it attached to the network".into());
            }
        }
        FaultClass::Unknown => {}
    }
    (pro, con)
}

/// How the score came about: a hand-set base for the symptom, then a
/// fixed amount per clue for and against. A weighing of the evidence on a
/// 0 to 1 scale, not a probability.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub class: FaultClass,
    pub value: f32,
    /// What set the base, and the base.
    pub basis: (&'static str, f32),
    pub clues_for: usize,
    pub clues_against: usize,
    /// The runtime's event and its state in snapshots agree.
    pub corroborated: bool,
}

impl Score {
    /// `0.90 = 0.75 (exit code 137) + 0.10 (3 clues for) + 0.05 (event and
    /// snapshots agree); a weighing, not a probability`
    pub fn explain(&self) -> String {
        let mut parts = vec![format!("{:.2} ({})", self.basis.1, self.basis.0)];
        let more = self.clues_for.saturating_sub(1);
        if more > 0 {
            parts.push(format!(
                "+ {:.2} ({} clues for)",
                0.05 * more as f32,
                self.clues_for
            ));
        }
        if self.clues_against > 0 {
            parts.push(format!(
                "- {:.2} ({} against)",
                0.15 * self.clues_against as f32,
                self.clues_against
            ));
        }
        if self.corroborated {
            parts.push("+ 0.05 (runtime event and snapshots agree)".into());
        }
        format!(
            "{:.2} = {}; a weighing of the evidence, not a probability",
            self.value,
            parts.join(" ")
        )
    }
}

/// The class the clues point to and its score before the alternatives.
fn classify(suspect: &Suspect, clues: &Clues) -> Score {
    let Suspect::Node(episode) = suspect else {
        let basis = if clues.runtime_says_well {
            ("no node stands out; the runtime says all are well", 0.25)
        } else {
            ("no node stands out", 0.3)
        };
        return Score {
            class: FaultClass::Unknown,
            value: basis.1,
            basis,
            clues_for: 0,
            clues_against: 0,
            corroborated: false,
        };
    };
    let (class, basis) = match episode.symptom {
        Symptom::Died {
            exit_code: Some(137),
        } => (FaultClass::ProcessCrash, ("exit code 137: SIGKILL", 0.75)),
        Symptom::Died {
            exit_code: Some(0 | 143),
        } => (FaultClass::GracefulStop, ("a clean exit code", 0.75)),
        Symptom::Died { exit_code: Some(_) } => {
            (FaultClass::ProcessCrash, ("another exit code", 0.6))
        }
        Symptom::Died { exit_code: None } => {
            if clues.drained_at.is_some() && clues.leaderless_peak == 0 {
                (
                    FaultClass::GracefulStop,
                    ("gone, no exit code, leaders handed over", 0.5),
                )
            } else {
                (FaultClass::ProcessCrash, ("gone, no exit code", 0.45))
            }
        }
        Symptom::Paused => (FaultClass::Frozen, ("process paused", 0.8)),
        Symptom::Disconnected => (FaultClass::NetworkPartition, ("network cut", 0.8)),
    };
    let (pro, con) = weigh(class, clues);
    let corroborated = episode.from_event && episode.from_snapshot;
    let value = basis.1 + 0.05 * pro.len().saturating_sub(1) as f32 - 0.15 * con.len() as f32
        + if corroborated { 0.05 } else { 0.0 };
    Score {
        class,
        value: value.clamp(0.05, 0.97),
        basis,
        clues_for: pro.len(),
        clues_against: con.len(),
        corroborated,
    }
}

/// The score of the evidence's diagnosis, explained (see [`Score::explain`]).
pub fn score_text(evidence: &Evidence) -> String {
    let suspect = Suspect::find(evidence);
    let from = suspect.window_start(evidence);
    let ended_at = match &suspect {
        Suspect::Node(episode) => episode.ended_at,
        _ => None,
    };
    let impact = facts::impact_facts(evidence, from, ended_at);
    let store = store_facts_of(evidence, &suspect, from);
    let clues = gather_clues(evidence, &suspect, &impact, &store);
    classify(&suspect, &clues).explain()
}

fn store_facts_of(evidence: &Evidence, suspect: &Suspect, from: Duration) -> facts::StoreFacts {
    suspect
        .service()
        .map(|service| {
            let onset = match suspect {
                Suspect::Node(episode) => episode.onset,
                _ => from,
            };
            facts::store_facts(evidence, service, onset)
        })
        .unwrap_or_default()
}

pub fn diagnose(evidence: &Evidence, analyzer: &str) -> Diagnosis {
    let suspect = Suspect::find(evidence);
    let from = suspect.window_start(evidence);
    let ended_at = match &suspect {
        Suspect::Node(episode) => episode.ended_at,
        _ => None,
    };
    let impact = facts::impact_facts(evidence, from, ended_at);
    let store = store_facts_of(evidence, &suspect, from);
    let clues = gather_clues(evidence, &suspect, &impact, &store);
    let Score {
        class,
        value: confidence,
        ..
    } = classify(&suspect, &clues);

    let alternatives = FaultClass::NODE_FAULTS
        .into_iter()
        .filter(|&other| other != class)
        .filter_map(|other| {
            let (evidence_for, evidence_against) = weigh(other, &clues);
            // When the evidence is thin every hypothesis stays on the table.
            let keep = !evidence_for.is_empty() || class == FaultClass::Unknown;
            keep.then(|| Alternative {
                hypothesis: format!("{other}"),
                evidence_for,
                evidence_against,
            })
        })
        .collect();

    let service = suspect.service().map(str::to_string);
    let action = match (&suspect, class.recovery(), &service) {
        (Suspect::Node(episode), Some(recovery), Some(service)) if episode.ended_at.is_none() => {
            Some(RecommendedAction {
                recovery,
                service: service.clone(),
            })
        }
        _ => None,
    };

    Diagnosis {
        analyzer: analyzer.to_string(),
        timeline: timeline(evidence, &suspect, &store, &impact, from),
        root_cause: RootCause {
            class,
            service,
            summary: summary(&suspect, class, &clues, &impact, evidence),
            confidence,
        },
        alternatives,
        impact: impact_lines(&impact, &store, suspect.service()),
        risks: risks(class, &clues, &impact, action.as_ref()),
        action,
        second_opinion: None,
    }
}

fn gather_clues(
    evidence: &Evidence,
    suspect: &Suspect,
    impact: &ImpactFacts,
    store: &StoreFacts,
) -> Clues {
    let mut clues = Clues {
        leaderless_peak: impact.leaderless_peak,
        drained_at: store.drained_at,
        heartbeats_stopped: store.heartbeats_stopped,
        ..Clues::default()
    };
    if let Suspect::Node(episode) = suspect {
        clues.runtime_visible = true;
        match episode.symptom {
            Symptom::Died { exit_code } => clues.exit = Some(exit_code),
            Symptom::Paused => clues.paused = true,
            Symptom::Disconnected => clues.disconnected = true,
        }
    }
    if let Suspect::Silent { service, .. } = suspect {
        clues.runtime_visible = evidence.events.iter().any(|e| &e.service == service)
            || evidence
                .snapshots
                .iter()
                .any(|s| s.process(service).is_some());
        clues.runtime_says_well = evidence
            .snapshots
            .iter()
            .rev()
            .find_map(|s| s.process(service))
            .is_some_and(|p| {
                p.state == crate::cluster::ProcessState::Running && p.network_connected
            });
    }
    clues
}

fn summary(
    suspect: &Suspect,
    class: FaultClass,
    clues: &Clues,
    impact: &ImpactFacts,
    evidence: &Evidence,
) -> String {
    let leaderless = count(impact.leaderless_peak, "region", "regions");
    match suspect {
        Suspect::Node(episode) => {
            let name = &episode.service;
            let at = clock(episode.onset);
            let mut text = match (class, clues.exit) {
                (FaultClass::ProcessCrash, Some(Some(137))) => {
                    let mut t = format!(
                        "{name} was killed (SIGKILL, exit code 137) at {at}: it went without handing over its leaders"
                    );
                    if impact.leaderless_peak > 0 && impact.leaderless_cleared.is_some() {
                        t.push_str(&format!(
                            ", and {leaderless} had no leader until re-election"
                        ));
                    } else if impact.leaderless_peak > 0 {
                        t.push_str(&format!(
                            ", and {leaderless} still have no leader: re-election under way"
                        ));
                    }
                    t
                }
                (FaultClass::ProcessCrash, Some(Some(code))) => {
                    format!("{name} exited on its own with exit code {code} at {at} (a crash)")
                }
                (FaultClass::ProcessCrash, _) => format!(
                    "{name} exited at {at} without a known exit code; it looks like a crash or a kill"
                ),
                (FaultClass::GracefulStop, exit) => {
                    let code = exit
                        .flatten()
                        .map(|c| format!(" (exit code {c})"))
                        .unwrap_or_default();
                    let mut t = format!("{name} was stopped{code} at {at}");
                    if let Some(drained) = clues.drained_at {
                        t.push_str(&format!(
                            " after handing over its leaders (leader count 0 at {})",
                            clock(drained)
                        ));
                    }
                    if impact.leaderless_peak > 0 {
                        t.push_str(&format!(
                            "; {leaderless} lost their leader: leaders were not handed over"
                        ));
                    }
                    t
                }
                (FaultClass::Frozen, _) => format!(
                    "{name} is frozen: its process was paused at {at}; it did not exit, it just stopped answering"
                ),
                (FaultClass::NetworkPartition, _) => format!(
                    "{name} is cut off from the network since {at}: its process runs, but PD and its peers cannot reach it"
                ),
                (FaultClass::Unknown, _) => format!("{name} is unwell since {at}"),
            };
            if let Some(end) = episode.ended_at {
                text.push_str(&format!(" It has since recovered ({}).", clock(end)));
            }
            text
        }
        Suspect::Silent {
            service,
            onset,
            state,
        } => format!(
            "PD has not heard from {service} (store {state} since {}), and no process evidence says why: the evidence is thin",
            clock(*onset)
        ),
        Suspect::Nobody => {
            let degraded = !evidence.incidents.is_empty()
                || impact.leaderless_peak > 0
                || impact.under_replicated_peak > 0;
            if degraded {
                "the cluster shows trouble, but no node shows a fault in the evidence".into()
            } else {
                "no fault in the evidence: every store Up, every region led".into()
            }
        }
    }
}

fn timeline(
    evidence: &Evidence,
    suspect: &Suspect,
    store: &StoreFacts,
    impact: &ImpactFacts,
    from: Duration,
) -> Vec<(Duration, String)> {
    let since = from.saturating_sub(TIMELINE_LOOKBACK);
    let mut entries: Vec<(Duration, String)> = Vec::new();

    // Healthy before anything moved, hand-over included.
    let calm_until = store.drained_at.map_or(from, |drained| drained.min(from));
    if let Some(healthy) = facts::current_pd(evidence)
        .filter(|s| s.taken_at < calm_until && s.is_healthy())
        .last()
    {
        entries.push((
            healthy.taken_at,
            format!(
                "cluster healthy: {} Up, {} all led",
                count(healthy.stores.len() as u64, "store", "stores"),
                count(healthy.regions.total, "region", "regions")
            ),
        ));
    }
    if let (Some(service), Some(at)) = (suspect.service(), store.drained_at) {
        entries.push((
            at,
            format!("{service}: leader count fell to 0 (leaders handed over)"),
        ));
    }
    for event in evidence.events.iter().filter(|e| e.at >= since) {
        entries.push((event.at, format!("{}: {}", event.service, event.kind)));
    }
    if let Suspect::Node(episode) = suspect {
        if !episode.from_event {
            entries.push((
                episode.onset,
                format!(
                    "{}: runtime shows it {}",
                    episode.service,
                    episode.symptom.describe()
                ),
            ));
        }
    }
    if let (Some(service), Some((at, state))) = (suspect.service(), &store.first_not_up) {
        let id = store
            .store_id
            .map(|id| format!("store {id} "))
            .unwrap_or_default();
        entries.push((*at, format!("PD: {id}({service}) is {state}")));
    }
    if let Some(at) = impact.leaderless_first {
        entries.push((
            at,
            format!(
                "PD: regions without a leader (peak {})",
                impact.leaderless_peak
            ),
        ));
    }
    if let Some(at) = impact.leaderless_cleared {
        entries.push((at, "PD: every region has a leader again".into()));
    }
    if let (Some(baseline), Some(dip)) = (impact.baseline, first_dip(evidence, from, impact)) {
        entries.push((
            dip.0,
            format!(
                "throughput fell to {:.0} ops/s ({:.0}% of baseline)",
                dip.1,
                dip.1 / baseline * 100.0
            ),
        ));
    }
    for incident in evidence.incidents.iter().filter(|i| i.opened_at >= since) {
        let after = incident
            .since_fault
            .map(|d| format!(", {} after the fault", span(d)))
            .unwrap_or_default();
        entries.push((
            incident.opened_at,
            format!(
                "detected by {}: {}{after}",
                incident.signal.describe(),
                incident.summary
            ),
        ));
    }
    entries.sort_by_key(|(at, _)| *at);
    entries.truncate(TIMELINE_LIMIT);
    entries
}

/// The first sample from `from` on below half the baseline.
fn first_dip(evidence: &Evidence, from: Duration, impact: &ImpactFacts) -> Option<(Duration, f64)> {
    let baseline = impact.baseline?;
    evidence
        .samples
        .iter()
        .find(|s| s.at >= from && s.ops_per_sec.is_finite() && s.ops_per_sec < baseline * 0.5)
        .map(|s| (s.at, s.ops_per_sec))
}

fn impact_lines(impact: &ImpactFacts, store: &StoreFacts, service: Option<&str>) -> Vec<String> {
    let mut lines = Vec::new();
    if impact.leaderless_peak > 0 {
        let regions = count(impact.leaderless_peak, "region", "regions");
        lines.push(match (impact.leaderless_first, impact.leaderless_cleared) {
            (Some(first), Some(cleared)) => format!(
                "{regions} had no leader for about {}: unavailable for reads and writes until re-election",
                span(cleared - first)
            ),
            (_, Some(_)) => format!(
                "{regions} had no leader: unavailable for reads and writes until re-election"
            ),
            (_, None) => format!(
                "{regions} without a leader, still: unavailable for reads and writes until re-election"
            ),
        });
    }
    if impact.under_replicated_peak > 0 {
        lines.push(format!(
            "{} under-replicated: running with a replica missing",
            count(impact.under_replicated_peak, "region", "regions")
        ));
    }
    match (impact.min_ops, impact.baseline) {
        (Some((_, min)), Some(baseline)) if min < baseline * 0.9 => lines.push(format!(
            "throughput fell to {min:.0} ops/s, {:.0}% of the {baseline:.0} ops/s baseline",
            min / baseline * 100.0
        )),
        _ => {}
    }
    if impact.max_errors > 0.0 {
        lines.push(format!(
            "client errors peaked at {:.0}/s",
            impact.max_errors
        ));
    }
    if let Some(p99) = impact
        .max_p99
        .filter(|p99| *p99 > impact.p99_before.mul_f64(1.5))
    {
        lines.push(format!("p99 latency peaked at {}", span(p99)));
    }
    if let (Some(service), Some(state)) = (service, &store.latest_state) {
        if !state.is_up() {
            let age = store
                .latest_heartbeat_age
                .map(|a| format!(", last heartbeat {} ago", span(a)))
                .unwrap_or_default();
            lines.push(format!("PD shows {service}'s store {state}{age}"));
        }
    }
    if let Some(at) = impact.pd_unreachable_at {
        lines.push(format!(
            "PD did not answer at {}: store and region figures may be stale",
            clock(at)
        ));
    }
    if lines.is_empty() {
        lines.push("no client-visible impact in the evidence".into());
    }
    lines
}

fn risks(
    class: FaultClass,
    clues: &Clues,
    impact: &ImpactFacts,
    action: Option<&RecommendedAction>,
) -> Vec<String> {
    let mut risks = Vec::new();
    match class {
        FaultClass::ProcessCrash => {
            risks.push("the restarted store comes back with stale data and catches up from its peers (Raft log or snapshot): extra load on them meanwhile".into());
            if clues.exit == Some(Some(137)) {
                risks.push("exit code 137 is also what the kernel's OOM killer leaves: if nobody killed it on purpose, check its memory before restarting".into());
            }
            if clues.drained_at.is_some() {
                risks.push("leaders left before the kill: perhaps a stop that ran past its timeout and was then killed".into());
            }
        }
        FaultClass::GracefulStop => {
            risks.push("after the start PD moves leaders back gradually: load rebalances over minutes, not at once".into());
            if clues.leaderless_peak > 0 {
                risks.push("leaders were not handed over before the exit: TiKV or PD may predate the evict-stopping-store change".into());
            }
        }
        FaultClass::Frozen => {
            risks.push("on unpause it has missed heartbeats and Raft messages: expect a short latency spike while it catches up; its stale leaderships are rejected by term".into());
        }
        FaultClass::NetworkPartition => {
            risks.push("on reconnect it rejoins with a stale term and steps down from old leaderships: expect brief catch-up traffic".into());
            risks.push("if the cut is in the network rather than the container, reconnecting it here will not help".into());
        }
        FaultClass::Unknown => {
            risks.push("no recovery suggested: acting blindly can hide the cause; check the node's logs, its network and its runtime state first".into());
        }
    }
    if impact.under_replicated_peak > 0 {
        risks.push("while replicas are missing, one more node failure would leave some regions without a quorum".into());
    }
    if let Some(action) = action {
        risks.push(format!(
            "the action touches {} only; leave the other nodes alone",
            action.service
        ));
    }
    risks
}

/// One line per store from the latest current PD picture.
pub fn store_states_line(evidence: &Evidence) -> String {
    let Some(latest) = facts::current_pd(evidence).last() else {
        return "store states: PD never answered in the evidence".into();
    };
    let stores: Vec<String> = latest
        .stores
        .iter()
        .map(|s| {
            let age = match (&s.state, s.heartbeat_age) {
                (StoreState::Up, _) | (_, None) => String::new(),
                (_, Some(age)) => format!(" (heartbeat {} old)", span(age)),
            };
            format!("{} {}{age}", plain(&s.service), plain(s.state.name()))
        })
        .collect();
    let stale = if evidence.snapshots.last().is_some_and(|s| !s.pd_reachable) {
        " [PD unreachable since; last known]"
    } else {
        ""
    };
    format!(
        "store states at {}: {}{stale}",
        clock(latest.taken_at),
        stores.join(", ")
    )
}
