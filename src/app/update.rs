//! `update`: the only place the app's state changes. Plain and synchronous:
//! the world's answers arrive as messages, the world's work leaves as effects.
//! This module takes the presenter's commands and the passing of time; the
//! runner, the answers, the observations and the kiosk each have their own.

use std::time::Duration;

use super::confirm;
use super::journal::{Kind, Level};
use super::msg::{Command, Effect, ExitKind, Msg, SIGHUP, SIGINT};
use super::notes::{entry, note, note_kind, record};
use super::run::{ChapterRun, RunState, Timer};
use super::timeline::Timeline;
use super::{
    ActionStatus, AgentState, App, FaultState, Mode, answers, episode, kiosk, observe, runner,
};

/// Applies one message and returns the work it asks of the world.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Command(command) => on_command(app, command, &mut fx),
        Msg::Tick(now) => on_tick(app, now, &mut fx),
        Msg::Snapshot(result) => observe::on_snapshot(app, result),
        Msg::Event(event) => observe::on_event(app, event),
        Msg::Sample(sample) => observe::on_sample(app, sample),
        Msg::Injected { run, result } => answers::on_injected(app, run, result, &mut fx),
        Msg::Recovered {
            recovery,
            service,
            result,
        } => answers::on_recovered(app, recovery, &service, result),
        Msg::LoadSet {
            run,
            running,
            result,
        } => answers::on_load_set(app, run, running, result, &mut fx),
        Msg::AgentLine { run, line } => answers::on_agent_line(app, run, line),
        Msg::Diagnosed { run, result } => answers::on_diagnosed(app, run, result, &mut fx),
        Msg::Redraw => {}
        Msg::Signal { number, name } => {
            note(app, Level::Warning, format!("leaving: received {name}"));
            quit(app, ExitKind::Signal(number), &mut fx);
        }
        Msg::TerminalGone(why) => {
            note(
                app,
                Level::Warning,
                format!("leaving: the terminal is gone ({why})"),
            );
            quit(app, ExitKind::Signal(SIGHUP), &mut fx);
        }
        Msg::InputEnded(why) => {
            let why = why.map_or_else(String::new, |why| format!(" ({why})"));
            note(
                app,
                Level::Warning,
                format!("leaving: input ended{why}: nobody can drive the story any more"),
            );
            quit(app, ExitKind::Signal(SIGHUP), &mut fx);
        }
        Msg::LeftFault(left) => {
            let level = if left.recovered {
                Level::Good
            } else {
                Level::Critical
            };
            let kind = Kind::Recovery {
                recovery: left.recovery,
                service: left.service,
                ok: left.recovered,
            };
            note_kind(app, level, kind, left.message);
        }
        Msg::TaskTrouble { task, what } => {
            note_kind(app, Level::Critical, Kind::Error, format!("{task}: {what}"));
            app.hint = Some(format!("{task} restarted after: {what}"));
        }
        Msg::Notice(notice) => {
            let level = if notice.trouble {
                Level::Warning
            } else {
                Level::Good
            };
            app.tell(level, notice.text);
        }
    }
    if !app.quitting {
        observe::detection(app);
        observe::recovery(app);
        episode::note_load_back(app);
        runner::advance(app, &mut fx);
        kiosk::advance(app, &mut fx);
    }
    keep_time_in_step(app, &mut fx);
    observe::load_requests(app, &fx);
    fx
}

/// On the simulator show time stands still while paused; whatever ended
/// the pause (the key, a reset, leaving) lets it run on.
fn keep_time_in_step(app: &mut App, fx: &mut Vec<Effect>) {
    let frozen = app.paused && app.pause_freezes_cluster() && !app.quitting;
    if frozen != app.time_frozen {
        app.time_frozen = frozen;
        fx.push(Effect::FreezeTime { frozen });
    }
}

// ---- keys -------------------------------------------------------------------

