//! The app: all state in one place, changed only by [`update`] in the one task
//! that owns it. Nothing here waits or draws; the runtime and the views do.

mod answers;
pub mod confirm;
pub mod episode;
pub mod fault;
pub mod journal;
pub mod keys;
pub mod kiosk;
pub mod msg;
mod notes;
mod observe;
pub mod pass_history;
pub mod run;
mod runner;
pub mod scoreboard;
pub mod timeline;
mod update;

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::agent::{Diagnosis, EvidenceRecorder, Transcript};
use crate::cluster::{ClusterSnapshot, ClusterSource, FaultKind};
use crate::monitor::{Monitor, MonitorConfig};
use crate::story::{Action, Chapter, Script};
use crate::workload::tracker::{TrackerConfig, WorkloadTracker};

pub use fault::FaultState;
pub use journal::{Cursor, Entry, Journal, Kind, Level};
pub use kiosk::{Hold, HoldKind, Kiosk};
pub use msg::{Command, Effect, ExitKind, LeftFault, Msg, RunId};
pub use run::{ChapterRun, RunState, Step, Timer};
pub use scoreboard::Scoreboard;
pub use timeline::Timeline;
pub use update::update;

/// Who drives the chapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Where the current action stands, shown in the narration's status line.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionStatus {
    Running(String),
    Done(String),
    Failed(String),
    /// Called off (ESC, a reset): not a failure of the cluster or the tool.
    Aborted(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum AgentState {
    Idle,
    Working {
        run: RunId,
        started: Duration,
    },
    Done {
        diagnosis: Box<Diagnosis>,
        took: Duration,
    },
    Failed(String),
}

pub struct AgentPane {
    pub analyzer: String,
    pub state: AgentState,
    /// What the analyzer reported while it worked, stamped with show time
    /// and the time since the fault.
    pub transcript: Transcript,
}

/// The cluster as last seen, and whether it can be trusted.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub snapshot: Option<ClusterSnapshot>,
    /// Why the last refresh failed, when it did: the data shown is stale.
    pub error: Option<String>,
    /// Show time after which a snapshot is not trusted: [`STALE_AFTER`], or
    /// more where snapshots come further apart in show time (a high
    /// `--speed`; the show sets it from its snapshot pace).
    pub stale_after: Duration,
}

/// Cluster data older than this (show time) is not trusted, whatever the
/// reason it stopped arriving.
pub const STALE_AFTER: Duration = Duration::from_secs(10);

impl Default for ClusterView {
    fn default() -> Self {
        Self {
            snapshot: None,
            error: None,
            stale_after: STALE_AFTER,
        }
    }
}

impl ClusterView {
    /// The data on screen cannot be trusted at show time `now`.
    pub fn is_stale(&self, now: Duration) -> bool {
        self.error.is_some()
            || self.snapshot.as_ref().is_some_and(|s| {
                !s.pd_reachable || now.saturating_sub(s.taken_at) > self.stale_after
            })
    }
}

pub const PANE_LINES: usize = 200;

pub struct App {
    /// Show time: the latest of the last tick and the world's stamped answers.
    pub now: Duration,
    /// Show time of the last tick: the timers count from here.
    pub timers_at: Duration,
    pub source: ClusterSource,
    pub mode: Mode,
    pub script: Script,
    pub chapter: usize,
    /// Chapters up to this one have run their actions in this pass; going back
    /// to them never runs them again.
    pub started_up_to: Option<usize>,
    /// Chapters up to `started_up_to` whose run did not finish (aborted, or
    /// left while running): entered again, they run again.
    pub unfinished: BTreeSet<usize>,
    pub run: Option<ChapterRun>,
    pub status: Option<ActionStatus>,
    /// While chapters advance by themselves: time left before moving on.
    pub dwell: Option<Timer>,
    pub paused: bool,
    /// Show time stands still (the simulator's pause): kept in step with
    /// `paused` by [`update`], which asks the runtime to freeze the clock.
    pub time_frozen: bool,
    pub show_help: bool,
    /// A short answer to a key that could not act (shown in the footer).
    pub hint: Option<String>,
    pub cluster: ClusterView,
    pub tracker: WorkloadTracker,
    /// The workload of the whole pass, for the chart.
    pub pass_history: pass_history::PassHistory,
    pub load_running: bool,
    pub monitor: Monitor,
    pub monitor_lines: VecDeque<Entry>,
    pub agent: AgentPane,
    pub evidence: EvidenceRecorder,
    /// Runtime events of the node being faulted that came before the
    /// injection answered (the engine's event beats its reply): held, and
    /// seen once the fault is in the ledger, so they are credited to it.
    pub(crate) held_events: Vec<crate::cluster::ClusterEvent>,
    /// The one fault chaosdeck may have in place, and where it stands.
    pub fault: FaultState,
    pub timeline: Timeline,
    pub journal: Journal,
    pub scoreboard: Scoreboard,
    /// The story's pass, from 1.
    pub pass: u32,
    /// Set in kiosk mode.
    pub kiosk: Option<Kiosk>,
    /// No faults are injected while the show holds (`H`, or the kiosk after
    /// passes that ended unhealthy).
    pub hold: Option<Hold>,
    /// Set once the app has asked to leave.
    pub quitting: bool,
    pub exit_after_one_pass: bool,
    /// A kiosk key's first press, waiting for its second.
    pub(crate) confirm: Option<confirm::Pending>,
    pub(crate) confirm_window: Duration,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) next_run: RunId,
}

