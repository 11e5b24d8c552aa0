//! [`DockerControl`]: the Compose project's containers found by label, the
//! faults applied to them and their recoveries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::models::{EndpointSettings, NetworkConnectRequest, NetworkDisconnectRequest};
use bollard::query_parameters::{
    KillContainerOptions, ListContainersOptions, ListNetworksOptions, StopContainerOptions,
};

use super::connect::{self, EngineInfo, PING_TIMEOUT};
use super::cpu;
use super::labels::PROJECT_LABEL;
use super::mapping::{
    ProjectContainer, is_network_connected, is_project_network, project_containers,
};
use super::netfault::{self, Netns};
use crate::cluster::{
    BackendError, Before, CpuLimit, FaultKind, FaultSpec, NodeRole, PacketLoss, Process,
    ProcessState, Recovery,
};

/// When the container last started, as the engine says.
fn started_at(inspect: &bollard::models::ContainerInspectResponse) -> Option<String> {
    inspect.state.as_ref()?.started_at.clone()
}

/// How long a graceful stop may take before Docker sends SIGKILL, for a
/// container that does not say (see [`stop_timeout_of`]). The same as
/// docker-compose.yaml's `stop_grace_period` (a test holds them equal).
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The container's own stop timeout when it has one (Compose stores the
/// file's `stop_grace_period` there, so the file is the one home of the
/// value), else `fallback`. A negative one (wait for ever) is not followed.
pub fn stop_timeout_of(container_stop_timeout: Option<i64>, fallback: Duration) -> Duration {
    container_stop_timeout
        .and_then(|seconds| u64::try_from(seconds).ok())
        .map_or(fallback, Duration::from_secs)
}

/// A network a partitioned container was on, to put it back as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub network: String,
    pub aliases: Vec<String>,
}

/// Control of one Compose project's containers through the Docker Engine.
/// Cheap to clone; clones share what they remember about partitions.
#[derive(Clone)]
pub struct DockerControl {
    docker: Docker,
    engine: EngineInfo,
    project: String,
    stop_timeout: Duration,
    /// The image whose iptables writes packet loss ([`netfault`]).
    net_helper_image: String,
    /// Networks each partitioned service was cut from. Never held across an await.
    partitions: Arc<Mutex<HashMap<String, Vec<Attachment>>>>,
    /// Containers whose packet-drop rules this control wrote and read back,
    /// by id. Never held across an await.
    lossy: Arc<Mutex<HashMap<String, Lossy>>>,
}

/// Packet loss read back from a container's filter, and the start of the
/// container it was written in: rules live in its network namespace, which
/// a restart replaces, so once it started again they are gone.
#[derive(Debug, Clone, PartialEq)]
struct Lossy {
    loss: PacketLoss,
    started_at: Option<String>,
}

impl DockerControl {
    /// Connects to the engine (see [`connect::connect`]) for `project`.
    pub async fn connect(project: impl Into<String>) -> Result<Self, BackendError> {
        let (docker, engine) = connect::connect(PING_TIMEOUT).await?;
        Ok(Self::new(docker, engine, project))
    }

    pub fn new(docker: Docker, engine: EngineInfo, project: impl Into<String>) -> Self {
        let control = Self {
            docker,
            engine,
            project: project.into(),
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            net_helper_image: netfault::DEFAULT_IMAGE.to_string(),
            partitions: Arc::default(),
            lossy: Arc::default(),
        };
        control.with_stop_timeout(DEFAULT_STOP_TIMEOUT)
    }

    /// Sets the graceful-stop timeout (and a request timeout that outlasts it).
    pub fn with_stop_timeout(mut self, stop_timeout: Duration) -> Self {
        self.stop_timeout = stop_timeout;
        self.docker = self
            .docker
            .with_timeout(stop_timeout + Duration::from_secs(30));
        self
    }

    /// Sets the packet-loss helper image.
    pub fn with_net_helper_image(mut self, image: impl Into<String>) -> Self {
        self.net_helper_image = image.into();
        self
    }

    pub fn net_helper_image(&self) -> &str {
        &self.net_helper_image
    }

    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    pub fn engine(&self) -> &EngineInfo {
        &self.engine
    }

    pub fn project(&self) -> &str {
        &self.project
    }

