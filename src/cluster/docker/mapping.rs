//! Docker's types into the project's own: container summaries into
//! [`ProjectContainer`] and [`Process`], engine events into [`EventKind`].
//! Pure functions, fed in tests with real API samples. Every name taken from
//! the engine (service, container, image, network, state, health) is cleaned
//! here, where it enters: labels are whatever a Compose file said.

use std::collections::HashMap;

use bollard::models::{
    ContainerState, ContainerStateStatusEnum, ContainerSummary, ContainerSummaryHealthStatusEnum,
    ContainerSummaryStateEnum, EventMessage, EventMessageTypeEnum,
};

use super::labels::{
    CONTAINER_NUMBER_LABEL, ONEOFF_LABEL, PROJECT_LABEL, SERVICE_LABEL, classify_role,
    service_of_address,
};
use crate::cluster::{EventKind, NodeRole, Process, ProcessState, Store};
use crate::text::clean_line;

/// Networks every container may sit on that never belong to a project.
const DEFAULT_NETWORKS: [&str; 3] = ["bridge", "host", "none"];

/// One container of the Compose project, as the listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectContainer {
    pub id: String,
    /// Without the leading `/`; differs between Compose versions, shown only.
    pub name: String,
    pub service: String,
    /// Replica number within the service (1 when Compose did not say).
    pub number: u32,
    pub role: NodeRole,
    pub image: String,
    pub state: ProcessState,
    /// `healthy`, `unhealthy` or `starting` when the service has a healthcheck.
    pub health: Option<String>,
    /// Names of the networks the container is attached to, sorted.
    pub networks: Vec<String>,
    /// Ports published on the host: (container port, host port), sorted.
    pub published_ports: Vec<(u16, u16)>,
}

impl ProjectContainer {
    /// The process as the show sees it. `project_networks` are the networks
    /// the project owns; when unknown (empty) any user-defined network counts.
    /// The store it serves is PD's to say: see [`store_served`].
    pub fn process(&self, project_networks: &[String]) -> Process {
        Process {
            service: self.service.clone(),
            role: self.role,
            state: self.state.clone(),
            network_connected: is_network_connected(&self.networks, project_networks),
            store: None,
            cpu_limit: None,
            packet_loss: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.state == ProcessState::Running
    }

    /// The host port publishing the container's `private` port, if any.
    pub fn host_port(&self, private: u16) -> Option<u16> {
        self.published_ports
            .iter()
            .find(|(p, _)| *p == private)
            .map(|(_, public)| *public)
    }
}

/// The store a Compose service's container serves: the one store whose
/// address PD gives with the service's name as its host (`tikv1:20160`),
/// the name Compose's network resolves to the container. `None` when no
/// store or several do (stores sharing a host, as `127.0.0.1:20161`, are
/// not told apart by a service name).
pub fn store_served(service: &str, stores: &[Store]) -> Option<u64> {
    let mut serving = stores
        .iter()
        .filter(|store| service_of_address(&store.address) == service);
    match (serving.next(), serving.next()) {
        (Some(store), None) => Some(store.id),
        _ => None,
    }
}

/// Each process with the store it serves (see [`store_served`]).
pub fn join_stores(processes: &mut [Process], stores: &[Store]) {
    for process in processes {
        process.store = store_served(&process.service, stores);
    }
}

/// True when attached to at least one of the project's networks.
pub fn is_network_connected(networks: &[String], project_networks: &[String]) -> bool {
    networks
        .iter()
        .any(|network| is_project_network(network, project_networks))
}

/// Whether `network` is one of the project's (any user-defined network when
/// the project's networks are unknown).
pub fn is_project_network(network: &str, project_networks: &[String]) -> bool {
    if project_networks.is_empty() {
        !DEFAULT_NETWORKS.contains(&network)
    } else {
        project_networks.iter().any(|n| n == network)
    }
}

/// The container as a member of `project`, or `None` when it belongs to
/// another project, has no service label or is a one-off `run` container.
pub fn project_container(summary: &ContainerSummary, project: &str) -> Option<ProjectContainer> {
    let labels = summary.labels.as_ref()?;
    if labels.get(PROJECT_LABEL).map(String::as_str) != Some(project) {
        return None;
    }
    if labels
        .get(ONEOFF_LABEL)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return None;
    }
    let service = clean(labels.get(SERVICE_LABEL)?);
    let id = clean(summary.id.as_deref()?);
    let image = clean(summary.image.as_deref().unwrap_or_default());
    let status = summary.status.as_deref().unwrap_or("");
    let mut networks: Vec<String> = summary
        .network_settings
        .as_ref()
        .and_then(|settings| settings.networks.as_ref())
        .map(|networks| networks.keys().map(|name| clean(name)).collect())
        .unwrap_or_default();
    networks.sort();
    let mut published_ports: Vec<(u16, u16)> = summary
        .ports
        .iter()
        .flatten()
        .filter_map(|port| Some((port.private_port, port.public_port?)))
        .collect();
    published_ports.sort_unstable();
    published_ports.dedup();
    Some(ProjectContainer {
        name: summary
            .names
            .as_ref()
            .and_then(|names| names.first())
            .map(|name| clean(name.trim_start_matches('/')))
            .unwrap_or_else(|| id.chars().take(12).collect()),
        id,
        number: labels
            .get(CONTAINER_NUMBER_LABEL)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1),
        role: classify_role(&service, &image),
        service,
        image,
        state: summary_state(summary.state, status),
        health: summary
            .health
            .as_ref()
            .and_then(|h| h.status)
            .and_then(summary_health_name)
            .map(str::to_string)
            .or_else(|| health_from_status(status).map(str::to_string)),
        networks,
        published_ports,
    })
}

