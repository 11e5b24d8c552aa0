//! From the command line to a running show: everything that can be checked is
//! checked before the terminal is taken over.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use color_eyre::eyre::{Result, WrapErr};

use crate::agent::model::tools::BackendLogs;
use crate::agent::model::{ApiKey, ModelAgent, ModelConfig, ModelLimits, Provider};
use crate::agent::{Analyzer, BuiltinAnalyzer, WithSecondOpinion};
use crate::app::{App, AppConfig, ExitKind, Mode};
use crate::cli::{AgentKind, ClusterKind, ShowArgs};
use crate::clock::ShowClock;
use crate::cluster::ClusterBackend;
use crate::cluster::sim::{SimBackend, SimConfig};
use crate::monitor::MonitorConfig;
use crate::plain::Plain;
use crate::show::{FaultGuard, Show, recover_left_fault};
use crate::story::{Script, default_script, load_script};
use crate::tui::Tui;
use crate::workload::tracker::TrackerConfig;

/// The chapters to tell: `--script FILE` or the built-in story.
pub fn script(args: &ShowArgs) -> Result<Script, crate::story::ScriptError> {
    match &args.script {
        Some(path) => load_script(path),
        None => Ok(default_script()),
    }
}

pub fn log_path(args: &ShowArgs) -> PathBuf {
    args.log_file
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("chaosdeck.log"))
}

/// Logs go to a file, never to the terminal while the screen is up.
pub fn init_logging(args: &ShowArgs) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = log_path(args);
    let file = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Ok(file) => file,
        Err(e) => {
            eprintln!(
                "chaosdeck: not logging: cannot open {}: {e}",
                path.display()
            );
            return None;
        }
    };
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHAOSDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Some(guard)
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

pub fn app_config(
    args: &ShowArgs,
    script: Script,
    source: crate::cluster::ClusterSource,
    seed: u64,
    analyzer: &str,
) -> AppConfig {
    AppConfig {
        source,
        script,
        mode: if args.auto {
            Mode::Auto
        } else {
            Mode::Presenter
        },
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
pub async fn run(args: ShowArgs, script: Script) -> Result<i32> {
    let seed = resolve_seed(&args);
    tracing::info!(seed, speed = args.speed, cluster = ?args.cluster, "starting");
    let clock = ShowClock::start(args.speed);
    let backend = backend(&args, seed, clock).await?;
    let analyzer = match analyzer(&args, &backend) {
        Ok(analyzer) => analyzer,
        Err(why) => {
            say_err(&format!("chaosdeck: {why}"));
            return Ok(2);
        }
    };
    let config = app_config(&args, script, backend.source(), seed, analyzer.name());
    let mut app = App::new(config);
    let guard = FaultGuard::default();
    let show = Show {
        backend: Arc::clone(&backend),
        analyzer,
        clock,
        guard: guard.clone(),
    };

    // The show runs in its own task so that a panic in it still leaves us
    // here to recover the fault (and restore the terminal).
    let handle = if args.plain {
        say_out(&format!(
            "chaosdeck plain mode: {} cluster, seed {seed}, speed {}x{}",
            backend.source(),
            args.speed,
            if args.auto {
                ", advancing by itself"
            } else {
                ", press Enter to advance"
            }
        ));
        let mut plain = Plain::new(std::io::stdout(), args.auto);
        tokio::spawn(async move { show.run(&mut app, &mut plain).await })
    } else {
        // ratatui::init installs a panic hook that restores the terminal first.
        let mut tui = Tui::new(ratatui::init());
        tokio::spawn(async move { show.run(&mut app, &mut tui).await })
    };
    let exit = handle.await;
    let message = recover_left_fault(backend.as_ref(), &guard).await;
    if !args.plain {
        ratatui::restore();
    }
    if let Some(message) = message {
        if args.plain {
            say_out(&message)
        } else {
            say_err(&message)
        }
    }
    let exit = exit.unwrap_or_else(|e| {
        say_err(&format!(
            "chaosdeck: the show stopped on an internal error: {e}"
        ));
        ExitKind::StoryFailed
    });
    Ok(match exit {
        ExitKind::Success => 0,
        ExitKind::StoryFailed => 1,
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
