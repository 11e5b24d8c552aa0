//! From the command line to a running show: everything that can be checked is
//! checked before the terminal is taken over, faults left by an earlier run
//! are healed, and whatever ends the show, the fault is recovered before the
//! terminal is given back.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use color_eyre::eyre::{Result, WrapErr};

use crate::agent::model::tools::BackendLogs;
use crate::agent::model::{ApiKey, ModelAgent, ModelConfig, ModelLimits, Provider};
use crate::agent::{Analyzer, BuiltinAnalyzer, WithSecondOpinion};
use crate::app::{App, AppConfig, ExitKind, Level, Mode};
use crate::cli::{AgentKind, ClusterKind, ShowArgs};
use crate::clock::ShowClock;
use crate::cluster::health;
use crate::cluster::sim::{SimBackend, SimConfig};
use crate::cluster::{BackendError, ClusterBackend, ClusterSource};
use crate::monitor::MonitorConfig;
use crate::plain::Plain;
use crate::show::{FaultGuard, Show, recover_left_fault};
use crate::state::journal_file::{self, JournalFile, Rotation};
use crate::state::ledger::{LedgerFile, LedgerRead};
use crate::story::{Script, default_script, load_script};
use crate::tui::Tui;
use crate::workload::tracker::TrackerConfig;

/// Exit codes, as the README documents them.
pub mod exit_code {
    pub const OK: u8 = 0;
    /// `--plain --auto`: the story failed.
    pub const STORY_FAILED: u8 = 1;
    /// A bad chapters file or command line.
    pub const BAD_INPUT: u8 = 2;
    /// A fault chaosdeck injected could not be recovered.
    pub const FAULT_LEFT: u8 = 3;
    /// The show stopped on an internal error (after cleanup).
    pub const INTERNAL: u8 = 101;
}

/// The chapters to tell: `--script FILE` or the built-in story.
pub fn script(args: &ShowArgs) -> Result<Script, crate::story::ScriptError> {
    match &args.script {
        Some(path) => load_script(path),
        None => Ok(default_script()),
    }
}

pub fn state_dir(args: &ShowArgs) -> PathBuf {
    crate::state::state_dir(args.state_dir.as_deref())
}

pub fn journal_path(args: &ShowArgs) -> PathBuf {
    args.journal
        .clone()
        .unwrap_or_else(|| state_dir(args).join(journal_file::DEFAULT_NAME))
}

/// Logs go to a file, never to the terminal while the screen is up: rolling
/// daily files in the state directory (a week of them), or `--log-file`.
pub fn init_logging(args: &ShowArgs) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let writer = match &args.log_file {
        Some(path) => {
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                Ok(file) => tracing_appender::non_blocking(file),
                Err(e) => {
                    say_err(&format!(
                        "chaosdeck: not logging: cannot open {}: {e}",
                        path.display()
                    ));
                    return None;
                }
            }
        }
        None => {
            let dir = state_dir(args).join("logs");
            // The appender prunes old files before it creates its first one:
            // on a fresh state directory it would complain that logs/ is missing.
            if let Err(e) = std::fs::create_dir_all(&dir) {
                say_err(&format!(
                    "chaosdeck: not logging: cannot create {}: {e}",
                    dir.display()
                ));
                return None;
            }
            let rolling = tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("chaosdeck")
                .filename_suffix("log")
                .max_log_files(7)
                .build(&dir);
            match rolling {
                Ok(appender) => tracing_appender::non_blocking(appender),
                Err(e) => {
                    say_err(&format!(
                        "chaosdeck: not logging: cannot write in {}: {e}",
                        dir.display()
                    ));
                    return None;
                }
            }
        }
    };
    let (writer, guard) = writer;
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHAOSDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&args.log_level));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Some(guard)
}

/// Set while the full screen owns the terminal: a panic then is logged, not
/// printed over the screen (the show's task is supervised, see `run`).
static SCREEN_UP: AtomicBool = AtomicBool::new(false);

/// A panic hook that never writes over the full screen and never panics
/// itself (a hook that panics aborts the process with a fault in place).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        tracing::error!("panic: {info}\n{backtrace}");
        if !SCREEN_UP.load(Ordering::SeqCst) {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "chaosdeck: internal error: {info}");
        }
    }));
}

fn resolve_seed(args: &ShowArgs) -> u64 {
    args.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    })
}

