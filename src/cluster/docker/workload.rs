//! The Docker side of the workload feeds ([`crate::cluster::feeds`]): the
//! load container's output as lines, and the host ports Compose published
//! for the TiKV status ports.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::connect::docker_host;
use super::control::DockerControl;
use super::logs::{LogFollowConfig, follow_log};
use crate::clock::ShowClock;
use crate::cluster::feeds::parse_load_lines;
use crate::cluster::feeds::{LoadSeen, StatusReach, TIKV_STATUS_PORT, forward_parsed};
use crate::cluster::pd::address_host;
use crate::workload::WorkloadSample;

/// Sends the samples of the project's load service's output to `samples`,
/// marking `seen`, until `cancel` fires or `samples` is dropped.
pub async fn forward_service_output(
    control: DockerControl,
    clock: ShowClock,
    samples: mpsc::Sender<WorkloadSample>,
    seen: LoadSeen,
    cancel: CancellationToken,
) {
    forward_parsed(samples, seen, cancel, |parsed, stop| {
        parse_service_output(control, clock, parsed, stop)
    })
    .await;
}

/// Follows the first load service's output and parses it (go-ycsb or Java
/// YCSB, detected), waiting for such a service to appear.
async fn parse_service_output(
    control: DockerControl,
    clock: ShowClock,
    samples: mpsc::Sender<WorkloadSample>,
    cancel: CancellationToken,
) {
    let service = loop {
        match control.load_service().await {
            Ok(Some(service)) => break service,
            Ok(None) => tracing::debug!("no load service in the project yet"),
            Err(error) => tracing::debug!(%error, "cannot list the load service"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    };
    tracing::info!(%service, "following the load generator's output");
    let (lines_tx, lines) = mpsc::channel(256);
    // The parse ends when the samples' receiver goes or on `cancel`; the
    // follow goes with it.
    tokio::select! {
        () = follow_log(control, service, lines_tx, LogFollowConfig::default(), cancel.child_token()) => {}
        () = parse_load_lines(lines, clock, samples, cancel) => {}
    }
}

/// Status ports reached through the host ports Compose published for them
/// (on the engine's host), or as PD gives them where none is published.
pub struct PublishedPorts {
    pub control: DockerControl,
}

#[async_trait]
impl StatusReach for PublishedPorts {
    async fn reach(&self, addresses: Vec<(u64, String)>) -> Vec<(u64, String)> {
        let containers = self.control.containers().await.unwrap_or_default();
        let published: HashMap<String, u16> = containers
            .iter()
            .filter_map(|c| Some((c.service.clone(), c.host_port(TIKV_STATUS_PORT)?)))
            .collect();
        let host = reachable_host(&docker_host());
        addresses
            .into_iter()
            .map(|(id, address)| (id, scrape_address(&address, &published, &host)))
            .collect()
    }
}

/// Where to scrape a store whose status address is `address` (e.g.
/// `tikv1:20180`, a name only the Compose network resolves): the host port
/// Compose published for its service when there is one, else the address.
pub fn scrape_address(address: &str, published: &HashMap<String, u16>, host: &str) -> String {
    match published.get(address_host(address)) {
        Some(port) => format!("{host}:{port}"),
        None => address.to_string(),
    }
}

/// The host that published ports are on: the engine's host for a TCP
/// `DOCKER_HOST`, else this machine.
pub fn reachable_host(docker_host: &str) -> String {
    let remote = docker_host
        .strip_prefix("tcp://")
        .or_else(|| docker_host.strip_prefix("http://"))
        .or_else(|| docker_host.strip_prefix("https://"));
    match remote.map(address_host) {
        Some(host) if !host.is_empty() => host.to_string(),
        _ => "127.0.0.1".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_addresses_go_through_published_ports() {
        let published = HashMap::from([("tikv1".to_string(), 20181)]);
        assert_eq!(
            scrape_address("tikv1:20180", &published, "127.0.0.1"),
            "127.0.0.1:20181"
        );
        assert_eq!(
            scrape_address("tikv2:20180", &published, "127.0.0.1"),
            "tikv2:20180"
        );
    }

    #[test]
    fn the_engine_host_serves_published_ports() {
        assert_eq!(reachable_host("unix:///var/run/docker.sock"), "127.0.0.1");
        assert_eq!(reachable_host("tcp://10.0.0.9:2375"), "10.0.0.9");
        assert_eq!(reachable_host("tcp://"), "127.0.0.1");
    }
}
