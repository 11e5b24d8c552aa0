//! Packet loss on Docker: iptables DROP rules with the `statistic` match
//! (`--mode random`) in a chain chaosdeck owns, [`CHAIN`], inside the
//! target's network namespace. Removal is the chain flushed and deleted,
//! with the jumps to it. netem is never used: many kernels (this machine's,
//! WSL2's, minikube's) are built without it.
//!
//! The rules are written by a helper container that lives for one command:
//! it shares the target's network (`network_mode: container:<id>`), has
//! `NET_ADMIN`, and runs `iptables-restore` on a file uploaded before it
//! starts, so the change is one transaction: all of it lands or none does.
//! TiKV's image has no iptables and needs no capability for this. The
//! helper image is built locally (`assets/netfault/`: the host's own
//! iptables in a `FROM scratch` image, or Alpine's where a registry is
//! reachable).
//!
//! The text in and out of iptables is built and read by pure functions
//! here, tested without an engine.

use std::time::Duration;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, LogsOptions, RemoveContainerOptions, UploadToContainerOptions,
    WaitContainerOptions,
};
use futures::StreamExt;

use super::control::map_engine_error;
use crate::cluster::BackendError;

/// The chain chaosdeck owns in a target's filter table.
pub const CHAIN: &str = "CHAOSDECK-LOSS";
/// The helper image unless `--net-helper-image` names another.
pub const DEFAULT_IMAGE: &str = "chaosdeck-netfault:local";
/// Label on every helper container, so a stray one is told from the project's.
pub const HELPER_LABEL: &str = "io.chaosdeck.helper";
/// Where the rules file is put in the helper.
pub const RULES_PATH: &str = "/chaosdeck.rules";
/// A helper's whole life: create, upload, run, read, remove.
const HELPER_DEADLINE: Duration = Duration::from_secs(20);
/// The most of a helper's output kept.
const OUTPUT_LIMIT: usize = 64 * 1024;

/// `iptables-restore --noflush` input that adds the chain, its DROP rule
/// and a jump to it from INPUT and OUTPUT (loopback spared: a node's talk
/// to itself is no network). `-N` fails when the chain is there already,
/// so a second loss is refused rather than stacked.
pub fn adding(percent: f64) -> String {
    let probability = (percent / 100.0).clamp(0.0, 1.0);
    format!(
        "*filter\n\
         -N {CHAIN}\n\
         -A {CHAIN} -m statistic --mode random --probability {probability:.5} -j DROP\n\
         -I INPUT 1 ! -i lo -j {CHAIN}\n\
         -I OUTPUT 1 ! -o lo -j {CHAIN}\n\
         COMMIT\n"
    )
}

/// The input that removes what `listing` (`iptables -S`) shows of ours:
/// every jump to the chain deleted, then the chain flushed and deleted.
/// `None` when there is nothing of ours.
pub fn removing(listing: &str) -> Option<String> {
    let mut lines = Vec::new();
    let mut chain = false;
    for line in listing.lines().map(str::trim) {
        if line == format!("-N {CHAIN}") {
            chain = true;
        } else if let Some(rule) = line.strip_prefix("-A ")
            && !rule.starts_with(CHAIN)
            && rule.ends_with(&format!("-j {CHAIN}"))
        {
            lines.push(format!("-D {rule}"));
        }
    }
    if chain {
        lines.push(format!("-F {CHAIN}"));
        lines.push(format!("-X {CHAIN}"));
    }
    (!lines.is_empty()).then(|| format!("*filter\n{}\nCOMMIT\n", lines.join("\n")))
}

/// The share of packets our chain drops, in percent, as `listing` shows
/// it: `None` when the chain has no DROP rule of ours.
pub fn loss_in(listing: &str) -> Option<f64> {
    listing.lines().find_map(|line| {
        let rule = line.trim().strip_prefix(&format!("-A {CHAIN} "))?;
        if !rule.ends_with("-j DROP") {
            return None;
        }
        let mut words = rule.split_whitespace();
        words.find(|w| *w == "--probability")?;
        let probability: f64 = words.next()?.parse().ok()?;
        (0.0..=1.0)
            .contains(&probability)
            .then_some(probability * 100.0)
    })
}

