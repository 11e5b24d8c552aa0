//! Running a model agent against the stand-in server.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chaosdeck::agent::model::tools::NodeLogs;
use chaosdeck::agent::model::{
    ApiKey, ModelAgent, ModelConfig, ModelFailure, ModelLimits, Provider,
};
use chaosdeck::agent::second_opinion::{ModelAnswer, ModelDiagnosis, Outcome, Verdict};
use chaosdeck::agent::{
    Analyzer, BuiltinAnalyzer, Diagnosis, Evidence, Progress, WithSecondOpinion,
};
use tokio::sync::mpsc;

use crate::server::StandIn;

/// Never a real key: the tests check it shows up nowhere.
pub const KEY: &str = "sk-test-KEEP-OUT-0123456789";

pub fn limits() -> ModelLimits {
    ModelLimits {
        first_token: Duration::from_secs(5),
        total: Duration::from_secs(20),
        ..ModelLimits::default()
    }
}

pub fn config(provider: Provider, server: &StandIn, limits: ModelLimits) -> ModelConfig {
    ModelConfig {
        provider,
        model: "test-model".into(),
        url: server.url.clone(),
        key: ApiKey::new(KEY),
        limits,
    }
}

/// The diagnosis of `evidence` with the model beside the built-in
/// analyzer, and every progress report on the way.
pub async fn diagnose(
    config: ModelConfig,
    logs: Option<Arc<dyn NodeLogs>>,
    evidence: Evidence,
) -> (Diagnosis, Vec<Progress>) {
    let analyzer = WithSecondOpinion::new(
        BuiltinAnalyzer::instant(),
        ModelAgent::new(config, logs).expect("agent"),
    );
    let (tx, mut rx) = mpsc::channel(8);
    let collect = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(p) = rx.recv().await {
            all.push(p);
        }
        all
    });
    let diagnosis = analyzer.diagnose(evidence, tx).await.expect("a diagnosis");
    (diagnosis, collect.await.unwrap())
}

pub fn answer(diagnosis: &Diagnosis) -> &ModelAnswer {
    match &diagnosis
        .second_opinion
        .as_ref()
        .expect("a second opinion")
        .outcome
    {
        Outcome::Answered(answer) => answer,
        Outcome::Failed(failure) => panic!("the model failed: {failure}"),
    }
}

pub fn structured(diagnosis: &Diagnosis) -> &ModelDiagnosis {
    match &answer(diagnosis).verdict {
        Verdict::Structured(model) => model,
        Verdict::Text(text) => panic!("answered as text: {text}"),
    }
}

pub fn failure(diagnosis: &Diagnosis) -> &ModelFailure {
    match &diagnosis
        .second_opinion
        .as_ref()
        .expect("a second opinion")
        .outcome
    {
        Outcome::Failed(failure) => failure,
        Outcome::Answered(answer) => panic!("the model answered: {answer:?}"),
    }
}

/// The streamed text, joined.
pub fn streamed(progress: &[Progress]) -> String {
    progress
        .iter()
        .filter_map(|p| match p {
            Progress::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}
