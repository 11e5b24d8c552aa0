//! chaosdeck's binary: parse the command line, check the files, then run.
//!
//! Every user error ends here as one line on standard error and exit code
//! 2, before anything starts; an eyre report is never printed.

use std::io::IsTerminal;
use std::process::ExitCode;

use chaosdeck::cli::{self, Command};
use chaosdeck::launch::{self, exit_code};

fn main() -> ExitCode {
    steady_allocator();
    launch::install_panic_hook();
    let cli = cli::parse();
    match cli.command {
        Some(Command::CheckScript { file }) => match chaosdeck::story::load_script(&file) {
            Ok(script) => {
                println!("{}: ok, {} chapters", file.display(), script.chapters.len());
                ExitCode::SUCCESS
            }
            Err(e) => refuse(e),
        },
        Some(Command::Eval { dir }) => {
            with_runtime(|runtime| ExitCode::from(runtime.block_on(launch::eval(&cli.show, &dir))))
        }
        Some(Command::Standin(args)) => {
            chaosdeck::standin::run(&args, &launch::standin_config(&cli.show))
        }
        Some(Command::Doctor) => with_runtime(|runtime| {
            let report = runtime.block_on(chaosdeck::doctor::run(&cli.show));
            print!(
                "{}",
                report.render_for(&chaosdeck::doctor::cluster_options(&cli.show))
            );
            if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }),
        Some(Command::Replay {
            file,
            asciicast,
            size,
        }) => with_runtime(|runtime| {
            let args = chaosdeck::replay::command::ReplayArgs {
                file: &file,
                asciicast: asciicast.as_deref(),
                size,
                speed: cli.speed_given.then_some(cli.show.speed),
                show: &cli.show,
            };
            let code = runtime.block_on(chaosdeck::replay::command::run(args));
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            ExitCode::from(code)
        }),
        Some(Command::Report {
            journals,
            json,
            html,
        }) => {
            let journals = if journals.is_empty() {
                vec![launch::journal_path(&cli.show)]
            } else {
                journals
            };
            let Some(out) = html else {
                let report = chaosdeck::report::run(&journals, json);
                print!("{}", report.text);
                return report_exit(report.ok);
            };
            let report = chaosdeck::report::html(&journals);
            if !report.ok {
                return report_exit(false);
            }
            match std::fs::write(&out, report.text) {
                Ok(()) => {
                    println!("wrote {}", out.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("chaosdeck: cannot write {}: {e}", out.display());
                    ExitCode::from(1)
                }
            }
        }
        None => show(cli.show),
    }
}

fn report_exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("chaosdeck: no journal entries could be read");
        ExitCode::from(1)
    }
}

/// The show. Options that cannot apply, a bad chapters file and a missing
/// terminal are refused before anything starts.
fn show(args: cli::ShowArgs) -> ExitCode {
    if let Err(e) = args.check_applies() {
        return refuse(e);
    }
    if let Err(e) = launch::model_config(&args, |name| std::env::var(name).ok()) {
        return refuse(e);
    }
    let script = match launch::script(&args) {
        Ok(script) => script,
        Err(e) => return refuse(e),
    };
    if !args.plain {
        let why = cli::no_terminal(
            std::io::stdout().is_terminal(),
            std::io::stdin().is_terminal(),
        );
        if let Some(why) = why {
            return refuse(why);
        }
    }
    let _log = launch::init_logging(&args);
    with_runtime(|runtime| {
        let code = match runtime.block_on(launch::run(args, script)) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("chaosdeck: {e:#}");
                exit_code::INTERNAL
            }
        };
        // Leave at once: a task stuck in a call to the world must not
        // hold the process once cleanup has run.
        runtime.shutdown_timeout(std::time::Duration::from_secs(1));
        ExitCode::from(code)
    })
}

/// Bad input: one line, exit code 2.
fn refuse(why: impl std::fmt::Display) -> ExitCode {
    eprintln!("chaosdeck: {why}");
    ExitCode::from(exit_code::BAD_INPUT)
}

/// Runs `body` on a tokio runtime; one that cannot be made is an internal error.
fn with_runtime(body: impl FnOnce(tokio::runtime::Runtime) -> ExitCode) -> ExitCode {
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => body(runtime),
        Err(e) => {
            eprintln!("chaosdeck: internal error: cannot start the async runtime: {e}");
            ExitCode::from(exit_code::INTERNAL)
        }
    }
}

/// glibc gives each thread that allocates a heap arena of its own and keeps
/// what is freed there for that arena: PD bodies read on one tokio worker
/// and freed on another (up to the body limit each) made a show's memory
/// creep with every poll. Two arenas keep it flat over days, at no cost a
/// show can notice.
fn steady_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt is called before any other thread exists, with a
    // parameter glibc documents; a refusal (0) only leaves the default.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
