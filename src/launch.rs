//! From the command line to a running show: everything that can be checked is
//! checked before the terminal is taken over, faults left by an earlier run
//! are healed, and whatever ends the show, the fault is recovered before the
//! terminal is given back.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use color_eyre::eyre::{Result, WrapErr};

use crate::agent::model::tools::BackendLogs;
use crate::agent::model::{ApiKey, ModelAgent, ModelConfig, ModelLimits, Provider};
use crate::agent::{Analyzer, BuiltinAnalyzer, WithSecondOpinion};
use crate::app::{App, AppConfig, ExitKind, Kind, LeftFault, Level, Mode, Msg};
use crate::cli::{AgentKind, ClusterKind, ShowArgs};
use crate::clock::ShowClock;
use crate::cluster::docker::{DockerBackend, DockerConfig};
use crate::cluster::sim::{SimBackend, SimConfig};
use crate::cluster::{
    BackendError, Capabilities, ClusterBackend, ClusterSource, FaultKind, FaultSpec,
};
use crate::heal::heal_at_start;
use crate::monitor::MonitorConfig;
use crate::plain::Plain;
use crate::show::{FaultGuard, Show, recover_left_fault};
use crate::standin::StandinConfig;
use crate::state::journal_file::{self, JournalFile, Rotation};
use crate::state::ledger::LedgerFile;
use crate::state::lock::{self, LockError};
use crate::state::run_record::{RunFile, RunRecord, restart_note};
use crate::story::{Script, default_script, load_script};
use crate::supervision::Supervision;
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

/// The simulator's part of the command line, with `seed` (resolved: read it
/// back to replay the run).
pub fn sim_config(args: &ShowArgs, seed: u64) -> SimConfig {
    SimConfig {
        seed,
        stores: args.stores,
        regions: args.regions,
        heartbeat_interval: args.heartbeat_interval,
        max_store_down_time: args.max_store_down_time,
        // The show starts the load itself (`start_load`).
        load_at_start: false,
        faults: if args.sim_faults.is_empty() {
            FaultKind::ALL.to_vec()
        } else {
            args.sim_faults.clone()
        },
        ..SimConfig::default()
    }
}

/// The real cluster's part of the command line: `--compose-project`
/// (default: this directory's name as Compose normalises it), `--pd`,
/// `--load-log`, and PD's body limit from the environment.
pub fn docker_config(args: &ShowArgs) -> Result<DockerConfig, String> {
    let project = match &args.compose_project {
        Some(project) => project.clone(),
        None => crate::cluster::docker::default_project_name().ok_or_else(|| {
            "cannot name the Compose project after this directory; pass --compose-project"
                .to_string()
        })?,
    };
    Ok(DockerConfig {
        load_log: args.load_log.clone(),
        net_helper_image: args.net_helper_image.clone(),
        pd_body_limit: crate::cluster::pd::client::body_limit_from_env()?,
        ..DockerConfig::new(project, args.pd_endpoints())
    })
}

/// A stand-in node's part of the command line: the same flags as the
/// simulator's, so every node given them agrees on one cluster.
pub fn standin_config(args: &ShowArgs) -> StandinConfig {
    StandinConfig {
        seed: args.seed,
        stores: args.stores,
        regions: args.regions,
        heartbeat_interval: args.heartbeat_interval,
        max_store_down_time: args.max_store_down_time,
        pd: args.pd_endpoints(),
    }
}

