//! The built-in analyzer's reasoning: from facts to a diagnosis. Pure and
//! deterministic; it never knows what was injected, only what was observed.
//! The hypotheses it weighs, and what it says of each, are the rows of
//! [`super::hypotheses`]; here the clues are gathered and scored.

use std::time::Duration;

use super::diagnosis::{Alternative, Diagnosis, FaultClass, RecommendedAction, RootCause, score};
use super::evidence::Evidence;
use super::facts::{self, Episode, ImpactFacts, StoreFacts, Symptom};
use super::hypotheses::{
    self, CORROBORATED, Clues, HYPOTHESES, Onset, PER_CLUE_AGAINST, PER_CLUE_FOR, weigh,
};
use crate::cluster::StoreState;
use crate::cluster::pd_rules::{DEFAULT_HEARTBEAT_INTERVAL, DISCONNECTED_AFTER};
use crate::faults::Recovery;
use crate::text::{clean_line as plain, clock, count, percent, span};

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
                PER_CLUE_FOR * more as f32,
                self.clues_for
            ));
        }
        if self.clues_against > 0 {
            parts.push(format!(
                "- {:.2} ({} against)",
                PER_CLUE_AGAINST * self.clues_against as f32,
                self.clues_against
            ));
        }
        if self.corroborated {
            parts.push(format!(
                "+ {CORROBORATED:.2} (runtime event and snapshots agree)"
            ));
        }
        format!(
            "{} = {}; a weighing of the evidence, not a probability",
            score(self.value),
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
    let (class, basis) = hypotheses::explaining(episode.symptom, clues).unwrap_or((
        FaultClass::Unknown,
        ("no hypothesis explains the symptom", 0.3),
    ));
    let (pro, con) = weigh(class, clues);
    let corroborated = episode.from_event && episode.from_snapshot;
    let value = basis.1 + PER_CLUE_FOR * pro.len().saturating_sub(1) as f32
        - PER_CLUE_AGAINST * con.len() as f32
        + if corroborated { CORROBORATED } else { 0.0 };
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

    let alternatives = HYPOTHESES
        .iter()
        .map(|h| h.class)
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
    // PD's leader lost is undone as its member went.
    let recovery = class.recovery().or_else(|| {
        (class == FaultClass::PdLeaderLost)
            .then(|| Recovery::for_process(clues.exited(), clues.paused, clues.disconnected))
            .flatten()
    });
    let action = match (&suspect, recovery, &service) {
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
        timeline: timeline(evidence, &suspect, &store, &impact, &clues, from),
        root_cause: RootCause {
            class,
            service,
            summary: summary(&suspect, class, &clues, &impact, evidence),
            confidence,
        },
        alternatives,
        impact: impact_lines(&impact, &store, &clues, suspect.service()),
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
        clues.pd = super::pd_facts::pd_leader_facts(evidence, &episode.service, episode.onset);
        match episode.symptom {
            Symptom::Died { exit_code } => clues.exit = Some(exit_code),
            Symptom::Paused => clues.paused = true,
            Symptom::Disconnected => clues.disconnected = true,
            Symptom::Starved { limit } => clues.starved = Some(limit),
            Symptom::Lossy { loss } => clues.lossy = Some(loss),
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
    match suspect {
        Suspect::Node(episode) => {
            let onset = Onset {
                name: &episode.service,
                at: clock(episode.onset),
                clues,
                impact,
            };
            let mut text = match hypotheses::hypothesis(class) {
                Some(h) => (h.summary)(&onset),
                None => format!("{} is unwell since {}", onset.name, onset.at),
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
    clues: &Clues,
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
    if let Some(at) = clues.pd.no_leader_at {
        entries.push((at, "PD: no leader (followers answer 503)".into()));
    }
    if let Some((at, name)) = &clues.pd.elected {
        entries.push((*at, format!("PD: {name} elected leader")));
    }
    if let Some(at) = clues.pd.tso_at {
        entries.push((at, "PD: the new leader serves TSO".into()));
    }
    if let Some(at) = impact.leaderless_first {
        entries.push((at, leaderless_entry(impact)));
    }
    if let Some(at) = impact.leaderless_cleared {
        entries.push((at, "PD: every region has a leader again".into()));
    }
    if let (Some(baseline), Some(dip)) = (impact.baseline, first_dip(evidence, from, impact)) {
        entries.push((
            dip.0,
            format!(
                "throughput fell to {} ({} of baseline)",
                crate::text::ops_per_sec(dip.1),
                percent(dip.1 / baseline)
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

/// The regions that lost their leader, in the Cluster panel's terms and
/// saying where each figure comes from: PD's own `no leader`, and `led from
/// dead` (or `frozen`, `cut-off`: PD still names the lost node their leader;
/// the runtime shows it gone).
fn leaderless_entry(impact: &ImpactFacts) -> String {
    let lost = if impact.lost.is_empty() {
        "dead"
    } else {
        impact.lost
    };
    let from_lost = impact
        .leaderless_peak
        .saturating_sub(impact.pd_without_leader_peak);
    match (impact.pd_without_leader_peak, from_lost) {
        (0, peak) => format!(
            "regions led from {lost} (peak {peak}, from PD's region leaders and the runtime's view): PD still names the {lost} node their leader"
        ),
        (pd, 0) => format!("regions with no leader (peak {pd}, PD's own count)"),
        (pd, rest) => format!(
            "regions with no serving leader (peak {}): no leader {pd} (PD's own count), led from {lost} {rest} (from PD's region leaders and the runtime's view)",
            impact.leaderless_peak
        ),
    }
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

fn impact_lines(
    impact: &ImpactFacts,
    store: &StoreFacts,
    clues: &Clues,
    service: Option<&str>,
) -> Vec<String> {
    let mut lines = Vec::new();
    if let (Some(lost), Some((elected, name))) = (clues.pd.no_leader_at, &clues.pd.elected) {
        lines.push(format!(
            "PD had no leader for about {} until {name} was elected: no TSO, no scheduling, no region lookups meanwhile",
            span(elected.saturating_sub(lost))
        ));
    }
    if let (true, Some((_, min)), Some(baseline)) = (clues.pd.led, impact.min_ops, impact.baseline)
        && min >= baseline * 0.9
    {
        lines.push(format!(
            "the workload did not dip (lowest {min:.0} ops/s against a {baseline:.0} ops/s baseline): raw KV through a warm region cache needs neither TSO nor PD"
        ));
    }
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
                "{regions} lost their leader, {} still without one: unavailable for reads and writes until re-election",
                impact.leaderless_now
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
            "throughput fell to {min:.0} ops/s, {} of the {baseline:.0} ops/s baseline",
            percent(min / baseline)
        )),
        _ => {}
    }
    if impact.max_errors > 0.0 {
        lines.push(format!(
            "client errors peaked at {}/s",
            crate::text::thousands(impact.max_errors)
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
    let mut risks = match hypotheses::hypothesis(class) {
        Some(h) => (h.risks)(clues),
        None => vec!["no recovery suggested: acting blindly can hide the cause; check the node's logs, its network and its runtime state first".into()],
    };
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
