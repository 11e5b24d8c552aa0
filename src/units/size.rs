//! Sizes as PD writes them (`"4.071GiB"` from PD v4+, `"937 GiB"` from v3)
//! and as a person writes a limit (`8MiB`), read by the `parse-size` crate:
//! exact to the byte over the whole u64 range, binary units (`KiB`..`EiB`)
//! in powers of 1024, SI units (`kB`/`KB`..`EB`) in powers of 1000, case
//! ignored, fractions rounded to the nearest byte, a bare number in bytes.

use crate::text::excerpt;

/// A refused size, naming the input and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid size {input:?}: {reason}")]
pub struct SizeError {
    pub input: String,
    pub reason: &'static str,
}

/// Parses a size into bytes.
pub fn parse_size(input: &str) -> Result<u64, SizeError> {
    let error = |reason| SizeError {
        input: excerpt(input, 40),
        reason,
    };
    let text = input.trim();
    // parse-size skips `_` and spaces inside the number as digit grouping;
    // PD never writes them, and a size must start with a digit or a point.
    if !text.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return Err(error("expected a number, then a unit such as GiB"));
    }
    parse_size::parse_size(text).map_err(|err| {
        error(match err {
            parse_size::Error::Empty => "no number",
            parse_size::Error::InvalidDigit => {
                "expected a number, then B, KiB, MiB, GiB, TiB, PiB, EiB or kB, MB, GB, TB, PB, EB"
            }
            parse_size::Error::PosOverflow => "too large",
            _ => "not a size",
        })
    })
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
        assert_eq!(parse_size("1.8TiB"), Ok(1_979_120_929_997));
        assert_eq!(parse_size("4.071GiB"), Ok(4_371_202_966));
        assert_eq!(parse_size("432GiB"), Ok(432 << 30));
        assert_eq!(parse_size("1PiB"), Ok(1 << 50));
        assert_eq!(parse_size("8kB"), Ok(8_000));
        assert_eq!(parse_size("8KB"), Ok(8_000));
        assert_eq!(parse_size("2.5 MB"), Ok(2_500_000));
        assert_eq!(parse_size("3GB"), Ok(3_000_000_000));
        assert_eq!(parse_size(" 7 gib "), Ok(7 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
    }

    #[test]
    fn garbage_is_an_error_that_names_the_input() {
        for bad in [
            "",
            "GiB",
            "1,024 KiB",
            "12 XB",
            "-1GiB",
            "NaNGiB",
            "infGiB",
            "1.2.3GiB",
            "abc",
            "_1GiB",
            "99999999999999EiB",
            "1e400B",
        ] {
            let err = parse_size(bad).expect_err(bad);
            assert_eq!(err.input, bad.trim());
            assert!(err.to_string().starts_with("invalid size"), "{err}");
        }
    }
}
