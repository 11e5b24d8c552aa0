//! What a new TiKV container would get, before the project has one. The
//! engine's default open-files limit is not in its API (`docker info` has
//! no default ulimits, and a created container's inspect body shows only
//! what it asked for), so it is probed: a throw-away container from a TiKV
//! image already on this machine (none is pulled), asking what the compose
//! file asks; when the engine refuses that, another asking nothing reads
//! what the engine grants. Each prints its own `/proc/self/limits` and is
//! removed.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig, ResourcesUlimits};
use bollard::query_parameters::{LogsOptions, RemoveContainerOptions};
use futures::StreamExt;

use super::Check;
use super::open_files::{
    COMPOSE_FILE_OPEN_FILES, Limit, TIKV_MIN_OPEN_FILES, figure, parse_proc_limits, short_error,
};

/// The TiKV image docker-compose.yaml runs when `TIKV_IMAGE` is not set.
pub const DEFAULT_TIKV_IMAGE: &str = "pingcap/tikv:v8.5.1";
/// The variables docker-compose.yaml reads for TiKV's image and limit.
pub const TIKV_IMAGE_ENV: &str = "TIKV_IMAGE";
pub const TIKV_NOFILE_ENV: &str = "TIKV_NOFILE";
/// Label on the probe's containers, so that one left by a killed doctor
/// can be told apart (`docker ps -a --filter label=dev.chaosdeck.doctor-probe`).
pub const PROBE_LABEL: &str = "dev.chaosdeck.doctor-probe";
/// How long a probe container has to print its limits.
const PROBE_WAIT: Duration = Duration::from_secs(5);
const PROBE_POLL: Duration = Duration::from_millis(100);

