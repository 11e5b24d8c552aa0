//! The app: the show's state in rooms, each the one owner of its part and
//! changed only through [`update`], in the one task that owns the app.
//! Nothing here waits or draws; the runtime and the views do.
//!
//! - [`World`]: the cluster, the workload, the monitor, the evidence and the
//!   health gate;
//! - [`FaultLedger`]: the one-fault rule;
//! - [`Story`]: chapter, run, status and dwell;
//! - [`Booth`]: kiosk control, the interlude, heals and the hold;
//! - [`Chronicle`]: the journal and what is folded from it;
//! - [`AgentPane`] and [`Stage`]: the agent's work and the show's controls.
//!
//! The rooms read each other and write only themselves; `update` routes
//! each message to them in a fixed order and carries out what they ask.

pub mod agent_pane;
mod answers;
pub mod booth;
pub mod chronicle;
mod commands;
mod conduct;
pub mod confirm;
pub mod episode;
pub mod fault;
pub mod journal;
pub mod keys;
pub mod msg;
pub mod pass_chart;
pub mod pass_history;
pub mod run;
pub mod scoreboard;
pub mod stage;
pub mod story;
pub mod timeline;
mod update;
pub mod world;

use std::time::Duration;

use crate::cluster::{ClusterSource, FaultKind};
use crate::monitor::MonitorConfig;
use crate::story::{Action, Chapter, Script};
use crate::workload::tracker::TrackerConfig;

pub use agent_pane::{AgentPane, AgentState};
pub use booth::{Booth, Hold, HoldKind, Kiosk};
pub use chronicle::{Chronicle, PANE_LINES};
pub use fault::{FaultLedger, FaultState};
pub use journal::{Cursor, Entry, Journal, Kind, Level, Undoer};
pub use msg::{Command, Effect, ExitKind, LeftFault, Msg, RunId};
pub use run::{ChapterRun, RunState, Step, Timer};
pub use scoreboard::Scoreboard;
pub use stage::Stage;
pub use story::{ActionStatus, Story};
pub use timeline::Timeline;
pub use update::update;
pub use world::{ClusterView, STALE_AFTER, World};

/// Who drives the chapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The presenter presses keys.
    Presenter,
    /// Chapters advance by themselves after their dwell (`--auto`).
    Auto,
    /// The booth loop (`--kiosk`): autoplay, fault rotation, healing between
    /// passes, a hold when the cluster stays unhealthy.
    Kiosk,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Self::Presenter => "PRESENTER",
            Self::Auto => "AUTO",
            Self::Kiosk => "KIOSK",
        }
    }
}

pub struct AppConfig {
    pub source: ClusterSource,
    pub script: Script,
    pub mode: Mode,
    /// Seeds the choice of a random fault target.
    pub seed: u64,
    pub tracker: TrackerConfig,
    pub monitor: MonitorConfig,
    /// Shown in the agent pane's title.
    pub analyzer_name: String,
    /// With `--plain --auto`: leave after one pass instead of starting over.
    pub exit_after_one_pass: bool,
    /// Show time a kiosk key's second press may take: [`confirm::WINDOW`]
    /// at the show's speed ([`confirm::window_at_speed`]).
    pub confirm_window: Duration,
}

pub struct App {
    source: ClusterSource,
    mode: Mode,
    script: Script,
    exit_after_one_pass: bool,
    /// Show time: the latest of the last tick and the world's stamped answers.
    now: Duration,
    /// Show time of the last tick: the timers count from here.
    timers_at: Duration,
    stage: Stage,
    world: World,
    ledger: FaultLedger,
    story: Story,
    booth: Booth,
    chronicle: Chronicle,
    agent: AgentPane,
    /// Set by a replay's player alone, never by `update`: the header's
    /// REPLAY piece, so a recording is never mistaken for a live cluster.
    replay: Option<String>,
}