pub async fn backend(
    args: &ShowArgs,
    seed: u64,
    clock: ShowClock,
) -> Result<Arc<dyn ClusterBackend>> {
    match args.cluster {
        ClusterKind::Sim => {
            let config = SimConfig {
                seed,
                ..SimConfig::from_show_args(args)
            };
            let backend =
                SimBackend::new(config, clock).wrap_err("cannot start the simulated cluster")?;
            Ok(Arc::new(backend))
        }
        ClusterKind::Docker => {
            // Docker and PD need not be up yet: the backend reaches them on
            // first use and keeps retrying, showing the trouble on screen.
            let backend = crate::cluster::docker::DockerBackend::from_show_args(args, clock)
                .wrap_err("cannot set up the Docker backend")?;
            Ok(Arc::new(backend))
        }
    }
}

pub fn mode(args: &ShowArgs) -> Mode {
    if args.kiosk {
        Mode::Kiosk
    } else if args.auto {
        Mode::Auto
    } else {
        Mode::Presenter
    }
}

pub fn app_config(
    args: &ShowArgs,
    script: Script,
    source: ClusterSource,
    seed: u64,
    analyzer: &str,
) -> AppConfig {
    AppConfig {
        source,
        script,
        mode: mode(args),
        seed,
        tracker: TrackerConfig {
            warn_below: args.warn_below,
            degraded_below: args.degraded_below,
            fixed_baseline: args.baseline,
            ..TrackerConfig::default()
        },
        monitor: MonitorConfig {
            degraded_below: args.degraded_below,
            p99_high: args.p99_high,
        },
        analyzer_name: analyzer.to_string(),
        exit_after_one_pass: args.plain && args.auto,
    }
}

/// How long start-up waits for the cluster's picture and for each heal.
const STARTUP_WAIT: Duration = Duration::from_secs(15);

/// Before the story starts: what the fault ledger says an earlier run left,
/// and what the cluster shows left faulted (TiKV nodes exited, paused or cut
/// off), healed unless `heal` is false. Returns what to tell the presenter.
pub async fn heal_at_start(
    backend: &dyn ClusterBackend,
    ledger: &LedgerFile,
    heal: bool,
) -> Vec<(Level, String)> {
    let mut said = Vec::new();
    let source = backend.source();
    let mut ledger_fault = None;
    match ledger.read() {
        LedgerRead::Empty => {}
        LedgerRead::Damaged(why) => {
            said.push((Level::Warning, format!("start-up: {why}: set aside")));
            let _ = ledger.clear();
        }
        LedgerRead::Fault(entry) if source == ClusterSource::Sim && entry.cluster == "SIM" => {
            said.push((
                Level::Info,
                format!(
                    "start-up: the ledger names a {} of {} from a run that ended without recovering it ({}): the simulated cluster went with that process, nothing to heal",
                    entry.kind, entry.service, entry.at
                ),
            ));
            let _ = ledger.clear();
        }
        LedgerRead::Fault(entry) if entry.cluster != source.to_string() => {
            said.push((
                Level::Warning,
                format!(
                    "start-up: the ledger names a {} of {} on another cluster ({}): not touched; remove {} once it is handled",
                    entry.kind,
                    entry.service,
                    entry.cluster,
                    ledger.path().display()
                ),
            ));
        }
        LedgerRead::Fault(entry) => {
            said.push((
                Level::Warning,
                format!(
                    "start-up: the ledger says an earlier run left a {} of {} in place ({})",
                    entry.kind, entry.service, entry.at
                ),
            ));
            ledger_fault = Some(entry);
        }
    }
    let snapshot = match tokio::time::timeout(STARTUP_WAIT, backend.snapshot()).await {
        Ok(Ok(snapshot)) => snapshot,
        Ok(Err(e)) => {
            said.push((
                Level::Critical,
                format!("start-up: cannot check the cluster for faults left behind: {e}"),
            ));
            return said;
        }
        Err(_) => {
            said.push((
                Level::Critical,
                format!(
                    "start-up: the cluster did not answer within {}s: cannot check it for faults left behind",
                    STARTUP_WAIT.as_secs()
                ),
            ));
            return said;
        }
    };
    let leftovers = health::leftovers(&snapshot);
    let mut all_healed = true;
    for leftover in &leftovers {
        if !heal {
            said.push((
                Level::Warning,
                format!(
                    "start-up: {} {}: not healed (--no-heal); `{}` would undo it",
                    leftover.service, leftover.why, leftover.recovery
                ),
            ));
            all_healed = false;
            continue;
        }
        let outcome = tokio::time::timeout(
            STARTUP_WAIT,
            backend.recover(leftover.recovery, &leftover.service),
        )
        .await;
        match outcome {
            Ok(Ok(()) | Err(BackendError::NothingToRecover { .. })) => said.push((
                Level::Good,
                format!(
                    "start-up: healed {} ({}): {} when chaosdeck started",
                    leftover.service, leftover.recovery, leftover.why
                ),
            )),
            Ok(Err(e)) => {
                all_healed = false;
                said.push((
                    Level::Critical,
                    format!("start-up: could not heal {}: {e}", leftover.service),
                ));
            }
            Err(_) => {
                all_healed = false;
                said.push((
                    Level::Critical,
                    format!(
                        "start-up: healing {} did not answer within {}s",
                        leftover.service,
                        STARTUP_WAIT.as_secs()
                    ),
                ));
            }
        }
    }
    if let Some(entry) = ledger_fault {
        let still_there = leftovers.iter().any(|l| l.service == entry.service);
        if !still_there {
            said.push((
                Level::Info,
                format!(
                    "start-up: {} shows no {} any more",
                    entry.service, entry.kind
                ),
            ));
        }
        if all_healed && heal {
            let _ = ledger.clear();
        }
    }
    said
}

