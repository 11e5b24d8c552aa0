//! The chapters file: its model and its loading. A bad file is rejected before
//! the terminal is taken over, with the path, line, column and what was expected.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

pub use super::kiosk_plan::KioskPlan;

use crate::cluster::FaultKind;

/// The default story, embedded in the binary.
pub const DEFAULT_CHAPTERS: &str = include_str!("../../assets/chapters.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    #[serde(rename = "chapter")]
    pub chapters: Vec<Chapter>,
    /// How the booth loop (`--kiosk`) varies and paces the story.
    #[serde(default)]
    pub kiosk: KioskPlan,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chapter {
    pub title: String,
    #[serde(default)]
    pub narration: String,
    /// Run in order when the chapter is entered for the first time in a pass.
    #[serde(default)]
    pub on_enter: Vec<Action>,
    /// Move on by itself once every action has completed.
    #[serde(default)]
    pub auto_advance: bool,
    /// The presenter cannot move on while an action is still running.
    #[serde(default)]
    pub blocks_advance: bool,
    /// How long the chapter stays on screen when advancing by itself (kiosk,
    /// `--auto`), counted once its actions have completed.
    #[serde(default = "default_dwell", deserialize_with = "duration")]
    pub dwell: Duration,
    /// Narration for the pass's fault kind, where it differs (a kill is
    /// told differently from a pause); `narration` otherwise.
    #[serde(default)]
    pub narration_for: BTreeMap<FaultKind, String>,
}

impl Chapter {
    /// What the chapter says when this pass's fault is `fault`.
    pub fn narration(&self, fault: Option<FaultKind>) -> &str {
        fault
            .and_then(|kind| self.narration_for.get(&kind))
            .unwrap_or(&self.narration)
    }
}

fn default_dwell() -> Duration {
    Duration::from_secs(8)
}

/// Which TiKV node a fault goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A random TiKV store that is Up (chosen with `--seed`).
    Random,
    /// A Compose service by name, e.g. `tikv1`.
    Service(String),
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        match name.trim() {
            "" => Err(serde::de::Error::custom(
                "expected \"random\" or a service name such as \"tikv1\"",
            )),
            "random" => Ok(Self::Random),
            service => Ok(Self::Service(service.to_string())),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Random => f.write_str("a random TiKV node"),
            Self::Service(name) => f.write_str(name),
        }
    }
}

/// What a chapter does when entered. Every action but a countdown has a
/// deadline (`timeout`), so no chapter can hold the show forever.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Wait until the cluster is healthy by every signal (PD and the runtime).
    WaitHealthy {
        #[serde(default = "long_wait", deserialize_with = "duration")]
        timeout: Duration,
    },
    StartLoad {
        #[serde(default = "world_call", deserialize_with = "duration")]
        timeout: Duration,
    },
    StopLoad {
        #[serde(default = "world_call", deserialize_with = "duration")]
        timeout: Duration,
    },
    /// Wait until the workload tracker has a baseline.
    AwaitBaseline {
        #[serde(default = "long_wait", deserialize_with = "duration")]
        timeout: Duration,
    },
    Countdown {
        seconds: u32,
    },
    /// Waits (up to `timeout`) until the whole cluster is healthy, then injects.
    InjectFault {
        kind: FaultKind,
        #[serde(default = "random_target")]
        target: Target,
        #[serde(default = "long_wait", deserialize_with = "duration")]
        timeout: Duration,
    },
    /// Wait until the monitor has detected the fault.
    AwaitDetection {
        #[serde(default = "long_wait", deserialize_with = "duration")]
        timeout: Duration,
    },
    Diagnose {
        #[serde(default = "diagnosis", deserialize_with = "duration")]
        timeout: Duration,
    },
    /// Undo the fault in place, if any.
    Recover {
        #[serde(default = "recovery", deserialize_with = "duration")]
        timeout: Duration,
    },
    /// Wait until every store is Up and the workload is back to normal.
    AwaitRecovery {
        #[serde(default = "long_wait", deserialize_with = "duration")]
        timeout: Duration,
    },
}

fn random_target() -> Target {
    Target::Random
}

/// Waits on the cluster: elections, heartbeats and baselines take tens of seconds.
fn long_wait() -> Duration {
    Duration::from_secs(120)
}

/// One call to the world (the load switch).
fn world_call() -> Duration {
    Duration::from_secs(30)
}

