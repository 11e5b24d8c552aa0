//! The evaluation set: recorded evidence with the right answer beside it,
//! and the scoring of an agent's diagnosis against it. Pure except for
//! reading the files and running the analyzer.
//!
//! A case is a directory with `case.toml` (what was recorded, how, and the
//! expected answer) and `evidence.json` (the [`Evidence`] the built-in
//! analyzer reads, serialized). Points: the root cause, the node, the
//! action, and for thin evidence whether the agent declined to guess.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::allowlist::{self, ActionCheck};
use super::analyzer::Analyzer;
use super::diagnosis::{
    Diagnosis, FaultClass, Outcome, RecommendedAction, Verdict, score as shown_score,
};
use super::evidence::Evidence;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The class of the right answer: [`FaultClass::Unknown`] where the
    /// evidence cannot tell (the answer must say it does not know), `None`
    /// where nothing is wrong (no culprit, no action). Written with the
    /// catalogue's names: `process_crash`, …, `unclear`, `no_incident`.
    #[serde(with = "root_cause")]
    pub root_cause: Option<FaultClass>,
    /// The node at fault (none for "no incident").
    #[serde(default)]
    pub service: Option<String>,
    /// `"start tikv1"`, or `"none"`.
    pub action: String,
    /// Thin evidence: the answer must decline to guess (cause unknown, no
    /// action, confidence at most one half).
    #[serde(default)]
    pub declines: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    pub description: String,
    /// Where and how the evidence was recorded.
    pub recorded: String,
    pub expect: Expectation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    pub file: CaseFile,
    pub evidence: Evidence,
}

/// Reads every case under `dir`, sorted by name.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("case.toml").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(format!(
            "{}: no cases (a case is a directory with case.toml and evidence.json)",
            dir.display()
        ));
    }
    dirs.iter().map(|d| load_case(d)).collect()
}

pub fn load_case(dir: &Path) -> Result<Case, String> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let file: CaseFile = toml::from_str(&read("case.toml")?)
        .map_err(|e| format!("{}: {e}", dir.join("case.toml").display()))?;
    let evidence: Evidence = serde_json::from_str(&read("evidence.json")?)
        .map_err(|e| format!("{}: {e}", dir.join("evidence.json").display()))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Case {
        name,
        file,
        evidence,
    })
}

/// An agent's answer reduced to what is scored.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub class: FaultClass,
    pub service: Option<String>,
    pub action: Option<RecommendedAction>,
    /// It recommended something outside the allowlist.
    pub refused_action: Option<String>,
    pub confidence: f32,
}

impl Answer {
    pub fn of(diagnosis: &Diagnosis) -> Self {
        Self {
            class: diagnosis.root_cause.class,
            service: diagnosis.root_cause.service.clone(),
            action: diagnosis.action.clone(),
            refused_action: None,
            confidence: diagnosis.root_cause.confidence,
        }
    }

    fn describe(&self) -> String {
        let cause = match (self.class, &self.service) {
            (FaultClass::Unknown, None) => "no culprit".to_string(),
            (class, Some(s)) => format!("{} {s}", short(class)),
            (class, None) => short(class).to_string(),
        };
        let action = match (&self.action, &self.refused_action) {
            (Some(a), _) => format!("{} {}", a.recovery, a.service),
            (None, Some(refused)) => format!("REFUSED {refused}"),
            (None, None) => "none".into(),
        };
        format!("{cause}, {action} (score {})", shown_score(self.confidence))
    }
}

fn short(class: FaultClass) -> &'static str {
    class.words().short
}

/// The points of one case; `None` where a point does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub root_cause: bool,
    pub service: Option<bool>,
    pub action: bool,
    pub declined: Option<bool>,
}

impl Score {
    /// Nothing to score: the agent gave no answer in the structure.
    pub fn none(expect: &Expectation) -> Self {
        Self {
            root_cause: false,
            service: expect.service.is_some().then_some(false),
            action: false,
            declined: expect.declines.then_some(false),
        }
    }

    pub fn right(&self) -> bool {
        self.root_cause
            && self.action
            && self.service != Some(false)
            && self.declined != Some(false)
    }

    fn points(&self) -> (usize, usize) {
        let all = [
            Some(self.root_cause),
            self.service,
            Some(self.action),
            self.declined,
        ];
        let counted = all.iter().flatten().count();
        let won = all.iter().flatten().filter(|p| **p).count();
        (won, counted)
    }
}

