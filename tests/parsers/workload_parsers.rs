//! go-ycsb and Java YCSB parsers over every real fixture, synthetic variants
//! of the formats no fixture shows, and a no-panic property.

use std::path::PathBuf;
use std::time::Duration;

use chaosdeck::workload::goycsb::{self, GoYcsbStream};
use chaosdeck::workload::javaycsb::{self, JavaYcsbStream};
use chaosdeck::workload::{LoadParser, SampleSource, WorkloadSample};
use proptest::prelude::*;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ycsb")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Feed every line at show time = its line number in seconds, flush at the
/// end; returns the samples.
fn run_go(text: &str) -> Vec<WorkloadSample> {
    let mut stream = GoYcsbStream::new();
    let mut samples: Vec<WorkloadSample> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| stream.feed(line, Duration::from_secs(i as u64)))
        .collect();
    samples.extend(stream.flush());
    samples
}

fn run_java(text: &str) -> Vec<WorkloadSample> {
    let mut stream = JavaYcsbStream::new();
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| stream.feed(line, Duration::from_secs(i as u64)))
        .collect()
}

fn run_detected(text: &str) -> (Vec<WorkloadSample>, Option<SampleSource>) {
    let mut parser = LoadParser::new();
    let mut samples: Vec<WorkloadSample> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| parser.feed(line, Duration::from_secs(i as u64)))
        .collect();
    samples.extend(parser.flush());
    (samples, parser.source())
}

/// go-ycsb prints Takes(s) rounded to 0.1 s: the true rate between two
/// reports lies between the counts' difference over the takes' difference
/// widened and narrowed by one rounding step.
fn assert_rate_within_rounding(actual: f64, delta_count: f64, delta_takes: f64) {
    let low = delta_count / (delta_takes + 0.1);
    let high = delta_count / (delta_takes - 0.1);
    assert!(
        (low..=high).contains(&actual),
        "rate {actual} outside [{low}, {high}] for {delta_count} ops over {delta_takes} s"
    );
}

fn assert_close(actual: f64, expected: f64, relative: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * relative + 1e-9,
        "{actual} is not within {relative} of {expected}"
    );
}

fn p99_us(sample: &WorkloadSample) -> Option<u128> {
    sample.p99.map(|d| d.as_micros())
}

// ---------------------------------------------------------------- go-ycsb

#[test]
fn goycsb_line_v2_parses_every_column() {
    let line = fixture("goycsb_v2_run_periodic_tikv-raw_tikv-website-fault-tolerance.txt");
    let first = line.lines().next().expect("fixture has lines");
    let parsed = goycsb::parse_line(first).expect("a READ line");
    assert_eq!(parsed.op, "READ");
    assert_eq!(parsed.takes_s, 10.0);
    assert_eq!(parsed.count, 7948);
    assert_eq!(parsed.ops, 796.2);
    assert_eq!(parsed.avg_us, Some(395.0));
    assert_eq!(parsed.min_us, Some(72.0));
    assert_eq!(parsed.max_us, Some(20545.0));
    assert_eq!(parsed.p99_us, Some(2000.0));
    assert_eq!(parsed.p999_us, Some(19000.0));
    assert_eq!(parsed.p9999_us, Some(21000.0));
    assert_eq!(parsed.p50_us, None);
    assert!(!parsed.is_error() && !parsed.is_total());
}

#[test]
fn goycsb_line_v3_has_low_percentiles_and_total() {
    let text = fixture("goycsb_v3_run_interval1_TOTAL_FULL-STDOUT_mysql_kubebench.txt");
    let total = text
        .lines()
        .filter_map(goycsb::parse_line)
        .find(|l| l.is_total())
        .expect("a TOTAL line");
    assert_eq!(total.count, 4248);
    assert_eq!(total.p50_us, Some(168.0));
    assert_eq!(total.p90_us, Some(232.0));
    assert_eq!(total.p95_us, Some(800.0));
    assert_eq!(total.p99_us, Some(1231.0));
    assert_eq!(total.p9999_us, Some(5423.0));
}

#[test]
fn goycsb_v1_format_without_padding_parses() {
    let line = "READ - Takes(s): 10.0, Count: 1000, OPS: 100.0, Avg(us): 900, Min(us): 100, Max(us): 9000, 95th(us): 2000, 99th(us): 5000";
    let parsed = goycsb::parse_line(line).expect("v1 line");
    assert_eq!(parsed.p95_us, Some(2000.0));
    assert_eq!(parsed.p99_us, Some(5000.0));
}

