//! `update`: the only place the app's state changes. Plain and synchronous:
//! the world's answers arrive as messages, the world's work leaves as effects.

use std::time::Duration;

use rand::Rng;

use super::journal::{Entry, Level};
use super::msg::{Command, Effect, ExitKind, Msg, RunId};
use super::timeline::{Timeline, secs};
use super::{ActionStatus, AgentState, App, ChapterRun, Mode, PANE_LINES, Timer};
use crate::cluster::{BackendError, ClusterEvent, ClusterSnapshot, InjectedFault};
use crate::monitor::{Incident, MonitorUpdate, Severity};
use crate::story::{Action, Target};
use crate::workload::WorkloadSample;

/// Applies one message and returns the work it asks of the world.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Command(command) => on_command(app, command, &mut fx),
        Msg::Tick(now) => on_tick(app, now, &mut fx),
        Msg::Snapshot(result) => on_snapshot(app, result),
        Msg::Event(event) => on_event(app, event),
        Msg::Sample(sample) => on_sample(app, sample),
        Msg::Injected { run, result } => on_injected(app, run, result, &mut fx),
        Msg::Recovered {
            service, result, ..
        } => on_recovered(app, &service, result),
        Msg::LoadSet {
            run,
            running,
            result,
        } => on_load_set(app, run, running, result),
        Msg::AgentLine { run, line } => on_agent_line(app, run, line),
        Msg::Diagnosed { run, result } => on_diagnosed(app, run, result),
        Msg::Redraw => {}
        Msg::Shutdown(reason) => {
            note(app, Level::Warning, format!("leaving: {reason}"));
            quit(app, ExitKind::Success, &mut fx);
        }
    }
    if !app.quitting {
        observe_detection(app);
        observe_recovery(app);
        advance_actions(app, &mut fx);
    }
    fx
}

// ---- keys -------------------------------------------------------------------

fn on_command(app: &mut App, command: Command, fx: &mut Vec<Effect>) {
    app.hint = None;
    if app.quitting {
        return;
    }
    if app.show_help && command != Command::Quit {
        // Any key closes the help first; `?` only toggles.
        app.show_help = false;
        return;
    }
    match command {
        Command::Next => next(app, fx),
        Command::Prev => prev(app, fx),
        Command::Reset => {
            note(app, Level::Info, "reset: starting over".into());
            reset(app, fx);
        }
        Command::TogglePause => {
            app.paused = !app.paused;
            let word = if app.paused { "paused" } else { "resumed" };
            note(app, Level::Info, format!("timers {word}"));
        }
        Command::Abort => abort_action(app),
        Command::ApplyRecommendation => apply_recommendation(app, fx),
        Command::ToggleHelp => app.show_help = true,
        Command::Quit => quit(app, ExitKind::Success, fx),
    }
}

