//! Parsers for the strings PD writes instead of numbers: sizes (`"4.071GiB"`,
//! `"937 GiB"`), Go durations (`"30m0s"`) and store addresses (`"tikv1:20160"`).

pub use crate::civil_time::parse_rfc3339_nanos;
use std::time::Duration;

/// Why a size string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid size {input:?}: {reason}")]
pub struct SizeError {
    pub input: String,
    pub reason: &'static str,
}

/// Parses a size as PD writes it into bytes.
///
/// PD v4+ formats with docker/go-units `BytesSize` (`"311.7GiB"`, `"0B"`, no
/// space), PD v3 with go-humanize `IBytes` (`"937 GiB"`, one space). Binary
/// units (`KiB`..`EiB`) are powers of 1024; the SI units (`kB`/`KB`..`EB`)
/// that go-units' `HumanSize` writes are powers of 1000. Units are matched
/// case-insensitively. Fractions are rounded to the nearest byte. Digit
/// grouping (`"1,024 KiB"`) is refused: PD never writes it and a comma may
/// as well be a decimal separator.
pub fn parse_size(input: &str) -> Result<u64, SizeError> {
    let error = |reason| SizeError {
        input: input.to_string(),
        reason,
    };
    let text = input.trim();
    let unit_start = text
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(|| error("no unit (expected e.g. 4.071GiB)"))?;
    let (number, unit) = text.split_at(unit_start);
    let number = number.trim_end();
    if number.is_empty() {
        return Err(error("no number before the unit"));
    }
    if !number
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return Err(error(
            "the number may only hold digits and one decimal point",
        ));
    }
    let multiplier = unit_multiplier(unit).ok_or_else(|| {
        error("unknown unit (expected B, KiB, MiB, GiB, TiB, PiB, EiB or kB, MB, GB, TB, PB, EB)")
    })?;
    let value: f64 = number
        .parse()
        .map_err(|_| error("the number is not a decimal number"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(error("the number must be finite and not negative"));
    }
    let bytes = (value * multiplier as f64).round();
    // u64::MAX as f64 rounds up to 2^64, which itself does not fit.
    if bytes >= u64::MAX as f64 {
        return Err(error("too large"));
    }
    Ok(bytes as u64)
}

fn unit_multiplier(unit: &str) -> Option<u64> {
    let unit = unit.to_ascii_lowercase();
    let multiplier = match unit.as_str() {
        "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        "pib" => 1 << 50,
        "eib" => 1 << 60,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "pb" => 1_000_000_000_000_000,
        "eb" => 1_000_000_000_000_000_000,
        _ => return None,
    };
    Some(multiplier)
}

/// Why a Go duration string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason}")]
pub struct DurationError {
    pub input: String,
    pub reason: &'static str,
}

/// Parses a duration written by Go's `time.Duration.String()` (and anything
/// `time.ParseDuration` takes that is not negative): `"30m0s"`, `"1h0m0s"`,
/// `"10s"`, `"500ms"`, `"1m30.5s"`, `"827h39m41.79222082s"`, `"0s"`, `"0"`.
/// Units: `h`, `m`, `s`, `ms`, `us`/`µs`/`μs`, `ns`. Exact to the nanosecond.
pub fn parse_go_duration(input: &str) -> Result<Duration, DurationError> {
    let error = |reason| DurationError {
        input: input.to_string(),
        reason,
    };
    let mut rest = input.trim();
    if let Some(unsigned) = rest.strip_prefix('+') {
        rest = unsigned;
    } else if rest.starts_with('-') {
        if rest == "-0" {
            return Ok(Duration::ZERO);
        }
        return Err(error("negative durations are not allowed"));
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(error("empty"));
    }
    let mut total_nanos: u128 = 0;
    while !rest.is_empty() {
        let (whole, fraction, after_number) = split_number(rest).ok_or_else(|| {
            error("expected a number followed by a unit (h, m, s, ms, us, ns), e.g. 30m0s")
        })?;
        let unit_len = after_number
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after_number.len());
        let (unit, next) = after_number.split_at(unit_len);
        let unit_nanos = go_unit_nanos(unit)
            .ok_or_else(|| error("unknown or missing unit (expected h, m, s, ms, us or ns)"))?;
        let component =
            component_nanos(whole, fraction, unit_nanos).ok_or_else(|| error("too large"))?;
        total_nanos = total_nanos
            .checked_add(component)
            .ok_or_else(|| error("too large"))?;
        rest = next;
    }
    let secs = u64::try_from(total_nanos / 1_000_000_000).map_err(|_| error("too large"))?;
    // The remainder is below 10^9 and fits.
    let nanos = (total_nanos % 1_000_000_000) as u32;
    Ok(Duration::new(secs, nanos))
}

/// Splits `"30.5s..."` into (`"30"`, `"5"`, `"s..."`). None when no digit.
fn split_number(text: &str) -> Option<(&str, &str, &str)> {
    let whole_len = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (whole, after_whole) = text.split_at(whole_len);
    let (fraction, rest) = match after_whole.strip_prefix('.') {
        Some(after_point) => {
            let len = after_point
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after_point.len());
            after_point.split_at(len)
        }
        None => ("", after_whole),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    Some((whole, fraction, rest))
}

fn go_unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        _ => return None,
    })
}

