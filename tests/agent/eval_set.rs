//! The evaluation set in `evals/`: its coverage, and the built-in analyzer
//! scoring every case right.

use std::path::Path;

use chaosdeck::agent::BuiltinAnalyzer;
use chaosdeck::agent::FaultClass;
use chaosdeck::agent::eval;
use chaosdeck::cluster::FaultKind;

fn cases() -> Vec<eval::Case> {
    eval::load_cases(&Path::new(env!("CARGO_MANIFEST_DIR")).join("evals")).expect("the set loads")
}

#[test]
fn the_set_covers_every_fault_on_both_backends_thin_evidence_and_a_healthy_control() {
    let cases = cases();
    let covered: Vec<(&str, Option<FaultClass>)> = cases
        .iter()
        .map(|c| {
            let backend = c.name.split('-').next().unwrap();
            (backend, c.file.expect.root_cause)
        })
        .collect();
    for backend in ["sim", "docker"] {
        // Every kind in the catalogue, by the class it should be told as.
        for kind in FaultKind::ALL {
            let cause = Some(kind.class());
            assert!(
                covered.contains(&(backend, cause)),
                "no {kind} case recorded on {backend}: {covered:?}"
            );
        }
    }
    // PD's leader lost is no kind's class: it is what a kind does to PD's leader.
    assert!(
        covered.contains(&("sim", Some(FaultClass::PdLeaderLost))),
        "no PD leader case on the simulator: {covered:?}"
    );
    let thin: Vec<_> = cases.iter().filter(|c| c.file.expect.declines).collect();
    assert!(!thin.is_empty(), "a thin-evidence case");
    for case in thin {
        assert!(
            case.evidence.events.is_empty(),
            "{}: thin means no runtime events",
            case.name
        );
        assert!(
            case.evidence
                .snapshots
                .iter()
                .all(|s| s.processes.is_empty())
        );
    }
    assert!(cases.iter().any(|c| c.file.expect.root_cause.is_none()));
}

#[tokio::test]
async fn the_builtin_analyzer_scores_every_case_right() {
    let cases = cases();
    let results = eval::evaluate(&BuiltinAnalyzer::instant(), &cases).await;
    let table = eval::render("built-in analyzer", &results);
    assert!(results.iter().all(|r| r.score.right()), "{table}");
    assert!(
        table.contains(&format!("{0}/{0} cases right (100%)", cases.len())),
        "{table}"
    );
}

#[test]
fn a_directory_without_cases_says_what_a_case_is() {
    let empty = std::env::temp_dir().join(format!("chaosdeck-evals-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let error = eval::load_cases(&empty).unwrap_err();
    assert!(error.contains("case.toml and evidence.json"), "{error}");
    let _ = std::fs::remove_dir(&empty);
}