pub async fn backend(
    args: &ShowArgs,
    seed: u64,
    clock: ShowClock,
) -> Result<Arc<dyn ClusterBackend>> {
    match args.cluster {
        ClusterKind::Sim => {
            let backend = SimBackend::new(sim_config(args, seed), clock)
                .wrap_err("cannot start the simulated cluster")?;
            Ok(Arc::new(backend))
        }
        ClusterKind::Docker => {
            // Docker and PD need not be up yet: the backend reaches them on
            // first use and keeps retrying, showing the trouble on screen.
            let backend = docker_config(args)
                .map_err(BackendError::Refused)
                .and_then(|config| DockerBackend::new(config, clock))
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
        confirm_window: crate::app::confirm::window_at_speed(args.speed),
    }
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
            Ok(Arc::new(WithSecondOpinion::new(
                BuiltinAnalyzer::instant(),
                model,
            )))
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
            Ok(model) => Arc::new(WithSecondOpinion::new(BuiltinAnalyzer::instant(), model)),
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
pub async fn run(args: ShowArgs, mut script: Script) -> Result<u8> {
    let seed = resolve_seed(&args);
    tracing::info!(seed, speed = args.speed, cluster = ?args.cluster, mode = ?mode(&args), "starting");
    let clock = ShowClock::start(args.speed);
    let backend = backend(&args, seed, clock).await?;
    // What the story asks for is proved on the engine where it must be;
    // the kiosk's default rotation leaves out what is not, with a note; a
    // story asking for it is refused now, not at its fault chapter (every
    // fourth pass, in a kiosk).
    let capabilities = backend.prove(&asked_kinds(&script, args.kiosk)).await;
    let left_out = if args.kiosk {
        rotation_note(&mut script, &capabilities)
    } else {
        None
    };
    if let Err(why) = check_capabilities(&script, args.kiosk, &capabilities, &backend.source()) {
        say_err(&format!("chaosdeck: {why}"));
        return Ok(exit_code::BAD_INPUT);
    }
    let analyzer = match analyzer(&args, &backend) {
        Ok(analyzer) => analyzer,
        Err(why) => {
            say_err(&format!("chaosdeck: {why}"));
            return Ok(exit_code::BAD_INPUT);
        }
    };
    let state = state_dir(&args);
    // One chaosdeck per state directory and per cluster, found before the
    // cluster or the terminal is touched.
    let injects = args.kiosk || script_injects(&script);
    let (_locks, unwritable) = match take_locks(&state, &backend.source(), &args, injects) {
        Ok(taken) => taken,
        Err(why) => {
            say_err(&format!("chaosdeck: {why}"));
            return Ok(exit_code::BAD_INPUT);
        }
    };
    let (supervision, _metrics_server) = match supervise_from_outside(&args) {
        Ok(supervised) => supervised,
        Err(why) => {
            say_err(&format!("chaosdeck: {why}"));
            return Ok(exit_code::BAD_INPUT);
        }
    };
    // Who ran here last, and whether it left: said before the heal, which
    // is often what it left behind.
    let run = (unwritable.is_none()).then(|| begin_run(&state)).flatten();
    let ledger = LedgerFile::in_dir(&state);
    let startup = heal_at_start(backend.as_ref(), &ledger, !args.no_heal).await;
    let config = app_config(&args, script, backend.source(), seed, analyzer.name());
    let mut recorder = match open_recording(&args, &config) {
        Ok(recorder) => recorder,
        Err(why) => {
            say_err(&format!("chaosdeck: {why}"));
            return Ok(exit_code::BAD_INPUT);
        }
    };
    let mut app = App::new(config);
    // Told before the show starts, and recorded like every message.
    let mut tell = |app: &mut App, level: Level, kind: Kind, text: String| {
        if let Some(recorder) = recorder.as_mut() {
            let input = crate::replay::Input::Tell {
                level,
                kind: kind.clone(),
                text: text.clone(),
            };
            recorder.record(clock.now(), input);
        }
        app.tell_as(level, kind, text);
    };
    if let Some(why) = unwritable {
        tell(&mut app, Level::Warning, Kind::Note, why);
    }
    if let Some(note) = left_out {
        tell(&mut app, Level::Warning, Kind::Note, note);
    }
    if let Some((_, Some(previous))) = &run {
        let (level, kind, text) = restart_note(previous);
        tell(&mut app, level, kind, text);
    }
    for told in startup {
        tell(&mut app, told.level, told.kind, told.text);
    }
    let journal = open_journal(&args, &mut app, &mut tell);
    let guard = FaultGuard::with_ledger(ledger, backend.source().to_string());
    let show = Show {
        backend: Arc::clone(&backend),
        analyzer,
        clock,
        guard: guard.clone(),
        journal,
        supervision,
        recorder,
    };

    let handle = spawn_show(&args, show, app, seed, &backend.source())?;
    let code = match handle.await {
        Ok((exit, app, show)) => after_show(&args, backend.as_ref(), &guard, exit, app, show).await,
        Err(e) => {
            // Never seen: the task catches its panics and is never aborted.
            say_err(&format!("chaosdeck: the show's task was lost: {e}"));
            let left = recover_left_fault(backend.as_ref(), &guard).await;
            crate::tui::restore_terminal();
            match left {
                Some(left) if !left.recovered => exit_code::FAULT_LEFT,
                _ => exit_code::INTERNAL,
            }
        }
    };
    if let Some((file, _)) = &run
        && let Some(ours) = file.previous()
        && let Err(e) = file.left(&ours, code)
    {
        tracing::warn!(
            "cannot mark this run as left in {}: {e}",
            file.path().display()
        );
    }
    Ok(code)
}

/// systemd's notifications (when it started us) and the metrics server
/// (with `--metrics-addr` or `--metrics-textfile`). A port that is taken or
/// a textfile that cannot be written is refused here, before the terminal.
fn supervise_from_outside(
    args: &ShowArgs,
) -> Result<(Supervision, Option<crate::supervision::server::Running>), String> {
    let started = std::time::Instant::now();
    let with_metrics = args.metrics_addr.is_some() || args.metrics_textfile.is_some();
    let (supervision, board) = Supervision::from_env(with_metrics, started);
    let Some(board) = board else {
        return Ok((supervision, None));
    };
    let listener = match args.metrics_addr {
        Some(addr) => Some(
            std::net::TcpListener::bind(addr)
                .map_err(|e| format!("--metrics-addr {addr}: cannot listen there: {e}"))?,
        ),
        None => None,
    };
    if let Some(path) = &args.metrics_textfile {
        crate::supervision::server::write_textfile(path, &board, started).map_err(|e| {
            format!(
                "--metrics-textfile {}: cannot write it: {e}",
                path.display()
            )
        })?;
    }
    let running = crate::supervision::server::start(listener, args.metrics_textfile.clone(), board)
        .map_err(|e| format!("cannot start the metrics server: {e}"))?;
    if let Some(addr) = running.addr {
        tracing::info!(%addr, "serving /metrics and /healthz");
    }
    Ok((supervision, Some(running)))
}

/// Records this run's start in the state directory; returns the record's
/// file and the run before it, if there was one.
fn begin_run(state: &std::path::Path) -> Option<(RunFile, Option<RunRecord>)> {
    let file = RunFile::in_dir(state);
    match file.begin() {
        Ok(previous) => Some((file, previous)),
        Err(e) => {
            tracing::warn!("cannot record this run in {}: {e}", file.path().display());
            None
        }
    }
}

/// After the show: the fault it left recovered and journalled, the terminal
/// given back, what was left said, and the exit code.
async fn after_show(
    args: &ShowArgs,
    backend: &dyn ClusterBackend,
    guard: &FaultGuard,
    exit: Result<ExitKind, String>,
    mut app: App,
    mut show: Show,
) -> u8 {
    // Said already unless the show's task panicked.
    show.supervision.leaving();
    let left = recover_left_fault(backend, guard).await;
    if let Some(left) = &left {
        show.feed(&mut app, Msg::LeftFault(left.clone()));
        if let Some(journal) = show.journal.as_mut() {
            journal.write_new(app.journal());
        }
    }
    if let Some(recorder) = show.recorder.take() {
        let path = recorder.path().display().to_string();
        match recorder.finish() {
            Ok(lines) => tracing::info!(lines, "recorded the run to {path}"),
            Err(e) => tracing::error!("recording to {path} failed: {e}"),
        }
    }
    if !args.plain {
        crate::tui::restore_terminal();
        SCREEN_UP.store(false, Ordering::SeqCst);
    }
    if let Some(left) = &left {
        let line = format!("chaosdeck: {}", left.message);
        if args.plain {
            say_out(&line)
        } else {
            say_err(&line)
        }
    }
    exit_code_of(exit, left.as_ref())
}

/// `--record FILE`: its header written now, before the terminal is taken,
/// so a file that cannot be written is refused up front.
fn open_recording(
    args: &ShowArgs,
    config: &AppConfig,
) -> Result<Option<crate::replay::Recorder>, String> {
    let Some(path) = &args.record else {
        return Ok(None);
    };
    let (story, text) = story_source(args)?;
    let header = crate::replay::Header::new(config, &story, &text, args.speed);
    crate::replay::Recorder::create(path, &header)
        .map(Some)
        .map_err(|e| format!("--record {}: cannot write it: {e}", path.display()))
}

/// Where the chapters come from and their text, as `script` read them.
pub fn story_source(args: &ShowArgs) -> Result<(String, String), String> {
    match &args.script {
        None => Ok((
            "built-in chapters".into(),
            crate::story::chapter::DEFAULT_CHAPTERS.into(),
        )),
        Some(path) => match crate::story::builtin::built_in(path) {
            Some((name, text)) => Ok((format!("built-in story {name}"), text.into())),
            None => std::fs::read_to_string(path)
                .map(|text| (path.display().to_string(), text))
                .map_err(|e| format!("{}: cannot read the file: {e}", path.display())),
        },
    }
}

/// The journal file, or a word in the monitor pane on why there is none.
fn open_journal(
    args: &ShowArgs,
    app: &mut App,
    tell: &mut impl FnMut(&mut App, Level, Kind, String),
) -> Option<JournalFile> {
    let journal_path = journal_path(args);
    let rotation = Rotation {
        max_bytes: args.journal_max_mib << 20,
        max_files: usize::from(args.journal_files),
    };
    match JournalFile::open(&journal_path, rotation) {
        Ok(journal) => Some(journal),
        Err(e) => {
            let text = format!(
                "no journal file: cannot open {}: {e}",
                journal_path.display()
            );
            tell(app, Level::Warning, Kind::Note, text);
            None
        }
    }
}

/// How the show's task ended: why, and the app and show it hands back.
type ShowEnded = (Result<ExitKind, String>, App, Show);

/// The show in its own task, its panics caught, so that whatever happens in
/// it we are still here to recover the fault, journal how that went and
/// restore the terminal: in plain text, or on the full screen once the
/// terminal is taken.
fn spawn_show(
    args: &ShowArgs,
    show: Show,
    app: App,
    seed: u64,
    source: &ClusterSource,
) -> Result<tokio::task::JoinHandle<ShowEnded>> {
    if args.plain {
        say_out(&format!(
            "chaosdeck plain mode: {source} cluster, seed {seed}, speed {}x, {}",
            args.speed,
            match mode(args) {
                Mode::Kiosk => "kiosk loop",
                Mode::Auto => "advancing by itself",
                Mode::Presenter => "press Enter to advance",
            }
        ));
        let plain = Plain::new(std::io::stdout(), args.auto || args.kiosk);
        return Ok(tokio::spawn(run_caught(show, app, plain)));
    }
    let terminal = match crate::tui::take_terminal() {
        Ok(terminal) => terminal,
        Err(e) => {
            crate::tui::restore_terminal();
            return Err(e).wrap_err("cannot take the terminal over (is this a terminal?)");
        }
    };
    SCREEN_UP.store(true, Ordering::SeqCst);
    let tui = Tui::new(terminal, crate::ui::theme::Theme::from_env(args.theme));
    Ok(tokio::spawn(run_caught(show, app, tui)))
}

/// The process's exit code: why the show ended, unless a fault it could not
/// recover is left behind.
fn exit_code_of(exit: Result<ExitKind, String>, left: Option<&LeftFault>) -> u8 {
    let code = match exit {
        Ok(ExitKind::Success) => exit_code::OK,
        Ok(ExitKind::StoryFailed) => exit_code::STORY_FAILED,
        Ok(ExitKind::Signal(n)) => 128u8.saturating_add(u8::try_from(n).unwrap_or(0)),
        Err(why) => {
            say_err(&format!(
                "chaosdeck: the show stopped on an internal error: {why}"
            ));
            exit_code::INTERNAL
        }
    };
    match left {
        Some(left) if !left.recovered => exit_code::FAULT_LEFT,
        _ => code,
    }
}

/// Refuses a story this cluster cannot tell, before anything starts: a
/// chapter whose fault is of a kind the backend cannot apply, or goes to a
/// node it is known never to fault. In the kiosk the `[kiosk]` rotation's
/// faults replace the chapter's own, pass by pass, so each of them is
/// checked in its place. The refusal names the chapter (number and title),
/// the fault and the cluster (its `source()` label).
pub fn check_capabilities(
    script: &Script,
    kiosk: bool,
    capabilities: &Capabilities,
    cluster: &ClusterSource,
) -> Result<(), String> {
    use crate::story::{Action, Target};
    for (index, chapter) in script.chapters.iter().enumerate() {
        for action in &chapter.on_enter {
            let Action::InjectFault(inject) = action else {
                continue;
            };
            let asked: Vec<(FaultSpec, &Target, Option<usize>)> = if kiosk {
                script
                    .kiosk
                    .faults
                    .iter()
                    .enumerate()
                    .map(|(i, pass)| (pass.fault, &pass.target, Some(i + 1)))
                    .collect()
            } else {
                vec![(inject.fault, &inject.target, None)]
            };
            for (fault, target, in_rotation) in asked {
                let kind = fault.kind();
                let why = match target {
                    _ if !capabilities.supports(kind) && capabilities.kinds.is_empty() => {
                        format!("cannot apply {kind} faults (it applies no fault at all)")
                    }
                    _ if !capabilities.supports(kind) => match capabilities.why_not(kind) {
                        Some(why) => format!(
                            "cannot apply {kind} faults: {} (it applies {}; `chaosdeck doctor` tells more)",
                            crate::text::clean_line(why),
                            capabilities.kinds_text()
                        ),
                        None => format!(
                            "cannot apply {kind} faults (it applies {})",
                            capabilities.kinds_text()
                        ),
                    },
                    Target::Service(name) if capabilities.refuses_by_name(name) => format!(
                        "faults TiKV nodes only ({} is not one)",
                        crate::text::clean_line(name)
                    ),
                    Target::PdLeader
                        if !matches!(capabilities.non_tikv, crate::cluster::NonTikv::WhenNamed) =>
                    {
                        "faults TiKV nodes only (not PD's leader)".to_string()
                    }
                    _ => continue,
                };
                let rotation = match in_rotation {
                    Some(n) => format!(" with fault {n} of the [kiosk] rotation"),
                    None => String::new(),
                };
                return Err(format!(
                    "chapter {} (\"{}\"){rotation} asks for a {kind} fault on {}, but the {cluster} cluster {why}",
                    index + 1,
                    crate::text::clean_line(&chapter.title),
                    crate::text::clean_line(&target.to_string()),
                ));
            }
        }
    }
    Ok(())
}

/// The fault kinds the story can ask for: its chapters' own, or in a
/// kiosk the rotation's, which replace them pass by pass.
pub fn asked_kinds(script: &Script, kiosk: bool) -> Vec<FaultKind> {
    use crate::story::Action;
    let injects = script
        .chapters
        .iter()
        .flat_map(|chapter| &chapter.on_enter)
        .filter_map(|action| match action {
            Action::InjectFault(inject) => Some(inject.fault.kind()),
            _ => None,
        });
    let mut kinds: Vec<FaultKind> = if kiosk && injects.clone().next().is_some() {
        script.kiosk.faults.iter().map(|f| f.fault.kind()).collect()
    } else {
        injects.collect()
    };
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

/// Leaves out of the kiosk's default rotation what this cluster cannot do,
/// and says so (a rotation the chapters file wrote is checked whole).
fn rotation_note(script: &mut Script, capabilities: &Capabilities) -> Option<String> {
    let left_out = script.kiosk.leave_out(|kind| capabilities.supports(kind));
    if left_out.is_empty() {
        return None;
    }
    let names: Vec<&str> = left_out.iter().map(|k| k.name()).collect();
    let why: Vec<String> = left_out
        .iter()
        .filter_map(|&kind| {
            let why = capabilities.why_not(kind)?;
            Some(format!("{kind}: {}", crate::text::clean_line(why)))
        })
        .collect();
    let why = if why.is_empty() {
        "this cluster does not apply them".to_string()
    } else {
        format!("{}; `chaosdeck doctor` tells more", why.join("; "))
    };
    Some(format!(
        "kiosk: the rotation leaves out {} ({why})",
        crate::text::and_list(&names)
    ))
}

/// Whether the story can inject a fault (so needs its fault ledger).
fn script_injects(script: &Script) -> bool {
    script
        .chapters
        .iter()
        .flat_map(|chapter| &chapter.on_enter)
        .any(|action| matches!(action, crate::story::Action::InjectFault { .. }))
}

/// The locks this run holds for as long as it lives.
#[must_use = "a lock is let go when dropped"]
pub struct Locks {
    _held: Vec<lock::Held>,
}

/// Takes the state directory's lock and, on a real cluster, the locks named
/// for its compose project and PD addresses. Refuses when another live
/// chaosdeck holds one, or when the state directory cannot be written and
/// the story injects (it would fail at its Fault chapter, with nowhere to
/// keep the ledger). Otherwise an unwritable directory is a warning, which
/// is returned.
pub fn take_locks(
    state: &std::path::Path,
    source: &ClusterSource,
    args: &ShowArgs,
    injects: bool,
) -> Result<(Locks, Option<String>), String> {
    let mut held = Vec::new();
    let mut unwritable = None;
    match writable_state_dir(state) {
        Err(e) if injects => {
            return Err(format!(
                "cannot write the state directory {}: {e}; the fault ledger is kept there, so no fault is injected without it (choose another with --state-dir)",
                state.display()
            ));
        }
        Err(e) => {
            unwritable = Some(format!(
                "no state kept: cannot write the state directory {}: {e}",
                state.display()
            ));
        }
        Ok(()) => match lock::take(&lock::state_dir_lock(state)) {
            Ok(lock) => held.push(lock),
            Err(LockError::Held { holder }) => {
                return Err(format!(
                    "{holder} uses this state directory ({}): stop it first, or choose another with --state-dir",
                    state.display()
                ));
            }
            Err(LockError::Io(e)) => {
                return Err(format!(
                    "cannot lock the state directory {}: {e}",
                    state.display()
                ));
            }
        },
    }
    if let ClusterSource::Docker { project } = source {
        let dir = lock::cluster_lock_dir();
        lock::make_shared_dir(&dir)
            .map_err(|e| format!("cannot make the lock folder {}: {e}", dir.display()))?;
        let names = std::iter::once(format!("docker-project-{project}"))
            .chain(args.pd_endpoints().into_iter().map(|pd| format!("pd-{pd}")));
        for name in names {
            match lock::take(&lock::cluster_lock(&dir, &name)) {
                Ok(lock) => held.push(lock),
                Err(LockError::Held { holder }) => {
                    return Err(format!(
                        "{holder} runs on this cluster ({name}): one chaosdeck per cluster; stop it first"
                    ));
                }
                Err(LockError::Io(e)) => {
                    return Err(format!("cannot lock the cluster ({name}): {e}"));
                }
            }
        }
    }
    Ok((Locks { _held: held }, unwritable))
}

/// Makes the state directory and proves a file can be written and synced
/// there (a read-only or full file system, or a file in its place, fails).
fn writable_state_dir(state: &std::path::Path) -> std::io::Result<()> {
    use std::io::Write;
    if state.exists() && !state.is_dir() {
        return Err(std::io::Error::other("it is a file, not a directory"));
    }
    std::fs::create_dir_all(state)?;
    let probe = state.join(format!(".write-probe-{}", std::process::id()));
    let written = std::fs::File::create(&probe).and_then(|mut file| {
        file.write_all(b"chaosdeck\n")?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written
}

/// Runs the show, catching a panic in it: the app and the show come back
/// either way, for the leaving recovery to be journalled.
async fn run_caught(
    mut show: Show,
    mut app: App,
    mut frontend: impl crate::show::Frontend,
) -> ShowEnded {
    use futures::FutureExt;
    let exit = std::panic::AssertUnwindSafe(show.run(&mut app, &mut frontend))
        .catch_unwind()
        .await
        .map_err(|payload| crate::supervise::panic_message(payload.as_ref()));
    (exit, app, show)
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    fn show_args(argv: &[&str]) -> ShowArgs {
        let mut all = vec!["chaosdeck"];
        all.extend_from_slice(argv);
        crate::cli::Cli::try_parse_from(all)
            .expect("valid command line")
            .show
    }

    #[test]
    fn command_line_values_reach_the_sim_config() {
        let args = show_args(&[
            "--seed",
            "7",
            "--stores",
            "5",
            "--regions",
            "200",
            "--heartbeat-interval",
            "5s",
            "--max-store-down-time",
            "2m",
        ]);
        let config = sim_config(&args, 7);
        assert_eq!(config.seed, 7);
        assert_eq!(config.stores, 5);
        assert_eq!(config.regions, 200);
        assert_eq!(config.heartbeat_interval, Duration::from_secs(5));
        assert_eq!(config.max_store_down_time, Duration::from_secs(120));
        assert!(!config.load_at_start, "the show starts the load itself");
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn command_line_values_reach_the_docker_and_standin_configs() {
        let args = show_args(&[
            "--cluster",
            "docker",
            "--compose-project",
            "demo",
            "--pd",
            "pd0:2379",
            "--load-log",
            "/tmp/load.log",
            "--stores",
            "4",
        ]);
        let docker = docker_config(&args).expect("a config");
        assert_eq!(docker.project, "demo");
        assert_eq!(docker.pd_endpoints, ["pd0:2379"]);
        assert_eq!(docker.load_log, Some(PathBuf::from("/tmp/load.log")));
        let standin = standin_config(&args);
        assert_eq!(standin.stores, 4);
        assert_eq!(standin.seed, None);
        assert_eq!(standin.pd, ["pd0:2379"]);
    }

    const TWO_CHAPTERS: &str = r#"
[[chapter]]
title = "Calm"

[[chapter]]
title = "Break \u001b[31mit"
on_enter = [{ action = "inject_fault", kind = "partition" }]
"#;

    fn signals_only() -> Capabilities {
        Capabilities {
            kinds: vec![FaultKind::Kill, FaultKind::Stop, FaultKind::Pause],
            non_tikv: crate::cluster::NonTikv::Refused {
                known: vec!["pd0".into(), "pd1".into()],
            },
            why_not: Vec::new(),
        }
    }

    fn script(text: &str) -> Script {
        crate::story::parse_script(text, "test.toml").expect("a valid script")
    }

    #[test]
    fn a_kind_the_cluster_cannot_apply_is_refused_naming_the_chapter_and_the_cluster() {
        let story = script(TWO_CHAPTERS);
        let why =
            check_capabilities(&story, false, &signals_only(), &ClusterSource::Sim).unwrap_err();
        assert_eq!(
            why,
            "chapter 2 (\"Break \u{241b}[31mit\") asks for a partition fault on a random TiKV node, \
             but the SIM cluster cannot apply partition faults (it applies kill, stop and pause)"
        );
        let docker = ClusterSource::Docker {
            project: "demo".into(),
        };
        assert!(
            check_capabilities(&story, false, &signals_only(), &docker)
                .unwrap_err()
                .contains("but the DOCKER demo cluster cannot apply partition faults")
        );
        let everything = Capabilities::everything();
        assert_eq!(
            check_capabilities(&story, false, &everything, &ClusterSource::Sim),
            Ok(())
        );
        let nothing = Capabilities {
            kinds: Vec::new(),
            ..Capabilities::everything()
        };
        assert!(
            check_capabilities(&story, false, &nothing, &ClusterSource::Sim)
                .unwrap_err()
                .ends_with("cannot apply partition faults (it applies no fault at all)")
        );
    }

    #[test]
    fn on_a_signals_only_cluster_the_default_kiosk_rotation_leaves_out_what_it_cannot_do() {
        let story = crate::story::default_script();
        let caps = signals_only();
        assert_eq!(
            check_capabilities(&story, false, &caps, &ClusterSource::Sim),
            Ok(()),
            "the default story kills"
        );
        // Without a [kiosk] table every kind takes its turn: the fourth is a partition.
        let why = check_capabilities(&story, true, &caps, &ClusterSource::Sim).unwrap_err();
        assert_eq!(
            why,
            "chapter 4 (\"Fault\") with fault 4 of the [kiosk] rotation asks for a partition \
             fault on a random TiKV node, but the SIM cluster cannot apply partition faults (it applies kill, stop and pause)"
        );
        assert_eq!(
            check_capabilities(
                &story,
                true,
                &Capabilities::everything(),
                &ClusterSource::Sim
            ),
            Ok(())
        );
        // So the launcher leaves those kinds out of the default rotation
        // first, saying so with the proofs' reasons where there are some.
        let mut story = story;
        let caps = Capabilities {
            why_not: vec![(FaultKind::Loss, "no helper image".into())],
            ..caps
        };
        assert_eq!(
            rotation_note(&mut story, &caps).as_deref(),
            Some(
                "kiosk: the rotation leaves out partition, slow and loss \
                 (loss: no helper image; `chaosdeck doctor` tells more)"
            )
        );
        assert_eq!(
            check_capabilities(&story, true, &caps, &ClusterSource::Sim),
            Ok(())
        );
        assert_eq!(
            asked_kinds(&story, true),
            [FaultKind::Kill, FaultKind::Stop, FaultKind::Pause]
        );
        assert_eq!(asked_kinds(&story, false), [FaultKind::Kill]);
    }

    #[test]
    fn in_the_kiosk_the_rotation_replaces_the_chapters_own_fault() {
        let text = format!(
            "{TWO_CHAPTERS}\n[kiosk]\nfaults = [{{ kind = \"kill\" }}, {{ kind = \"pause\", target = \"tikv1\" }}]\n"
        );
        let story = script(&text);
        let caps = signals_only();
        assert!(check_capabilities(&story, false, &caps, &ClusterSource::Sim).is_err());
        assert_eq!(
            check_capabilities(&story, true, &caps, &ClusterSource::Sim),
            Ok(()),
            "the chapter's partition is never asked for in the kiosk"
        );
        // A rotation without a chapter that injects asks for nothing.
        let calm =
            script("[[chapter]]\ntitle = 'a'\n[kiosk]\nfaults = [{ kind = \"partition\" }]\n");
        assert_eq!(
            check_capabilities(&calm, true, &caps, &ClusterSource::Sim),
            Ok(())
        );
    }

    #[test]
    fn a_node_the_cluster_never_faults_is_refused_by_name() {
        let story = script(
            "[[chapter]]\ntitle = 'PD'\non_enter = [{ action = 'inject_fault', kind = 'kill', target = 'pd1' }]\n",
        );
        let why =
            check_capabilities(&story, false, &signals_only(), &ClusterSource::Sim).unwrap_err();
        assert_eq!(
            why,
            "chapter 1 (\"PD\") asks for a kill fault on pd1, but the SIM cluster faults TiKV nodes only (pd1 is not one)"
        );
        // Named services are allowed where the backend says so (Docker),
        // and names it does not know are left to the cluster to answer.
        let docker = ClusterSource::Docker {
            project: "demo".into(),
        };
        assert_eq!(
            check_capabilities(&story, false, &Capabilities::everything(), &docker),
            Ok(())
        );
        let tikv9 = script(
            "[[chapter]]\ntitle = 'x'\non_enter = [{ action = 'inject_fault', kind = 'kill', target = 'tikv9' }]\n",
        );
        assert_eq!(
            check_capabilities(&tikv9, false, &signals_only(), &ClusterSource::Sim),
            Ok(())
        );
    }

    #[test]
    fn the_sim_faults_option_reaches_the_config_and_the_capabilities() {
        assert_eq!(sim_config(&show_args(&[]), 1).faults, FaultKind::ALL);
        let args = show_args(&["--sim-faults", "pause,kill"]);
        let config = sim_config(&args, 1);
        assert_eq!(config.faults, [FaultKind::Pause, FaultKind::Kill]);
        assert!(
            show_args(&["--sim-faults", "partition"])
                .check_applies()
                .is_ok()
        );
        let docker = show_args(&["--cluster", "docker", "--sim-faults", "kill"]);
        assert!(
            docker
                .check_applies()
                .unwrap_err()
                .starts_with("--sim-faults only applies to the simulated cluster")
        );
        let bad = crate::cli::Cli::try_parse_from(["chaosdeck", "--sim-faults", "kill,melt"]);
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("expected kill, stop, pause or partition")
        );
    }
}