/// `whole.fraction` units in nanoseconds, truncated like Go does. None on
/// overflow.
fn component_nanos(whole: &str, fraction: &str, unit_nanos: u128) -> Option<u128> {
    let whole_value: u128 = if whole.is_empty() {
        0
    } else {
        // More than 38 digits do not fit a u128 anyway.
        if whole.len() > 38 {
            return None;
        }
        whole.parse().ok()?
    };
    let mut nanos = whole_value.checked_mul(unit_nanos)?;
    // Digits past the 18th cannot add a nanosecond even for hours.
    let significant = &fraction[..fraction.len().min(18)];
    if !significant.is_empty() {
        let numerator: u128 = significant.parse().ok()?;
        let denominator = 10u128.pow(significant.len() as u32);
        nanos = nanos.checked_add(numerator * unit_nanos / denominator)?;
    }
    Some(nanos)
}

/// The host part of a store address: `tikv1:20160` -> `tikv1`,
/// `[::1]:20160` -> `::1`, `http://tikv1:20160` -> `tikv1`. An address
/// without a port is returned as is.
pub fn address_host(address: &str) -> &str {
    let address = address.trim();
    let address = address
        .split_once("://")
        .map_or(address, |(_scheme, rest)| rest);
    let address = address.split('/').next().unwrap_or(address);
    if let Some(bracketed) = address.strip_prefix('[') {
        return bracketed
            .split_once(']')
            .map_or(bracketed, |(host, _port)| host);
    }
    match address.rsplit_once(':') {
        // A bare IPv6 address without brackets has several colons and no port.
        Some((host, _port)) if !host.contains(':') => host,
        _ => address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_every_shape_pd_writes() {
        assert_eq!(parse_size("0B"), Ok(0));
        assert_eq!(parse_size("1B"), Ok(1));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("937 GiB"), Ok(937 << 30));
        assert_eq!(
            parse_size("1.8TiB"),
            Ok((1.8 * (1u64 << 40) as f64).round() as u64)
        );
        assert_eq!(parse_size("4.071GiB"), Ok(4_371_202_966));
        assert_eq!(parse_size("432GiB"), Ok(432 << 30));
        assert_eq!(parse_size("1PiB"), Ok(1 << 50));
        assert_eq!(parse_size("8kB"), Ok(8_000));
        assert_eq!(parse_size("8KB"), Ok(8_000));
        assert_eq!(parse_size("2.5 MB"), Ok(2_500_000));
        assert_eq!(parse_size("3GB"), Ok(3_000_000_000));
        assert_eq!(parse_size(" 7 gib "), Ok(7 << 30));
    }

    #[test]
    fn size_garbage_is_an_error_that_names_the_input() {
        for bad in [
            "",
            "GiB",
            "12",
            "1,024 KiB",
            "12 XB",
            "-1GiB",
            "NaNGiB",
            "infGiB",
            "1.2.3GiB",
            "abc",
            "99999999999999EiB",
            "1e400B",
        ] {
            let err = parse_size(bad).expect_err(bad);
            assert_eq!(err.input, bad);
            assert!(err.to_string().contains("invalid size"), "{err}");
        }
    }

    #[test]
    fn go_durations() {
        let cases = [
            ("30m0s", Duration::from_secs(1800)),
            ("1h0m0s", Duration::from_secs(3600)),
            ("10s", Duration::from_secs(10)),
            ("500ms", Duration::from_millis(500)),
            ("1m30.5s", Duration::from_millis(90_500)),
            ("0s", Duration::ZERO),
            ("0", Duration::ZERO),
            ("24h0m0s", Duration::from_secs(86_400)),
            ("1.5h", Duration::from_secs(5_400)),
            ("36m20.480549971s", Duration::new(2180, 480_549_971)),
            ("827h39m41.79222082s", Duration::new(2_979_581, 792_220_820)),
            ("2us", Duration::from_micros(2)),
            ("2µs", Duration::from_micros(2)),
            ("7ns", Duration::from_nanos(7)),
            (".5s", Duration::from_millis(500)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_go_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn duration_garbage_is_an_error() {
        for bad in [
            "",
            "s",
            "30",
            "30x",
            "1h30",
            "-5s",
            "1..5s",
            "h1",
            "30 m",
            "1d",
            ".s",
            "99999999999999999999999999999999999999999h",
        ] {
            let err = parse_go_duration(bad).expect_err(bad);
            assert_eq!(err.input, bad);
        }
    }

    #[test]
    fn host_part_of_addresses() {
        assert_eq!(address_host("tikv1:20160"), "tikv1");
        assert_eq!(
            address_host("basic-tikv-5gzwgj.basic-tikv-peer.default:20160"),
            "basic-tikv-5gzwgj.basic-tikv-peer.default"
        );
        assert_eq!(address_host("172.16.6.168:20160"), "172.16.6.168");
        assert_eq!(address_host("[::1]:20160"), "::1");
        assert_eq!(address_host("[fe80::1]"), "fe80::1");
        assert_eq!(address_host("::1"), "::1");
        assert_eq!(address_host("tikv1"), "tikv1");
        assert_eq!(address_host("http://pd0:2379"), "pd0");
        assert_eq!(address_host(""), "");
    }

    #[test]
    fn rfc3339_timestamps() {
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
        for bad in [
            "",
            "2021-12-13",
            "2021-13-01T00:00:00Z",
            "2021-12-13T21:08:05",
            "2021-12-13T21:08:05.Z",
            "2021-12-13T21:08:05+8:00",
            "2021-1a-13T21:08:05Z",
        ] {
            assert_eq!(parse_rfc3339_nanos(bad), None, "{bad}");
        }
    }
}