/// Scores `answer` against `expect`. Services named by the expectation are
/// checked against the case's own cluster by the allowlist's rules.
pub fn score(expect: &Expectation, answer: &Answer, services: &[String]) -> Score {
    let root_cause = match expect.root_cause {
        Some(class) => answer.class == class,
        None => answer.class == FaultClass::Unknown && answer.service.is_none(),
    };
    let service = match (&expect.service, expect.root_cause) {
        (Some(expected), _) => Some(answer.service.as_deref() == Some(expected.as_str())),
        (None, None) => Some(answer.service.is_none()),
        (None, Some(_)) => None,
    };
    let expected_action = match allowlist::check(&expect.action, None, services) {
        ActionCheck::Allowed(action) => Some(action),
        _ => None,
    };
    let action = answer.refused_action.is_none() && answer.action == expected_action;
    let declined = expect.declines.then(|| {
        answer.class == FaultClass::Unknown
            && answer.action.is_none()
            && answer.refused_action.is_none()
            && answer.confidence <= 0.5
    });
    Score {
        root_cause,
        service,
        action,
        declined,
    }
}

/// One case as the agent answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    pub name: String,
    pub expect: Expectation,
    /// What was scored, or why there was nothing to score.
    pub answer: Result<Answer, String>,
    pub score: Score,
}

/// The answer to score from a diagnosis: the model's when it gave a second
/// opinion (that is what is evaluated), else the diagnosis itself.
pub fn scored_answer(diagnosis: &Diagnosis) -> Result<Answer, String> {
    let Some(opinion) = &diagnosis.second_opinion else {
        return Ok(Answer::of(diagnosis));
    };
    match &opinion.outcome {
        Outcome::Failed(failure) => Err(format!("no answer: {failure}")),
        Outcome::Answered(answer) => match &answer.verdict {
            Verdict::Text(_) => Err("answered outside the structure".into()),
            Verdict::Structured(model) => Ok(Answer {
                refused_action: model.refused_action.as_ref().map(|r| r.asked.clone()),
                ..Answer::of(&model.diagnosis)
            }),
        },
    }
}

/// Runs `analyzer` over every case, one after the other.
pub async fn evaluate(analyzer: &dyn Analyzer, cases: &[Case]) -> Vec<CaseResult> {
    let mut results = Vec::new();
    for case in cases {
        let (tx, mut rx) = mpsc::channel(256);
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let diagnosis = analyzer.diagnose(case.evidence.clone(), tx).await;
        let _ = drain.await;
        let services = super::model::tools::services_in(&case.evidence);
        let answer = match diagnosis {
            Ok(diagnosis) => scored_answer(&diagnosis),
            Err(e) => Err(e.to_string()),
        };
        let score = match &answer {
            Ok(answer) => score(&case.file.expect, answer, &services),
            Err(_) => Score::none(&case.file.expect),
        };
        results.push(CaseResult {
            name: case.name.clone(),
            expect: case.file.expect.clone(),
            answer,
            score,
        });
    }
    results
}

