//! [`DockerBackend`]: the real cluster behind the [`ClusterBackend`] trait.
//! PD says what the cluster thinks (stores, members, regions), the Docker
//! Engine what runs (processes, events) and applies the faults; the load
//! generator's output (or TiKV's metrics) says what the workload feels.
//!
//! Nothing in the world is a reason to crash: an engine that does not answer
//! is retried with backoff, a silent PD leaves the last known picture marked
//! stale, and either source is shown while the other is gone
//! ([`crate::cluster::combine`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connect::PING_TIMEOUT;
use super::control::{DEFAULT_STOP_TIMEOUT, DockerControl};
use super::events::{EventWatchConfig, event_watch, watch_notices};
use super::mapping::join_stores;
use super::workload::{PublishedPorts, forward_service_output};
use crate::backoff::Backoff;
use crate::clock::ShowClock;
use crate::cluster::combine::{LastKnown, combine};
use crate::cluster::feeds::{LoadSeen, follow_load_log, metrics_fallback};
use crate::cluster::pd::PdClient;
use crate::cluster::pd::address::address_host;
use crate::cluster::tasks::Supervisor;
use crate::cluster::{
    BackendError, Before, Capabilities, ClusterBackend, ClusterEvent, ClusterSnapshot,
    ClusterSource, FaultKind, FaultSpec, FaultTarget, InjectedFault, NOTICE_CAPACITY, Notice,
    PdMember, Recovery, Struck, Subscriptions, check_pd_leader,
};
use crate::workload::WorkloadSample;

/// Room in each stream handed to the app.
pub const STREAM_CAPACITY: usize = 1024;
/// Each PD request's time limit.
pub const PD_TIMEOUT: Duration = Duration::from_secs(2);
/// Waits between attempts to reach a Docker engine that did not answer.
const CONNECT_BACKOFF_MIN: Duration = Duration::from_millis(500);
const CONNECT_BACKOFF_MAX: Duration = Duration::from_secs(10);

/// How the real backend is set up.
#[derive(Debug, Clone)]
pub struct DockerConfig {
    pub project: String,
    pub pd_endpoints: Vec<String>,
    /// Follow this file for load samples instead of the load container.
    pub load_log: Option<PathBuf>,
    pub stop_timeout: Duration,
    /// The largest PD body read ([`crate::cluster::pd::client::DEFAULT_BODY_LIMIT`]).
    pub pd_body_limit: u64,
    pub events: EventWatchConfig,
    /// The packet-loss helper's image ([`super::netfault`]).
    pub net_helper_image: String,
}

impl DockerConfig {
    /// The project at `pd_endpoints` with the defaults: Compose's stop
    /// grace period, PD's body limit, the load container's log.
    pub fn new(project: impl Into<String>, pd_endpoints: Vec<String>) -> Self {
        Self {
            project: project.into(),
            pd_endpoints,
            load_log: None,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            pd_body_limit: crate::cluster::pd::client::DEFAULT_BODY_LIMIT,
            events: EventWatchConfig::default(),
            net_helper_image: super::netfault::DEFAULT_IMAGE.to_string(),
        }
    }
}

/// The Docker connection, made on first need and retried with backoff.
struct Connection {
    control: Option<DockerControl>,
    backoff: Backoff,
    next_attempt: Option<Instant>,
    last_error: Option<BackendError>,
}

struct Shared {
    config: DockerConfig,
    pd: Arc<PdClient>,
    clock: ShowClock,
    connection: tokio::sync::Mutex<Connection>,
    last: Mutex<LastKnown>,
    fault: Mutex<Option<InjectedFault>>,
    /// Cancels the tasks feeding the current subscription.
    streams: Mutex<Option<CancellationToken>>,
    runtime: tokio::runtime::Handle,
    /// What this engine can do: its own calls until `prove` has probed
    /// the kinds that need it.
    capabilities: Mutex<Capabilities>,
}

/// The real cluster: a Docker Compose project plus PD's HTTP API.
pub struct DockerBackend {
    shared: Arc<Shared>,
}

