//! The full-screen front end: draws when something changed, at most about 30
//! times a second, each frame inside a synchronized update so terminals never
//! show half a frame.

use std::io::{self, Write};
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::app::{AgentState, App, Msg, keys};
use crate::show::{Change, Frontend};

const MIN_FRAME: Duration = Duration::from_millis(33);
/// Redraw at least this often so ages and timers stay true.
const MAX_QUIET: Duration = Duration::from_secs(1);
/// While something moves on screen (a countdown, a timer, a spinner).
const ANIMATION: Duration = Duration::from_millis(100);

pub struct Tui {
    terminal: DefaultTerminal,
    last_draw: Option<Instant>,
    pending: bool,
}

impl Tui {
    pub fn new(terminal: DefaultTerminal) -> Self {
        Self {
            terminal,
            last_draw: None,
            pending: false,
        }
    }

    fn draw(&mut self, app: &App) {
        let mut out = io::stdout();
        let _ = crossterm::queue!(out, BeginSynchronizedUpdate);
        if let Err(e) = self.terminal.draw(|frame| crate::ui::view(app, frame)) {
            tracing::error!("drawing failed: {e}");
        }
        let _ = crossterm::queue!(out, EndSynchronizedUpdate);
        let _ = out.flush();
        self.last_draw = Some(Instant::now());
        self.pending = false;
    }
}

fn animating(app: &App) -> bool {
    app.countdown().is_some()
        || app.timeline.since_fault(app.now).is_some()
        || matches!(app.agent.state, AgentState::Working { .. })
}

impl Frontend for Tui {
    fn wake_at(&self) -> Option<Instant> {
        // A frame held back by the cap is drawn as soon as the cap allows.
        self.pending
            .then(|| self.last_draw.map(|t| t + MIN_FRAME))
            .flatten()
    }

    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
        crate::show::guarded::spawn("keyboard", tx.clone(), async move {
            let mut events = EventStream::new();
            loop {
                let event = tokio::select! {
                    () = cancel.cancelled() => return,
                    event = events.next() => event,
                };
                let msg = match event {
                    Some(Ok(Event::Key(key))) => keys::command_for(key).map(Msg::Command),
                    Some(Ok(Event::Resize(..))) => Some(Msg::Redraw),
                    Some(Ok(_)) => None,
                    Some(Err(e)) => {
                        tracing::error!("reading the terminal failed: {e}");
                        return;
                    }
                    None => return,
                };
                if let Some(msg) = msg
                    && tx.send(msg).await.is_err()
                {
                    return;
                }
            }
        });
    }

    fn changed(&mut self, app: &mut App, change: Change) {
        for entry in app.journal.drain() {
            tracing::info!(at = ?entry.at, level = ?entry.level, "{}", entry.text);
        }
        let since = self.last_draw.map(|t| t.elapsed());
        self.pending |= change != Change::Tick;
        let due = match since {
            None => true,
            // A key is answered at once: a frame costs well under a millisecond.
            Some(_) if change == Change::Presenter => true,
            Some(since) if since < MIN_FRAME => false,
            Some(since) => {
                self.pending || since >= MAX_QUIET || (animating(app) && since >= ANIMATION)
            }
        };
        if due {
            self.draw(app);
        }
    }
}
