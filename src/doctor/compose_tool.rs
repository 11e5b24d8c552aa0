//! Which Compose command this machine has (`docker compose`, the v2 plugin,
//! or `docker-compose`, 1.29 as Debian ships it), so that every hint the
//! doctor gives names one that runs here.

use std::time::Duration;

use tokio::process::Command;

use super::Check;

/// How long a `version` call may take.
const VERSION_TIMEOUT: Duration = Duration::from_secs(5);

/// The Compose tools found, by their version, or `None` when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeTools {
    /// `docker compose version --short`.
    pub plugin: Option<String>,
    /// `docker-compose version --short`.
    pub standalone: Option<String>,
}

impl ComposeTools {
    /// The command the hints name: `docker-compose` when present (the
    /// README's spelling, and the default when neither is installed), else
    /// the plugin.
    pub fn command(&self) -> &'static str {
        if self.standalone.is_none() && self.plugin.is_some() {
            "docker compose"
        } else {
            "docker-compose"
        }
    }

    /// Asks both tools for their version.
    pub async fn detect() -> Self {
        let (plugin, standalone) = tokio::join!(
            version("docker", &["compose", "version", "--short"]),
            version("docker-compose", &["version", "--short"]),
        );
        Self { plugin, standalone }
    }

    /// The report's row. Pure.
    pub fn check(&self) -> Check {
        const NAME: &str = "Compose tool";
        let found: Vec<String> = [
            self.standalone
                .as_ref()
                .map(|v| format!("docker-compose {v}")),
            self.plugin.as_ref().map(|v| format!("docker compose {v}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if found.is_empty() {
            Check::warn(
                NAME,
                "neither `docker-compose` nor `docker compose` found",
                "install Docker Compose (either reads docker-compose.yaml); the hints \
                 below say docker-compose",
            )
        } else {
            Check::ok(
                NAME,
                format!("{} (hints say `{}`)", found.join(", "), self.command()),
            )
        }
    }
}

/// The first line the command prints, when it runs and succeeds in time.
async fn version(program: &str, args: &[&str]) -> Option<String> {
    let child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(VERSION_TIMEOUT, child)
        .await
        .ok()?
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next()?.trim();
    (!first.is_empty()).then(|| crate::text::clean_line(first).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    fn tools(plugin: Option<&str>, standalone: Option<&str>) -> ComposeTools {
        ComposeTools {
            plugin: plugin.map(str::to_string),
            standalone: standalone.map(str::to_string),
        }
    }

    #[test]
    fn the_hints_name_a_tool_that_is_there() {
        assert_eq!(tools(Some("2.29.1"), None).command(), "docker compose");
        assert_eq!(tools(None, Some("1.29.2")).command(), "docker-compose");
        assert_eq!(
            tools(Some("2.29.1"), Some("1.29.2")).command(),
            "docker-compose"
        );
        assert_eq!(tools(None, None).command(), "docker-compose");
    }

    #[test]
    fn the_row_names_what_was_found() {
        let both = tools(Some("2.29.1"), Some("1.29.2")).check();
        assert_eq!(both.status, Status::Ok);
        assert_eq!(
            both.detail,
            "docker-compose 1.29.2, docker compose 2.29.1 (hints say `docker-compose`)"
        );
        let none = tools(None, None).check();
        assert_eq!(none.status, Status::Warn);
        assert!(
            none.hint
                .as_deref()
                .unwrap()
                .contains("install Docker Compose")
        );
    }
}