impl DockerBackend {
    /// Sets the backend up without waiting for the world: Docker and PD are
    /// reached on first need. Must be called within a tokio runtime.
    pub fn new(config: DockerConfig, clock: ShowClock) -> Result<Self, BackendError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            BackendError::Refused("the Docker backend needs a tokio runtime".into())
        })?;
        let pd = PdClient::new(config.pd_endpoints.clone(), PD_TIMEOUT)
            .map_err(|e| BackendError::Refused(e.to_string()))?
            .with_body_limit(config.pd_body_limit);
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                pd: Arc::new(pd),
                clock,
                connection: tokio::sync::Mutex::new(Connection {
                    control: None,
                    backoff: Backoff::new(CONNECT_BACKOFF_MIN, CONNECT_BACKOFF_MAX),
                    next_attempt: None,
                    last_error: None,
                }),
                last: Mutex::default(),
                fault: Mutex::new(None),
                streams: Mutex::new(None),
                runtime,
                capabilities: Mutex::new(super::proof::unproved_capabilities()),
            }),
        })
    }

    pub fn project(&self) -> &str {
        &self.shared.config.project
    }
}

impl Shared {
    /// The control, connecting if needed (at most once per backoff step).
    async fn control(&self) -> Result<DockerControl, BackendError> {
        let mut connection = self.connection.lock().await;
        if let Some(control) = &connection.control {
            return Ok(control.clone());
        }
        if let (Some(next), Some(error)) = (connection.next_attempt, &connection.last_error)
            && Instant::now() < next
        {
            return Err(error.clone());
        }
        match tokio::time::timeout(
            PING_TIMEOUT * 2,
            DockerControl::connect(self.config.project.clone()),
        )
        .await
        {
            Ok(Ok(control)) => {
                let control = control
                    .with_stop_timeout(self.config.stop_timeout)
                    .with_net_helper_image(self.config.net_helper_image.clone());
                tracing::info!(host = %control.engine().host, version = %control.engine().version, "Docker engine reached");
                connection.control = Some(control.clone());
                connection.backoff.reset();
                connection.last_error = None;
                Ok(control)
            }
            result => {
                let error = match result {
                    Ok(Err(error)) => error,
                    _ => super::connect::unreachable("no answer from the engine"),
                };
                let wait = connection.backoff.failed();
                connection.next_attempt = Some(Instant::now() + wait);
                connection.last_error = Some(error.clone());
                tracing::warn!(%error, retry_in = ?wait, "Docker engine unreachable");
                Err(error)
            }
        }
    }

    /// Waits until the engine is reached (or `cancel` fires).
    async fn control_eventually(&self, cancel: &CancellationToken) -> Option<DockerControl> {
        loop {
            if let Ok(control) = self.control().await {
                return Some(control);
            }
            tokio::select! {
                () = cancel.cancelled() => return None,
                () = tokio::time::sleep(CONNECT_BACKOFF_MIN) => {}
            }
        }
    }

    /// What a fault on `target` strikes, read off PD's members now: PD's
    /// leader (which must still be the one the show read), a PD follower,
    /// or a TiKV node.
    async fn struck(&self, target: FaultTarget<'_>) -> Result<Struck, BackendError> {
        if let FaultTarget::Tikv(_) = target {
            return Ok(Struck::Tikv);
        }
        let members = self.pd.members().await;
        // A member's Compose service is its client URL's host (`pd0`).
        let service_of = |m: &PdMember| match address_host(&m.client_url) {
            "" => m.name.clone(),
            host => host.to_string(),
        };
        let leader = members
            .as_ref()
            .ok()
            .and_then(|all| all.iter().find(|m| m.is_leader))
            .map(service_of);
        if let FaultTarget::PdLeader(expected) = target {
            if let Err(error) = &members {
                return Err(BackendError::PdUnreachable(error.to_string()));
            }
            check_pd_leader(expected, leader.as_deref())?;
            return Ok(Struck::PdLeader);
        }
        let service = target.service();
        let is_member = members
            .as_ref()
            .is_ok_and(|all| all.iter().any(|m| service_of(m) == service));
        Ok(match (is_member, leader.as_deref() == Some(service)) {
            (true, true) => Struck::PdLeader,
            (true, false) => Struck::PdFollower,
            (false, _) => Struck::Tikv,
        })
    }

    async fn inject(
        &self,
        spec: FaultSpec,
        target: FaultTarget<'_>,
        allow_non_tikv: bool,
    ) -> Result<InjectedFault, BackendError> {
        let service = target.service();
        if let Some(fault) = self.fault.lock().ok().and_then(|f| f.clone()) {
            return Err(BackendError::FaultInPlace {
                kind: fault.kind(),
                service: fault.service,
            });
        }
        let control = self.control().await?;
        let struck = self.struck(target).await?;
        // The fault's time is when the call starts: the engine applies it
        // and emits its event before its reply comes back.
        let at = self.clock.now();
        control.inject(spec, service, allow_non_tikv).await?;
        let fault = InjectedFault {
            spec,
            service: service.to_string(),
            at,
            struck,
        };
        if let Ok(mut slot) = self.fault.lock() {
            *slot = Some(fault.clone());
        }
        Ok(fault)
    }