impl App {
    pub fn new(config: AppConfig) -> Self {
        let kiosk = (config.mode == Mode::Kiosk).then(|| Kiosk::new(&config.script.kiosk));
        Self {
            now: Duration::ZERO,
            timers_at: Duration::ZERO,
            source: config.source,
            mode: config.mode,
            script: config.script,
            chapter: 0,
            started_up_to: None,
            unfinished: BTreeSet::new(),
            run: None,
            status: None,
            dwell: None,
            paused: false,
            time_frozen: false,
            show_help: false,
            hint: None,
            cluster: ClusterView::default(),
            tracker: WorkloadTracker::new(config.tracker),
            pass_history: pass_history::PassHistory::default(),
            load_running: false,
            monitor: Monitor::new(config.monitor),
            monitor_lines: VecDeque::new(),
            agent: AgentPane {
                analyzer: config.analyzer_name,
                state: AgentState::Idle,
                transcript: Transcript::default(),
            },
            evidence: EvidenceRecorder::default(),
            held_events: Vec::new(),
            fault: FaultState::Idle,
            timeline: Timeline::default(),
            journal: Journal::default(),
            scoreboard: Scoreboard::default(),
            pass: 1,
            kiosk,
            hold: None,
            quitting: false,
            exit_after_one_pass: config.exit_after_one_pass,
            confirm: None,
            confirm_window: config.confirm_window,
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            next_run: 1,
        }
    }

    /// Enters the first chapter; the runtime carries out the effects.
    pub fn start(&mut self) -> Vec<Effect> {
        if let Some(kiosk) = self.kiosk.as_mut() {
            kiosk.started = self.now;
        }
        update::enter_chapter(self, 0)
    }

    /// The chapter on screen: the story's, or between kiosk passes the
    /// attract chapter.
    pub fn current_chapter(&self) -> &Chapter {
        match self.kiosk.as_ref().and_then(|k| k.interlude.as_ref()) {
            Some(interlude) => &interlude.chapter,
            None => &self.script.chapters[self.chapter],
        }
    }

    /// A line from outside the story (start-up healing): journalled and
    /// shown in the monitor pane.
    pub fn tell(&mut self, level: Level, text: String) {
        self.tell_as(level, Kind::Note, text);
    }

    /// [`App::tell`], journalled as `kind` (a heal at start is a recovery).
    pub fn tell_as(&mut self, level: Level, kind: Kind, text: String) {
        let entry = notes::entry(self, self.now, level, kind, text);
        if self.monitor_lines.len() == PANE_LINES {
            self.monitor_lines.pop_front();
        }
        self.monitor_lines.push_back(entry.clone());
        notes::record(self, entry);
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
        self.paused.then(|| {
            if self.pause_freezes_cluster() {
                "paused: the simulated cluster is frozen with the show (p resumes)"
            } else {
                "paused: the show's timers are stopped; the cluster keeps running (p resumes)"
            }
        })
    }

    pub fn chapter_count(&self) -> usize {
        self.script.chapters.len()
    }

    /// Show time from the last tick until the soonest timer is due: the
    /// show needs no tick before then (every other change is a message).
    pub fn next_timer(&self) -> Option<Duration> {
        let story = (!self.paused).then(|| {
            let step = self.run.as_ref().and_then(ChapterRun::timer_left);
            let dwell = self.dwell.map(|d| d.left);
            step.into_iter().chain(dwell)
        });
        story
            .into_iter()
            .flatten()
            .chain(kiosk::next_timer(self))
            .chain(
                self.confirm
                    .map(|p| p.until.saturating_sub(self.timers_at) + Duration::from_millis(1)),
            )
            .min()
    }

    /// A countdown's time left, while one runs.
    pub fn countdown(&self) -> Option<Duration> {
        self.run.as_ref()?.countdown()
    }

    /// Chapters move on by themselves: `--auto`, or the kiosk's autoplay.
    pub fn autoplay(&self) -> bool {
        // A halt stops the story where it is, in every mode.
        if self
            .hold
            .as_ref()
            .is_some_and(|h| h.kind == HoldKind::Halted)
        {
            return false;
        }
        match self.mode {
            Mode::Presenter => false,
            Mode::Auto => true,
            Mode::Kiosk => self.kiosk.as_ref().is_some_and(|k| k.autoplay()),
        }
    }

    /// The fault kind this pass injects: the kiosk's rotation, or the
    /// script's first `inject_fault`.
    pub fn pass_fault(&self) -> Option<FaultKind> {
        if let Some(kiosk) = &self.kiosk {
            return kiosk.fault_for(self.pass).map(|f| f.kind);
        }
        self.script
            .chapters
            .iter()
            .flat_map(|c| &c.on_enter)
            .find_map(|a| match a {
                Action::InjectFault { kind, .. } => Some(*kind),
                _ => None,
            })
    }
}