fn on_command(app: &mut App, command: Command, fx: &mut Vec<Effect>) {
    app.hint = None;
    if app.quitting {
        return;
    }
    if app.show_help && command != Command::Interrupt {
        // Any key closes the help first (`q` too); `?` only toggles.
        app.show_help = false;
        return;
    }
    if needs_second_press(app, command) {
        match confirm::press(&mut app.confirm, command, app.now, app.confirm_window) {
            confirm::Press::Act => {}
            confirm::Press::AskAgain(words) => {
                app.hint = Some(words.into());
                return;
            }
        }
    } else {
        app.confirm = None;
    }
    if kiosk::on_command(app, command) {
        return;
    }
    match command {
        Command::Next => next(app, fx),
        Command::Prev => prev(app, fx),
        Command::Reset => {
            note(app, Level::Info, "reset: starting over".into());
            new_pass(app, fx);
        }
        Command::TogglePause => {
            app.paused = !app.paused;
            let text = match app.pause_note() {
                Some(paused) => paused.to_string(),
                None if app.pause_freezes_cluster() => {
                    "resumed: the simulated cluster runs on".into()
                }
                None => "resumed: the show's timers run on".into(),
            };
            note(app, Level::Info, text);
        }
        Command::Abort => {
            if !runner::abort(app, "aborted by the presenter".into(), fx) {
                app.hint = Some("nothing running to abort".into());
            }
        }
        Command::Halt => halt_or_release(app, fx),
        Command::ApplyRecommendation => apply_recommendation(app, fx),
        Command::ToggleHelp => app.show_help = true,
        Command::Quit => quit(app, ExitKind::Success, fx),
        Command::Interrupt => quit(app, ExitKind::Signal(SIGINT), fx),
        // Kiosk-only; elsewhere nothing to do.
        Command::ToggleAutoplay | Command::Touch => {}
    }
}

/// In kiosk mode, the keys that end or halt the show (not a release of the
/// hold, which halts nothing).
fn needs_second_press(app: &App, command: Command) -> bool {
    if app.mode != super::Mode::Kiosk {
        return false;
    }
    match command {
        Command::Quit | Command::Interrupt | Command::Reset => true,
        Command::Halt => !app
            .hold
            .as_ref()
            .is_some_and(|h| h.kind == super::HoldKind::Halted),
        _ => false,
    }
}

