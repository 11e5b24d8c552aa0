//! Java YCSB status lines (`-s`, on stderr), one per `status.interval`:
//!
//! `[label]2017-09-21 21:36:32:093 10 sec: 376385 operations; 37634.74 current ops/sec; est completion in 1 hour [READ: Count=..., Max=..., ...] [UPDATE: ...]`
//!
//! `operations` is cumulative and counts failed operations too; `current ops/sec`
//! is the rate over the interval (omitted while nothing has run). The
//! per-operation `Count=` of the HdrHistogram summary is per interval. Old
//! versions and `measurementtype=histogram` print `[READ AverageLatency(us)=...]`
//! instead. Numbers use the JVM locale's decimal separator (`37634,74`).

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use super::{SampleSource, WorkloadSample, plausible};
use crate::units::timestamp::civil_millis;

/// One operation block of a status line.
#[derive(Debug, Clone, PartialEq)]
pub struct JavaOpSummary {
    /// `READ`, `UPDATE`, `READ-MODIFY-WRITE`, `CLEANUP`, `READ-FAILED`, ...
    pub op: String,
    /// Operations in this interval (HdrHistogram format only).
    pub count: Option<u64>,
    pub avg_us: Option<f64>,
    pub min_us: Option<f64>,
    pub max_us: Option<f64>,
    pub p50_us: Option<f64>,
    pub p90_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub p999_us: Option<f64>,
    pub p9999_us: Option<f64>,
}

impl JavaOpSummary {
    /// A failed operation (`READ-FAILED`, ...).
    pub fn is_failed(&self) -> bool {
        self.op.ends_with("-FAILED")
    }

    /// Per-thread cleanup: not part of the workload's latency.
    pub fn is_cleanup(&self) -> bool {
        self.op == "CLEANUP"
    }
}

/// One parsed status line.
#[derive(Debug, Clone, PartialEq)]
pub struct JavaStatusLine {
    /// The `yyyy-MM-dd HH:mm:ss:SSS` prefix as milliseconds since 1970 (in the
    /// JVM's local time zone, only differences matter); absent before 0.4.
    pub timestamp_ms: Option<i64>,
    /// Whole seconds since the run started.
    pub elapsed_s: u64,
    /// Operations since the run started, failed ones included.
    pub total_ops: u64,
    /// Rate over the interval, failed operations included.
    pub current_ops_per_sec: Option<f64>,
    pub ops: Vec<JavaOpSummary>,
}

static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}):(\d{3}))?\s*",
        r"\b(\d+) sec: (\d+) operations;",
        r"(?: ([0-9]+(?:[.,][0-9]+)?) current ops/sec;)?",
    ))
    .expect("status regex is valid")
});

static OP_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[([A-Z][A-Z0-9_-]*)(?::\s*|\s+)([^\[\]]*)\]").expect("op block regex is valid")
});

/// A status line, whether or not its figures can be read: a line that is
/// this but not [`parse_status_line`] is corrupt, not noise.
pub fn is_status_line(line: &str) -> bool {
    STATUS.is_match(line)
}

/// Parse one line; `None` for anything that is not a status line (log4j
/// lines, `DBWrapper:`, the `[OVERALL]` report, garbage, truncated lines)
/// and for a status line whose counts or rate cannot be readings (see
/// [`super::plausible`]). Latencies that cannot be are dropped as unknown.
pub fn parse_status_line(line: &str) -> Option<JavaStatusLine> {
    let caps = STATUS.captures(line)?;
    let field = |i: usize| caps.get(i).map(|m| m.as_str());
    let timestamp_ms = match (
        field(1),
        field(2),
        field(3),
        field(4),
        field(5),
        field(6),
        field(7),
    ) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec), Some(ms)) => civil_millis(
            y.parse().ok()?,
            mo.parse().ok()?,
            d.parse().ok()?,
            h.parse().ok()?,
            mi.parse().ok()?,
            sec.parse().ok()?,
            ms.parse().ok()?,
        ),
        _ => None,
    };
    let elapsed_s = caps.get(8)?.as_str().parse().ok()?;
    let total_ops = caps.get(9)?.as_str().parse().ok()?;
    let current_ops_per_sec = match caps.get(10) {
        Some(m) => Some(plausible::ops_rate(decimal(m.as_str())?)?),
        None => None,
    };
    let rest = &line[caps.get(0)?.end()..];
    let ops = OP_BLOCK
        .captures_iter(rest)
        .filter_map(|block| op_summary(block.get(1)?.as_str(), block.get(2)?.as_str()))
        .collect();
    Some(JavaStatusLine {
        timestamp_ms,
        elapsed_s,
        total_ops,
        current_ops_per_sec,
        ops,
    })
}

