//! The chapter's run of its actions: each started, then judged from the
//! other rooms' state within its deadline, and completed, failed or
//! called off.

use std::time::Duration;

use rand::Rng;

use super::{ActionStatus, Check, Scene, Story, StoryAsk};
use crate::app::Mode;
use crate::app::chronicle::Chronicle;
use crate::app::episode;
use crate::app::fault::FaultState;
use crate::app::journal::{Kind, Level};
use crate::app::msg::ExitKind;
use crate::app::run::{RunState, Step, Timer};
use crate::app::timeline::secs;
use crate::app::world::World;
use crate::cluster::Aim;
use crate::cluster::FaultSpec;
use crate::cluster::health;
use crate::faults::Expected;
use crate::monitor::Signal;
use crate::story::{Action, DetectUntil, Target};

impl Story {
    /// Starts, checks and completes the current chapter's actions as far as
    /// the state allows. Returns as soon as it asks for something: the
    /// router carries that out and calls again, so each check sees the
    /// world as the asks left it.
    pub(in crate::app) fn advance(
        &mut self,
        scene: &Scene,
        log: &mut Chronicle,
        asks: &mut Vec<StoryAsk>,
    ) {
        // Each pass of the loop either returns or moves the run on by a step.
        while asks.is_empty() {
            let Some(run) = &self.run else { return };
            let Some((action, step)) = run.current() else {
                return;
            };
            let action = action.clone();
            match step.clone() {
                Step::Ready | Step::LeadIn(_) if scene.booth.halted() => {
                    self.status = Some(ActionStatus::Running(
                        "halted: nothing runs until H is pressed again".into(),
                    ));
                    return;
                }
                Step::LeadIn(timer) => {
                    if !timer.expired() {
                        return;
                    }
                    self.set_step(Step::Ready);
                }
                Step::Ready => self.start(&action, scene, log, asks),
                Step::Countdown(timer) => {
                    if !timer.expired() {
                        return;
                    }
                    self.complete(scene, log, "countdown finished".into(), asks);
                }
                Step::Awaiting { deadline } => {
                    if !deadline.expired() {
                        return;
                    }
                    self.give_up_waiting_for_answer(&action, scene, log, asks);
                }
                Step::Waiting { deadline } if matches!(action, Action::Diagnose { .. }) => {
                    if !self.gather_evidence(deadline.expired(), scene, log, asks) {
                        return;
                    }
                }
                Step::Waiting { deadline } => match self.check(&action, scene, log, asks) {
                    Check::Done(text) => self.complete(scene, log, text, asks),
                    Check::Skipped(text) => self.skip(scene, log, text, asks),
                    Check::Failed(text) => self.fail(scene, log, text, asks),
                    Check::Wait(_) if deadline.expired() => {
                        let why = overdue(scene, log, &action);
                        self.fail(scene, log, why, asks);
                    }
                    Check::Wait(status) => {
                        if let Some(status) = status {
                            self.status = Some(ActionStatus::Running(status));
                        }
                        return;
                    }
                },
            }
        }
    }

    fn set_step(&mut self, step: Step) {
        if let Some(current) = self.run.as_mut().and_then(|r| r.step_mut()) {
            *current = step;
        }
    }

