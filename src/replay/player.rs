//! The replay's core, synchronous and pure: the recorded inputs fed to a
//! fresh app in order. `update` reads nothing but its messages, so the app
//! after input N is the app the live show had after input N; a jump to a
//! chapter builds the app again and feeds it up to that chapter's start.

use std::sync::Arc;
use std::time::Duration;

use super::format::{Input, Recording};
use crate::app::{App, Cursor, Msg, update};
use crate::show::Change;
use crate::story::{Script, parse_script};

/// Where a chapter was entered in the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterStart {
    /// The input whose application entered it.
    pub input: usize,
    pub pass: u32,
    pub chapter: usize,
    pub title: String,
    /// Show time of that input.
    pub at: Duration,
}

pub struct Player {
    recording: Arc<Recording>,
    script: Script,
    app: App,
    /// The next input to apply.
    next: usize,
    chapters: Vec<ChapterStart>,
    banner: String,
}

/// What a replay is called on screen: never mistaken for a live cluster.
pub const LABEL: &str = "REPLAY";

impl Player {
    /// A player at the start of `recording`; the recorded chapters file
    /// must parse.
    pub fn new(recording: Arc<Recording>) -> Result<Self, String> {
        let script = parse_script(&recording.header.setup.story_text, "the recorded story")
            .map_err(|e| format!("the recorded story does not read: {e}"))?;
        let mut player = Self {
            app: App::new(recording.header.setup.app_config(script.clone())),
            script,
            recording,
            next: 0,
            chapters: Vec::new(),
            banner: LABEL.to_string(),
        };
        player.chapters = player.find_chapters();
        player.rewind();
        Ok(player)
    }

    /// Every chapter's start, found by playing the whole recording once.
    fn find_chapters(&mut self) -> Vec<ChapterStart> {
        let mut found = Vec::new();
        let mut cursor = Cursor::default();
        while self.next < self.recording.lines.len() {
            let at = self.recording.lines[self.next].at();
            let input = self.next;
            self.step();
            let (_, new) = self.app.journal().read(&mut cursor);
            let entered = new.filter_map(|e| e.chapter().map(|c| (e.pass, c))).last();
            if let Some((pass, chapter)) = entered {
                found.push(ChapterStart {
                    input,
                    pass,
                    chapter,
                    title: self
                        .script
                        .chapters
                        .get(chapter)
                        .map_or_else(String::new, |c| c.title.clone()),
                    at,
                });
            }
        }
        found
    }

    /// Back to before the first input.
    fn rewind(&mut self) {
        self.app = App::new(self.recording.header.setup.app_config(self.script.clone()));
        self.app.set_replay(Some(self.banner.clone()));
        self.next = 0;
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn into_app(self) -> App {
        self.app
    }

    pub fn recording(&self) -> &Recording {
        &self.recording
    }

    pub fn chapters(&self) -> &[ChapterStart] {
        &self.chapters
    }

    pub fn position(&self) -> usize {
        self.next
    }

    pub fn finished(&self) -> bool {
        self.next >= self.recording.lines.len()
    }

    /// Show time of the next input, if any.
    pub fn next_at(&self) -> Option<Duration> {
        self.recording.lines.get(self.next).map(|l| l.at())
    }

    /// Show time of the last input applied.
    pub fn last_at(&self) -> Duration {
        self.next
            .checked_sub(1)
            .and_then(|i| self.recording.lines.get(i))
            .map_or(Duration::ZERO, |l| l.at())
    }

    /// The header's REPLAY piece: the label and the player's state.
    pub fn set_banner(&mut self, banner: String) {
        self.banner = banner;
        self.app.set_replay(Some(self.banner.clone()));
    }

    /// Applies the next input; what kind of change it was (as the live
    /// show tells its front end), or `None` at the end.
    pub fn step(&mut self) -> Option<Change> {
        let line = self.recording.lines.get(self.next)?;
        self.next += 1;
        Some(match &line.input {
            Input::StaleAfter(after) => {
                self.app.set_stale_after(*after);
                Change::World
            }
            Input::Tell { level, kind, text } => {
                self.app.tell_as(*level, kind.clone(), text.clone());
                Change::World
            }
            Input::Msg(msg) => {
                let change = match msg {
                    Msg::Tick(_) => Change::Tick,
                    Msg::Command(_) | Msg::Redraw => Change::Presenter,
                    _ => Change::World,
                };
                // The effects were carried out when it was recorded: their
                // answers are among the inputs that follow.
                let _ = update(&mut self.app, msg.clone());
                change
            }
        })
    }

    /// Plays every input left.
    pub fn play_to_end(&mut self) {
        while self.step().is_some() {}
    }

    /// Builds the app again up to input `index` (not applied).
    pub fn seek(&mut self, index: usize) {
        let index = index.min(self.recording.lines.len());
        if index < self.next {
            self.rewind();
        }
        while self.next < index {
            self.step();
        }
    }

    /// The chapter the replay is in: the last start at or before the
    /// position.
    fn current(&self) -> Option<usize> {
        self.chapters.iter().rposition(|c| c.input < self.next)
    }

    /// SPACE, ENTER: to the next chapter's start (its entry applied). False
    /// when there is none.
    pub fn next_chapter(&mut self) -> bool {
        let to = match self.current() {
            Some(i) => i + 1,
            None => 0,
        };
        self.go_to_chapter(to)
    }

    /// ←: to the previous chapter's start.
    pub fn prev_chapter(&mut self) -> bool {
        match self.current() {
            Some(i) if i > 0 => self.go_to_chapter(i - 1),
            Some(_) => self.go_to_chapter(0),
            None => false,
        }
    }

    fn go_to_chapter(&mut self, index: usize) -> bool {
        let Some(start) = self.chapters.get(index) else {
            return false;
        };
        self.seek(start.input + 1);
        true
    }
}