pub(super) fn next(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(run) = &app.run
        && !run.finished()
        && app.current_chapter().blocks_advance
    {
        let what = run
            .current()
            .map_or_else(String::new, |(a, _)| a.describe());
        app.hint = Some(match run.countdown() {
            Some(_) => "countdown running (ESC aborts it)".into(),
            None => format!("still {what} (ESC abandons it)"),
        });
        return;
    }
    if app.chapter + 1 < app.chapter_count() {
        leave_chapter(app, fx);
        fx.extend(enter_chapter(app, app.chapter + 1));
    } else if app.mode == Mode::Kiosk {
        kiosk::end_pass(app, None, fx);
    } else if app.exit_after_one_pass && app.autoplay() {
        let healthy = pass_ended_healthy(app, None);
        let exit = if healthy {
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

/// Journals the end of the pass; `failure` says why it failed, if it did.
pub(super) fn pass_ended_healthy(app: &mut App, failure: Option<&str>) -> bool {
    let troubles = runner::cluster_troubles(app);
    let healthy = failure.is_none() && troubles.is_empty() && app.fault.is_idle();
    let text = match (failure, troubles.first()) {
        (Some(why), _) => format!("pass {} failed: {why}", app.pass),
        (None, Some(trouble)) => format!("pass {} ended unhealthy: {trouble}", app.pass),
        (None, None) if !app.fault.is_idle() => {
            format!(
                "pass {} ended unhealthy: {}",
                app.pass,
                app.fault.describe()
            )
        }
        (None, None) => format!("pass {} ended with the cluster healthy", app.pass),
    };
    let level = if healthy {
        Level::Good
    } else {
        Level::Critical
    };
    note_kind(app, level, Kind::PassEnd { healthy }, text);
    healthy
}

fn prev(app: &mut App, fx: &mut Vec<Effect>) {
    if app.chapter == 0 {
        app.hint = Some("already at the first chapter".into());
        return;
    }
    leave_chapter(app, fx);
    fx.extend(enter_chapter(app, app.chapter - 1));
}

/// Recovers any fault, clears what the last pass saw and starts the next
/// pass at chapter 1.
pub(super) fn new_pass(app: &mut App, fx: &mut Vec<Effect>) {
    runner::abort(app, "called off: the story starts over".into(), fx);
    leave_chapter(app, fx);
    // An injection still in flight belongs to the pass being left.
    runner::abandon_injection(app);
    request_recovery(app, fx);
    if app.load_running {
        fx.push(Effect::SetLoad {
            run: None,
            running: false,
        });
    }
    clear_pass(app);
    app.pass += 1;
    fx.extend(enter_chapter(app, 0));
}

/// Forgets what the last pass saw: baseline, incidents, evidence, panes.
pub(super) fn clear_pass(app: &mut App) {
    if let Some(kiosk) = app.kiosk.as_mut() {
        kiosk.interlude = None;
    }
    app.monitor.reset();
    app.tracker.reset();
    app.evidence.clear();
    app.timeline = Timeline::default();
    app.agent.state = AgentState::Idle;
    app.agent.transcript.clear();
    app.monitor_lines.clear();
    app.started_up_to = None;
    app.unfinished.clear();
    app.status = None;
    app.paused = false;
}

/// `H`: recover everything, stop the load and hold; `H` again releases the
/// hold and starts the story over.
fn halt_or_release(app: &mut App, fx: &mut Vec<Effect>) {
    if app
        .hold
        .as_ref()
        .is_some_and(|h| h.kind == super::HoldKind::Halted)
    {
        app.hold = None;
        note_kind(
            app,
            Level::Good,
            Kind::HoldReleased,
            "halt released: starting over".into(),
        );
        if let Some(kiosk) = app.kiosk.as_mut() {
            kiosk.interlude = None;
            kiosk.unhealthy_passes = 0;
        }
        new_pass(app, fx);
        return;
    }
    runner::abort(app, "halted".into(), fx);
    runner::abandon_injection(app);
    request_recovery(app, fx);
    if app.load_running {
        fx.push(Effect::SetLoad {
            run: None,
            running: false,
        });
    }
    let mut tried = Vec::new();
    if let Some(fault) = app.fault.fault() {
        tried.push(format!("{} {}", fault.kind.recovery(), fault.service));
    }
    kiosk::hold(
        app,
        super::HoldKind::Halted,
        "halted by the presenter (H resumes)".into(),
        tried,
    );
    // The story stays where it is: no chapter moves on by itself.
    app.dwell = None;
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
    let fault = match &app.fault {
        FaultState::InPlace(fault) | FaultState::RecoveryFailed { fault, .. } => fault.clone(),
        FaultState::Idle => {
            app.hint = Some("no fault in place: nothing to recover".into());
            return;
        }
        other => {
            app.hint = Some(format!("{}: wait a moment", other.describe()));
            return;
        }
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
    request_recovery(app, fx);
}

pub(super) fn quit(app: &mut App, exit: ExitKind, fx: &mut Vec<Effect>) {
    if app.quitting {
        return;
    }
    app.quitting = true;
    app.show_help = false;
    app.hint = Some("leaving…".into());
    if let Some(fault) = app.fault.fault() {
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
    let title = app.script.chapters[index].title.clone();
    let already_run =
        app.started_up_to.is_some_and(|up_to| index <= up_to) && !app.unfinished.contains(&index);
    let opening = entry(
        app,
        app.now,
        Level::Info,
        Kind::Chapter { index },
        format!("chapter {}/{}: {title}", index + 1, app.chapter_count()),
    );
    record(app, opening);
    let mut fx = Vec::new();
    if already_run {
        app.run = None;
        if !app.current_chapter().on_enter.is_empty() {
            app.status = Some(ActionStatus::Done(
                "already run in this pass: not run again".into(),
            ));
        }
        if app.autoplay() {
            app.dwell = Some(Timer::new(app.current_chapter().dwell));
        }
        return fx;
    }
    app.started_up_to = Some(index);
    // What later chapters did followed from this one's run, which starts anew.
    app.unfinished.retain(|&i| i < index);
    let run = new_run_id(app);
    let chapter = app.current_chapter();
    let lead_in = if app.autoplay() {
        chapter.lead_in
    } else {
        Duration::ZERO
    };
    app.run = Some(ChapterRun::with_lead_in(
        run,
        chapter.on_enter.clone(),
        lead_in,
    ));
    if app.run.as_ref().is_some_and(|r| r.state == RunState::Done) && app.autoplay() {
        app.dwell = Some(Timer::new(app.current_chapter().dwell));
    }
    runner::advance(app, &mut fx);
    fx
}

/// Stops what the current chapter is doing. Effects already sent still land
/// (a fault that was injected is recorded), but no longer move the chapter.
pub(super) fn leave_chapter(app: &mut App, fx: &mut Vec<Effect>) {
    if let AgentState::Working { .. } = app.agent.state {
        fx.push(Effect::CancelDiagnosis);
        app.agent.state = AgentState::Failed("cancelled: the presenter moved on".into());
    }
    if app.run.as_ref().is_some_and(|r| !r.finished()) {
        app.unfinished.insert(app.chapter);
    }
    app.run = None;
    app.dwell = None;
}

fn new_run_id(app: &mut App) -> super::RunId {
    let id = app.next_run;
    app.next_run += 1;
    id
}

/// Asks for the ledger's fault to be undone, unless that is under way.
pub(super) fn request_recovery(app: &mut App, fx: &mut Vec<Effect>) {
    let fault = match &app.fault {
        FaultState::InPlace(fault) | FaultState::RecoveryFailed { fault, .. } => fault.clone(),
        _ => return,
    };
    let recovery = fault.kind.recovery();
    let service = fault.service.clone();
    if runner::recovering_in_this_run(app) {
        app.status = Some(ActionStatus::Running(format!("{recovery} {service}")));
    }
    app.timeline.recovery_started = Some(app.now);
    note_kind(
        app,
        Level::Info,
        Kind::RecoveryStarted {
            recovery,
            service: service.clone(),
        },
        format!("recovery asked: {recovery} {service}"),
    );
    app.fault = FaultState::Recovering {
        fault,
        since: app.now,
    };
    fx.push(Effect::Recover { recovery, service });
}

// ---- time -------------------------------------------------------------------

fn on_tick(app: &mut App, now: Duration, fx: &mut Vec<Effect>) {
    let delta = now.saturating_sub(app.timers_at);
    app.timers_at = app.timers_at.max(now);
    observe::catch_up(app, now);
    kiosk::tick(app, delta);
    let asked = app.confirm.map(|p| confirm::ask(p.command));
    if confirm::expire(&mut app.confirm, now) && app.hint.as_deref() == asked {
        app.hint = None;
    }
    if app.paused {
        return;
    }
    if let Some(run) = app.run.as_mut() {
        run.elapse(delta);
    }
    if let Some(dwell) = app.dwell.as_mut() {
        dwell.left = dwell.left.saturating_sub(delta);
        if dwell.left.is_zero() && !app.quitting {
            app.dwell = None;
            dwell_over(app, fx);
        }
    }
}

/// The chapter's time is up: move on, or in kiosk mode end a failed pass.
fn dwell_over(app: &mut App, fx: &mut Vec<Effect>) {
    let failure = match app.run.as_ref().map(|r| &r.state) {
        Some(RunState::Failed(why) | RunState::Aborted(why)) => Some(why.clone()),
        _ => None,
    };
    match failure {
        Some(why) if app.mode == Mode::Kiosk => kiosk::end_pass(app, Some(&why), fx),
        _ => next(app, fx),
    }
}
