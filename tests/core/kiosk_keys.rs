//! A booth a visitor cannot stop: in kiosk mode `q`, Ctrl+C, `H` and `r`
//! need a second press within the window; the first says so and the story
//! goes on. Signals act at once, and the presenter's single press stays.

use std::time::Duration;

use chaosdeck::app::{App, Command, Effect, ExitKind, Mode, Msg, update};
use chaosdeck::story::default_script;

use chaosdeck::testing;

fn kiosk() -> App {
    let mut app = App::new(testing::config(default_script(), Mode::Kiosk));
    app.start();
    app
}

fn press(app: &mut App, command: Command) -> Vec<Effect> {
    update(app, Msg::Command(command))
}

fn quits(fx: &[Effect]) -> bool {
    fx.iter().any(|e| matches!(e, Effect::Quit { .. }))
}

fn at(app: &mut App, secs: f64) {
    let now = Duration::from_secs_f64(secs);
    app.set_now(now);
    update(app, Msg::Tick(now));
}

#[test]
fn one_q_in_kiosk_mode_asks_for_a_second_and_the_story_goes_on() {
    let mut app = kiosk();
    let fx = press(&mut app, Command::Quit);
    assert!(!quits(&fx), "{fx:?}");
    assert!(!app.quitting());
    assert_eq!(app.hint(), Some("press q again to end the booth show"));
    assert!(app.autoplay(), "no step-in: the story goes on by itself");
    // The second press within the window ends the show.
    at(&mut app, 2.0);
    let fx = press(&mut app, Command::Quit);
    assert!(quits(&fx), "{fx:?}");
}

#[test]
fn a_first_press_expires_and_its_words_go_with_it() {
    let mut app = kiosk();
    press(&mut app, Command::Quit);
    assert!(
        app.next_timer()
            .is_some_and(|t| t <= Duration::from_secs(4))
    );
    at(&mut app, 3.5);
    assert_eq!(app.hint(), None, "the ask is gone with its window");
    let fx = press(&mut app, Command::Quit);
    assert!(!quits(&fx), "a late second press is a first again");
}

#[test]
fn ctrl_c_h_and_r_need_a_second_press_too() {
    for (command, words) in [
        (
            Command::Interrupt,
            "press Ctrl+C again to end the booth show",
        ),
        (Command::Halt, "press H again to halt the booth show"),
        (Command::Reset, "press r again to start the booth show over"),
    ] {
        let mut app = kiosk();
        let pass = app.pass();
        let fx = press(&mut app, command);
        assert!(!quits(&fx), "{command:?}: {fx:?}");
        assert_eq!(app.hint(), Some(words), "{command:?}");
        assert!(
            app.hold().is_none() && app.pass() == pass,
            "{command:?} did nothing yet"
        );
        let fx = press(&mut app, command);
        match command {
            Command::Interrupt => assert!(
                fx.iter().any(|e| matches!(
                    e,
                    Effect::Quit {
                        exit: ExitKind::Signal(2)
                    }
                )),
                "{fx:?}"
            ),
            Command::Halt => assert!(app.hold().is_some(), "halted"),
            _ => assert!(
                app.journal().entries().any(|e| e.text.contains("reset")),
                "reset"
            ),
        }
    }
}

#[test]
fn another_key_between_the_presses_cancels_the_first() {
    let mut app = kiosk();
    press(&mut app, Command::Quit);
    press(&mut app, Command::Touch);
    assert!(!quits(&press(&mut app, Command::Quit)));
}

#[test]
fn signals_from_outside_act_at_once_in_kiosk_mode() {
    let mut app = kiosk();
    let fx = update(
        &mut app,
        Msg::Signal {
            number: 15,
            name: "SIGTERM".into(),
        },
    );
    assert!(quits(&fx), "{fx:?}");
}

#[test]
fn the_presenter_quits_with_one_press() {
    let mut app = testing::default_app();
    app.start();
    assert!(quits(&press(&mut app, Command::Quit)));
}

#[test]
fn q_with_the_help_open_closes_the_help() {
    let mut app = testing::default_app();
    app.start();
    press(&mut app, Command::ToggleHelp);
    assert!(app.show_help());
    let fx = press(&mut app, Command::Quit);
    assert!(!quits(&fx) && !app.show_help(), "{fx:?}");
    assert!(quits(&press(&mut app, Command::Quit)));
}
