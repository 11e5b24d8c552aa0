//! Command line (clap derive).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cluster::sim::MIN_HEARTBEAT_INTERVAL;
use crate::units::duration::MAX_DURATION_TEXT;
use crate::units::parse_duration;

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

    /// `--speed` was given (a replay otherwise keeps the recorded pace).
    #[arg(skip)]
    pub speed_given: bool,
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
        #[arg(long, conflicts_with = "html")]
        json: bool,
        /// Write one self-contained HTML page instead: the figures, each
        /// pass's workload chart, detections, diagnosis and undos, the holds.
        #[arg(long, value_name = "OUT.html")]
        html: Option<PathBuf>,
    },
    /// Replay a recording (`--record FILE`) on the same screen, labelled REPLAY:
    /// SPACE/ENTER and the left arrow move between chapters, p pauses, + and -
    /// change the speed, q leaves. No cluster is needed.
    Replay {
        /// The recording.
        file: PathBuf,
        /// Write the replay as an asciinema v3 file instead (a marker at each chapter).
        #[arg(long, value_name = "OUT.cast")]
        asciicast: Option<PathBuf>,
        /// The terminal size of the asciicast, COLSxROWS.
        #[arg(long, default_value = "100x30", value_parser = parse_size)]
        size: (u16, u16),
    },
    /// Score the agent (--agent) on recorded evidence: root cause, node, action, and
    /// declining to guess when the evidence is thin.
    Eval {
        /// Directory of cases, one subdirectory each with case.toml and evidence.json.
        #[arg(default_value = "evals")]
        dir: PathBuf,
    },
    /// Stand-in PD, TiKV and load nodes for the end-to-end tests (not for users).
    #[command(hide = true)]
    Standin(crate::standin::StandinArgs),
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
    #[arg(long, global = true, default_value = "10s", value_parser = parse_heartbeat_interval)]
    pub heartbeat_interval: Duration,

    /// PD's max-store-down-time in the simulated cluster (PD's default is 30m).
    #[arg(long, global = true, default_value = "30m", value_parser = parse_positive_duration)]
    pub max_store_down_time: Duration,

    /// The faults the simulated cluster can apply, comma-separated (default:
    /// all four). Fewer rehearse a cluster that cannot apply them all: a
    /// story asking for another is refused before the show starts.
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "KINDS",
        value_delimiter = ',',
        value_parser = parse_fault_kind
    )]
    pub sim_faults: Vec<crate::cluster::FaultKind>,

    /// Chapters file to use instead of the built-in story, or another
    /// built-in story by name: `pd-failover`, `slow-store`, `packet-loss` (a path with a `/` or a `.`
    /// is always a file).
    #[arg(long, global = true, value_name = "FILE")]
    pub script: Option<PathBuf>,

    /// Tell the story as timestamped lines on standard output (no full screen).
    #[arg(long, global = true)]
    pub plain: bool,

    /// Colours for the terminal's background; `NO_COLOR` (set to anything)
    /// turns colour off in any theme: symbols and words carry the meaning.
    #[arg(long, global = true, value_enum, default_value_t = crate::ui::theme::ThemeName::Dark)]
    pub theme: crate::ui::theme::ThemeName,

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

    /// Record every message the show receives to this file (NDJSON), to
    /// replay the run later with `chaosdeck replay FILE` (no cluster needed).
    #[arg(long, global = true, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// Workload below this fraction of the baseline shows as a warning (yellow).
    #[arg(long, global = true, default_value_t = 0.8, value_parser = parse_fraction)]
    pub warn_below: f64,

    /// Workload below this fraction of the baseline is degraded (red).
    #[arg(long, global = true, default_value_t = 0.5, value_parser = parse_fraction)]
    pub degraded_below: f64,

    /// A fixed workload baseline in ops/s instead of measuring one.
    #[arg(long, global = true, value_parser = parse_baseline)]
    pub baseline: Option<f64>,

    /// p99 latency above this is reported as high.
    #[arg(long, global = true, default_value = "100ms", value_parser = parse_duration)]
    pub p99_high: Duration,

    /// PD endpoint (repeatable; tried in turn). Real cluster only [default: the
    /// three PD client ports docker-compose.yaml publishes, 2379, 2479 and 2579
    /// on 127.0.0.1].
    #[arg(long = "pd", global = true, value_name = "URL", value_parser = parse_pd_endpoint)]
    pub pd: Vec<String>,

    /// Docker Compose project of the real cluster (default: this directory's name,
    /// as Compose names it).
    #[arg(long, global = true)]
    pub compose_project: Option<String>,

    /// Image whose iptables writes packet loss on the real cluster (build it
    /// with assets/netfault/build-image.sh).
    #[arg(
        long,
        global = true,
        env = "CHAOSDECK_NET_HELPER_IMAGE",
        value_name = "IMAGE",
        default_value = crate::cluster::docker::netfault::DEFAULT_IMAGE
    )]
    pub net_helper_image: String,

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

    /// Serve /metrics (Prometheus) and /healthz on this address, e.g.
    /// 127.0.0.1:9464; a loopback address unless --metrics-allow-remote.
    #[arg(long, global = true, value_name = "ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,

    /// Let --metrics-addr listen on an address other machines can reach.
    #[arg(long, global = true, requires = "metrics_addr")]
    pub metrics_allow_remote: bool,

    /// Also write the metrics to this file (atomically, every 10 s while the
    /// show runs), for node_exporter's textfile collector (name it *.prom).
    #[arg(long, global = true, value_name = "FILE")]
    pub metrics_textfile: Option<PathBuf>,
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
    #[arg(long, global = true, default_value = "20s", value_parser = parse_positive_duration)]
    pub agent_first_token: Duration,

    /// Time the model has for the whole diagnosis, tool calls and retries included
    /// (within the story's diagnose deadline, 60 s by default).
    #[arg(long, global = true, default_value = "50s", value_parser = parse_positive_duration)]
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

