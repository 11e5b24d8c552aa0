//! `chaosdeck replay FILE`: read the recording (refused with its line
//! number, exit 2, before the terminal is taken), then play it on the full
//! screen, as plain lines, or into an asciicast file.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::play::{self, plain_closing, plain_opening, say};
use super::{Player, asciicast};
use crate::cli::ShowArgs;
use crate::launch::exit_code;
use crate::plain::Plain;
use crate::tui::Tui;
use crate::ui::theme::Theme;

pub struct ReplayArgs<'a> {
    pub file: &'a Path,
    pub asciicast: Option<&'a Path>,
    pub size: (u16, u16),
    /// `--speed`, when given; else the recorded pace.
    pub speed: Option<f64>,
    pub show: &'a ShowArgs,
}

/// The player for `file`, or the one line that says why there is none.
pub fn open(file: &Path) -> Result<Player, String> {
    let recording = super::load(file)?;
    Player::new(Arc::new(recording)).map_err(|e| format!("{}: {e}", file.display()))
}

pub async fn run(args: ReplayArgs<'_>) -> u8 {
    let mut player = match open(args.file) {
        Ok(player) => player,
        Err(why) => {
            eprintln!("chaosdeck: {why}");
            return exit_code::BAD_INPUT;
        }
    };
    let speed = args
        .speed
        .unwrap_or(player.recording().header.speed)
        .clamp(play::SPEEDS.0, play::SPEEDS.1);
    let theme = Theme::from_env(args.show.theme);
    if let Some(out) = args.asciicast {
        return write_cast(&mut player, args.file, out, args.size, speed, theme);
    }
    if args.show.plain {
        say(&plain_opening(args.file, &player, speed));
        let mut plain = Plain::new(std::io::stdout(), true);
        play::play(&mut player, &mut plain, speed, None, |_, _| {}).await;
        say(&plain_closing(&player));
        return exit_code::OK;
    }
    if let Some(why) = crate::cli::no_terminal(
        std::io::IsTerminal::is_terminal(&std::io::stdout()),
        std::io::IsTerminal::is_terminal(&std::io::stdin()),
    ) {
        eprintln!("chaosdeck: {why}");
        return exit_code::BAD_INPUT;
    }
    let terminal = match crate::tui::take_terminal() {
        Ok(terminal) => terminal,
        Err(e) => {
            crate::tui::restore_terminal();
            eprintln!("chaosdeck: cannot take the terminal over: {e}");
            return exit_code::INTERNAL;
        }
    };
    let mut tui = Tui::new(terminal, theme);
    let resize = tui.resize_handle();
    let (tx, keys) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    play::spawn_keys(tx, cancel.clone());
    play::play(&mut player, &mut tui, speed, Some(keys), |columns, rows| {
        crate::tui::note_resize(&resize, columns, rows)
    })
    .await;
    cancel.cancel();
    crate::tui::restore_terminal();
    exit_code::OK
}

fn write_cast(
    player: &mut Player,
    file: &Path,
    out: &Path,
    size: (u16, u16),
    speed: f64,
    theme: Theme,
) -> u8 {
    let created = std::fs::File::create(out);
    let mut writer = match created {
        Ok(f) => std::io::BufWriter::new(f),
        Err(e) => {
            eprintln!(
                "chaosdeck: --asciicast {}: cannot write it: {e}",
                out.display()
            );
            return exit_code::BAD_INPUT;
        }
    };
    let title = format!(
        "chaosdeck REPLAY of {}",
        file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        )
    );
    match asciicast::write(player, &mut writer, size, speed, theme, &title) {
        Ok(written) => {
            println!(
                "{}: {} frames, {} chapter markers, {}x{} (play it with: asciinema play {})",
                out.display(),
                written.frames,
                written.markers,
                size.0,
                size.1,
                out.display()
            );
            exit_code::OK
        }
        Err(e) => {
            eprintln!(
                "chaosdeck: --asciicast {}: writing failed: {e}",
                out.display()
            );
            exit_code::INTERNAL
        }
    }
}