/// The model to ask, from `--agent` and its options (`None`: the built-in
/// analyzer alone). `env` reads the environment, for the key.
pub fn model_config(
    args: &ShowArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<ModelConfig>, String> {
    let provider = match args.agent {
        AgentKind::Builtin => return Ok(None),
        AgentKind::Anthropic => Provider::Anthropic,
        AgentKind::Openai => Provider::OpenAi,
    };
    let key_env = args
        .agent_key_env
        .clone()
        .unwrap_or_else(|| provider.default_key_env().to_string());
    let key = env(&key_env).and_then(ApiKey::new);
    // Local servers (Ollama, llama.cpp) need no key; the providers' own do.
    if key.is_none() && (provider == Provider::Anthropic || args.agent_url.is_none()) {
        return Err(format!(
            "--agent {} needs an API key in ${key_env} (or name another variable with --agent-key-env)",
            provider.name()
        ));
    }
    let url = args
        .agent_url
        .clone()
        .unwrap_or_else(|| provider.default_url().to_string());
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "--agent-url must start with http:// or https://, got {url:?}"
        ));
    }
    Ok(Some(ModelConfig {
        provider,
        model: args
            .model
            .clone()
            .unwrap_or_else(|| provider.default_model().to_string()),
        url,
        key,
        limits: ModelLimits {
            max_steps: args.agent_steps as usize,
            first_token: args.agent_first_token,
            total: args.agent_timeout,
            max_output_tokens: args.agent_max_tokens,
            calls_per_pass: args.agent_calls_per_pass,
            calls_per_hour: args.agent_calls_per_hour,
            ..ModelLimits::default()
        },
    }))
}

/// The analyzer the show asks: the built-in one, alone or with a model's
/// second opinion beside it (reading node logs from `backend`).
pub fn analyzer(
    args: &ShowArgs,
    backend: &Arc<dyn ClusterBackend>,
) -> Result<Arc<dyn Analyzer>, String> {
    match model_config(args, |name| std::env::var(name).ok())? {
        None => {
            // It paces its lines so the audience can read them; the pace
            // follows show time.
            let pace = BuiltinAnalyzer::STAGE_PACE.div_f64(args.speed);
            Ok(Arc::new(BuiltinAnalyzer::new(pace)))
        }
        Some(config) => {
            let logs = Arc::new(BackendLogs::new(Arc::clone(backend)));
            let model = ModelAgent::new(config, Some(logs))?;
            Ok(Arc::new(WithSecondOpinion::new(model)))
        }
    }
}

/// `chaosdeck eval DIR`: scores the chosen agent on the recorded cases and
/// prints the table. 0 when every case is right, 1 when one is not, 2 when
/// the cases or the agent cannot be set up.
pub async fn eval(args: &ShowArgs, dir: &std::path::Path) -> u8 {
    use crate::agent::eval;
    let cases = match eval::load_cases(dir) {
        Ok(cases) => cases,
        Err(why) => {
            say_err(&format!("chaosdeck: {why}"));
            return 2;
        }
    };
    let analyzer: Arc<dyn Analyzer> = match model_config(args, |name| std::env::var(name).ok()) {
        Err(why) => {
            say_err(&format!("chaosdeck: {why}"));
            return 2;
        }
        Ok(None) => Arc::new(BuiltinAnalyzer::instant()),
        // Recorded evidence has no node logs to read.
        Ok(Some(config)) => match ModelAgent::new(config, None) {
            Ok(model) => Arc::new(WithSecondOpinion::new(model)),
            Err(why) => {
                say_err(&format!("chaosdeck: {why}"));
                return 2;
            }
        },
    };
    let results = eval::evaluate(analyzer.as_ref(), &cases).await;
    say_out(&eval::render(analyzer.name(), &results));
    if results.iter().all(|r| r.score.right()) {
        0
    } else {
        1
    }
}