fn next(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(run) = &app.run
        && !run.finished()
        && app.current_chapter().blocks_advance
    {
        let what = run.current().map_or_else(String::new, Action::describe);
        app.hint = Some(match run.countdown {
            Some(_) => "countdown running (ESC aborts it)".into(),
            None => format!("still {what}"),
        });
        return;
    }
    if app.chapter + 1 < app.chapter_count() {
        leave_chapter(app, fx);
        fx.extend(enter_chapter(app, app.chapter + 1));
    } else if app.mode == Mode::Auto && app.exit_after_one_pass {
        let healthy = app
            .cluster
            .snapshot
            .as_ref()
            .is_some_and(|s| s.is_healthy());
        let exit = if healthy && app.fault.is_none() {
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
        note(app, Level::Info, "starting the story again".into());
        reset(app, fx);
    }
}

fn prev(app: &mut App, fx: &mut Vec<Effect>) {
    if app.chapter == 0 {
        app.hint = Some("already at the first chapter".into());
        return;
    }
    leave_chapter(app, fx);
    fx.extend(enter_chapter(app, app.chapter - 1));
}

/// ESC: abandons the running action. A countdown aborted this way injects
/// nothing, and the chapter can be run again (back, then forward).
fn abort_action(app: &mut App) {
    let Some(run) = app.run.as_mut().filter(|r| !r.finished()) else {
        app.hint = Some("nothing running to abort".into());
        return;
    };
    if run.awaiting_effect {
        app.hint = Some("the world is answering: wait a moment".into());
        return;
    }
    let countdown = run.countdown.take().is_some();
    run.timeout = None;
    run.failed = true;
    let text = if countdown {
        app.started_up_to = app.chapter.checked_sub(1);
        "countdown aborted: nothing was injected".to_string()
    } else {
        "aborted by the presenter".to_string()
    };
    note(app, Level::Warning, text.clone());
    app.status = Some(ActionStatus::Failed(text));
}

/// Recovers any fault, clears what the last pass saw and starts at chapter 1.
fn reset(app: &mut App, fx: &mut Vec<Effect>) {
    leave_chapter(app, fx);
    // An injection still in flight belongs to the pass being left.
    app.pass_first_run = app.next_run;
    request_recovery(app, 0, fx);
    if app.load_running {
        fx.push(Effect::SetLoad {
            run: 0,
            running: false,
        });
    }
    app.monitor.reset();
    app.tracker.reset();
    app.timeline = Timeline::default();
    app.agent.state = AgentState::Idle;
    app.agent.transcript.clear();
    app.monitor_lines.clear();
    app.started_up_to = None;
    app.paused = false;
    fx.extend(enter_chapter(app, 0));
}

/// `a`: applies the agent's allowlisted recommendation through the story's
/// own recovery path, and only when it undoes the fault in place (so the
/// fault ledger stays true). Only a presenter may: in the other modes the
/// story's recovery runs, never an agent's.
fn apply_recommendation(app: &mut App, fx: &mut Vec<Effect>) {
    if app.mode != Mode::Presenter {
        app.hint =
            Some("only a presenter applies a recommendation: the story recovers by itself".into());
        return;
    }
    let AgentState::Done { diagnosis, .. } = &app.agent.state else {
        app.hint = Some("no diagnosis to apply yet".into());
        return;
    };
    let Some((action, by)) = diagnosis.applicable_action() else {
        app.hint = Some("the agent recommends no allowed action".into());
        return;
    };
    let (action, by) = (action.clone(), by.to_string());
    if app.recovering || app.injecting {
        app.hint = Some("the world is answering: wait a moment".into());
        return;
    }
    let Some(fault) = &app.fault else {
        app.hint = Some("no fault in place: nothing to recover".into());
        return;
    };
    if fault.service != action.service || fault.kind.recovery() != action.recovery {
        app.hint = Some(format!(
            "{} {} would not undo the fault in place ({} on {}): not applied",
            action.recovery, action.service, fault.kind, fault.service
        ));
        return;
    }
    note(
        app,
        Level::Info,
        format!(
            "presenter applies {by}'s recommendation: {} {}",
            action.recovery, action.service
        ),
    );
    app.recovery_error = None;
    request_recovery(app, 0, fx);
}

fn quit(app: &mut App, exit: ExitKind, fx: &mut Vec<Effect>) {
    if app.quitting {
        return;
    }
    app.quitting = true;
    app.show_help = false;
    app.hint = Some("leaving…".into());
    if let Some(fault) = &app.fault {
        let text = format!(
            "recovering {} ({}) before leaving",
            fault.service,
            fault.kind.recovery()
        );
        app.hint = Some(format!("leaving: {text}…"));
        note(app, Level::Warning, text);
    }
    fx.push(Effect::CancelDiagnosis);
    fx.push(Effect::Quit { exit });
}

// ---- chapters ---------------------------------------------------------------

/// Shows chapter `index`; runs its actions if this pass has not run them yet.
pub(super) fn enter_chapter(app: &mut App, index: usize) -> Vec<Effect> {
    app.chapter = index;
    app.dwell = None;
    app.status = None;
    let chapter = &app.script.chapters[index];
    let title = chapter.title.clone();
    let already_run = app.started_up_to.is_some_and(|up_to| index <= up_to);
    let mut opening = entry(
        app,
        app.now,
        Level::Info,
        format!("chapter {}/{}: {title}", index + 1, app.chapter_count()),
    );
    opening.chapter = Some(index);
    app.journal.push(opening);
    let mut fx = Vec::new();
    if already_run {
        app.run = None;
        if !app.current_chapter().on_enter.is_empty() {
            app.status = Some(ActionStatus::Done(
                "already run in this pass: not run again".into(),
            ));
        }
        if app.mode == Mode::Auto {
            app.dwell = Some(Timer {
                left: app.current_chapter().dwell,
            });
        }
        return fx;
    }
    app.started_up_to = Some(index);
    let run = new_run_id(app);
    app.run = Some(ChapterRun {
        run,
        index: 0,
        actions: app.current_chapter().on_enter.clone(),
        current_started: false,
        awaiting_effect: false,
        settled: false,
        countdown: None,
        timeout: None,
        failed: false,
    });
    advance_actions(app, &mut fx);
    fx
}

/// Stops what the current chapter is doing. Effects already sent still land
/// (a fault that was injected is recorded), but no longer move the chapter.
fn leave_chapter(app: &mut App, fx: &mut Vec<Effect>) {
    if let AgentState::Working { .. } = app.agent.state {
        fx.push(Effect::CancelDiagnosis);
        app.agent.state = AgentState::Failed("cancelled: the presenter moved on".into());
    }
    app.run = None;
    app.dwell = None;
}

fn new_run_id(app: &mut App) -> RunId {
    let id = app.next_run;
    app.next_run += 1;
    id
}

// ---- actions ----------------------------------------------------------------

enum Check {
    Done(String),
    Failed(String),
    Wait,
}

/// Starts, checks and completes the current chapter's actions as far as the
/// state allows, then acts on the end of the run.
fn advance_actions(app: &mut App, fx: &mut Vec<Effect>) {
    loop {
        let Some(run) = &app.run else { return };
        if run.finished() {
            break;
        }
        if !run.current_started {
            start_action(app, fx);
            continue;
        }
        if run.awaiting_effect {
            return;
        }
        if let Some(Action::InjectFault { .. }) = run.current() {
            try_inject(app, fx);
            if app
                .run
                .as_ref()
                .is_some_and(|r| !r.failed && !r.awaiting_effect)
            {
                return;
            }
            continue;
        }
        match check_action(app) {
            Check::Done(text) => complete_action(app, text),
            Check::Failed(text) => fail_action(app, text),
            Check::Wait => return,
        }
    }
    settle_run(app, fx);
}

fn start_action(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(run) = app.run.as_mut() else { return };
    run.current_started = true;
    let run_id = run.run;
    let Some(action) = run.current().cloned() else {
        return;
    };
    app.status = Some(ActionStatus::Running(action.describe()));
    match action {
        Action::WaitHealthy { timeout }
        | Action::AwaitBaseline { timeout }
        | Action::AwaitDetection { timeout }
        | Action::AwaitRecovery { timeout } => {
            set_run(app, |run| run.timeout = Some(Timer { left: timeout }));
        }
        Action::Countdown { seconds } => {
            let left = Duration::from_secs(seconds.into());
            set_run(app, |run| run.countdown = Some(Timer { left }));
        }
        Action::StartLoad | Action::StopLoad => {
            let running = matches!(action, Action::StartLoad);
            if running {
                app.tracker.reset();
            }
            set_run(app, |run| run.awaiting_effect = true);
            fx.push(Effect::SetLoad {
                run: run_id,
                running,
            });
        }
        Action::InjectFault { .. } => try_inject(app, fx),
        Action::Diagnose => {
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
            set_run(app, |run| run.awaiting_effect = true);
            fx.push(Effect::Diagnose {
                run: run_id,
                evidence: Box::new(evidence),
            });
        }
        Action::Recover => {
            if app.fault.is_none() && !app.recovering {
                complete_action(app, "no fault in place: nothing to recover".into());
            } else {
                // Judged on the state (see check_action), so a recovery
                // already under way (from a reset) counts as well.
                app.recovery_error = None;
                request_recovery(app, run_id, fx);
            }
        }
    }
}

/// Sends the fault once the cluster is known (the first snapshot may not have
/// arrived when a story starts with a fault).
fn try_inject(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(run) = &app.run else { return };
    let run_id = run.run;
    let Some(Action::InjectFault { kind, target }) = run.current().cloned() else {
        return;
    };
    if app.cluster.snapshot.is_none() {
        app.status = Some(ActionStatus::Running(
            "waiting for cluster data to choose a target".into(),
        ));
        return;
    }
    if app.injecting {
        app.status = Some(ActionStatus::Running(
            "waiting for the previous injection to answer".into(),
        ));
        return;
    }
    if let Some(fault) = &app.fault {
        let why = format!(
            "a fault is already in place ({} on {}): recover it first",
            fault.kind, fault.service
        );
        fail_action(app, why);
        return;
    }
    let named = matches!(target, Target::Service(_));
    match choose_target(app, &target) {
        Err(why) => fail_action(app, why),
        Ok(service) => {
            set_run(app, |run| run.awaiting_effect = true);
            app.injecting = true;
            app.status = Some(ActionStatus::Running(format!("{kind} {service}")));
            fx.push(Effect::Inject {
                run: run_id,
                kind,
                service,
                named,
            });
        }
    }
}

fn set_run(app: &mut App, f: impl FnOnce(&mut ChapterRun)) {
    if let Some(run) = app.run.as_mut() {
        f(run);
    }
}

/// Whether a waiting action is done, failed, or still waiting.
fn check_action(app: &App) -> Check {
    let Some(run) = &app.run else {
        return Check::Wait;
    };
    let timed_out = run.timeout.is_some_and(|t| t.left.is_zero());
    match run.current() {
        Some(Action::WaitHealthy { timeout }) => {
            if cluster_healthy(app) {
                Check::Done("every store is Up".into())
            } else if timed_out {
                Check::Failed(format!(
                    "the cluster was not healthy within {}",
                    secs(*timeout)
                ))
            } else {
                Check::Wait
            }
        }
        Some(Action::AwaitBaseline { timeout }) => match app.tracker.baseline() {
            Some(baseline) => Check::Done(format!("baseline {baseline:.0} ops/s")),
            None if !app.load_running => {
                Check::Failed("the workload is not running: nothing to measure".into())
            }
            None if timed_out => Check::Failed(format!(
                "no workload baseline within {} (is the load generator reporting?)",
                secs(*timeout)
            )),
            None => Check::Wait,
        },
        Some(Action::Recover) => match (&app.fault, app.recovering) {
            (_, true) => Check::Wait,
            (None, false) => Check::Done("recovered".into()),
            (Some(fault), false) => Check::Failed(
                app.recovery_error
                    .clone()
                    .unwrap_or_else(|| format!("{} is still faulty", fault.service)),
            ),
        },
        Some(Action::Countdown { .. }) => match run.countdown {
            Some(t) if t.left.is_zero() => Check::Done("countdown finished".into()),
            _ => Check::Wait,
        },
        Some(Action::AwaitDetection { timeout }) => {
            match (&app.timeline.injected, app.timeline.detected) {
                (None, _) => Check::Done("no fault in place: nothing to detect".into()),
                (Some(_), Some((after, signal))) => Check::Done(format!(
                    "detected {} after the fault by {}",
                    secs(after),
                    signal.describe()
                )),
                (Some(_), None) if timed_out => {
                    Check::Failed(format!("nothing detected within {}", secs(*timeout)))
                }
                _ => Check::Wait,
            }
        }
        Some(Action::AwaitRecovery { timeout }) => {
            let workload_back = !app.load_running || app.tracker.is_back_to_normal();
            if app.fault.is_none() && cluster_healthy(app) && workload_back {
                let text = match app.timeline.recovered {
                    Some(after) => format!("recovered {} after the fault", secs(after)),
                    None => "every store is Up and the workload is normal".into(),
                };
                Check::Done(text)
            } else if timed_out {
                Check::Failed(format!("not recovered within {}", secs(*timeout)))
            } else {
                Check::Wait
            }
        }
        _ => Check::Wait,
    }
}

fn cluster_healthy(app: &App) -> bool {
    !app.cluster.is_stale(app.now)
        && app
            .cluster
            .snapshot
            .as_ref()
            .is_some_and(|s| s.is_healthy())
}

fn complete_action(app: &mut App, text: String) {
    complete_action_as(app, Level::Good, text);
}

/// Completes the running action, journalled at `level` (an injected fault
/// is an action done well, but not good news).
fn complete_action_as(app: &mut App, level: Level, text: String) {
    let Some(run) = app.run.as_mut() else { return };
    run.index += 1;
    run.current_started = false;
    run.awaiting_effect = false;
    run.countdown = None;
    run.timeout = None;
    note(app, level, text.clone());
    app.status = Some(ActionStatus::Done(text));
}

fn fail_action(app: &mut App, why: String) {
    let Some(run) = app.run.as_mut() else { return };
    run.failed = true;
    run.awaiting_effect = false;
    run.countdown = None;
    run.timeout = None;
    note(app, Level::Critical, format!("failed: {why}"));
    app.status = Some(ActionStatus::Failed(why));
}

/// Acts once on the end of the chapter's run: auto-advance, or the dwell.
fn settle_run(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(run) = app.run.as_mut() else { return };
    if !run.finished() || run.settled {
        return;
    }
    run.settled = true;
    let failed = run.failed;
    if failed && app.mode == Mode::Auto && app.exit_after_one_pass {
        note(app, Level::Critical, "the story failed".into());
        quit(app, ExitKind::StoryFailed, fx);
    } else if !failed && app.current_chapter().auto_advance {
        // Moved on by the next tick, never from here: a chapter that finishes
        // at once must not recurse into the next one.
        app.dwell = Some(Timer {
            left: Duration::ZERO,
        });
    } else if app.mode == Mode::Auto {
        app.dwell = Some(Timer {
            left: app.current_chapter().dwell,
        });
    }
}

/// Picks the service a fault goes to.
fn choose_target(app: &mut App, target: &Target) -> Result<String, String> {
    let Some(snapshot) = &app.cluster.snapshot else {
        return Err("no cluster data: cannot choose a target".into());
    };
    match target {
        Target::Service(name) => Ok(name.clone()),
        Target::Random => {
            let mut up: Vec<&str> = snapshot
                .stores
                .iter()
                .filter(|s| s.state.is_up())
                .map(|s| s.service.as_str())
                .collect();
            up.sort_unstable();
            if up.is_empty() {
                return Err("no TiKV store is Up: nothing to fault".into());
            }
            let pick = app.rng.random_range(0..up.len());
            Ok(up[pick].to_string())
        }
    }
}

fn request_recovery(app: &mut App, run: RunId, fx: &mut Vec<Effect>) {
    if app.recovering {
        return;
    }
    if let Some(fault) = &app.fault {
        app.recovering = true;
        let recovery = fault.kind.recovery();
        let service = fault.service.clone();
        app.status = Some(ActionStatus::Running(format!("{recovery} {service}")));
        fx.push(Effect::Recover {
            run,
            recovery,
            service,
        });
    }
}

fn is_current(app: &App, run: RunId) -> bool {
    app.run
        .as_ref()
        .is_some_and(|r| r.run == run && r.awaiting_effect && !r.failed)
}

// ---- answers from the world -------------------------------------------------

fn on_injected(
    app: &mut App,
    run: RunId,
    result: Result<InjectedFault, BackendError>,
    fx: &mut Vec<Effect>,
) {
    app.injecting = false;
    let current = is_current(app, run);
    match result {
        Ok(fault) if run < app.pass_first_run || app.fault.is_some() => {
            // It landed after a reset (or beside another fault): undo it now.
            catch_up(app, fault.at);
            let text = format!(
                "a late {} on {} landed: recovering it",
                fault.kind, fault.service
            );
            note(app, Level::Warning, text);
            if app.fault.is_none() {
                app.fault = Some(fault);
                request_recovery(app, 0, fx);
            } else {
                fx.push(Effect::Recover {
                    run: 0,
                    recovery: fault.kind.recovery(),
                    service: fault.service,
                });
            }
        }
        Ok(fault) => {
            catch_up(app, fault.at);
            let text = format!("INJECTED {} on {}", fault.kind, fault.service);
            app.monitor.fault_injected(fault.at);
            app.timeline = Timeline {
                injected: Some(fault.clone()),
                ..Timeline::default()
            };
            if !matches!(app.agent.state, AgentState::Working { .. }) {
                app.agent.state = AgentState::Idle;
                app.agent.transcript.clear();
            }
            app.fault = Some(fault);
            if current {
                complete_action_as(app, Level::Critical, text);
            } else {
                note(app, Level::Critical, text);
            }
        }
        Err(e) if current => fail_action(app, e.to_string()),
        Err(e) => note(
            app,
            Level::Warning,
            format!("a late fault injection failed: {e}"),
        ),
    }
}

/// Recoveries are judged by the state (the Recover action checks it), so the
/// run they belong to does not matter here.
fn on_recovered(app: &mut App, service: &str, result: Result<(), BackendError>) {
    let ours = app.fault.as_ref().is_some_and(|f| f.service == service);
    if ours {
        app.recovering = false;
    }
    match result {
        Ok(()) => {
            let what = match app.fault.take_if(|f| f.service == service) {
                Some(fault) => fault.kind.recovery().to_string(),
                None => "recovery".to_string(),
            };
            app.recovery_error = None;
            let text = format!("RECOVERY: {what} {service} done");
            note(app, Level::Good, text);
            app.status = Some(ActionStatus::Done(format!("{what} {service} done")));
        }
        Err(e) => {
            let why = format!("recovery of {service} failed: {e} (press r to retry)");
            note(app, Level::Critical, why.clone());
            app.recovery_error = Some(why.clone());
            app.status = Some(ActionStatus::Failed(why));
        }
    }
}

fn on_load_set(app: &mut App, run: RunId, running: bool, result: Result<(), BackendError>) {
    let current = is_current(app, run);
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
                complete_action(app, text.into());
            }
        }
        Err(e) if current => fail_action(app, format!("workload: {e}")),
        Err(e) => note(app, Level::Warning, format!("workload: {e}")),
    }
}

