//! Answers from the world to the effects the app asked for. They move the
//! ledgers (the fault, the load, the agent); the runner judges the actions
//! from those. A late answer is recorded, never re-opens an action.

use super::journal::{Kind, Level};
use super::msg::{Effect, RunId};
use super::notes::{note, note_kind};
use super::timeline::Timeline;
use super::{AgentState, App, FaultState, kiosk, observe, runner, update};
use std::time::Duration;

use crate::agent::second_opinion::SecondOpinion;
use crate::agent::{AnalyzerError, Diagnosis};
use crate::cluster::{BackendError, InjectedFault, Recovery};
use crate::monitor::text::span;

pub(super) fn on_injected(
    app: &mut App,
    run: RunId,
    result: Result<InjectedFault, BackendError>,
    fx: &mut Vec<Effect>,
) {
    judge_injected(app, run, result, fx);
    // The node's events that beat the answer, seen with the fault in the
    // ledger (or, had it failed, as they are).
    observe::release_held(app);
}

fn judge_injected(
    app: &mut App,
    run: RunId,
    result: Result<InjectedFault, BackendError>,
    fx: &mut Vec<Effect>,
) {
    let abandoned = match &app.fault {
        FaultState::Injecting {
            run: sent,
            abandoned,
            ..
        } if *sent == run => *abandoned,
        // Not the injection the ledger waits for: should it have landed,
        // undo it at once (one fault at a time).
        _ => {
            if let Ok(fault) = result {
                note(
                    app,
                    Level::Warning,
                    format!(
                        "a stray {} on {} landed: recovering it",
                        fault.kind, fault.service
                    ),
                );
                fx.push(Effect::Recover {
                    recovery: fault.kind.recovery(),
                    service: fault.service,
                });
            }
            return;
        }
    };
    let current = app.run.as_ref().is_some_and(|r| r.awaiting(run));
    match result {
        Ok(fault) if abandoned => {
            observe::catch_up(app, fault.at);
            let text = format!(
                "a late {} on {} landed after it was called off: recovering it",
                fault.kind, fault.service
            );
            note(app, Level::Warning, text);
            app.fault = FaultState::InPlace(fault);
            update::request_recovery(app, fx);
        }
        Ok(fault) => {
            observe::catch_up(app, fault.at);
            let credited = app.monitor.fault_injected(fault.at);
            app.timeline = Timeline {
                injected: Some(fault.clone()),
                ..Timeline::default()
            };
            if !matches!(app.agent.state, AgentState::Working { .. }) {
                app.agent.state = AgentState::Idle;
                app.agent.transcript.clear();
            }
            let kind = Kind::Fault {
                fault: fault.kind,
                service: fault.service.clone(),
            };
            let text = format!("INJECTED {} on {}", fault.kind, fault.service);
            app.fault = FaultState::InPlace(fault);
            if current {
                runner::complete_as(app, Level::Critical, kind, text, fx);
            } else {
                note_kind(app, Level::Critical, kind, text);
            }
            observe::credit_to_fault(app, credited);
        }
        Err(e) => {
            // Without an answer the fault may have landed: the health gate
            // and the checks between passes will see it.
            app.fault = FaultState::Idle;
            if current {
                runner::fail(app, e.to_string(), fx);
            } else {
                note(
                    app,
                    Level::Warning,
                    format!("a late fault injection failed: {e}"),
                );
            }
        }
    }
}