    fn start(
        &mut self,
        action: &Action,
        scene: &Scene,
        log: &mut Chronicle,
        asks: &mut Vec<StoryAsk>,
    ) {
        let Some(run_id) = self.run.as_ref().map(|r| r.run) else {
            return;
        };
        let description = describe(scene, action);
        self.status = Some(ActionStatus::Running(description.clone()));
        log.note_kind(scene.now, Level::Info, Kind::ActionStarted, description);
        let deadline = Timer::new(action.timeout().unwrap_or_default());
        match action {
            Action::Countdown { seconds } => {
                let left = Duration::from_secs((*seconds).into());
                self.set_step(Step::Countdown(Timer::new(left)));
            }
            Action::WaitHealthy { .. }
            | Action::AwaitBaseline { .. }
            | Action::AwaitDetection { .. }
            | Action::AwaitRecovery { .. }
            | Action::InjectFault { .. } => self.set_step(Step::Waiting { deadline }),
            Action::StartLoad { .. } | Action::StopLoad { .. } => {
                let running = matches!(action, Action::StartLoad { .. });
                self.set_step(Step::Awaiting { deadline });
                asks.push(StoryAsk::SetLoad {
                    run: run_id,
                    running,
                });
            }
            Action::Diagnose {
                evidence_timeout, ..
            } => {
                // First the evidence it names; `gather_evidence` then asks.
                self.set_step(Step::Waiting {
                    deadline: Timer::new(*evidence_timeout),
                });
            }
            Action::Recover { .. } => {
                // Judged from the ledger (see `check`), so a recovery already
                // under way (from a reset) counts as well.
                asks.push(StoryAsk::Recover);
                self.set_step(Step::Waiting { deadline });
            }
        }
    }

    /// The diagnosis waits for the evidence it weighs; once it is in (or the
    /// wait is over, saying what is missing) it asks the agent. True once
    /// asked.
    fn gather_evidence(
        &mut self,
        wait_over: bool,
        scene: &Scene,
        log: &mut Chronicle,
        asks: &mut Vec<StoryAsk>,
    ) -> bool {
        let missing = episode::missing_evidence(scene.world, log.timeline(), scene.now);
        if !missing.is_empty() && !wait_over {
            self.status = Some(ActionStatus::Running(format!(
                "waiting for evidence: {}",
                missing.join("; ")
            )));
            return false;
        }
        let Some(run) = self.run.as_ref() else {
            return false;
        };
        let (run_id, timeout) = match run.current() {
            Some((Action::Diagnose { timeout, .. }, _)) => (run.run, *timeout),
            _ => return false,
        };
        let text = if missing.is_empty() {
            "asking the agent: the evidence is in".to_string()
        } else {
            format!("asking the agent without: {}", missing.join("; "))
        };
        let level = if missing.is_empty() {
            Level::Info
        } else {
            Level::Warning
        };
        log.note(scene.now, level, text.clone());
        self.status = Some(ActionStatus::Running(text));
        self.set_step(Step::Awaiting {
            deadline: Timer::new(timeout),
        });
        asks.push(StoryAsk::Diagnose { run: run_id });
        true
    }

