//! `doctor` against the real engine: a fault left behind in every state the
//! runtime can hold (paused, cut off, stopped, never started) gets the
//! remedy for that state, and the open-files row reads what each TiKV
//! container gets (set on it, refused by the engine, or the engine's own).

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkDisconnectRequest, NetworkingConfig,
    ResourcesUlimits,
};
use bollard::query_parameters::{CreateContainerOptions, StopContainerOptions};

use crate::support::{RUN_LABEL, TestProject, docker_or_skip, unique_project};
use chaosdeck::cluster::docker::labels::{
    CONTAINER_NUMBER_LABEL, ONEOFF_LABEL, PROJECT_LABEL, SERVICE_LABEL,
};
use chaosdeck::doctor::{self, Check, Status};

/// Above any kernel's `fs.nr_open`: no engine can grant it.
const BEYOND_ANY_HOST: i64 = 1 << 40;

/// Creates the container of `service` as Compose would label it, with a
/// `nofile` limit when given; started unless `start` is false. A start the
/// engine refuses is left as it is (the container stays `created`).
async fn create(
    fixture: &TestProject,
    service: &str,
    nofile: Option<i64>,
    start: bool,
) -> (String, String) {
    let labels = HashMap::from([
        (PROJECT_LABEL.to_string(), fixture.project.clone()),
        (SERVICE_LABEL.to_string(), service.to_string()),
        (CONTAINER_NUMBER_LABEL.to_string(), "1".to_string()),
        (ONEOFF_LABEL.to_string(), "False".to_string()),
        (RUN_LABEL.to_string(), fixture.project.clone()),
    ]);
    let endpoints = HashMap::from([(
        fixture.network.clone(),
        EndpointSettings {
            aliases: Some(vec![service.to_string()]),
            ..Default::default()
        },
    )]);
    let name = format!("{}-{service}-1", fixture.project);
    let body = ContainerCreateBody {
        image: Some(fixture.image.clone()),
        labels: Some(labels),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(endpoints),
        }),
        host_config: Some(HostConfig {
            network_mode: Some(fixture.network.clone()),
            ulimits: nofile.map(|n| {
                vec![ResourcesUlimits {
                    name: Some("nofile".into()),
                    soft: Some(n),
                    hard: Some(n),
                }]
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = fixture
        .docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.clone()),
                ..Default::default()
            }),
            body,
        )
        .await
        .expect("create a test container");
    if start {
        let started = fixture.docker.start_container(&created.id, None).await;
        if nofile != Some(BEYOND_ANY_HOST) {
            started.expect("start a test container");
        }
    }
    (created.id, name)
}

fn row<'a>(checks: &'a [Check], name: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} row: {checks:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_left_behind_gets_its_remedy() {
    let project = unique_project("doctor-states");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    let docker = &fixture.docker;
    create(&fixture, "pd0", None, true).await;
    let (paused, paused_name) = create(&fixture, "tikv0", Some(8192), true).await;
    let (cut, cut_name) = create(&fixture, "tikv1", Some(8192), true).await;
    let (stopped, stopped_name) = create(&fixture, "tikv2", None, true).await;
    let (_, created_name) = create(&fixture, "tikv3", None, false).await;
    create(&fixture, "tikv4", Some(4096), true).await;
    create(&fixture, "tikv5", Some(BEYOND_ANY_HOST), true).await;

    docker.pause_container(&paused).await.expect("pause");
    docker
        .disconnect_network(
            &fixture.network,
            NetworkDisconnectRequest {
                container: cut.clone(),
                force: Some(false),
            },
        )
        .await
        .expect("disconnect");
    docker
        .stop_container(
            &stopped,
            Some(StopContainerOptions {
                t: Some(5),
                signal: None,
            }),
        )
        .await
        .expect("stop");

    let (checks, containers) = doctor::project_checks(&control, "docker-compose", false).await;
    assert_eq!(containers.map(|c| c.len()), Some(7));
    let text = doctor::DoctorReport {
        checks: checks.clone(),
    }
    .render();

    let tikv = row(&checks, "TiKV services");
    assert_eq!(tikv.status, Status::Fail, "{text}");
    let network = &fixture.network;
    for expected in [
        "tikv0 paused".to_string(),
        format!("tikv1 running (cut off from {network})"),
        "tikv2 exited 0".to_string(),
        "tikv3 created".to_string(),
    ] {
        assert!(tikv.detail.contains(&expected), "{expected}:\n{text}");
    }
    let hint = tikv.hint.as_deref().expect("a hint");
    for expected in [
        format!("tikv0: `docker unpause {paused_name}`"),
        format!("tikv1: `docker network connect --alias tikv1 {network} {cut_name}`"),
        format!("tikv2: `docker start {stopped_name}` (or `docker-compose up -d tikv2`)"),
        format!("tikv3: `docker start {created_name}` (or `docker-compose up -d tikv3`)"),
    ] {
        assert!(hint.contains(&expected), "{expected}:\n{text}");
    }
    assert!(
        !hint.contains("tikv4:"),
        "tikv4 runs and is attached:\n{text}"
    );
    assert_eq!(row(&checks, "PD services").status, Status::Ok, "{text}");

    // The open-files row: tikv5's limit refused by the engine fails it; the
    // others are read from the containers.
    let open = row(&checks, "open files (TiKV)");
    assert_eq!(open.status, Status::Fail, "{text}");
    assert!(
        open.detail
            .contains("tikv0, tikv1 8,192 (set on the container)"),
        "{text}"
    );
    assert!(
        open.detail.contains("tikv4 4,096 (set on the container)"),
        "{text}"
    );
    assert!(
        open.detail.contains("tikv5: the engine cannot grant") && open.detail.contains("rlimit"),
        "{text}"
    );
    assert!(
        open.hint
            .as_deref()
            .is_some_and(|h| h.contains("LimitNOFILE")),
        "{text}"
    );
    drop(fixture);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_limit_warns_and_the_engines_default_is_read_or_named() {
    let project = unique_project("doctor-nofile");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let fixture = TestProject::create(control.docker(), &project).await;
    create(&fixture, "tikv0", Some(4096), true).await;
    create(&fixture, "tikv1", None, true).await;

    let (checks, _) = doctor::project_checks(&control, "docker compose", false).await;
    let text = doctor::DoctorReport {
        checks: checks.clone(),
    }
    .render();
    let open = row(&checks, "open files (TiKV)");
    assert_eq!(open.status, Status::Warn, "{text}");
    assert!(
        open.detail.contains("tikv0 4,096 (set on the container)"),
        "{text}"
    );
    // On the engine's own machine the process is read; elsewhere the row
    // says the default is not reported. Either way tikv1 is named.
    assert!(
        open.detail.contains("tikv1 ")
            && (open.detail.contains("(the engine's default)")
                || open.detail.contains("not set on the container")),
        "{text}"
    );
    let hint = open.hint.as_deref().expect("a hint");
    assert!(hint.contains("below 82,920"), "{text}");
    assert!(
        hint.contains("`docker compose up -d --force-recreate tikv0 tikv1`"),
        "{text}"
    );
    drop(fixture);
}