/// Recoveries are judged from the ledger, so the run they came from does not
/// matter here. An answer for another node is a heal (start-up, kiosk).
pub(super) fn on_recovered(
    app: &mut App,
    recovery: Recovery,
    service: &str,
    result: Result<(), BackendError>,
) {
    let ok = match &result {
        Ok(()) | Err(BackendError::NothingToRecover { .. }) => true,
        Err(_) => false,
    };
    let kind = Kind::Recovery {
        recovery,
        service: service.to_string(),
        ok,
    };
    let ours =
        matches!(&app.fault, FaultState::Recovering { fault, .. } if fault.service == service);
    if !ours {
        let text = match &result {
            Ok(()) => format!("healed {service} ({recovery})"),
            Err(e) => format!("could not heal {service} ({recovery}): {e}"),
        };
        kiosk::heal_answered(app, service, &text);
        let level = if ok { Level::Good } else { Level::Critical };
        note_kind(app, level, kind, text);
        return;
    }
    let FaultState::Recovering { fault, .. } = std::mem::take(&mut app.fault) else {
        return;
    };
    match result {
        Ok(()) | Err(BackendError::NothingToRecover { .. }) => {
            let text = format!("RECOVERY: {recovery} {service} done");
            note_kind(app, Level::Good, kind, text);
            // Only the chapter that asked says so (not Welcome after a reset).
            if runner::recovering_in_this_run(app) {
                app.status = Some(super::ActionStatus::Done(format!(
                    "{recovery} {service} done"
                )));
            }
        }
        Err(e) => {
            let why = format!("recovery of {service} failed: {e} (press r to retry)");
            note_kind(app, Level::Critical, kind, why.clone());
            app.fault = FaultState::RecoveryFailed {
                fault,
                error: why.clone(),
            };
            if runner::recovering_in_this_run(app) {
                app.status = Some(super::ActionStatus::Failed(why));
            }
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
    let current = run.is_some_and(|run| app.run.as_ref().is_some_and(|r| r.awaiting(run)));
    match result {
        Ok(()) => {
            app.load_running = running;
            if !running {
                app.tracker.set_idle();
            }
            let text = if running {
                "workload started"
            } else {
                "workload stopped"
            };
            if current {
                runner::complete(app, text.into(), fx);
            } else {
                note(app, Level::Info, text.into());
            }
        }
        Err(e) => {
            // The switch did not happen: the load is as it was.
            app.monitor.load_switched(app.load_running);
            if current {
                runner::fail(app, format!("workload: {e}"), fx);
            } else {
                note(app, Level::Warning, format!("workload: {e}"));
            }
        }
    }
}

pub(super) fn on_agent_line(app: &mut App, run: RunId, progress: crate::agent::Progress) {
    if matches!(app.agent.state, AgentState::Working { run: r, .. } if r == run) {
        let after_fault = app.timeline.after_fault(app.now);
        app.agent.transcript.push(app.now, after_fault, progress);
    }
}

pub(super) fn on_diagnosed(
    app: &mut App,
    run: RunId,
    result: Result<Diagnosis, AnalyzerError>,
    fx: &mut Vec<Effect>,
) {
    let AgentState::Working {
        run: working,
        started,
    } = app.agent.state
    else {
        return;
    };
    if working != run {
        return;
    }
    let current = app.run.as_ref().is_some_and(|r| r.awaiting(run));
    match result {
        Ok(diagnosis) => {
            let summary = diagnosis.root_cause.summary.clone();
            for line in diagnosis.lines() {
                tracing::info!("diagnosis: {line}");
            }
            let took = app.now.saturating_sub(started);
            app.timeline.diagnosed = app.timeline.after_fault(app.now);
            app.agent.state = AgentState::Done {
                diagnosis: Box::new(diagnosis),
                took,
            };
            let text = format!("DIAGNOSIS: {summary}");
            let kind = Kind::Diagnosis { took };
            if current {
                runner::complete_as(app, Level::Good, kind, text, fx);
            } else {
                note_kind(app, Level::Good, kind, text);
            }
        }
        Err(why) => {
            app.agent.state = AgentState::Failed(why.to_string());
            if current {
                runner::fail(app, format!("diagnosis failed: {why}"), fx);
            }
        }
    }
}

/// The story's time to diagnose ran out while a model was still at work:
/// the built-in diagnosis sent before the model was asked stands, with a
/// note why, and the model's answer is dropped. False when nothing stands
/// (an analyzer that sent none): the action then fails.
pub(super) fn stand_on_builtin(app: &mut App, within: Duration, fx: &mut Vec<Effect>) -> bool {
    let AgentState::Working { run, .. } = app.agent.state else {
        return false;
    };
    let Some(standing) = app.agent.transcript.standing() else {
        return false;
    };
    let mut diagnosis = standing.clone();
    let agent = app.agent.analyzer.clone();
    diagnosis.second_opinion = Some(Box::new(SecondOpinion::overdue(&agent, within)));
    note(
        app,
        Level::Warning,
        format!(
            "{agent} had not answered within {}: the built-in diagnosis stands",
            span(within)
        ),
    );
    on_diagnosed(app, run, Ok(diagnosis), fx);
    true
}
