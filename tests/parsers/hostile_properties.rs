//! Every parser and loader against every fixture, mutated with care and at
//! random: nothing panics, no figure is non-finite, negative or wrapped, no
//! duration passes the bound, and no text that comes out holds a control or
//! bidirectional character.

use std::time::{Duration, SystemTime};

use bollard::models::{ContainerInspectResponse, ContainerSummary, EventMessage};
use chaosdeck::cluster::docker::labels::PROJECT_LABEL;
use chaosdeck::cluster::docker::mapping::{
    EventContext, inspect_health, inspect_state, map_event, project_containers,
};
use chaosdeck::cluster::metrics::{ops_total, parse_text};
use chaosdeck::cluster::pd::api::{ConfigResponse, StoreInfo};
use chaosdeck::cluster::pd::decode;
use chaosdeck::cluster::pd::mapping::{
    map_members, map_store, map_stores, max_store_down_time, region_health, status_addresses,
};
use chaosdeck::cluster::{ProcessState, Store};
use chaosdeck::story::parse_script;
use chaosdeck::text::{clean_line, clean_text, is_unsafe};
use chaosdeck::ui::text::{distinct_short_names, ellipsize, pad, wrap};
use chaosdeck::units::duration::{MAX_DURATION, from_micros_f64, from_secs_f64};
use chaosdeck::units::timestamp::parse_rfc3339_nanos;
use chaosdeck::units::{parse_duration, parse_size};
use chaosdeck::workload::goycsb::{self, GoYcsbStream};
use chaosdeck::workload::javaycsb::{self, JavaYcsbStream};
use chaosdeck::workload::plausible::MAX_OPS_PER_SEC;
use chaosdeck::workload::{LoadParser, WorkloadSample};
use proptest::prelude::*;
use unicode_width::UnicodeWidthStr;

use crate::hostile_inputs::{
    arbitrary_lines, fixtures, hostile_text, mutated_chapters, mutated_json, mutated_lines,
};

fn clean(text: &str) -> bool {
    !text.chars().any(is_unsafe)
}

fn plausible(sample: &WorkloadSample) -> Result<(), TestCaseError> {
    for rate in [sample.ops_per_sec, sample.errors_per_sec] {
        prop_assert!(
            rate.is_finite() && (0.0..=MAX_OPS_PER_SEC).contains(&rate),
            "{sample:?}"
        );
    }
    prop_assert!(
        sample.p99.is_none_or(|p99| p99 <= MAX_DURATION),
        "{sample:?}"
    );
    Ok(())
}

/// Every load parser over the same lines; every sample must be a reading.
fn feed_every_load_parser(lines: &[String]) -> Result<(), TestCaseError> {
    let mut go = GoYcsbStream::new();
    let mut java = JavaYcsbStream::new();
    let mut detected = LoadParser::new();
    for (i, line) in lines.iter().enumerate() {
        let now = Duration::from_millis(i as u64 * 250);
        if let Some(parsed) = goycsb::parse_line(line) {
            prop_assert!(parsed.takes_s.is_finite() && parsed.ops.is_finite());
            for latency in [parsed.avg_us, parsed.p99_us, parsed.max_us]
                .into_iter()
                .flatten()
            {
                prop_assert!(from_micros_f64(latency).is_ok(), "{latency}");
            }
        }
        if let Some(status) = javaycsb::parse_status_line(line) {
            prop_assert!(
                status
                    .current_ops_per_sec
                    .is_none_or(|r| r <= MAX_OPS_PER_SEC)
            );
            for op in &status.ops {
                for latency in [op.avg_us, op.p99_us, op.max_us].into_iter().flatten() {
                    prop_assert!(from_micros_f64(latency).is_ok(), "{latency}");
                }
            }
        }
        // The detector only ever sees samples a stream would also give,
        // checked; the raw streams may not, so only the detector is judged.
        let _ = go.feed(line, now);
        let _ = java.feed(line, now);
        if let Some(sample) = detected.feed(line, now) {
            plausible(&sample)?;
        }
    }
    if let Some(sample) = detected.flush() {
        plausible(&sample)?;
    }
    Ok(())
}