/// The show's options each subcommand reads; every other one is hidden from
/// that subcommand's help (they are global, so they are still accepted).
/// Doctor reads nearly all of them and shows them all.
const USED_BY: [(&str, &[&str]); 4] = [
    ("check-script", &[]),
    ("report", &["state_dir", "journal"]),
    ("replay", &["speed", "plain", "theme"]),
    (
        "eval",
        &[
            "agent",
            "model",
            "agent_url",
            "agent_key_env",
            "agent_steps",
            "agent_first_token",
            "agent_timeout",
            "agent_max_tokens",
            "agent_calls_per_pass",
            "agent_calls_per_hour",
        ],
    ),
];

/// The command line as parsed: [`Cli`] with each subcommand's help listing
/// only the options it reads.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let show: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    for (name, used) in USED_BY {
        // A subcommand's own copy of a global option is not replaced by the
        // global one, so a hidden copy hides it there alone.
        let hidden = show
            .iter()
            .filter(|arg| !used.contains(&arg.get_id().as_str()))
            .map(|arg| arg.clone().hide(true));
        command = command.mut_subcommand(name, |sub| sub.args(hidden));
    }
    command
}

/// Parses the process's arguments, or prints the error or the help and exits
/// as clap does.
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let given = |m: &clap::ArgMatches| {
        m.value_source("speed") == Some(clap::parser::ValueSource::CommandLine)
    };
    cli.speed_given = given(&matches) || matches.subcommand().is_some_and(|(_, sub)| given(sub));
    cli
}

/// Every PD's client URL on this machine, as `docker-compose.yaml` publishes
/// them (pd0, pd1, pd2): with all of them, a fault on one PD leaves the others.
pub const DEFAULT_PD: [&str; 3] = [
    "http://127.0.0.1:2379",
    "http://127.0.0.1:2479",
    "http://127.0.0.1:2579",
];

impl ShowArgs {
    /// The PD endpoints to try: `--pd` as given, or every [`DEFAULT_PD`].
    pub fn pd_endpoints(&self) -> Vec<String> {
        if self.pd.is_empty() {
            DEFAULT_PD.iter().map(|url| url.to_string()).collect()
        } else {
            self.pd.clone()
        }
    }

