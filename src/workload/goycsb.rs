//! go-ycsb's periodic plain-text output (`outputstyle=plain`, the default).
//!
//! Every `--interval` seconds go-ycsb prints one line per operation, sorted by
//! name, e.g. `READ   - Takes(s): 10.0, Count: 49873, OPS: 4987.6, ...`.
//! The numbers are cumulative since each operation's first measurement, so
//! the current rate is the difference of two consecutive reports. Three
//! formats exist (v1 `95th/99th`, v2 `99th/99.9th/99.99th`, v3 adds
//! `50th/90th/95th` and a `TOTAL` pseudo-operation); all are `Key: value`
//! pairs, so one tolerant parser reads them all. Failed operations are
//! reported as `<OP>_ERROR` and are not part of `TOTAL`.

use std::collections::HashMap;
use std::time::Duration;

use super::{SampleSource, WorkloadSample, plausible};

/// One parsed operation line of a go-ycsb report.
#[derive(Debug, Clone, PartialEq)]
pub struct GoYcsbLine {
    /// `READ`, `UPDATE`, `TOTAL`, `READ_ERROR`, ...
    pub op: String,
    /// Seconds since this operation's first measurement (rounded to 0.1).
    pub takes_s: f64,
    /// Operations counted since this operation's first measurement.
    pub count: u64,
    /// `count / takes_s`: a running average, not the current rate.
    pub ops: f64,
    pub avg_us: Option<f64>,
    pub min_us: Option<f64>,
    pub max_us: Option<f64>,
    pub p50_us: Option<f64>,
    pub p90_us: Option<f64>,
    pub p95_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub p999_us: Option<f64>,
    pub p9999_us: Option<f64>,
}

impl GoYcsbLine {
    /// A failed operation (`READ_ERROR`, ...).
    pub fn is_error(&self) -> bool {
        self.op.ends_with("_ERROR")
    }

    /// The v3 `TOTAL` pseudo-operation (successful operations only).
    pub fn is_total(&self) -> bool {
        self.op == "TOTAL"
    }

    /// `Takes(s)` is printed with one decimal, but `Count / OPS` recovers the
    /// unrounded elapsed time when the rate is large enough to be precise.
    /// The printed value is kept when the two disagree (a corrupt line).
    pub fn precise_takes_s(&self) -> f64 {
        const MIN_OPS_FOR_PRECISION: f64 = 50.0;
        if self.ops >= MIN_OPS_FOR_PRECISION && self.count > 0 {
            let derived = self.count as f64 / self.ops;
            if (derived - self.takes_s).abs() <= 0.06 {
                return derived;
            }
        }
        self.takes_s
    }
}

/// Parse one line; `None` for anything that is not a go-ycsb operation line
/// (client logs, banners, `Run finished`, garbage, truncated lines) and for
/// an operation line whose figures cannot be readings (see
/// [`super::plausible`]; [`is_report_line`] tells those apart).
pub fn parse_line(line: &str) -> Option<GoYcsbLine> {
    let (op, rest) = split_op(line)?;
    let mut takes_s = None;
    let mut count = None;
    let mut ops = None;
    let mut parsed = GoYcsbLine {
        op: op.to_owned(),
        takes_s: 0.0,
        count: 0,
        ops: 0.0,
        avg_us: None,
        min_us: None,
        max_us: None,
        p50_us: None,
        p90_us: None,
        p95_us: None,
        p99_us: None,
        p999_us: None,
        p9999_us: None,
    };
    for pair in rest.split(", ") {
        let (key, value) = pair.split_once(": ")?;
        let value = value.trim();
        match key.trim() {
            "Takes(s)" => takes_s = Some(plausible::elapsed_secs(number(value)?)?),
            "Count" => count = Some(value.parse::<u64>().ok()?),
            "OPS" => ops = Some(plausible::ops_rate(number(value)?)?),
            "Avg(us)" => parsed.avg_us = latency(value),
            "Min(us)" => parsed.min_us = latency(value),
            "Max(us)" => parsed.max_us = latency(value),
            "50th(us)" => parsed.p50_us = latency(value),
            "90th(us)" => parsed.p90_us = latency(value),
            "95th(us)" => parsed.p95_us = latency(value),
            "99th(us)" => parsed.p99_us = latency(value),
            "99.9th(us)" => parsed.p999_us = latency(value),
            "99.99th(us)" => parsed.p9999_us = latency(value),
            // Unknown columns from a future version are tolerated.
            _ => {}
        }
    }
    parsed.takes_s = takes_s?;
    parsed.count = count?;
    parsed.ops = ops?;
    Some(parsed)
}