#[test]
fn goycsb_skips_banners_logs_and_summaries() {
    for line in [
        "Using request distribution 'uniform' a keyrange of [0 9999]",
        "***************** properties *****************",
        "\"mysql.user\"=\"root\"",
        "Run finished, takes 4m25.292657267s",
        "[2022/04/07 14:13:14.081 +08:00] [INFO] [client.go:754] [\"[pd] create pd client with endpoints\"] [pd-address=\"[127.0.0.1:2379]\"]",
        "[2022/04/07 14:13:14.081 +08:00] [WARN] [region_cache.go:269] [\"region cache - Takes(s): 1.0\"]",
        "READ   - Takes(s): 10.0, Count: 49873",
        "READ   - Takes(s): 10.0, Count: -3, OPS: 1.0",
        "READ   - Takes(s): NaN, Count: 3, OPS: 1.0",
        "read   - Takes(s): 10.0, Count: 3, OPS: 1.0",
        "",
    ] {
        assert_eq!(goycsb::parse_line(line), None, "{line:?}");
    }
}

#[test]
fn goycsb_periodic_rates_come_from_consecutive_counts() {
    let samples = run_go(&fixture(
        "goycsb_v2_run_periodic_tikv-raw_tikv-website-fault-tolerance.txt",
    ));
    assert_eq!(samples.len(), 2, "{samples:?}");
    // First report: counts since start over the time since start.
    assert_close(samples[0].ops_per_sec, 796.2 + 796.8, 0.001);
    // Second: READ 7948 -> 15858 and UPDATE 7945 -> 15799 over 10 s.
    assert_rate_within_rounding(samples[1].ops_per_sec, (7910 + 7854) as f64, 10.0);
    assert_eq!(p99_us(&samples[1]), Some(35_000), "max of the ops' 99th");
    assert_eq!(samples[1].errors_per_sec, 0.0);
    assert_eq!(samples[1].source, SampleSource::GoYcsb);
    // The second report is complete at its last line (line index 3).
    assert_eq!(samples[1].at, Duration::from_secs(3));
}

#[test]
fn goycsb_report_missing_an_op_is_closed_by_flush() {
    let samples = run_go(&fixture(
        "goycsb_v2_run_periodic_tikv-raw_tikv-website-perf.txt",
    ));
    assert_eq!(samples.len(), 2, "{samples:?}");
    assert_close(samples[0].ops_per_sec, 11380.1 + 11408.8, 0.001);
    assert_rate_within_rounding(samples[1].ops_per_sec, (229147 - 110092) as f64, 10.0);
    assert_eq!(samples[1].at, Duration::from_secs(2));
}

#[test]
fn goycsb_final_summaries_give_the_run_average() {
    let summary = run_go(&fixture(
        "goycsb_v2_run_final_summary_tikv-raw_tikv-website-perf.txt",
    ));
    assert_eq!(summary.len(), 1);
    assert_close(summary[0].ops_per_sec, 18864.7 + 18877.1, 0.001);
    assert_eq!(p99_us(&summary[0]), Some(53_000));

    let load = run_go(&fixture(
        "goycsb_v2_load_final_tikv-raw_tikv-website-fault-tolerance.txt",
    ));
    assert_eq!(load.len(), 1);
    assert_close(load[0].ops_per_sec, 855.2, 0.001);
    assert_eq!(summary[0].source, SampleSource::GoYcsb);
    assert_eq!(
        load[0].source,
        SampleSource::GoYcsbDataLoad,
        "INSERT alone: the data-load phase, never a baseline"
    );
    assert_eq!(p99_us(&load[0]), Some(36_000));
}