    pub async fn ping(&self) -> Result<(), BackendError> {
        connect::ping(&self.docker, PING_TIMEOUT).await
    }

    /// Every container of the project (any state), sorted by service.
    pub async fn containers(&self) -> Result<Vec<ProjectContainer>, BackendError> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{PROJECT_LABEL}={}", self.project)],
        )]);
        let options = ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        let summaries = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|e| self.engine_error("list the containers of", &self.project, e))?;
        Ok(project_containers(&summaries, &self.project))
    }

    /// Names of the networks Compose created for the project.
    pub async fn project_networks(&self) -> Result<Vec<String>, BackendError> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{PROJECT_LABEL}={}", self.project)],
        )]);
        let networks = self
            .docker
            .list_networks(Some(ListNetworksOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(|e| self.engine_error("list the networks of", &self.project, e))?;
        let mut names: Vec<String> = networks.into_iter().filter_map(|n| n.name).collect();
        names.sort();
        Ok(names)
    }

    /// The project's processes as the show sees them.
    /// The project's processes, each TiKV node with the CPU limit the
    /// engine holds it to (read by inspecting it: the listing leaves it out).
    pub async fn processes(&self) -> Result<Vec<Process>, BackendError> {
        let networks = self.project_networks().await?;
        let containers = self.containers().await?;
        let inspected = futures::future::join_all(containers.iter().map(|c| async {
            if c.role != NodeRole::Tikv {
                return None;
            }
            self.docker.inspect_container(&c.id, None).await.ok()
        }))
        .await;
        Ok(containers
            .iter()
            .zip(inspected)
            .map(|(c, inspect)| {
                let inspect = inspect.as_ref();
                let cpu_limit = inspect
                    .and_then(|i| cpu::cpus_of(&cpu::limit_of(i.host_config.as_ref())))
                    .map(CpuLimit::from_cpus);
                let started_at = inspect.and_then(started_at);
                Process {
                    cpu_limit,
                    packet_loss: self.loss_still_in(&c.id, started_at.as_deref()),
                    ..c.process(&networks)
                }
            })
            .collect())
    }

    /// The loss this control wrote in container `id`, while the container
    /// it wrote it in still runs (not since restarted).
    fn loss_still_in(&self, id: &str, started_at: Option<&str>) -> Option<PacketLoss> {
        let mut lossy = self.lossy.lock().expect("not poisoned");
        let seen = lossy.get(id)?;
        if seen.started_at.as_deref() == started_at {
            return Some(seen.loss);
        }
        lossy.remove(id);
        None
    }

    /// The container of `service` (the first replica when scaled).
    pub async fn container_of(&self, service: &str) -> Result<ProjectContainer, BackendError> {
        let containers = self.containers().await?;
        pick_container(&containers, service)
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = containers.iter().map(|c| c.service.as_str()).collect();
                BackendError::UnknownTarget(if known.is_empty() {
                    format!(
                        "{service} (Compose project `{}` has no containers: is it up?)",
                        self.project
                    )
                } else {
                    format!(
                        "{service} (Compose project `{}` has: {})",
                        self.project,
                        known.join(", ")
                    )
                })
            })
    }

    /// The first load-generator service of the project, if any.
    pub async fn load_service(&self) -> Result<Option<String>, BackendError> {
        Ok(self
            .containers()
            .await?
            .into_iter()
            .find(|c| c.role == NodeRole::Load)
            .map(|c| c.service))
    }

    /// Applies `spec` to `service`. Only TiKV services unless `allow_non_tikv`
    /// (the script named a PD or load service explicitly).
    pub async fn inject(
        &self,
        spec: FaultSpec,
        service: &str,
        allow_non_tikv: bool,
    ) -> Result<(), BackendError> {
        let kind = spec.kind();
        let container = self.container_of(service).await?;
        let networks = self.project_networks().await?;
        check_fault(&container, kind, allow_non_tikv, &networks)?;
        match kind {
            FaultKind::Kill => self
                .docker
                .kill_container(
                    &container.id,
                    Some(KillContainerOptions {
                        signal: "SIGKILL".into(),
                    }),
                )
                .await
                .map_err(|e| self.engine_error("kill", service, e)),
            FaultKind::Stop => self.stop_container(&container).await,
            FaultKind::Pause => self
                .docker
                .pause_container(&container.id)
                .await
                .map_err(|e| self.engine_error("pause", service, e)),
            FaultKind::Partition => self.partition(&container, &networks).await,
            FaultKind::Slow => {
                let cpus = spec.value().unwrap_or_default();
                let now = self.cpu_limit(service).await?;
                self.update_cpu(service, &container, cpu::slow_to(&now, cpus))
                    .await
            }
            FaultKind::Loss => {
                let percent = spec.value().unwrap_or_default();
                self.add_loss(&container, percent).await
            }
        }
    }

    /// Runs the packet-loss helper once in `netns`.
    pub async fn run_net_helper(
        &self,
        netns: Netns<'_>,
        command: &[&str],
        rules: Option<&str>,
    ) -> Result<netfault::Ran, BackendError> {
        netfault::run_helper(
            &self.docker,
            &self.engine.host,
            &self.net_helper_image,
            netns,
            command,
            rules,
        )
        .await
    }

    /// Drops `percent` of `container`'s packets, in one transaction.
    async fn add_loss(
        &self,
        container: &ProjectContainer,
        percent: f64,
    ) -> Result<(), BackendError> {
        let rules = netfault::adding(percent);
        let ran = self.restore_rules(container, &rules).await?;
        match ran.code {
            0 => self.read_loss_back(container).await,
            _ if ran.output.contains("exists") => Err(BackendError::FaultInPlace {
                kind: FaultKind::Loss,
                service: container.service.clone(),
            }),
            _ => Err(BackendError::Refused(format!(
                "cannot drop {}'s packets: {}",
                container.service,
                netfault::trouble(&ran)
            ))),
        }
    }

    /// What the filter now drops, read back, kept for the snapshots: the
    /// screen shows a lossy node only from what its filter said.
    async fn read_loss_back(&self, container: &ProjectContainer) -> Result<(), BackendError> {
        let listing = self.net_rules(container).await?;
        let Some(percent) = netfault::loss_in(&listing) else {
            return Err(BackendError::Refused(format!(
                "{}'s packet filter does not show the rules just written",
                container.service
            )));
        };
        let inspect = self
            .docker
            .inspect_container(&container.id, None)
            .await
            .map_err(|e| self.engine_error("inspect", &container.service, e))?;
        let seen = Lossy {
            loss: PacketLoss::from_percent(percent),
            started_at: started_at(&inspect),
        };
        self.lossy
            .lock()
            .expect("not poisoned")
            .insert(container.id.clone(), seen);
        Ok(())
    }

    /// Applies `rules` in `container`'s network namespace, in one transaction.
    async fn restore_rules(
        &self,
        container: &ProjectContainer,
        rules: &str,
    ) -> Result<netfault::Ran, BackendError> {
        self.run_net_helper(
            Netns::Of(&container.id),
            &["iptables-restore", "--noflush", netfault::RULES_PATH],
            Some(rules),
        )
        .await
    }

    /// What `iptables -S` lists in `container`'s network namespace.
    pub async fn net_rules(&self, container: &ProjectContainer) -> Result<String, BackendError> {
        let ran = self
            .run_net_helper(Netns::Of(&container.id), &["iptables", "-S"], None)
            .await?;
        if ran.code != 0 {
            return Err(BackendError::Refused(format!(
                "cannot read {}'s packet filter: {}",
                container.service,
                netfault::trouble(&ran)
            )));
        }
        Ok(ran.output)
    }

    /// Removes chaosdeck's packet-drop chain from `container`, and the
    /// jumps to it; an error when there is none.
    async fn clear_loss(&self, container: &ProjectContainer) -> Result<(), BackendError> {
        let cleared = self.clear_loss_rules(container).await;
        if matches!(cleared, Ok(()) | Err(BackendError::NothingToRecover { .. })) {
            self.lossy
                .lock()
                .expect("not poisoned")
                .remove(&container.id);
        }
        cleared
    }

    async fn clear_loss_rules(&self, container: &ProjectContainer) -> Result<(), BackendError> {
        let service = &container.service;
        if !container.is_running() {
            return Err(BackendError::NothingToRecover {
                service: service.clone(),
                recovery: Recovery::Clear,
                why: format!(
                    "it is {}: its packet filter went with its network namespace",
                    container.state
                ),
            });
        }
        let listing = self.net_rules(container).await?;
        let Some(rules) = netfault::removing(&listing) else {
            return Err(BackendError::NothingToRecover {
                service: service.clone(),
                recovery: Recovery::Clear,
                why: "no packet-drop rules of chaosdeck's are in place".into(),
            });
        };
        let ran = self.restore_rules(container, &rules).await?;
        if ran.code == 0 {
            Ok(())
        } else {
            Err(BackendError::Refused(format!(
                "cannot clear {service}'s packet-drop rules: {} \
                 (by hand: docker run --rm --network container:{} --cap-add NET_ADMIN {} -F {})",
                netfault::trouble(&ran),
                container.name,
                self.net_helper_image,
                netfault::CHAIN
            )))
        }
    }

    /// The CPU limit `service` has now, as the engine reports it.
    pub async fn cpu_limit(&self, service: &str) -> Result<Before, BackendError> {
        let container = self.container_of(service).await?;
        let inspect = self
            .docker
            .inspect_container(&container.id, None)
            .await
            .map_err(|e| self.engine_error("inspect", service, e))?;
        Ok(cpu::limit_of(inspect.host_config.as_ref()))
    }

    /// Proves the engine changes `service`'s CPU limit: writes the limit
    /// it has back through `update_container` and reads it again. Nothing
    /// changes for the node; what it had is returned.
    pub async fn probe_cpu_update(&self, service: &str) -> Result<Before, BackendError> {
        let container = self.container_of(service).await?;
        let before = self.cpu_limit(service).await?;
        self.update_cpu(service, &container, cpu::restore(&before))
            .await?;
        let after = self.cpu_limit(service).await?;
        if cpu::cpus_of(&after) != cpu::cpus_of(&before) {
            return Err(BackendError::Refused(format!(
                "{service}'s CPU limit read back as {} after writing {}",
                cpu::describe(&after),
                cpu::describe(&before)
            )));
        }
        Ok(before)
    }

    async fn update_cpu(
        &self,
        service: &str,
        container: &ProjectContainer,
        update: bollard::models::ContainerUpdateBody,
    ) -> Result<(), BackendError> {
        self.docker
            .update_container(&container.id, update)
            .await
            .map_err(|e| self.engine_error("change the CPU limit of", service, e))
    }

    /// Puts `before` back as `service`'s CPU limit; nothing to do when it
    /// is already so.
    async fn restore_cpu(
        &self,
        service: &str,
        container: &ProjectContainer,
        before: Option<&Before>,
    ) -> Result<(), BackendError> {
        let Some(before) = before else {
            return Err(BackendError::Refused(format!(
                "cannot restore {service}'s CPU limit: what it was before the fault is not known \
                 (set it by hand: docker update --cpus N)"
            )));
        };
        let now = self.cpu_limit(service).await?;
        if cpu::cpus_of(&now) == cpu::cpus_of(before) {
            return Err(BackendError::NothingToRecover {
                service: service.to_string(),
                recovery: Recovery::Restore,
                why: format!("its CPU limit is as it was ({})", cpu::describe(before)),
            });
        }
        self.update_cpu(service, container, cpu::restore(before))
            .await
    }

    /// Applies `recovery` to `service`, putting back `before` where the
    /// fault changed a setting; an error when it needs none.
    pub async fn recover(
        &self,
        recovery: Recovery,
        service: &str,
        before: Option<&Before>,
    ) -> Result<(), BackendError> {
        let container = self.container_of(service).await?;
        match recovery {
            Recovery::Restore => return self.restore_cpu(service, &container, before).await,
            Recovery::Clear => return self.clear_loss(&container).await,
            _ => {}
        }
        let networks = self.project_networks().await?;
        let saved = self.saved_partition(service);
        check_recovery(&container, recovery, saved.as_deref(), &networks)?;
        match recovery {
            Recovery::Start => self.start_container(&container).await,
            Recovery::Unpause => self
                .docker
                .unpause_container(&container.id)
                .await
                .map_err(|e| self.engine_error("unpause", service, e)),
            Recovery::Reconnect => self.reconnect(&container, saved, &networks).await,
            Recovery::Restore | Recovery::Clear => {
                unreachable!("undone above, from what the fault changed")
            }
        }
    }

    /// Starts `service` if it is not running (used for the load generator).
    pub async fn start_service(&self, service: &str) -> Result<(), BackendError> {
        let container = self.container_of(service).await?;
        match container.state {
            ProcessState::Running => Ok(()),
            ProcessState::Paused => self
                .docker
                .unpause_container(&container.id)
                .await
                .map_err(|e| self.engine_error("unpause", service, e)),
            _ => self.start_container(&container).await,
        }
    }

    /// Stops `service` gracefully if it runs (used for the load generator).
    pub async fn stop_service(&self, service: &str) -> Result<(), BackendError> {
        let container = self.container_of(service).await?;
        match container.state {
            ProcessState::Running | ProcessState::Paused => self.stop_container(&container).await,
            _ => Ok(()),
        }
    }

    async fn start_container(&self, container: &ProjectContainer) -> Result<(), BackendError> {
        self.docker
            .start_container(&container.id, None)
            .await
            .map_err(|e| self.engine_error("start", &container.service, e))
    }

    async fn stop_container(&self, container: &ProjectContainer) -> Result<(), BackendError> {
        let own = match self.docker.inspect_container(&container.id, None).await {
            Ok(inspect) => inspect.config.and_then(|config| config.stop_timeout),
            Err(_) => None,
        };
        let timeout = stop_timeout_of(own, self.stop_timeout);
        let seconds = i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX);
        self.docker
            .clone()
            .with_timeout(timeout + Duration::from_secs(30))
            .stop_container(
                &container.id,
                Some(StopContainerOptions {
                    t: Some(seconds),
                    signal: None,
                }),
            )
            .await
            .map_err(|e| self.engine_error("stop", &container.service, e))
    }

    /// Cuts the container from every project network it is on, remembering
    /// its aliases so that [`Recovery::Reconnect`] puts it back as it was.
    async fn partition(
        &self,
        container: &ProjectContainer,
        project_networks: &[String],
    ) -> Result<(), BackendError> {
        let service = &container.service;
        let attachments = self.attachments(container, project_networks).await?;
        if attachments.is_empty() {
            return Err(BackendError::Refused(format!(
                "{service} is on no network of project `{}`; nothing to cut",
                self.project
            )));
        }
        self.remember_partition(service, attachments.clone());
        for attachment in &attachments {
            self.docker
                .disconnect_network(
                    &attachment.network,
                    NetworkDisconnectRequest {
                        container: container.id.clone(),
                        force: Some(false),
                    },
                )
                .await
                .map_err(|e| {
                    self.engine_error(
                        &format!("disconnect from {}", attachment.network),
                        service,
                        e,
                    )
                })?;
        }
        Ok(())
    }

    async fn reconnect(
        &self,
        container: &ProjectContainer,
        saved: Option<Vec<Attachment>>,
        project_networks: &[String],
    ) -> Result<(), BackendError> {
        let service = &container.service;
        // Without a memory of the cut (chaosdeck restarted), reattach to every
        // project network under the service name, as Compose does.
        let attachments = match saved {
            Some(saved) => saved,
            None if !project_networks.is_empty() => project_networks
                .iter()
                .map(|network| Attachment {
                    network: network.clone(),
                    aliases: vec![service.clone()],
                })
                .collect(),
            None => {
                return Err(BackendError::Refused(format!(
                    "do not know which network {service} was on; reconnect it by hand: \
                     docker network connect --alias {service} <network> {}",
                    container.name
                )));
            }
        };
        for attachment in &attachments {
            if container.networks.contains(&attachment.network) {
                continue;
            }
            let request = NetworkConnectRequest {
                container: container.id.clone(),
                endpoint_config: Some(EndpointSettings {
                    aliases: Some(attachment.aliases.clone()),
                    ..Default::default()
                }),
            };
            if let Err(e) = self
                .docker
                .connect_network(&attachment.network, request)
                .await
            {
                // Keep the memory so that a retry knows where to go.
                self.remember_partition(service, attachments.clone());
                return Err(self.engine_error(
                    &format!("reconnect to {}", attachment.network),
                    service,
                    e,
                ));
            }
        }
        Ok(())
    }

    /// The project networks the container is on, with its aliases there.
    async fn attachments(
        &self,
        container: &ProjectContainer,
        project_networks: &[String],
    ) -> Result<Vec<Attachment>, BackendError> {
        let inspect = self
            .docker
            .inspect_container(&container.id, None)
            .await
            .map_err(|e| self.engine_error("inspect", &container.service, e))?;
        let endpoints = inspect
            .network_settings
            .and_then(|settings| settings.networks)
            .unwrap_or_default();
        Ok(attachments_of(&container.id, &endpoints, project_networks))
    }

    fn remember_partition(&self, service: &str, attachments: Vec<Attachment>) {
        if let Ok(mut partitions) = self.partitions.lock() {
            partitions.insert(service.to_string(), attachments);
        }
    }

    /// Takes what was remembered about `service`'s partition.
    fn saved_partition(&self, service: &str) -> Option<Vec<Attachment>> {
        self.partitions.lock().ok()?.remove(service)
    }

    fn engine_error(&self, action: &str, service: &str, error: DockerError) -> BackendError {
        map_engine_error(&self.engine.host, action, service, error)
    }
}