impl App {
    pub fn new(config: AppConfig) -> Self {
        Self {
            booth: Booth::new(config.mode, &config.script.kiosk, config.confirm_window),
            source: config.source,
            mode: config.mode,
            script: config.script,
            exit_after_one_pass: config.exit_after_one_pass,
            now: Duration::ZERO,
            timers_at: Duration::ZERO,
            stage: Stage::default(),
            world: World::new(config.tracker, config.monitor),
            ledger: FaultLedger::default(),
            story: Story::new(config.seed),
            chronicle: Chronicle::default(),
            agent: AgentPane::new(config.analyzer_name),
            replay: None,
        }
    }

    // ---- the rooms, to read ---------------------------------------------------

    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn chronicle(&self) -> &Chronicle {
        &self.chronicle
    }

    pub fn agent(&self) -> &AgentPane {
        &self.agent
    }

    // ---- what the views read most ---------------------------------------------

    pub fn now(&self) -> Duration {
        self.now
    }

    pub fn timers_at(&self) -> Duration {
        self.timers_at
    }

    pub fn source(&self) -> &ClusterSource {
        &self.source
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn script(&self) -> &Script {
        &self.script
    }

    pub fn chapter(&self) -> usize {
        self.story.chapter()
    }

    pub fn status(&self) -> Option<&ActionStatus> {
        self.story.status()
    }

    pub fn run(&self) -> Option<&ChapterRun> {
        self.story.run()
    }

    pub fn fault(&self) -> &FaultState {
        self.ledger.state()
    }

    pub fn cluster(&self) -> &ClusterView {
        self.world.cluster()
    }

    pub fn timeline(&self) -> &Timeline {
        self.chronicle.timeline()
    }

    pub fn journal(&self) -> &Journal {
        self.chronicle.journal()
    }

    pub fn scoreboard(&self) -> &Scoreboard {
        self.chronicle.scoreboard()
    }

    pub fn pass(&self) -> u32 {
        self.chronicle.pass()
    }

    pub fn hold(&self) -> Option<&Hold> {
        self.booth.hold()
    }

    pub fn kiosk(&self) -> Option<&Kiosk> {
        self.booth.kiosk()
    }

    /// What the header says of a replay (the player's state), when this is one.
    pub fn replay(&self) -> Option<&str> {
        self.replay.as_deref()
    }

    /// Marks the app as a replay's (only the player calls it).
    pub fn set_replay(&mut self, banner: Option<String>) {
        self.replay = banner;
    }

    pub fn hint(&self) -> Option<&str> {
        self.stage.hint()
    }

    pub fn paused(&self) -> bool {
        self.stage.paused()
    }

    pub fn show_help(&self) -> bool {
        self.stage.show_help()
    }

    pub fn quitting(&self) -> bool {
        self.stage.quitting()
    }

    /// The Detection chapter's live view, while a fault is in this episode.
    pub fn detection_progress(&self) -> Option<episode::DetectionProgress> {
        episode::detection_progress(&self.world, self.chronicle.timeline(), self.now)
    }

    /// The evidence the diagnosis weighs that is not in yet.
    pub fn missing_evidence(&self) -> Vec<String> {
        episode::missing_evidence(&self.world, self.chronicle.timeline(), self.now)
    }

    /// The show's snapshot pace sets how old cluster data may be.
    pub fn set_stale_after(&mut self, after: Duration) {
        self.world.set_stale_after(after);
    }

    /// The chapter on screen: the story's, or between kiosk passes the
    /// attract chapter.
    pub fn current_chapter(&self) -> &Chapter {
        match self.booth.interlude() {
            Some(interlude) => &interlude.chapter,
            None => &self.script.chapters[self.story.chapter()],
        }
    }

    /// A line from outside the story (start-up healing): journalled and
    /// shown in the monitor pane.
    pub fn tell(&mut self, level: Level, text: String) {
        self.tell_as(level, Kind::Note, text);
    }

    /// [`App::tell`], journalled as `kind` (a heal at start is a recovery).
    pub fn tell_as(&mut self, level: Level, kind: Kind, text: String) {
        self.chronicle.tell(self.now, level, kind, text);
    }

    /// The narration of `chapter` for this pass's fault.
    pub fn narration<'a>(&self, chapter: &'a Chapter) -> &'a str {
        chapter.narration(self.pass_fault())
    }

    /// A pause freezes the cluster as well as the show's timers: only the
    /// simulator, which runs on show time; a real cluster keeps running.
    pub fn pause_freezes_cluster(&self) -> bool {
        self.source == ClusterSource::Sim
    }

    /// What the pause stops, for the screen while paused.
    pub fn pause_note(&self) -> Option<&'static str> {
        self.stage.paused().then(|| {
            if self.pause_freezes_cluster() {
                "paused: the simulated cluster is frozen with the show (p resumes)"
            } else {
                "paused: the show's timers are stopped; the cluster keeps running (p resumes)"
            }
        })
    }

    /// The pass under way would end healthy now: nothing in trouble, no
    /// fault in place, no chapter failed.
    pub fn pass_healthy_so_far(&self) -> bool {
        let failed = matches!(
            self.story.run().map(|r| &r.state),
            Some(RunState::Failed(_) | RunState::Aborted(_))
        );
        !failed && self.ledger.is_idle() && self.world.troubles(self.now).is_empty()
    }

    pub fn chapter_count(&self) -> usize {
        self.script.chapters.len()
    }

    /// Show time from the last tick until the soonest timer is due: the
    /// show needs no tick before then (every other change is a message).
    pub fn next_timer(&self) -> Option<Duration> {
        let story = (!self.stage.paused()).then(|| self.story.next_timer());
        story
            .flatten()
            .into_iter()
            .chain(self.booth.next_timer(self.timers_at))
            .min()
    }

    /// Time left before the story moves on by itself, while it dwells.
    pub fn dwell_left(&self) -> Option<Duration> {
        self.story.dwell_left()
    }

    /// A countdown's time left, while one runs.
    pub fn countdown(&self) -> Option<Duration> {
        self.story.countdown()
    }

    /// Chapters move on by themselves: `--auto`, or the kiosk's autoplay.
    pub fn autoplay(&self) -> bool {
        self.booth.autoplay(self.mode)
    }

    /// The fault kind this pass injects: the kiosk's rotation, or the
    /// script's first `inject_fault`.
    pub fn pass_fault(&self) -> Option<FaultKind> {
        if self.booth.kiosk().is_some() {
            return self.booth.pass_fault().map(|f| f.fault.kind());
        }
        self.script
            .chapters
            .iter()
            .flat_map(|c| &c.on_enter)
            .find_map(|a| match a {
                Action::InjectFault(inject) => Some(inject.fault.kind()),
                _ => None,
            })
    }
}

