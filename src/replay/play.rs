//! The replay on a front end: the recorded inputs applied at their recorded
//! pace (show time at `speed` times real time), the presenter's keys moving
//! the player rather than the story. The full screen and plain mode are the
//! live show's own front ends.

use std::io::Write;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::player::{LABEL, Player};
use crate::show::{Change, Frontend};

/// What the presenter asks of a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// SPACE, ENTER, →: the next chapter's start.
    Next,
    /// ←: the previous chapter's start.
    Prev,
    /// `p`: stop or go on.
    Pause,
    /// `+`: twice as fast.
    Faster,
    /// `-`: half as fast.
    Slower,
    /// `q`, ESC, Ctrl+C.
    Quit,
    /// The terminal changed size.
    Resized(u16, u16),
}

/// The footer's keys during a replay, in [`key_for`]'s words.
pub const KEYS: [(&str, &str); 5] = [
    ("SPACE", "next chapter"),
    ("←", "back"),
    ("p", "pause"),
    ("+/-", "speed"),
    ("q", "quit"),
];

pub fn key_for(key: KeyEvent) -> Option<Key> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    Some(match key.code {
        KeyCode::Char(' ') | KeyCode::Enter | KeyCode::Right | KeyCode::PageDown => Key::Next,
        KeyCode::Left | KeyCode::Backspace | KeyCode::PageUp => Key::Prev,
        KeyCode::Char('p') => Key::Pause,
        KeyCode::Char('+') | KeyCode::Char('=') => Key::Faster,
        KeyCode::Char('-') | KeyCode::Char('_') => Key::Slower,
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Key::Quit,
        KeyCode::Char('q') | KeyCode::Esc => Key::Quit,
        _ => return None,
    })
}

/// The slowest and fastest replay, as for a live show (`--speed`).
pub const SPEEDS: (f64, f64) = (0.01, 1000.0);

/// Where the replay is: the pace, and whether it stands still.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    pub speed: f64,
    pub paused: bool,
    /// Real time and show time of the last change of pace: the next input
    /// is due when real time has caught up with its show time.
    anchor: (Instant, Duration),
}

impl Pace {
    pub fn new(speed: f64, show: Duration) -> Self {
        Self {
            speed: speed.clamp(SPEEDS.0, SPEEDS.1),
            paused: false,
            anchor: (Instant::now(), show),
        }
    }

    /// From now on, counting from show time `show`.
    pub fn restart(&mut self, show: Duration) {
        self.anchor = (Instant::now(), show);
    }

    /// When the input recorded at show time `at` is due.
    pub fn due(&self, at: Duration) -> Instant {
        let (real, show) = self.anchor;
        real + at.saturating_sub(show).div_f64(self.speed)
    }

    pub fn faster(&mut self, show: Duration) {
        self.speed = (self.speed * 2.0).min(SPEEDS.1);
        self.restart(show);
    }

    pub fn slower(&mut self, show: Duration) {
        self.speed = (self.speed / 2.0).max(SPEEDS.0);
        self.restart(show);
    }
}

/// The header's piece: `REPLAY 20x [3/9]`, `REPLAY paused`, `REPLAY ended`.
pub fn banner(player: &Player, pace: &Pace) -> String {
    let speed = crate::text::numbers::trimmed(pace.speed);
    if player.finished() {
        format!("{LABEL} ended (← back, q leaves)")
    } else if pace.paused {
        format!("{LABEL} paused at {speed}x (p plays)")
    } else {
        format!("{LABEL} {speed}x")
    }
}

