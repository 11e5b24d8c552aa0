//! The recording's file format: NDJSON, a header line and then one line per
//! input the app received, each stamped with show time. Parsing is pure and
//! says which line is wrong; a last line cut off mid-write (the process died
//! while writing it) ends the recording there instead of failing it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::app::{AppConfig, Kind, Level, Mode, Msg};
use crate::cluster::ClusterSource;
use crate::monitor::MonitorConfig;
use crate::story::Script;
use crate::workload::tracker::TrackerConfig;

/// The format this chaosdeck writes and reads. Raised whenever a recorded
/// type changes shape, so an older file is refused by name, not misread.
pub const FORMAT: u32 = 1;

/// The first line: what is needed to build the same app again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The recording format ([`FORMAT`]); its key marks the file as ours.
    pub chaosdeck_recording: u32,
    /// The chaosdeck that recorded it.
    pub version: String,
    /// When recording started (RFC 3339, UTC).
    pub started: String,
    /// The header's words for the cluster (`SIM`, `DOCKER demo`).
    pub cluster: String,
    /// Where the chapters came from (`built-in chapters`, a path).
    pub story: String,
    pub seed: u64,
    /// Show time per real second when recorded: the replay's default pace.
    pub speed: f64,
    pub setup: Setup,
}

impl Header {
    /// The header of a run of `config`, its chapters `text` from `story`,
    /// at `speed`, recorded by this chaosdeck from now.
    pub fn new(config: &AppConfig, story: &str, text: &str, speed: f64) -> Self {
        Self {
            chaosdeck_recording: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_string(),
            started: crate::state::rfc3339(crate::state::wall_now()),
            cluster: config.source.to_string(),
            story: story.to_string(),
            seed: config.seed,
            speed,
            setup: Setup::of(config, text),
        }
    }
}

/// The app's configuration, field for field, with the chapters file's text:
/// a replay parses the same text and needs neither the file nor the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    pub source: ClusterSource,
    pub mode: Mode,
    pub seed: u64,
    pub story_text: String,
    pub warn_below: f64,
    pub degraded_below: f64,
    pub fixed_baseline: Option<f64>,
    pub warmup_samples: usize,
    pub history_len: usize,
    pub monitor_degraded_below: f64,
    pub p99_high: Duration,
    pub analyzer_name: String,
    pub exit_after_one_pass: bool,
    pub confirm_window: Duration,
}

impl Setup {
    /// `config` as recorded, its chapters parsed from `story_text`.
    pub fn of(config: &AppConfig, story_text: &str) -> Self {
        Self {
            source: config.source.clone(),
            mode: config.mode,
            seed: config.seed,
            story_text: story_text.to_string(),
            warn_below: config.tracker.warn_below,
            degraded_below: config.tracker.degraded_below,
            fixed_baseline: config.tracker.fixed_baseline,
            warmup_samples: config.tracker.warmup_samples,
            history_len: config.tracker.history_len,
            monitor_degraded_below: config.monitor.degraded_below,
            p99_high: config.monitor.p99_high,
            analyzer_name: config.analyzer_name.clone(),
            exit_after_one_pass: config.exit_after_one_pass,
            confirm_window: config.confirm_window,
        }
    }

    /// The configuration again, with the story as `script` (parsed by the
    /// caller from [`Setup::story_text`]).
    pub fn app_config(&self, script: Script) -> AppConfig {
        AppConfig {
            source: self.source.clone(),
            script,
            mode: self.mode,
            seed: self.seed,
            tracker: TrackerConfig {
                warn_below: self.warn_below,
                degraded_below: self.degraded_below,
                fixed_baseline: self.fixed_baseline,
                warmup_samples: self.warmup_samples,
                history_len: self.history_len,
            },
            monitor: MonitorConfig {
                degraded_below: self.monitor_degraded_below,
                p99_high: self.p99_high,
            },
            analyzer_name: self.analyzer_name.clone(),
            exit_after_one_pass: self.exit_after_one_pass,
            confirm_window: self.confirm_window,
        }
    }
}