/// Scenes set up by hand, for the tests and benches: each setter writes
/// through the room that owns the state.
#[cfg(any(test, feature = "testing"))]
impl App {
    /// Sends [`Msg::Start`] at the current show time.
    pub fn start(&mut self) -> Vec<Effect> {
        let now = self.now;
        update(self, Msg::Start(now))
    }

    pub fn set_now(&mut self, now: Duration) {
        self.now = now;
    }

    pub fn set_fault(&mut self, state: FaultState) {
        self.ledger.set(state);
    }

    pub fn set_agent_state(&mut self, state: AgentState) {
        self.agent.set_state(state);
    }

    pub fn set_hint(&mut self, hint: impl Into<String>) {
        self.stage.say(hint);
    }

    /// Shows `chapter` as if its actions had run up to `started_up_to`,
    /// with `run` as its run.
    pub fn set_chapter(
        &mut self,
        chapter: usize,
        started_up_to: Option<usize>,
        run: Option<ChapterRun>,
    ) {
        self.story.set_scene(chapter, started_up_to, run);
    }

    /// Shows `chapter`, keeping the run and what has run.
    pub fn show_chapter(&mut self, chapter: usize) {
        let run = self.story.run().cloned();
        let up_to = self.story.started_up_to();
        self.story.set_scene(chapter, up_to, run);
    }

    pub fn script_mut(&mut self) -> &mut Script {
        &mut self.script
    }

    pub fn timeline_mut(&mut self) -> &mut Timeline {
        self.chronicle.timeline_mut()
    }

    pub fn cluster_mut(&mut self) -> &mut ClusterView {
        self.world.cluster_mut()
    }

    pub fn set_hold(&mut self, hold: Option<Hold>) {
        self.booth.set_hold(hold);
    }
}