/// Every container of `project` in a listing, sorted by service then replica.
pub fn project_containers(summaries: &[ContainerSummary], project: &str) -> Vec<ProjectContainer> {
    let mut containers: Vec<_> = summaries
        .iter()
        .filter_map(|s| project_container(s, project))
        .collect();
    containers.sort_by(|a, b| (&a.service, a.number).cmp(&(&b.service, b.number)));
    containers
}

fn summary_health_name(status: ContainerSummaryHealthStatusEnum) -> Option<&'static str> {
    match status {
        ContainerSummaryHealthStatusEnum::HEALTHY => Some("healthy"),
        ContainerSummaryHealthStatusEnum::UNHEALTHY => Some("unhealthy"),
        ContainerSummaryHealthStatusEnum::STARTING => Some("starting"),
        _ => None,
    }
}

/// The listing's state, with the exit code read from the human status text
/// (`Exited (137) 5 seconds ago`): the summary has no exit code field.
pub fn summary_state(state: Option<ContainerSummaryStateEnum>, status: &str) -> ProcessState {
    use ContainerSummaryStateEnum as S;
    match state {
        Some(S::RUNNING) => ProcessState::Running,
        Some(S::PAUSED) => ProcessState::Paused,
        Some(S::EXITED | S::DEAD) => ProcessState::Exited {
            exit_code: exit_code_from_status(status),
        },
        Some(other) => other_state(other.to_string()),
        None => other_state(String::new()),
    }
}

fn other_state(name: String) -> ProcessState {
    ProcessState::Other(if name.is_empty() {
        "unknown".to_string()
    } else {
        clean(&name)
    })
}

fn clean(text: &str) -> String {
    clean_line(text).into_owned()
}

/// `Exited (137) 5 seconds ago` gives 137.
pub fn exit_code_from_status(status: &str) -> Option<i64> {
    let rest = status.trim_start().strip_prefix("Exited (")?;
    rest.split(')').next()?.trim().parse().ok()
}

/// `Up 3 hours (healthy)` gives `healthy`; `(health: starting)` gives `starting`.
pub fn health_from_status(status: &str) -> Option<&'static str> {
    if status.contains("(healthy)") {
        Some("healthy")
    } else if status.contains("(unhealthy)") {
        Some("unhealthy")
    } else if status.contains("(health: starting)") {
        Some("starting")
    } else {
        None
    }
}