#[test]
fn goycsb_v3_uses_total_and_closes_reports_without_waiting() {
    let text = fixture("goycsb_v3_run_interval1_TOTAL_FULL-STDOUT_mysql_kubebench.txt");
    let mut stream = GoYcsbStream::new();
    let mut emitted = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(sample) = stream.feed(line, Duration::from_secs(i as u64)) {
            emitted.push((i, sample));
        }
    }
    assert_eq!(stream.flush(), None, "every report already closed");
    let indices: Vec<usize> = emitted.iter().map(|(i, _)| *i).collect();
    // The first report is closed by the next READ (its op set is unknown);
    // later ones as soon as their last op (UPDATE) arrives.
    assert_eq!(indices, vec![18, 20, 25]);
    let samples: Vec<WorkloadSample> = emitted.into_iter().map(|(_, s)| s).collect();
    assert_close(samples[0].ops_per_sec, 4262.2, 0.001);
    assert_eq!(samples[0].at, Duration::from_secs(17));
    assert_eq!(p99_us(&samples[0]), Some(1231), "TOTAL's 99th");
    assert_rate_within_rounding(samples[1].ops_per_sec, (8631 - 4248) as f64, 1.0);
    assert_eq!(p99_us(&samples[1]), Some(1241));
    assert_rate_within_rounding(samples[2].ops_per_sec, (10000 - 8631) as f64, 0.3);
    assert!(samples.iter().all(|s| s.errors_per_sec == 0.0));
}

const REPORT_10: &str = "\
READ   - Takes(s): 10.0, Count: 1000, OPS: 100.0, Avg(us): 900, Min(us): 100, Max(us): 9000, 99th(us): 2000, 99.9th(us): 3000, 99.99th(us): 9000
UPDATE - Takes(s): 10.0, Count: 1000, OPS: 100.0, Avg(us): 900, Min(us): 100, Max(us): 9000, 99th(us): 4000, 99.9th(us): 5000, 99.99th(us): 9000";

#[test]
fn goycsb_error_ops_are_errors_not_throughput() {
    let text = format!(
        "{REPORT_10}
[2022/04/07 14:13:14.081 +08:00] [WARN] [client.go:754] [\"[pd] failed to get cluster id\"]
READ   - Takes(s): 20.0, Count: 1500, OPS: 75.0, Avg(us): 900, Min(us): 100, Max(us): 9000, 99th(us): 2000, 99.9th(us): 3000, 99.99th(us): 9000
READ_ERROR - Takes(s): 4.0, Count: 200, OPS: 50.0, Avg(us): 3000000, Min(us): 100, Max(us): 3000000, 99th(us): 3000000, 99.9th(us): 3000000, 99.99th(us): 3000000
UPDATE - Takes(s): 20.0, Count: 1300, OPS: 65.0, Avg(us): 900, Min(us): 100, Max(us): 9000, 99th(us): 4000, 99.9th(us): 5000, 99.99th(us): 9000
READ   - Takes(s): 30.0, Count: 2500, OPS: 83.3, Avg(us): 900, Min(us): 100, Max(us): 9000, 99th(us): 2000, 99.9th(us): 3000, 99.99th(us): 9000
READ_ERROR - Takes(s): 14.0, Count: 300, OPS: 21.4, Avg(us): 3000000, Min(us): 100, Max(us): 3000000, 99th(us): 3000000, 99.9th(us): 3000000, 99.99th(us): 3000000
UPDATE - Takes(s): 30.0, Count: 2300, OPS: 76.7, Avg(us): 900, Min(us): 100, Max(us): 9000, 99th(us): 4000, 99.9th(us): 5000, 99.99th(us): 9000"
    );
    let samples = run_go(&text);
    assert_eq!(samples.len(), 3, "{samples:?}");
    // 500 READ + 300 UPDATE over 10 s; the new READ_ERROR op's 200 all
    // happened in this interval.
    assert_close(samples[1].ops_per_sec, 80.0, 0.001);
    assert_close(samples[1].errors_per_sec, 20.0, 0.001);
    assert_eq!(
        p99_us(&samples[1]),
        Some(3_000_000),
        "errors' latency shows"
    );
    // OPS printed with one decimal moves these a little off round numbers.
    assert_close(samples[2].ops_per_sec, 200.0, 0.01);
    assert_close(samples[2].errors_per_sec, 10.0, 0.01);
}

#[test]
fn goycsb_error_op_sorting_last_is_counted_in_the_next_report() {
    // UPDATE_ERROR sorts after UPDATE: the report is closed at UPDATE, and
    // UPDATE_ERROR's first appearance is carried into the next interval.
    let text = format!(
        "{REPORT_10}
READ   - Takes(s): 20.0, Count: 2000, OPS: 100.0
UPDATE - Takes(s): 20.0, Count: 2000, OPS: 100.0
UPDATE_ERROR - Takes(s): 5.0, Count: 50, OPS: 10.0
READ   - Takes(s): 30.0, Count: 3000, OPS: 100.0
UPDATE - Takes(s): 30.0, Count: 3000, OPS: 100.0
UPDATE_ERROR - Takes(s): 15.0, Count: 70, OPS: 4.7"
    );
    let mut stream = GoYcsbStream::new();
    let mut at_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(s) = stream.feed(line, Duration::from_secs(i as u64)) {
            at_lines.push((i, s));
        }
    }
    let indices: Vec<usize> = at_lines.iter().map(|(i, _)| *i).collect();
    assert_eq!(indices, vec![2, 3, 7], "the late op never closes a report");
    let (_, third) = &at_lines[2];
    assert_close(third.ops_per_sec, 200.0, 0.001);
    // Its 70 errors spread over the 15 s since it started.
    assert_close(third.errors_per_sec, 70.0 / 15.0, 0.001);
    assert_eq!(at_lines[1].1.errors_per_sec, 0.0);
}

