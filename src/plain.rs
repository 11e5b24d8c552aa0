//! Plain mode: the same story as timestamped lines on standard output, for
//! recordings, SSH sessions, screen readers and CI. It reads the same view
//! model as the full screen ([`Screen`]), so the two never disagree.

use std::io::Write;
use std::sync::{Arc, Mutex};

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
    /// Lines the input task has for the reader (an unknown command),
    /// written at the next change.
    said: Arc<Mutex<Vec<String>>>,
    /// The timeline of the last pass that had a fault: the summary on
    /// leaving tells it, not the empty pass begun after it.
    summary: Option<Vec<String>>,
}

/// Plain mode's commands: a word (or its letter) and Enter.
const COMMANDS: &str = "Enter next, back, abort, apply, reset, pause, halt, quit";

/// The command a line of input means; `None` for one it does not know.
fn command_of(line: &str) -> Option<Command> {
    Some(match line.trim() {
        "" | "n" | "next" => Command::Next,
        "q" | "quit" => Command::Quit,
        "b" | "back" => Command::Prev,
        "r" | "reset" => Command::Reset,
        // `a` applies the agent's action, as the full screen's key does;
        // abort is ESC there, so a word here.
        "a" | "apply" => Command::ApplyRecommendation,
        "abort" | "esc" => Command::Abort,
        "p" | "pause" => Command::TogglePause,
        "H" | "halt" => Command::Halt,
        _ => return None,
    })
}

/// The screen's keys in plain mode's words: its commands are typed words
/// and Enter, so "ESC calls it off" reads "`abort` calls it off".
pub fn in_plain_words(text: &str) -> String {
    [
        ("← then SPACE", "`back` then Enter"),
        ("SPACE", "Enter"),
        ("ESC", "`abort`"),
        ("H releases", "`halt` releases"),
        ("H again", "`halt` again"),
    ]
    .iter()
    .fold(text.to_string(), |text, (key, word)| {
        text.replace(key, word)
    })
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
            said: Arc::default(),
            summary: None,
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
        let written = writeln!(self.out, "{}", in_plain_words(line));
        self.check(written);
    }

    /// The pass's timeline and milestones, as the summary prints them.
    fn timeline_lines(app: &App) -> Vec<String> {
        let screen = Screen::build(app);
        let mut lines = vec![format!("  {}", screen.timeline.0.text())];
        lines.extend(screen.milestones.iter().map(|l| format!("  {l}")));
        lines
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
        let said = self.said.clone();
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
                let msg = match command_of(&line) {
                    Some(command) => Msg::Command(command),
                    None => {
                        // Never a silent step forward: say what it knows.
                        said.lock().expect("not poisoned").push(format!(
                            "           ? {:?} is not a command ({COMMANDS})",
                            crate::text::clean_line(line.trim())
                        ));
                        Msg::Redraw
                    }
                };
                if tx.send(msg).await.is_err() {
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
        let said = std::mem::take(&mut *self.said.lock().expect("not poisoned"));
        for line in said {
            self.say(&line);
        }
        let (missed, entries) = app.journal().read(&mut self.cursor);
        let entries: Vec<Entry> = entries.cloned().collect();
        // The timeline moves only with what is journalled.
        if !entries.is_empty() && app.timeline().injected.is_some() {
            self.summary = Some(Self::timeline_lines(app));
        }
        if missed > 0 {
            self.say(&format!(
                "           ({} not shown: see the journal)",
                crate::text::count(missed, "line", "lines")
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
            // The pass on screen, or the last one with a fault when a new
            // pass had only begun.
            let (head, lines) = match self.summary.take() {
                Some(lines) if app.timeline().injected.is_none() => {
                    ("timeline of the last pass with a fault:", lines)
                }
                _ => ("timeline:", Self::timeline_lines(app)),
            };
            self.say(head);
            for line in lines {
                self.say(&line);
            }
            let _ = self.out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    /// A letter means in plain mode what its key means on the full screen.
    #[test]
    fn a_letter_means_what_the_full_screen_s_key_means() {
        // (`b` is plain mode's own word for back: ← on the full screen.)
        for letter in ['a', 'p', 'r', 'q', 'H'] {
            let key = KeyEvent::new(KeyCode::Char(letter), KeyModifiers::NONE);
            let screen = crate::app::keys::command_for(key);
            let plain = command_of(&letter.to_string());
            assert_eq!(plain, screen, "{letter}");
        }
        assert_eq!(command_of("abort"), Some(Command::Abort));
        assert_eq!(command_of("apply"), Some(Command::ApplyRecommendation));
    }
}