/// The replica of `service` to act on: the lowest-numbered one.
fn pick_container<'a>(
    containers: &'a [ProjectContainer],
    service: &str,
) -> Option<&'a ProjectContainer> {
    containers
        .iter()
        .filter(|c| c.service == service)
        .min_by_key(|c| c.number)
}

/// The project networks among a container's endpoints, with its aliases
/// (less the container-id alias Docker adds by itself).
pub fn attachments_of(
    container_id: &str,
    endpoints: &HashMap<String, EndpointSettings>,
    project_networks: &[String],
) -> Vec<Attachment> {
    let mut attachments: Vec<Attachment> = endpoints
        .iter()
        .filter(|(network, _)| is_project_network(network, project_networks))
        .map(|(network, endpoint)| Attachment {
            network: network.clone(),
            aliases: endpoint
                .aliases
                .iter()
                .flatten()
                .filter(|alias| !(alias.len() >= 12 && container_id.starts_with(alias.as_str())))
                .cloned()
                .collect(),
        })
        .collect();
    attachments.sort_by(|a, b| a.network.cmp(&b.network));
    attachments
}

/// Whether `kind` may be applied to `container` now. Pure, so the rules are
/// tested without an engine.
pub fn check_fault(
    container: &ProjectContainer,
    kind: FaultKind,
    allow_non_tikv: bool,
    project_networks: &[String],
) -> Result<(), BackendError> {
    let service = &container.service;
    if container.role != NodeRole::Tikv && !allow_non_tikv {
        return Err(BackendError::NotTikv {
            service: service.clone(),
        });
    }
    match &container.state {
        ProcessState::Running => {}
        ProcessState::Paused => {
            return Err(BackendError::FaultInPlace {
                kind: FaultKind::Pause,
                service: service.clone(),
            });
        }
        state @ ProcessState::Exited { .. } => {
            return Err(BackendError::Refused(format!(
                "cannot {kind} {service}: it is not running ({state}); start it first"
            )));
        }
        ProcessState::Other(state) => {
            return Err(BackendError::Refused(format!(
                "cannot {kind} {service}: it is {state}, not running; try again once it runs"
            )));
        }
    }
    if !is_network_connected(&container.networks, project_networks) {
        return Err(BackendError::FaultInPlace {
            kind: FaultKind::Partition,
            service: service.clone(),
        });
    }
    Ok(())
}

