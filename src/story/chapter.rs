//! The chapters file: its model and its loading. A bad file is rejected before
//! the terminal is taken over, with the path, line, column and what was expected.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

pub use super::kiosk_plan::KioskPlan;

use crate::cluster::{FaultKind, FaultSpec};
use crate::text::{clean_line, clean_text};
use crate::units::duration;

/// The default story, embedded in the binary.
pub const DEFAULT_CHAPTERS: &str = include_str!("../../assets/chapters.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    #[serde(rename = "chapter", deserialize_with = "at_least_one_chapter")]
    pub chapters: Vec<Chapter>,
    /// How the booth loop (`--kiosk`) varies and paces the story.
    #[serde(default)]
    pub kiosk: KioskPlan,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[chapter]] table")]
pub struct Chapter {
    #[serde(deserialize_with = "title")]
    pub title: String,
    #[serde(default)]
    pub narration: String,
    /// Run in order when the chapter is entered for the first time in a pass.
    #[serde(default, deserialize_with = "actions")]
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
    /// When advancing by itself (kiosk, `--auto`): how long the narration is
    /// on screen alone before the first action starts, so it can be read
    /// before a countdown runs beside it.
    #[serde(default, deserialize_with = "duration")]
    pub lead_in: Duration,
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
#[serde(
    tag = "action",
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "an action such as { action = \"recover\" }"
)]
pub enum Action {
    /// Wait until the cluster is healthy by every signal (PD and the runtime).
    WaitHealthy {
        #[serde(default = "long_wait", deserialize_with = "timeout")]
        timeout: Duration,
    },
    StartLoad {
        #[serde(default = "world_call", deserialize_with = "timeout")]
        timeout: Duration,
    },
    StopLoad {
        #[serde(default = "world_call", deserialize_with = "timeout")]
        timeout: Duration,
    },
    /// Wait until the workload tracker has a baseline.
    AwaitBaseline {
        #[serde(default = "long_wait", deserialize_with = "timeout")]
        timeout: Duration,
    },
    Countdown {
        #[serde(deserialize_with = "countdown_seconds")]
        seconds: u32,
    },
    /// Waits (up to `timeout`) until the whole cluster is healthy, then injects.
    InjectFault(Inject),
    /// Wait until the monitor has detected the fault: by default until PD's
    /// own verdict on the store (`until = "pd_verdict"`), or until the first
    /// signal, whichever it is (`until = "first_signal"`).
    AwaitDetection {
        #[serde(default = "long_wait", deserialize_with = "timeout")]
        timeout: Duration,
        #[serde(default, deserialize_with = "detect_until")]
        until: DetectUntil,
    },
    /// Ask the agent, once the evidence it weighs is in: PD's verdict on the
    /// faulty store, the runtime's process state and a workload sample since
    /// the fault. After `evidence_timeout` it asks with what there is, and
    /// says what is missing.
    Diagnose {
        #[serde(default = "diagnosis", deserialize_with = "timeout")]
        timeout: Duration,
        #[serde(default = "evidence_wait", deserialize_with = "evidence_timeout")]
        evidence_timeout: Duration,
    },
    /// Undo the fault in place, if any.
    Recover {
        #[serde(default = "recovery", deserialize_with = "timeout")]
        timeout: Duration,
    },
    /// Wait until every store is Up and the workload is back to normal.
    AwaitRecovery {
        #[serde(default = "long_wait", deserialize_with = "timeout")]
        timeout: Duration,
    },
}

/// `{ action = "inject_fault", kind = "slow", cpus = 0.2 }`: the fault,
/// with its parameter, and where it goes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawInject")]
pub struct Inject {
    pub fault: FaultSpec,
    pub target: Target,
    pub timeout: Duration,
}

/// The action's table as written; the kind and its parameter are checked
/// together once both are read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInject {
    #[serde(deserialize_with = "fault_kind")]
    kind: FaultKind,
    cpus: Option<f64>,
    percent: Option<f64>,
    #[serde(default = "random_target", deserialize_with = "fault_target")]
    target: Target,
    #[serde(default = "long_wait", deserialize_with = "timeout")]
    timeout: Duration,
}

impl TryFrom<RawInject> for Inject {
    type Error = String;

