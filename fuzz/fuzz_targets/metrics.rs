//! TiKV's status-port metrics (Prometheus text): parsed without a panic, the
//! request total finite when there is one.
#![no_main]

use chaosdeck::cluster::metrics::{ops_total, parse_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(samples) = parse_text(&text) {
        assert!(ops_total(&samples).is_none_or(f64::is_finite));
    }
});
