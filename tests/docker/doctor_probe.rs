//! `doctor` before the project has a TiKV container: the engine is probed
//! with a throw-away container from a local image (the stand-in here; the
//! TiKV image in use) for what a new one gets. A limit it refuses fails the
//! row with what it grants instead and both fixes; nothing is left behind
//! and nothing is pulled.

use std::collections::HashMap;

use bollard::query_parameters::ListContainersOptions;

use crate::support::{TestProject, docker_or_skip, unique_project};
use chaosdeck::doctor::{
    NewContainer, PROBE_LABEL, ProbeImage, Status, new_container_check, probe_new_container,
};

/// Above any kernel's `fs.nr_open`: no engine can grant it.
const BEYOND_ANY_HOST: u64 = 1 << 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_any_tikv_container_the_engine_is_probed_for_what_a_new_one_gets() {
    let project = unique_project("doctor-probe");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    let docker = control.docker();
    // The stand-in prints the file it is given: its own limits.
    let probe = ProbeImage {
        image: fixture.image.clone(),
        entrypoint: None,
        env: vec!["FAKENODE_LINES=/proc/self/limits".into()],
    };

    let refused = probe_new_container(docker, &probe, BEYOND_ANY_HOST).await;
    let NewContainer::Refused {
        error,
        grants: Some(grants),
        ..
    } = &refused
    else {
        panic!("the engine cannot grant {BEYOND_ANY_HOST}: {refused:?}");
    };
    assert!(error.contains("rlimit"), "{error}");
    let row = new_container_check(&refused, "docker-compose -p demo");
    assert_eq!(row.status, Status::Fail, "{row:?}");
    assert!(
        row.detail
            .starts_with("no TiKV container yet: the engine refuses a new one"),
        "{row:?}"
    );
    let hint = row.hint.as_deref().unwrap_or_default();
    assert!(
        hint.contains(&format!(
            "`TIKV_NOFILE={grants} docker-compose -p demo up -d`"
        )),
        "{hint}"
    );
    assert!(hint.contains("LimitNOFILE"), "{hint}");

    // A limit any engine grants is read as granted, and below TiKV's need.
    let granted = probe_new_container(docker, &probe, 4096).await;
    assert_eq!(granted, NewContainer::Granted { asked: 4096 });
    assert_eq!(
        new_container_check(&granted, "docker-compose").status,
        Status::Warn
    );

    // An image that is not here is named, not pulled.
    let absent = ProbeImage {
        image: format!("{project}-absent:none"),
        ..probe.clone()
    };
    assert_eq!(
        probe_new_container(docker, &absent, 4096).await,
        NewContainer::NoImage {
            image: absent.image.clone()
        }
    );

    let left = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([
                ("label".to_string(), vec![PROBE_LABEL.to_string()]),
                ("ancestor".to_string(), vec![fixture.image.clone()]),
            ])),
            ..Default::default()
        }))
        .await
        .expect("list");
    assert!(left.is_empty(), "probe containers left behind: {left:?}");
    drop(fixture);
}
