//! Carrying out what the rooms ask, and the sequences that span them:
//! entering a chapter, standing down, the end of a pass and the next one,
//! a recovery, a load switch, leaving. Every room is written through its
//! own methods; this module only decides the order.

use std::time::Duration;

use super::booth::BoothAsk;
use super::chronicle::Chronicle;
use super::journal::{Kind, Level, Undoer};
use super::msg::{Effect, ExitKind, RunId};
use super::pass_chart::PassChart;
use super::story::{ActionStatus, Scene, Story, StoryAsk, Way};
use super::{AgentState, App, Mode};
use crate::agent::second_opinion::SecondOpinion;
use crate::agent::{AnalyzerError, Diagnosis};
use crate::text::span;

/// The story asks at most this many times in one message; more would be a
/// loop between it and the router.
pub(super) const STORY_STEPS: usize = 64;

/// Show time only moves forward; stamped answers from the world move it
/// too, so nothing is journalled as older than what caused it.
pub(super) fn catch_up(app: &mut App, at: Duration) {
    app.now = app.now.max(at);
}

pub(super) fn note(app: &mut App, level: Level, text: String) {
    app.chronicle.note(app.now, level, text);
}

pub(super) fn note_kind(app: &mut App, level: Level, kind: Kind, text: String) {
    app.chronicle.note_kind(app.now, level, kind, text);
}

/// Runs `f` on the story with the other rooms to read, then carries out
/// what it asked.
pub(super) fn with_story<R>(
    app: &mut App,
    fx: &mut Vec<Effect>,
    f: impl FnOnce(&mut Story, &Scene, &mut Chronicle, &mut Vec<StoryAsk>) -> R,
) -> R {
    let mut asks = Vec::new();
    let scene = Scene {
        now: app.now,
        mode: app.mode,
        exit_after_one_pass: app.exit_after_one_pass,
        script: &app.script,
        world: &app.world,
        ledger: &app.ledger,
        booth: &app.booth,
        agent: &app.agent,
    };
    let result = f(&mut app.story, &scene, &mut app.chronicle, &mut asks);
    for ask in asks {
        carry_out(app, ask, fx);
    }
    result
}

/// Lets the story's run move on as far as the state allows, carrying out
/// each ask before it looks again.
pub(super) fn drive_story(app: &mut App, fx: &mut Vec<Effect>) {
    for _ in 0..STORY_STEPS {
        let asked = with_story(app, fx, |story, scene, log, asks| {
            story.advance(scene, log, asks);
            !asks.is_empty()
        });
        if !asked {
            return;
        }
    }
    tracing::error!("the story kept asking within one message: stopped at {STORY_STEPS}");
}

pub(super) fn carry_out(app: &mut App, ask: StoryAsk, fx: &mut Vec<Effect>) {
    match ask {
        StoryAsk::Inject {
            run,
            spec,
            service,
            aim,
        } => {
            if app.ledger.begin_injection(run, spec, service.clone()) {
                fx.push(Effect::Inject {
                    run,
                    spec,
                    service,
                    aim,
                });
            }
        }
        StoryAsk::Recover => request_recovery(app, Undoer::Story, fx),
        StoryAsk::SetLoad { run, running } => set_load(app, Some(run), running, fx),
        StoryAsk::Diagnose { run } => {
            let evidence = app.world.evidence(app.now);
            app.agent.ask(run, app.now);
            fx.push(Effect::Diagnose {
                run,
                evidence: Box::new(evidence),
            });
        }
        StoryAsk::AbandonInjection => app.ledger.abandon_injection(),
        StoryAsk::CancelDiagnosis => fx.push(Effect::CancelDiagnosis),
        StoryAsk::CallOffAgent { run, why, cancel } => {
            if app.agent.call_off(run, why) && cancel {
                fx.push(Effect::CancelDiagnosis);
            }
        }
        StoryAsk::AgentOverdue(why) => app.agent.overdue(why),
        StoryAsk::StandOnBuiltin { within } => stand_on_builtin(app, within, fx),
        StoryAsk::Enter(index, way) => enter_chapter(app, index, way, fx),
        StoryAsk::StoryOver { failure } => story_over(app, failure, fx),
        StoryAsk::Quit(exit) => quit(app, exit, fx),
        StoryAsk::Hint(hint) => app.stage.say(hint),
        StoryAsk::RunHint(hint) => app.stage.say_of_run(hint),
    }
}

/// Shows chapter `index`; coming forwards, runs its actions if this pass
/// has not.
pub(super) fn enter_chapter(app: &mut App, index: usize, way: Way, fx: &mut Vec<Effect>) {
    with_story(app, fx, |story, scene, log, _| {
        story.enter_chapter(index, way, scene, log);
    });
    drive_story(app, fx);
}

