//! The story runner: starts the current chapter's actions in order and judges
//! each from the state (the fault ledger, the cluster, the workload, the
//! monitor), each within its deadline. Answers from the world only update the
//! ledgers; the runner reads them here.

use rand::Rng;

use super::journal::{Kind, Level};
use super::msg::{Effect, ExitKind};
use super::notes::{note, note_kind};
use super::run::{RunState, Step, Timer};
use super::timeline::secs;
use super::{ActionStatus, AgentState, App, FaultState, HoldKind, answers, episode, kiosk, update};
use crate::cluster::FaultKind;
use crate::cluster::health::{self, Trouble};
use crate::monitor::Signal;
use crate::story::{Action, DetectUntil, Target};

enum Check {
    Done(String),
    Failed(String),
    /// Not yet; the status line says why.
    Wait(Option<String>),
}

/// Starts, checks and completes the current chapter's actions as far as the
/// state allows.
pub(super) fn advance(app: &mut App, fx: &mut Vec<Effect>) {
    // Each pass of the loop either returns or moves the run on by a step.
    loop {
        let Some(run) = &app.run else { return };
        let Some((action, step)) = run.current() else {
            return;
        };
        let action = action.clone();
        match step.clone() {
            Step::Ready | Step::LeadIn(_)
                if app
                    .hold
                    .as_ref()
                    .is_some_and(|h| h.kind == HoldKind::Halted) =>
            {
                app.status = Some(ActionStatus::Running(
                    "halted: nothing runs until H is pressed again".into(),
                ));
                return;
            }
            Step::LeadIn(timer) => {
                if !timer.expired() {
                    return;
                }
                set_step(app, Step::Ready);
            }
            Step::Ready => start(app, &action, fx),
            Step::Countdown(timer) => {
                if !timer.expired() {
                    return;
                }
                complete(app, "countdown finished".into(), fx);
            }
            Step::Awaiting { deadline } => {
                if !deadline.expired() {
                    return;
                }
                give_up_waiting_for_answer(app, &action, fx);
            }
            Step::Waiting { deadline } if matches!(action, Action::Diagnose { .. }) => {
                if !gather_evidence(app, deadline.expired(), fx) {
                    return;
                }
            }
            Step::Waiting { deadline } => match check(app, &action, fx) {
                Check::Done(text) => complete(app, text, fx),
                Check::Failed(text) => fail(app, text, fx),
                Check::Wait(_) if deadline.expired() => {
                    let why = overdue(app, &action);
                    fail(app, why, fx);
                }
                Check::Wait(status) => {
                    if let Some(status) = status {
                        app.status = Some(ActionStatus::Running(status));
                    }
                    return;
                }
            },
        }
    }
}

fn set_step(app: &mut App, step: Step) {
    if let Some(current) = app.run.as_mut().and_then(|r| r.step_mut()) {
        *current = step;
    }
}

fn start(app: &mut App, action: &Action, fx: &mut Vec<Effect>) {
    let Some(run_id) = app.run.as_ref().map(|r| r.run) else {
        return;
    };
    let description = describe(app, action);
    app.status = Some(ActionStatus::Running(description.clone()));
    note_kind(app, Level::Info, Kind::ActionStarted, description);
    let deadline = Timer::new(action.timeout().unwrap_or_default());
    match action {
        Action::Countdown { seconds } => {
            let left = std::time::Duration::from_secs((*seconds).into());
            set_step(app, Step::Countdown(Timer::new(left)));
        }
        Action::WaitHealthy { .. }
        | Action::AwaitBaseline { .. }
        | Action::AwaitDetection { .. }
        | Action::AwaitRecovery { .. }
        | Action::InjectFault { .. } => set_step(app, Step::Waiting { deadline }),
        Action::StartLoad { .. } | Action::StopLoad { .. } => {
            let running = matches!(action, Action::StartLoad { .. });
            if running {
                app.tracker.reset();
            }
            set_step(app, Step::Awaiting { deadline });
            fx.push(Effect::SetLoad {
                run: Some(run_id),
                running,
            });
        }
        Action::Diagnose {
            evidence_timeout, ..
        } => {
            // First the evidence it names; `gather_evidence` then asks.
            let deadline = Timer::new(*evidence_timeout);
            set_step(app, Step::Waiting { deadline });
        }
        Action::Recover { .. } => {
            // Judged from the ledger (see `check`), so a recovery already
            // under way (from a reset) counts as well.
            update::request_recovery(app, fx);
            set_step(app, Step::Waiting { deadline });
        }
    }
}

