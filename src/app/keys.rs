//! The key map. Presentation clickers send PageDown/PageUp, so they work as is.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::msg::Command;

/// The command a key press means. Releases and repeats reported as separate
/// events (kitty keyboard protocol, Windows) are ignored.
pub fn command_for(key: KeyEvent) -> Option<Command> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
            .then_some(Command::Interrupt);
    }
    Some(match key.code {
        KeyCode::Char(' ')
        | KeyCode::Enter
        | KeyCode::Right
        | KeyCode::PageDown
        | KeyCode::Char('j') => Command::Next,

        KeyCode::Left | KeyCode::PageUp | KeyCode::Backspace | KeyCode::Char('k') => Command::Prev,

        KeyCode::Char('r') => Command::Reset,
        KeyCode::Char('p') => Command::TogglePause,
        KeyCode::Char('a') => Command::ApplyRecommendation,
        KeyCode::Esc => Command::Abort,
        KeyCode::Char('?') => Command::ToggleHelp,
        KeyCode::Char('H') => Command::Halt,
        KeyCode::Char('K') => Command::ToggleAutoplay,
        KeyCode::Char('q') | KeyCode::Char('Q') => Command::Quit,
        // Any other key: in kiosk mode a person is there.
        _ => Command::Touch,
    })
}

/// The keys as the footer and the help overlay list them.
pub const KEY_HELP: &[(&str, &str)] = &[
    ("SPACE ENTER → PgDn j", "next chapter"),
    (
        "← PgUp Backspace k",
        "previous chapter (never re-runs a fault)",
    ),
    ("ESC", "abandon the running action"),
    ("r", "reset: recover any fault, start over"),
    ("p", "pause or resume timers"),
    ("H", "halt: recover, stop the load, hold (H again)"),
    ("K", "kiosk: autoplay off or on"),
    ("a", "apply the agent's recommended recovery"),
    ("?", "this help"),
    ("q Ctrl+C", "quit (recovers any fault first)"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn key(code: KeyCode, kind: KeyEventKind) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind,
            state: KeyEventState::NONE,
        }
    }

    #[test]
    fn clickers_and_presenter_keys_advance() {
        for code in [
            KeyCode::Char(' '),
            KeyCode::Enter,
            KeyCode::Right,
            KeyCode::PageDown,
            KeyCode::Char('j'),
        ] {
            assert_eq!(
                command_for(key(code, KeyEventKind::Press)),
                Some(Command::Next),
                "{code:?}"
            );
        }
        for code in [
            KeyCode::Left,
            KeyCode::PageUp,
            KeyCode::Backspace,
            KeyCode::Char('k'),
        ] {
            assert_eq!(
                command_for(key(code, KeyEventKind::Press)),
                Some(Command::Prev),
                "{code:?}"
            );
        }
    }

    #[test]
    fn only_presses_count() {
        for kind in [KeyEventKind::Release, KeyEventKind::Repeat] {
            assert_eq!(command_for(key(KeyCode::Char(' '), kind)), None);
        }
    }

    #[test]
    fn ctrl_c_quits_and_other_chords_do_nothing() {
        let mut ctrl_c = key(KeyCode::Char('c'), KeyEventKind::Press);
        ctrl_c.modifiers = KeyModifiers::CONTROL;
        assert_eq!(command_for(ctrl_c), Some(Command::Interrupt));
        let mut ctrl_r = key(KeyCode::Char('r'), KeyEventKind::Press);
        ctrl_r.modifiers = KeyModifiers::CONTROL;
        assert_eq!(command_for(ctrl_r), None);
    }
}
