//! `WithSecondOpinion<A>` composes any analyzer: the one it is given is the
//! ground truth (its diagnosis stands, its own lines stay out of the pane,
//! one line names its verdict), and its failure is the composition's.

use async_trait::async_trait;
use chaosdeck::agent::model::{ModelAgent, Provider};
use chaosdeck::agent::second_opinion::Outcome;
use chaosdeck::agent::{
    Analyzer, AnalyzerError, Diagnosis, Evidence, Progress, WithSecondOpinion, analyze,
};
use tokio::sync::mpsc;

use crate::evidence;
use crate::server::{Reply, StandIn};
use crate::streams::{answer_json, anthropic_answer};
use crate::support::{config, limits};

/// Says the built-in analyzer's words under its own name, or fails.
struct Stub {
    diagnosis: Option<Diagnosis>,
}

#[async_trait]
impl Analyzer for Stub {
    fn name(&self) -> &str {
        "stub analyzer"
    }

    async fn diagnose(
        &self,
        _evidence: Evidence,
        progress: mpsc::Sender<Progress>,
    ) -> Result<Diagnosis, AnalyzerError> {
        let _ = progress
            .send(Progress::Step("a stub's own step".into()))
            .await;
        self.diagnosis.clone().ok_or(AnalyzerError::NoEvidence)
    }
}

async fn run(
    analyzer: &dyn Analyzer,
    evidence: Evidence,
) -> (Result<Diagnosis, AnalyzerError>, Vec<Progress>) {
    let (tx, mut rx) = mpsc::channel(8);
    let collect = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(p) = rx.recv().await {
            all.push(p);
        }
        all
    });
    let result = analyzer.diagnose(evidence, tx).await;
    (result, collect.await.unwrap())
}

#[tokio::test]
async fn any_analyzer_is_the_ground_truth_its_verdict_in_one_line() {
    let text = answer_json("frozen", Some("tikv2"), "unpause", Some("tikv2"), 0.6);
    let server = StandIn::start(vec![Reply::sse(anthropic_answer(&[&text]))]).await;
    let mut ground = analyze(&evidence::kill()).diagnosis;
    ground.analyzer = "stub analyzer".into();
    let model = ModelAgent::new(config(Provider::Anthropic, &server, limits()), None).unwrap();
    let composed = WithSecondOpinion::new(
        Stub {
            diagnosis: Some(ground.clone()),
        },
        model,
    );
    assert_eq!(composed.name(), "anthropic test-model");

    let (result, progress) = run(&composed, evidence::kill()).await;
    let diagnosis = result.expect("a diagnosis");
    assert_eq!(diagnosis.analyzer, "stub analyzer");
    assert_eq!(
        diagnosis.root_cause, ground.root_cause,
        "the ground truth stands"
    );
    let opinion = diagnosis.second_opinion.as_ref().expect("a second opinion");
    let Outcome::Answered(answer) = &opinion.outcome else {
        panic!("the model answered: {:?}", opinion.outcome)
    };
    assert!(!answer.disagreements.is_empty(), "frozen is not a crash");

    assert!(
        !progress.contains(&Progress::Step("a stub's own step".into())),
        "{progress:?}"
    );
    let Some(Progress::Step(first)) = progress.first() else {
        panic!("{progress:?}")
    };
    assert_eq!(
        first,
        "stub analyzer (ground truth): process killed or crashed on tikv1 (score 0.90), start tikv1"
    );
    assert!(
        matches!(&progress[1], Progress::Standing(standing) if **standing == ground),
        "what stands should the deadline come first: {:?}",
        progress[1]
    );
}

#[tokio::test]
async fn the_ground_truths_failure_is_the_compositions_and_the_model_is_not_asked() {
    let server = StandIn::start(vec![]).await;
    let model = ModelAgent::new(config(Provider::Anthropic, &server, limits()), None).unwrap();
    let composed = WithSecondOpinion::new(Stub { diagnosis: None }, model);
    let (result, progress) = run(&composed, evidence::kill()).await;
    assert_eq!(result, Err(AnalyzerError::NoEvidence));
    assert!(progress.is_empty(), "{progress:?}");
    assert!(server.requests().is_empty());
}
