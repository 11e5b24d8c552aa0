//! The story: which chapter is on screen, the run of its actions, the
//! status line and the dwell before moving on. Each action is started and
//! judged from the other rooms' state (the fault ledger, the world, the
//! booth), each within its deadline; what the story needs done outside
//! itself (an injection, a recovery, a load switch, a diagnosis, the end of
//! the pass) it asks for, and the router carries it out.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::Mode;
use super::agent_pane::AgentPane;
use super::booth::Booth;
use super::chronicle::Chronicle;
use super::fault::FaultLedger;
use super::journal::{Kind, Level};
use super::msg::{ExitKind, RunId};
use super::run::{ChapterRun, RunState, Timer};
use super::world::World;
use crate::cluster::FaultSpec;
use crate::story::{Action, Chapter, Script};

mod actions;

/// Where the current action stands, shown in the narration's status line.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionStatus {
    Running(String),
    Done(String),
    Failed(String),
    /// Called off (ESC, a reset): not a failure of the cluster or the tool.
    Aborted(String),
    /// Nothing to do for it in this pass (no fault to detect): not a success.
    Skipped(String),
}

/// Which way the story came into a chapter: only going forwards runs what
/// it has not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Forwards,
    Back,
}

/// What the story reads of the other rooms: all borrowed, none written.
pub(super) struct Scene<'a> {
    pub now: Duration,
    pub mode: Mode,
    pub exit_after_one_pass: bool,
    pub script: &'a Script,
    pub world: &'a World,
    pub ledger: &'a FaultLedger,
    pub booth: &'a Booth,
    pub agent: &'a AgentPane,
}

impl Scene<'_> {
    fn autoplay(&self) -> bool {
        self.booth.autoplay(self.mode)
    }

    /// The chapter on screen: the story's, or between kiosk passes the
    /// attract chapter.
    fn chapter(&self, index: usize) -> &Chapter {
        match self.booth.interlude() {
            Some(interlude) => &interlude.chapter,
            None => &self.script.chapters[index],
        }
    }
}

/// What the story asks of the other rooms, carried out in order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum StoryAsk {
    /// Inject the pass's fault (the gate has passed; the ledger is idle).
    Inject {
        run: RunId,
        spec: FaultSpec,
        service: String,
        /// How the story came to the service: `random`, named, `pd-leader`.
        aim: crate::cluster::Aim,
    },
    /// Recover the ledger's fault, unless that is under way.
    Recover,
    SetLoad {
        run: RunId,
        running: bool,
    },
    /// Ask the agent, with the evidence as it is now.
    Diagnose {
        run: RunId,
    },
    /// The injection in flight is no longer awaited: should it land, it is
    /// undone.
    AbandonInjection,
    CancelDiagnosis,
    /// The agent's work is called off (only `run`'s, when given); `cancel`
    /// stops the analyzer too, when it was at work.
    CallOffAgent {
        run: Option<RunId>,
        why: String,
        cancel: bool,
    },
    /// The agent gave no answer in time.
    AgentOverdue(String),
    /// The diagnosis deadline passed with a model at work: the built-in
    /// diagnosis stands, if one was sent.
    StandOnBuiltin {
        within: Duration,
    },
    /// Show chapter `index` (and, coming forwards, run its actions if not
    /// yet run).
    Enter(usize, Way),
    /// The last chapter is over (or, in kiosk mode, a failed one's dwell).
    StoryOver {
        failure: Option<String>,
    },
    Quit(ExitKind),
    /// A word for the footer.
    Hint(String),
    /// A word for the footer about the running action: gone when it ends.
    RunHint(String),
}

enum Check {
    Done(String),
    /// Nothing to do in this pass; the run moves on.
    Skipped(String),
    Failed(String),
    /// Not yet; the status line says why.
    Wait(Option<String>),
}