/// The presenter's keys for a replay, from the terminal.
pub fn spawn_keys(tx: mpsc::Sender<Key>, cancel: CancellationToken) {
    crate::supervise::spawn_once("replay keys", async move {
        let mut events = EventStream::new();
        loop {
            let event = tokio::select! {
                () = cancel.cancelled() => return,
                event = events.next() => event,
            };
            let key = match event {
                Some(Ok(Event::Key(key))) => key_for(key),
                Some(Ok(Event::Resize(columns, rows))) => Some(Key::Resized(columns, rows)),
                Some(Ok(_)) => None,
                // The terminal is gone: nobody is watching.
                Some(Err(_)) | None => Some(Key::Quit),
            };
            if let Some(key) = key
                && tx.send(key).await.is_err()
            {
                return;
            }
        }
    });
}

/// Plays `player` on `frontend` until the presenter leaves, or to the end
/// of the recording when `keys` is `None` (plain mode). `resized` follows
/// the terminal's size for the full screen.
pub async fn play(
    player: &mut Player,
    frontend: &mut impl Frontend,
    speed: f64,
    mut keys: Option<mpsc::Receiver<Key>>,
    resized: impl Fn(u16, u16),
) {
    let mut pace = Pace::new(speed, player.last_at());
    player.set_banner(banner(player, &pace));
    frontend.changed(player.app(), Change::World);
    loop {
        if keys.is_none() && player.finished() {
            break;
        }
        let due = (!pace.paused)
            .then(|| player.next_at().map(|at| pace.due(at)))
            .flatten();
        let far = Instant::now() + Duration::from_secs(3600);
        let wake = due
            .into_iter()
            .chain(frontend.wake_at())
            .min()
            .unwrap_or(far);
        let key = tokio::select! {
            key = async { keys.as_mut()?.recv().await }, if keys.is_some() => match key {
                Some(key) => Some(key),
                None => Some(Key::Quit),
            },
            () = tokio::time::sleep_until(wake) => None,
        };
        let Some(key) = key else {
            let now = Instant::now();
            let mut stepped = false;
            while !pace.paused
                && let Some(at) = player.next_at()
                && pace.due(at) <= now
            {
                let Some(change) = player.step() else { break };
                stepped = true;
                if player.finished() {
                    player.set_banner(banner(player, &pace));
                }
                frontend.changed(player.app(), change);
            }
            if !stepped {
                frontend.changed(player.app(), Change::Tick);
            }
            continue;
        };
        let moved = match key {
            Key::Quit => break,
            Key::Next => player.next_chapter(),
            Key::Prev => player.prev_chapter(),
            Key::Pause => {
                pace.paused = !pace.paused;
                true
            }
            Key::Faster => {
                pace.faster(player.last_at());
                true
            }
            Key::Slower => {
                pace.slower(player.last_at());
                true
            }
            Key::Resized(columns, rows) => {
                resized(columns, rows);
                true
            }
        };
        if moved {
            pace.restart(player.last_at());
            player.set_banner(banner(player, &pace));
            frontend.changed(player.app(), Change::Presenter);
        }
    }
    frontend.finish(player.app());
}

/// The first line of a plain replay: what is replayed, never mistaken for
/// a live run.
pub fn plain_opening(path: &std::path::Path, player: &Player, speed: f64) -> String {
    let header = &player.recording().header;
    let clean = |s: &str| crate::text::clean_line(s).into_owned();
    format!(
        "chaosdeck {LABEL} of {}: recorded {} by chaosdeck {}, {} cluster, seed {}, {}; replayed at {}x, no cluster touched",
        clean(&path.display().to_string()),
        clean(&header.started),
        clean(&header.version),
        clean(&header.cluster),
        header.seed,
        clean(&header.story),
        crate::text::numbers::trimmed(speed)
    )
}

/// The last line of a plain replay.
pub fn plain_closing(player: &Player) -> String {
    let recording = player.recording();
    let cut = if recording.cut_off {
        "; the recording was cut off there (its last line was never finished)"
    } else {
        ""
    };
    format!(
        "chaosdeck {LABEL} ended: {} inputs replayed{cut}",
        recording.lines.len()
    )
}

/// Says `line` on standard output, ignoring a closed pipe.
pub fn say(line: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