fn store_is_clean(store: &Store) -> Result<(), TestCaseError> {
    prop_assert!(clean(&store.service), "{:?}", store.service);
    prop_assert!(clean(&store.address), "{:?}", store.address);
    prop_assert!(clean(store.state.name()), "{:?}", store.state);
    Ok(())
}

/// One body through every PD decoder and mapper, whatever endpoint it
/// claims to be from.
fn read_pd_body_every_way(body: &str) -> Result<(), TestCaseError> {
    let now = SystemTime::now();
    if let Ok(decoded) = decode::stores(body) {
        let mapped = map_stores(&decoded.value, now);
        let mut ids: Vec<u64> = mapped.stores.iter().map(|s| s.id).collect();
        ids.dedup();
        prop_assert_eq!(ids.len(), mapped.stores.len(), "one store per id");
        let mut names: Vec<&str> = mapped.stores.iter().map(|s| s.service.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        prop_assert_eq!(names.len(), mapped.stores.len(), "one store per name");
        for store in &mapped.stores {
            store_is_clean(store)?;
        }
        for note in decoded.skipped.iter().chain(&mapped.skipped) {
            prop_assert!(clean(note), "{note:?}");
        }
        let _ = status_addresses(&decoded.value);
    }
    if let Ok(info) = serde_json::from_str::<StoreInfo>(body) {
        if let Ok(store) = map_store(&info, now) {
            store_is_clean(&store)?;
        }
    }
    if let Ok(members) = decode::members(body) {
        let health = decode::health(body).ok().map(|h| h.value);
        for member in map_members(&members.value, health.as_deref()) {
            prop_assert!(
                clean(&member.name) && clean(&member.client_url),
                "{member:?}"
            );
        }
    }
    if let Ok(config) = serde_json::from_str::<ConfigResponse>(body) {
        if let Ok(down) = max_store_down_time(&config) {
            prop_assert!(down <= MAX_DURATION);
        }
    }
    if let Ok(regions) = decode::regions(body) {
        let listed = regions.value.regions.as_ref().map_or(0, Vec::len) as u64;
        let health = region_health(&regions.value, &regions.value, &regions.value);
        let cap = health.total.max(listed);
        prop_assert!(health.without_leader <= cap && health.under_replicated <= cap);
    }
    Ok(())
}

fn read_docker_body_every_way(body: &str) -> Result<(), TestCaseError> {
    if let Ok(listing) = serde_json::from_str::<Vec<ContainerSummary>>(body) {
        let projects: Vec<String> = listing
            .iter()
            .filter_map(|s| s.labels.as_ref()?.get(PROJECT_LABEL).cloned())
            .collect();
        for project in projects {
            for container in project_containers(&listing, &project) {
                prop_assert!(clean(&container.service) && clean(&container.name));
                prop_assert!(clean(&container.image));
                prop_assert!(container.networks.iter().all(|n| clean(n)));
                prop_assert!(container.health.as_deref().is_none_or(clean));
                prop_assert!(clean(&container.state.to_string()));
            }
        }
    }
    if let Ok(inspect) = serde_json::from_str::<ContainerInspectResponse>(body) {
        if let Some(state) = inspect.state {
            let shown = inspect_state(&state).to_string();
            prop_assert!(clean(&shown), "{shown:?}");
            prop_assert!(inspect_health(&state).as_deref().is_none_or(clean));
        }
    }
    for line in body.lines() {
        if let Ok(event) = serde_json::from_str::<EventMessage>(line) {
            let project = event
                .actor
                .as_ref()
                .and_then(|a| a.attributes.as_ref()?.get(PROJECT_LABEL).cloned())
                .unwrap_or_default();
            if let Some(mapped) = map_event(&event, &project, &EventContext::default()) {
                prop_assert!(clean(&mapped.service) && clean(&mapped.kind.to_string()));
            }
        }
    }
    Ok(())
}

fn read_chapters(text: &str) -> Result<(), TestCaseError> {
    let script = match parse_script(text, "mutated.toml") {
        Ok(script) => script,
        Err(error) => {
            prop_assert!(clean(&error.to_string()), "{error}");
            return Ok(());
        }
    };
    let paragraphs = |text: &str| !text.chars().any(|c| c != '\n' && is_unsafe(c));
    for chapter in &script.chapters {
        prop_assert!(clean(&chapter.title), "{:?}", chapter.title);
        prop_assert!(paragraphs(&chapter.narration), "{:?}", chapter.narration);
        for narration in chapter.narration_for.values() {
            prop_assert!(paragraphs(narration), "{narration:?}");
        }
        prop_assert!(chapter.dwell <= MAX_DURATION);
        for action in &chapter.on_enter {
            prop_assert!(clean(&action.describe()), "{action:?}");
            prop_assert!(action.timeout().is_none_or(|t| t <= MAX_DURATION));
        }
    }
    let kiosk = &script.kiosk;
    prop_assert!(kiosk.idle <= MAX_DURATION && kiosk.heal_timeout <= MAX_DURATION);
    if let Some(attract) = &kiosk.attract {
        prop_assert!(clean(&attract.title) && paragraphs(&attract.narration));
        prop_assert!(attract.dwell <= MAX_DURATION);
    }
    Ok(())
}

fn ycsb_fixtures() -> Vec<(String, String)> {
    fixtures("ycsb")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn load_parsers_read_mutated_fixture_lines_as_readings_or_not_at_all(
        lines in mutated_lines(ycsb_fixtures())
    ) {
        feed_every_load_parser(&lines)?;
    }

    #[test]
    fn load_parsers_take_arbitrary_bytes(lines in arbitrary_lines()) {
        feed_every_load_parser(&lines)?;
    }

    /// A spec read from the journal's or the ledger's form is one the
    /// catalogue allows, and writes back as it was read.
    #[test]
    fn fault_specs_read_back_as_written(text in "(kill|slow|pause)( (cpus|percent)=[0-9.]{0,6})?") {
        if let Ok(spec) = text.parse::<chaosdeck::cluster::FaultSpec>() {
            let written = serde_json::to_string(&spec).unwrap();
            let again: chaosdeck::cluster::FaultSpec = serde_json::from_str(&written).unwrap();
            prop_assert_eq!(spec, again);
        }
    }

    #[test]
    fn pd_bodies_of_every_endpoint_survive_mutation(body in mutated_json(fixtures("pd"))) {
        read_pd_body_every_way(&body)?;
    }

    #[test]
    fn pd_decoders_take_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        read_pd_body_every_way(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn docker_bodies_survive_mutation(body in mutated_json(fixtures("docker"))) {
        read_docker_body_every_way(&body)?;
    }

    #[test]
    fn docker_event_lines_survive_mutation(lines in mutated_lines(fixtures("docker"))) {
        read_docker_body_every_way(&lines.join("\n"))?;
    }

    #[test]
    fn metrics_survive_mutation(lines in mutated_lines(fixtures("pd/metrics"))) {
        if let Ok(samples) = parse_text(&lines.join("\n")) {
            prop_assert!(ops_total(&samples).is_none_or(f64::is_finite));
        }
    }

    #[test]
    fn chapters_survive_mutation(text in mutated_chapters()) {
        read_chapters(&text)?;
    }

    #[test]
    fn chapters_take_arbitrary_text(text in "\\PC{0,300}|(\\[\\[chapter\\]\\]\\n.{0,80}\\n){0,3}") {
        read_chapters(&text)?;
    }

    #[test]
    fn durations_are_bounded_whatever_is_written(text in "[0-9.hmsuµn+ -]{0,24}|.{0,24}") {
        if let Ok(d) = parse_duration(&text) {
            prop_assert!(d <= MAX_DURATION, "{text}");
        }
    }

    #[test]
    fn durations_from_any_float_are_bounded(seconds in any::<f64>()) {
        if let Ok(d) = from_secs_f64(seconds) {
            prop_assert!(d <= MAX_DURATION && seconds >= 0.0);
        }
        if let Ok(d) = from_micros_f64(seconds) {
            prop_assert!(d <= MAX_DURATION);
        }
    }

    #[test]
    fn sizes_and_timestamps_never_panic(text in "[0-9., eE+-]{0,20}[a-zA-Z]{0,4}|.{0,32}") {
        let _ = parse_size(&text);
        let _ = parse_rfc3339_nanos(&text);
    }

    #[test]
    fn cleaned_text_holds_nothing_unsafe_and_cleans_once(
        pieces in prop::collection::vec(hostile_text(), 0..6),
        plain in "\\PC{0,40}",
    ) {
        let text = format!("{plain}{}", pieces.concat());
        let line = clean_line(&text);
        prop_assert!(clean(&line), "{line:?}");
        prop_assert_eq!(clean_line(&line), line.clone(), "idempotent");
        let paragraphs = clean_text(&text);
        prop_assert!(!paragraphs.chars().any(|c| c != '\n' && is_unsafe(c)), "{paragraphs:?}");
        if !text.chars().any(is_unsafe) {
            prop_assert_eq!(line.as_ref(), text.as_str(), "clean text is untouched");
        }
    }

    #[test]
    fn cleaned_text_keeps_the_layout_widths(
        names in prop::collection::vec("\\PC{0,30}", 1..6),
        width in 3usize..40,
    ) {
        let cleaned: Vec<String> = names.iter().map(|n| clean_line(n).into_owned()).collect();
        let refs: Vec<&str> = cleaned.iter().map(String::as_str).collect();
        for short in distinct_short_names(&refs, width) {
            prop_assert!(short.width() <= width, "{short:?} > {width}");
            prop_assert!(pad(&short, width).width() == width);
        }
        for name in &cleaned {
            prop_assert!(ellipsize(name, width).width() <= width);
            for line in wrap(name, width) {
                prop_assert!(line.width() <= width, "{line:?}");
            }
        }
    }

    #[test]
    fn every_process_state_is_described_cleanly(state in hostile_text()) {
        let shown = ProcessState::Other(clean_line(&state).into_owned()).to_string();
        prop_assert!(clean(&shown));
    }
}

/// The local copies are the shared fixtures: every sample the parsers
/// must handle is exercised above.
#[test]
fn every_shared_fixture_of_a_parsed_kind_has_its_copy_here() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if !shared.exists() {
        eprintln!("../shared/fixtures not here: only the local copies are checked");
        return;
    }
    for area in ["pd", "ycsb", "docker", "metrics"] {
        for entry in std::fs::read_dir(shared.join(area)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let local_area = if area == "metrics" {
                "pd/metrics"
            } else {
                area
            };
            let local = crate::hostile_inputs::fixtures_dir()
                .join(local_area)
                .join(&name);
            let (theirs, ours) = (std::fs::read(&path).unwrap(), std::fs::read(&local));
            assert_eq!(
                ours.ok(),
                Some(theirs),
                "{local_area}/{name} differs or is missing"
            );
        }
    }
}

proptest! {
    /// The stand-in's reading of its cgroup's CPU quota: any text at all in
    /// either version's files gives no quota or a positive, finite one.
    #[test]
    fn a_cgroup_quota_is_none_or_a_positive_finite_cpu_count(
        v2 in proptest::option::of("[ -~\n]{0,40}"),
        quota in "[ -~\n]{0,20}",
        period in "[ -~\n]{0,20}",
        v1 in any::<bool>(),
        q in 1u64..10_000_000,
        p in 1u64..10_000_000,
    ) {
        use chaosdeck::standin::cpu_gate::cpus_granted;
        let v1_files = v1.then_some((quota.as_str(), period.as_str()));
        if let Some(cpus) = cpus_granted(v2.as_deref(), v1_files) {
            prop_assert!(cpus.is_finite() && cpus > 0.0, "{cpus}");
        }
        let written = format!("{q} {p}\n");
        let cpus = cpus_granted(Some(&written), None).unwrap();
        prop_assert!((cpus - q as f64 / p as f64).abs() < 1e-12);
    }
}
