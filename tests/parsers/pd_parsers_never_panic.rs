//! The parsers for what PD and TiKV send never panic, whatever arrives, and
//! read back what they are given in PD's own formats.

use std::time::Duration;

use chaosdeck::cluster::metrics::parse_text;
use chaosdeck::cluster::pd::address_host;
use chaosdeck::units::timestamp::parse_rfc3339_nanos;
use chaosdeck::units::{parse_duration, parse_size};
use proptest::prelude::*;

/// Go's `time.Duration.String()` for whole-nanosecond durations.
fn go_duration_string(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", trim_fraction(nanos, 1_000));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", trim_fraction(nanos, 1_000_000));
    }
    let secs = nanos / 1_000_000_000;
    let seconds = format!("{}s", trim_fraction(nanos % 60_000_000_000, 1_000_000_000));
    match (secs / 3600, (secs / 60) % 60) {
        (0, 0) => seconds,
        (0, m) => format!("{m}m{seconds}"),
        (h, m) => format!("{h}h{m}m{seconds}"),
    }
}

fn trim_fraction(value: u128, unit: u128) -> String {
    let whole = value / unit;
    let fraction = value % unit;
    if fraction == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{fraction:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

proptest! {
    #[test]
    fn size_parser_never_panics(input in ".{0,24}") {
        let _ = parse_size(&input);
    }

    #[test]
    fn size_parser_on_size_like_input(
        number in "[0-9.,e+-]{0,8}",
        space in prop::sample::select(vec!["", " ", "  "]),
        unit in "[a-zA-Z]{0,4}",
    ) {
        let _ = parse_size(&format!("{number}{space}{unit}"));
    }

    #[test]
    fn whole_binary_sizes_read_back(value in 0u64..1024, shift in prop::sample::select(vec![0u32, 10, 20, 30, 40, 50])) {
        let unit = match shift { 0 => "B", 10 => "KiB", 20 => "MiB", 30 => "GiB", 40 => "TiB", _ => "PiB" };
        prop_assert_eq!(parse_size(&format!("{value}{unit}")), Ok(value << shift));
        prop_assert_eq!(parse_size(&format!("{value} {unit}")), Ok(value << shift));
    }

    #[test]
    fn duration_parser_never_panics(input in ".{0,24}") {
        let _ = parse_duration(&input);
    }

    #[test]
    fn duration_parser_on_duration_like_input(input in "[0-9.hmsnuµ+-]{0,16}") {
        let _ = parse_duration(&input);
    }

    #[test]
    fn go_duration_strings_read_back(nanos in 0u64..400 * 3_600 * 1_000_000_000) {
        let duration = Duration::from_nanos(nanos);
        let text = go_duration_string(duration);
        prop_assert_eq!(parse_duration(&text), Ok(duration), "{}", text);
    }

    #[test]
    fn metrics_parser_never_panics(input in "(.{0,40}\n){0,4}") {
        let _ = parse_text(&input);
    }

    #[test]
    fn metrics_parser_on_sample_like_input(
        name in "[a-z_:0-9]{0,8}",
        labels in "[a-z=\",{}\\\\ ]{0,16}",
        value in "[0-9.eE+-]{0,6}|NaN|\\+Inf",
    ) {
        let _ = parse_text(&format!("{name}{labels} {value}\n"));
    }

    #[test]
    fn rfc3339_parser_never_panics(input in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}.{0,14}|.{0,32}") {
        let _ = parse_rfc3339_nanos(&input);
    }

    #[test]
    fn address_host_never_panics(input in ".{0,24}") {
        let host = address_host(&input);
        prop_assert!(input.contains(host));
    }
}

#[test]
fn go_duration_formatter_matches_go_on_known_values() {
    assert_eq!(go_duration_string(Duration::from_secs(1800)), "30m0s");
    assert_eq!(go_duration_string(Duration::from_secs(3600)), "1h0m0s");
    assert_eq!(go_duration_string(Duration::from_millis(90_500)), "1m30.5s");
    assert_eq!(go_duration_string(Duration::from_millis(500)), "500ms");
    assert_eq!(
        go_duration_string(Duration::new(2180, 480_549_971)),
        "36m20.480549971s"
    );
}