    /// Refuses options that cannot apply to the show as asked: the real
    /// cluster's options with the simulator (they would be silently
    /// ignored), thresholds that contradict each other, and a PD body limit
    /// in the environment that is not a size.
    pub fn check_applies(&self) -> Result<(), String> {
        if let Some(addr) = self.metrics_addr
            && !addr.ip().is_loopback()
            && !self.metrics_allow_remote
        {
            return Err(format!(
                "--metrics-addr {addr} is not a loopback address: /metrics and /healthz would be open to other machines; use 127.0.0.1:{}, or add --metrics-allow-remote to mean it",
                addr.port()
            ));
        }
        if self.cluster == ClusterKind::Sim {
            let given: Vec<&str> = [
                (!self.pd.is_empty()).then_some("--pd"),
                self.load_log.is_some().then_some("--load-log"),
                self.compose_project
                    .is_some()
                    .then_some("--compose-project"),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !given.is_empty() {
                let (verb, pronoun) = if given.len() == 1 {
                    ("applies", "it")
                } else {
                    ("apply", "them")
                };
                return Err(format!(
                    "{} only {verb} to a real cluster; add --cluster docker, or drop {pronoun}",
                    given.join(" and ")
                ));
            }
        }
        if self.cluster == ClusterKind::Docker {
            if !self.sim_faults.is_empty() {
                return Err(
                    "--sim-faults only applies to the simulated cluster; drop it with --cluster docker"
                        .into(),
                );
            }
            crate::cluster::pd::client::body_limit_from_env()?;
            if self.compose_project.is_none()
                && crate::cluster::docker::labels::default_project_name().is_none()
            {
                return Err(
                    "this directory's name gives no Compose project name; pass --compose-project NAME"
                        .into(),
                );
            }
        }
        if self.degraded_below > self.warn_below {
            return Err(format!(
                "--degraded-below ({}) must not be above --warn-below ({})",
                self.degraded_below, self.warn_below
            ));
        }
        Ok(())
    }
}

/// Why the full screen cannot be drawn here: standard output or input is
/// not a terminal. Checked before anything starts, so that no escape
/// sequence is written into a pipe.
pub fn no_terminal(stdout_is_terminal: bool, stdin_is_terminal: bool) -> Option<String> {
    let missing = match (stdout_is_terminal, stdin_is_terminal) {
        (true, true) => return None,
        (false, true) => "standard output is not one",
        (true, false) => "standard input is not one",
        (false, false) => "neither standard output nor standard input is one",
    };
    Some(format!(
        "the full screen needs a terminal ({missing}); use --plain"
    ))
}

/// A duration of at least `min` (the parser bounds it above), or a message
/// with the accepted range, `range` (`1ms to 8760h (365 days)`).
fn duration_at_least(s: &str, min: Duration, range: &str) -> Result<Duration, String> {
    let value = parse_duration(s).map_err(|e| e.to_string())?;
    if value < min {
        return Err(format!("{s:?} is out of range: expected {range}"));
    }
    Ok(value)
}

/// A duration a deadline or a PD setting can be: above zero.
fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    let range = format!("a duration above 0, at most {MAX_DURATION_TEXT}");
    duration_at_least(s, Duration::from_nanos(1), &range)
}

/// The simulated TiKV's heartbeat, as the simulator accepts it.
fn parse_heartbeat_interval(s: &str) -> Result<Duration, String> {
    // A setting's bound as written on the command line (`1ms`), not a span.
    let range = format!(
        "{}ms to {MAX_DURATION_TEXT}",
        MIN_HEARTBEAT_INTERVAL.as_millis()
    );
    duration_at_least(s, MIN_HEARTBEAT_INTERVAL, &range)
}

/// A fault kind by its name: `kill`, `stop`, `pause` or `partition`.
fn parse_fault_kind(s: &str) -> Result<crate::cluster::FaultKind, String> {
    use crate::cluster::FaultKind;
    FaultKind::ALL
        .into_iter()
        .find(|kind| kind.name() == s.trim())
        .ok_or_else(|| format!("expected kill, stop, pause or partition; got {s:?}"))
}

/// A PD endpoint as the PD client takes it (`host:port` or `http://host:port`).
fn parse_pd_endpoint(s: &str) -> Result<String, String> {
    crate::cluster::pd::normalize_endpoint(s)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 && value <= 1.0 => Ok(value),
        _ => Err(format!(
            "expected a fraction above 0 and at most 1, such as 0.8; got {s:?}"
        )),
    }
}

fn parse_baseline(s: &str) -> Result<f64, String> {
    let max = crate::workload::plausible::MAX_OPS_PER_SEC;
    match s.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 && value <= max => Ok(value),
        _ => Err(format!(
            "expected ops/s above 0 and at most {max:e}; got {s:?}"
        )),
    }
}

