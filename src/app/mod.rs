//! The app: all state in one place, changed only by [`update`] in the one task
//! that owns it. Nothing here waits or draws; the runtime and the views do.

pub mod journal;
pub mod keys;
pub mod msg;
pub mod timeline;
mod update;

use std::collections::VecDeque;
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::agent::{Diagnosis, EvidenceRecorder, Transcript};
use crate::cluster::{ClusterSnapshot, ClusterSource, InjectedFault};
use crate::monitor::{Monitor, MonitorConfig};
use crate::story::{Action, Chapter, Script};
use crate::workload::tracker::{TrackerConfig, WorkloadTracker};

pub use journal::{Entry, Journal, Level};
pub use msg::{Command, Effect, ExitKind, Msg, RunId};
pub use timeline::Timeline;
pub use update::update;

/// Who drives the chapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The presenter presses keys.
    Presenter,
    /// Chapters advance by themselves after their dwell (`--auto`).
    Auto,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Self::Presenter => "PRESENTER",
            Self::Auto => "AUTO",
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
}

/// Where the current action stands, shown in the narration's status line.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionStatus {
    Running(String),
    Done(String),
    Failed(String),
}

/// A timer that only runs while the show is not paused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timer {
    pub left: Duration,
}

/// The current chapter's actions, run in order.
#[derive(Debug, Clone)]
pub struct ChapterRun {
    pub run: RunId,
    /// Index of the action running now; `actions.len()` once all are done.
    pub index: usize,
    pub actions: Vec<Action>,
    /// The action at `index` has been started.
    pub current_started: bool,
    /// Set while the running action waits for an effect's result.
    pub awaiting_effect: bool,
    /// The end of the run has been acted upon (auto-advance, dwell).
    pub settled: bool,
    /// A countdown's time left, shown in large digits.
    pub countdown: Option<Timer>,
    /// The running await's time left before it gives up.
    pub timeout: Option<Timer>,
    pub failed: bool,
}

impl ChapterRun {
    pub fn finished(&self) -> bool {
        self.failed || self.index >= self.actions.len()
    }

    pub fn current(&self) -> Option<&Action> {
        if self.failed {
            None
        } else {
            self.actions.get(self.index)
        }
    }
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
#[derive(Debug, Clone, Default)]
pub struct ClusterView {
    pub snapshot: Option<ClusterSnapshot>,
    /// Why the last refresh failed, when it did: the data shown is stale.
    pub error: Option<String>,
}

/// Cluster data older than this (show time) is not trusted, whatever the
/// reason it stopped arriving.
pub const STALE_AFTER: Duration = Duration::from_secs(10);

impl ClusterView {
    /// The data on screen cannot be trusted at show time `now`.
    pub fn is_stale(&self, now: Duration) -> bool {
        self.error.is_some()
            || self
                .snapshot
                .as_ref()
                .is_some_and(|s| !s.pd_reachable || now.saturating_sub(s.taken_at) > STALE_AFTER)
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
    pub run: Option<ChapterRun>,
    pub status: Option<ActionStatus>,
    /// With `--auto`: time left before moving on.
    pub dwell: Option<Timer>,
    pub paused: bool,
    pub show_help: bool,
    /// A short answer to a key that could not act (shown in the footer).
    pub hint: Option<String>,
    pub cluster: ClusterView,
    pub tracker: WorkloadTracker,
    pub load_running: bool,
    pub monitor: Monitor,
    pub monitor_lines: VecDeque<Entry>,
    pub agent: AgentPane,
    pub evidence: EvidenceRecorder,
    /// The fault in place, if any: recovered before leaving, whatever happens.
    pub fault: Option<InjectedFault>,
    /// A recovery has been asked for and not yet answered.
    pub recovering: bool,
    /// Why the last recovery failed, until one succeeds.
    pub recovery_error: Option<String>,
    /// An injection has been asked for and not yet answered: no second one
    /// is sent meanwhile.
    pub injecting: bool,
    /// Runs numbered below this belong to an earlier pass (before a reset): a
    /// fault they land is recovered at once.
    pub pass_first_run: RunId,
    pub timeline: Timeline,
    pub journal: Journal,
    /// Set once the app has asked to leave.
    pub quitting: bool,
    pub exit_after_one_pass: bool,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) next_run: RunId,
}

impl App {
    pub fn new(config: AppConfig) -> Self {
        Self {
            now: Duration::ZERO,
            timers_at: Duration::ZERO,
            source: config.source,
            mode: config.mode,
            script: config.script,
            chapter: 0,
            started_up_to: None,
            run: None,
            status: None,
            dwell: None,
            paused: false,
            show_help: false,
            hint: None,
            cluster: ClusterView::default(),
            tracker: WorkloadTracker::new(config.tracker),
            load_running: false,
            monitor: Monitor::new(config.monitor),
            monitor_lines: VecDeque::new(),
            agent: AgentPane {
                analyzer: config.analyzer_name,
                state: AgentState::Idle,
                transcript: Transcript::default(),
            },
            evidence: EvidenceRecorder::default(),
            fault: None,
            recovering: false,
            recovery_error: None,
            injecting: false,
            pass_first_run: 1,
            timeline: Timeline::default(),
            journal: Journal::default(),
            quitting: false,
            exit_after_one_pass: config.exit_after_one_pass,
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            next_run: 1,
        }
    }

    /// Enters the first chapter; the runtime carries out the effects.
    pub fn start(&mut self) -> Vec<Effect> {
        update::enter_chapter(self, 0)
    }

    pub fn current_chapter(&self) -> &Chapter {
        &self.script.chapters[self.chapter]
    }

    pub fn chapter_count(&self) -> usize {
        self.script.chapters.len()
    }

    /// A countdown's time left, while one runs.
    pub fn countdown(&self) -> Option<Duration> {
        self.run.as_ref()?.countdown.map(|t| t.left)
    }
}