/// `Count=19, Max=222207, Min=27504, Avg=122345.26, 90=218751, 99=...` or the
/// older `AverageLatency(us)=1320`.
fn op_summary(op: &str, body: &str) -> Option<JavaOpSummary> {
    let mut summary = JavaOpSummary {
        op: op.to_owned(),
        count: None,
        avg_us: None,
        min_us: None,
        max_us: None,
        p50_us: None,
        p90_us: None,
        p99_us: None,
        p999_us: None,
        p9999_us: None,
    };
    // ", " separates fields; a bare "," is a decimal comma.
    for field in body.split(", ") {
        let Some((key, value)) = field.trim().split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "Count" | "Operations" => summary.count = value.parse().ok(),
            "Avg" | "AverageLatency(us)" => summary.avg_us = latency(value),
            "Min" => summary.min_us = latency(value),
            "Max" => summary.max_us = latency(value),
            "50" => summary.p50_us = latency(value),
            "90" => summary.p90_us = latency(value),
            "99" => summary.p99_us = latency(value),
            "99.9" => summary.p999_us = latency(value),
            "99.99" => summary.p9999_us = latency(value),
            _ => {}
        }
    }
    Some(summary)
}

/// A number printed by `DecimalFormat("#.##")` in any locale.
fn decimal(value: &str) -> Option<f64> {
    value
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

fn latency(value: &str) -> Option<f64> {
    plausible::latency_us(decimal(value)?)
}

#[derive(Debug, Clone, Copy)]
struct Previous {
    total_ops: u64,
    timestamp_ms: Option<i64>,
    elapsed_s: u64,
}

/// Turns Java YCSB status lines into one [`WorkloadSample`] each.
///
/// `ops_per_sec` is the current rate minus the failed operations. The
/// per-interval counts give the failed share of the interval's operations,
/// which applied to the current rate gives failures per second, without
/// having to know how long the interval was (the first line seen may be in
/// the middle of a run, and two lines can come milliseconds apart).
#[derive(Debug, Default)]
pub struct JavaYcsbStream {
    previous: Option<Previous>,
}

impl JavaYcsbStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one line, read at show time `now`.
    pub fn feed(&mut self, line: &str, now: Duration) -> Option<WorkloadSample> {
        let status = parse_status_line(line)?;
        let previous = self
            .previous
            .filter(|p| status.total_ops >= p.total_ops && status.elapsed_s >= p.elapsed_s);
        self.previous = Some(Previous {
            total_ops: status.total_ops,
            timestamp_ms: status.timestamp_ms,
            elapsed_s: status.elapsed_s,
        });
        sample_from(&status, previous, now)
    }
}

fn sample_from(
    status: &JavaStatusLine,
    previous: Option<Previous>,
    now: Duration,
) -> Option<WorkloadSample> {
    let done = status.total_ops - previous.map_or(0, |p| p.total_ops);
    let clock_interval_s = previous.and_then(|p| {
        let from_clock = match (p.timestamp_ms, status.timestamp_ms) {
            (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1000.0),
            _ => None,
        };
        from_clock.or_else(|| {
            let secs = status.elapsed_s.checked_sub(p.elapsed_s)?;
            (secs > 0).then_some(secs as f64)
        })
    });
    let current = match status.current_ops_per_sec {
        Some(rate) => rate,
        // YCSB omits the rate only while nothing has run yet.
        None if status.total_ops == 0 => return None,
        None => done as f64 / clock_interval_s?,
    };
    let errors_per_sec = errors_per_sec(status, current, clock_interval_s);
    let p99_us = status
        .ops
        .iter()
        .filter(|op| !op.is_cleanup())
        .filter_map(|op| op.p99_us)
        .fold(None, |acc: Option<f64>, v| {
            Some(acc.map_or(v, |a| a.max(v)))
        });
    Some(WorkloadSample {
        at: now,
        ops_per_sec: (current - errors_per_sec).max(0.0),
        errors_per_sec,
        p99: p99_us.and_then(plausible::latency),
        source: SampleSource::JavaYcsb,
    })
}

/// Failed operations per second in the interval of `status`.
fn errors_per_sec(status: &JavaStatusLine, current: f64, clock_interval_s: Option<f64>) -> f64 {
    let counts = |failed: bool| -> u64 {
        status
            .ops
            .iter()
            .filter(|op| !op.is_cleanup() && op.is_failed() == failed)
            .filter_map(|op| op.count)
            .fold(0, u64::saturating_add)
    };
    let failed = counts(true);
    if failed == 0 {
        return 0.0;
    }
    let counted = failed.saturating_add(counts(false));
    if current > 0.0 {
        return current * failed as f64 / counted as f64;
    }
    // No rate to share out (a line without one): use the clock.
    match clock_interval_s {
        Some(secs) if secs > 0.0 => failed as f64 / secs,
        _ => 0.0,
    }
}