/// `READ   - Takes(s): ...` split into the operation name and the rest.
fn split_op(line: &str) -> Option<(&str, &str)> {
    let (name, rest) = line.trim().split_once(" - ")?;
    let op = name.trim();
    is_op_name(op).then_some((op, rest))
}

/// An operation line, whether or not its figures can be read: a line that
/// is this but not [`parse_line`] is a corrupt report, not noise.
pub fn is_report_line(line: &str) -> bool {
    split_op(line).is_some_and(|(_, rest)| rest.contains("Count: "))
}

/// Operation names are upper-case identifiers: `READ`, `BATCH_INSERT`,
/// `READ_MODIFY_WRITE`, `UPDATE_ERROR`.
fn is_op_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn number(value: &str) -> Option<f64> {
    value.parse::<f64>().ok()
}

/// go-ycsb prints `MaxInt64`/`MinInt64` and `NaN`-derived values for empty
/// histograms; such latencies are dropped rather than shown.
fn latency(value: &str) -> Option<f64> {
    plausible::latency_us(number(value)?)
}

/// A report of inserts alone: go-ycsb's `load` phase, which inserts the
/// records before a `run` (and again at each container start).
fn is_data_load(lines: &[GoYcsbLine]) -> bool {
    let mut ops = lines
        .iter()
        .filter(|l| !l.is_error() && !l.is_total())
        .peekable();
    ops.peek().is_some() && ops.all(|l| l.op == "INSERT" || l.op == "BATCH_INSERT")
}

/// Lines that end the report being collected: the separator and the
/// `Run finished, takes ...` line printed before the final summary.
fn is_report_terminator(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("Run finished") || line.starts_with("****")
}

/// Cumulative position of one operation at the last closed report.
#[derive(Debug, Clone, Copy)]
struct OpMark {
    count: u64,
    takes_s: f64,
}

/// Intervals shorter than this give meaningless rates (the final summary
/// printed a few milliseconds after the last periodic report).
const MIN_INTERVAL_S: f64 = 0.05;

/// Takes(s) going back by more than its rounding means a new run started.
const RESTART_SLACK_S: f64 = 0.15;

/// Turns a stream of go-ycsb output lines into one [`WorkloadSample`] per
/// report.
///
/// A report is the block of operation lines printed together. Because the
/// operations are sorted by name, a line whose name does not sort after the
/// previous one starts a new report. A report is also closed as soon as it
/// holds every operation of the previous report (so a live sample is not a
/// whole interval late), by `Run finished`/`****`, or by [`flush`].
/// An operation that shows up for the first time just after such an early
/// close (e.g. the first `UPDATE_ERROR`) is counted in the next report, at
/// its average rate since it started. So is an operation whose earlier
/// reports were missed (following a log from its end).
///
/// [`flush`]: GoYcsbStream::flush
#[derive(Debug, Default)]
pub struct GoYcsbStream {
    pending: Vec<GoYcsbLine>,
    pending_at: Duration,
    marks: HashMap<String, OpMark>,
    last_ops: Vec<String>,
    /// Name of the last operation of a report closed early; a line sorting
    /// after it belongs to that report.
    closed_tail: Option<String>,
}

