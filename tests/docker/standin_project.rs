//! The stand-in cluster as a real Compose project: the chaosdeck binary
//! under test in a `FROM scratch` image (with the shared libraries `ldd`
//! names), built once per test run, and `tests/standin/compose.yaml` run
//! with the compose tool a user has, under a project name unique to the
//! test. Everything is removed when the project is dropped, also while a
//! failed test unwinds.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::{
    BuildImageOptions, ListContainersOptions, ListImagesOptions, RemoveContainerOptions,
    RemoveImageOptions,
};
use futures::StreamExt;

use crate::support::{RUN_LABEL, tar, unique_project};
use chaosdeck::cluster::docker::labels::PROJECT_LABEL;

/// Label of every stand-in image, with the pid of the test run that built it.
const IMAGE_LABEL: &str = "dev.chaosdeck.standin-image";

/// The compose tool a user would run: `docker compose` when the plugin is
/// there, else `docker-compose`.
pub fn compose_tool() -> Vec<String> {
    let works = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works("docker", &["compose", "version"]) {
        vec!["docker".into(), "compose".into()]
    } else if works("docker-compose", &["version"]) {
        vec!["docker-compose".into()]
    } else {
        panic!("neither `docker compose` nor `docker-compose` is installed");
    }
}

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The stand-in image of this test run, built at the first call.
pub fn standin_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let tag = format!("chaosdeck-standin:t{}", std::process::id());
        let build_tag = tag.clone();
        // Its own thread and runtime: callers may be inside a runtime.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let docker = Docker::connect_with_defaults()
                    .expect("docker")
                    .negotiate_version()
                    .await
                    .expect("docker answers");
                remove_stale_images(&docker).await;
                build_image(&docker, &build_tag).await;
            });
        })
        .join()
        .expect("the stand-in image builds");
        tag
    })
}

/// Images of earlier runs whose process is gone (a run killed before its
/// cleanup); another run still going keeps its own.
async fn remove_stale_images(docker: &Docker) {
    let filters = HashMap::from([("label".to_string(), vec![IMAGE_LABEL.to_string()])]);
    let images = docker
        .list_images(Some(ListImagesOptions {
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .unwrap_or_default();
    for image in images {
        let pid = image.labels.get(IMAGE_LABEL).cloned().unwrap_or_default();
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let _ = docker
            .remove_image(
                &image.id,
                Some(RemoveImageOptions {
                    force: true,
                    ..Default::default()
                }),
                None,
            )
            .await;
    }
}

/// The binary and the libraries it loads (`ldd`), each copied to its path.
async fn build_image(docker: &Docker, tag: &str) {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chaosdeck"));
    let ldd = Command::new("ldd").arg(&binary).output().expect("ldd runs");
    let listing = String::from_utf8_lossy(&ldd.stdout);
    let libraries = shared_libraries(&listing);
    let mut dockerfile =
        String::from("# chaosdeck's stand-in nodes: nothing pulled.\nFROM scratch\n");
    let mut files: Vec<(String, Vec<u8>, u32)> = Vec::new();
    for (index, library) in libraries.iter().enumerate() {
        let name = format!("lib{index}");
        let bytes = std::fs::read(library).unwrap_or_else(|e| panic!("{library}: {e}"));
        files.push((name.clone(), bytes, 0o755));
        dockerfile.push_str(&format!("COPY {name} {library}\n"));
    }
    // reqwest's TLS setup wants the system's roots even for plain HTTP.
    let roots = "/etc/ssl/certs/ca-certificates.crt";
    if let Ok(bytes) = std::fs::read(roots) {
        files.push(("roots".into(), bytes, 0o644));
        dockerfile.push_str(&format!("COPY roots {roots}\n"));
    }
    files.push((
        "chaosdeck".into(),
        std::fs::read(&binary).expect("the chaosdeck binary"),
        0o755,
    ));
    dockerfile.push_str("COPY chaosdeck /chaosdeck\nENTRYPOINT [\"/chaosdeck\"]\n");
    files.push(("Dockerfile".into(), dockerfile.into_bytes(), 0o644));
    let borrowed: Vec<(&str, Vec<u8>, u32)> = files
        .iter()
        .map(|(name, bytes, mode)| (name.as_str(), bytes.clone(), *mode))
        .collect();
    let context = tar(&borrowed);
    let options = BuildImageOptions {
        t: Some(tag.to_string()),
        rm: true,
        forcerm: true,
        labels: Some(HashMap::from([(
            IMAGE_LABEL.to_string(),
            std::process::id().to_string(),
        )])),
        ..Default::default()
    };
    let mut build = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(step) = build.next().await {
        let info = step.expect("the engine builds the stand-in image");
        if let Some(detail) = info.error_detail {
            panic!("stand-in image build failed: {detail:?}");
        }
    }
}

/// Absolute library paths in `ldd`'s listing (`libc.so.6 => /lib/...` and
/// the loader's own `/lib64/ld-linux-x86-64.so.2`).
pub fn shared_libraries(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, right)) => right.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| path.to_string())
        })
        .collect()
}