/// The process state from `GET /containers/{id}/json`, with the exact exit code.
pub fn inspect_state(state: &ContainerState) -> ProcessState {
    use ContainerStateStatusEnum as S;
    match state.status {
        Some(S::RUNNING) if state.paused == Some(true) => ProcessState::Paused,
        Some(S::RUNNING) => ProcessState::Running,
        Some(S::PAUSED) => ProcessState::Paused,
        Some(S::EXITED | S::DEAD) => ProcessState::Exited {
            exit_code: state.exit_code,
        },
        Some(other) => other_state(other.to_string()),
        None if state.running == Some(true) => ProcessState::Running,
        None => other_state(String::new()),
    }
}

/// The health status from an inspect body (`none` when there is no healthcheck).
pub fn inspect_health(state: &ContainerState) -> Option<String> {
    let status = state.health.as_ref()?.status?;
    let name = clean(status.as_ref());
    (!name.is_empty() && name != "none").then_some(name)
}

/// What the events mapping needs to know beyond the event itself.
#[derive(Debug, Clone, Default)]
pub struct EventContext {
    /// Container id to service, for network events (which carry no labels).
    pub services_by_id: HashMap<String, String>,
    /// The project's networks; empty when unknown.
    pub project_networks: Vec<String>,
}

/// A Docker event about one of the project's services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEvent {
    pub container_id: String,
    pub service: String,
    pub kind: EventKind,
}

/// The event filter for `GET /events`: container and network events of the
/// kinds the show cares about. The project is checked in [`map_event`]
/// because network events carry the network's attributes, not the
/// container's labels, so a label filter would drop them.
pub fn events_filter() -> HashMap<String, Vec<String>> {
    let actions = [
        "die",
        "kill",
        "stop",
        "start",
        "pause",
        "unpause",
        "health_status",
        "connect",
        "disconnect",
    ];
    HashMap::from([
        (
            "type".to_string(),
            vec!["container".to_string(), "network".to_string()],
        ),
        (
            "event".to_string(),
            actions.iter().map(|a| a.to_string()).collect(),
        ),
    ])
}

/// Maps an engine event to an event of one of `project`'s services.
///
/// `die` carries the exit code (137 after SIGKILL). `kill` and `stop` are not
/// mapped: a signal alone changes nothing (PID 1 may ignore SIGTERM) and the
/// `die` that follows says what happened. Network events count only for the
/// project's networks and containers.
pub fn map_event(
    message: &EventMessage,
    project: &str,
    ctx: &EventContext,
) -> Option<ServiceEvent> {
    let action = message.action.as_deref()?;
    let actor = message.actor.as_ref()?;
    let empty = HashMap::new();
    let attributes = actor.attributes.as_ref().unwrap_or(&empty);
    match message.typ? {
        EventMessageTypeEnum::CONTAINER => {
            if attributes.get(PROJECT_LABEL).map(String::as_str) != Some(project) {
                return None;
            }
            let service = clean(attributes.get(SERVICE_LABEL)?);
            let kind = container_event_kind(action, attributes)?;
            Some(ServiceEvent {
                container_id: clean(actor.id.as_deref()?),
                service,
                kind,
            })
        }
        EventMessageTypeEnum::NETWORK => {
            let network = clean(attributes.get("name")?);
            if !is_project_network(&network, &ctx.project_networks) {
                return None;
            }
            let container_id = clean(attributes.get("container")?);
            let service = ctx.services_by_id.get(&container_id)?.clone();
            let kind = match action {
                "disconnect" => EventKind::NetworkDisconnected,
                "connect" => EventKind::NetworkReconnected,
                _ => return None,
            };
            Some(ServiceEvent {
                container_id,
                service,
                kind,
            })
        }
        _ => None,
    }
}