/// The image a probe runs, and how it is made to print its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeImage {
    pub image: String,
    /// Replaces the image's entrypoint; the command prints `/proc/self/limits`.
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=value` pairs.
    pub env: Vec<String>,
}

impl ProbeImage {
    /// The TiKV image as docker-compose.yaml names it (`TIKV_IMAGE`), made
    /// to `cat` its limits (the image has a shell and coreutils).
    pub fn tikv_from_env() -> Self {
        Self {
            image: std::env::var(TIKV_IMAGE_ENV)
                .ok()
                .filter(|image| !image.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_TIKV_IMAGE.to_string()),
            entrypoint: Some(vec!["cat".into(), "/proc/self/limits".into()]),
            env: Vec::new(),
        }
    }
}

/// What docker-compose.yaml asks for TiKV: `TIKV_NOFILE`, or its default.
pub fn asked_from_env() -> Limit {
    std::env::var(TIKV_NOFILE_ENV)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(COMPOSE_FILE_OPEN_FILES)
}

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewContainer {
    /// The engine starts a container with the limit asked for.
    Granted { asked: Limit },
    /// The engine refuses it; `grants` is the hard limit it gives a
    /// container that asks nothing, when that could be read.
    Refused {
        asked: Limit,
        error: String,
        grants: Option<Limit>,
    },
    /// The image is not on this machine (and is not pulled).
    NoImage { image: String },
    /// The probe itself failed.
    Failed { error: String },
}

/// Runs the probe against `docker` with `probe`, asking `asked` open files.
pub async fn probe_new_container(
    docker: &Docker,
    probe: &ProbeImage,
    asked: Limit,
) -> NewContainer {
    if docker.inspect_image(&probe.image).await.is_err() {
        return NewContainer::NoImage {
            image: probe.image.clone(),
        };
    }
    match limits_of_new_container(docker, probe, Some(asked)).await {
        Ok(_) => NewContainer::Granted { asked },
        Err(error) if error.contains("rlimit") => {
            let grants = limits_of_new_container(docker, probe, None)
                .await
                .ok()
                .flatten()
                .map(|(_, hard)| hard);
            NewContainer::Refused {
                asked,
                error: crate::text::clean_line(&error).into_owned(),
                grants,
            }
        }
        Err(error) => NewContainer::Failed {
            error: crate::text::clean_line(&error).into_owned(),
        },
    }
}

/// Starts a container asking `nofile` (or nothing) and reads the limits it
/// prints; `Err` with the engine's message when it cannot be started. The
/// container is removed whatever happens.
async fn limits_of_new_container(
    docker: &Docker,
    probe: &ProbeImage,
    nofile: Option<Limit>,
) -> Result<Option<(Limit, Limit)>, String> {
    let ulimits = nofile.map(|n| {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        vec![ResourcesUlimits {
            name: Some("nofile".into()),
            soft: Some(n),
            hard: Some(n),
        }]
    });
    let body = ContainerCreateBody {
        image: Some(probe.image.clone()),
        entrypoint: probe.entrypoint.clone(),
        env: Some(probe.env.clone()),
        labels: Some(HashMap::from([(PROBE_LABEL.to_string(), "1".to_string())])),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            ulimits,
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = docker
        .create_container(None, body)
        .await
        .map_err(|e| format!("cannot create a container from {}: {e}", probe.image))?;
    let outcome = match docker.start_container(&created.id, None).await {
        Ok(()) => Ok(printed_limits(docker, &created.id).await),
        Err(e) => Err(e.to_string()),
    };
    let _ = docker
        .remove_container(
            &created.id,
            Some(RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            }),
        )
        .await;
    outcome
}

/// The limits the container printed, once it has (within [`PROBE_WAIT`]).
async fn printed_limits(docker: &Docker, id: &str) -> Option<(Limit, Limit)> {
    let deadline = tokio::time::Instant::now() + PROBE_WAIT;
    loop {
        let options = LogsOptions {
            stdout: true,
            tail: "all".into(),
            ..Default::default()
        };
        let mut text = String::new();
        let mut logs = docker.logs(id, Some(options));
        while let Some(Ok(output)) = logs.next().await {
            if let LogOutput::StdOut { message } | LogOutput::Console { message } = output {
                text.push_str(&String::from_utf8_lossy(&message));
            }
        }
        if let Some(limits) = parse_proc_limits(&text) {
            return Some(limits);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(PROBE_POLL).await;
    }
}

/// The open-files row before any TiKV container exists. Pure.
pub fn new_container_check(found: &NewContainer, compose: &str) -> Check {
    const NAME: &str = "open files (TiKV)";
    let min = figure(TIKV_MIN_OPEN_FILES);
    match found {
        NewContainer::Granted { asked } if *asked >= TIKV_MIN_OPEN_FILES => Check::ok(
            NAME,
            format!(
                "no TiKV container yet: a new one gets {} as asked; TiKV needs {min}",
                figure(*asked)
            ),
        ),
        NewContainer::Granted { asked } => Check::warn(
            NAME,
            format!(
                "no TiKV container yet: a new one gets {} as asked ({TIKV_NOFILE_ENV}); TiKV needs {min}",
                figure(*asked)
            ),
            format!(
                "TiKV v8.5.1 exits at start below {min} open files: unset {TIKV_NOFILE_ENV} (the \
                 file asks {COMPOSE_FILE_OPEN_FILES}), or lower TiKV's rocksdb.max-open-files and \
                 raftdb.max-open-files to fit (see docs/real-cluster.md on the open-files limit)"
            ),
        ),
        NewContainer::Refused {
            asked,
            error,
            grants,
        } => {
            let grants_text = grants.map_or_else(String::new, |hard| {
                format!("; it grants {} to one that asks nothing", figure(hard))
            });
            let ask_for = grants.map_or_else(
                || format!("set {TIKV_NOFILE_ENV} to it"),
                |hard| format!("`{TIKV_NOFILE_ENV}={hard} {compose} up -d`"),
            );
            Check::fail(
                NAME,
                format!(
                    "no TiKV container yet: the engine refuses a new one {} open files ({}){grants_text}; \
                     TiKV needs {min}",
                    figure(*asked),
                    short_error(error)
                ),
                format!(
                    "raise the engine's limit (`sudo systemctl edit docker`, LimitNOFILE=1048576, \
                     restart Docker), or ask for what it grants ({ask_for}) and lower TiKV's \
                     rocksdb.max-open-files and raftdb.max-open-files to fit (see \
                     docs/real-cluster.md on the open-files limit)"
                ),
            )
        }
        NewContainer::NoImage { image } => Check::warn(
            NAME,
            format!(
                "no TiKV container yet, and no {image} image here to probe what a new one gets"
            ),
            format!("`docker pull {image}` (or `{compose} pull`), then run doctor again"),
        ),
        NewContainer::Failed { error } => Check::warn(
            NAME,
            format!("no TiKV container yet; probing what a new one gets failed: {error}"),
            "start the cluster and run doctor again: the row then reads each TiKV container",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn a_refused_limit_fails_with_what_the_engine_grants_and_both_fixes() {
        let check = new_container_check(
            &NewContainer::Refused {
                asked: 262_144,
                error: "failed to create shim task: OCI runtime create failed: error setting \
                        rlimit type 7: operation not permitted: unknown"
                    .into(),
                grants: Some(20_000),
            },
            "docker-compose -p demo",
        );
        assert_eq!(check.status, Status::Fail);
        assert_eq!(
            check.detail,
            "no TiKV container yet: the engine refuses a new one 262,144 open files (error \
             setting rlimit type 7: operation not permitted); it grants 20,000 to one that asks \
             nothing; TiKV needs 82,920"
        );
        let hint = check.hint.unwrap();
        assert!(hint.contains("LimitNOFILE=1048576"), "{hint}");
        assert!(
            hint.contains("`TIKV_NOFILE=20000 docker-compose -p demo up -d`"),
            "{hint}"
        );
    }

    #[test]
    fn a_granted_limit_passes_unless_it_is_below_what_tikv_needs() {
        let enough =
            new_container_check(&NewContainer::Granted { asked: 262_144 }, "docker-compose");
        assert_eq!(enough.status, Status::Ok, "{enough:?}");
        let low = new_container_check(&NewContainer::Granted { asked: 20_000 }, "docker-compose");
        assert_eq!(low.status, Status::Warn);
        assert!(
            low.detail.contains("gets 20,000 as asked (TIKV_NOFILE)"),
            "{low:?}"
        );
        let none = new_container_check(
            &NewContainer::NoImage {
                image: DEFAULT_TIKV_IMAGE.into(),
            },
            "docker compose",
        );
        assert_eq!(none.status, Status::Warn);
        assert!(
            none.hint
                .unwrap()
                .contains("`docker pull pingcap/tikv:v8.5.1`"),
            "never pulled by doctor itself"
        );
    }
}