/// Runs the show (full screen or plain) and returns the process exit code.
pub async fn run(args: ShowArgs, script: Script) -> Result<u8> {
    let seed = resolve_seed(&args);
    tracing::info!(seed, speed = args.speed, cluster = ?args.cluster, mode = ?mode(&args), "starting");
    let clock = ShowClock::start(args.speed);
    let backend = backend(&args, seed, clock).await?;
    let analyzer = match analyzer(&args, &backend) {
        Ok(analyzer) => analyzer,
        Err(why) => {
            say_err(&format!("chaosdeck: {why}"));
            return Ok(exit_code::BAD_INPUT);
        }
    };
    let state = state_dir(&args);
    let ledger = LedgerFile::in_dir(&state);
    let startup = heal_at_start(backend.as_ref(), &ledger, !args.no_heal).await;
    let config = app_config(&args, script, backend.source(), seed, analyzer.name());
    let mut app = App::new(config);
    for (level, text) in startup {
        app.tell(level, text);
    }
    let journal_path = journal_path(&args);
    let rotation = Rotation {
        max_bytes: args.journal_max_mib << 20,
        max_files: usize::from(args.journal_files),
    };
    let journal = match JournalFile::open(&journal_path, rotation) {
        Ok(journal) => Some(journal),
        Err(e) => {
            app.tell(
                Level::Warning,
                format!(
                    "no journal file: cannot open {}: {e}",
                    journal_path.display()
                ),
            );
            None
        }
    };
    let guard = FaultGuard::with_ledger(ledger, backend.source().to_string());
    let mut show = Show {
        backend: Arc::clone(&backend),
        analyzer,
        clock,
        guard: guard.clone(),
        journal,
    };

    // The show runs in its own task so that a panic in it still leaves us
    // here to recover the fault and restore the terminal.
    let handle = if args.plain {
        say_out(&format!(
            "chaosdeck plain mode: {} cluster, seed {seed}, speed {}x, {}",
            backend.source(),
            args.speed,
            match mode(&args) {
                Mode::Kiosk => "kiosk loop",
                Mode::Auto => "advancing by itself",
                Mode::Presenter => "press Enter to advance",
            }
        ));
        let mut plain = Plain::new(std::io::stdout(), args.auto || args.kiosk);
        tokio::spawn(async move { show.run(&mut app, &mut plain).await })
    } else {
        let terminal = match crate::tui::take_terminal() {
            Ok(terminal) => terminal,
            Err(e) => {
                crate::tui::restore_terminal();
                return Err(e).wrap_err("cannot take the terminal over (is this a terminal?)");
            }
        };
        SCREEN_UP.store(true, Ordering::SeqCst);
        let mut tui = Tui::new(terminal, crate::ui::theme::Theme::from_env(args.theme));
        tokio::spawn(async move { show.run(&mut app, &mut tui).await })
    };
    let exit = handle.await;
    let left = recover_left_fault(backend.as_ref(), &guard).await;
    if !args.plain {
        crate::tui::restore_terminal();
        SCREEN_UP.store(false, Ordering::SeqCst);
    }
    if let Some(left) = &left {
        if args.plain {
            say_out(&left.message)
        } else {
            say_err(&left.message)
        }
    }
    let code = match exit {
        Ok(ExitKind::Success) => exit_code::OK,
        Ok(ExitKind::StoryFailed) => exit_code::STORY_FAILED,
        Ok(ExitKind::Signal(n)) => 128u8.saturating_add(u8::try_from(n).unwrap_or(0)),
        Err(e) => {
            say_err(&format!(
                "chaosdeck: the show stopped on an internal error: {e}"
            ));
            exit_code::INTERNAL
        }
    };
    Ok(match left {
        Some(left) if !left.recovered => exit_code::FAULT_LEFT,
        _ => code,
    })
}

/// Prints a line, quietly doing nothing when standard output is gone (a closed
/// pipe, a hung-up terminal): leaving must never panic.
fn say_out(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn say_err(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