/// The story's last chapter is over (or, in kiosk mode, a failed one's
/// time): the kiosk checks and heals, `--plain --auto` leaves, a presenter
/// starts again.
pub(super) fn story_over(app: &mut App, failure: Option<String>, fx: &mut Vec<Effect>) {
    if app.mode == Mode::Kiosk {
        end_pass(app, failure.as_deref(), fx);
    } else if app.exit_after_one_pass && app.autoplay() {
        let exit = if pass_ended_healthy(app, None) {
            ExitKind::Success
        } else {
            note(
                app,
                Level::Critical,
                "the story ended with the cluster not healthy".into(),
            );
            ExitKind::StoryFailed
        };
        quit(app, exit, fx);
    } else {
        pass_ended_healthy(app, None);
        note(app, Level::Info, "starting the story again".into());
        new_pass(app, fx);
    }
}

/// Journals the end of the pass, after its workload chart; `failure` says
/// why it failed, if it did.
pub(super) fn pass_ended_healthy(app: &mut App, failure: Option<&str>) -> bool {
    journal_workload(app);
    let troubles = app.world.troubles(app.now);
    let idle = app.ledger.is_idle();
    let healthy = failure.is_none() && troubles.is_empty() && idle;
    let pass = app.chronicle.pass();
    let text = match (failure, troubles.first()) {
        (Some(why), _) => format!("pass {pass} failed: {why}"),
        (None, Some(trouble)) => format!("pass {pass} ended unhealthy: {trouble}"),
        (None, None) if !idle => {
            format!("pass {pass} ended unhealthy: {}", app.ledger.describe())
        }
        (None, None) => format!("pass {pass} ended with the cluster healthy"),
    };
    let level = if healthy {
        Level::Good
    } else {
        Level::Critical
    };
    note_kind(app, level, Kind::PassEnd { healthy }, text);
    healthy
}

/// The pass's chart, for `report --html`: written once, at its end (or as
/// the show leaves mid-pass).
fn journal_workload(app: &mut App) {
    if app.chronicle.workload_written() {
        return;
    }
    if let Some(chart) = PassChart::of(app) {
        let text = chart.describe();
        note_kind(app, Level::Info, Kind::Workload(chart), text);
    }
}

/// Calls off what runs and undoes what is in place: the action aborted
/// (and, with `leave`, its chapter left), an injection in flight
/// abandoned, the ledger's fault recovered, the load stopped.
pub(super) fn stand_down(app: &mut App, why: &str, leave: bool, fx: &mut Vec<Effect>) {
    with_story(app, fx, |story, scene, log, asks| {
        story.abort(why.into(), scene, log, asks);
        if leave {
            story.leave_chapter(asks);
        }
    });
    // An injection still in flight belongs to what is called off.
    app.ledger.abandon_injection();
    request_recovery(app, Undoer::CalledOff, fx);
    if app.world.load_running() {
        set_load(app, None, false, fx);
    }
}

/// Recovers any fault, clears what the last pass saw and starts the next
/// pass at chapter 1.
pub(super) fn new_pass(app: &mut App, fx: &mut Vec<Effect>) {
    stand_down(app, "called off: the story starts over", true, fx);
    begin_next_pass(app);
    enter_chapter(app, 0, Way::Forwards, fx);
}

/// Forgets what the last pass saw (baseline, incidents, evidence, panes)
/// and counts the next one.
pub(super) fn begin_next_pass(app: &mut App) {
    app.chronicle.next_pass();
    app.booth.pass_begins(app.chronicle.pass());
    app.world.clear_pass();
    app.agent.clear();
    app.story.clear_pass();
    app.stage.unpause();
}

/// The kiosk's pass is over (its last chapter, or a failure): recover what
/// is in place, stop the load, judge the pass, then check and heal between
/// passes.
pub(super) fn end_pass(app: &mut App, failure: Option<&str>, fx: &mut Vec<Effect>) {
    stand_down(app, "the pass is over", true, fx);
    let healthy = pass_ended_healthy(app, failure);
    let between = app.booth.pass_over(
        healthy,
        &app.world,
        &app.ledger,
        app.now,
        &mut app.chronicle,
    );
    if between {
        app.story.set_status(ActionStatus::Running(
            "checking the cluster before the next pass".into(),
        ));
    }
}

/// Asks for the ledger's fault to be undone, unless that is under way.
pub(super) fn request_recovery(app: &mut App, by: Undoer, fx: &mut Vec<Effect>) {
    let Some(fault) = app.ledger.begin_recovery(app.now) else {
        return;
    };
    let recovery = fault.kind().recovery();
    let service = fault.service;
    app.story.recovery_asked(format!("{recovery} {service}"));
    app.chronicle.recovery_started(app.now);
    note_kind(
        app,
        Level::Info,
        Kind::RecoveryStarted {
            recovery,
            service: service.clone(),
            by,
        },
        format!("recovery asked: {recovery} {service}"),
    );
    fx.push(Effect::Recover { recovery, service });
}