#[test]
fn goycsb_single_op_load_emits_every_interval() {
    let text = "\
INSERT - Takes(s): 10.0, Count: 1000, OPS: 100.0
INSERT - Takes(s): 20.0, Count: 3000, OPS: 150.0
INSERT - Takes(s): 30.0, Count: 6000, OPS: 200.0
INSERT - Takes(s): 40.0, Count: 10000, OPS: 250.0";
    let mut stream = GoYcsbStream::new();
    let rates: Vec<(usize, f64)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| Some((i, stream.feed(l, Duration::ZERO)?.ops_per_sec)))
        .collect();
    // The first report only becomes a starting point once the op set is
    // known; every later one is emitted at its own line.
    assert_eq!(rates.len(), 3, "{rates:?}");
    assert_eq!(rates[0].0, 1);
    assert_close(rates[0].1, 200.0, 0.001);
    assert_close(rates[1].1, 300.0, 0.001);
    assert_close(rates[2].1, 400.0, 0.001);
}

#[test]
fn goycsb_new_run_in_the_same_log_starts_over() {
    let text = format!(
        "{REPORT_10}
READ   - Takes(s): 20.0, Count: 2000, OPS: 100.0
UPDATE - Takes(s): 20.0, Count: 2000, OPS: 100.0
Run finished, takes 20.01s
READ   - Takes(s): 10.0, Count: 500, OPS: 50.0
UPDATE - Takes(s): 10.0, Count: 500, OPS: 50.0"
    );
    let samples = run_go(&text);
    let last = samples.last().expect("samples");
    assert_close(last.ops_per_sec, 100.0, 0.001);
    assert!(samples.iter().all(|s| s.ops_per_sec >= 0.0));
}

#[test]
fn goycsb_following_from_the_middle_of_a_report_uses_running_averages() {
    // The READ line of the 20 s report was written before following began.
    let text = "\
UPDATE - Takes(s): 20.0, Count: 2000, OPS: 100.0
READ   - Takes(s): 30.0, Count: 6000, OPS: 200.0
UPDATE - Takes(s): 30.0, Count: 3000, OPS: 100.0";
    let samples = run_go(text);
    assert_eq!(samples.len(), 2);
    assert_close(samples[0].ops_per_sec, 100.0, 0.001);
    // UPDATE: 1000 over 10 s; READ, never seen before: 6000 over 30 s.
    assert_close(samples[1].ops_per_sec, 300.0, 0.001);
}

#[test]
fn goycsb_truncated_report_lines_are_ignored() {
    let text = format!(
        "{REPORT_10}
READ   - Takes(s): 20.0, Count: 2000, OP
UPDATE - Takes(s): 20.0, Count: 2000, OPS: 100.0"
    );
    let samples = run_go(&text);
    // The report with the broken READ line still has UPDATE.
    assert_eq!(samples.len(), 2);
    assert_close(samples[1].ops_per_sec, 100.0, 0.001);
}

// ------------------------------------------------------------- Java YCSB