fn on_agent_line(app: &mut App, run: RunId, progress: crate::agent::Progress) {
    if matches!(app.agent.state, AgentState::Working { run: r, .. } if r == run) {
        let after_fault = app.timeline.after_fault(app.now);
        app.agent.transcript.push(app.now, after_fault, progress);
    }
}

fn on_diagnosed(app: &mut App, run: RunId, result: Result<crate::agent::Diagnosis, String>) {
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
    let current = is_current(app, run);
    match result {
        Ok(diagnosis) => {
            let summary = diagnosis.root_cause.summary.clone();
            for line in diagnosis.lines() {
                tracing::info!("diagnosis: {line}");
            }
            app.timeline.diagnosed = app.timeline.after_fault(app.now);
            app.agent.state = AgentState::Done {
                diagnosis: Box::new(diagnosis),
                took: app.now.saturating_sub(started),
            };
            let text = format!("DIAGNOSIS: {summary}");
            if current {
                complete_action(app, text);
            } else {
                note(app, Level::Good, text);
            }
        }
        Err(why) => {
            app.agent.state = AgentState::Failed(why.clone());
            if current {
                fail_action(app, format!("diagnosis failed: {why}"));
            }
        }
    }
}

// ---- observations -----------------------------------------------------------

fn on_tick(app: &mut App, now: Duration, fx: &mut Vec<Effect>) {
    let delta = now.saturating_sub(app.timers_at);
    app.timers_at = app.timers_at.max(now);
    catch_up(app, now);
    if app.paused {
        return;
    }
    if let Some(run) = app.run.as_mut() {
        for timer in [&mut run.countdown, &mut run.timeout].into_iter().flatten() {
            timer.left = timer.left.saturating_sub(delta);
        }
    }
    if let Some(dwell) = app.dwell.as_mut() {
        dwell.left = dwell.left.saturating_sub(delta);
        if dwell.left.is_zero() && !app.quitting {
            app.dwell = None;
            next(app, fx);
        }
    }
}