/// Whether `recovery` applies to `container` now. `saved` is what was
/// remembered when it was partitioned.
pub fn check_recovery(
    container: &ProjectContainer,
    recovery: Recovery,
    saved: Option<&[Attachment]>,
    project_networks: &[String],
) -> Result<(), BackendError> {
    let nothing = |why: String| BackendError::NothingToRecover {
        service: container.service.clone(),
        recovery,
        why,
    };
    match (recovery, &container.state) {
        (Recovery::Start, ProcessState::Running) => Err(nothing("it is running".into())),
        (Recovery::Start, ProcessState::Paused) => {
            Err(nothing("it is paused; unpause it instead".into()))
        }
        (Recovery::Start, _) => Ok(()),
        (Recovery::Unpause, ProcessState::Paused) => Ok(()),
        (Recovery::Unpause, state) => Err(nothing(format!("it is not paused ({})", state))),
        // Whether the limit is as it was, or the rules are there, is read
        // from the engine.
        (Recovery::Restore | Recovery::Clear, _) => Ok(()),
        (Recovery::Reconnect, _) => {
            let missing = match saved {
                Some(saved) => saved
                    .iter()
                    .any(|a| !container.networks.contains(&a.network)),
                None => !is_network_connected(&container.networks, project_networks),
            };
            if missing {
                Ok(())
            } else {
                Err(nothing("it is attached to its network".into()))
            }
        }
    }
}

