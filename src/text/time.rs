//! Times in words: the show clock, spans, seconds with one decimal, `T+`
//! stamps, ages and latencies. Every time the screen, the plain output, the
//! monitor, the agent and the logs write is written here, so they all read
//! alike (seconds always with one decimal: `12.3s`).

use std::time::Duration;

/// Seconds with one decimal: `12.3s`.
pub fn seconds(s: f64) -> String {
    format!("{s:.1}s")
}

/// A duration in seconds with one decimal: `12.3s`.
pub fn secs(d: Duration) -> String {
    seconds(d.as_secs_f64())
}

/// The seconds of a duration with one decimal and no unit (`12.3`), for a
/// figure whose unit is said beside it.
pub fn tenths(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

/// An age with one decimal, cut down rather than rounded (`6.9s` for
/// 6.96 s), so it never reads ahead of the same age in whole seconds
/// ([`age`]'s `6s`).
pub fn age_tenths(d: Duration) -> String {
    let tenths = d.as_millis() / 100;
    format!("{}.{}s", tenths / 10, tenths % 10)
}

/// Time left in whole seconds, rounded up (`5s` until it is over).
pub fn whole_secs(d: Duration) -> String {
    format!("{}s", d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

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

/// A span: `12.3s`, and `0.2s` below a second too, as every other time
/// on screen (latencies alone are in ms: [`latency`]).
pub fn span(d: Duration) -> String {
    secs(d)
}

/// Show-clock times (`01:39.0`, from [`clock`]) in text from elsewhere
/// (the analyzer's words) as `T+` stamps once at or after the fault at
/// `fault_at`: the screen's one time base. Earlier times stay show time.
pub fn restamp(text: &str, fault_at: Option<Duration>) -> std::borrow::Cow<'_, str> {
    static CLOCK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\b(?:(\d+):)?(\d{2}):(\d{2})\.(\d)\b").expect("a valid pattern")
    });
    let Some(fault_at) = fault_at else {
        return std::borrow::Cow::Borrowed(text);
    };
    CLOCK.replace_all(text, |caps: &regex::Captures| {
        let part = |i: usize| {
            caps.get(i)
                .map_or(0, |m| m.as_str().parse::<u64>().unwrap_or(0))
        };
        let tenths = ((part(1) * 60 + part(2)) * 60 + part(3)) * 10 + part(4);
        let at = Duration::from_millis(tenths * 100);
        // The clock cut to tenths: a time in the fault's tenth is the fault's.
        let fault_tenth = Duration::from_millis(fault_at.as_millis() as u64 / 100 * 100);
        if at >= fault_tenth {
            stamp(at, Some(at.saturating_sub(fault_at)))
        } else {
            caps[0].to_string()
        }
    })
}

/// `T+12.3s` after the fault, or `mm:ss` of show time before it.
pub fn stamp(at: Duration, after_fault: Option<Duration>) -> String {
    match after_fault {
        Some(after) => format!("T+{}", secs(after)),
        None => {
            let s = at.as_secs();
            format!("{:02}:{:02}", s / 60, s % 60)
        }
    }
}

/// `3s`, `24s`, `2m05s`, `59m`, `1h05m`, `23h`, `41d`: at most five columns, so a
/// heartbeat years old (a stale PD sample) fits its column too.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    let (hours, days) = (s / 3600, s / 86_400);
    if s < 60 {
        format!("{s}s")
    } else if s < 600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if hours < 10 {
        format!("{hours}h{:02}m", (s % 3600) / 60)
    } else if hours < 48 {
        format!("{hours}h")
    } else if days < 10_000 {
        format!("{days}d")
    } else {
        // Ten thousand days: older than any cluster.
        ">27y".to_string()
    }
}

/// Whole hours and minutes, as long as it runs: `0h07m`, `26h05m` (a kiosk's
/// uptime).
pub fn hours_minutes(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}h{:02}m", s / 3600, s / 60 % 60)
}

