//! The project's docker-compose.yaml as a user's Compose tool reads it:
//! `docker-compose` (1.29) and `docker compose` (v2), whichever are here,
//! accept it with every image replaced by a variable, and the containers
//! they create carry what chaosdeck relies on: the stop grace period that
//! chaosdeck's `stop` reads back (one home for it), TiKV's open-files limit,
//! every PD's client port at the address `--pd` tries by default. The
//! containers are those of the cluster: 1.29's `up --no-start` waits for
//! `preload` to complete before it creates `load`, so the load profile is
//! checked through `config`.
//!
//! Without any Compose tool the tests print `SKIP: ...` and pass;
//! `CHAOSDECK_REQUIRE_DOCKER=1` makes them fail instead. Containers are only
//! created (`up --no-start`), so no port is bound and nothing runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::{build_node_image, docker_or_skip, unique_project};
use chaosdeck::cli::DEFAULT_PD;
use chaosdeck::cluster::docker::control::{DEFAULT_STOP_TIMEOUT, stop_timeout_of};
use chaosdeck::doctor::COMPOSE_FILE_OPEN_FILES;

/// A Compose tool: the program and the words before its subcommand.
#[derive(Clone, Copy, Debug)]
struct Tool {
    program: &'static str,
    prefix: &'static [&'static str],
}

const TOOLS: [Tool; 2] = [
    Tool {
        program: "docker-compose",
        prefix: &[],
    },
    Tool {
        program: "docker",
        prefix: &["compose"],
    },
];

impl Tool {
    fn name(self) -> String {
        [self.program]
            .iter()
            .chain(self.prefix)
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn is_here(self) -> bool {
        Command::new(self.program)
            .args(self.prefix)
            .arg("version")
            .output()
            .is_ok_and(|out| out.status.success())
    }

    /// Runs the tool on the project's file with the images replaced.
    fn run(self, project: &str, image: &str, args: &[&str]) -> Output {
        Command::new(self.program)
            .args(self.prefix)
            .args([
                "--file",
                &compose_file().to_string_lossy(),
                "--project-name",
                project,
            ])
            .args(args)
            .env("PD_IMAGE", image)
            .env("TIKV_IMAGE", image)
            .env("LOAD_IMAGE", image)
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", self.name()))
    }
}

fn compose_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docker-compose.yaml")
}

/// The tools on this machine, or none after saying why the test is skipped
/// (a failure with `CHAOSDECK_REQUIRE_DOCKER=1`).
fn tools_or_skip() -> Vec<Tool> {
    let here: Vec<Tool> = TOOLS.into_iter().filter(|tool| tool.is_here()).collect();
    if here.is_empty() {
        if std::env::var("CHAOSDECK_REQUIRE_DOCKER").as_deref() == Ok("1") {
            panic!("CHAOSDECK_REQUIRE_DOCKER=1 but neither docker-compose nor docker compose runs");
        }
        eprintln!("SKIP: neither docker-compose nor docker compose runs here");
    }
    for tool in TOOLS.iter().filter(|tool| !tool.is_here()) {
        eprintln!(
            "note: {} is not here; the file is checked with the others",
            tool.name()
        );
    }
    here
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn every_compose_tool_here_accepts_the_file_with_its_images_replaced() {
    for tool in tools_or_skip() {
        let out = tool.run(
            "chaosdeck-config",
            "chaosdeck-test/local:1",
            &["--profile", "load", "config"],
        );
        let config = text(&out);
        assert!(out.status.success(), "{} config:\n{config}", tool.name());
        // Every service's image comes from a variable: none is left to pull.
        let images: Vec<&str> = config
            .lines()
            .filter_map(|line| line.trim().strip_prefix("image: "))
            .collect();
        assert_eq!(images.len(), 8, "{}:\n{config}", tool.name());
        assert!(
            images
                .iter()
                .all(|i| i.trim_matches('"') == "chaosdeck-test/local:1"),
            "{}: {images:?}",
            tool.name()
        );
        for needed in [
            "preload:",
            "load:",
            "service_completed_successfully",
            "operationcount=18000000",
            "--interval",
        ] {
            assert!(
                config.contains(needed),
                "{}: no {needed}:\n{config}",
                tool.name()
            );
        }
        let grace: Vec<&str> = config
            .lines()
            .filter_map(|line| line.trim().strip_prefix("stop_grace_period: "))
            .collect();
        assert_eq!(grace.len(), 8, "{}: every service has one", tool.name());
        assert!(
            grace.iter().all(|g| g.trim_matches('"') == "30s"),
            "{}: {grace:?}",
            tool.name()
        );

        // A limit that is not a number is refused before anything starts.
        let bad = Command::new(tool.program)
            .args(tool.prefix)
            .args(["--file", &compose_file().to_string_lossy(), "config"])
            .env("TIKV_NOFILE", "lots")
            .output()
            .expect("runs");
        assert!(
            !bad.status.success(),
            "{}: TIKV_NOFILE=lots accepted",
            tool.name()
        );
    }
}

#[test]
fn the_grace_period_is_the_containers_own_else_the_files_default() {
    assert_eq!(
        stop_timeout_of(Some(45), DEFAULT_STOP_TIMEOUT),
        Duration::from_secs(45)
    );
    assert_eq!(
        stop_timeout_of(None, DEFAULT_STOP_TIMEOUT),
        DEFAULT_STOP_TIMEOUT
    );
    // Docker's "wait for ever" is not followed.
    assert_eq!(
        stop_timeout_of(Some(-1), DEFAULT_STOP_TIMEOUT),
        DEFAULT_STOP_TIMEOUT
    );
}

/// Takes the created project down (containers, network, volumes), also
/// when the test fails.
struct Down {
    tool: Tool,
    project: String,
    image: String,
}

/// Removes the test's image, also when the test fails.
struct RemoveImage(String);

impl Drop for RemoveImage {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["image", "rm", "--force", &self.0])
            .output();
    }
}

