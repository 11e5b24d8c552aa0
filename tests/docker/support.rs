//! Shared by the Docker tests: the engine or a visible skip, a locally built
//! `FROM scratch` image, and a throw-away Compose-labelled project that is
//! removed (containers, network, image) even when a test panics.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, NetworkCreateRequest, NetworkingConfig,
};
use bollard::query_parameters::{
    BuildImageOptions, CreateContainerOptions, ListContainersOptions, RemoveContainerOptions,
    RemoveImageOptions,
};
use futures::StreamExt;

use chaosdeck::cluster::docker::DockerControl;
use chaosdeck::cluster::docker::labels::{
    CONTAINER_NUMBER_LABEL, ONEOFF_LABEL, PROJECT_LABEL, SERVICE_LABEL,
};

/// Label on everything a test run creates, to clean up by label.
pub const RUN_LABEL: &str = "dev.chaosdeck.test-run";

/// The engine, or `None` after printing why the test is skipped. With
/// `CHAOSDECK_REQUIRE_DOCKER=1` a missing engine fails the test instead.
pub async fn docker_or_skip(project: &str) -> Option<DockerControl> {
    match DockerControl::connect(project).await {
        Ok(control) => Some(control),
        Err(error) => {
            if std::env::var("CHAOSDECK_REQUIRE_DOCKER").as_deref() == Ok("1") {
                panic!("CHAOSDECK_REQUIRE_DOCKER=1 but no Docker engine: {error}");
            }
            eprintln!("SKIP: no Docker engine: {error}");
            None
        }
    }
}

/// A name unique to this test run (and test): `chaosdeck-t<pid>-<nanos>-<tag>`.
pub fn unique_project(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("chaosdeck-t{}-{nanos}-{tag}", std::process::id())
}

/// A Compose-like project made by hand: a labelled network and labelled
/// containers named as Compose v2 would, all running the test node image.
pub struct TestProject {
    pub docker: Docker,
    pub project: String,
    pub network: String,
    pub image: String,
}

impl TestProject {
    /// Builds the node image and creates the project's network.
    pub async fn create(docker: &Docker, project: &str) -> TestProject {
        let image = format!("{project}-node:test");
        build_node_image(docker, &image, project).await;
        let network = format!("{project}_tikv");
        let labels = HashMap::from([
            (PROJECT_LABEL.to_string(), project.to_string()),
            ("com.docker.compose.network".to_string(), "tikv".to_string()),
            (RUN_LABEL.to_string(), project.to_string()),
        ]);
        docker
            .create_network(NetworkCreateRequest {
                name: network.clone(),
                labels: Some(labels),
                ..Default::default()
            })
            .await
            .expect("create the test network");
        TestProject {
            docker: docker.clone(),
            project: project.to_string(),
            network,
            image,
        }
    }

    /// Creates and starts the container of `service`.
    pub async fn start_service(&self, service: &str) -> String {
        self.start_labelled(&self.project, service).await
    }

    /// Creates and starts a container labelled as `service` of `project`
    /// (another project's, to check that it is not picked up), on this
    /// project's network and cleaned up with it.
    pub async fn start_labelled(&self, project: &str, service: &str) -> String {
        let labels = HashMap::from([
            (PROJECT_LABEL.to_string(), project.to_string()),
            (SERVICE_LABEL.to_string(), service.to_string()),
            (CONTAINER_NUMBER_LABEL.to_string(), "1".to_string()),
            (ONEOFF_LABEL.to_string(), "False".to_string()),
            (RUN_LABEL.to_string(), self.project.clone()),
        ]);
        let endpoints = HashMap::from([(
            self.network.clone(),
            EndpointSettings {
                aliases: Some(vec![service.to_string()]),
                ..Default::default()
            },
        )]);
        let body = ContainerCreateBody {
            image: Some(self.image.clone()),
            labels: Some(labels),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(endpoints),
            }),
            host_config: Some(bollard::models::HostConfig {
                network_mode: Some(self.network.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let name = format!("{project}-{service}-1");
        let created = self
            .docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(name),
                    ..Default::default()
                }),
                body,
            )
            .await
            .expect("create a test container");
        self.docker
            .start_container(&created.id, None)
            .await
            .expect("start a test container");
        created.id
    }
}

