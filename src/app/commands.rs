//! The presenter's commands and the passing of time.

use std::time::Duration;

use super::booth::{HoldKind, KeyAtBooth};
use super::conduct::{
    booth_asked, catch_up, new_pass, note, quit, request_recovery, stand_down, with_story,
};
use super::journal::{Level, Undoer};
use super::msg::{Command, Effect, ExitKind, SIGINT};
use super::{AgentState, App, Mode};

pub(super) fn on_command(app: &mut App, command: Command, fx: &mut Vec<Effect>) {
    app.stage.clear_hint();
    if app.stage.quitting() {
        return;
    }
    if app.stage.show_help() && command != Command::Interrupt {
        // Any key closes the help first (`q` too); `?` only toggles.
        app.stage.close_help();
        return;
    }
    if let Err(words) = app.booth.second_press(app.mode, command, app.now) {
        app.stage.say(words);
        return;
    }
    let mut asks = Vec::new();
    let at_booth = app
        .booth
        .on_command(command, app.now, &mut app.chronicle, &mut asks);
    booth_asked(app, asks, fx);
    if at_booth == KeyAtBooth::Taken {
        return;
    }
    if app.booth.halted() && matches!(command, Command::Next | Command::Prev) {
        // Held where it is: no chapter moves, and the way out is named.
        app.stage.say("on hold: H releases it and starts over");
        return;
    }
    match command {
        Command::Next => with_story(app, fx, |story, scene, log, asks| {
            story.next(scene, log, asks)
        }),
        Command::Prev => with_story(app, fx, |story, scene, log, asks| {
            story.prev(scene, log, asks)
        }),
        Command::Reset => {
            note(app, Level::Info, "reset: starting over".into());
            new_pass(app, fx);
        }
        Command::TogglePause => {
            app.stage.toggle_pause();
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
            let aborted = with_story(app, fx, |story, scene, log, asks| {
                story.abort("aborted by the presenter".into(), scene, log, asks)
            });
            if !aborted {
                app.stage.say("nothing running to abort");
            }
        }
        Command::Halt => halt_or_release(app, fx),
        Command::ApplyRecommendation => apply_recommendation(app, fx),
        Command::ToggleHelp => app.stage.open_help(),
        Command::Quit => quit(app, ExitKind::Success, fx),
        Command::Interrupt => quit(app, ExitKind::Signal(SIGINT), fx),
        // Kiosk-only; elsewhere nothing to do.
        Command::ToggleAutoplay | Command::Touch => {}
    }
}

/// `a`: applies the agent's allowlisted recommendation through the story's
/// own recovery path, and only when it undoes the fault in place (so the
/// fault ledger stays true). Only a presenter may: in the other modes the
/// story's recovery runs, never an agent's.
pub(super) fn apply_recommendation(app: &mut App, fx: &mut Vec<Effect>) {
    if app.mode != Mode::Presenter {
        app.stage
            .say("only a presenter applies a recommendation: the story recovers by itself");
        return;
    }
    let AgentState::Done { diagnosis, .. } = app.agent.state() else {
        app.stage.say("no diagnosis to apply yet");
        return;
    };
    let Some((action, by)) = diagnosis.applicable_action() else {
        app.stage.say("the agent recommends no allowed action");
        return;
    };
    let (action, by) = (action.clone(), by.to_string());
    let fault = match app.ledger.recoverable() {
        Some(fault) => fault.clone(),
        None if app.ledger.is_idle() => {
            app.stage.say("no fault in place: nothing to recover");
            return;
        }
        None => {
            app.stage
                .say(format!("{}: wait a moment", app.ledger.describe()));
            return;
        }
    };
    if fault.service != action.service || fault.kind().recovery() != action.recovery {
        app.stage.say(format!(
            "{} {} would not undo the fault in place ({} on {}): not applied",
            action.recovery,
            action.service,
            fault.kind(),
            fault.service
        ));
        return;
    }
    let what = format!("{} {}", action.recovery, action.service);
    note(
        app,
        Level::Info,
        format!("presenter applies {by}'s recommendation: {what}"),
    );
    app.agent.apply(what.clone());
    app.stage.say(format!("applied the agent's action: {what}"));
    request_recovery(app, Undoer::Presenter, fx);
}

/// `H`: recover everything, stop the load and hold; `H` again releases the
/// hold and starts the story over.
pub(super) fn halt_or_release(app: &mut App, fx: &mut Vec<Effect>) {
    if app.booth.halted() {
        app.booth.release_halt(app.now, &mut app.chronicle);
        new_pass(app, fx);
        return;
    }
    stand_down(app, "halted", false, fx);
    let tried = app
        .ledger
        .fault()
        .map(|fault| format!("{} {}", fault.kind().recovery(), fault.service))
        .into_iter()
        .collect();
    app.booth.hold_show(
        HoldKind::Halted,
        "halted by the presenter (H resumes)".into(),
        tried,
        app.now,
        &mut app.chronicle,
    );
    // The story stays where it is: no chapter moves on by itself.
    app.story.stop_dwell();
}

pub(super) fn on_tick(app: &mut App, now: Duration, fx: &mut Vec<Effect>) {
    let delta = now.saturating_sub(app.timers_at);
    app.timers_at = app.timers_at.max(now);
    catch_up(app, now);
    let mut asks = Vec::new();
    let expired = app
        .booth
        .tick(delta, app.now, &mut app.chronicle, &mut asks);
    booth_asked(app, asks, fx);
    if let Some(words) = expired {
        app.stage.clear_hint_if(words);
    }
    if app.stage.paused() {
        return;
    }
    let may_move_on = !app.stage.quitting();
    with_story(app, fx, |story, scene, log, asks| {
        story.elapse(delta, may_move_on, scene, log, asks);
    });
}