pub struct Story {
    chapter: usize,
    /// Chapters up to this one have run their actions in this pass; going
    /// back to them never runs them again.
    started_up_to: Option<usize>,
    /// Chapters up to `started_up_to` whose run did not finish (aborted, or
    /// left while running): entered again, they run again.
    unfinished: BTreeSet<usize>,
    /// What each chapter's run came to in this pass, told again when it is
    /// entered again (it is not run again).
    told: BTreeMap<usize, ActionStatus>,
    /// The chapter on screen was entered going back with its run not
    /// finished: it runs only on SPACE.
    pending: bool,
    /// The run on screen was called off while its recovery went on (what
    /// was called off, and why): the recovery's answer is told after it.
    recovery_went_on: Option<String>,
    run: Option<ChapterRun>,
    status: Option<ActionStatus>,
    /// While chapters advance by themselves: time left before moving on.
    dwell: Option<Timer>,
    next_run: RunId,
    /// Seeds the choice of a random fault target.
    rng: ChaCha8Rng,
}

impl Story {
    pub fn new(seed: u64) -> Self {
        Self {
            chapter: 0,
            started_up_to: None,
            unfinished: BTreeSet::new(),
            told: BTreeMap::new(),
            pending: false,
            recovery_went_on: None,
            run: None,
            status: None,
            dwell: None,
            next_run: 1,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    pub fn chapter(&self) -> usize {
        self.chapter
    }

    pub fn started_up_to(&self) -> Option<usize> {
        self.started_up_to
    }

    pub fn run(&self) -> Option<&ChapterRun> {
        self.run.as_ref()
    }

    pub fn status(&self) -> Option<&ActionStatus> {
        self.status.as_ref()
    }

    /// Time left before the story moves on by itself, while it dwells.
    pub fn dwell_left(&self) -> Option<Duration> {
        self.dwell.map(|d| d.left)
    }

    /// A countdown's time left, while one runs.
    pub fn countdown(&self) -> Option<Duration> {
        self.run.as_ref()?.countdown()
    }

    /// Waiting for the answer to an effect `run` sent.
    pub fn awaiting(&self, run: RunId) -> bool {
        self.run.as_ref().is_some_and(|r| r.awaiting(run))
    }

    /// The run is at its `recover` action: the recovery's answers belong on
    /// its status line (a reset's or a halt's do not).
    pub fn recovering_in_this_run(&self) -> bool {
        matches!(
            self.run.as_ref().and_then(|r| r.current()),
            Some((Action::Recover { .. }, _))
        )
    }

    /// Show time until the story's soonest timer is due.
    pub fn next_timer(&self) -> Option<Duration> {
        let step = self.run.as_ref().and_then(ChapterRun::timer_left);
        step.into_iter().chain(self.dwell.map(|d| d.left)).min()
    }

    // ---- the status line, as others see the world move --------------------

    pub(super) fn set_status(&mut self, status: ActionStatus) {
        self.status = Some(status);
    }

    /// A recovery of the ledger's fault was asked for: this run's, if it is
    /// at its recovery.
    pub(super) fn recovery_asked(&mut self, what: String) {
        if self.recovering_in_this_run() {
            self.status = Some(ActionStatus::Running(what));
        }
    }

    /// The recovery was answered: said only by the chapter that asked (not
    /// Welcome after a reset).
    pub(super) fn recovery_answered(&mut self, status: ActionStatus) {
        if self.recovering_in_this_run() {
            self.status = Some(status);
        } else if let Some(called_off) = self.recovery_went_on.take() {
            let outcome = match status {
                ActionStatus::Failed(why) => format!("went on and failed: {why}"),
                ActionStatus::Done(what) | ActionStatus::Running(what) => {
                    format!("went on and finished: {what}")
                }
                ActionStatus::Aborted(what) | ActionStatus::Skipped(what) => what,
            };
            self.status = Some(ActionStatus::Aborted(format!(
                "{called_off}; the recovery {outcome}"
            )));
        }
    }

    // ---- the dwell ----------------------------------------------------------

    pub(super) fn stop_dwell(&mut self) {
        self.dwell = None;
    }

    /// Autoplay resumed: a chapter whose run is over dwells, then moves on.
    pub(super) fn resume_dwell(&mut self, scene: &Scene) {
        let finished = self.run.as_ref().is_none_or(ChapterRun::finished);
        if finished && self.dwell.is_none() {
            self.dwell = Some(Timer::new(scene.chapter(self.chapter).dwell));
        }
    }

    /// Show time passed (not while paused): the run's timers and the dwell.
    /// A dwell that runs out moves the story on, unless `may_move_on` is
    /// false (the show is leaving).
    pub(super) fn elapse(
        &mut self,
        delta: Duration,
        may_move_on: bool,
        scene: &Scene,
        log: &mut Chronicle,
        asks: &mut Vec<StoryAsk>,
    ) {
        if let Some(run) = self.run.as_mut() {
            run.elapse(delta);
        }
        let Some(dwell) = self.dwell.as_mut() else {
            return;
        };
        dwell.left = dwell.left.saturating_sub(delta);
        if !dwell.left.is_zero() || !may_move_on {
            return;
        }
        self.dwell = None;
        // The chapter's time is up: move on, or in kiosk mode end a failed
        // pass.
        let failure = match self.run.as_ref().map(|r| &r.state) {
            Some(RunState::Failed(why) | RunState::Aborted(why)) => Some(why.clone()),
            _ => None,
        };
        match failure {
            Some(why) if scene.mode == Mode::Kiosk => {
                asks.push(StoryAsk::StoryOver { failure: Some(why) })
            }
            _ => self.next(scene, log, asks),
        }
    }

    // ---- chapters -----------------------------------------------------------

    /// SPACE: the next chapter, unless the chapter blocks it while running;
    /// on a chapter entered going back with its run unfinished, runs it.
    pub(super) fn next(&mut self, scene: &Scene, log: &mut Chronicle, asks: &mut Vec<StoryAsk>) {
        if let Some(run) = &self.run
            && !run.finished()
            && scene.chapter(self.chapter).blocks_advance
        {
            let what = run
                .current()
                .map_or_else(String::new, |(a, _)| a.describe());
            asks.push(StoryAsk::RunHint(match run.countdown() {
                Some(_) => "countdown running (ESC aborts it)".into(),
                None => format!("still {what} (ESC abandons it)"),
            }));
            return;
        }
        let target = if self.pending {
            self.chapter
        } else if self.chapter + 1 < scene.script.chapters.len() {
            self.chapter + 1
        } else {
            asks.push(StoryAsk::StoryOver { failure: None });
            return;
        };
        self.call_off("called off: the presenter moved on", scene, log, asks);
        self.leave_chapter(asks);
        asks.push(StoryAsk::Enter(target, Way::Forwards));
    }

    /// ←: the previous chapter. What runs here is called off (and
    /// journalled so); the chapter gone back to never starts a run.
    pub(super) fn prev(&mut self, scene: &Scene, log: &mut Chronicle, asks: &mut Vec<StoryAsk>) {
        if self.chapter == 0 {
            asks.push(StoryAsk::Hint("already at the first chapter".into()));
            return;
        }
        self.call_off("called off: the presenter went back", scene, log, asks);
        self.leave_chapter(asks);
        asks.push(StoryAsk::Enter(self.chapter - 1, Way::Back));
    }

    /// Leaving while the run goes on is an abort like ESC's, journalled.
    fn call_off(
        &mut self,
        why: &str,
        scene: &Scene,
        log: &mut Chronicle,
        asks: &mut Vec<StoryAsk>,
    ) {
        if self.run.as_ref().is_some_and(|r| !r.finished()) {
            self.abort(why.into(), scene, log, asks);
        }
    }

    /// Shows chapter `index`. Coming forwards, runs its actions if this
    /// pass has not finished them; going back, never: a finished run is
    /// told as it ended, an unfinished one waits for SPACE.
    pub(super) fn enter_chapter(
        &mut self,
        index: usize,
        way: Way,
        scene: &Scene,
        log: &mut Chronicle,
    ) {
        self.chapter = index;
        self.dwell = None;
        self.status = None;
        self.pending = false;
        self.recovery_went_on = None;
        let count = scene.script.chapters.len();
        let title = &scene.script.chapters[index].title;
        log.note_kind(
            scene.now,
            Level::Info,
            Kind::Chapter { index },
            format!("chapter {}/{count}: {title}", index + 1),
        );
        let entered = self.started_up_to.is_some_and(|up_to| index <= up_to);
        let unfinished = self.unfinished.contains(&index);
        let chapter = scene.chapter(index);
        if entered && !unfinished {
            self.run = None;
            if !chapter.on_enter.is_empty() {
                self.status = Some(self.told.get(&index).cloned().unwrap_or_else(|| {
                    ActionStatus::Done("already run in this pass: not run again".into())
                }));
            }
            if scene.autoplay() {
                self.dwell = Some(Timer::new(chapter.dwell));
            }
            return;
        }
        if entered && way == Way::Back {
            self.run = None;
            self.pending = true;
            let before = match self.told.get(&index) {
                Some(ActionStatus::Aborted(what)) => what.clone(),
                _ => "not finished".into(),
            };
            self.status = Some(ActionStatus::Aborted(format!(
                "{before} · SPACE runs it again"
            )));
            return;
        }
        self.started_up_to = Some(index);
        // What later chapters did followed from this one's run, which
        // starts anew.
        self.unfinished.retain(|&i| i < index);
        self.told.retain(|&i, _| i < index);
        let run = self.next_run;
        self.next_run += 1;
        let lead_in = if scene.autoplay() {
            chapter.lead_in
        } else {
            Duration::ZERO
        };
        let chapter_run = ChapterRun::with_lead_in(run, chapter.on_enter.clone(), lead_in);
        if chapter_run.state == RunState::Done && scene.autoplay() {
            self.dwell = Some(Timer::new(chapter.dwell));
        }
        self.run = Some(chapter_run);
    }

    /// Stops what the current chapter is doing. Effects already sent still
    /// land (a fault that was injected is recorded), but no longer move the
    /// chapter.
    pub(super) fn leave_chapter(&mut self, asks: &mut Vec<StoryAsk>) {
        asks.push(StoryAsk::CallOffAgent {
            run: None,
            why: "cancelled: the presenter moved on".into(),
            cancel: true,
        });
        if let Some(run) = &self.run {
            if !run.finished() {
                self.unfinished.insert(self.chapter);
            }
            // An abort has told its own outcome, without the hint to run
            // it again.
            if !matches!(run.state, RunState::Aborted(_))
                && let Some(status) = &self.status
            {
                self.told.insert(self.chapter, status.clone());
            }
        }
        self.run = None;
        self.dwell = None;
        self.pending = false;
    }

    /// Forgets which chapters ran in this pass and what the status said.
    pub(super) fn clear_pass(&mut self) {
        self.started_up_to = None;
        self.unfinished.clear();
        self.told.clear();
        self.pending = false;
        self.status = None;
    }

    /// Tests set up a scene by hand.
    #[cfg(any(test, feature = "testing"))]
    pub fn set_scene(
        &mut self,
        chapter: usize,
        started_up_to: Option<usize>,
        run: Option<ChapterRun>,
    ) {
        self.chapter = chapter;
        self.started_up_to = started_up_to;
        self.run = run;
    }
}

#[cfg(test)]
mod tests {
    //! The story alone: scenes built from the rooms it reads, no `App`.

    use super::*;
    use crate::app::fault::FaultState;
    use crate::app::run::Step;
    use crate::cluster::InjectedFault;
    use crate::monitor::MonitorConfig;
    use crate::story::parse_script;
    use crate::workload::tracker::TrackerConfig;

    struct Rooms {
        script: Script,
        world: World,
        ledger: FaultLedger,
        booth: Booth,
        agent: AgentPane,
        log: Chronicle,
    }

    impl Rooms {
        fn new(script: &str, mode: Mode) -> Self {
            let script = parse_script(script, "test").expect("a valid script");
            let booth = Booth::new(mode, &script.kiosk, Duration::from_secs(3));
            Self {
                script,
                world: World::new(TrackerConfig::default(), MonitorConfig::default()),
                ledger: FaultLedger::default(),
                booth,
                agent: AgentPane::new("built-in".into()),
                log: Chronicle::default(),
            }
        }

        /// The Fault chapter with its countdown over: the story at its
        /// injection, and what it asked there.
        fn at_the_injection(&mut self) -> (Story, Vec<StoryAsk>) {
            let mut story = Story::new(1);
            self.with(&mut story, |s, scene, log, asks| {
                s.enter_chapter(1, Way::Forwards, scene, log);
                s.advance(scene, log, asks);
                s.elapse(Duration::from_secs(3), true, scene, log, asks);
            });
            let asks = self.with(&mut story, |s, scene, log, asks| {
                s.advance(scene, log, asks)
            });
            (story, asks)
        }

        /// Runs `f` on `story` with these rooms to read; returns its asks.
        fn with(
            &mut self,
            story: &mut Story,
            f: impl FnOnce(&mut Story, &Scene, &mut Chronicle, &mut Vec<StoryAsk>),
        ) -> Vec<StoryAsk> {
            let scene = Scene {
                now: Duration::ZERO,
                mode: Mode::Presenter,
                exit_after_one_pass: false,
                script: &self.script,
                world: &self.world,
                ledger: &self.ledger,
                booth: &self.booth,
                agent: &self.agent,
            };
            let mut asks = Vec::new();
            f(story, &scene, &mut self.log, &mut asks);
            asks
        }
    }

    const TWO_CHAPTERS: &str = r#"
        [[chapter]]
        title = "Welcome"
        [[chapter]]
        title = "Fault"
        blocks_advance = true
        on_enter = [{ action = "countdown", seconds = 3 }, { action = "inject_fault", kind = "kill", target = "tikv1" }]
    "#;

    fn fault() -> InjectedFault {
        InjectedFault {
            spec: crate::cluster::FaultKind::Kill.into(),
            service: "tikv1".into(),
            at: Duration::ZERO,
            struck: Default::default(),
        }
    }

    #[test]
    fn entering_a_chapter_journals_it_and_starts_its_run() {
        let mut rooms = Rooms::new(TWO_CHAPTERS, Mode::Presenter);
        let mut story = Story::new(1);
        let asks = rooms.with(&mut story, |s, scene, log, _| {
            s.enter_chapter(1, Way::Forwards, scene, log)
        });
        assert!(asks.is_empty());
        assert_eq!(story.chapter(), 1);
        let asks = rooms.with(&mut story, |s, scene, log, asks| {
            s.advance(scene, log, asks)
        });
        assert!(asks.is_empty(), "a countdown asks nothing: {asks:?}");
        assert_eq!(story.countdown(), Some(Duration::from_secs(3)));
        let last = rooms.log.journal().entries().last().expect("journalled");
        assert_eq!(last.kind, Kind::ActionStarted);
    }

    #[test]
    fn a_blocking_chapter_says_why_it_does_not_move_on() {
        let mut rooms = Rooms::new(TWO_CHAPTERS, Mode::Presenter);
        let mut story = Story::new(1);
        rooms.with(&mut story, |s, scene, log, asks| {
            s.enter_chapter(1, Way::Forwards, scene, log);
            s.advance(scene, log, asks);
        });
        let asks = rooms.with(&mut story, |s, scene, log, asks| s.next(scene, log, asks));
        assert_eq!(
            asks,
            vec![StoryAsk::RunHint(
                "countdown running (ESC aborts it)".into()
            )]
        );
        assert_eq!(story.chapter(), 1);
    }

    #[test]
    fn the_gate_holds_an_injection_without_cluster_data() {
        let mut rooms = Rooms::new(TWO_CHAPTERS, Mode::Presenter);
        let (story, asks) = rooms.at_the_injection();
        assert!(asks.is_empty(), "nothing is injected: {asks:?}");
        assert!(matches!(
            story.status(),
            Some(ActionStatus::Running(why)) if why.starts_with("not injecting yet: no cluster data")
        ));
    }

    #[test]
    fn the_gate_waits_while_a_fault_is_in_place() {
        let mut rooms = Rooms::new(TWO_CHAPTERS, Mode::Presenter);
        rooms.ledger.set(FaultState::InPlace(fault()));
        let (story, asks) = rooms.at_the_injection();
        assert!(asks.is_empty());
        assert_eq!(
            story.status(),
            Some(&ActionStatus::Running(
                "waiting: kill on tikv1 in place".into()
            ))
        );
    }

    #[test]
    fn an_abort_asks_to_abandon_an_injection_in_flight_and_runs_again_on_entry() {
        let mut rooms = Rooms::new(TWO_CHAPTERS, Mode::Presenter);
        let mut story = Story::new(1);
        rooms.with(&mut story, |s, scene, log, _| {
            s.enter_chapter(1, Way::Forwards, scene, log)
        });
        // As if the countdown were over and the injection sent.
        let mut run = story.run().cloned().expect("a run");
        run.advance();
        *run.step_mut().expect("running") = Step::Awaiting {
            deadline: Timer::new(Duration::from_secs(5)),
        };
        story.set_scene(1, Some(1), Some(run));
        let asks = rooms.with(&mut story, |s, scene, log, asks| {
            assert!(s.abort("aborted by the presenter".into(), scene, log, asks));
        });
        assert_eq!(asks, vec![StoryAsk::AbandonInjection]);
        assert!(matches!(story.status(), Some(ActionStatus::Aborted(_))));
        // Left and entered again, the chapter runs again.
        rooms.with(&mut story, |s, scene, log, asks| {
            s.prev(scene, log, asks);
            s.enter_chapter(1, Way::Forwards, scene, log);
        });
        assert!(story.run().is_some_and(|r| !r.finished()));
    }

    #[test]
    fn a_chapter_already_run_in_the_pass_is_not_run_again() {
        let mut rooms = Rooms::new(TWO_CHAPTERS, Mode::Presenter);
        let mut story = Story::new(1);
        rooms.with(&mut story, |s, scene, log, _| {
            s.enter_chapter(1, Way::Forwards, scene, log)
        });
        let mut run = story.run().cloned().expect("a run");
        run.state = RunState::Done;
        story.set_scene(1, Some(1), Some(run));
        rooms.with(&mut story, |s, scene, log, asks| {
            s.prev(scene, log, asks);
            s.enter_chapter(0, Way::Forwards, scene, log);
            s.next(scene, log, asks);
        });
        assert_eq!(story.chapter(), 0, "next asks the router to enter");
        rooms.with(&mut story, |s, scene, log, _| {
            s.enter_chapter(1, Way::Forwards, scene, log)
        });
        assert!(story.run().is_none());
        assert_eq!(
            story.status(),
            Some(&ActionStatus::Done(
                "already run in this pass: not run again".into()
            ))
        );
    }

    /// Three chapters: Welcome, a fault after a countdown, and one after it.
    const THREE_CHAPTERS: &str = r#"
        [[chapter]]
        title = "Welcome"
        [[chapter]]
        title = "Fault"
        blocks_advance = true
        on_enter = [{ action = "countdown", seconds = 3 }, { action = "inject_fault", kind = "kill", target = "tikv1" }]
        [[chapter]]
        title = "After"
    "#;

    #[test]
    fn going_back_into_an_aborted_chapter_runs_nothing_until_space() {
        let mut rooms = Rooms::new(THREE_CHAPTERS, Mode::Presenter);
        let mut story = Story::new(1);
        rooms.with(&mut story, |s, scene, log, asks| {
            s.enter_chapter(1, Way::Forwards, scene, log);
            s.advance(scene, log, asks);
            assert!(s.abort("aborted by the presenter".into(), scene, log, asks));
            s.next(scene, log, asks);
        });
        rooms.with(&mut story, |s, scene, log, asks| {
            s.enter_chapter(2, Way::Forwards, scene, log);
            s.prev(scene, log, asks);
        });
        assert_eq!(
            rooms.with(&mut story, |_, _, _, _| {}),
            Vec::new(),
            "nothing asked"
        );
        rooms.with(&mut story, |s, scene, log, _| {
            s.enter_chapter(1, Way::Back, scene, log)
        });
        assert!(story.run().is_none(), "entered going back: no run");
        assert_eq!(story.countdown(), None);
        assert_eq!(
            story.status(),
            Some(&ActionStatus::Aborted(
                "countdown of 3s: aborted by the presenter · SPACE runs it again".into()
            ))
        );
        // Time passing runs nothing; SPACE enters it again, forwards.
        let asks = rooms.with(&mut story, |s, scene, log, asks| {
            s.elapse(Duration::from_secs(30), true, scene, log, asks);
            s.advance(scene, log, asks);
            s.next(scene, log, asks);
        });
        assert_eq!(asks.last(), Some(&StoryAsk::Enter(1, Way::Forwards)));
        rooms.with(&mut story, |s, scene, log, asks| {
            s.enter_chapter(1, Way::Forwards, scene, log);
            s.advance(scene, log, asks);
        });
        assert_eq!(story.countdown(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn going_back_mid_countdown_is_journalled_as_an_abort() {
        let mut rooms = Rooms::new(THREE_CHAPTERS, Mode::Presenter);
        let mut story = Story::new(1);
        let asks = rooms.with(&mut story, |s, scene, log, asks| {
            s.enter_chapter(1, Way::Forwards, scene, log);
            s.advance(scene, log, asks);
            s.prev(scene, log, asks);
        });
        assert_eq!(asks.last(), Some(&StoryAsk::Enter(0, Way::Back)));
        let last = rooms.log.journal().entries().last().expect("journalled");
        assert_eq!(last.kind, Kind::ActionAborted);
        assert_eq!(
            last.text,
            "countdown of 3s: called off: the presenter went back"
        );
    }

    #[test]
    fn going_back_into_a_finished_chapter_tells_what_its_run_came_to() {
        let mut rooms = Rooms::new(THREE_CHAPTERS, Mode::Presenter);
        let (mut story, _) = rooms.at_the_injection();
        rooms.ledger.set(FaultState::InPlace(fault()));
        rooms.with(&mut story, |s, scene, log, asks| {
            s.complete(scene, log, "INJECTED kill tikv1".into(), asks);
            s.next(scene, log, asks);
            s.enter_chapter(2, Way::Forwards, scene, log);
            s.prev(scene, log, asks);
            s.enter_chapter(1, Way::Back, scene, log);
        });
        assert!(story.run().is_none());
        assert_eq!(
            story.status(),
            Some(&ActionStatus::Done("INJECTED kill tikv1".into()))
        );
    }

    #[test]
    fn the_last_chapter_asks_for_the_story_to_be_over() {
        let mut rooms = Rooms::new(TWO_CHAPTERS, Mode::Presenter);
        let mut story = Story::new(1);
        let mut run = ChapterRun::new(1, Vec::new());
        run.state = RunState::Done;
        story.set_scene(1, Some(1), Some(run));
        let asks = rooms.with(&mut story, |s, scene, log, asks| s.next(scene, log, asks));
        assert_eq!(asks.last(), Some(&StoryAsk::StoryOver { failure: None }));
    }
}