fn container_event_kind(action: &str, attributes: &HashMap<String, String>) -> Option<EventKind> {
    // `health_status: healthy` (the value rides in the action string).
    if let Some(status) = action.strip_prefix("health_status") {
        let status = status.trim_start_matches(':').trim();
        return (!status.is_empty()).then(|| EventKind::Health(clean(status)));
    }
    match action {
        "die" => Some(EventKind::Died {
            exit_code: attributes.get("exitCode").and_then(|c| c.parse().ok()),
        }),
        "start" => Some(EventKind::Started),
        "pause" => Some(EventKind::Paused),
        "unpause" => Some(EventKind::Unpaused),
        _ => None,
    }
}

/// The last known state of a service, to turn two listings into events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub state: ProcessState,
    pub network_connected: bool,
    pub health: Option<String>,
}

impl Observed {
    pub fn of(container: &ProjectContainer, project_networks: &[String]) -> Self {
        Self {
            state: container.state.clone(),
            network_connected: is_network_connected(&container.networks, project_networks),
            health: container.health.clone(),
        }
    }

    /// Folds an event in, so that a later listing showing the same change
    /// does not report it twice.
    pub fn apply(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Died { exit_code } => {
                self.state = ProcessState::Exited {
                    exit_code: *exit_code,
                }
            }
            EventKind::Started | EventKind::Unpaused => self.state = ProcessState::Running,
            EventKind::Paused => self.state = ProcessState::Paused,
            EventKind::NetworkDisconnected => self.network_connected = false,
            EventKind::NetworkReconnected => self.network_connected = true,
            EventKind::Health(status) => self.health = Some(status.clone()),
        }
    }

    /// Folds an event from the stream in and says whether it is news.
    ///
    /// Not news: what the picture already shows (the listing saw it first,
    /// or the engine repeats itself: 20.10 sends two `disconnect`s for one
    /// `docker network disconnect`), and network events of a container that
    /// is not alive: the engine releases the endpoint when a container dies
    /// and attaches it again just before it starts, which is not a partition.
    pub fn absorb(&mut self, kind: &EventKind) -> bool {
        let alive = matches!(self.state, ProcessState::Running | ProcessState::Paused);
        if matches!(
            kind,
            EventKind::NetworkDisconnected | EventKind::NetworkReconnected
        ) && !alive
        {
            return false;
        }
        let before = self.clone();
        self.apply(kind);
        *self != before
    }
}