/// Show time only moves forward; stamped answers from the world move it too,
/// so nothing is journalled as older than what caused it.
fn catch_up(app: &mut App, at: Duration) {
    app.now = app.now.max(at);
}

fn on_snapshot(app: &mut App, result: Result<ClusterSnapshot, BackendError>) {
    let snapshot = match result {
        Ok(snapshot) => snapshot,
        Err(e) => {
            let text = e.to_string();
            if app.cluster.error.as_deref() != Some(&text) {
                note(app, Level::Critical, text.clone());
            }
            app.cluster.error = Some(text);
            return;
        }
    };
    catch_up(app, snapshot.taken_at);
    if app.cluster.error.take().is_some() {
        note(app, Level::Good, "cluster data flowing again".into());
    }
    note_store_changes(app, &snapshot);
    app.evidence.record_snapshot(snapshot.clone());
    let updates = app.monitor.on_snapshot(&snapshot);
    app.cluster.snapshot = Some(snapshot);
    apply_monitor(app, updates);
}

fn on_event(app: &mut App, event: ClusterEvent) {
    catch_up(app, event.at);
    // The monitor turns events into incidents; the journal shows those.
    tracing::info!(service = %event.service, "event: {}", event.kind);
    app.evidence.record_event(event.clone());
    let updates = app.monitor.on_event(&event);
    apply_monitor(app, updates);
}

