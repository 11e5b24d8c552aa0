//! `update`: the router, and the only way into the app's state. Plain and
//! synchronous: the world's answers arrive as messages, the world's work
//! leaves as effects. Each message goes to the room that owns what it
//! changes; after it, in a fixed order, the world's milestones are read,
//! the story and then the booth move on, and what each asks is carried out
//! ([`super::conduct`]).

use super::conduct::{catch_up, drive_booth, drive_story, enter_chapter, note, note_kind, quit};
use super::journal::{Kind, Level, Undoer};
use super::msg::{Effect, ExitKind, Msg, SIGHUP};
use super::story::Way;
use super::{App, answers, commands, episode};

/// Applies one message and returns the work it asks of the world.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Start(now) => {
            app.now = now;
            app.timers_at = now;
            app.booth.start(now);
            enter_chapter(app, 0, Way::Forwards, &mut fx);
            return fx;
        }
        Msg::Command(command) => commands::on_command(app, command, &mut fx),
        Msg::Tick(now) => commands::on_tick(app, now, &mut fx),
        Msg::Snapshot(result) => {
            if let Ok(snapshot) = &result {
                catch_up(app, snapshot.taken_at);
            }
            app.world.on_snapshot(result, app.now, &mut app.chronicle);
        }
        Msg::Event(event) => {
            catch_up(app, event.at);
            app.world
                .on_event(event, &app.ledger, app.now, &mut app.chronicle);
        }
        Msg::Sample(sample) => {
            catch_up(app, sample.at);
            app.world.on_sample(sample, app.now, &mut app.chronicle);
        }
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
        Msg::AgentLine { run, line } => {
            let after_fault = app.chronicle.timeline().after_fault(app.now);
            app.agent.line(run, app.now, after_fault, line);
        }
        Msg::Diagnosed { run, result } => answers::on_diagnosed(app, run, result, &mut fx),
        Msg::Redraw => {}
        Msg::Signal { number, name } => {
            note(app, Level::Warning, format!("leaving: received {name}"));
            quit(app, ExitKind::Signal(number), &mut fx);
        }
        Msg::TerminalGone(why) => {
            let text = format!("leaving: the terminal is gone ({why})");
            note(app, Level::Warning, text);
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
                by: Some(Undoer::Leaving),
            };
            note_kind(app, level, kind, left.message);
        }
        Msg::TaskTrouble { task, what } => {
            note_kind(app, Level::Critical, Kind::Error, format!("{task}: {what}"));
            app.stage.say(format!("{task} restarted after: {what}"));
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
    if !app.stage.quitting() {
        app.world.note_detection(&mut app.chronicle);
        app.world
            .note_recovery(&app.ledger, app.now, &mut app.chronicle);
        episode::note_load_back(&app.world, &mut app.chronicle);
        drive_story(app, &mut fx);
        drive_booth(app, &mut fx);
        if app.story.run().is_none_or(|r| r.finished()) {
            app.stage.run_ended();
        }
    }
    keep_time_in_step(app, &mut fx);
    fx
}

/// On the simulator show time stands still while paused; whatever ended
/// the pause (the key, a reset, leaving) lets it run on.
fn keep_time_in_step(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(frozen) = app.stage.freeze_change(app.pause_freezes_cluster()) {
        fx.push(Effect::FreezeTime { frozen });
    }
}
