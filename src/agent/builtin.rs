//! The built-in analyzer: offline, deterministic, explains itself step by step.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::analyzer::{Analyzer, AnalyzerError};
use super::diagnosis::Diagnosis;
use super::evidence::Evidence;
use super::facts;
use super::progress::Progress;
use super::reasoning::{self, Suspect};
use crate::text::{clean_line as plain, clock, count, latency, ops_per_sec, percent};

pub struct BuiltinAnalyzer {
    /// Pause before each progress line so the audience can read along.
    pace: Duration,
}

impl BuiltinAnalyzer {
    pub const NAME: &'static str = "built-in analyzer";
    /// The pace used on stage.
    pub const STAGE_PACE: Duration = Duration::from_millis(400);

    pub fn new(pace: Duration) -> Self {
        Self { pace }
    }

    /// No pauses between lines (tests, plain mode piped to a file).
    pub fn instant() -> Self {
        Self::new(Duration::ZERO)
    }
}

impl Default for BuiltinAnalyzer {
    fn default() -> Self {
        Self::new(Self::STAGE_PACE)
    }
}

/// The steps shown while analysing and the conclusion they lead to.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub steps: Vec<String>,
    pub diagnosis: Diagnosis,
}

/// The whole analysis, without pacing.
pub fn analyze(evidence: &Evidence) -> Report {
    let diagnosis = reasoning::diagnose(evidence, BuiltinAnalyzer::NAME);
    let mut steps = vec![
        gathering_line(evidence),
        reasoning::store_states_line(evidence),
    ];
    steps.push(process_line(evidence));
    steps.push(regions_line(evidence));
    steps.push(workload_line(evidence));
    let cause = &diagnosis.root_cause;
    let on = cause
        .service
        .as_deref()
        .map(|s| format!(" on {}", plain(s)))
        .unwrap_or_default();
    steps.push(format!(
        "hypothesis: {}{on} (score {})",
        cause.class,
        reasoning::score_text(evidence)
    ));
    if diagnosis.alternatives.is_empty() {
        steps.push("alternatives: none has evidence for it".into());
    } else {
        let names: Vec<_> = diagnosis
            .alternatives
            .iter()
            .map(|a| a.hypothesis.as_str())
            .collect();
        steps.push(format!("weighed alternatives: {}", names.join(", ")));
    }
    steps.push(match &diagnosis.action {
        Some(action) => format!(
            "recommendation: {} {}",
            action.recovery,
            plain(&action.service)
        ),
        None => "recommendation: none".into(),
    });
    Report { steps, diagnosis }
}

fn gathering_line(evidence: &Evidence) -> String {
    let first = [
        evidence.snapshots.first().map(|s| s.taken_at),
        evidence.events.first().map(|e| e.at),
        evidence.samples.first().map(|s| s.at),
    ]
    .into_iter()
    .flatten()
    .min();
    let span_text = first
        .map(|first| format!(" from {} to {}", clock(first), clock(evidence.now)))
        .unwrap_or_default();
    format!(
        "gathering evidence: {}, {}, {}, {}{span_text}",
        count(evidence.snapshots.len() as u64, "snapshot", "snapshots"),
        count(evidence.events.len() as u64, "event", "events"),
        count(
            evidence.samples.len() as u64,
            "workload sample",
            "workload samples"
        ),
        count(evidence.incidents.len() as u64, "incident", "incidents"),
    )
}

fn process_line(evidence: &Evidence) -> String {
    match Suspect::find(evidence) {
        Suspect::Node(episode) => {
            let source = match (episode.from_event, episode.from_snapshot) {
                (true, true) => "runtime event and process state agree",
                (true, false) => "runtime event",
                _ => "process state in snapshots",
            };
            let ended = episode
                .ended_at
                .map(|end| format!(", well again at {}", clock(end)))
                .unwrap_or_default();
            format!(
                "process evidence: {} {} at {} ({source}){ended}",
                plain(&episode.service),
                episode.symptom.describe(),
                clock(episode.onset)
            )
        }
        _ if evidence.snapshots.iter().any(|s| !s.processes.is_empty()) => {
            "process evidence: none, the runtime reports every node running and connected".into()
        }
        _ => "process evidence: none available (no runtime information)".into(),
    }
}

fn regions_line(evidence: &Evidence) -> String {
    let start = evidence
        .snapshots
        .first()
        .map(|s| s.taken_at)
        .unwrap_or_default();
    let impact = facts::impact_facts(evidence, start, None);
    if impact.leaderless_peak == 0 && impact.under_replicated_peak == 0 {
        return "region health: every region led and fully replicated throughout".into();
    }
    let since = impact
        .leaderless_first
        .map(|at| format!(", leaderless from {}", clock(at)))
        .unwrap_or_default();
    format!(
        "region health: peak {} without a leader, {} under-replicated{since}",
        impact.leaderless_peak, impact.under_replicated_peak
    )
}

fn workload_line(evidence: &Evidence) -> String {
    let Some(last) = evidence.samples.last() else {
        return "workload: no samples".into();
    };
    let min = evidence
        .samples
        .iter()
        .map(|s| s.ops_per_sec)
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let p99 = last
        .p99
        .map(|p| format!(", p99 {}", latency(p)))
        .unwrap_or_default();
    match evidence.baseline.filter(|b| b.is_finite() && *b > 0.0) {
        Some(baseline) if min.is_finite() => format!(
            "workload: baseline {}, lowest {} ({}), now {}{p99}",
            ops_per_sec(baseline),
            ops_per_sec(min),
            percent(min / baseline),
            ops_per_sec(last.ops_per_sec)
        ),
        _ => format!(
            "workload: now {}{p99}, no baseline yet",
            ops_per_sec(last.ops_per_sec)
        ),
    }
}

/// The analysis's own time, apart from the pause before each line that lets
/// the audience read along: that is pacing, not work.
fn work_line(worked: Duration, pace: Duration, lines: usize) -> String {
    let work = format!("{:.1} ms", worked.as_secs_f64() * 1000.0);
    if pace.is_zero() {
        return format!("analysis computed in {work}");
    }
    let paced = pace * u32::try_from(lines + 1).unwrap_or(u32::MAX);
    format!(
        "analysis computed in {work}; the lines are paced {} ms apart for reading ({:.1} s of pacing, not work)",
        pace.as_millis(),
        paced.as_secs_f64()
    )
}

#[async_trait]
impl Analyzer for BuiltinAnalyzer {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn diagnose(
        &self,
        evidence: Evidence,
        progress: mpsc::Sender<Progress>,
    ) -> Result<Diagnosis, AnalyzerError> {
        if evidence.is_empty() {
            return Err(AnalyzerError::NoEvidence);
        }
        let started = std::time::Instant::now();
        let report = analyze(&evidence);
        let worked = started.elapsed();
        let mut steps = report.steps;
        steps.push(work_line(worked, self.pace, steps.len()));
        for step in steps {
            if !self.pace.is_zero() {
                tokio::time::sleep(self.pace).await;
            }
            // Nobody listening is no reason to withhold the diagnosis.
            let _ = progress.send(Progress::Step(step)).await;
        }
        Ok(report.diagnosis)
    }
}
