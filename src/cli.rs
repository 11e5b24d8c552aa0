//! Command line (clap derive).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "chaosdeck",
    version,
    about = "A live chaos-engineering demo of a TiKV cluster, in the terminal",
    long_about = "A live chaos-engineering demo of a TiKV cluster, in the terminal.\n\n\
        Press SPACE or ENTER to walk through the chapters: a healthy cluster under load, \
        a countdown, a TiKV node killed, the monitor detecting it, the agent explaining it, \
        the node recovered. Runs on a built-in simulated cluster by default (no Docker needed)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub show: ShowArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a chapters file and report the first problem with its line and column.
    CheckScript {
        /// The chapters file (TOML).
        file: PathBuf,
    },
    /// Preflight checks for the real cluster: Docker, Compose services, PD, stores, load,
    /// and whether the configured agent answers.
    Doctor,
    /// The scoreboard of one or more journals: passes, faults, time to detect
    /// and to recover (rotated files are read in order; damaged lines skipped).
    Report {
        /// Journal files or state directories (default: this state directory's journal).
        journals: Vec<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Score the agent (--agent) on recorded evidence: root cause, node, action, and
    /// declining to guess when the evidence is thin.
    Eval {
        /// Directory of cases, one subdirectory each with case.toml and evidence.json.
        #[arg(default_value = "evals")]
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgentKind {
    /// The built-in analyzer alone (offline, deterministic).
    Builtin,
    /// Claude, through Anthropic's Messages API, beside the built-in analyzer.
    Anthropic,
    /// Any OpenAI-compatible chat-completions server (OpenAI, Ollama, llama.cpp,
    /// vLLM, LiteLLM), beside the built-in analyzer.
    Openai,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClusterKind {
    /// The built-in simulated TiKV cluster (no Docker needed).
    Sim,
    /// A real cluster in Docker Compose, through PD's HTTP API and the Docker Engine.
    Docker,
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// Which cluster to run against.
    #[arg(long, global = true, value_enum, default_value_t = ClusterKind::Sim)]
    pub cluster: ClusterKind,

    /// Seed for the simulator and the random fault target; the same seed replays
    /// the same trace. Random when not given.
    #[arg(long, global = true)]
    pub seed: Option<u64>,

    /// Run show time (countdowns, simulator, timers) at this many times real time.
    #[arg(long, global = true, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Number of TiKV stores in the simulated cluster.
    #[arg(long, global = true, default_value_t = 3, value_parser = clap::value_parser!(u8).range(3..=7))]
    pub stores: u8,

    /// Number of regions in the simulated cluster.
    #[arg(long, global = true, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub regions: u32,

    /// Store heartbeat interval of the simulated TiKV (TiKV's default is 10s).
    #[arg(long, global = true, default_value = "10s", value_parser = parse_duration)]
    pub heartbeat_interval: Duration,

    /// PD's max-store-down-time in the simulated cluster (PD's default is 30m).
    #[arg(long, global = true, default_value = "30m", value_parser = parse_duration)]
    pub max_store_down_time: Duration,

    /// Chapters file to use instead of the built-in story.
    #[arg(long, global = true, value_name = "FILE")]
    pub script: Option<PathBuf>,

    /// Tell the story as timestamped lines on standard output (no full screen).
    #[arg(long, global = true)]
    pub plain: bool,

    /// Advance by itself (each chapter's dwell, or when its action completes).
    /// With --plain, exit after one pass.
    #[arg(long, global = true)]
    pub auto: bool,

    /// The booth loop: tell the story again and again, rotating the faults,
    /// healing between passes, holding when the cluster stays unhealthy. Any
    /// key hands control to a person; autoplay resumes after the idle time.
    #[arg(long, global = true, conflicts_with = "auto")]
    pub kiosk: bool,

    /// Where the fault ledger, the journal and the logs are kept (default: the
    /// user's state directory, e.g. ~/.local/state/chaosdeck).
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// The journal file (JSON lines; default: journal.jsonl in the state directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub journal: Option<PathBuf>,

    /// A journal file is rotated once it reaches this many MiB.
    #[arg(long, global = true, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub journal_max_mib: u64,

    /// How many journal files to keep (the current one and the rotated ones).
    #[arg(long, global = true, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub journal_files: u16,

    /// At start-up, only report faults left behind (by the ledger or on the
    /// cluster); do not heal them.
    #[arg(long, global = true)]
    pub no_heal: bool,

    /// Workload below this fraction of the baseline shows as a warning (yellow).
    #[arg(long, global = true, default_value_t = 0.8)]
    pub warn_below: f64,

    /// Workload below this fraction of the baseline is degraded (red).
    #[arg(long, global = true, default_value_t = 0.5)]
    pub degraded_below: f64,

    /// A fixed workload baseline in ops/s instead of measuring one.
    #[arg(long, global = true)]
    pub baseline: Option<f64>,

    /// p99 latency above this is reported as high.
    #[arg(long, global = true, default_value = "100ms", value_parser = parse_duration)]
    pub p99_high: Duration,

    /// PD endpoint (repeatable; tried in turn). Real cluster only.
    #[arg(
        long = "pd",
        global = true,
        value_name = "URL",
        default_value = "http://127.0.0.1:2379"
    )]
    pub pd: Vec<String>,

    /// Docker Compose project of the real cluster (default: this directory's name,
    /// as Compose names it).
    #[arg(long, global = true)]
    pub compose_project: Option<String>,

    /// Follow this load-generator log file (go-ycsb or Java YCSB) instead of the
    /// load container's output.
    #[arg(long, global = true, value_name = "FILE")]
    pub load_log: Option<PathBuf>,

    /// Log to this file instead of the rolling daily files in the state
    /// directory's logs/ (never to the terminal).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// The least important log lines written: error, warn, info, debug or trace
    /// (CHAOSDECK_LOG, in tracing's filter syntax, overrides it).
    #[arg(long, global = true, default_value = "info", value_parser = ["error", "warn", "info", "debug", "trace"])]
    pub log_level: String,
    /// Who diagnoses: the built-in analyzer alone, or a model beside it (the
    /// built-in diagnosis always runs and stands when the model fails).
    #[arg(long, global = true, value_enum, default_value_t = AgentKind::Builtin)]
    pub agent: AgentKind,

    /// The model to ask (default claude-sonnet-4-5 for anthropic, gpt-4o-mini for openai).
    #[arg(long, global = true)]
    pub model: Option<String>,

    /// Base URL of the model's API: an OpenAI-compatible server or a proxy
    /// (e.g. http://127.0.0.1:11434/v1 for Ollama). Default: the provider's own.
    #[arg(long, global = true, value_name = "URL")]
    pub agent_url: Option<String>,

    /// Environment variable that holds the API key (default ANTHROPIC_API_KEY or
    /// OPENAI_API_KEY). The key is never logged or shown.
    #[arg(long, global = true, value_name = "NAME")]
    pub agent_key_env: Option<String>,

    /// Tool calls the model may make per diagnosis.
    #[arg(long, global = true, default_value_t = 8, value_parser = clap::value_parser!(u32).range(0..=50))]
    pub agent_steps: u32,

    /// Time the model has to send its first token, per request.
    #[arg(long, global = true, default_value = "20s", value_parser = parse_duration)]
    pub agent_first_token: Duration,

    /// Time the model has for the whole diagnosis, tool calls and retries included
    /// (within the story's diagnose deadline, 60 s by default).
    #[arg(long, global = true, default_value = "50s", value_parser = parse_duration)]
    pub agent_timeout: Duration,

    /// Output tokens per request (the server's `max_tokens`).
    #[arg(long, global = true, default_value_t = 1500, value_parser = clap::value_parser!(u32).range(16..=64_000))]
    pub agent_max_tokens: u32,

    /// Requests to the model per diagnosis (one diagnosis per pass of the default story).
    #[arg(long, global = true, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub agent_calls_per_pass: u32,

    /// Requests to the model in any rolling hour (a kiosk runs for days).
    #[arg(long, global = true, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub agent_calls_per_hour: u32,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let speed: f64 = s.parse().map_err(|_| format!("not a number: {s}"))?;
    if speed.is_finite() && (0.01..=1000.0).contains(&speed) {
        Ok(speed)
    } else {
        Err("speed must be between 0.01 and 1000".into())
    }
}

/// Parses `500ms`, `10s`, `30m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("expected a duration such as 500ms, 10s or 30m, got {s:?}"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {s:?} (use ms, s, m or h)"
            ));
        }
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("not a valid duration: {s:?}"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_parse_as_written() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn store_count_is_bounded() {
        assert!(Cli::try_parse_from(["chaosdeck", "--stores", "8"]).is_err());
        assert!(Cli::try_parse_from(["chaosdeck", "--stores", "7"]).is_ok());
    }
}
