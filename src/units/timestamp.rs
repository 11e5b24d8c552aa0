//! Timestamps the world writes, read by the `time` crate: RFC 3339 from PD
//! (`last_heartbeat_ts`) and Docker (log prefixes, `SystemTime`), and the
//! calendar fields of a Java YCSB status line.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Unix nanoseconds of an RFC 3339 timestamp (`"2018-09-29T00:23:46.227350716Z"`,
/// `"2021-11-09T09:28:24+08:00"`), or None when it is not one.
pub fn parse_rfc3339_nanos(input: &str) -> Option<i128> {
    OffsetDateTime::parse(input.trim(), &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp_nanos)
}

/// Milliseconds since 1970 of a calendar date and time read as UTC (Java
/// YCSB prints the JVM's local time without a zone: only differences
/// between its stamps matter). None when a field is out of range, the 31st
/// of a 30-day month included.
pub fn civil_millis(
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    milli: u16,
) -> Option<i64> {
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let time = Time::from_hms_milli(hour, minute, second, milli).ok()?;
    let nanos = PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_as_pd_and_docker_write_it() {
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:00Z"), Some(0));
        // The v4.0.14 fixture carries both forms of the same heartbeat.
        assert_eq!(
            parse_rfc3339_nanos("2021-12-13T21:08:05.79222082+08:00"),
            Some(1_639_400_885_792_220_820)
        );
        assert_eq!(
            parse_rfc3339_nanos("2024-12-25T03:41:23.480549971Z"),
            Some(1_735_098_083_480_549_971)
        );
        assert_eq!(
            parse_rfc3339_nanos("2000-02-29T12:00:00-01:30"),
            Some(951_831_000 * 1_000_000_000)
        );
        // Docker's "never": the year 1.
        assert!(parse_rfc3339_nanos("0001-01-01T00:00:00Z").is_some_and(|n| n < 0));
    }

    #[test]
    fn rfc3339_garbage_is_none() {
        for bad in [
            "",
            "2021-12-13",
            "2021-13-01T00:00:00Z",
            "2021-02-30T00:00:00Z",
            "2021-12-13T21:08:05",
            "2021-12-13T21:08:05.Z",
            "2021-12-13T21:08:05+8:00",
            "2021-1a-13T21:08:05Z",
            "2021-12-13T25:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_nanos(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_stamps_count_days_and_leap_years() {
        assert_eq!(civil_millis(1970, 1, 1, 0, 0, 0, 0), Some(0));
        assert_eq!(civil_millis(2000, 3, 1, 0, 0, 0, 0), Some(951_868_800_000));
        assert_eq!(civil_millis(2000, 2, 29, 0, 0, 0, 1), Some(951_782_400_001));
        assert_eq!(civil_millis(2023, 13, 1, 0, 0, 0, 0), None);
        assert_eq!(civil_millis(2023, 4, 31, 0, 0, 0, 0), None);
        assert_eq!(civil_millis(2023, 2, 29, 0, 0, 0, 0), None);
    }
}