#[test]
fn java_status_line_parses_hdr_summaries() {
    let text = fixture("javaycsb_master2020_scylla_READ-FAILED_status-lines_sitano.txt");
    let first = text.lines().next().expect("lines");
    let status = javaycsb::parse_status_line(first).expect("status line");
    assert_eq!(status.elapsed_s, 750);
    assert_eq!(status.total_ops, 134_554_289);
    assert_eq!(status.current_ops_per_sec, Some(179_947.1));
    assert!(status.timestamp_ms.is_some());
    let names: Vec<&str> = status.ops.iter().map(|o| o.op.as_str()).collect();
    assert_eq!(names, ["READ", "UPDATE", "READ-FAILED"]);
    let failed = &status.ops[2];
    assert!(failed.is_failed());
    assert_eq!(failed.count, Some(10594));
    assert_eq!(failed.avg_us, Some(1036.17));
    assert_eq!(failed.p90_us, Some(1551.0));
    assert_eq!(failed.p99_us, Some(12823.0));
    assert_eq!(failed.p999_us, Some(28367.0));
    assert_eq!(failed.p9999_us, Some(39839.0));
}

#[test]
fn java_failed_ops_are_errors_per_second() {
    let text = fixture("javaycsb_master2020_scylla_READ-FAILED_status-lines_sitano.txt");
    let samples = run_java(&text);
    assert_eq!(samples.len(), 12);
    let statuses: Vec<_> = text
        .lines()
        .filter_map(javaycsb::parse_status_line)
        .collect();
    for (sample, status) in samples.iter().zip(&statuses) {
        let failed = status
            .ops
            .iter()
            .find(|o| o.is_failed())
            .and_then(|o| o.count);
        let failed = failed.expect("every line has READ-FAILED") as f64;
        let current = status.current_ops_per_sec.expect("rate");
        // The status interval is 10 s.
        assert_close(sample.errors_per_sec, failed / 10.0, 0.002);
        assert_close(sample.ops_per_sec, current - failed / 10.0, 0.0001);
        assert_eq!(sample.source, SampleSource::JavaYcsb);
    }
    // Line 6 of the file: a latency spike in READ.
    assert_eq!(p99_us(&samples[5]), Some(171_007));
}

#[test]
fn java_startup_lines_without_rate_give_no_sample() {
    let text = fixture("javaycsb_0.17-era_hbase-bigtable_interval1_FULL-STDERR_pkb.txt");
    let samples = run_java(&text);
    let rates: Vec<f64> = samples.iter().map(|s| s.ops_per_sec).collect();
    assert_eq!(
        rates,
        [
            19.0, 1354.0, 1937.0, 2138.0, 2190.0, 2222.0, 2235.0, 2277.0, 2316.0, 611.11
        ]
    );
    assert_eq!(p99_us(&samples[0]), Some(222_207));
    assert_eq!(p99_us(&samples[9]), Some(4735), "CLEANUP is left out");
    assert!(samples.iter().all(|s| s.errors_per_sec == 0.0));
    // The first sample is the line at index 12 of the file.
    assert_eq!(samples[0].at, Duration::from_secs(12));
}

#[test]
fn java_est_completion_variants_and_elisions() {
    let samples = run_java(&fixture(
        "javaycsb_0.17.0_hbase12_status-lines_hdinsight.txt",
    ));
    let rates: Vec<f64> = samples.iter().map(|s| s.ops_per_sec).collect();
    assert_eq!(rates, [1545.1, 1856.1, 1866.7, 1595.7, 1792.97]);
    assert_eq!(p99_us(&samples[4]), Some(6743));
}

#[test]
fn java_p50_variant() {
    let text = fixture("javaycsb_master2025_p50_mongodb_arm-learning-paths.txt");
    let status = text
        .lines()
        .filter_map(javaycsb::parse_status_line)
        .nth(1)
        .expect("second status line");
    assert_eq!(status.ops[0].p50_us, Some(261.0));
    assert_eq!(status.ops[0].p90_us, Some(436.0));
    let samples = run_java(&text);
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].ops_per_sec, 1953.12);
    assert_eq!(p99_us(&samples[0]), Some(821));
}