    /// Whether a waiting action is done, failed, or still waiting (and why).
    fn check(
        &mut self,
        action: &Action,
        scene: &Scene,
        log: &Chronicle,
        asks: &mut Vec<StoryAsk>,
    ) -> Check {
        let world = scene.world;
        let timeline = log.timeline();
        match action {
            Action::WaitHealthy { .. } => match world.troubles(scene.now).first() {
                None => Check::Done("the cluster is healthy by every signal".into()),
                Some(trouble) => Check::Wait(Some(format!("waiting: {trouble}"))),
            },
            Action::AwaitBaseline { .. } => match world.tracker().baseline() {
                Some(baseline) => {
                    Check::Done(format!("baseline {}", crate::text::ops_per_sec(baseline)))
                }
                None if !world.load_running() => {
                    Check::Failed("the workload is not running: nothing to measure".into())
                }
                None => Check::Wait(None),
            },
            Action::InjectFault(inject) => {
                self.try_inject(inject.fault, &inject.target, scene, asks)
            }
            Action::AwaitDetection { until, .. } => match (&timeline.injected, timeline.detected) {
                (None, _) => {
                    Check::Skipped("no fault was injected in this pass: nothing to detect".into())
                }
                (Some(_), None) => Check::Wait(None),
                // The first signal is all there is to wait for, where the
                // fault is one PD gives no verdict on.
                (Some(fault), Some((after, signal)))
                    if *until == DetectUntil::FirstSignal
                        || !(fault.expects(Expected::PdVerdict)
                            || fault.expects(Expected::PdLeaderChange)) =>
                {
                    Check::Done(format!(
                        "detected {} after the fault by {}",
                        secs(after),
                        signal.describe()
                    ))
                }
                // PD's verdict on its own leader: the members name another.
                (Some(fault), Some(_)) if fault.expects(Expected::PdLeaderChange) => {
                    match timeline.signal(Signal::PdLeaderChange) {
                        Some(after) => Check::Done(format!(
                            "detected: PD's members named a new leader {} after the fault; first signal {}",
                            secs(after),
                            first_signal_text(log)
                        )),
                        None => Check::Wait(Some(episode::leader_wait_text(world))),
                    }
                }
                (Some(_), Some(_)) => match timeline.signal(Signal::StoreState) {
                    Some(after) => Check::Done(format!(
                        "detected: PD's verdict {} after the fault; first signal {}",
                        secs(after),
                        first_signal_text(log)
                    )),
                    None => Check::Wait(Some(episode::pd_wait_text(world, timeline, scene.now))),
                },
            },
            // Undone before this chapter by the agent's action: said so,
            // never as if the chapter did it.
            Action::Recover { .. } => match (scene.ledger.state(), scene.agent.applied()) {
                (FaultState::Idle, Some(applied)) => Check::Done(format!(
                    "already recovered by the agent's action ({applied})"
                )),
                (FaultState::Recovering { .. }, Some(applied)) => {
                    Check::Wait(Some(format!("the agent's action goes on: {applied}")))
                }
                (state, _) => match state {
                    FaultState::Idle => Check::Done("no fault in place".into()),
                    FaultState::RecoveryFailed { error, .. } => Check::Failed(error.clone()),
                    FaultState::InPlace(_) => {
                        asks.push(StoryAsk::Recover);
                        Check::Wait(None)
                    }
                    other => Check::Wait(Some(other.describe())),
                },
            },
            Action::AwaitRecovery { .. } => {
                let workload_back = !world.load_running() || world.tracker().is_back_to_normal();
                let troubles = world.troubles(scene.now);
                if scene.ledger.is_idle() && troubles.is_empty() && workload_back {
                    Check::Done(match timeline.recovered {
                        Some(after) => format!("recovered {} after the fault", secs(after)),
                        None => "the cluster is healthy and the workload normal".into(),
                    })
                } else {
                    Check::Wait(None)
                }
            }
            Action::StartLoad { .. }
            | Action::StopLoad { .. }
            | Action::Diagnose { .. }
            | Action::Countdown { .. } => Check::Wait(None),
        }
    }

    /// The safety gate, then the injection: only into a cluster healthy by
    /// every signal, one fault at a time, never while holding.
    fn try_inject(
        &mut self,
        fault: FaultSpec,
        target: &Target,
        scene: &Scene,
        asks: &mut Vec<StoryAsk>,
    ) -> Check {
        let (fault, target) = scene.booth.fault_of_pass(fault, target);
        if let Some(hold) = scene.booth.hold() {
            return Check::Wait(Some(format!("holding, no faults: {}", hold.why)));
        }
        if !scene.ledger.is_idle() {
            return Check::Wait(Some(format!("waiting: {}", scene.ledger.describe())));
        }
        let troubles = scene.world.troubles(scene.now);
        if let Some(first) = troubles.first() {
            let more = match troubles.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            return Check::Wait(Some(format!("not injecting yet: {first}{more}")));
        }
        let service = match self.choose_target(scene.world, &target) {
            Ok(service) => service,
            Err(why) => return Check::Failed(why),
        };
        let Some(run) = self.run.as_ref().map(|r| r.run) else {
            return Check::Wait(None);
        };
        self.status = Some(ActionStatus::Running(format!("{fault} {service}")));
        let deadline = match self.run.as_ref().and_then(|r| r.current()) {
            Some((_, Step::Waiting { deadline })) => *deadline,
            _ => Timer::new(Duration::ZERO),
        };
        self.set_step(Step::Awaiting { deadline });
        asks.push(StoryAsk::Inject {
            run,
            spec: fault,
            aim: match target {
                Target::Random => Aim::Chosen,
                Target::PdLeader => Aim::PdLeader,
                Target::Service(_) => Aim::Named,
            },
            service,
        });
        Check::Wait(None)
    }