    fn try_from(raw: RawInject) -> Result<Self, String> {
        Ok(Self {
            fault: fault_spec(raw.kind, &[("cpus", raw.cpus), ("percent", raw.percent)])?,
            target: raw.target,
            timeout: raw.timeout,
        })
    }
}

/// The spec for `kind` with the parameters a chapters file gave beside it
/// (`cpus`, `percent`); which one a kind takes is the catalogue's to say.
pub(super) fn fault_spec(
    kind: FaultKind,
    given: &[(&str, Option<f64>)],
) -> Result<FaultSpec, String> {
    let given: Vec<(&str, f64)> = given
        .iter()
        .filter_map(|&(name, value)| Some((name, value?)))
        .collect();
    match given.as_slice() {
        [] => Ok(FaultSpec::new(kind)),
        [(name, value)] => FaultSpec::with(kind, name, *value),
        _ => Err(format!("{kind} takes at most one parameter")),
    }
}

/// What ends an `await_detection`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectUntil {
    /// PD has named the store (Disconnected, Down): 10 to 20 s after a kill.
    #[default]
    PdVerdict,
    /// Any signal: the runtime's event, usually at once.
    FirstSignal,
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

/// PD's verdict comes at most 20 s after the last heartbeat, which is at
/// most 10 s before the fault: evidence still missing after this will not come.
fn evidence_wait() -> Duration {
    Duration::from_secs(40)
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
            Self::InjectFault(inject) => format!("{} {}", inject.fault, inject.target),
            Self::AwaitDetection {
                until: DetectUntil::PdVerdict,
                ..
            } => "waiting for PD's verdict on the faulty store".into(),
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
            | Self::InjectFault(Inject { timeout, .. })
            | Self::AwaitDetection { timeout, .. }
            | Self::Diagnose { timeout, .. }
            | Self::Recover { timeout }
            | Self::AwaitRecovery { timeout } => Some(*timeout),
        }
    }
}

/// Durations in the chapters file: `"8s"`, `"500ms"`, `"2m"` or a number of
/// seconds, through the one parser and its bound ([`crate::units::duration`]).
pub(super) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"8s\" or a number of seconds")
    }

    fn visit_f64<E: de::Error>(self, seconds: f64) -> Result<Duration, E> {
        duration::from_secs_f64(seconds).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Duration, E> {
        self.visit_f64(seconds as f64)
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Duration, E> {
        self.visit_f64(seconds as f64)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        duration::parse_duration(text).map_err(E::custom)
    }
}

/// A countdown's `seconds`: a whole number, at least 1, within the duration bound.
fn countdown_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    named("seconds", d.deserialize_u32(CountdownSeconds))
}

struct CountdownSeconds;

impl Visitor<'_> for CountdownSeconds {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number of seconds")
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<u32, E> {
        let seconds = u64::try_from(seconds).map_err(|_| {
            E::custom(format!(
                "{seconds} is negative; a countdown needs at least 1 second"
            ))
        })?;
        self.visit_u64(seconds)
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<u32, E> {
        if seconds == 0 {
            return Err(E::custom("a countdown needs at least 1 second"));
        }
        if seconds > duration::MAX_DURATION.as_secs() {
            return Err(E::custom(format!(
                "{seconds} is longer than the limit of {}",
                duration::MAX_DURATION_TEXT
            )));
        }
        // Within the bound, which is far below u32::MAX.
        u32::try_from(seconds).map_err(E::custom)
    }
}

/// A title, of a chapter or of the attract chapter: shown, so never blank.
pub(super) fn title<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let title = String::deserialize(d)?;
    if title.trim().is_empty() {
        return Err(de::Error::custom("a title cannot be blank"));
    }
    Ok(title)
}

fn at_least_one_chapter<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Chapter>, D::Error> {
    let chapters = Vec::deserialize(d)?;
    if chapters.is_empty() {
        return Err(de::Error::custom("expected at least one [[chapter]]"));
    }
    Ok(chapters)
}

/// An action's fields name themselves in their errors, because inside an
/// inline action table toml can point at the table only, not at the field.
fn named<T, E: de::Error>(key: &str, value: Result<T, E>) -> Result<T, E> {
    // toml's errors end their text with a newline.
    value.map_err(|e| E::custom(format!("{key}: {}", e.to_string().trim_end())))
}

