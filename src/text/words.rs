//! Show time, spans and counts in words, shared by the monitor, the agent
//! and the app (who all quote them in their lines).

use std::time::Duration;

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