#[test]
fn java_decimal_comma_locale() {
    let line = "2023-06-05 16:13:57:477 10 sec: 16699 operations; 611,11 current ops/sec; est completion in 16 hours 39 minutes [READ: Count=11, Max=4735, Min=2828, Avg=3426,55, 90=3839, 99=4735, 99.9=4735, 99.99=4735] [READ-FAILED: Count=9, Max=9000, Min=2828, Avg=5426,5, 90=8000, 99=9000, 99.9=9000, 99.99=9000] ";
    let status = javaycsb::parse_status_line(line).expect("status line");
    assert_eq!(status.current_ops_per_sec, Some(611.11));
    assert_eq!(status.ops[0].avg_us, Some(3426.55));
    assert_eq!(status.ops[1].avg_us, Some(5426.5));
    let sample = JavaYcsbStream::new()
        .feed(line, Duration::ZERO)
        .expect("sample");
    assert_close(sample.errors_per_sec, 611.11 * 9.0 / 20.0, 1e-9);
    assert_close(sample.ops_per_sec, 611.11 * 11.0 / 20.0, 1e-9);
}

#[test]
fn java_old_average_latency_format_and_label_prefix() {
    let old = " 10 sec: 376385 operations; 37634.74 current ops/sec; [READ AverageLatency(us)=1320.5] [UPDATE AverageLatency(us)=2000]";
    let status = javaycsb::parse_status_line(old).expect("0.1.x line");
    assert_eq!(status.timestamp_ms, None);
    assert_eq!(status.ops.len(), 2);
    assert_eq!(status.ops[0].avg_us, Some(1320.5));
    assert_eq!(status.ops[0].count, None);

    let labelled = "run-a2017-09-21 21:36:32:093 10 sec: 376385 operations; 37634.74 current ops/sec; est completion in 1 hour 3 minutes [READ: Count=376385, Max=1, Min=1, Avg=1, 90=1, 99=1, 99.9=1, 99.99=1]";
    let status = javaycsb::parse_status_line(labelled).expect("labelled line");
    assert!(status.timestamp_ms.is_some());
    assert_eq!(status.elapsed_s, 10);
    assert_eq!(status.total_ops, 376_385);
}

#[test]
fn java_interval_from_timestamps_when_rate_is_missing() {
    // Not printed by YCSB itself, but a hand-edited or mangled log can lack
    // the rate: the operations done over the clock give it.
    let mut stream = JavaYcsbStream::new();
    let first =
        "2023-06-05 16:13:49:458 2 sec: 100 operations; 100 current ops/sec; [READ: Count=100]";
    let second = "2023-06-05 16:13:51:458 4 sec: 700 operations; [READ: Count=600]";
    assert!(stream.feed(first, Duration::ZERO).is_some());
    let sample = stream.feed(second, Duration::ZERO).expect("sample");
    assert_close(sample.ops_per_sec, 300.0, 1e-9);
}

#[test]
fn java_rejects_non_status_lines() {
    for line in [
        "[OVERALL], RunTime(ms), 10018",
        "[READ], 99thPercentileLatency(us), 10215",
        "DBWrapper: report latency for each error is false and specific error codes to track for latency are: []",
        "2023-06-05 16:13:47,477 WARN  [Thread-8] util.NativeCodeLoader: Unable to load native-hadoop library",
        "Maximum time elapsed. Requesting stop for the workload.",
        "2023-06-05 16:13:49:458 2 sec: 19 operat",
        "10 sec: x operations;",
        "",
    ] {
        assert_eq!(javaycsb::parse_status_line(line), None, "{line:?}");
    }
}

// -------------------------------------------------------------- detection

