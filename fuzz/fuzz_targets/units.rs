//! Durations, sizes and timestamps as anyone writes them: never a panic,
//! never a duration past the bound.
#![no_main]

use chaosdeck::units::duration::{MAX_DURATION, from_micros_f64, from_secs_f64};
use chaosdeck::units::timestamp::parse_rfc3339_nanos;
use chaosdeck::units::{parse_duration, parse_size};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(d) = parse_duration(&text) {
        assert!(d <= MAX_DURATION);
    }
    let _ = parse_size(&text);
    let _ = parse_rfc3339_nanos(&text);
    if bytes.len() >= 8 {
        let value = f64::from_le_bytes(bytes[..8].try_into().unwrap());
        for d in [from_secs_f64(value), from_micros_f64(value)]
            .into_iter()
            .flatten()
        {
            assert!(d <= MAX_DURATION);
        }
    }
});