/// The diagnosis waits for the evidence it weighs; once it is in (or the
/// wait is over, saying what is missing) it asks the agent. True once asked.
fn gather_evidence(app: &mut App, wait_over: bool, fx: &mut Vec<Effect>) -> bool {
    let missing = episode::missing_evidence(app);
    if !missing.is_empty() && !wait_over {
        app.status = Some(ActionStatus::Running(format!(
            "waiting for evidence: {}",
            missing.join("; ")
        )));
        return false;
    }
    let Some(run) = app.run.as_ref() else {
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
    note(app, level, text.clone());
    app.status = Some(ActionStatus::Running(text));
    let evidence = app.evidence.evidence(
        app.now,
        app.tracker.baseline(),
        app.monitor.incidents().to_vec(),
    );
    app.agent.state = AgentState::Working {
        run: run_id,
        started: app.now,
    };
    app.agent.transcript.clear();
    set_step(
        app,
        Step::Awaiting {
            deadline: Timer::new(timeout),
        },
    );
    fx.push(Effect::Diagnose {
        run: run_id,
        evidence: Box::new(evidence),
    });
    true
}

/// Whether a waiting action is done, failed, or still waiting (and why).
fn check(app: &mut App, action: &Action, fx: &mut Vec<Effect>) -> Check {
    match action {
        Action::WaitHealthy { .. } => match cluster_troubles(app).first() {
            None => Check::Done("the cluster is healthy by every signal".into()),
            Some(trouble) => Check::Wait(Some(format!("waiting: {trouble}"))),
        },
        Action::AwaitBaseline { .. } => match app.tracker.baseline() {
            Some(baseline) => Check::Done(format!("baseline {baseline:.0} ops/s")),
            None if !app.load_running => {
                Check::Failed("the workload is not running: nothing to measure".into())
            }
            None => Check::Wait(None),
        },
        Action::InjectFault { kind, target, .. } => try_inject(app, *kind, target, fx),
        Action::AwaitDetection { until, .. } => {
            match (&app.timeline.injected, app.timeline.detected) {
                (None, _) => Check::Done("no fault in place: nothing to detect".into()),
                (Some(_), None) => Check::Wait(None),
                (Some(_), Some((after, signal))) if *until == DetectUntil::FirstSignal => {
                    Check::Done(format!(
                        "detected {} after the fault by {}",
                        secs(after),
                        signal.describe()
                    ))
                }
                (Some(_), Some(_)) => match app.timeline.signal(Signal::StoreState) {
                    Some(after) => Check::Done(format!(
                        "detected: PD's verdict {} after the fault; first signal {}",
                        secs(after),
                        first_signal_text(app)
                    )),
                    None => Check::Wait(Some(episode::pd_wait_text(app))),
                },
            }
        }
        Action::Recover { .. } => match &app.fault {
            FaultState::Idle => Check::Done("no fault in place".into()),
            FaultState::RecoveryFailed { error, .. } => Check::Failed(error.clone()),
            FaultState::InPlace(_) => {
                update::request_recovery(app, fx);
                Check::Wait(None)
            }
            other => Check::Wait(Some(other.describe())),
        },
        Action::AwaitRecovery { .. } => {
            let workload_back = !app.load_running || app.tracker.is_back_to_normal();
            let troubles = cluster_troubles(app);
            if app.fault.is_idle() && troubles.is_empty() && workload_back {
                Check::Done(match app.timeline.recovered {
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

/// What a waiting action says when its deadline passes.
fn overdue(app: &App, action: &Action) -> String {
    let within = secs(action.timeout().unwrap_or_default());
    let first_trouble = || {
        cluster_troubles(app)
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
        Action::AwaitDetection { .. } if app.timeline.detected.is_some() => format!(
            "PD gave no verdict within {within} (first signal {})",
            first_signal_text(app)
        ),
        Action::AwaitDetection { .. } => format!("nothing detected within {within}"),
        Action::Recover { .. } => format!("the recovery did not finish within {within}"),
        Action::AwaitRecovery { .. } => format!("not recovered within {within}"),
        _ => format!("no answer within {within}"),
    }
}

/// `process event +0.0s`
fn first_signal_text(app: &App) -> String {
    app.timeline
        .detected
        .map_or_else(String::new, |(after, signal)| {
            format!("{} +{}", signal.name(), secs(after))
        })
}

/// An effect's answer is overdue: the action fails, and what it started is
/// abandoned (a late answer is recorded, never re-opens the action).
fn give_up_waiting_for_answer(app: &mut App, action: &Action, fx: &mut Vec<Effect>) {
    let within = secs(action.timeout().unwrap_or_default());
    let why = match action {
        Action::InjectFault { .. } => {
            abandon_injection(app);
            format!("the injection did not answer within {within}: should it land, it is undone")
        }
        Action::Diagnose { .. } => {
            fx.push(Effect::CancelDiagnosis);
            if answers::stand_on_builtin(app, action.timeout().unwrap_or_default(), fx) {
                return;
            }
            app.agent.state = AgentState::Failed(format!("no diagnosis within {within}"));
            format!("no diagnosis within {within}")
        }
        _ => format!("{}: no answer within {within}", action.describe()),
    };
    fail(app, why, fx);
}

/// The current chapter's run is at its `recover` action: the recovery's
/// answers belong on its status line (a reset's or a halt's do not).
pub(super) fn recovering_in_this_run(app: &App) -> bool {
    matches!(
        app.run.as_ref().and_then(|r| r.current()),
        Some((Action::Recover { .. }, _))
    )
}

pub(super) fn abandon_injection(app: &mut App) {
    if let FaultState::Injecting { abandoned, .. } = &mut app.fault {
        *abandoned = true;
    }
}

/// The problems the health gate sees; stale data is a problem of its own.
pub(super) fn cluster_troubles(app: &App) -> Vec<Trouble> {
    let Some(snapshot) = &app.cluster.snapshot else {
        return vec![Trouble {
            service: None,
            why: "no cluster data yet".into(),
        }];
    };
    if app.cluster.is_stale(app.now) {
        return vec![Trouble {
            service: None,
            why: match &app.cluster.error {
                Some(error) => format!("cluster data is stale: {error}"),
                None => "cluster data is stale".into(),
            },
        }];
    }
    let mut found = health::troubles(snapshot);
    found.extend(health::reported_by_events(
        snapshot,
        &found,
        app.monitor.last_node_event_at(),
        app.monitor.nodes_reported_faulted(),
    ));
    found
}

/// The safety gate, then the injection: only into a cluster healthy by every
/// signal, one fault at a time, never while holding.
fn try_inject(app: &mut App, kind: FaultKind, target: &Target, fx: &mut Vec<Effect>) -> Check {
    let (kind, target) = kiosk::fault_of_pass(app, kind, target);
    if let Some(hold) = &app.hold {
        return Check::Wait(Some(format!("holding, no faults: {}", hold.why)));
    }
    if !app.fault.is_idle() {
        return Check::Wait(Some(format!("waiting: {}", app.fault.describe())));
    }
    let troubles = cluster_troubles(app);
    if let Some(first) = troubles.first() {
        let more = match troubles.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        return Check::Wait(Some(format!("not injecting yet: {first}{more}")));
    }
    let service = match choose_target(app, &target) {
        Ok(service) => service,
        Err(why) => return Check::Failed(why),
    };
    let Some(run) = app.run.as_ref().map(|r| r.run) else {
        return Check::Wait(None);
    };
    app.fault = FaultState::Injecting {
        run,
        kind,
        service: service.clone(),
        abandoned: false,
    };
    app.status = Some(ActionStatus::Running(format!("{kind} {service}")));
    let deadline = match app.run.as_ref().and_then(|r| r.current()) {
        Some((_, Step::Waiting { deadline })) => *deadline,
        _ => Timer::new(std::time::Duration::ZERO),
    };
    set_step(app, Step::Awaiting { deadline });
    fx.push(Effect::Inject {
        run,
        kind,
        named: matches!(target, Target::Service(_)),
        service,
    });
    Check::Wait(None)
}

/// Picks the service a fault goes to.
fn choose_target(app: &mut App, target: &Target) -> Result<String, String> {
    let Some(snapshot) = &app.cluster.snapshot else {
        return Err("no cluster data: cannot choose a target".into());
    };
    match target {
        Target::Service(name) => Ok(name.clone()),
        Target::Random => {
            let up = health::fault_candidates(snapshot);
            if up.is_empty() {
                return Err(
                    "no TiKV node is Up in PD and running, attached and not paused: nothing to fault"
                        .into(),
                );
            }
            let pick = app.rng.random_range(0..up.len());
            Ok(up[pick].to_string())
        }
    }
}

fn describe(app: &App, action: &Action) -> String {
    match action {
        Action::InjectFault { kind, target, .. } => {
            let (kind, target) = kiosk::fault_of_pass(app, *kind, target);
            format!("{kind} {target}")
        }
        other => other.describe(),
    }
}

pub(super) fn complete(app: &mut App, text: String, fx: &mut Vec<Effect>) {
    complete_as(app, Level::Good, Kind::ActionDone, text, fx);
}

/// Completes the running action, journalled at `level` as `kind` (an
/// injected fault is an action done well, but not good news).
pub(super) fn complete_as(
    app: &mut App,
    level: Level,
    kind: Kind,
    text: String,
    fx: &mut Vec<Effect>,
) {
    let Some(run) = app.run.as_mut().filter(|r| !r.finished()) else {
        return;
    };
    run.advance();
    note_kind(app, level, kind, text.clone());
    app.status = Some(ActionStatus::Done(text));
    settle_if_finished(app, fx);
}

pub(super) fn fail(app: &mut App, why: String, fx: &mut Vec<Effect>) {
    let Some(run) = app.run.as_mut().filter(|r| !r.finished()) else {
        return;
    };
    run.state = RunState::Failed(why.clone());
    note_kind(
        app,
        Level::Critical,
        Kind::ActionFailed,
        format!("failed: {why}"),
    );
    app.status = Some(ActionStatus::Failed(why));
    settle_if_finished(app, fx);
}

/// Calls the running action off: nothing it started re-opens it, and the
/// chapter runs again when entered again.
pub(super) fn abort(app: &mut App, why: String, fx: &mut Vec<Effect>) -> bool {
    let Some(run) = app.run.as_ref().filter(|r| !r.finished()) else {
        return false;
    };
    let run_id = run.run;
    let what = run
        .current()
        .map_or_else(String::new, |(action, _)| describe(app, action));
    match run.current() {
        Some((Action::InjectFault { .. }, Step::Awaiting { .. })) => abandon_injection(app),
        Some((Action::Diagnose { .. }, Step::Awaiting { .. })) => {
            fx.push(Effect::CancelDiagnosis);
            if matches!(app.agent.state, AgentState::Working { run, .. } if run == run_id) {
                app.agent.state = AgentState::Failed(format!("called off: {why}"));
            }
        }
        _ => {}
    }
    if let Some(run) = app.run.as_mut() {
        run.state = RunState::Aborted(why.clone());
    }
    // Entered again in this pass, the chapter runs again.
    app.unfinished.insert(app.chapter);
    note_kind(
        app,
        Level::Warning,
        Kind::ActionAborted,
        format!("{what}: {why}"),
    );
    app.status = Some(ActionStatus::Aborted(aborted_text(app, &what, &why)));
    settle_if_finished(app, fx);
    true
}

/// What an aborted action's status line says: what was called off, what
/// still goes on in the world, and how to run it again.
fn aborted_text(app: &App, what: &str, why: &str) -> String {
    let world = match &app.fault {
        FaultState::Injecting { service, .. } => {
            format!("; should the fault on {service} land, it is undone")
        }
        FaultState::Recovering { fault, .. } => format!(
            "; {} {} goes on, the timeline says when it is done",
            fault.kind.recovery(),
            fault.service
        ),
        _ => String::new(),
    };
    let again = if app.mode == super::Mode::Presenter {
        " · ← then SPACE runs it again"
    } else {
        ""
    };
    format!("{what}: {why}{world}{again}")
}

/// Acts once on the end of the chapter's run: auto-advance, the dwell, or
/// (with `--plain --auto`) leaving on a failure.
fn settle_if_finished(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(run) = &app.run else { return };
    let failed = match &run.state {
        RunState::Running { .. } => return,
        RunState::Done => false,
        RunState::Failed(_) | RunState::Aborted(_) => true,
    };
    if failed && app.exit_after_one_pass && app.autoplay() {
        note(app, Level::Critical, "the story failed".into());
        update::quit(app, ExitKind::StoryFailed, fx);
    } else if app.autoplay() {
        // Moved on by a tick after its dwell, never from here: a chapter
        // that finishes at once must not recurse into the next one.
        app.dwell = Some(Timer::new(app.current_chapter().dwell));
    } else if !failed && app.current_chapter().auto_advance {
        // The presenter's auto-advancing chapter moves on at the next tick.
        app.dwell = Some(Timer::new(std::time::Duration::ZERO));
    }
}