/// An engine error as the presenter should read it.
pub fn map_engine_error(
    host: &str,
    action: &str,
    service: &str,
    error: DockerError,
) -> BackendError {
    match error {
        DockerError::DockerResponseServerError {
            status_code,
            message,
        } => BackendError::Refused(format!(
            "Docker refused to {action} {service}: {} (HTTP {status_code})",
            crate::text::excerpt(&message, 200)
        )),
        DockerError::RequestTimeoutError => connect::unreachable(connect::explain(
            host,
            &format!("no answer while trying to {action} {service}"),
        )),
        DockerError::IOError { .. }
        | DockerError::HyperResponseError { .. }
        | DockerError::HyperLegacyError { .. }
        | DockerError::SocketNotFoundError(_) => {
            connect::unreachable(connect::explain(host, &error.to_string()))
        }
        other => BackendError::Refused(format!(
            "could not {action} {service}: {}",
            crate::text::excerpt(&other.to_string(), 200)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(service: &str, role: NodeRole, state: ProcessState) -> ProjectContainer {
        ProjectContainer {
            id: "4c44dd62529c1037111ea460fc445f8c7acaa92832b2f991a13052ebac6b50d0".into(),
            name: format!("demo-{service}-1"),
            service: service.into(),
            number: 1,
            role,
            image: "pingcap/tikv:v8.5.1".into(),
            state,
            health: None,
            networks: vec!["demo_tikv".into()],
            published_ports: vec![],
        }
    }

    fn nets() -> Vec<String> {
        vec!["demo_tikv".to_string()]
    }

    #[test]
    fn only_tikv_is_faulted_unless_allowed() {
        let pd = container("pd0", NodeRole::Pd, ProcessState::Running);
        assert_eq!(
            check_fault(&pd, FaultKind::Kill, false, &nets()),
            Err(BackendError::NotTikv {
                service: "pd0".into()
            })
        );
        assert_eq!(check_fault(&pd, FaultKind::Kill, true, &nets()), Ok(()));
        let load = container("load", NodeRole::Load, ProcessState::Running);
        assert!(matches!(
            check_fault(&load, FaultKind::Pause, false, &nets()),
            Err(BackendError::NotTikv { .. })
        ));
        let tikv = container("tikv1", NodeRole::Tikv, ProcessState::Running);
        for kind in FaultKind::ALL {
            assert_eq!(check_fault(&tikv, kind, false, &nets()), Ok(()), "{kind}");
        }
    }

    #[test]
    fn a_node_already_faulted_is_refused() {
        let paused = container("tikv1", NodeRole::Tikv, ProcessState::Paused);
        assert_eq!(
            check_fault(&paused, FaultKind::Kill, false, &nets()),
            Err(BackendError::FaultInPlace {
                kind: FaultKind::Pause,
                service: "tikv1".into()
            })
        );
        let mut cut = container("tikv1", NodeRole::Tikv, ProcessState::Running);
        cut.networks.clear();
        assert_eq!(
            check_fault(&cut, FaultKind::Partition, false, &nets()),
            Err(BackendError::FaultInPlace {
                kind: FaultKind::Partition,
                service: "tikv1".into()
            })
        );
        let dead = container(
            "tikv1",
            NodeRole::Tikv,
            ProcessState::Exited {
                exit_code: Some(137),
            },
        );
        let refused = check_fault(&dead, FaultKind::Stop, false, &nets());
        assert_eq!(
            refused,
            Err(BackendError::Refused(
                "cannot stop tikv1: it is not running (exited 137); start it first".into()
            ))
        );
    }

    #[test]
    fn recoveries_that_are_not_needed_say_why() {
        let running = container("tikv1", NodeRole::Tikv, ProcessState::Running);
        assert_eq!(
            check_recovery(&running, Recovery::Start, None, &nets()).map_err(|e| e.to_string()),
            Err("tikv1 needs no start: it is running".into())
        );
        assert_eq!(
            check_recovery(&running, Recovery::Unpause, None, &nets()).map_err(|e| e.to_string()),
            Err("tikv1 needs no unpause: it is not paused (running)".into())
        );
        assert!(check_recovery(&running, Recovery::Reconnect, None, &nets()).is_err());
        let dead = container(
            "tikv1",
            NodeRole::Tikv,
            ProcessState::Exited { exit_code: Some(0) },
        );
        assert_eq!(
            check_recovery(&dead, Recovery::Start, None, &nets()),
            Ok(())
        );
        let paused = container("tikv1", NodeRole::Tikv, ProcessState::Paused);
        assert_eq!(
            check_recovery(&paused, Recovery::Unpause, None, &nets()),
            Ok(())
        );
    }

    #[test]
    fn reconnect_is_needed_while_a_remembered_network_is_missing() {
        let mut partly = container("tikv1", NodeRole::Tikv, ProcessState::Running);
        partly.networks = vec!["demo_tikv".into()];
        let saved = vec![
            Attachment {
                network: "demo_tikv".into(),
                aliases: vec!["tikv1".into()],
            },
            Attachment {
                network: "demo_raft".into(),
                aliases: vec!["tikv1".into()],
            },
        ];
        assert_eq!(
            check_recovery(&partly, Recovery::Reconnect, Some(&saved), &nets()),
            Ok(())
        );
        let mut cut = partly.clone();
        cut.networks.clear();
        assert_eq!(
            check_recovery(&cut, Recovery::Reconnect, None, &nets()),
            Ok(())
        );
    }

    #[test]
    fn attachments_keep_aliases_but_not_the_container_id() {
        let id = "4c44dd62529c1037111ea460fc445f8c7acaa92832b2f991a13052ebac6b50d0";
        let endpoints = HashMap::from([
            (
                "demo_tikv".to_string(),
                EndpointSettings {
                    aliases: Some(vec!["tikv1".into(), "4c44dd62529c".into()]),
                    ..Default::default()
                },
            ),
            ("bridge".to_string(), EndpointSettings::default()),
        ]);
        assert_eq!(
            attachments_of(id, &endpoints, &[]),
            vec![Attachment {
                network: "demo_tikv".into(),
                aliases: vec!["tikv1".into()],
            }]
        );
        assert!(attachments_of(id, &endpoints, &["other_net".to_string()]).is_empty());
    }

    #[test]
    fn the_first_replica_is_picked() {
        let mut second = container("tikv1", NodeRole::Tikv, ProcessState::Running);
        second.number = 2;
        second.id = "b".into();
        let mut first = second.clone();
        first.number = 1;
        first.id = "a".into();
        let containers = vec![second, first];
        assert_eq!(
            pick_container(&containers, "tikv1").map(|c| c.id.as_str()),
            Some("a")
        );
        assert!(pick_container(&containers, "tikv9").is_none());
    }

    #[test]
    fn engine_refusals_carry_the_reason() {
        let error = map_engine_error(
            "unix:///var/run/docker.sock",
            "pause",
            "tikv1",
            DockerError::DockerResponseServerError {
                status_code: 409,
                message: "Container abc is not running\n".into(),
            },
        );
        assert_eq!(
            error.to_string(),
            "Docker refused to pause tikv1: Container abc is not running (HTTP 409)"
        );
        let timeout = map_engine_error(
            "unix:///var/run/docker.sock",
            "stop",
            "tikv1",
            DockerError::RequestTimeoutError,
        );
        assert!(matches!(
            &timeout,
            BackendError::RuntimeUnreachable { runtime, .. } if runtime == "Docker"
        ));
        assert!(timeout.to_string().starts_with("Docker unreachable: "));
    }
}
