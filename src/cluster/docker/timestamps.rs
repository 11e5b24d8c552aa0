//! Docker's RFC 3339 timestamps (log line prefixes, `SystemTime`) as Unix
//! nanoseconds, and back into the `since` parameter. No date crate needed
//! for this one format.

/// Parses `2026-11-23T09:02:01.123456789Z` or `...+01:00` into nanoseconds
/// since the Unix epoch. `None` for anything else.
pub fn parse_rfc3339_nanos(text: &str) -> Option<i128> {
    let text = text.trim();
    let (date, time) = text.split_once(['T', 't', ' '])?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }

    // Split the zone off: `Z`, `+hh:mm` or `-hh:mm`.
    let (clock, offset_seconds) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = time.rfind(['+', '-'])?;
        let (clock, zone) = time.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = zone[1..].split_once(':')?;
        let hours: i64 = hours.parse().ok()?;
        let minutes: i64 = minutes.parse().ok()?;
        (clock, sign * (hours * 3600 + minutes * 60))
    };

    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut hms_parts = hms.splitn(3, ':');
    let hour: i64 = hms_parts.next()?.parse().ok()?;
    let minute: i64 = hms_parts.next()?.parse().ok()?;
    let second: i64 = hms_parts.next()?.parse().ok()?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if fraction.len() > 9 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let nanos: i128 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().ok()?
    };

    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(i128::from(seconds) * 1_000_000_000 + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The `since` parameter of `GET /events`: `seconds.nanoseconds`.
pub fn since_parameter(unix_nanos: i128) -> String {
    let seconds = unix_nanos.div_euclid(1_000_000_000);
    let nanos = unix_nanos.rem_euclid(1_000_000_000);
    format!("{seconds}.{nanos:09}")
}

/// Splits a `timestamps=true` log line into its time and its text.
pub fn split_timestamped_line(line: &str) -> Option<(i128, &str)> {
    let (stamp, text) = line.split_once(' ').unwrap_or((line, ""));
    Some((parse_rfc3339_nanos(stamp)?, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_timestamps_parse_to_the_nanosecond() {
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:00Z"), Some(0));
        // `date -d 2018-08-11T11:13:55Z +%s` = 1533986035 (the batect die event).
        assert_eq!(
            parse_rfc3339_nanos("2018-08-11T11:13:55.779321663Z"),
            Some(1_533_986_035_779_321_663)
        );
        assert_eq!(
            parse_rfc3339_nanos("2000-02-29T12:00:00.5Z"),
            Some(951_825_600_500_000_000)
        );
    }

    #[test]
    fn offsets_are_applied() {
        let utc = parse_rfc3339_nanos("2026-11-23T08:02:01Z");
        assert_eq!(parse_rfc3339_nanos("2026-11-23T09:02:01+01:00"), utc);
        assert_eq!(parse_rfc3339_nanos("2026-11-23T03:02:01-05:00"), utc);
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-23",
            "2026-11-23T25:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_nanos(bad), None, "{bad}");
        }
    }

    #[test]
    fn since_keeps_nanoseconds() {
        assert_eq!(
            since_parameter(1_533_986_035_779_321_663),
            "1533986035.779321663"
        );
        assert_eq!(since_parameter(5), "0.000000005");
    }

    #[test]
    fn log_lines_lose_their_prefix() {
        let (at, text) =
            split_timestamped_line("2018-08-11T11:13:55.000000001Z READ   - Takes(s): 1.0")
                .expect("a timestamped line");
        assert_eq!(at, 1_533_986_035_000_000_001);
        assert_eq!(text, "READ   - Takes(s): 1.0");
        assert_eq!(split_timestamped_line("no stamp here"), None);
    }
}