/// What a helper ran in.
#[derive(Debug, Clone, Copy)]
pub enum Netns<'a> {
    /// The network namespace of this container (its id).
    Of(&'a str),
    /// A namespace of its own, gone with it (for a probe that harms nothing).
    Own,
}

/// A helper's exit code and what it wrote (stdout and stderr together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub code: i64,
    pub output: String,
}

/// Runs the helper image once: `program args…` in `netns`, with `rules`
/// put at [`RULES_PATH`] first when given. The container is removed
/// whatever happens; past [`HELPER_DEADLINE`] it is given up.
pub async fn run_helper(
    docker: &Docker,
    host: &str,
    image: &str,
    netns: Netns<'_>,
    command: &[&str],
    rules: Option<&str>,
) -> Result<Ran, BackendError> {
    let fail = |action: &str, e| map_engine_error(host, action, "the packet-loss helper", e);
    let network_mode = match netns {
        Netns::Of(id) => format!("container:{id}"),
        Netns::Own => "none".to_string(),
    };
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        entrypoint: Some(command.iter().map(|s| s.to_string()).collect()),
        labels: Some([(HELPER_LABEL.to_string(), "netfault".to_string())].into()),
        host_config: Some(HostConfig {
            network_mode: Some(network_mode),
            cap_add: Some(vec!["NET_ADMIN".to_string()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = docker
        .create_container(None::<CreateContainerOptions>, body)
        .await
        .map_err(|e| match &e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            } => BackendError::Refused(format!(
                "the packet-loss helper image `{image}` is not on this engine; build it with \
                 assets/netfault/build-image.sh (see docs/real-cluster.md)"
            )),
            _ => fail("create", e),
        })?;
    let id = created.id;
    let ran = tokio::time::timeout(HELPER_DEADLINE, async {
        if let Some(rules) = rules {
            docker
                .upload_to_container(
                    &id,
                    Some(UploadToContainerOptions {
                        path: "/".into(),
                        ..Default::default()
                    }),
                    bollard::body_full(tar_of(RULES_PATH, rules.as_bytes()).into()),
                )
                .await
                .map_err(|e| fail("upload the rules to", e))?;
        }
        docker
            .start_container(&id, None)
            .await
            .map_err(|e| fail("start", e))?;
        let mut waits = docker.wait_container(&id, None::<WaitContainerOptions>);
        let code = match waits.next().await {
            Some(Ok(exit)) => exit.status_code,
            // A non-zero exit arrives as this error, with its code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
            Some(Err(e)) => return Err(fail("wait for", e)),
            None => -1,
        };
        Ok(Ran {
            code,
            output: output_of(docker, &id).await,
        })
    })
    .await;
    let removed = docker
        .remove_container(
            &id,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await;
    if let Err(e) = removed {
        tracing::warn!(%e, helper = %id, "a packet-loss helper container was not removed");
    }
    ran.unwrap_or_else(|_| Err(BackendError::NoAnswer(HELPER_DEADLINE.as_secs())))
}

/// Everything the helper wrote, up to [`OUTPUT_LIMIT`].
async fn output_of(docker: &Docker, id: &str) -> String {
    let mut logs = docker.logs(
        id,
        Some(LogsOptions {
            stdout: true,
            stderr: true,
            ..Default::default()
        }),
    );
    let mut bytes = Vec::new();
    while let Some(Ok(chunk)) = logs.next().await {
        let message = match chunk {
            LogOutput::StdOut { message }
            | LogOutput::StdErr { message }
            | LogOutput::Console { message }
            | LogOutput::StdIn { message } => message,
        };
        bytes.extend_from_slice(&message);
        if bytes.len() > OUTPUT_LIMIT {
            bytes.truncate(OUTPUT_LIMIT);
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A tar archive holding one file, as the engine's archive upload takes it.
fn tar_of(path: &str, contents: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_size(contents.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    let mut archive = tar::Builder::new(Vec::new());
    archive
        .append_data(&mut header, path.trim_start_matches('/'), contents)
        .expect("writing to memory does not fail");
    archive
        .into_inner()
        .expect("writing to memory does not fail")
}

/// What went wrong in a helper that ran, in one line.
pub fn trouble(ran: &Ran) -> String {
    let first = ran
        .output
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("no output");
    format!(
        "iptables exited with {}: {}",
        ran.code,
        crate::text::excerpt(first, 200)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `iptables -S` prints (iptables 1.8.9, nf_tables) once
    /// [`adding`]'s rules are in, seen on this machine's engine.
    const LISTED: &str = "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n\
        -N CHAOSDECK-LOSS\n-A INPUT ! -i lo -j CHAOSDECK-LOSS\n\
        -A OUTPUT ! -o lo -j CHAOSDECK-LOSS\n\
        -A CHAOSDECK-LOSS -m statistic --mode random --probability 0.29999999981 -j DROP\n";

    #[test]
    fn the_rules_add_one_chain_and_two_jumps() {
        let rules = adding(30.0);
        assert!(rules.starts_with("*filter\n-N CHAOSDECK-LOSS\n"));
        assert!(rules.contains("--probability 0.30000 -j DROP"));
        assert!(rules.contains("-I INPUT 1 ! -i lo -j CHAOSDECK-LOSS"));
        assert!(rules.contains("-I OUTPUT 1 ! -o lo -j CHAOSDECK-LOSS"));
        assert!(rules.ends_with("COMMIT\n"));
        assert!(adding(250.0).contains("--probability 1.00000"));
    }

    #[test]
    fn removal_undoes_exactly_what_is_listed() {
        assert_eq!(
            removing(LISTED).unwrap(),
            "*filter\n-D INPUT ! -i lo -j CHAOSDECK-LOSS\n-D OUTPUT ! -o lo -j CHAOSDECK-LOSS\n\
             -F CHAOSDECK-LOSS\n-X CHAOSDECK-LOSS\nCOMMIT\n"
        );
        assert_eq!(removing("-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n"), None);
        // Half a removal left by hand: what is there goes, nothing else.
        let jump_only = "-P INPUT ACCEPT\n-A INPUT ! -i lo -j CHAOSDECK-LOSS\n";
        assert_eq!(
            removing(jump_only).unwrap(),
            "*filter\n-D INPUT ! -i lo -j CHAOSDECK-LOSS\nCOMMIT\n"
        );
        // Other people's rules are left alone.
        assert_eq!(removing("-N OTHER\n-A INPUT -j OTHER\n"), None);
    }

    #[test]
    fn the_loss_reads_back_from_the_listing() {
        let percent = loss_in(LISTED).unwrap();
        assert!((percent - 30.0).abs() < 1e-6, "{percent}");
        assert_eq!(loss_in("-N CHAOSDECK-LOSS\n"), None);
        assert_eq!(
            loss_in("-A CHAOSDECK-LOSS -m statistic --mode random --probability x -j DROP"),
            None
        );
    }

    #[test]
    fn the_upload_is_one_file_in_a_tar() {
        let tar = tar_of(RULES_PATH, b"*filter\nCOMMIT\n");
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(entries, ["chaosdeck.rules"]);
    }

    #[test]
    fn a_failed_helper_says_its_first_line() {
        let ran = Ran {
            code: 1,
            output: "\niptables-restore v1.8.9 (nf_tables): Chain already exists\nError occurred at line: 2\n".into(),
        };
        assert_eq!(
            trouble(&ran),
            "iptables exited with 1: iptables-restore v1.8.9 (nf_tables): Chain already exists"
        );
    }
}