fn on_sample(app: &mut App, sample: WorkloadSample) {
    catch_up(app, sample.at);
    app.tracker.push(sample);
    app.evidence.record_sample(sample);
    let updates = app.monitor.on_workload(&sample, app.tracker.baseline());
    apply_monitor(app, updates);
}

fn note_store_changes(app: &mut App, snapshot: &ClusterSnapshot) {
    let changes: Vec<(Level, String)> = snapshot
        .stores
        .iter()
        .filter_map(|store| {
            let before = app.cluster.snapshot.as_ref()?.store(&store.service)?;
            (before.state != store.state).then(|| {
                let level = if store.state.is_up() {
                    Level::Good
                } else {
                    Level::Warning
                };
                let text = format!(
                    "store {}: {} -> {}",
                    store.service, before.state, store.state
                );
                (level, text)
            })
        })
        .collect();
    for (level, text) in changes {
        note_at(app, snapshot.taken_at, level, text);
    }
}

fn apply_monitor(app: &mut App, updates: Vec<MonitorUpdate>) {
    for update in updates {
        let (level, text, at) = match &update {
            MonitorUpdate::Opened(i) => (severity_level(i), describe(i), i.opened_at),
            MonitorUpdate::Resolved(i) => (
                Level::Good,
                format!("resolved: {}", describe(i)),
                i.resolved_at.unwrap_or(app.now),
            ),
        };
        let shown = entry(app, at, level, text);
        if app.monitor_lines.len() == PANE_LINES {
            app.monitor_lines.pop_front();
        }
        app.monitor_lines.push_back(shown.clone());
        let journal_text = match update {
            MonitorUpdate::Opened(_) => format!("DETECTED {}", shown.text),
            MonitorUpdate::Resolved(_) => shown.text.clone(),
        };
        app.journal.push(Entry {
            text: journal_text,
            ..shown
        });
    }
}