    /// Picks the service a fault goes to.
    fn choose_target(&mut self, world: &World, target: &Target) -> Result<String, String> {
        let Some(snapshot) = world.snapshot() else {
            return Err("no cluster data: cannot choose a target".into());
        };
        match target {
            Target::Service(name) => Ok(name.clone()),
            // Read off PD's members; the backend checks it still leads.
            Target::PdLeader => match snapshot.pd_members.iter().find(|m| m.is_leader) {
                Some(leader) if snapshot.pd_reachable => Ok(leader.name.clone()),
                _ => Err("PD names no leader: nothing to fault".into()),
            },
            Target::Random => {
                let up = health::fault_candidates(snapshot);
                if up.is_empty() {
                    return Err(
                        "no TiKV node is Up in PD and running, attached and not paused: nothing to fault"
                            .into(),
                    );
                }
                let pick = self.rng.random_range(0..up.len());
                Ok(up[pick].to_string())
            }
        }
    }

    /// An effect's answer is overdue: the action fails, and what it started
    /// is abandoned (a late answer is recorded, never re-opens the action).
    fn give_up_waiting_for_answer(
        &mut self,
        action: &Action,
        scene: &Scene,
        log: &mut Chronicle,
        asks: &mut Vec<StoryAsk>,
    ) {
        let timeout = action.timeout().unwrap_or_default();
        let within = secs(timeout);
        let why = match action {
            Action::InjectFault { .. } => {
                asks.push(StoryAsk::AbandonInjection);
                format!(
                    "the injection did not answer within {within}: should it land, it is undone"
                )
            }
            Action::Diagnose { .. } => {
                asks.push(StoryAsk::CancelDiagnosis);
                if scene.agent.standing().is_some() {
                    asks.push(StoryAsk::StandOnBuiltin { within: timeout });
                    return;
                }
                asks.push(StoryAsk::AgentOverdue(format!(
                    "no diagnosis within {within}"
                )));
                format!("no diagnosis within {within}")
            }
            _ => format!("{}: no answer within {within}", action.describe()),
        };
        self.fail(scene, log, why, asks);
    }

    pub(in crate::app) fn complete(
        &mut self,
        scene: &Scene,
        log: &mut Chronicle,
        text: String,
        asks: &mut Vec<StoryAsk>,
    ) {
        self.complete_as(scene, log, Level::Good, Kind::ActionDone, text, asks);
    }

    /// Completes the running action, journalled at `level` as `kind` (an
    /// injected fault is an action done well, but not good news).
    pub(in crate::app) fn complete_as(
        &mut self,
        scene: &Scene,
        log: &mut Chronicle,
        level: Level,
        kind: Kind,
        text: String,
        asks: &mut Vec<StoryAsk>,
    ) {
        let at = scene.now;
        self.complete_at(scene, log, at, (level, kind, text), asks);
    }

    /// Completes the running action, journalled as of show time `at` (a
    /// fault when it landed, not when its answer arrived).
    pub(in crate::app) fn complete_at(
        &mut self,
        scene: &Scene,
        log: &mut Chronicle,
        at: Duration,
        (level, kind, text): (Level, Kind, String),
        asks: &mut Vec<StoryAsk>,
    ) {
        let Some(run) = self.run.as_mut().filter(|r| !r.finished()) else {
            return;
        };
        run.advance();
        log.note_kind(at, level, kind, text.clone());
        self.status = Some(ActionStatus::Done(text));
        self.settle_if_finished(scene, log, asks);
    }

