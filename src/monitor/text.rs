//! Small text helpers shared by the monitor and the agent.
//!
//! Names such as services come from the outside world (Compose files, Docker,
//! PD). They are cleaned where they enter; `plain` is the same cleaner
//! ([`crate::text::clean_line`]) for text the monitor and the agent quote.

use std::time::Duration;

pub use crate::text::clean_line as plain;

/// A show time as `mm:ss.s` (or `h:mm:ss.s` past the hour).
pub fn clock(at: Duration) -> String {
    let tenths = at.as_millis() / 100;
    let (secs, tenth) = (tenths / 10, tenths % 10);
    let (mins, sec) = (secs / 60, secs % 60);
    if mins >= 60 {
        format!("{}:{:02}:{:02}.{tenth}", mins / 60, mins % 60, sec)
    } else {
        format!("{mins:02}:{sec:02}.{tenth}")
    }
}

/// A span such as `12.3s` or `250ms`.
pub fn span(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// `1 region` / `3 regions`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_is_the_one_cleaner() {
        assert_eq!(plain("tikv-1_{x}"), "tikv-1_{x}");
        assert_eq!(plain("tikv\u{1b}[31m1\n"), "tikv␛[31m1␊");
    }

    #[test]
    fn clock_formats_minutes_and_hours() {
        assert_eq!(clock(Duration::from_millis(72_340)), "01:12.3");
        assert_eq!(clock(Duration::from_secs(3_725)), "1:02:05.0");
    }

    #[test]
    fn span_switches_to_milliseconds_below_a_second() {
        assert_eq!(span(Duration::from_millis(250)), "250ms");
        assert_eq!(span(Duration::from_millis(12_340)), "12.3s");
    }
}