    async fn recover(
        &self,
        recovery: Recovery,
        service: &str,
        before: Option<&Before>,
    ) -> Result<(), BackendError> {
        let control = self.control().await?;
        let result = control.recover(recovery, service, before).await;
        let undoes_the_fault = self.fault.lock().ok().is_some_and(|fault| {
            fault
                .as_ref()
                .is_some_and(|f| f.service == service && f.kind().recovery() == recovery)
        });
        // Recovered now, or found already recovered (by hand, or a restart
        // policy): either way the fault is no longer in place.
        if undoes_the_fault
            && matches!(result, Ok(()) | Err(BackendError::NothingToRecover { .. }))
            && let Ok(mut slot) = self.fault.lock()
        {
            *slot = None;
        }
        result
    }

    async fn snapshot(&self) -> Result<ClusterSnapshot, BackendError> {
        // Stamped when the reads start: what they say may be older than an
        // event that arrives while they run, never newer.
        let taken_at = self.clock.now();
        let (pd, processes) = tokio::join!(self.pd.cluster_view(), async {
            match self.control().await {
                Ok(control) => control.processes().await,
                Err(error) => Err(error),
            }
        });
        if let Err(error) = &pd {
            tracing::debug!(%error, "PD gave no view");
        }
        let mut last = self
            .last
            .lock()
            .map_err(|_| BackendError::Refused("internal state poisoned".into()))?;
        Ok(combine(taken_at, pd, processes, &mut last, join_stores))
    }

    async fn set_load(&self, running: bool) -> Result<(), BackendError> {
        let control = self.control().await?;
        let Some(service) = control.load_service().await? else {
            if self.config.load_log.is_some() {
                // The load runs outside Compose; it is not ours to switch.
                tracing::info!(
                    running,
                    "no load service: the --load-log generator is external"
                );
                return Ok(());
            }
            return Err(BackendError::Refused(format!(
                "Compose project `{}` has no load service; start it with \
                 `docker-compose --profile load up -d`",
                self.config.project
            )));
        };
        if running {
            control.start_service(&service).await
        } else {
            control.stop_service(&service).await
        }
    }
}

#[async_trait]
impl ClusterBackend for DockerBackend {
    fn source(&self) -> ClusterSource {
        // Shown, never matched against labels: clean it.
        ClusterSource::Docker {
            project: crate::text::clean_line(&self.shared.config.project).into_owned(),
        }
    }

    async fn snapshot(&self) -> Result<ClusterSnapshot, BackendError> {
        self.shared.snapshot().await
    }

    /// The engine's own calls, and the kinds `prove` proved; on TiKV nodes,
    /// and on PD or load services too when the script names them (a node
    /// the show chooses is TiKV only).
    fn capabilities(&self) -> Capabilities {
        self.shared
            .capabilities
            .lock()
            .expect("not poisoned")
            .clone()
    }

    /// Probes the kinds among `kinds` that need it (a CPU limit written
    /// back, the packet-loss helper's rules), within the proofs' deadline.
    async fn prove(&self, kinds: &[FaultKind]) -> Capabilities {
        let wanted: Vec<FaultKind> = kinds
            .iter()
            .copied()
            .filter(|&k| super::proof::needs_proof(k))
            .collect();
        if wanted.is_empty() {
            return self.capabilities();
        }
        let proving = async {
            let control = self.shared.control().await?;
            let containers = control.containers().await?;
            Ok::<_, BackendError>(super::proof::prove_some(&control, &containers, &wanted).await)
        };
        let proofs = match tokio::time::timeout(super::proof::PROOF_DEADLINE, proving).await {
            Ok(Ok(proofs)) => proofs,
            Ok(Err(e)) => {
                super::proof::unproved(&wanted, &format!("the engine could not be asked: {e}"))
            }
            Err(_) => super::proof::unproved(
                &wanted,
                &format!(
                    "not proved within {}",
                    crate::text::secs(super::proof::PROOF_DEADLINE)
                ),
            ),
        };
        for proof in &proofs {
            tracing::info!(kind = %proof.kind, verdict = ?proof.verdict, "fault kind proved");
        }
        let capabilities = super::proof::capabilities_of(&proofs);
        *self.shared.capabilities.lock().expect("not poisoned") = capabilities.clone();
        capabilities
    }