    /// The running action had nothing to do: the run moves on, told as a
    /// skip (not a success).
    fn skip(&mut self, scene: &Scene, log: &mut Chronicle, text: String, asks: &mut Vec<StoryAsk>) {
        let Some(run) = self.run.as_mut().filter(|r| !r.finished()) else {
            return;
        };
        run.advance();
        log.note_kind(
            scene.now,
            Level::Warning,
            Kind::ActionDone,
            format!("skipped: {text}"),
        );
        self.status = Some(ActionStatus::Skipped(text));
        self.settle_if_finished(scene, log, asks);
    }

    pub(in crate::app) fn fail(
        &mut self,
        scene: &Scene,
        log: &mut Chronicle,
        why: String,
        asks: &mut Vec<StoryAsk>,
    ) {
        let Some(run) = self.run.as_mut().filter(|r| !r.finished()) else {
            return;
        };
        run.state = RunState::Failed(why.clone());
        log.note_kind(
            scene.now,
            Level::Critical,
            Kind::ActionFailed,
            format!("failed: {why}"),
        );
        self.status = Some(ActionStatus::Failed(why));
        self.settle_if_finished(scene, log, asks);
    }

    /// Calls the running action off: nothing it started re-opens it, and the
    /// chapter runs again when entered again. False when nothing runs.
    pub(in crate::app) fn abort(
        &mut self,
        why: String,
        scene: &Scene,
        log: &mut Chronicle,
        asks: &mut Vec<StoryAsk>,
    ) -> bool {
        let Some(run) = self.run.as_ref().filter(|r| !r.finished()) else {
            return false;
        };
        let run_id = run.run;
        let measuring_baseline = matches!(run.current(), Some((Action::AwaitBaseline { .. }, _)));
        let what = run
            .current()
            .map_or_else(String::new, |(action, _)| describe(scene, action));
        match run.current() {
            Some((Action::InjectFault { .. }, Step::Awaiting { .. })) => {
                asks.push(StoryAsk::AbandonInjection);
            }
            Some((Action::Diagnose { .. }, Step::Awaiting { .. })) => {
                asks.push(StoryAsk::CancelDiagnosis);
                asks.push(StoryAsk::CallOffAgent {
                    run: Some(run_id),
                    why: format!("called off: {why}"),
                    cancel: false,
                });
            }
            _ => {}
        }
        if let Some(run) = self.run.as_mut() {
            run.state = RunState::Aborted(why.clone());
        }
        // Entered again in this pass, the chapter runs again.
        self.unfinished.insert(self.chapter);
        let mut world = world_goes_on(scene);
        if measuring_baseline
            && scene.world.load_running()
            && scene.world.tracker().baseline().is_none()
        {
            // The tracker learns from every sample: the baseline comes
            // anyway, and the Fault chapter uses it. Said, not hidden.
            world.push_str("; the load runs on, so its baseline is measured anyway");
        }
        if matches!(scene.ledger.state(), FaultState::Recovering { .. }) {
            self.recovery_went_on = Some(format!("{what}: {why}"));
        }
        self.told.insert(
            self.chapter,
            ActionStatus::Aborted(format!("{what}: {why}{world}")),
        );
        log.note_kind(
            scene.now,
            Level::Warning,
            Kind::ActionAborted,
            format!("{what}: {why}"),
        );
        let again = if scene.mode == Mode::Presenter {
            " · ← then SPACE runs it again"
        } else {
            ""
        };
        self.status = Some(ActionStatus::Aborted(format!(
            "{what}: {why}{world}{again}"
        )));
        self.settle_if_finished(scene, log, asks);
        true
    }