impl GoYcsbStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one line, read at show time `now`. Returns a sample when the line
    /// completes a report. When one line both closes a report and completes
    /// the next one (a single-operation run becoming known), the newer report
    /// is returned and the older one only serves as the starting point.
    pub fn feed(&mut self, line: &str, now: Duration) -> Option<WorkloadSample> {
        let Some(parsed) = parse_line(line) else {
            if is_report_terminator(line) {
                self.closed_tail = None;
                return self.close();
            }
            return None;
        };

        if self.pending.is_empty() {
            if let Some(tail) = &self.closed_tail {
                if parsed.op > *tail {
                    // A late member of the report just closed: count it with
                    // the next report, whose delta starts from zero for it.
                    self.last_ops.push(parsed.op.clone());
                    self.closed_tail = Some(parsed.op);
                    return None;
                }
            }
        }
        self.closed_tail = None;

        let starts_new_report = self.pending.last().is_some_and(|last| parsed.op <= last.op)
            || self.pending.iter().any(|l| l.op == parsed.op);
        let closed = if starts_new_report {
            self.close()
        } else {
            None
        };

        self.pending.push(parsed);
        self.pending_at = now;

        if self.pending_is_complete() {
            self.closed_tail = self.pending.last().map(|l| l.op.clone());
            return self.close().or(closed);
        }
        closed
    }

    /// Close the report being collected, e.g. when no line came for a while
    /// or the input ended.
    pub fn flush(&mut self) -> Option<WorkloadSample> {
        if let Some(last) = self.pending.last() {
            self.closed_tail = Some(last.op.clone());
        }
        self.close()
    }

    fn pending_is_complete(&self) -> bool {
        !self.last_ops.is_empty()
            && self
                .last_ops
                .iter()
                .all(|op| self.pending.iter().any(|l| &l.op == op))
    }

    fn close(&mut self) -> Option<WorkloadSample> {
        if self.pending.is_empty() {
            return None;
        }
        let lines = std::mem::take(&mut self.pending);
        let restarted = lines.iter().any(|l| {
            self.marks
                .get(&l.op)
                .is_some_and(|m| l.count < m.count || l.takes_s + RESTART_SLACK_S < m.takes_s)
        });
        if restarted {
            self.marks.clear();
        }
        let sample = self.sample_from(&lines);
        for l in &lines {
            self.marks.insert(
                l.op.clone(),
                OpMark {
                    count: l.count,
                    takes_s: l.precise_takes_s(),
                },
            );
        }
        self.last_ops = lines.into_iter().map(|l| l.op).collect();
        sample
    }

    /// Rates of one closed report against the marks of the previous one.
    fn sample_from(&self, lines: &[GoYcsbLine]) -> Option<WorkloadSample> {
        // The interval shared by the report, for operations new in it.
        let report_interval = lines
            .iter()
            .filter_map(|l| {
                let mark = self.marks.get(&l.op)?;
                Some(l.precise_takes_s() - mark.takes_s)
            })
            .fold(None, |acc: Option<f64>, dt| {
                Some(acc.map_or(dt, |a| a.max(dt)))
            });

        let rate_of = |l: &GoYcsbLine| -> Option<f64> {
            let (delta, interval) = match self.marks.get(&l.op) {
                Some(mark) => (
                    l.count.saturating_sub(mark.count),
                    l.precise_takes_s() - mark.takes_s,
                ),
                // Everything since its first measurement: its own start, or
                // this interval when it started within it.
                None => (
                    l.count,
                    l.precise_takes_s().max(report_interval.unwrap_or(0.0)),
                ),
            };
            (interval >= MIN_INTERVAL_S).then(|| delta as f64 / interval)
        };

        let total = lines.iter().find(|l| l.is_total());
        let ops_per_sec = match total {
            Some(total) => rate_of(total)?,
            None => {
                let rates: Vec<f64> = lines
                    .iter()
                    .filter(|l| !l.is_error() && !l.is_total())
                    .filter_map(rate_of)
                    .collect();
                if rates.is_empty() && !lines.iter().all(GoYcsbLine::is_error) {
                    return None;
                }
                rates.iter().sum()
            }
        };
        let errors_per_sec = lines
            .iter()
            .filter(|l| l.is_error())
            .filter_map(rate_of)
            .sum();
        let p99_us = match total {
            Some(total) => total.p99_us,
            None => lines
                .iter()
                .filter_map(|l| l.p99_us)
                .fold(None, |acc: Option<f64>, v| {
                    Some(acc.map_or(v, |a| a.max(v)))
                }),
        };
        Some(WorkloadSample {
            at: self.pending_at,
            ops_per_sec,
            errors_per_sec,
            p99: p99_us.and_then(plausible::latency),
            source: if is_data_load(lines) {
                SampleSource::GoYcsbDataLoad
            } else {
                SampleSource::GoYcsb
            },
        })
    }
}