/// The score table, a line per case and the totals.
pub fn render(agent: &str, results: &[CaseResult]) -> String {
    let mark = |p: Option<bool>| match p {
        Some(true) => "ok",
        Some(false) => "WRONG",
        None => "-",
    };
    let name_width = results
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!("chaosdeck eval: {agent}\n\n");
    let _ = writeln!(
        out,
        "  {:<name_width$}  {:<8} {:<8} {:<8} {:<8}  expected / answered",
        "case", "cause", "node", "action", "declined"
    );
    let (mut won, mut counted, mut right) = (0, 0, 0);
    for r in results {
        let s = r.score;
        let (w, c) = s.points();
        won += w;
        counted += c;
        right += usize::from(s.right());
        let expected = format!(
            "{}{}, {}",
            root_cause::label(r.expect.root_cause),
            r.expect
                .service
                .as_deref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default(),
            r.expect.action
        );
        let answered = match &r.answer {
            Ok(answer) => answer.describe(),
            Err(why) => why.clone(),
        };
        let _ = writeln!(
            out,
            "  {:<name_width$}  {:<8} {:<8} {:<8} {:<8}  {expected} / {answered}",
            r.name,
            mark(Some(s.root_cause)),
            mark(s.service),
            mark(Some(s.action)),
            mark(s.declined),
        );
    }
    let percent = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    let _ = writeln!(
        out,
        "\n  {right}/{} cases right ({:.0}%), {won}/{counted} points ({:.0}%)",
        results.len(),
        percent(right, results.len()),
        percent(won, counted)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Recovery;

    fn services() -> Vec<String> {
        vec!["tikv0".into(), "tikv1".into()]
    }

    fn expect(
        cause: Option<FaultClass>,
        service: Option<&str>,
        action: &str,
        declines: bool,
    ) -> Expectation {
        Expectation {
            root_cause: cause,
            service: service.map(str::to_string),
            action: action.into(),
            declines,
        }
    }

    fn answer(
        class: FaultClass,
        service: Option<&str>,
        action: Option<Recovery>,
        confidence: f32,
    ) -> Answer {
        Answer {
            class,
            service: service.map(str::to_string),
            action: action.map(|recovery| RecommendedAction {
                recovery,
                service: service.unwrap_or_default().to_string(),
            }),
            refused_action: None,
            confidence,
        }
    }

    #[test]
    fn every_point_can_be_lost() {
        let kill = expect(
            Some(FaultClass::ProcessCrash),
            Some("tikv1"),
            "start tikv1",
            false,
        );
        let right = answer(
            FaultClass::ProcessCrash,
            Some("tikv1"),
            Some(Recovery::Start),
            0.9,
        );
        assert!(score(&kill, &right, &services()).right());
        let wrong_class = answer(
            FaultClass::Frozen,
            Some("tikv1"),
            Some(Recovery::Start),
            0.9,
        );
        assert!(!score(&kill, &wrong_class, &services()).root_cause);
        let wrong_node = answer(
            FaultClass::ProcessCrash,
            Some("tikv0"),
            Some(Recovery::Start),
            0.9,
        );
        assert_eq!(score(&kill, &wrong_node, &services()).service, Some(false));
        let no_action = answer(FaultClass::ProcessCrash, Some("tikv1"), None, 0.9);
        assert!(!score(&kill, &no_action, &services()).action);
        let refused = Answer {
            refused_action: Some("docker restart tikv1".into()),
            ..no_action
        };
        assert!(
            !score(&kill, &refused, &services()).right(),
            "a refused action is not a right one"
        );
    }

    #[test]
    fn thin_evidence_needs_a_modest_refusal_to_guess() {
        let thin = expect(Some(FaultClass::Unknown), Some("tikv1"), "none", true);
        let declined = answer(FaultClass::Unknown, Some("tikv1"), None, 0.3);
        assert!(score(&thin, &declined, &services()).right());
        let guessed = answer(
            FaultClass::ProcessCrash,
            Some("tikv1"),
            Some(Recovery::Start),
            0.8,
        );
        assert_eq!(score(&thin, &guessed, &services()).declined, Some(false));
        let sure_of_nothing = answer(FaultClass::Unknown, Some("tikv1"), None, 0.9);
        assert_eq!(
            score(&thin, &sure_of_nothing, &services()).declined,
            Some(false)
        );
    }

    #[test]
    fn the_healthy_control_wants_no_culprit() {
        let healthy = expect(None, None, "none", false);
        assert!(
            score(
                &healthy,
                &answer(FaultClass::Unknown, None, None, 0.9),
                &services()
            )
            .right()
        );
        let blamed = answer(FaultClass::Unknown, Some("tikv0"), None, 0.2);
        assert!(!score(&healthy, &blamed, &services()).right());
    }
}

/// An expectation's root cause in the catalogue's words, read strictly: a
/// case file with a name the catalogue does not know is refused.
mod root_cause {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::faults::{CLASSES, FaultClass, NO_INCIDENT};

    /// The name [`FaultClass::Unknown`] has in case files.
    const UNCLEAR: &str = "unclear";

    pub fn label(cause: Option<FaultClass>) -> &'static str {
        cause.map_or("no incident", |class| class.words().short)
    }

    pub fn serialize<S: Serializer>(cause: &Option<FaultClass>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match cause {
            None => NO_INCIDENT,
            Some(FaultClass::Unknown) => UNCLEAR,
            Some(class) => class.words().wire,
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FaultClass>, D::Error> {
        let name = String::deserialize(d)?;
        if name == NO_INCIDENT {
            return Ok(None);
        }
        if name == UNCLEAR {
            return Ok(Some(FaultClass::Unknown));
        }
        CLASSES
            .iter()
            .find(|c| c.wire == name && c.class != FaultClass::Unknown)
            .map(|c| Some(c.class))
            .ok_or_else(|| {
                let known: Vec<&str> = CLASSES
                    .iter()
                    .filter(|c| c.class != FaultClass::Unknown)
                    .map(|c| c.wire)
                    .chain([UNCLEAR, NO_INCIDENT])
                    .collect();
                D::Error::custom(format!(
                    "unknown root cause `{name}`: expected one of {}",
                    known.join(", ")
                ))
            })
    }
}
