//! The real cluster's Docker side: a Docker Compose project reached through
//! the Docker Engine API (bollard).
//!
//! - [`connect`]: reaching the engine (`DOCKER_HOST` or the local socket),
//!   with the host and a hint when it fails;
//! - [`labels`]: Compose labels, the role of a service, the default project
//!   name, the service behind a store address;
//! - [`mapping`]: pure mappings of Docker's types (container summaries,
//!   inspect bodies, events) to the project's own;
//! - [`control`]: [`DockerControl`], the project's containers and the faults
//!   and recoveries applied to them;
//! - [`cpu`]: a slow store's CPU limit, lowered and put back;
//! - [`netfault`]: packet loss, iptables DROP rules in a chain of ours in
//!   the target's network namespace, written by a helper container;
//! - [`proof`]: which fault kinds this engine can apply, each proved first;
//! - [`events`]: the event stream, re-opened with backoff and reconciled with
//!   the container listing;
//! - [`logs`]: following a service's output line by line;
//! - [`workload`]: the load container's output as lines and the status
//!   ports' published host ports, for the shared feeds
//!   ([`crate::cluster::feeds`]: load samples, or TiKV status-port metrics
//!   when there are none);
//! - [`backend`]: [`DockerBackend`], all of it behind the `ClusterBackend` trait.
//!
//! Containers are found by their Compose labels, never by name: names differ
//! between Compose versions (`proj_svc_1`, `proj-svc-1`).

pub mod backend;
pub mod connect;
pub mod control;
pub mod cpu;
pub mod events;
pub mod labels;
pub mod logs;
pub mod mapping;
pub mod netfault;
pub mod proof;
pub mod timestamps;
pub mod workload;

pub use backend::{DockerBackend, DockerConfig};
pub use connect::EngineInfo;
pub use control::DockerControl;
pub use events::{EventWatch, EventWatchConfig, WatchStatus, event_watch, watch_notices};
pub use labels::{classify_role, default_project_name, normalize_project_name, service_of_address};
pub use logs::{LogFollowConfig, follow_log};
pub use mapping::ProjectContainer;