    /// A slow store's CPU limit, read before it is lowered.
    async fn before(
        &self,
        spec: FaultSpec,
        target: FaultTarget<'_>,
    ) -> Result<Option<Before>, BackendError> {
        match spec.kind() {
            FaultKind::Slow => {
                let control = self.shared.control().await?;
                control.cpu_limit(target.service()).await.map(Some)
            }
            _ => Ok(None),
        }
    }

    async fn inject(
        &self,
        spec: FaultSpec,
        target: FaultTarget<'_>,
    ) -> Result<InjectedFault, BackendError> {
        let capabilities = self.capabilities();
        capabilities.check_kind(spec.kind(), &self.source())?;
        let allow_non_tikv = capabilities.allows_non_tikv(target);
        self.shared.inject(spec, target, allow_non_tikv).await
    }

    async fn recover(
        &self,
        recovery: Recovery,
        service: &str,
        before: Option<&Before>,
    ) -> Result<(), BackendError> {
        self.shared.recover(recovery, service, before).await
    }

    async fn recent_logs(&self, service: &str, lines: usize) -> Result<Vec<String>, BackendError> {
        self.shared
            .control()
            .await?
            .recent_logs(service, lines)
            .await
    }

    async fn set_load(&self, running: bool) -> Result<(), BackendError> {
        self.shared.set_load(running).await
    }

    /// Fresh streams; the tasks feeding earlier ones stop. The feeds run
    /// under one supervisor: one that stops or panics is a notice.
    fn subscribe(&self) -> Subscriptions {
        let (events_tx, events) = mpsc::channel::<ClusterEvent>(STREAM_CAPACITY);
        let (samples_tx, samples) = mpsc::channel::<WorkloadSample>(STREAM_CAPACITY);
        let (notices_tx, notices) = mpsc::channel::<Notice>(NOTICE_CAPACITY);
        let cancel = CancellationToken::new();
        if let Ok(mut streams) = self.shared.streams.lock()
            && let Some(previous) = streams.replace(cancel.clone())
        {
            previous.cancel();
        }
        let reports = notices_tx.clone();
        let tasks = Supervisor::start(&self.shared.runtime, cancel.clone(), move |ended| {
            if reports.try_send(Notice::from(ended)).is_err() {
                tracing::warn!("a backend notice was dropped");
            }
        });
        let shared = Arc::clone(&self.shared);
        let seen = LoadSeen::default();
        let load_log = shared.config.load_log.clone();
        // A load log file needs no engine: follow it at once.
        if let Some(path) = load_log.clone() {
            tasks.spawn(
                "load log",
                follow_load_log(
                    path,
                    shared.clock,
                    samples_tx.clone(),
                    seen.clone(),
                    cancel.child_token(),
                ),
            );
        }
        let spawner = tasks.clone();
        tasks.spawn_finite("Docker engine connection", async move {
            let Some(control) = shared.control_eventually(&cancel).await else {
                return;
            };
            let watch = event_watch(
                control.clone(),
                shared.clock,
                events_tx,
                shared.config.events,
                cancel.child_token(),
            );
            spawner.spawn("Docker event watch", watch.run);
            spawner.spawn_finite(
                "Docker event stream status",
                watch_notices(watch.status, notices_tx, cancel.child_token()),
            );
            if load_log.is_none() {
                spawner.spawn(
                    "load output",
                    forward_service_output(
                        control.clone(),
                        shared.clock,
                        samples_tx.clone(),
                        seen.clone(),
                        cancel.child_token(),
                    ),
                );
            }
            spawner.spawn(
                "status-port metrics",
                metrics_fallback(
                    Arc::clone(&shared.pd),
                    Arc::new(PublishedPorts { control }),
                    shared.clock,
                    samples_tx,
                    seen,
                    cancel.child_token(),
                ),
            );
        });
        Subscriptions {
            events,
            samples,
            notices,
        }
    }
}

impl Drop for DockerBackend {
    fn drop(&mut self) {
        if let Ok(streams) = self.shared.streams.lock()
            && let Some(cancel) = streams.as_ref()
        {
            cancel.cancel();
        }
    }
}