fn diagnosis() -> Duration {
    Duration::from_secs(60)
}

fn recovery() -> Duration {
    Duration::from_secs(60)
}

impl Action {
    /// A short description for the status line.
    pub fn describe(&self) -> String {
        match self {
            Self::WaitHealthy { .. } => "waiting until the cluster is healthy".into(),
            Self::StartLoad { .. } => "starting the workload".into(),
            Self::StopLoad { .. } => "stopping the workload".into(),
            Self::AwaitBaseline { .. } => "measuring the workload baseline".into(),
            Self::Countdown { seconds } => format!("countdown of {seconds}s"),
            Self::InjectFault { kind, target, .. } => format!("{kind} {target}"),
            Self::AwaitDetection { .. } => "waiting for the monitor to detect the fault".into(),
            Self::Diagnose { .. } => "asking the agent for a diagnosis".into(),
            Self::Recover { .. } => "recovering the faulty node".into(),
            Self::AwaitRecovery { .. } => "waiting for the cluster and workload to recover".into(),
        }
    }

    /// How long the action may take; a countdown is its own deadline.
    pub fn timeout(&self) -> Option<Duration> {
        match self {
            Self::Countdown { .. } => None,
            Self::WaitHealthy { timeout }
            | Self::StartLoad { timeout }
            | Self::StopLoad { timeout }
            | Self::AwaitBaseline { timeout }
            | Self::InjectFault { timeout, .. }
            | Self::AwaitDetection { timeout }
            | Self::Diagnose { timeout }
            | Self::Recover { timeout }
            | Self::AwaitRecovery { timeout } => Some(*timeout),
        }
    }
}

/// Durations in the chapters file: `"8s"`, `"500ms"`, `"2m"` or a number of seconds.
pub(super) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(f64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Seconds(s) if s.is_finite() && s >= 0.0 => Ok(Duration::from_secs_f64(s)),
        Raw::Seconds(s) => Err(serde::de::Error::custom(format!(
            "expected a non-negative number of seconds, got {s}"
        ))),
        Raw::Text(text) => crate::cli::parse_duration(&text).map_err(serde::de::Error::custom),
    }
}

/// A chapters file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {detail}")]
pub struct ScriptError {
    /// The file's path, or `built-in chapters`.
    pub origin: String,
    /// Line (1-based) when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub detail: String,
}

/// Parses and checks a chapters file's text. `origin` names it in errors.
pub fn parse_script(text: &str, origin: &str) -> Result<Script, ScriptError> {
    let script: Script = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| line_column(text, span.start))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        let detail = match (line, column) {
            (Some(l), Some(c)) => format!("line {l}, column {c}: {}", e.message()),
            _ => e.message().to_string(),
        };
        ScriptError {
            origin: origin.to_string(),
            line,
            column,
            detail,
        }
    })?;
    check(&script).map_err(|detail| ScriptError {
        origin: origin.to_string(),
        line: None,
        column: None,
        detail,
    })?;
    Ok(script)
}

/// Reads and checks a chapters file from disk.
pub fn load_script(path: &Path) -> Result<Script, ScriptError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScriptError {
        origin: origin.clone(),
        line: None,
        column: None,
        detail: format!("cannot read the file: {e}"),
    })?;
    parse_script(&text, &origin)
}

/// The built-in story.
pub fn default_script() -> Script {
    parse_script(DEFAULT_CHAPTERS, "built-in chapters").expect("the built-in chapters are valid")
}