impl Drop for TestProject {
    /// Removes everything labelled with this run, on a thread of its own so
    /// that it also runs while a failed test unwinds.
    fn drop(&mut self) {
        let project = self.project.clone();
        let network = self.network.clone();
        let image = self.image.clone();
        // A connection of its own: the test's may belong to a runtime that is
        // unwinding.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let Ok(docker) = Docker::connect_with_defaults() else {
                    return;
                };
                let Ok(docker) = docker.negotiate_version().await else {
                    return;
                };
                let removal = remove_run(&docker, &project, &network, &image);
                if tokio::time::timeout(Duration::from_secs(60), removal)
                    .await
                    .is_err()
                {
                    eprintln!(
                        "cleanup of {project} timed out; remove by label {RUN_LABEL}={project}"
                    );
                }
            });
        });
        let _ = cleanup.join();
    }
}

async fn remove_run(docker: &Docker, project: &str, network: &str, image: &str) {
    let filters = HashMap::from([("label".to_string(), vec![format!("{RUN_LABEL}={project}")])]);
    let containers = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .unwrap_or_default();
    for container in containers {
        if let Some(id) = container.id {
            let _ = docker
                .remove_container(
                    &id,
                    Some(RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..Default::default()
                    }),
                )
                .await;
        }
    }
    let _ = docker.remove_network(network).await;
    let _ = docker
        .remove_image(
            image,
            Some(RemoveImageOptions {
                force: true,
                ..Default::default()
            }),
            None,
        )
        .await;
}

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Compiles `tests/docker/fakenode.rs` into a static binary and builds the
/// `FROM scratch` image of `tests/docker/Dockerfile` under `tag`.
pub async fn build_node_image(docker: &Docker, tag: &str, run: &str) {
    let work = std::env::temp_dir().join(format!("{run}-build"));
    std::fs::create_dir_all(&work).expect("a temporary build directory");
    let binary = work.join("fakenode");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let status = Command::new(rustc)
        .args([
            "--edition",
            "2021",
            "-O",
            "-C",
            "target-feature=+crt-static",
            "-o",
        ])
        .arg(&binary)
        .arg(repo_path("tests/docker/fakenode.rs"))
        .status()
        .expect("rustc runs");
    assert!(
        status.success(),
        "rustc could not build the static test node"
    );

    let files = [
        (
            "Dockerfile",
            read(&repo_path("tests/docker/Dockerfile")),
            0o644,
        ),
        (
            "lines.txt",
            read(&repo_path("tests/docker/lines.txt")),
            0o644,
        ),
        ("fakenode", read(&binary), 0o755),
    ];
    let context = tar(&files);
    let _ = std::fs::remove_dir_all(&work);

    let options = BuildImageOptions {
        t: Some(tag.to_string()),
        rm: true,
        forcerm: true,
        labels: Some(HashMap::from([(RUN_LABEL.to_string(), run.to_string())])),
        ..Default::default()
    };
    let mut build = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(step) = build.next().await {
        let info = step.expect("the engine builds the test image");
        if let Some(detail) = info.error_detail {
            panic!("image build failed: {detail:?}");
        }
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A minimal ustar archive of regular files, for the build context.
pub fn tar(files: &[(&str, Vec<u8>, u32)]) -> Vec<u8> {
    let mut archive = Vec::new();
    for (name, content, mode) in files {
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        write_octal(&mut header[100..108], u64::from(*mode));
        write_octal(&mut header[108..116], 0);
        write_octal(&mut header[116..124], 0);
        write_octal(&mut header[124..136], content.len() as u64);
        write_octal(&mut header[136..148], 0);
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let checksum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        write_octal(&mut header[148..155], u64::from(checksum));
        header[155] = b' ';
        archive.extend_from_slice(&header);
        archive.extend_from_slice(content);
        archive.resize(archive.len().div_ceil(512) * 512, 0);
    }
    archive.resize(archive.len() + 1024, 0);
    archive
}

/// Zero-padded octal with a trailing NUL filling `field`.
fn write_octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let digits = format!("{value:0width$o}");
    field[..width].copy_from_slice(digits.as_bytes());
    field[width] = 0;
}

/// Waits up to `limit` for `check` to hold, polling every 50 ms.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// chaosdeck's packet-loss helper image, built once per run by the same
/// script a user runs (`assets/netfault/build-image.sh`, the host's own
/// iptables in a FROM scratch image).
pub fn net_helper_image() -> &'static str {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    const IMAGE: &str = "chaosdeck-netfault:test";
    BUILT.get_or_init(|| {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/netfault/build-image.sh"
        );
        let out = std::process::Command::new("bash")
            .args([script, IMAGE])
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "build-image.sh failed (the host needs iptables): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    IMAGE
}
