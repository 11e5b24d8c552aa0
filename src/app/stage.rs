//! The show's own controls as the screen shows them: the pause, the help,
//! the footer's hint and whether the show is leaving. The router moves them.

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stage {
    paused: bool,
    /// Show time stands still (the simulator's pause): kept in step with
    /// `paused` by the router, which asks the runtime to freeze the clock.
    time_frozen: bool,
    show_help: bool,
    /// A short answer to a key that could not act (shown in the footer).
    hint: Option<String>,
    /// The hint speaks of the chapter's running action ("still measuring
    /// …"): it goes when the action ends.
    hint_of_run: bool,
    /// Set once the app has asked to leave.
    quitting: bool,
}

impl Stage {
    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn show_help(&self) -> bool {
        self.show_help
    }

    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    pub fn quitting(&self) -> bool {
        self.quitting
    }

    pub(super) fn toggle_pause(&mut self) {
        self.paused = !self.paused;
    }

    pub(super) fn unpause(&mut self) {
        self.paused = false;
    }

    /// Whether show time should stand still now differs from what the
    /// runtime was told: the new value, to tell it.
    pub(super) fn freeze_change(&mut self, pause_freezes: bool) -> Option<bool> {
        let frozen = self.paused && pause_freezes && !self.quitting;
        (frozen != self.time_frozen).then(|| {
            self.time_frozen = frozen;
            frozen
        })
    }

    pub(super) fn open_help(&mut self) {
        self.show_help = true;
    }

    pub(super) fn close_help(&mut self) {
        self.show_help = false;
    }

    pub(super) fn say(&mut self, hint: impl Into<String>) {
        self.hint = Some(hint.into());
        self.hint_of_run = false;
    }

    /// A hint about the running action, gone once it ends.
    pub(super) fn say_of_run(&mut self, hint: impl Into<String>) {
        self.hint = Some(hint.into());
        self.hint_of_run = true;
    }

    /// The chapter's action is no longer running: its hint goes.
    pub(super) fn run_ended(&mut self) {
        if self.hint_of_run {
            self.clear_hint();
        }
    }

    pub(super) fn clear_hint(&mut self) {
        self.hint = None;
        self.hint_of_run = false;
    }

    /// Clears the hint if it still says `words`.
    pub(super) fn clear_hint_if(&mut self, words: &str) {
        if self.hint.as_deref() == Some(words) {
            self.hint = None;
        }
    }

    pub(super) fn leave(&mut self) {
        self.quitting = true;
        self.show_help = false;
    }
}