/// `COLSxROWS`, at least the screen's minimum.
fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("not a size COLSxROWS (e.g. 100x30): {s}");
    let (cols, rows) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (cols, rows): (u16, u16) = (
        cols.trim().parse().map_err(|_| bad())?,
        rows.trim().parse().map_err(|_| bad())?,
    );
    let (min_cols, min_rows) = (crate::ui::MIN_WIDTH, crate::ui::MIN_HEIGHT);
    if cols < min_cols || rows < min_rows || cols > 1000 || rows > 1000 {
        return Err(format!(
            "the size must be from {min_cols}x{min_rows} to 1000x1000, not {s}"
        ));
    }
    Ok((cols, rows))
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let speed: f64 = s.parse().map_err(|_| format!("not a number: {s}"))?;
    if speed.is_finite() && (0.01..=1000.0).contains(&speed) {
        Ok(speed)
    } else {
        Err("speed must be between 0.01 and 1000".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    #[test]
    fn metrics_listen_on_loopback_unless_told_otherwise() {
        let args = |argv: &[&str]| {
            let mut all = vec!["chaosdeck"];
            all.extend_from_slice(argv);
            Cli::try_parse_from(all).unwrap().show
        };
        assert_eq!(
            args(&["--metrics-addr", "127.0.0.1:9464"]).check_applies(),
            Ok(())
        );
        assert_eq!(
            args(&["--metrics-addr", "[::1]:9464"]).check_applies(),
            Ok(())
        );
        let open = args(&["--metrics-addr", "0.0.0.0:9464"])
            .check_applies()
            .unwrap_err();
        assert!(
            open.starts_with("--metrics-addr 0.0.0.0:9464 is not a loopback address")
                && open.contains("--metrics-allow-remote"),
            "{open}"
        );
        let meant = args(&["--metrics-addr", "0.0.0.0:9464", "--metrics-allow-remote"]);
        assert_eq!(meant.check_applies(), Ok(()));
        assert!(Cli::try_parse_from(["chaosdeck", "--metrics-allow-remote"]).is_err());
        assert!(Cli::try_parse_from(["chaosdeck", "--metrics-addr", "localhost"]).is_err());
    }

    fn help_of(args: &[&str]) -> String {
        let err = command().try_get_matches_from(args).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        err.to_string()
    }

    #[test]
    fn each_subcommand_lists_only_the_options_it_reads() {
        let eval = help_of(&["chaosdeck", "eval", "--help"]);
        for shown in [
            "--agent <AGENT>",
            "--model",
            "--agent-url",
            "--agent-timeout",
        ] {
            assert!(eval.contains(shown), "{shown}: {eval}");
        }
        for hidden in [
            "--speed",
            "--stores",
            "--theme",
            "--kiosk",
            "--cluster",
            "--pd",
        ] {
            assert!(!eval.contains(hidden), "{hidden}: {eval}");
        }
        let report = help_of(&["chaosdeck", "report", "--help"]);
        assert!(report.contains("--state-dir") && report.contains("--journal"));
        assert!(!report.contains("--speed") && !report.contains("--agent"));
        let check = help_of(&["chaosdeck", "check-script", "--help"]);
        assert!(!check.contains("--speed") && !check.contains("--state-dir"));
        // The show and doctor still list them all.
        let show = help_of(&["chaosdeck", "--help"]);
        assert!(show.contains("--speed") && show.contains("--agent-timeout"));
        let doctor = help_of(&["chaosdeck", "doctor", "--help"]);
        assert!(doctor.contains("--pd") && doctor.contains("--agent"));
    }

    #[test]
    fn a_hidden_option_is_still_read_where_it_is_given() {
        use clap::FromArgMatches;
        let parsed = |args: &[&str]| {
            Cli::from_arg_matches(&command().try_get_matches_from(args).unwrap()).unwrap()
        };
        let after = parsed(&["chaosdeck", "eval", "--model", "m", "--speed", "3", "set"]);
        assert_eq!(
            (after.show.speed, after.show.model.as_deref()),
            (3.0, Some("m"))
        );
        assert!(
            matches!(after.command, Some(Command::Eval { dir }) if dir == std::path::Path::new("set"))
        );
        let before = parsed(&["chaosdeck", "--speed", "4", "eval", "--agent-steps", "2"]);
        assert_eq!((before.show.speed, before.show.agent_steps), (4.0, 2));
    }

    #[test]
    fn durations_are_bounded_and_name_the_option() {
        let err =
            Cli::try_parse_from(["chaosdeck", "--heartbeat-interval", "100000000000000000000"])
                .unwrap_err()
                .to_string();
        assert!(err.contains("--heartbeat-interval"), "{err}");
        assert!(err.contains("longer than the limit of 8760h"), "{err}");
        let err = Cli::try_parse_from(["chaosdeck", "--p99-high", "99999999999999999999999h"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--p99-high") && err.contains("8760h"), "{err}");
        let cli = Cli::try_parse_from(["chaosdeck", "--max-store-down-time", "1h30m"]).unwrap();
        assert_eq!(cli.show.max_store_down_time, Duration::from_secs(5400));
    }

    #[test]
    fn real_cluster_options_are_refused_with_the_simulator() {
        let args = |extra: &[&str]| {
            let mut argv = vec!["chaosdeck"];
            argv.extend_from_slice(extra);
            Cli::try_parse_from(argv).unwrap().show
        };
        assert_eq!(args(&[]).check_applies(), Ok(()));
        assert_eq!(
            args(&[]).pd_endpoints(),
            ["2379", "2479", "2579"].map(|port| format!("http://127.0.0.1:{port}"))
        );
        let err = args(&["--load-log", "/nonexistent"])
            .check_applies()
            .unwrap_err();
        assert!(
            err.starts_with("--load-log only applies to a real cluster"),
            "{err}"
        );
        assert!(err.contains("--cluster docker"), "{err}");
        let err = args(&["--pd", "http://127.0.0.1:2379", "--load-log", "x"])
            .check_applies()
            .unwrap_err();
        assert!(err.starts_with("--pd and --load-log only apply"), "{err}");
        let docker = args(&["--cluster", "docker", "--pd", "pd0:2379", "--load-log", "x"]);
        assert_eq!(docker.check_applies(), Ok(()));
        assert_eq!(docker.pd_endpoints(), vec!["pd0:2379".to_string()]);
    }

    #[test]
    fn thresholds_and_baselines_are_numbers_that_can_be() {
        for bad in [
            ["--warn-below", "nan"],
            ["--warn-below", "1.5"],
            ["--degraded-below", "0"],
            ["--baseline", "inf"],
            ["--baseline", "-5"],
            ["--baseline", "1e40"],
        ] {
            let mut argv = vec!["chaosdeck"];
            argv.extend_from_slice(&bad);
            assert!(Cli::try_parse_from(argv).is_err(), "{bad:?}");
        }
        let inverted = Cli::try_parse_from(["chaosdeck", "--warn-below", "0.4"]).unwrap();
        assert!(
            inverted
                .show
                .check_applies()
                .unwrap_err()
                .contains("--degraded-below")
        );
    }

    #[test]
    fn values_the_backends_would_refuse_are_refused_at_parse_naming_the_range() {
        for (argv, option, range) in [
            (
                ["chaosdeck", "--heartbeat-interval", "0"],
                "--heartbeat-interval",
                "expected 1ms to 8760h (365 days)",
            ),
            (
                ["chaosdeck", "--max-store-down-time", "0s"],
                "--max-store-down-time",
                "expected a duration above 0",
            ),
            (
                ["chaosdeck", "--agent-timeout", "0"],
                "--agent-timeout",
                "above 0",
            ),
            (
                ["chaosdeck", "--pd", "https://pd0:2379"],
                "--pd",
                "https is not supported",
            ),
        ] {
            let err = Cli::try_parse_from(argv).unwrap_err().to_string();
            assert!(err.contains(option) && err.contains(range), "{err}");
        }
        let cli = Cli::try_parse_from(["chaosdeck", "--heartbeat-interval", "1ms"]).unwrap();
        assert_eq!(cli.show.heartbeat_interval, MIN_HEARTBEAT_INTERVAL);
        let cli = Cli::try_parse_from(["chaosdeck", "--pd", "pd0:2379"]).unwrap();
        assert_eq!(cli.show.pd, ["pd0:2379"]);
    }

    #[test]
    fn no_terminal_names_the_stream_that_is_not_one() {
        assert_eq!(no_terminal(true, true), None);
        assert_eq!(
            no_terminal(false, true).as_deref(),
            Some("the full screen needs a terminal (standard output is not one); use --plain")
        );
        assert!(
            no_terminal(true, false)
                .unwrap()
                .contains("standard input is not one")
        );
    }

    proptest::proptest! {
        /// Whatever the text, a bounded duration parser answers a value in
        /// its range or a message with the range; it never panics.
        #[test]
        fn bounded_durations_stay_in_range(text in "\\PC{0,12}|[0-9]{1,22}(ns|us|ms|s|m|h)?") {
            match parse_heartbeat_interval(&text) {
                Ok(d) => proptest::prop_assert!(d >= MIN_HEARTBEAT_INTERVAL && d <= crate::units::MAX_DURATION),
                Err(why) => proptest::prop_assert!(!why.is_empty()),
            }
            match parse_positive_duration(&text) {
                Ok(d) => proptest::prop_assert!(!d.is_zero() && d <= crate::units::MAX_DURATION),
                Err(why) => proptest::prop_assert!(!why.is_empty()),
            }
        }
    }

    #[test]
    fn store_count_is_bounded() {
        assert!(Cli::try_parse_from(["chaosdeck", "--stores", "8"]).is_err());
        assert!(Cli::try_parse_from(["chaosdeck", "--stores", "7"]).is_ok());
    }
}