/// `on_enter`, each action read as a newtype so that toml, which positions
/// an error at the innermost value that holds it, can point at the action's
/// own table: an action's fields are read only once its tag is known, after
/// toml has left the table, and would otherwise get the whole list's position.
fn actions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Action>, D::Error> {
    #[derive(Deserialize)]
    struct OneAction(Action);
    let actions = Vec::<OneAction>::deserialize(d)?;
    Ok(actions
        .into_iter()
        .map(|OneAction(action)| action)
        .collect())
}

fn timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    named("timeout", duration(d))
}

fn evidence_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    named("evidence_timeout", duration(d))
}

fn fault_kind<'de, D: Deserializer<'de>>(d: D) -> Result<FaultKind, D::Error> {
    named("kind", FaultKind::deserialize(d))
}

fn fault_target<'de, D: Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
    named("target", Target::deserialize(d))
}

fn detect_until<'de, D: Deserializer<'de>>(d: D) -> Result<DetectUntil, D::Error> {
    named("until", DetectUntil::deserialize(d))
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
/// Every rule is checked while parsing, so every rejection has toml's
/// position. Text that reaches the screen (titles, narration, service names)
/// is cleaned here, where it enters.
pub fn parse_script(text: &str, origin: &str) -> Result<Script, ScriptError> {
    let origin = clean_line(origin).into_owned();
    let document = toml::de::Deserializer::parse(text).map_err(|e| {
        let key = e.span().and_then(|span| key_on_line(text, span.start));
        rejection(text, &origin, &e, key.map(str::to_owned))
    })?;
    let mut script = Script::deserialize(document)
        .map_err(|e| rejection(text, &origin, &e, key_path_end(&e)))?;
    clean_script_text(&mut script);
    Ok(script)
}

/// A toml error as `line L, column C: key: what is wrong`, in TOML's words.
fn rejection(text: &str, origin: &str, e: &toml::de::Error, key: Option<String>) -> ScriptError {
    let (line, column) = e
        .span()
        .map(|span| line_column(text, span.start))
        .map_or((None, None), |(l, c)| (Some(l), Some(c)));
    let message = in_toml_words(e.message().trim_end());
    let message = match key {
        Some(key) if !names_key(&message, &key) => format!("{key}: {message}"),
        _ => message,
    };
    let message = clean_line(&message).into_owned();
    let detail = match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: {message}"),
        _ => message,
    };
    ScriptError {
        origin: origin.to_owned(),
        line,
        column,
        detail,
    }
}

fn names_key(message: &str, key: &str) -> bool {
    message.starts_with(&format!("{key}:")) || message.contains(&format!("`{key}`"))
}

/// serde's names for TOML's types, as its messages use them, and TOML's.
const SERDE_WORDS: [(&str, &str); 8] = [
    ("invalid type: sequence", "invalid type: array"),
    ("invalid type: map", "invalid type: table"),
    ("invalid value: map", "invalid value: table"),
    ("expected a sequence", "expected an array"),
    ("expected a map", "expected a table"),
    ("expected variant identifier", "expected a name"),
    // A choice of names (a fault kind, `until`) read inside an action.
    ("expected string or map", "expected a name"),
    ("expected map with a single key", "expected a name"),
];

fn in_toml_words(message: &str) -> String {
    SERDE_WORDS
        .iter()
        .fold(message.to_owned(), |text, (serde, toml)| {
            text.replace(serde, toml)
        })
}

/// The last key of the path toml gives a serde error (`dwell` of
/// `chapter.dwell`). toml keeps the path private and writes it only when it
/// has no input to quote, after the message: "in `chapter.dwell`".
fn key_path_end(e: &toml::de::Error) -> Option<String> {
    let mut bare = e.clone();
    bare.set_input(None);
    let shown = bare.to_string();
    let path = shown
        .strip_prefix(e.message())?
        .trim()
        .strip_prefix("in `")?
        .strip_suffix('`')?;
    path.rsplit('.').next().map(str::to_owned)
}