/// The monitor's summaries already name the service.
fn describe(incident: &Incident) -> String {
    incident.summary.clone()
}

fn severity_level(incident: &Incident) -> Level {
    match incident.severity {
        Severity::Info => Level::Info,
        Severity::Warning => Level::Warning,
        Severity::Critical => Level::Critical,
    }
}

fn observe_detection(app: &mut App) {
    if app.timeline.injected.is_none() || app.timeline.detected.is_some() {
        return;
    }
    if let Some(detection) = app.monitor.first_detection() {
        let after = detection
            .after_fault
            .or_else(|| app.timeline.after_fault(detection.at))
            .unwrap_or_default();
        app.timeline.detected = Some((after, detection.signal));
    }
}

/// The episode ends when the fault has been undone and the cluster is healthy.
fn observe_recovery(app: &mut App) {
    if app.timeline.injected.is_none() || app.timeline.recovered.is_some() {
        return;
    }
    if app.fault.is_none() && cluster_healthy(app) {
        app.timeline.recovered = app.timeline.after_fault(app.now);
        app.monitor.fault_cleared();
        let text = format!(
            "cluster healthy again {} after the fault",
            secs(app.timeline.recovered.unwrap_or_default())
        );
        note(app, Level::Good, text);
    }
}

// ---- journal ----------------------------------------------------------------

fn entry(app: &App, at: Duration, level: Level, text: String) -> Entry {
    Entry {
        at,
        after_fault: app.timeline.after_fault(at),
        level,
        text,
        chapter: None,
    }
}

fn note(app: &mut App, level: Level, text: String) {
    note_at(app, app.now, level, text);
}

fn note_at(app: &mut App, at: Duration, level: Level, text: String) {
    let entry = entry(app, at, level, text);
    app.journal.push(entry);
}
