//! go-ycsb's periodic report, written as go-ycsb writes it
//! (`measurement.go`: `fmt.Printf("%-6s - %s\n", op, summary)`): one line
//! per operation measured so far, cumulative since the start, and
//! `<OP>_ERROR` lines for failed operations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Latencies of one operation since the start, in microseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    latencies_us: Vec<u64>,
    /// Operations each latency stands for (a request carries a batch).
    weights: Vec<u64>,
    count: u64,
    sum_us: u128,
}

/// Most latencies kept per operation: the percentiles of a long run come
/// from its first million requests.
const KEPT: usize = 1 << 20;

impl Measured {
    /// `ops` operations that took `latency` each.
    pub fn record(&mut self, ops: u64, latency: Duration) {
        let us = latency.as_micros().min(u128::from(u64::MAX)) as u64;
        if self.latencies_us.len() < KEPT {
            self.latencies_us.push(us);
            self.weights.push(ops);
        }
        self.count += ops;
        self.sum_us += u128::from(us) * u128::from(ops);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The latency below which `quantile` of the operations fall.
    fn at(&self, sorted: &[(u64, u64)], total: u64, quantile: f64) -> u64 {
        let rank = ((quantile * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for &(us, weight) in sorted {
            seen += weight;
            if seen >= rank {
                return us;
            }
        }
        sorted.last().map_or(0, |&(us, _)| us)
    }

    /// go-ycsb's summary after `elapsed`.
    pub fn summary(&self, elapsed: Duration) -> String {
        let mut sorted: Vec<(u64, u64)> = self
            .latencies_us
            .iter()
            .copied()
            .zip(self.weights.iter().copied())
            .collect();
        sorted.sort_unstable();
        let total: u64 = self.weights.iter().sum();
        let secs = elapsed.as_secs_f64();
        let ops = if secs > 0.0 {
            self.count as f64 / secs
        } else {
            0.0
        };
        let avg = if self.count > 0 {
            (self.sum_us / u128::from(self.count)) as u64
        } else {
            0
        };
        format!(
            "Takes(s): {secs:.1}, Count: {}, OPS: {ops:.1}, Avg(us): {avg}, Min(us): {}, Max(us): {}, 99th(us): {}, 99.9th(us): {}, 99.99th(us): {}",
            self.count,
            sorted.first().map_or(0, |&(us, _)| us),
            sorted.last().map_or(0, |&(us, _)| us),
            self.at(&sorted, total, 0.99),
            self.at(&sorted, total, 0.999),
            self.at(&sorted, total, 0.9999),
        )
    }
}

/// Every operation's measurements, by go-ycsb's names (`READ`, `UPDATE`,
/// `READ_ERROR`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurements {
    ops: BTreeMap<String, Measured>,
}

impl Measurements {
    pub fn record(&mut self, op: &str, ok: bool, ops: u64, latency: Duration) {
        let name = if ok {
            op.to_string()
        } else {
            format!("{op}_ERROR")
        };
        self.ops.entry(name).or_default().record(ops, latency);
    }

    pub fn count(&self, op: &str) -> u64 {
        self.ops.get(op).map_or(0, Measured::count)
    }

    /// The report after `elapsed`: one line per operation, by name.
    pub fn report(&self, elapsed: Duration) -> String {
        let mut text = String::new();
        for (name, measured) in &self.ops {
            let _ = writeln!(text, "{name:<6} - {}", measured.summary(elapsed));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::goycsb::parse_line;

    #[test]
    fn lines_read_back_through_chaosdecks_parser() {
        let mut m = Measurements::default();
        for i in 0..100u64 {
            m.record("READ", true, 10, Duration::from_micros(100 + i));
            m.record("UPDATE", true, 10, Duration::from_micros(1000 + i));
        }
        m.record("READ", false, 10, Duration::from_millis(300));
        let report = m.report(Duration::from_secs(2));
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines.len(), 3, "{report}");
        assert!(lines[0].starts_with("READ   - Takes(s): 2.0, Count: 1000, OPS: 500.0, Avg(us): 149, Min(us): 100, Max(us): 199, 99th(us): 198"), "{report}");
        assert!(
            lines[1].starts_with("READ_ERROR - Takes(s): 2.0, Count: 10,"),
            "{report}"
        );
        for line in &lines {
            let parsed = parse_line(line).unwrap_or_else(|| panic!("{line}"));
            assert!(parsed.count > 0, "{line}");
        }
    }

    #[test]
    fn nothing_measured_prints_nothing() {
        assert_eq!(Measurements::default().report(Duration::from_secs(1)), "");
    }
}
