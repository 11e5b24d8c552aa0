//! A container listing, an inspect body or event lines from the engine:
//! mapped without a panic, every name clean.
#![no_main]

use bollard::models::{ContainerInspectResponse, ContainerSummary, EventMessage};
use chaosdeck::cluster::docker::labels::PROJECT_LABEL;
use chaosdeck::cluster::docker::mapping::{
    EventContext, inspect_health, inspect_state, map_event, project_containers,
};
use chaosdeck::text::is_unsafe;
use libfuzzer_sys::fuzz_target;

fn clean(text: &str) -> bool {
    !text.chars().any(is_unsafe)
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(body) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(listing) = serde_json::from_str::<Vec<ContainerSummary>>(body) {
        let projects: Vec<String> = listing
            .iter()
            .filter_map(|s| s.labels.as_ref()?.get(PROJECT_LABEL).cloned())
            .collect();
        for project in projects {
            for container in project_containers(&listing, &project) {
                assert!(clean(&container.service) && clean(&container.name));
                assert!(clean(&container.state.to_string()));
            }
        }
    }
    if let Ok(inspect) = serde_json::from_str::<ContainerInspectResponse>(body) {
        if let Some(state) = inspect.state {
            assert!(clean(&inspect_state(&state).to_string()));
            let _ = inspect_health(&state);
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
                assert!(clean(&mapped.service) && clean(&mapped.kind.to_string()));
            }
        }
    }
});
