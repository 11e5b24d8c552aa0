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

/// A pane that scrolls. Scrolling is the front end's view state, not the
/// story's: it never reaches `update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Agent,
    Monitor,
}

/// Lines to scroll `pane` by (negative: up) for a key that scrolls one.
pub fn scroll_for(key: KeyEvent) -> Option<(Pane, isize)> {
    if key.kind != KeyEventKind::Press || key.modifiers.contains(KeyModifiers::CONTROL) {
        return None;
    }
    Some(match key.code {
        KeyCode::Up => (Pane::Agent, -1),
        KeyCode::Down => (Pane::Agent, 1),
        KeyCode::Char('[') => (Pane::Monitor, -1),
        KeyCode::Char(']') => (Pane::Monitor, 1),
        _ => return None,
    })
}

/// One entry of the key table: the keys, the footer's short form (if the
/// footer shows it) and the help's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHint {
    pub keys: &'static str,
    /// The footer's key and word, in the order the footer drops them last.
    pub footer: Option<(&'static str, &'static str)>,
    pub help: &'static str,
}

const fn hint(
    keys: &'static str,
    footer: Option<(&'static str, &'static str)>,
    help: &'static str,
) -> KeyHint {
    KeyHint { keys, footer, help }
}

/// The keys, as the footer and the help overlay list them: the one table.
pub const KEYS: &[KeyHint] = &[
    hint(
        "SPACE ENTER → PgDn j",
        Some(("SPACE", "next")),
        "next chapter",
    ),
    hint(
        "← PgUp Backspace k",
        Some(("←", "back")),
        "previous chapter (never re-runs a fault)",
    ),
    hint("ESC", Some(("ESC", "abort")), "abandon the running action"),
    hint(
        AGENT_SCROLL,
        Some((AGENT_SCROLL, "agent")),
        "scroll the agent pane",
    ),
    hint(
        MONITOR_SCROLL,
        Some((MONITOR_SCROLL, "monitor")),
        "scroll the monitor pane",
    ),
    hint(
        "r",
        Some(("r", "reset")),
        "reset: recover any fault, start over",
    ),
    hint("p", Some(("p", "pause")), "pause or resume timers"),
    hint("H", None, "halt: recover, stop the load, hold (H again)"),
    hint("K", None, "kiosk: autoplay off or on"),
    hint("a", None, "apply the agent's recommended recovery"),
    hint("?", Some(("?", "help")), "this help"),
    hint(
        "q Ctrl+C",
        Some(("q", "quit")),
        "quit (recovers any fault first)",
    ),
];

/// The scroll keys of each pane, as shown beside a pane that has more.
pub const AGENT_SCROLL: &str = "↑↓";
pub const MONITOR_SCROLL: &str = "[ ]";

/// The keys as (keys, what) pairs, for the help overlay.
pub fn help_rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    KEYS.iter().map(|k| (k.keys, k.help))
}

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
    fn arrows_and_brackets_scroll_the_panes_and_are_in_the_table() {
        let press = |code| key(code, KeyEventKind::Press);
        assert_eq!(scroll_for(press(KeyCode::Down)), Some((Pane::Agent, 1)));
        assert_eq!(scroll_for(press(KeyCode::Up)), Some((Pane::Agent, -1)));
        assert_eq!(
            scroll_for(press(KeyCode::Char(']'))),
            Some((Pane::Monitor, 1))
        );
        assert_eq!(scroll_for(press(KeyCode::Char(' '))), None);
        assert_eq!(scroll_for(key(KeyCode::Down, KeyEventKind::Release)), None);
        for keys in [AGENT_SCROLL, MONITOR_SCROLL] {
            assert!(KEYS.iter().any(|k| k.keys == keys && k.footer.is_some()));
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
