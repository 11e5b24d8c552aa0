//! Plain mode: the same story as timestamped lines on standard output, for
//! recordings, SSH sessions, screen readers and CI. It reads the same view
//! model as the full screen ([`Screen`]), so the two never disagree.

use std::io::Write;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::{AgentState, App, Command, Cursor, Entry, Msg};
use crate::supervise;
use crate::ui::text;
use crate::ui::view::{Screen, agent, monitor};

const WIDTH: usize = 78;

pub struct Plain<W: Write> {
    out: W,
    /// With `--auto` nothing is read from standard input.
    auto: bool,
    diagnosis_shown: bool,
    timeline_shown: bool,
    cursor: Cursor,
    /// Why writing failed (a closed pipe, a hung-up terminal).
    gone: Option<String>,
    /// Updates that wrote lines, and when the last did: plain mode's frames.
    frames: crate::show::Frames,
}

impl<W: Write> Plain<W> {
    pub fn new(out: W, auto: bool) -> Self {
        Self {
            out,
            auto,
            diagnosis_shown: false,
            timeline_shown: false,
            cursor: Cursor::default(),
            gone: None,
            frames: crate::show::Frames::default(),
        }
    }

    /// Remembers the first failed write: the reader is gone.
    fn check(&mut self, result: std::io::Result<()>) {
        if let Err(e) = result
            && self.gone.is_none()
        {
            self.gone = Some(format!("writing failed: {e}"));
        }
    }

    fn say(&mut self, line: &str) {
        let written = writeln!(self.out, "{line}");
        self.check(written);
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn print_entry(&mut self, app: &App, entry: &Entry) {
        // The monitor pane's words and clock.
        let (word, _) = monitor::level(entry.level);
        let stamp = text::stamp(entry.at, entry.after_fault);
        let what = text::plain(&entry.text);
        self.say(&format!("[{stamp:>8}] {word} {}", text::rates(&what)));
        if let Some(index) = entry.chapter()
            && let Some(chapter) = app.script().chapters.get(index)
        {
            let narration = app.narration(chapter);
            for line in text::wrap(narration, WIDTH) {
                self.say(&format!("           | {}", text::plain(&line)));
            }
        }
    }
}

impl<W: Write> crate::show::Frontend for Plain<W> {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
        if self.auto {
            return;
        }
        supervise::spawn_once("input", async move {
            let mut lines = BufReader::new(tokio::io::stdin()).lines();
            loop {
                let line = tokio::select! {
                    () = cancel.cancelled() => return,
                    line = lines.next_line() => line,
                };
                // Without --auto nobody can drive the story once input
                // ends: leave as a presenter who hung up would.
                let line = match line {
                    Ok(Some(line)) => line,
                    Ok(None) => {
                        let _ = tx.send(Msg::InputEnded(None)).await;
                        return;
                    }
                    Err(e) => {
                        let _ = tx
                            .send(Msg::InputEnded(Some(format!("reading it failed: {e}"))))
                            .await;
                        return;
                    }
                };
                let command = match line.trim() {
                    "q" | "quit" => Command::Quit,
                    "b" | "back" => Command::Prev,
                    "r" | "reset" => Command::Reset,
                    "a" | "abort" => Command::Abort,
                    "p" | "pause" => Command::TogglePause,
                    "H" | "halt" => Command::Halt,
                    _ => Command::Next,
                };
                if tx.send(Msg::Command(command)).await.is_err() {
                    return;
                }
            }
        });
    }

    fn gone(&self) -> Option<String> {
        self.gone.clone()
    }

    fn frames(&self) -> crate::show::Frames {
        self.frames
    }

    fn changed(&mut self, app: &App, _change: crate::show::Change) {
        let (missed, entries) = app.journal().read(&mut self.cursor);
        let entries: Vec<Entry> = entries.cloned().collect();
        if missed > 0 {
            self.say(&format!(
                "           ({missed} lines not shown: see the journal)"
            ));
        }
        for entry in &entries {
            self.print_entry(app, entry);
        }
        if !entries.is_empty() {
            self.frames.drawn += 1;
            self.frames.last = Some(tokio::time::Instant::now());
        }
        match &app.agent().state() {
            AgentState::Done { diagnosis, .. } if !self.diagnosis_shown => {
                self.diagnosis_shown = true;
                // The agent pane's rows, as text: one renderer for both.
                self.say(&format!(
                    "           diagnosis by {}:",
                    text::plain(diagnosis.author())
                ));
                for line in agent::diagnosis_text(app, diagnosis) {
                    self.say(&format!("           > {line}"));
                }
            }
            AgentState::Done { .. } => {}
            _ => self.diagnosis_shown = false,
        }
        if let Err(e) = self.out.flush()
            && self.gone.is_none()
        {
            self.gone = Some(format!("writing failed: {e}"));
        }
    }

    fn finish(&mut self, app: &App) {
        self.changed(app, crate::show::Change::World);
        if !self.timeline_shown {
            self.timeline_shown = true;
            let screen = Screen::build(app);
            self.say("timeline:");
            self.say(&format!("  {}", screen.timeline.0.text()));
            for line in &screen.milestones {
                self.say(&format!("  {line}"));
            }
            let _ = self.out.flush();
        }
    }
}
