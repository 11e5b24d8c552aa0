//! go-ycsb and Java YCSB output, line by line, through the detector: every
//! sample must be a reading.
#![no_main]

use std::time::Duration;

use chaosdeck::units::duration::MAX_DURATION;
use chaosdeck::workload::LoadParser;
use chaosdeck::workload::plausible::MAX_OPS_PER_SEC;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let mut parser = LoadParser::new();
    let mut samples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        samples.extend(parser.feed(line, Duration::from_millis(i as u64)));
    }
    samples.extend(parser.flush());
    for sample in samples {
        for rate in [sample.ops_per_sec, sample.errors_per_sec] {
            assert!(
                rate.is_finite() && (0.0..=MAX_OPS_PER_SEC).contains(&rate),
                "{sample:?}"
            );
        }
        assert!(
            sample.p99.is_none_or(|p99| p99 <= MAX_DURATION),
            "{sample:?}"
        );
    }
});