    /// Acts once on the end of the chapter's run: auto-advance, the dwell,
    /// or (with `--plain --auto`) leaving on a failure.
    fn settle_if_finished(&mut self, scene: &Scene, log: &mut Chronicle, asks: &mut Vec<StoryAsk>) {
        let Some(run) = &self.run else { return };
        let failed = match &run.state {
            RunState::Running { .. } => return,
            RunState::Done => false,
            RunState::Failed(_) | RunState::Aborted(_) => true,
        };
        let chapter = scene.chapter(self.chapter);
        if failed && scene.exit_after_one_pass && scene.autoplay() {
            log.note(scene.now, Level::Critical, "the story failed".into());
            asks.push(StoryAsk::Quit(ExitKind::StoryFailed));
        } else if scene.autoplay() {
            // Moved on by a tick after its dwell, never from here: a chapter
            // that finishes at once must not recurse into the next one.
            self.dwell = Some(Timer::new(chapter.dwell));
        } else if !failed && chapter.auto_advance {
            // The presenter's auto-advancing chapter stays for its dwell
            // (the kill on screen), then moves on by itself.
            self.dwell = Some(Timer::new(chapter.dwell));
        }
    }
}

/// What still goes on in the world after an abort.
fn world_goes_on(scene: &Scene) -> String {
    match scene.ledger.state() {
        FaultState::Injecting { service, .. } => {
            format!("; should the fault on {service} land, it is undone")
        }
        FaultState::Recovering { fault, .. } => format!(
            "; {} {} goes on, the timeline says when it is done",
            fault.kind().recovery(),
            fault.service
        ),
        _ => String::new(),
    }
}

fn describe(scene: &Scene, action: &Action) -> String {
    match action {
        Action::InjectFault(inject) => {
            let (fault, target) = scene.booth.fault_of_pass(inject.fault, &inject.target);
            format!("{fault} {target}")
        }
        Action::AwaitDetection {
            until: DetectUntil::PdVerdict,
            ..
        } if scene
            .ledger
            .state()
            .fault()
            .is_some_and(|f| f.expects(Expected::PdLeaderChange)) =>
        {
            "waiting for PD's members to name a new leader".into()
        }
        // A slow or lossy store: PD keeps it Up; only the clients feel it.
        Action::AwaitDetection {
            until: DetectUntil::PdVerdict,
            ..
        } if scene.ledger.state().fault().is_some_and(|f| {
            !f.expects(Expected::PdVerdict) && f.expects(Expected::WorkloadSignal)
        }) =>
        {
            "waiting for the workload to show it (PD keeps the store Up)".into()
        }
        other => other.describe(),
    }
}

/// What a waiting action says when its deadline passes.
fn overdue(scene: &Scene, log: &Chronicle, action: &Action) -> String {
    let within = secs(action.timeout().unwrap_or_default());
    let first_trouble = || {
        scene
            .world
            .troubles(scene.now)
            .first()
            .map_or_else(String::new, |t| format!(" ({t})"))
    };
    match action {
        Action::WaitHealthy { .. } => {
            format!(
                "the cluster was not healthy within {within}{}",
                first_trouble()
            )
        }
        Action::AwaitBaseline { .. } => {
            format!("no workload baseline within {within} (is the load generator reporting?)")
        }
        Action::InjectFault { .. } => format!(
            "nothing injected: the cluster was not healthy within {within}{}",
            first_trouble()
        ),
        Action::AwaitDetection { .. } if log.timeline().detected.is_some() => format!(
            "PD gave no verdict within {within} (first signal {})",
            first_signal_text(log)
        ),
        Action::AwaitDetection { .. } => format!("nothing detected within {within}"),
        Action::Recover { .. } => format!("the recovery did not finish within {within}"),
        Action::AwaitRecovery { .. } => format!("not recovered within {within}"),
        _ => format!("no answer within {within}"),
    }
}

/// `process event +0.0s`
fn first_signal_text(log: &Chronicle) -> String {
    log.timeline()
        .detected
        .map_or_else(String::new, |(after, signal)| {
            format!("{} +{}", signal.name(), secs(after))
        })
}