/// `12.3ms`, `340ms`, `2.1s`: never a four-digit figure without its comma.
pub fn latency(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else if ms < 999.5 {
        format!("{ms:.0}ms")
    } else {
        secs(d)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_age_in_tenths_never_reads_ahead_of_its_whole_seconds() {
        use std::time::Duration;
        let d = Duration::from_millis(6_960);
        assert_eq!(super::age_tenths(d), "6.9s");
        assert_eq!(super::age(d), "6s");
        assert_eq!(super::age_tenths(Duration::from_secs(20)), "20.0s");
    }

    use super::*;

    #[test]
    fn seconds_have_one_decimal() {
        assert_eq!(secs(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(secs(Duration::from_millis(500)), "0.5s");
        assert_eq!(secs(Duration::ZERO), "0.0s");
        assert_eq!(seconds(7.96), "8.0s");
        assert_eq!(tenths(Duration::from_millis(7_960)), "8.0");
    }

    #[test]
    fn clock_formats_minutes_and_hours() {
        assert_eq!(clock(Duration::from_millis(72_340)), "01:12.3");
        assert_eq!(clock(Duration::from_secs(3_725)), "1:02:05.0");
    }

    #[test]
    fn a_span_is_in_seconds_below_a_second_too() {
        assert_eq!(span(Duration::from_millis(250)), "0.2s");
        assert_eq!(span(Duration::from_millis(12_340)), "12.3s");
    }

    #[test]
    fn show_clock_times_after_the_fault_become_t_plus_stamps() {
        let fault = Some(Duration::from_millis(99_050));
        assert_eq!(
            restamp("killed at 01:39.0: it went; healthy at 01:38.0", fault),
            "killed at T+0.0s: it went; healthy at 01:38.0"
        );
        let whole = Some(Duration::from_secs(99));
        assert_eq!(
            restamp("well again at 1:02:05.0", whole),
            "well again at T+3626.0s"
        );
        assert_eq!(restamp("at 01:39.0", None), "at 01:39.0");
        // Not a clock: left alone.
        assert_eq!(
            restamp("tikv1:20160 and 12.3s", fault),
            "tikv1:20160 and 12.3s"
        );
    }

    #[test]
    fn stamps_count_from_the_fault_or_the_show() {
        assert_eq!(stamp(Duration::from_secs(75), None), "01:15");
        assert_eq!(
            stamp(Duration::from_secs(75), Some(Duration::from_millis(12_340))),
            "T+12.3s"
        );
    }

    #[test]
    fn ages_fit_five_columns() {
        assert_eq!(age(Duration::from_secs(125)), "2m05s");
        assert_eq!(age(Duration::from_secs(3_900)), "1h05m");
        assert_eq!(age(Duration::from_secs(23 * 3600)), "23h");
        assert_eq!(age(Duration::from_secs(41 * 86_400)), "41d");
        assert_eq!(age(Duration::from_secs(257_985_940)), "2985d");
        assert_eq!(age(Duration::MAX), ">27y");
        assert_eq!(age(Duration::from_secs(3_599)), "59m");
        for secs in [0, 59, 599, 3_599, 35_999, 172_799, 863_913_599, u64::MAX] {
            assert!(
                age(Duration::from_secs(secs)).chars().count() <= 5,
                "{secs}"
            );
        }
    }

    #[test]
    fn hours_and_minutes_keep_counting_hours() {
        assert_eq!(hours_minutes(Duration::from_secs(420)), "0h07m");
        assert_eq!(
            hours_minutes(Duration::from_secs(26 * 3600 + 300)),
            "26h05m"
        );
    }

    #[test]
    fn latencies_read_well() {
        assert_eq!(latency(Duration::from_micros(12_300)), "12ms");
        assert_eq!(latency(Duration::from_micros(2_340)), "2.3ms");
        assert_eq!(latency(Duration::from_millis(2_065)), "2.1s");
        assert_eq!(latency(Duration::from_micros(999_400)), "999ms");
    }
}
