//! chaosdeck's binary: parse the command line, check the files, then run.

use std::process::ExitCode;

use chaosdeck::cli::{Cli, Command};
use chaosdeck::launch::{self, exit_code};
use clap::Parser;

fn main() -> color_eyre::Result<ExitCode> {
    color_eyre::install()?;
    launch::install_panic_hook();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::CheckScript { file }) => match chaosdeck::story::load_script(&file) {
            Ok(script) => {
                println!("{}: ok, {} chapters", file.display(), script.chapters.len());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("chaosdeck: {e}");
                Ok(ExitCode::from(exit_code::BAD_INPUT))
            }
        },
        Some(Command::Eval { dir }) => {
            let runtime = tokio::runtime::Runtime::new()?;
            let code = runtime.block_on(launch::eval(&cli.show, &dir));
            Ok(ExitCode::from(code))
        }
        Some(Command::Standin(args)) => Ok(chaosdeck::standin::run(&args, &cli.show)),
        Some(Command::Doctor) => {
            let runtime = tokio::runtime::Runtime::new()?;
            let report = runtime.block_on(chaosdeck::doctor::run(&cli.show));
            print!("{}", report.render());
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::Report { journals, json }) => {
            let journals = if journals.is_empty() {
                vec![launch::journal_path(&cli.show)]
            } else {
                journals
            };
            let report = chaosdeck::report::run(&journals, json);
            print!("{}", report.text);
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                eprintln!("chaosdeck: no journal entries could be read");
                ExitCode::from(1)
            })
        }
        None => {
            // Options that cannot apply, and a bad chapters file, are
            // rejected before the screen is taken over.
            if let Err(e) = cli.show.check_applies() {
                eprintln!("chaosdeck: {e}");
                return Ok(ExitCode::from(2));
            }
            let script = match launch::script(&cli.show) {
                Ok(script) => script,
                Err(e) => {
                    eprintln!("chaosdeck: {e}");
                    return Ok(ExitCode::from(exit_code::BAD_INPUT));
                }
            };
            let _log = launch::init_logging(&cli.show);
            let runtime = tokio::runtime::Runtime::new()?;
            let code = runtime.block_on(launch::run(cli.show, script))?;
            // Leave at once: a task stuck in a call to the world must not
            // hold the process once cleanup has run.
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            Ok(ExitCode::from(code))
        }
    }
}