/// The events that explain how a service went from `before` to `after`, for
/// changes the event stream missed (it was down, or an event was dropped).
pub fn changes_between(before: &Observed, after: &Observed) -> Vec<EventKind> {
    let mut events = Vec::new();
    if before.state != after.state {
        match (&before.state, &after.state) {
            (_, ProcessState::Exited { exit_code }) => events.push(EventKind::Died {
                exit_code: *exit_code,
            }),
            (ProcessState::Paused, ProcessState::Running) => events.push(EventKind::Unpaused),
            (_, ProcessState::Paused) => events.push(EventKind::Paused),
            (_, ProcessState::Running) => events.push(EventKind::Started),
            (_, ProcessState::Other(_)) => {}
        }
    }
    if before.network_connected != after.network_connected {
        events.push(if after.network_connected {
            EventKind::NetworkReconnected
        } else {
            EventKind::NetworkDisconnected
        });
    }
    if before.health != after.health
        && let Some(health) = &after.health
    {
        events.push(EventKind::Health(health.clone()));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/docker/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn events(name: &str) -> Vec<EventMessage> {
        fixture(name)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("an event per line"))
            .collect()
    }

    #[test]
    fn a_compose_v1_listing_maps_its_project_container_only() {
        let summaries: Vec<ContainerSummary> = serde_json::from_str(&fixture(
            "containers_json_v1.39_all1_compose1.23.1_go-horse.json",
        ))
        .expect("listing parses");
        let containers = project_containers(&summaries, "go-horse");
        assert_eq!(containers.len(), 1, "the unlabelled redis is not ours");
        let proxy = &containers[0];
        assert_eq!(proxy.service, "proxy");
        assert_eq!(proxy.name, "go-horse_proxy_1_cee5d01ac3ca");
        assert_eq!(proxy.number, 1);
        assert_eq!(proxy.role, NodeRole::Other);
        assert_eq!(proxy.state, ProcessState::Other("created".into()));
        assert_eq!(proxy.networks, vec!["bridge".to_string()]);
        // On the default bridge only: not on any project network.
        let process = proxy.process(&[]);
        assert!(!process.network_connected);
        assert!(project_containers(&summaries, "other").is_empty());
    }

    #[test]
    fn exit_codes_and_health_come_from_the_status_text() {
        assert_eq!(exit_code_from_status("Exited (255) 2 days ago"), Some(255));
        assert_eq!(
            exit_code_from_status("Exited (137) 5 seconds ago"),
            Some(137)
        );
        assert_eq!(exit_code_from_status("Up 4 days"), None);
        assert_eq!(
            summary_state(
                Some(ContainerSummaryStateEnum::EXITED),
                "Exited (143) 1 second ago"
            ),
            ProcessState::Exited {
                exit_code: Some(143)
            }
        );
        assert_eq!(health_from_status("Up 3 hours (healthy)"), Some("healthy"));
        assert_eq!(
            health_from_status("Up 1 second (health: starting)"),
            Some("starting")
        );
        assert_eq!(health_from_status("Up 3 hours"), None);
    }

    #[test]
    fn the_exited_container_of_the_listing_keeps_its_exit_code() {
        let mut summaries: Vec<ContainerSummary> = serde_json::from_str(&fixture(
            "containers_json_v1.39_all1_compose1.23.1_go-horse.json",
        ))
        .expect("listing parses");
        // Give the non-compose `redis` container compose labels.
        let redis = &mut summaries[1];
        redis.labels = Some(HashMap::from([
            (PROJECT_LABEL.to_string(), "demo".to_string()),
            (SERVICE_LABEL.to_string(), "tikv1".to_string()),
        ]));
        let containers = project_containers(&summaries, "demo");
        assert_eq!(containers.len(), 1);
        assert_eq!(containers[0].role, NodeRole::Tikv);
        assert_eq!(containers[0].published_ports, vec![(6379, 6379)]);
        assert_eq!(containers[0].host_port(6379), Some(6379));
        assert_eq!(containers[0].host_port(20180), None);
        assert_eq!(
            containers[0].state,
            ProcessState::Exited {
                exit_code: Some(255)
            }
        );
    }

    #[test]
    fn inspect_health_is_read() {
        let body: bollard::models::ContainerInspectResponse = serde_json::from_str(&fixture(
            "inspect_FRAGMENT-MOCK_state_health_unhealthy_batect.json",
        ))
        .expect("inspect parses");
        let state = body.state.expect("state present");
        assert_eq!(inspect_health(&state).as_deref(), Some("unhealthy"));
        assert_eq!(inspect_state(&state), ProcessState::Other("unknown".into()));
    }

    #[test]
    fn legacy_events_without_compose_labels_are_not_ours() {
        let ctx = EventContext::default();
        for event in events("events_die_health_status_batect.jsonl") {
            assert_eq!(map_event(&event, "demo", &ctx), None);
        }
    }

    #[test]
    fn legacy_die_and_health_events_map_once_labelled() {
        let ctx = EventContext::default();
        let mut mapped = Vec::new();
        for mut event in events("events_die_health_status_batect.jsonl") {
            let attributes = event
                .actor
                .as_mut()
                .and_then(|a| a.attributes.as_mut())
                .expect("attributes");
            attributes.insert(PROJECT_LABEL.into(), "demo".into());
            attributes.insert(SERVICE_LABEL.into(), "tikv0".into());
            mapped.push(map_event(&event, "demo", &ctx).map(|e| e.kind));
        }
        assert_eq!(
            mapped,
            vec![
                Some(EventKind::Died { exit_code: Some(0) }),
                Some(EventKind::Health("healthy".into())),
            ]
        );
    }

    /// Captured on this project's machine (engine 20.10.24, API 1.41) with
    /// `curl --unix-socket /var/run/docker.sock /v1.41/events?since=..&until=..`
    /// around: create, start, kill, start, stop, start, pause, unpause,
    /// network disconnect, network connect of a Compose-labelled container.
    const ENGINE_EVENTS: &str = "events_engine20.10_kill_stop_pause_partition.jsonl";
    const FIXTURE_PROJECT: &str = "chaosdeck-fixture";

    fn engine_event_context(evs: &[EventMessage]) -> EventContext {
        let ids: HashMap<String, String> = evs
            .iter()
            .filter_map(|e| {
                let actor = e.actor.as_ref()?;
                let service = actor.attributes.as_ref()?.get(SERVICE_LABEL)?;
                Some((actor.id.clone()?, service.clone()))
            })
            .collect();
        EventContext {
            services_by_id: ids,
            project_networks: vec![format!("{FIXTURE_PROJECT}_tikv")],
        }
    }

    #[test]
    fn engine_events_map_one_to_one() {
        let evs = events(ENGINE_EVENTS);
        let ctx = engine_event_context(&evs);
        let kinds: Vec<EventKind> = evs
            .iter()
            .filter_map(|e| map_event(e, FIXTURE_PROJECT, &ctx))
            .map(|e| {
                assert_eq!(e.service, "tikv0");
                e.kind
            })
            .collect();
        use EventKind::*;
        assert_eq!(
            kinds,
            vec![
                NetworkReconnected, // attached at create
                Started,
                Died {
                    exit_code: Some(137)
                },
                NetworkDisconnected, // endpoint released at death
                NetworkReconnected,
                Started,
                Died { exit_code: Some(0) }, // SIGTERM handled: a clean exit
                NetworkDisconnected,
                NetworkReconnected,
                Started,
                Paused,
                Unpaused,
                NetworkDisconnected, // `docker network disconnect` ...
                NetworkDisconnected, // ... reported twice by 20.10
                NetworkReconnected,
            ]
        );
        assert_eq!(map_event(&evs[5], "another-project", &ctx), None);
    }

    #[test]
    fn engine_events_absorbed_tell_the_story_once() {
        let evs = events(ENGINE_EVENTS);
        let ctx = engine_event_context(&evs);
        let mut known = observed(ProcessState::Other("created".into()), true, None);
        let news: Vec<EventKind> = evs
            .iter()
            .filter_map(|e| map_event(e, FIXTURE_PROJECT, &ctx))
            .filter(|e| known.absorb(&e.kind))
            .map(|e| e.kind)
            .collect();
        use EventKind::*;
        assert_eq!(
            news,
            vec![
                Started,
                Died {
                    exit_code: Some(137)
                },
                Started,
                Died { exit_code: Some(0) },
                Started,
                Paused,
                Unpaused,
                NetworkDisconnected,
                NetworkReconnected,
            ]
        );
    }

    #[test]
    fn a_container_serves_the_store_whose_address_names_its_service() {
        let store = |id: u64, address: &str| Store {
            id,
            service: String::new(),
            address: address.into(),
            state: crate::cluster::StoreState::Up,
            leader_count: 0,
            region_count: 0,
            heartbeat_age: None,
            capacity_bytes: None,
            available_bytes: None,
        };
        let stores = [
            store(1, "tikv0:20160"),
            store(4, "http://tikv1:20160"),
            store(7, "127.0.0.1:20161"),
            store(8, "127.0.0.1:20162"),
        ];
        assert_eq!(store_served("tikv0", &stores), Some(1));
        assert_eq!(store_served("tikv1", &stores), Some(4));
        assert_eq!(store_served("pd0", &stores), None);
        assert_eq!(store_served("127.0.0.1", &stores), None, "a shared host");
        let mut processes = vec![
            Process {
                service: "tikv1".into(),
                role: NodeRole::Tikv,
                state: ProcessState::Running,
                network_connected: true,
                store: None,
                cpu_limit: None,
                packet_loss: None,
            },
            Process {
                service: "load".into(),
                role: NodeRole::Load,
                state: ProcessState::Running,
                network_connected: true,
                store: Some(9),
                cpu_limit: None,
                packet_loss: None,
            },
        ];
        join_stores(&mut processes, &stores);
        assert_eq!(
            processes.iter().map(|p| p.store).collect::<Vec<_>>(),
            [Some(4), None]
        );
    }

    #[test]
    fn an_engine_listing_shows_every_state() {
        let summaries: Vec<ContainerSummary> =
            serde_json::from_str(&fixture("containers_json_engine20.10_states.json"))
                .expect("listing parses");
        let containers = project_containers(&summaries, FIXTURE_PROJECT);
        let networks = vec![format!("{FIXTURE_PROJECT}_tikv")];
        let processes: Vec<Process> = containers.iter().map(|c| c.process(&networks)).collect();
        let process = |service: &str, role, state, network_connected| Process {
            service: service.into(),
            role,
            state,
            network_connected,
            store: None,
            cpu_limit: None,
            packet_loss: None,
        };
        assert_eq!(
            processes,
            vec![
                process(
                    "load",
                    NodeRole::Load,
                    ProcessState::Exited { exit_code: Some(0) },
                    true
                ),
                process("pd0", NodeRole::Pd, ProcessState::Running, true),
                process(
                    "tikv0",
                    NodeRole::Tikv,
                    ProcessState::Exited {
                        exit_code: Some(137)
                    },
                    true
                ),
                process("tikv1", NodeRole::Tikv, ProcessState::Paused, true),
                // Running but cut from the project network: partitioned.
                process("tikv2", NodeRole::Tikv, ProcessState::Running, false),
            ]
        );
        assert!(
            containers
                .iter()
                .all(|c| c.name == format!("{FIXTURE_PROJECT}-{}-1", c.service))
        );
    }

    #[test]
    fn an_engine_inspect_has_the_exact_exit_code() {
        let body: bollard::models::ContainerInspectResponse =
            serde_json::from_str(&fixture("inspect_engine20.10_killed.json")).expect("parses");
        let state = body.state.expect("state present");
        assert_eq!(
            inspect_state(&state),
            ProcessState::Exited {
                exit_code: Some(137)
            }
        );
        assert_eq!(inspect_health(&state), None);
    }

    fn observed(state: ProcessState, connected: bool, health: Option<&str>) -> Observed {
        Observed {
            state,
            network_connected: connected,
            health: health.map(str::to_string),
        }
    }

    #[test]
    fn listings_that_differ_explain_the_difference() {
        let running = observed(ProcessState::Running, true, Some("healthy"));
        let killed = observed(
            ProcessState::Exited {
                exit_code: Some(137),
            },
            true,
            Some("healthy"),
        );
        assert_eq!(
            changes_between(&running, &killed),
            vec![EventKind::Died {
                exit_code: Some(137)
            }]
        );
        assert_eq!(changes_between(&killed, &running), vec![EventKind::Started]);
        let paused = observed(ProcessState::Paused, true, Some("healthy"));
        assert_eq!(changes_between(&running, &paused), vec![EventKind::Paused]);
        assert_eq!(
            changes_between(&paused, &running),
            vec![EventKind::Unpaused]
        );
        let cut = observed(ProcessState::Running, false, Some("unhealthy"));
        assert_eq!(
            changes_between(&running, &cut),
            vec![
                EventKind::NetworkDisconnected,
                EventKind::Health("unhealthy".into())
            ]
        );
        assert!(changes_between(&running, &running).is_empty());
    }

    #[test]
    fn an_event_folded_in_is_not_reported_again() {
        let mut known = observed(ProcessState::Running, true, None);
        let died = EventKind::Died {
            exit_code: Some(137),
        };
        known.apply(&died);
        let listed = observed(
            ProcessState::Exited {
                exit_code: Some(137),
            },
            true,
            None,
        );
        assert!(changes_between(&known, &listed).is_empty());
    }
}
