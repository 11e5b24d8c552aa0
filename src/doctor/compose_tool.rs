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

/// The Compose command the hints print: `tool`, and for a cluster named
/// with --compose-project (`named`), `-p NAME` and the files its containers
/// were made from, so that a hint run as printed, from any directory, acts
/// on the cluster being checked and not on this directory's project. Pure.
pub fn invocation(tool: &str, named: Option<&str>, files: &[String]) -> String {
    let Some(project) = named else {
        return tool.to_string();
    };
    let mut command = format!("{tool} -p {}", shell_word(project));
    for file in files {
        command.push_str(" -f ");
        command.push_str(&shell_word(file));
    }
    command
}

/// The files of every `com.docker.compose.project.config_files` label
/// (comma-separated paths), in order, each once. Pure.
pub fn config_files<'a>(labels: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for file in labels.into_iter().flat_map(|label| label.split(',')) {
        let file = file.trim();
        if !file.is_empty() && !files.iter().any(|f| f == file) {
            files.push(file.to_string());
        }
    }
    files
}

/// `word` as a shell reads it back: as it is when it holds nothing the
/// shell would split or expand, else in single quotes.
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
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
    fn hints_for_a_named_project_act_on_it_and_its_files() {
        assert_eq!(invocation("docker-compose", None, &[]), "docker-compose");
        assert_eq!(
            invocation("docker compose", Some("demo"), &[]),
            "docker compose -p demo"
        );
        let files = config_files([
            "/srv/demo/docker-compose.yaml,/srv/demo/override.yaml",
            "/srv/demo/docker-compose.yaml",
        ]);
        assert_eq!(
            files,
            ["/srv/demo/docker-compose.yaml", "/srv/demo/override.yaml"]
        );
        assert_eq!(
            invocation("docker-compose", Some("demo"), &files),
            "docker-compose -p demo -f /srv/demo/docker-compose.yaml -f /srv/demo/override.yaml"
        );
        assert_eq!(
            invocation(
                "docker-compose",
                Some("demo"),
                &["/my demo/it's.yaml".into()]
            ),
            "docker-compose -p demo -f '/my demo/it'\\''s.yaml'"
        );
        assert_eq!(config_files(["", " , "]), Vec::<String>::new());
    }

    proptest::proptest! {
        /// Whatever the labels hold, each file comes out once, trimmed,
        /// non-empty and without the separator.
        #[test]
        fn config_files_are_whole_and_distinct(labels in proptest::collection::vec("\\PC{0,40}|[ ,/a-z.]{0,40}", 0..4)) {
            let files = config_files(labels.iter().map(String::as_str));
            for (i, file) in files.iter().enumerate() {
                proptest::prop_assert!(!file.is_empty() && !file.contains(','));
                proptest::prop_assert_eq!(file.trim(), file.as_str());
                proptest::prop_assert!(!files[..i].contains(file));
            }
        }
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
