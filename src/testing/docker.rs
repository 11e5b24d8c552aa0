//! The Docker backend's configuration for the test projects.

use std::time::Duration;

use crate::cluster::docker::DockerConfig;

/// Where nothing listens: PD's address for a test project without PD.
pub const NO_PD: &str = "http://127.0.0.1:1";

/// The Docker backend for the test project `project` with PD at `pd`
/// ([`NO_PD`] for none): containers stopped within 5 s, the rest the
/// defaults.
pub fn docker_config(project: &str, pd: &str) -> DockerConfig {
    DockerConfig {
        stop_timeout: Duration::from_secs(5),
        ..DockerConfig::new(project, vec![pd.to_string()])
    }
}