/// The monitor hears of every load switch before it is made: the load's
/// own exit after a stop must not read as a crash.
pub(super) fn set_load(app: &mut App, run: Option<RunId>, running: bool, fx: &mut Vec<Effect>) {
    app.world.load_asked(running, app.now, &mut app.chronicle);
    fx.push(Effect::SetLoad { run, running });
}

pub(super) fn quit(app: &mut App, exit: ExitKind, fx: &mut Vec<Effect>) {
    if app.stage.quitting() {
        return;
    }
    app.stage.leave();
    app.stage.say("leaving…");
    journal_workload(app);
    if let Some(fault) = app.ledger.fault() {
        let text = format!(
            "recovering {} ({}) before leaving",
            fault.service,
            fault.kind().recovery()
        );
        app.stage.say(format!("leaving: {text}…"));
        note(app, Level::Warning, text);
    }
    fx.push(Effect::CancelDiagnosis);
    fx.push(Effect::Quit { exit });
}

/// Between passes and while holding: the booth heals and moves on.
pub(super) fn drive_booth(app: &mut App, fx: &mut Vec<Effect>) {
    let mut asks = Vec::new();
    app.booth.advance(
        &app.world,
        &app.ledger,
        app.now,
        &mut app.chronicle,
        &mut asks,
    );
    booth_asked(app, asks, fx);
}

pub(super) fn booth_asked(app: &mut App, asks: Vec<BoothAsk>, fx: &mut Vec<Effect>) {
    for ask in asks {
        match ask {
            BoothAsk::RecoverFault => request_recovery(app, Undoer::Booth, fx),
            BoothAsk::Heal { recovery, service } => fx.push(Effect::Recover { recovery, service }),
            BoothAsk::NextPass => next_pass(app, fx),
            BoothAsk::StopDwell => app.story.stop_dwell(),
            BoothAsk::Resumed => {
                app.stage.unpause();
                with_story(app, fx, |story, scene, _, _| story.resume_dwell(scene));
            }
            BoothAsk::Hint(hint) => app.stage.say(hint),
        }
    }
}

/// The kiosk's next pass, once the cluster is healthy (or the time to heal
/// it is up).
pub(super) fn next_pass(app: &mut App, fx: &mut Vec<Effect>) {
    begin_next_pass(app);
    if app.mode == Mode::Kiosk {
        let pass = app.chronicle.pass();
        let fault = app
            .booth
            .pass_fault()
            .map_or_else(String::new, |f| format!(": {} {}", f.fault, f.target));
        note(app, Level::Info, format!("pass {pass} begins{fault}"));
    }
    enter_chapter(app, 0, Way::Forwards, fx);
}

pub(super) fn diagnosed(
    app: &mut App,
    run: RunId,
    result: Result<Diagnosis, AnalyzerError>,
    fx: &mut Vec<Effect>,
) {
    let current = app.story.awaiting(run);
    match app.agent.answered(run, app.now, result) {
        None => {}
        Some(Ok(took)) => {
            let AgentState::Done { diagnosis, .. } = app.agent.state() else {
                return;
            };
            for line in diagnosis.lines() {
                tracing::info!("diagnosis: {line}");
            }
            let text = format!("DIAGNOSIS: {}", diagnosis.root_cause.summary);
            app.chronicle.diagnosed(app.now);
            let kind = Kind::Diagnosis { took };
            if current {
                with_story(app, fx, |story, scene, log, asks| {
                    story.complete_as(scene, log, Level::Good, kind, text, asks);
                });
            } else {
                note_kind(app, Level::Good, kind, text);
            }
        }
        Some(Err(why)) if current => with_story(app, fx, |story, scene, log, asks| {
            story.fail(scene, log, format!("diagnosis failed: {why}"), asks);
        }),
        Some(Err(_)) => {}
    }
}

/// The story's time to diagnose ran out while a model was still at work:
/// the built-in diagnosis sent before the model was asked stands, with a
/// note why, and the model's answer is dropped.
pub(super) fn stand_on_builtin(app: &mut App, within: Duration, fx: &mut Vec<Effect>) {
    let (Some(run), Some(standing)) = (app.agent.working(), app.agent.standing()) else {
        return;
    };
    let mut diagnosis = standing.clone();
    let agent = app.agent.analyzer().to_string();
    diagnosis.second_opinion = Some(Box::new(SecondOpinion::overdue(&agent, within)));
    note(
        app,
        Level::Warning,
        format!(
            "{agent} had not answered within {}: the built-in diagnosis stands",
            span(within)
        ),
    );
    diagnosed(app, run, Ok(diagnosis), fx);
}
