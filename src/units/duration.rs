//! The one duration parser, with one upper bound.
//!
//! It reads what people and Go write: `500ms`, `10s`, `30m`, `1h30m`,
//! `30m0s`, `1m30.5s`, `827h39m41.79222082s`, `2µs`, `0`, and a bare number
//! of seconds (`2`, `1.5`). Units: `h`, `m`, `s`, `ms`, `us`/`µs`/`μs`, `ns`.
//! Arithmetic is exact to the nanosecond and never overflows: anything
//! longer than [`MAX_DURATION`] is refused, so no later `Instant + d` or
//! `Duration + d` can panic.

use std::fmt;
use std::time::Duration;

use crate::text::excerpt;

/// The longest duration chaosdeck accepts anywhere: a year.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);
/// [`MAX_DURATION`] as the messages say it.
pub const MAX_DURATION_TEXT: &str = "8760h (365 days)";

const NANOS_PER_SEC: u128 = 1_000_000_000;
const MAX_NANOS: u128 = MAX_DURATION.as_secs() as u128 * NANOS_PER_SEC;

/// Why a duration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationProblem {
    Empty,
    Malformed,
    UnknownUnit,
    Negative,
    NotFinite,
    /// Longer than [`MAX_DURATION`].
    TooLong,
}

/// A refused duration, with the input as written (cleaned and cut).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DurationError {
    pub input: String,
    pub problem: DurationProblem,
}

impl DurationError {
    fn new(input: &str, problem: DurationProblem) -> Self {
        Self {
            input: excerpt(input, 40),
            problem,
        }
    }
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let input = &self.input;
        match self.problem {
            DurationProblem::Empty => {
                f.write_str("empty duration (expected e.g. 500ms, 10s, 30m or 1h30m)")
            }
            DurationProblem::Malformed => write!(
                f,
                "{input:?} is not a duration (expected e.g. 500ms, 10s, 30m, 1h30m or a number of seconds)"
            ),
            DurationProblem::UnknownUnit => write!(
                f,
                "{input:?} has an unknown or missing unit (expected h, m, s, ms, us or ns)"
            ),
            DurationProblem::Negative => write!(f, "{input:?} is negative"),
            DurationProblem::NotFinite => write!(f, "{input} is not a finite number of seconds"),
            DurationProblem::TooLong => write!(
                f,
                "{input:?} is longer than the limit of {MAX_DURATION_TEXT}"
            ),
        }
    }
}

/// Parses a duration written by a person or by Go's `Duration.String()`.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let error = |problem| DurationError::new(input, problem);
    let text = input.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    if let Some(magnitude) = text.strip_prefix('-') {
        // Go writes `-0s` and nothing else negative that we could use.
        return match parse_magnitude(magnitude) {
            Ok(0) => Ok(Duration::ZERO),
            Ok(_) => Err(error(DurationProblem::Negative)),
            Err(problem) => Err(error(problem)),
        };
    }
    let nanos = parse_magnitude(text).map_err(error)?;
    Ok(from_nanos(nanos))
}

/// A number of seconds (a TOML number, a parsed float) as a duration.
pub fn from_secs_f64(seconds: f64) -> Result<Duration, DurationError> {
    from_scaled_f64(seconds, 1.0, &short_number(seconds))
}

/// A latency in microseconds, as load generators print it.
pub fn from_micros_f64(micros: f64) -> Result<Duration, DurationError> {
    from_scaled_f64(micros, 1e-6, &format!("{}us", short_number(micros)))
}

/// `1e30` rather than thirty-one digits.
fn short_number(value: f64) -> String {
    if value.abs() >= 1e15 {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}

fn from_scaled_f64(value: f64, to_seconds: f64, shown: &str) -> Result<Duration, DurationError> {
    let error = |problem| DurationError::new(shown, problem);
    if !value.is_finite() {
        return Err(error(DurationProblem::NotFinite));
    }
    if value < 0.0 {
        return Err(error(DurationProblem::Negative));
    }
    let seconds = value * to_seconds;
    if seconds > MAX_DURATION.as_secs_f64() {
        return Err(error(DurationProblem::TooLong));
    }
    // Finite, not negative and bounded: cannot panic.
    Ok(Duration::from_secs_f64(seconds))
}

fn from_nanos(nanos: u128) -> Duration {
    // Bounded by MAX_NANOS, so the seconds fit a u64.
    Duration::new(
        (nanos / NANOS_PER_SEC) as u64,
        (nanos % NANOS_PER_SEC) as u32,
    )
}

/// Nanoseconds of an unsigned duration, at most [`MAX_NANOS`].
fn parse_magnitude(text: &str) -> Result<u128, DurationProblem> {
    if text.is_empty() {
        return Err(DurationProblem::Empty);
    }
    // A bare number is seconds.
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let (whole, fraction, rest) = split_number(text).ok_or(DurationProblem::Malformed)?;
        if !rest.is_empty() {
            return Err(DurationProblem::Malformed);
        }
        return component_nanos(whole, fraction, NANOS_PER_SEC);
    }
    let mut rest = text;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (whole, fraction, after_number) =
            split_number(rest).ok_or(DurationProblem::Malformed)?;
        let unit_len = after_number
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after_number.len());
        let (unit, next) = after_number.split_at(unit_len);
        let unit_nanos = unit_nanos(unit).ok_or(DurationProblem::UnknownUnit)?;
        total = total
            .checked_add(component_nanos(whole, fraction, unit_nanos)?)
            .filter(|&t| t <= MAX_NANOS)
            .ok_or(DurationProblem::TooLong)?;
        rest = next;
    }
    Ok(total)
}