/// Reads and checks a chapters file from disk. A file that is not UTF-8 is
/// refused with the line and column of its first bad byte.
pub fn load_script(path: &Path) -> Result<Script, ScriptError> {
    let origin = clean_line(&path.display().to_string()).into_owned();
    let error = |line, column, detail| ScriptError {
        origin: origin.clone(),
        line,
        column,
        detail,
    };
    let bytes =
        std::fs::read(path).map_err(|e| error(None, None, format!("cannot read the file: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        // The valid prefix is UTF-8 by definition.
        let (line, column) = line_column(std::str::from_utf8(valid).unwrap_or(""), valid.len());
        let byte = bytes[e.valid_up_to()];
        error(
            Some(line),
            Some(column),
            format!(
                "line {line}, column {column}: byte 0x{byte:02X} is not UTF-8; save the file as UTF-8"
            ),
        )
    })?;
    parse_script(text, &origin)
}

/// The built-in story.
pub fn default_script() -> Script {
    parse_script(DEFAULT_CHAPTERS, "built-in chapters").expect("the built-in chapters are valid")
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    // A span always starts on a character boundary; be safe anyway.
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// For a syntax error, which has no key path: the key written last before
/// `offset` on its line, else the key that starts there (a duplicate), else
/// the name of the table header on that line.
fn key_on_line(text: &str, offset: usize) -> Option<&str> {
    // A span always starts on a character boundary; be safe anyway.
    let (before, after) = (text.get(..offset)?, text.get(offset..)?);
    let line_before = before.rsplit('\n').next()?;
    let line_after = after.split('\n').next()?;
    key_before_equals(line_before)
        .or_else(|| key_at_start(line_after))
        .or_else(|| header_name(line_before))
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The key of the last `key =` in `line`, passing over any `=` in a value.
fn key_before_equals(line: &str) -> Option<&str> {
    line.rmatch_indices('=').find_map(|(at, _)| {
        let key = line[..at].trim_end();
        // Key characters are ASCII, so the byte after the last other one starts it.
        let start = key
            .char_indices()
            .rfind(|(_, c)| !is_key_char(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let starts_a_key = key[..start]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, '{' | ',' | '['));
        (start < key.len() && starts_a_key).then(|| &key[start..])
    })
}

/// The key at the start of `text`, as in `key = value`.
fn key_at_start(text: &str) -> Option<&str> {
    let end = text.find(|c| !is_key_char(c)).unwrap_or(text.len());
    let rest = text[end..].trim_start();
    (end > 0 && rest.starts_with('=')).then(|| &text[..end])
}

/// `chapter` of `[[chapter]]`, `kiosk.attract` of `[kiosk.attract]`.
fn header_name(line: &str) -> Option<&str> {
    let name = line.trim_start().strip_prefix('[')?.trim_start_matches('[');
    let name = name.split(']').next()?.trim();
    (!name.is_empty()).then_some(name)
}

/// Titles, narration and service names are drawn: clean them once here.
fn clean_script_text(script: &mut Script) {
    let line = |text: &mut String| *text = clean_line(text).into_owned();
    let paragraphs = |text: &mut String| *text = clean_text(text).into_owned();
    let target = |target: &mut Target| {
        if let Target::Service(service) = target {
            *service = clean_line(service).into_owned();
        }
    };
    for chapter in &mut script.chapters {
        line(&mut chapter.title);
        paragraphs(&mut chapter.narration);
        chapter.narration_for.values_mut().for_each(paragraphs);
        for action in &mut chapter.on_enter {
            if let Action::InjectFault(Inject { target: t, .. }) = action {
                target(t);
            }
        }
    }
    for fault in &mut script.kiosk.faults {
        target(&mut fault.target);
    }
    if let Some(attract) = &mut script.kiosk.attract {
        line(&mut attract.title);
        paragraphs(&mut attract.narration);
    }
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
            Action::InjectFault(Inject {
                fault: FaultKind::Partition.into(),
                target: Target::Service("tikv2".into()),
                timeout: Duration::from_secs(120),
            })
        );
        assert_eq!(
            chapter.on_enter[6],
            Action::InjectFault(Inject {
                fault: FaultKind::Kill.into(),
                target: Target::Random,
                timeout: Duration::from_secs(120),
            })
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
        assert!(
            e.detail
                .contains("seconds: invalid type: string \"three\", expected a whole number"),
            "{e}"
        );
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

    #[test]
    fn huge_durations_name_the_field_and_the_limit() {
        for (text, key) in [
            ("[[chapter]]\ntitle='a'\ndwell = 1e30\n", "dwell"),
            (
                "[[chapter]]\ntitle='a'\ndwell = \"100000000000000000000\"\n",
                "dwell",
            ),
            (
                "[[chapter]]\ntitle='a'\non_enter=[{action='wait_healthy', timeout = 1e300}]\n",
                "timeout",
            ),
        ] {
            let e = error_of(text);
            assert_eq!(e.line, Some(3), "{e}");
            assert!(e.detail.contains(&format!("{key}: ")), "{e}");
            assert!(e.detail.contains("longer than the limit of 8760h"), "{e}");
        }
        let e = error_of(
            "[[chapter]]\ntitle='a'\non_enter=[{action='countdown', seconds=4294967295}]\n",
        );
        assert!(
            e.detail
                .contains("seconds: 4294967295 is longer than the limit of 8760h"),
            "{e}"
        );
    }

    #[test]
    fn a_key_after_non_ascii_text_is_found() {
        assert_eq!(key_on_line("TiKV¥ = 1", 9), None);
        assert_eq!(key_on_line("¥ dwell = 1", 11), Some("dwell"));
    }

    #[test]
    fn a_syntax_error_names_the_key_of_its_line() {
        fn at<'a>(text: &'a str, needle: &str) -> Option<&'a str> {
            key_on_line(text, text.find(needle).unwrap())
        }
        // An unfinished value, past an `=` inside it.
        assert_eq!(at("narration = 'a = b\n", "\n"), Some("narration"));
        // A duplicate, where the key starts.
        assert_eq!(at("[[chapter]]\ntitle = 'b'\n", "title"), Some("title"));
        // Inside an inline table, the field before the error.
        assert_eq!(at("on_enter = [{ seconds = }]", "}"), Some("seconds"));
        assert_eq!(at("[[chapter]\n", "\n"), Some("chapter"));
        assert_eq!(
            at("narration_for.kill = \n", "\n"),
            Some("narration_for.kill")
        );
        assert_eq!(at("'just text'\n", "\n"), None);
    }

    #[test]
    fn serde_words_become_toml_words() {
        assert_eq!(
            in_toml_words("invalid type: map, expected a sequence"),
            "invalid type: table, expected an array"
        );
    }

    #[test]
    fn a_wrong_value_names_its_key() {
        let e = error_of("[[chapter]]\ntitle='a'\ndwell = 'soon'\n");
        assert!(
            e.detail
                .starts_with("line 3, column 9: dwell: \"soon\" is not a duration"),
            "{e}"
        );
    }

    #[test]
    fn text_for_the_screen_is_cleaned_where_it_enters() {
        let script = parse_script(
            "[[chapter]]\ntitle = \"A\\u202Eb\\u001b[2J\"\nnarration = \"one\\r\\ntwo\\u0007\"\n\
             on_enter = [{ action = 'inject_fault', kind = 'kill', target = \"tikv\\u200F1\" }]\n",
            "t.toml",
        )
        .unwrap();
        let chapter = &script.chapters[0];
        assert_eq!(chapter.title, "A\u{fffd}b␛[2J");
        assert_eq!(chapter.narration, "one\ntwo␇");
        assert_eq!(
            chapter.on_enter[0],
            Action::InjectFault(Inject {
                fault: FaultKind::Kill.into(),
                target: Target::Service("tikv\u{fffd}1".into()),
                timeout: Duration::from_secs(120),
            })
        );
    }

    #[test]
    fn kiosk_text_and_narration_per_fault_are_cleaned_too() {
        let script = parse_script(
            "[[chapter]]\ntitle = 'a'\nnarration_for.kill = \"x\\u202Ey\"\n\
             [kiosk]\nfaults = [{ kind = 'kill', target = \"tikv\\u001b1\" }]\n\
             attract = { title = \"Booth\\u0007\", narration = \"hi\\u200B\" }\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(
            script.chapters[0].narration_for[&FaultKind::Kill],
            "x\u{fffd}y"
        );
        assert_eq!(
            script.kiosk.faults[0].target,
            Target::Service("tikv␛1".into())
        );
        let attract = script.kiosk.attract.as_ref().unwrap();
        assert_eq!(
            (attract.title.as_str(), attract.narration.as_str()),
            ("Booth␇", "hi\u{fffd}")
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_names_the_first_bad_byte() {
        let dir = std::env::temp_dir().join(format!("chaosdeck-utf8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("latin1.toml");
        std::fs::write(&path, b"[[chapter]]\ntitle = \"Caf\xe9\"\n").unwrap();
        let e = load_script(&path).unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(13)), "{e}");
        assert!(e.detail.contains("0xE9 is not UTF-8"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
