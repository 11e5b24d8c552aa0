//! Load output with figures no field can mean: the lines of the issue that
//! crashed the doctor and the follower, a rate of 1e40, counts beyond u64.
//! No panic, no such figure in a sample, every skipped line counted, and a
//! followed log goes on after them.

use std::time::Duration;

use chaosdeck::clock::ShowClock;
use chaosdeck::workload::follow::StartAt;
use chaosdeck::workload::watch::watch_load_log;
use chaosdeck::workload::{LoadParser, SampleSource};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const JAVA_GOOD: &str = "2020-01-10 16:21:40:213 10 sec: 15451 operations; 1545.1 current ops/sec; est completion in 10 minutes [INSERT: Count=15452, Max=120319, Min=1249, Avg=2312.21, 90=2625, 99=7915, 99.9=19551, 99.99=113855]";

fn java(elapsed: u64, total: u64, rate: &str, p99: &str) -> String {
    format!(
        "2020-01-10 16:22:{elapsed:02}:213 {elapsed} sec: {total} operations; {rate} current ops/sec; [INSERT: Count=1, 99={p99}]"
    )
}

#[test]
fn impossible_java_latencies_are_dropped_not_a_panic() {
    for p99 in ["99999999999999999999999999", "1e300", "NaN", "-1"] {
        let mut parser = LoadParser::new();
        let sample = parser
            .feed(&java(20, 30000, "1500.5", p99), Duration::ZERO)
            .unwrap_or_else(|| panic!("{p99}: the line's rate is fine"));
        assert_eq!(sample.p99, None, "{p99}");
        assert_eq!(sample.ops_per_sec, 1500.5);
    }
}

#[test]
fn a_rate_of_1e40_is_skipped_and_counted_never_shown() {
    let mut parser = LoadParser::new();
    assert!(parser.feed(JAVA_GOOD, Duration::ZERO).is_some());
    let wild = java(
        20,
        30000,
        "10000000000000000000000000000000000000000",
        "7915",
    );
    assert_eq!(parser.feed(&wild, Duration::from_secs(10)), None);
    assert_eq!(parser.rejected(), 1);
    let sane = java(30, 45000, "1500", "7915");
    let sample = parser
        .feed(&sane, Duration::from_secs(20))
        .expect("sane again");
    assert_eq!(sample.ops_per_sec, 1500.0);
}

#[test]
fn counts_beyond_u64_skip_the_line() {
    let mut parser = LoadParser::new();
    assert!(parser.feed(JAVA_GOOD, Duration::ZERO).is_some());
    let line =
        java(20, 0, "1500", "1").replace(" 0 operations", " 99999999999999999999999 operations");
    assert_eq!(parser.feed(&line, Duration::ZERO), None);
    assert_eq!(parser.rejected(), 1);

    let mut go = LoadParser::new();
    let good = "READ   - Takes(s): 10.0, Count: 1000, OPS: 100.0, Avg(us): 1, 99th(us): 2000";
    assert_eq!(
        go.feed(good, Duration::ZERO),
        None,
        "its report is still open"
    );
    assert_eq!(go.source(), Some(SampleSource::GoYcsb));
    for bad in [
        "READ   - Takes(s): 20.0, Count: 99999999999999999999999, OPS: 100.0",
        "READ   - Takes(s): 20.0, Count: -5, OPS: 100.0",
        "READ   - Takes(s): 1e300, Count: 2000, OPS: 100.0",
        "READ   - Takes(s): 20.0, Count: 2000, OPS: inf",
    ] {
        assert_eq!(go.feed(bad, Duration::ZERO), None, "{bad}");
    }
    assert_eq!(go.rejected(), 4);
    // Noise is not rejection: client logs are just skipped.
    go.feed(
        "[2022/04/07 14:13:14.081 +08:00] [INFO] [client.go:754]",
        Duration::ZERO,
    );
    assert_eq!(go.rejected(), 4);
}

#[test]
fn a_go_ycsb_jump_that_no_cluster_could_make_is_skipped() {
    let mut parser = LoadParser::new();
    parser.feed(
        "READ   - Takes(s): 10.0, Count: 1000, OPS: 100.0",
        Duration::ZERO,
    );
    parser.feed(
        "READ   - Takes(s): 20.0, Count: 2000, OPS: 100.0",
        Duration::ZERO,
    );
    // A billion-fold jump in ten seconds: 1.8e18 ops/s.
    let jump = "READ   - Takes(s): 30.0, Count: 18446744073709551615, OPS: 100.0";
    assert_eq!(parser.feed(jump, Duration::ZERO), None);
    assert_eq!(parser.flush(), None);
    assert_eq!(parser.rejected(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_followed_log_goes_on_after_impossible_lines() {
    let dir = std::env::temp_dir().join(format!("chaosdeck-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("java.log");
    std::fs::write(&path, "").unwrap();
    let (tx, mut rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(watch_load_log(
        path.clone(),
        StartAt::Beginning,
        ShowClock::start(1.0),
        tx,
        cancel.clone(),
    ));
    let lines = [
        JAVA_GOOD.to_string(),
        java(20, 30000, "1500", "99999999999999999999999999"),
        java(30, 45000, "1500", "1e300"),
        java(40, 60000, "10000000000000000000000000000000000000000", "1"),
        java(50, 75000, "1234", "5000"),
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let mut rates = Vec::new();
    while rates.len() < 4 {
        let sample = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the follower is alive")
            .expect("a sample");
        rates.push(sample.ops_per_sec);
    }
    assert_eq!(rates, vec![1545.1, 1500.0, 1500.0, 1234.0]);
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops on cancel")
        .expect("no panic");
    let _ = std::fs::remove_dir_all(&dir);
}