#[test]
fn detection_picks_the_format_of_every_fixture() {
    let cases = [
        (
            "goycsb_v2_load_final_tikv-raw_tikv-website-fault-tolerance.txt",
            SampleSource::GoYcsb,
            1,
        ),
        (
            "goycsb_v2_run_final_summary_tikv-raw_tikv-website-perf.txt",
            SampleSource::GoYcsb,
            1,
        ),
        (
            "goycsb_v2_run_periodic_tikv-raw_tikv-website-fault-tolerance.txt",
            SampleSource::GoYcsb,
            2,
        ),
        (
            "goycsb_v2_run_periodic_tikv-raw_tikv-website-perf.txt",
            SampleSource::GoYcsb,
            2,
        ),
        (
            "goycsb_v3_run_interval1_TOTAL_FULL-STDOUT_mysql_kubebench.txt",
            SampleSource::GoYcsb,
            3,
        ),
        (
            "javaycsb_0.17-era_hbase-bigtable_interval1_FULL-STDERR_pkb.txt",
            SampleSource::JavaYcsb,
            10,
        ),
        (
            "javaycsb_0.17.0_hbase12_status-lines_hdinsight.txt",
            SampleSource::JavaYcsb,
            5,
        ),
        (
            "javaycsb_master2020_scylla_READ-FAILED_status-lines_sitano.txt",
            SampleSource::JavaYcsb,
            12,
        ),
        (
            "javaycsb_master2025_p50_mongodb_arm-learning-paths.txt",
            SampleSource::JavaYcsb,
            1,
        ),
    ];
    for (name, source, count) in cases {
        let text = fixture(name);
        let (samples, detected) = run_detected(&text);
        assert_eq!(detected, Some(source), "{name}");
        assert_eq!(samples.len(), count, "{name}");
        // go-ycsb's `load` phase is go-ycsb too, marked as a data load.
        let expected = if name.contains("_load_") {
            SampleSource::GoYcsbDataLoad
        } else {
            source
        };
        assert!(samples.iter().all(|s| s.source == expected), "{name}");
        let direct = match source {
            SampleSource::GoYcsb => run_go(&text),
            _ => run_java(&text),
        };
        assert_eq!(samples, direct, "{name}: detection changes nothing");
    }
}

#[test]
fn detection_stays_undecided_on_unrelated_text() {
    let (samples, detected) = run_detected("hello\n[INFO] starting\n\u{fffd}\u{fffd}\n");
    assert!(samples.is_empty());
    assert_eq!(detected, None);
}

// ------------------------------------------------------------- no panics

fn fixture_lines() -> Vec<String> {
    [
        "goycsb_v3_run_interval1_TOTAL_FULL-STDOUT_mysql_kubebench.txt",
        "goycsb_v2_run_periodic_tikv-raw_tikv-website-perf.txt",
        "javaycsb_master2020_scylla_READ-FAILED_status-lines_sitano.txt",
        "javaycsb_0.17-era_hbase-bigtable_interval1_FULL-STDERR_pkb.txt",
    ]
    .iter()
    .flat_map(|name| fixture(name).lines().map(str::to_owned).collect::<Vec<_>>())
    .collect()
}

/// A real line with a byte range replaced by random text.
fn mutated_line() -> impl Strategy<Value = String> {
    let lines = fixture_lines();
    (
        0..lines.len(),
        any::<prop::sample::Index>(),
        0usize..12,
        ".{0,8}",
    )
        .prop_map(move |(i, at, len, insert)| {
            let chars: Vec<char> = lines[i].chars().collect();
            let start = at.index(chars.len() + 1);
            let end = (start + len).min(chars.len());
            chars[..start]
                .iter()
                .chain(insert.chars().collect::<Vec<_>>().iter())
                .chain(chars[end..].iter())
                .collect()
        })
}

fn any_line() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        "[A-Z_ ]{0,12} - Takes\\(s\\): [0-9.eE+-]{0,8}, Count: [0-9-]{0,25}, OPS: [0-9.NaInf-]{0,8}(, [A-Za-z0-9.()]{0,10}: [0-9.-]{0,30}){0,4}",
        "[0-9: -]{0,24} [0-9]{0,25} sec: [0-9]{0,25} operations; ([0-9.,]{0,12} current ops/sec; )?(\\[[A-Z-]{0,12}: ([A-Za-z0-9.]{0,6}=[0-9.,]{0,25}(, )?){0,6}\\] ?){0,3}",
        mutated_line(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_input_makes_a_parser_panic(lines in prop::collection::vec(any_line(), 0..24)) {
        let mut go = GoYcsbStream::new();
        let mut java = JavaYcsbStream::new();
        let mut detected = LoadParser::new();
        for (i, line) in lines.iter().enumerate() {
            let now = Duration::from_millis(i as u64 * 250);
            let _ = goycsb::parse_line(line);
            let _ = javaycsb::parse_status_line(line);
            for sample in [go.feed(line, now), java.feed(line, now), detected.feed(line, now)]
                .into_iter()
                .flatten()
            {
                prop_assert!(sample.ops_per_sec.is_finite() && sample.ops_per_sec >= 0.0);
                prop_assert!(sample.errors_per_sec.is_finite() && sample.errors_per_sec >= 0.0);
            }
        }
        let _ = go.flush();
        let _ = detected.flush();
    }
}
