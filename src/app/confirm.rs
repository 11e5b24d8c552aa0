//! In kiosk mode the keys that end or halt the show (`q`, Ctrl+C, `H`, `r`)
//! need a second press within a short window: a visitor's stray key never
//! ends a booth. Signals from outside still act at once, and a presenter's
//! single press stays single.

use std::time::Duration;

use super::msg::Command;

/// Real time a second press may take; the app counts it in show time (see
/// [`window_at_speed`]), like all of its timers.
pub const WINDOW: Duration = Duration::from_secs(3);

/// [`WINDOW`] in show time, at the show's speed.
pub fn window_at_speed(speed: f64) -> Duration {
    WINDOW.mul_f64(speed.max(f64::MIN_POSITIVE))
}

/// A first press waiting for its second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub command: Command,
    /// Show time by which the second press must come.
    pub until: Duration,
}

/// What a guarded key press does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Press {
    /// The second press in time: carry the command out.
    Act,
    /// A first press: say how to confirm, and carry on.
    AskAgain(&'static str),
}

/// A press of `command` at `now`, given what was pending (now replaced).
pub fn press(
    pending: &mut Option<Pending>,
    command: Command,
    now: Duration,
    window: Duration,
) -> Press {
    if pending.is_some_and(|p| p.command == command && now <= p.until) {
        *pending = None;
        return Press::Act;
    }
    *pending = Some(Pending {
        command,
        until: now + window,
    });
    Press::AskAgain(ask(command))
}

/// Forgets a first press whose window has passed; true when it did.
pub fn expire(pending: &mut Option<Pending>, now: Duration) -> bool {
    if pending.is_some_and(|p| now > p.until) {
        *pending = None;
        return true;
    }
    false
}

/// The words that ask for the second press.
pub fn ask(command: Command) -> &'static str {
    match command {
        Command::Interrupt => "press Ctrl+C again to end the booth show",
        Command::Halt => "press H again to halt the booth show",
        Command::Reset => "press r again to start the booth show over",
        _ => "press q again to end the booth show",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Duration = Duration::from_secs(3);

    #[test]
    fn a_second_press_in_time_acts() {
        let mut pending = None;
        let first = press(&mut pending, Command::Quit, Duration::ZERO, W);
        assert_eq!(
            first,
            Press::AskAgain("press q again to end the booth show")
        );
        assert_eq!(press(&mut pending, Command::Quit, W, W), Press::Act);
        assert_eq!(pending, None);
    }

    #[test]
    fn a_late_or_other_second_press_asks_again() {
        let mut pending = None;
        press(&mut pending, Command::Quit, Duration::ZERO, W);
        let late = press(&mut pending, Command::Quit, W + Duration::from_millis(1), W);
        assert!(matches!(late, Press::AskAgain(_)));
        let other = press(&mut pending, Command::Halt, W + Duration::from_millis(2), W);
        assert_eq!(
            other,
            Press::AskAgain("press H again to halt the booth show")
        );
    }

    #[test]
    fn a_first_press_expires_after_its_window() {
        let mut pending = None;
        press(&mut pending, Command::Reset, Duration::ZERO, W);
        assert!(!expire(&mut pending, W));
        assert!(expire(&mut pending, W + Duration::from_millis(1)));
        assert_eq!(pending, None);
    }

    #[test]
    fn the_window_follows_the_speed() {
        assert_eq!(window_at_speed(20.0), Duration::from_secs(60));
        assert_eq!(window_at_speed(1.0), WINDOW);
    }
}
