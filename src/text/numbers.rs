//! Numbers in words: thousands separators (`4,961`), rates (`5,080 ops/s`),
//! percentages (`16%`) and counts with their noun (`3 regions`).

use std::borrow::Cow;
use std::sync::LazyLock;

/// `4,987`; `?` for a value that is not a finite, non-negative number
/// (the parsers never let one through; the screen still never shows a
/// wrapped or saturated figure).
pub fn thousands(value: f64) -> String {
    if !value.is_finite() || value < 0.0 {
        return "?".to_string();
    }
    // `+ 0.0` turns -0.0 into 0.0, which would print as "-0".
    let digits = format!("{:.0}", value.round() + 0.0);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A throughput on screen: `5,080 ops/s`.
pub fn ops_per_sec(value: f64) -> String {
    format!("{} ops/s", thousands(value))
}

/// Rates in text from elsewhere (the monitor's and the analyzer's words)
/// in the screen's one number format: `5080 ops/s` becomes `5,080 ops/s`.
pub fn rates(text: &str) -> Cow<'_, str> {
    static RATE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"\b(\d{4,})( ops/s)").expect("a valid pattern"));
    RATE.replace_all(text, |caps: &regex::Captures| {
        let n: f64 = caps[1].parse().unwrap_or(f64::NAN);
        format!("{}{}", thousands(n), &caps[2])
    })
}

/// A fraction as a whole percentage: `0.16` is `16%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

/// A setting as written: at most three decimals, no trailing zeros
/// (`0.2`, `30`, `1.25`).
pub fn trimmed(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".to_string(),
        text => text.to_string(),
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", rest.join(", "), last.as_ref())
        }
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
    fn lists_read_as_words() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["kill"]), "kill");
        assert_eq!(and_list(&["kill", "stop"]), "kill and stop");
        assert_eq!(and_list(&["kill", "stop", "pause"]), "kill, stop and pause");
    }

    #[test]
    fn settings_are_written_without_trailing_zeros() {
        assert_eq!(trimmed(0.2), "0.2");
        assert_eq!(trimmed(30.0), "30");
        assert_eq!(trimmed(1.25), "1.25");
        assert_eq!(trimmed(0.0), "0");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(4987.4), "4,987");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(12.0), "12");
        assert_eq!(thousands(1e20), "100,000,000,000,000,000,000");
        assert_eq!(thousands(f64::NAN), "?");
        assert_eq!(thousands(-3.0), "?");
        assert_eq!(thousands(-0.0), "0");
    }

    #[test]
    fn rates_read_in_the_one_number_format() {
        assert_eq!(ops_per_sec(4961.2), "4,961 ops/s");
        assert_eq!(
            rates("16% of baseline 5080 ops/s, 800 ops/s, port 20160"),
            "16% of baseline 5,080 ops/s, 800 ops/s, port 20160"
        );
        assert!(matches!(rates("800 ops/s"), Cow::Borrowed(_)));
    }

    #[test]
    fn percentages_are_whole() {
        assert_eq!(percent(0.16), "16%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.004), "0%");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "region", "regions"), "1 region");
        assert_eq!(count(0, "region", "regions"), "0 regions");
        assert_eq!(count(3, "store", "stores"), "3 stores");
    }
}