/// Rules serde cannot express.
fn check(script: &Script) -> Result<(), String> {
    if script.chapters.is_empty() {
        return Err("expected at least one [[chapter]]".into());
    }
    if script.kiosk.faults.is_empty() {
        return Err(
            "[kiosk] faults: expected at least one fault, such as { kind = \"kill\" }".into(),
        );
    }
    for (i, chapter) in script.chapters.iter().enumerate() {
        if chapter.title.trim().is_empty() {
            return Err(format!("chapter {}: the title is empty", i + 1));
        }
        for action in &chapter.on_enter {
            if let Action::Countdown { seconds: 0 } = action {
                return Err(format!(
                    "chapter {} ({}): a countdown needs at least 1 second",
                    i + 1,
                    chapter.title
                ));
            }
        }
    }
    Ok(())
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_story_has_eight_chapters() {
        let script = default_script();
        let titles: Vec<_> = script.chapters.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Welcome",
                "Cluster health",
                "Load",
                "Fault",
                "Detection",
                "Diagnosis",
                "Recovery",
                "Complete"
            ]
        );
    }

    #[test]
    fn every_action_parses() {
        let text = r#"
[[chapter]]
title = "All"
dwell = "1.5s"
on_enter = [
  { action = "wait_healthy" },
  { action = "start_load" },
  { action = "stop_load" },
  { action = "await_baseline" },
  { action = "countdown", seconds = 3 },
  { action = "inject_fault", kind = "partition", target = "tikv2" },
  { action = "inject_fault", kind = "kill" },
  { action = "await_detection", timeout = "45s" },
  { action = "diagnose", timeout = "20s" },
  { action = "recover" },
  { action = "await_recovery", timeout = 90 },
]
"#;
        let script = parse_script(text, "t.toml").unwrap();
        let chapter = &script.chapters[0];
        assert_eq!(chapter.dwell, Duration::from_millis(1500));
        assert_eq!(chapter.on_enter.len(), 11);
        assert_eq!(
            chapter.on_enter[5],
            Action::InjectFault {
                kind: FaultKind::Partition,
                target: Target::Service("tikv2".into()),
                timeout: Duration::from_secs(120),
            }
        );
        assert_eq!(
            chapter.on_enter[6],
            Action::InjectFault {
                kind: FaultKind::Kill,
                target: Target::Random,
                timeout: Duration::from_secs(120),
            }
        );
        assert_eq!(chapter.on_enter[8].timeout(), Some(Duration::from_secs(20)));
        assert_eq!(chapter.on_enter[9].timeout(), Some(Duration::from_secs(60)));
        assert_eq!(chapter.on_enter[4].timeout(), None);
        assert_eq!(
            chapter.on_enter[10],
            Action::AwaitRecovery {
                timeout: Duration::from_secs(90)
            }
        );
    }

    fn error_of(text: &str) -> ScriptError {
        parse_script(text, "story.toml").unwrap_err()
    }

    #[test]
    fn an_unknown_action_names_its_line_column_and_the_choices() {
        let e = error_of("[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'explode' }]\n");
        assert_eq!((e.line, e.column), (Some(3), Some(24)));
        assert!(e.detail.contains("unknown variant `explode`"), "{e}");
        assert!(e.detail.contains("wait_healthy"), "{e}");
        assert!(
            e.to_string().starts_with("story.toml: line 3, column 24"),
            "{e}"
        );
    }

    #[test]
    fn a_wrong_type_says_what_was_expected() {
        let e = error_of(
            "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'countdown', seconds = 'three' }]\n",
        );
        assert_eq!(e.line, Some(3));
        assert!(e.detail.contains("expected u32"), "{e}");
    }

    #[test]
    fn a_missing_field_is_named() {
        let e = error_of("[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'inject_fault' }]\n");
        assert!(e.detail.contains("missing field `kind`"), "{e}");
        let e = error_of("[[chapter]]\nnarration = 'no title'\n");
        assert!(e.detail.contains("missing field `title`"), "{e}");
    }

    #[test]
    fn unknown_fields_and_fault_kinds_are_rejected() {
        let e = error_of("[[chapter]]\ntitle = 'a'\nauto_advanced = true\n");
        assert!(e.detail.contains("unknown field `auto_advanced`"), "{e}");
        let e =
            error_of("[[chapter]]\ntitle='a'\non_enter=[{action='inject_fault', kind='nuke'}]\n");
        assert!(e.detail.contains("unknown variant `nuke`"), "{e}");
    }

    #[test]
    fn empty_scripts_and_zero_countdowns_are_rejected() {
        assert!(error_of("").detail.contains("chapter"));
        let e = error_of("[[chapter]]\ntitle='a'\non_enter=[{action='countdown', seconds=0}]\n");
        assert!(e.detail.contains("at least 1 second"), "{e}");
        let e = error_of("[[chapter]]\ntitle='a'\ndwell='soon'\n");
        assert!(e.detail.contains("duration"), "{e}");
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let e = load_script(Path::new("/nonexistent/chapters.toml")).unwrap_err();
        assert!(e.to_string().contains("cannot read the file"), "{e}");
    }
}