impl Drop for Down {
    fn drop(&mut self) {
        let out = self.tool.run(
            &self.project,
            &self.image,
            &["--profile", "load", "down", "--volumes", "--timeout", "1"],
        );
        if !out.status.success() {
            eprintln!(
                "{} down failed; remove project {} by hand:\n{}",
                self.tool.name(),
                self.project,
                text(&out)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_containers_carry_the_grace_period_limits_and_ports_chaosdeck_uses() {
    let tools = tools_or_skip();
    let project = unique_project("compose");
    let Some(control) = docker_or_skip(&project).await else {
        return;
    };
    let image = format!("{project}-node:test");
    let _image = RemoveImage(image.clone());
    build_node_image(control.docker(), &image, &project).await;
    for tool in tools {
        let _down = Down {
            tool,
            project: project.clone(),
            image: image.clone(),
        };
        let out = tool.run(&project, &image, &["up", "--no-start", "--no-build"]);
        assert!(
            out.status.success(),
            "{} up --no-start:\n{}",
            tool.name(),
            text(&out)
        );

        let containers = control.containers().await.expect("listing");
        let services: Vec<&str> = containers.iter().map(|c| c.service.as_str()).collect();
        assert_eq!(
            services,
            ["pd0", "pd1", "pd2", "tikv0", "tikv1", "tikv2"],
            "{}",
            tool.name()
        );
        let mut pd_ports = Vec::new();
        for container in &containers {
            let inspect = control
                .docker()
                .inspect_container(&container.id, None)
                .await
                .expect("inspect");
            let config = inspect.config.clone().unwrap_or_default();
            let host = inspect.host_config.clone().unwrap_or_default();
            // What chaosdeck's stop will wait: the file's grace period.
            assert_eq!(
                stop_timeout_of(config.stop_timeout, Duration::ZERO),
                DEFAULT_STOP_TIMEOUT,
                "{} {}: StopTimeout {:?}",
                tool.name(),
                container.service,
                config.stop_timeout
            );
            if container.service.starts_with("tikv") {
                let nofile = chaosdeck::doctor::open_files_of(&inspect, None);
                assert_eq!(
                    nofile,
                    chaosdeck::doctor::OpenFiles::Set {
                        soft: COMPOSE_FILE_OPEN_FILES,
                        hard: COMPOSE_FILE_OPEN_FILES
                    },
                    "{} {}",
                    tool.name(),
                    container.service
                );
            }
            if container.service.starts_with("pd") {
                let bindings = host.port_bindings.unwrap_or_default();
                let published = bindings
                    .get("2379/tcp")
                    .and_then(|b| b.as_ref())
                    .and_then(|b| b.first())
                    .and_then(|b| b.host_port.clone())
                    .unwrap_or_default();
                pd_ports.push(format!("http://127.0.0.1:{published}"));
            }
        }
        assert_eq!(pd_ports, DEFAULT_PD, "{}: --pd's default", tool.name());
    }
}
