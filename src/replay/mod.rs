//! Record and replay a run. `--record FILE` writes every input the app
//! receives (format.rs, recorder.rs); `chaosdeck replay FILE` feeds them to
//! a fresh app with the same `update` and draws it with the same view
//! (player.rs, play.rs), labelled REPLAY; `--asciicast` turns the replay
//! into an asciinema v3 file with a marker at each chapter (asciicast.rs).
//! None of it needs a cluster: the world's answers are in the recording.

pub mod asciicast;
pub mod command;
pub mod format;
pub mod play;
pub mod player;
pub mod recorder;

use std::path::Path;

pub use format::{FORMAT, Header, Input, Line, Recording, RecordingError, Setup};
pub use player::{ChapterStart, Player};
pub use recorder::Recorder;

/// A recording file read whole, or one line saying what is wrong with it
/// (the file and the line number).
pub fn load(path: &Path) -> Result<Recording, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("{}: cannot read the recording: {e}", path.display()))?;
    format::parse(&bytes).map_err(|e| format!("{}:{e}", path.display()))
}