/// A running stand-in project.
pub struct StandinProject {
    pub project: String,
    pub compose: Vec<String>,
    pub pd_url: String,
    env: Vec<(String, String)>,
}

impl StandinProject {
    /// `compose up -d` of the stand-in project, and PD's host port.
    pub fn up(tag: &str) -> StandinProject {
        Self::up_with(tag, &[])
    }

    /// The same with more of the compose file's variables set (for example
    /// `STANDIN_HEARTBEAT`).
    pub fn up_with(tag: &str, vars: &[(&str, &str)]) -> StandinProject {
        let project = unique_project(tag);
        let mut env = vec![("STANDIN_IMAGE".to_string(), standin_image().to_string())];
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut project = StandinProject {
            project: project.clone(),
            compose: compose_tool(),
            pd_url: String::new(),
            env,
        };
        let up = project.compose(&["up", "-d", "--no-build"]);
        assert!(up.status.success(), "compose up: {}", describe(&up));
        let port = project.compose(&["port", "pd0", "2379"]);
        let address = String::from_utf8_lossy(&port.stdout).trim().to_string();
        assert!(
            port.status.success() && !address.is_empty(),
            "compose port: {}",
            describe(&port)
        );
        project.pd_url = format!("http://{address}");
        project
    }

    /// Runs the compose tool on this project.
    pub fn compose(&self, args: &[&str]) -> Output {
        let (program, first) = self.compose.split_first().expect("a compose tool");
        Command::new(program)
            .args(first)
            .args(["-p", &self.project, "-f"])
            .arg(repo_path("tests/standin/compose.yaml"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("the compose tool runs")
    }

    /// GET `path` of the PD stand-in, as JSON.
    pub async fn pd_get(&self, path: &str) -> Option<serde_json::Value> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .ok()?;
        let answer = client
            .get(format!("{}{path}", self.pd_url))
            .send()
            .await
            .ok()?;
        answer.json().await.ok()
    }

    /// Store states as PD names them, by address.
    pub async fn store_states(&self) -> Vec<(String, String)> {
        let Some(stores) = self.pd_get("/pd/api/v1/stores").await else {
            return Vec::new();
        };
        let mut states: Vec<(String, String)> = stores["stores"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                (
                    s["store"]["address"].as_str().unwrap_or("?").to_string(),
                    s["store"]["state_name"].as_str().unwrap_or("?").to_string(),
                )
            })
            .collect();
        states.sort();
        states
    }

    /// Waits until PD names three stores Up and every region has a leader.
    pub async fn wait_ready(&self, limit: Duration) {
        let ready = crate::support::eventually(limit, || async {
            let states = self.store_states().await;
            let all_up = states.len() == 3 && states.iter().all(|(_, s)| s == "Up");
            let led = match self.pd_get("/pd/api/v1/regions").await {
                Some(regions) => regions["regions"].as_array().is_some_and(|r| {
                    !r.is_empty() && r.iter().all(|r| r["leader"]["store_id"].is_u64())
                }),
                None => false,
            };
            all_up && led
        })
        .await;
        assert!(
            ready,
            "the stand-in cluster is not ready: {:?}\n{}",
            self.store_states().await,
            describe(&self.compose(&["logs", "--tail", "20"]))
        );
    }

    pub fn logs(&self) -> String {
        describe(&self.compose(&["logs", "--tail", "40"]))
    }
}

impl Drop for StandinProject {
    /// `compose down`, then anything still labelled with the project.
    fn drop(&mut self) {
        let down = self.compose(&["down", "-v", "--timeout", "1"]);
        if !down.status.success() {
            eprintln!("compose down of {}: {}", self.project, describe(&down));
        }
        let project = self.project.clone();
        let _ = std::thread::spawn(move || {
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
                let filters = HashMap::from([(
                    "label".to_string(),
                    vec![format!("{PROJECT_LABEL}={project}")],
                )]);
                let containers = docker
                    .list_containers(Some(ListContainersOptions {
                        all: true,
                        filters: Some(filters),
                        ..Default::default()
                    }))
                    .await
                    .unwrap_or_default();
                for container in containers.into_iter().filter_map(|c| c.id) {
                    let _ = docker
                        .remove_container(
                            &container,
                            Some(RemoveContainerOptions {
                                force: true,
                                v: true,
                                ..Default::default()
                            }),
                        )
                        .await;
                }
            });
        })
        .join();
        let _ = RUN_LABEL;
    }
}

pub fn describe(output: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn ldd_listings_name_absolute_paths_only() {
    let listing = "\tlinux-vdso.so.1 (0x00007f72c99f5000)\n\
        \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f72c99c4000)\n\
        \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f72c881e000)\n\
        \t/lib64/ld-linux-x86-64.so.2 (0x00007f72c99f7000)\n";
    assert_eq!(
        shared_libraries(listing),
        [
            "/lib/x86_64-linux-gnu/libgcc_s.so.1",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib64/ld-linux-x86-64.so.2"
        ]
    );
}