/// What changes the app, besides [`Msg`]: everything `update` and the two
/// calls before the show starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// `App::set_stale_after`: the show's snapshot pace.
    StaleAfter(Duration),
    /// `App::tell_as`: a line from outside the story (start-up heals).
    Tell {
        level: Level,
        kind: Kind,
        text: String,
    },
    Msg(Msg),
}

/// One line after the header.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    /// Show time when the app received it, in seconds: the replay's pace.
    pub t: f64,
    #[serde(flatten)]
    pub input: Input,
}

impl Line {
    pub fn at(&self) -> Duration {
        Duration::try_from_secs_f64(self.t).unwrap_or_default()
    }
}

/// A recording read whole.
#[derive(Debug, Clone)]
pub struct Recording {
    pub header: Header,
    pub lines: Vec<Line>,
    /// The last line was cut off mid-write: the run ended there.
    pub cut_off: bool,
}

/// Why a recording cannot be replayed: the line (from 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct RecordingError {
    pub line: usize,
    pub what: String,
}

/// Reads a whole recording. Every line must parse, except a last line
/// without its newline, which is the cut a killed process leaves (even in
/// the middle of a character: hence bytes, not text).
pub fn parse(bytes: &[u8]) -> Result<Recording, RecordingError> {
    let mut lines = bytes.split_inclusive(|b| *b == b'\n').enumerate();
    let Some((_, first)) = lines.next() else {
        return Err(RecordingError {
            line: 1,
            what: "the file is empty: not a chaosdeck recording".into(),
        });
    };
    let first = std::str::from_utf8(first).map_err(|_| RecordingError {
        line: 1,
        what: "not a chaosdeck recording (not UTF-8 text)".into(),
    })?;
    let header = parse_header(first.trim_end())?;
    let mut out = Vec::new();
    let mut cut_off = false;
    for (index, raw) in lines {
        let number = index + 1;
        let complete = raw.ends_with(b"\n");
        let parsed = std::str::from_utf8(raw)
            .map_err(|_| "not UTF-8 text".to_string())
            .map(|line| line.trim_end_matches(['\n', '\r']))
            .and_then(|line| match line.trim().is_empty() {
                true => Ok(None),
                false => parse_line(line).map(Some),
            });
        match parsed {
            Ok(Some(parsed)) => out.push(parsed),
            Ok(None) => {}
            Err(_) if !complete => cut_off = true,
            Err(what) => {
                return Err(RecordingError {
                    line: number,
                    what: damaged(&what, &header),
                });
            }
        }
    }
    Ok(Recording {
        header,
        lines: out,
        cut_off,
    })
}

/// The header, or why this is not a recording this chaosdeck reads.
pub fn parse_header(line: &str) -> Result<Header, RecordingError> {
    let err = |what: String| RecordingError { line: 1, what };
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| err(format!("not a chaosdeck recording (not JSON: {e})")))?;
    let Some(format) = value.get("chaosdeck_recording").and_then(|v| v.as_u64()) else {
        return Err(err(
            "not a chaosdeck recording (no \"chaosdeck_recording\" header)".into(),
        ));
    };
    if format != u64::from(FORMAT) {
        let by = value
            .get("version")
            .and_then(|v| v.as_str())
            .unwrap_or("an unknown version");
        return Err(err(format!(
            "recorded by chaosdeck {} in recording format {format}; this chaosdeck ({}) reads format {FORMAT} only: replay it with chaosdeck {}",
            crate::text::clean_line(by),
            env!("CARGO_PKG_VERSION"),
            crate::text::clean_line(by),
        )));
    }
    serde_json::from_value(value).map_err(|e| err(format!("a damaged header: {e}")))
}

/// One line after the header.
pub fn parse_line(line: &str) -> Result<Line, String> {
    let parsed: Line = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if !(parsed.t.is_finite() && parsed.t >= 0.0) {
        return Err(format!("a show time that cannot be: {}", parsed.t));
    }
    Ok(parsed)
}

fn damaged(what: &str, header: &Header) -> String {
    let mut text = format!("a damaged line ({})", crate::text::clean_line(what));
    if header.version != env!("CARGO_PKG_VERSION") {
        text.push_str(&format!(
            "; it was recorded by chaosdeck {}, this is {}",
            crate::text::clean_line(&header.version),
            env!("CARGO_PKG_VERSION")
        ));
    }
    text
}
