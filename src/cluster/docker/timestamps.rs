//! Docker's RFC 3339 timestamps (log line prefixes, `SystemTime`) as Unix
//! nanoseconds (read by [`crate::units::timestamp`]), and back into the
//! `since` parameter.

pub use crate::units::timestamp::parse_rfc3339_nanos;

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
