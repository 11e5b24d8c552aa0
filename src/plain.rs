//! Plain mode: the same story as timestamped lines on standard output, for
//! recordings, SSH sessions, screen readers and CI.

use std::io::Write;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::{AgentState, App, Command, Entry, Msg};
use crate::ui::text;

const WIDTH: usize = 78;

pub struct Plain<W: Write> {
    out: W,
    /// With `--auto` nothing is read from standard input.
    auto: bool,
    diagnosis_shown: bool,
    timeline_shown: bool,
}

impl<W: Write> Plain<W> {
    pub fn new(out: W, auto: bool) -> Self {
        Self {
            out,
            auto,
            diagnosis_shown: false,
            timeline_shown: false,
        }
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn print_entry(&mut self, app: &App, entry: &Entry) {
        let (word, _) = crate::ui::theme::level(entry.level);
        let stamp = text::stamp(entry.at, entry.after_fault);
        let _ = writeln!(self.out, "[{stamp:>8}] {word} {}", text::plain(&entry.text));
        if let Some(index) = entry.chapter {
            let narration = &app.script.chapters[index].narration;
            for line in text::wrap(narration, WIDTH) {
                let _ = writeln!(self.out, "           | {}", text::plain(&line));
            }
        }
    }
}

impl<W: Write> crate::show::Frontend for Plain<W> {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
        if self.auto {
            return;
        }
        crate::show::guarded::spawn("input", tx.clone(), async move {
            let mut lines = BufReader::new(tokio::io::stdin()).lines();
            loop {
                let line = tokio::select! {
                    () = cancel.cancelled() => return,
                    line = lines.next_line() => line,
                };
                // End of input stops reading; the show goes on until quit.
                let Ok(Some(line)) = line else { return };
                let command = match line.trim() {
                    "q" | "quit" => Command::Quit,
                    "b" | "back" => Command::Prev,
                    "r" | "reset" => Command::Reset,
                    "a" | "abort" => Command::Abort,
                    "p" | "pause" => Command::TogglePause,
                    _ => Command::Next,
                };
                if tx.send(Msg::Command(command)).await.is_err() {
                    return;
                }
            }
        });
    }

    fn changed(&mut self, app: &mut App, _change: crate::show::Change) {
        let entries: Vec<Entry> = app.journal.drain().collect();
        for entry in &entries {
            self.print_entry(app, entry);
        }
        match &app.agent.state {
            AgentState::Done { diagnosis, .. } if !self.diagnosis_shown => {
                self.diagnosis_shown = true;
                let _ = writeln!(self.out, "           diagnosis by {}:", app.agent.analyzer);
                for line in diagnosis.lines() {
                    let _ = writeln!(self.out, "           > {}", text::plain(&line));
                }
            }
            AgentState::Done { .. } => {}
            _ => self.diagnosis_shown = false,
        }
        let _ = self.out.flush();
    }

    fn finish(&mut self, app: &mut App) {
        self.changed(app, crate::show::Change::World);
        if !self.timeline_shown {
            self.timeline_shown = true;
            let _ = writeln!(self.out, "timeline:");
            for line in app.timeline.lines() {
                let _ = writeln!(self.out, "  {}", text::plain(&line));
            }
            let _ = self.out.flush();
        }
    }
}
