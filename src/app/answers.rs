//! The world's answers to the effects the app asked for. They move the
//! rooms that own what they answer (the ledger, the world's load, the
//! agent pane); the story judges its actions from those. A late answer is
//! recorded, never re-opens an action.

use super::App;
use super::conduct::{catch_up, diagnosed, note, note_kind, request_recovery, with_story};
use super::fault::{Injected, Recovered};
use super::journal::{Kind, Level, Undoer};
use super::msg::{Effect, RunId};
use super::story::ActionStatus;
use super::world::credit_to_fault;
use crate::agent::{AnalyzerError, Diagnosis};
use crate::cluster::Struck;
use crate::cluster::{BackendError, InjectedFault, Recovery};

/// An injection's answer. Always applied, even when stale: a fault that
/// landed must be known so that it is recovered. A late answer is
/// recorded, never re-opens an action.
pub(super) fn on_injected(
    app: &mut App,
    run: RunId,
    result: Result<InjectedFault, BackendError>,
    fx: &mut Vec<Effect>,
) {
    let current = app.story.awaiting(run);
    match app.ledger.injected(run, result) {
        Injected::Stray(None) => {}
        // Not the injection the ledger waits for: undo it at once (one
        // fault at a time).
        Injected::Stray(Some(fault)) => {
            note(
                app,
                Level::Warning,
                format!(
                    "a stray {} on {} landed: recovering it",
                    fault.kind(),
                    fault.service
                ),
            );
            fx.push(Effect::Recover {
                recovery: fault.kind().recovery(),
                service: fault.service,
            });
        }
        Injected::LateAbandoned(fault) => {
            catch_up(app, fault.at);
            let text = format!(
                "a late {} on {} landed after it was called off: recovering it",
                fault.kind(),
                fault.service
            );
            note(app, Level::Warning, text);
            request_recovery(app, Undoer::Late, fx);
        }
        Injected::Landed(fault) => {
            catch_up(app, fault.at);
            let credited = app.world.fault_landed(fault.at);
            app.chronicle.open_episode(fault.clone());
            app.agent.fault_landed();
            let kind = Kind::Fault {
                fault: fault.spec,
                service: fault.service.clone(),
                struck: fault.struck,
            };
            let what = match fault.struck {
                Struck::PdLeader => " (PD's leader)",
                Struck::PdFollower => " (a PD follower)",
                Struck::Tikv => "",
            };
            let text = format!("INJECTED {} on {}{what}", fault.spec, fault.service);
            // Stamped when it landed: T+0.0s, before what detected it.
            let entry = (Level::Critical, kind, text);
            if current {
                with_story(app, fx, |story, scene, log, asks| {
                    story.complete_at(scene, log, fault.at, entry, asks);
                });
            } else {
                let (level, kind, text) = entry;
                app.chronicle.note_kind(fault.at, level, kind, text);
            }
            credit_to_fault(credited, &mut app.chronicle);
        }
        // Without an answer the fault may have landed: the health gate and
        // the checks between passes will see it.
        Injected::Failed(e) if current => {
            with_story(app, fx, |story, scene, log, asks| {
                story.fail(scene, log, e.to_string(), asks);
            });
        }
        Injected::Failed(e) => note(
            app,
            Level::Warning,
            format!("a late fault injection failed: {e}"),
        ),
    }
    // The node's events that beat the answer, seen with the fault in the
    // ledger (or, had it failed, as they are).
    app.world.release_held(app.now, &mut app.chronicle);
}

/// Recoveries are judged from the ledger, so the run they came from does
/// not matter here. An answer for another node is a heal (start-up, kiosk).
pub(super) fn on_recovered(
    app: &mut App,
    recovery: Recovery,
    service: &str,
    result: Result<(), BackendError>,
) {
    let ok = matches!(&result, Ok(()) | Err(BackendError::NothingToRecover { .. }));
    let kind = |by| Kind::Recovery {
        recovery,
        service: service.to_string(),
        ok,
        by,
    };
    match app.ledger.recovered(service, &result) {
        Recovered::NotOurs => {
            let text = match &result {
                Ok(()) => format!("healed {service} ({recovery})"),
                Err(e) => format!("could not heal {service} ({recovery}): {e}"),
            };
            app.booth.heal_answered(service, &text);
            let level = if ok { Level::Good } else { Level::Critical };
            note_kind(app, level, kind(Some(Undoer::Heal)), text);
        }
        Recovered::Done => {
            let text = format!("RECOVERY: {recovery} {service} done");
            note_kind(app, Level::Good, kind(None), text);
            app.story
                .recovery_answered(ActionStatus::Done(format!("{recovery} {service} done")));
        }
        Recovered::Failed(why) => {
            note_kind(app, Level::Critical, kind(None), why.clone());
            app.story.recovery_answered(ActionStatus::Failed(why));
        }
    }
}

pub(super) fn on_load_set(
    app: &mut App,
    run: Option<RunId>,
    running: bool,
    result: Result<(), BackendError>,
    fx: &mut Vec<Effect>,
) {
    let current = run.is_some_and(|run| app.story.awaiting(run));
    app.world.load_set(running, &result);
    let (text, failed) = match result {
        Ok(()) if running => ("workload started".to_string(), false),
        Ok(()) => ("workload stopped".to_string(), false),
        Err(e) => (format!("workload: {e}"), true),
    };
    match (current, failed) {
        (true, false) => with_story(app, fx, |story, scene, log, asks| {
            story.complete(scene, log, text, asks);
        }),
        (true, true) => with_story(app, fx, |story, scene, log, asks| {
            story.fail(scene, log, text, asks);
        }),
        (false, false) => note(app, Level::Info, text),
        (false, true) => note(app, Level::Warning, text),
    }
}

pub(super) fn on_diagnosed(
    app: &mut App,
    run: RunId,
    result: Result<Diagnosis, AnalyzerError>,
    fx: &mut Vec<Effect>,
) {
    diagnosed(app, run, result, fx);
}
