//! Reaching the Docker engine: the usual rules (`DOCKER_HOST`, else the local
//! socket), API version negotiation (the engine may be older than bollard),
//! a ping with a timeout, and errors that say where we looked and what to do.

use std::time::Duration;

use bollard::Docker;

use crate::cluster::BackendError;

/// How long a ping may take before the engine counts as unreachable.
pub const PING_TIMEOUT: Duration = Duration::from_secs(3);

const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// What the engine said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    /// Where we connected, e.g. `unix:///var/run/docker.sock`.
    pub host: String,
    /// Engine version, e.g. `20.10.24+dfsg1`.
    pub version: String,
    /// The API version both sides speak, e.g. `1.41`.
    pub api_version: String,
}

/// The runtime's name in messages: `Docker unreachable: ...`.
pub const RUNTIME: &str = "Docker";

/// The Docker engine did not answer, for `why`.
pub fn unreachable(why: impl Into<String>) -> BackendError {
    BackendError::runtime_unreachable(RUNTIME, why)
}

/// The engine address the connection uses (`DOCKER_HOST`, else the local socket).
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string())
}

/// Connects, negotiates the API version and pings, all within `timeout`.
pub async fn connect(timeout: Duration) -> Result<(Docker, EngineInfo), BackendError> {
    let host = docker_host();
    let unreachable = |why: String| unreachable(explain(&host, &why));
    let docker = Docker::connect_with_defaults().map_err(|e| unreachable(e.to_string()))?;
    let docker = tokio::time::timeout(timeout, docker.negotiate_version())
        .await
        .map_err(|_| unreachable(format!("no answer within {timeout:?}")))?
        .map_err(|e| unreachable(e.to_string()))?;
    let version = tokio::time::timeout(timeout, docker.version())
        .await
        .map_err(|_| unreachable(format!("no answer within {timeout:?}")))?
        .map_err(|e| unreachable(e.to_string()))?;
    let info = EngineInfo {
        host,
        version: version
            .version
            .map_or_else(|| "unknown".into(), |v| crate::text::excerpt(&v, 40)),
        api_version: docker.client_version().to_string(),
    };
    Ok((docker, info))
}

/// Pings an existing connection within `timeout`.
pub async fn ping(docker: &Docker, timeout: Duration) -> Result<(), BackendError> {
    let host = docker_host();
    match tokio::time::timeout(timeout, docker.ping()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unreachable(explain(&host, &e.to_string()))),
        Err(_) => Err(unreachable(explain(
            &host,
            &format!("no answer within {timeout:?}"),
        ))),
    }
}

/// The error text with the host and a hint for the usual causes.
pub fn explain(host: &str, error: &str) -> String {
    let lower = error.to_ascii_lowercase();
    let hint = if let Some(path) = host.strip_prefix("unix://") {
        if !std::path::Path::new(path).exists() || lower.contains("no such file") {
            format!(
                "no socket at {path}: is the Docker engine running? Start it, or set \
                 DOCKER_HOST to where it listens"
            )
        } else if lower.contains("permission denied") {
            format!(
                "permission denied on {path}: add your user to the `docker` group \
                 (then log in again), or run with access to the socket"
            )
        } else {
            "is the Docker engine running and answering? (`docker version` should show a Server)"
                .to_string()
        }
    } else if lower.contains("scheme") {
        "DOCKER_HOST must start with unix://, tcp://, http:// or https://".to_string()
    } else {
        "is the engine at DOCKER_HOST up and reachable from here?".to_string()
    };
    // The engine's words enter here: cleaned like any text from the world.
    crate::text::clean_line(&format!("{host}: {error}; {hint}")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_socket_says_so_with_the_path() {
        let text = explain(
            "unix:///nonexistent/docker.sock",
            "Socket not found: /nonexistent/docker.sock",
        );
        assert!(
            text.starts_with("unix:///nonexistent/docker.sock: "),
            "{text}"
        );
        assert!(
            text.contains("no socket at /nonexistent/docker.sock"),
            "{text}"
        );
        assert!(text.contains("DOCKER_HOST"), "{text}");
    }

    #[test]
    fn a_tcp_host_gets_a_reachability_hint() {
        let text = explain("tcp://10.0.0.9:2375", "connection refused");
        assert!(
            text.contains("tcp://10.0.0.9:2375: connection refused"),
            "{text}"
        );
        assert!(text.contains("reachable"), "{text}");
    }
}