/// Splits `"30.5s..."` into (`"30"`, `"5"`, `"s..."`). None when there is
/// no digit, or a second decimal point.
fn split_number(text: &str) -> Option<(&str, &str, &str)> {
    let digits_end = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (whole, after_whole) = text.split_at(digits_end(text));
    let (fraction, rest) = match after_whole.strip_prefix('.') {
        Some(after_point) => after_point.split_at(digits_end(after_point)),
        None => ("", after_whole),
    };
    if (whole.is_empty() && fraction.is_empty()) || rest.starts_with('.') {
        return None;
    }
    Some((whole, fraction, rest))
}

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => NANOS_PER_SEC,
        "m" => 60 * NANOS_PER_SEC,
        "h" => 3_600 * NANOS_PER_SEC,
        _ => return None,
    })
}

/// `whole.fraction` units in nanoseconds, truncated as Go does, at most
/// [`MAX_NANOS`].
fn component_nanos(whole: &str, fraction: &str, unit_nanos: u128) -> Result<u128, DurationProblem> {
    let whole = whole.trim_start_matches('0');
    // More digits than MAX_NANOS has cannot be under it.
    if whole.len() > 20 {
        return Err(DurationProblem::TooLong);
    }
    let whole_value: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| DurationProblem::Malformed)?
    };
    let mut nanos = whole_value
        .checked_mul(unit_nanos)
        .filter(|&n| n <= MAX_NANOS)
        .ok_or(DurationProblem::TooLong)?;
    // Digits past the 18th cannot add a nanosecond even for hours.
    let significant = &fraction[..fraction.len().min(18)];
    if !significant.is_empty() {
        let numerator: u128 = significant
            .parse()
            .map_err(|_| DurationProblem::Malformed)?;
        let denominator = 10u128.pow(significant.len() as u32);
        nanos += numerator * unit_nanos / denominator;
    }
    if nanos > MAX_NANOS {
        return Err(DurationProblem::TooLong);
    }
    Ok(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_people_and_go_write() {
        let cases = [
            ("500ms", Duration::from_millis(500)),
            ("10s", Duration::from_secs(10)),
            ("30m", Duration::from_secs(1800)),
            ("2", Duration::from_secs(2)),
            ("1.5", Duration::from_millis(1500)),
            ("30m0s", Duration::from_secs(1800)),
            ("1h0m0s", Duration::from_secs(3600)),
            ("1h30m", Duration::from_secs(5400)),
            ("1m30.5s", Duration::from_millis(90_500)),
            ("0s", Duration::ZERO),
            ("0", Duration::ZERO),
            ("-0", Duration::ZERO),
            ("+5s", Duration::from_secs(5)),
            (" 24h0m0s ", Duration::from_secs(86_400)),
            ("1.5h", Duration::from_secs(5_400)),
            ("36m20.480549971s", Duration::new(2180, 480_549_971)),
            ("827h39m41.79222082s", Duration::new(2_979_581, 792_220_820)),
            ("2us", Duration::from_micros(2)),
            ("2µs", Duration::from_micros(2)),
            ("7ns", Duration::from_nanos(7)),
            (".5s", Duration::from_millis(500)),
            ("8760h", MAX_DURATION),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn garbage_is_refused_with_its_reason() {
        use DurationProblem::*;
        for (bad, problem) in [
            ("", Empty),
            ("  ", Empty),
            ("s", Malformed),
            ("ten", Malformed),
            ("1..5s", Malformed),
            ("1.2.3", Malformed),
            ("h1", Malformed),
            (".s", Malformed),
            ("30x", UnknownUnit),
            ("1h30", UnknownUnit),
            ("30 m", UnknownUnit),
            ("1d", UnknownUnit),
            ("5 parsecs", UnknownUnit),
            ("-5s", Negative),
            ("8760h0.001s", TooLong),
            ("100000000000000000000", TooLong),
            ("99999999999999999999999h", TooLong),
            ("99999999999999999999999999999999999999999h", TooLong),
            ("9999999h9999999h", TooLong),
        ] {
            let err = parse_duration(bad).expect_err(bad);
            assert_eq!(err.problem, problem, "{bad}: {err}");
        }
    }

    #[test]
    fn messages_name_the_input_and_the_limit() {
        let err = parse_duration("100000000000000000000").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"100000000000000000000\" is longer than the limit of 8760h (365 days)"
        );
        let err = parse_duration("\u{1b}[31m").unwrap_err();
        assert!(!err.to_string().contains('\u{1b}'), "{err}");
    }

    #[test]
    fn floats_are_bounded() {
        assert_eq!(from_secs_f64(1.5), Ok(Duration::from_millis(1500)));
        assert_eq!(
            from_secs_f64(1e30).unwrap_err().problem,
            DurationProblem::TooLong
        );
        assert_eq!(
            from_secs_f64(f64::NAN).unwrap_err().problem,
            DurationProblem::NotFinite
        );
        assert_eq!(
            from_secs_f64(-1.0).unwrap_err().problem,
            DurationProblem::Negative
        );
        assert_eq!(from_micros_f64(2_500.0), Ok(Duration::from_micros(2_500)));
        assert_eq!(
            from_micros_f64(1e300).unwrap_err().problem,
            DurationProblem::TooLong
        );
        assert!(
            from_secs_f64(1e30)
                .unwrap_err()
                .to_string()
                .contains("8760h")
        );
    }
}
