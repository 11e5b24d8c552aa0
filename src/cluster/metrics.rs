//! TiKV's status-port metrics as a fallback throughput signal when no load
//! generator output is available: a Prometheus text-format parser, the total
//! of TiKV's request counters, and a scraper. Two totals taken some time
//! apart give ops/s ([`ops_per_second`]).

use std::time::Duration;

use crate::cluster::pd::client::describe_http_error;
use crate::workload::plausible::ops_rate;

/// One sample line: `name{label="value",...} value [timestamp]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

/// A line of the exposition that is not a sample, a comment or blank.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metrics line {line}: {reason}: {text:?}")]
pub struct MetricsParseError {
    /// 1-based.
    pub line: usize,
    pub reason: &'static str,
    /// The offending line, cut to 120 characters.
    pub text: String,
}

/// Parses the Prometheus text format (version 0.0.4, what TiKV's
/// rust-prometheus writes). `# HELP` / `# TYPE` and other comments are
/// skipped; timestamps are accepted and dropped.
pub fn parse_text(body: &str) -> Result<Vec<Sample>, MetricsParseError> {
    let mut samples = Vec::new();
    for (index, raw) in body.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let sample = parse_sample(line).map_err(|reason| MetricsParseError {
            line: index + 1,
            reason,
            text: line.chars().take(120).collect(),
        })?;
        samples.push(sample);
    }
    Ok(samples)
}

fn parse_sample(line: &str) -> Result<Sample, &'static str> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("expected a metric name");
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(after_brace) = rest.strip_prefix('{') {
        rest = parse_labels(after_brace, &mut labels)?;
    }
    if !rest.starts_with([' ', '\t']) {
        return Err("expected a space before the value");
    }
    let mut fields = rest.split_whitespace();
    let value = fields.next().ok_or("missing value")?;
    let value = parse_value(value).ok_or("the value is not a number")?;
    if let Some(timestamp) = fields.next() {
        timestamp
            .parse::<i64>()
            .map_err(|_| "the timestamp is not an integer")?;
    }
    if fields.next().is_some() {
        return Err("unexpected text after the timestamp");
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// Parses `a="1",b="x\"y"}` (after the opening brace) and returns what
/// follows the closing brace.
fn parse_labels<'a>(
    mut rest: &'a str,
    labels: &mut Vec<(String, String)>,
) -> Result<&'a str, &'static str> {
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('}') {
            return Ok(after);
        }
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .ok_or("unterminated labels")?;
        let name = &rest[..name_end];
        if name.is_empty() {
            return Err("expected a label name");
        }
        rest = rest[name_end..].trim_start();
        rest = rest
            .strip_prefix('=')
            .ok_or("expected = after a label name")?;
        rest = rest.trim_start();
        rest = rest
            .strip_prefix('"')
            .ok_or("expected a quoted label value")?;
        let (value, after) = parse_quoted(rest)?;
        labels.push((name.to_string(), value));
        rest = after.trim_start();
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = after_comma;
        } else if !rest.starts_with('}') {
            return Err("expected , or } after a label");
        }
    }
}

/// Reads up to the closing quote, undoing `\\`, `\"` and `\n`.
fn parse_quoted(text: &str) -> Result<(String, &str), &'static str> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[index + 1..])),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            other => value.push(other),
        }
    }
    Err("unterminated label value")
}

/// Go/Prometheus floats: decimals, exponents, `NaN`, `+Inf`, `-Inf`.
fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ if text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
        {
            text.parse().ok()
        }
        _ => None,
    }
}

/// gRPC requests served, per `type` (a histogram's `_count`).
pub const GRPC_REQUESTS: &str = "tikv_grpc_msg_duration_seconds_count";
/// Storage commands executed, per `type`; the fallback counter.
pub const STORAGE_COMMANDS: &str = "tikv_storage_command_total";

/// The cumulative number of requests a TiKV has served: the sum of
/// [`GRPC_REQUESTS`] over its labels, leaving out `type="kv_gc"` as TiKV's
/// dashboards do; [`STORAGE_COMMANDS`] when there is no gRPC counter. None
/// when neither is present (e.g. zero counters dropped by
/// `server.simplify-metrics` on an idle node: treat as "unknown", not 0).
/// Non-finite samples are ignored.
pub fn ops_total(samples: &[Sample]) -> Option<f64> {
    let sum = |name: &str, skip: &dyn Fn(&Sample) -> bool| {
        let mut found = false;
        let mut total = 0.0;
        for sample in samples.iter().filter(|s| s.name == name && !skip(s)) {
            found = true;
            if sample.value.is_finite() {
                total += sample.value;
            }
        }
        found.then_some(total)
    };
    sum(GRPC_REQUESTS, &|s| s.label("type") == Some("kv_gc"))
        .or_else(|| sum(STORAGE_COMMANDS, &|_| false))
}

/// The rate between two totals taken `elapsed` apart. None when no time
/// passed, the counter went backwards (the TiKV restarted) or the rate
/// cannot be one ([`crate::workload::plausible::ops_rate`]).
pub fn ops_per_second(previous_total: f64, current_total: f64, elapsed: Duration) -> Option<f64> {
    let seconds = elapsed.as_secs_f64();
    let delta = current_total - previous_total;
    if seconds <= 0.0 || delta < 0.0 {
        return None;
    }
    ops_rate(delta / seconds)
}

/// Why a scrape gave no total.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScrapeError {
    #[error("invalid TiKV status address {address:?}: {reason}")]
    InvalidAddress { address: String, reason: String },
    #[error("TiKV metrics at {url} did not answer: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("TiKV metrics at {url} answered HTTP {code}")]
    Status { url: String, code: u16 },
    #[error("TiKV metrics at {url}: {error}")]
    Parse {
        url: String,
        error: MetricsParseError,
    },
    #[error("TiKV metrics at {url} have neither {GRPC_REQUESTS} nor {STORAGE_COMMANDS}")]
    NoRequestCounter { url: String },
}

/// Scrapes `http://<status-addr>/metrics` (TiKV's `--status-addr`, default
/// port 20180) with a timeout per request.
#[derive(Debug, Clone)]
pub struct MetricsScraper {
    http: reqwest::Client,
    timeout: Duration,
}

impl MetricsScraper {
    pub fn new(timeout: Duration) -> Result<Self, ScrapeError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .build()
            .map_err(|err| ScrapeError::InvalidAddress {
                address: String::new(),
                reason: format!("cannot build the HTTP client: {err}"),
            })?;
        Ok(Self { http, timeout })
    }

    /// The request total of one TiKV, see [`ops_total`].
    pub async fn ops_total(&self, status_address: &str) -> Result<f64, ScrapeError> {
        let url = metrics_url(status_address)?;
        let unreachable = |err: reqwest::Error| ScrapeError::Unreachable {
            url: url.clone(),
            reason: describe_http_error(&err, self.timeout),
        };
        let response = self.http.get(&url).send().await.map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            return Err(ScrapeError::Status {
                url,
                code: status.as_u16(),
            });
        }
        let body = response.text().await.map_err(unreachable)?;
        let samples = parse_text(&body).map_err(|error| ScrapeError::Parse {
            url: url.clone(),
            error,
        })?;
        ops_total(&samples).ok_or(ScrapeError::NoRequestCounter { url })
    }
}

/// `tikv1:20180` -> `http://tikv1:20180/metrics`.
fn metrics_url(status_address: &str) -> Result<String, ScrapeError> {
    let trimmed = status_address.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(ScrapeError::InvalidAddress {
            address: status_address.to_string(),
            reason: "empty".into(),
        });
    }
    let base = match trimmed.split_once("://") {
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("http") => trimmed.to_string(),
        Some(_) => {
            return Err(ScrapeError::InvalidAddress {
                address: status_address.to_string(),
                reason: "only http:// is supported".into(),
            });
        }
        None => format!("http://{trimmed}"),
    };
    let url = format!("{base}/metrics");
    match reqwest::Url::parse(&url) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(url),
        Ok(_) => Err(ScrapeError::InvalidAddress {
            address: status_address.to_string(),
            reason: "no host".into(),
        }),
        Err(err) => Err(ScrapeError::InvalidAddress {
            address: status_address.to_string(),
            reason: err.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_with_escapes_spaces_and_trailing_comma() {
        let samples =
            parse_text("m{a=\"x\\\"y\", b = \"line\\nnext\",c=\"\\\\\",} 2.5e3 1700000000000\n")
                .unwrap();
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].label("a"), Some("x\"y"));
        assert_eq!(samples[0].label("b"), Some("line\nnext"));
        assert_eq!(samples[0].label("c"), Some("\\"));
        assert_eq!(samples[0].value, 2500.0);
    }

    #[test]
    fn special_values() {
        let samples = parse_text("a +Inf\nb -Inf\nc NaN\nd 0\n").unwrap();
        assert_eq!(samples[0].value, f64::INFINITY);
        assert_eq!(samples[1].value, f64::NEG_INFINITY);
        assert!(samples[2].value.is_nan());
        assert_eq!(samples[3].value, 0.0);
    }

    #[test]
    fn bad_lines_name_their_number_and_reason() {
        for (body, line, reason) in [
            ("ok 1\n{a=\"1\"} 2", 2, "expected a metric name"),
            ("m{a=\"1\" 2", 1, "expected , or } after a label"),
            ("m{a=\"1} 2", 1, "unterminated label value"),
            ("m{a=1} 2", 1, "expected a quoted label value"),
            ("m abc", 1, "the value is not a number"),
            ("m", 1, "expected a space before the value"),
            ("m 1 2.5", 1, "the timestamp is not an integer"),
            ("m 1 2 3", 1, "unexpected text after the timestamp"),
            ("m infinity", 1, "the value is not a number"),
        ] {
            let err = parse_text(body).unwrap_err();
            assert_eq!((err.line, err.reason), (line, reason), "{body:?}");
        }
    }

    fn sample(name: &str, kind: &str, value: f64) -> Sample {
        Sample {
            name: name.to_string(),
            labels: vec![("type".to_string(), kind.to_string())],
            value,
        }
    }

    #[test]
    fn ops_total_sums_grpc_counts_without_gc() {
        let samples = vec![
            sample(GRPC_REQUESTS, "kv_get", 100.0),
            sample(GRPC_REQUESTS, "kv_prewrite", 40.0),
            sample(GRPC_REQUESTS, "kv_gc", 1_000.0),
            sample(GRPC_REQUESTS, "raw_put", f64::NAN),
            sample(STORAGE_COMMANDS, "get", 7.0),
            sample("tikv_grpc_msg_duration_seconds_sum", "kv_get", 3.0),
        ];
        assert_eq!(ops_total(&samples), Some(140.0));
    }

    #[test]
    fn ops_total_falls_back_to_storage_commands_then_none() {
        let samples = vec![
            sample(STORAGE_COMMANDS, "get", 7.0),
            sample(STORAGE_COMMANDS, "prewrite", 3.0),
        ];
        assert_eq!(ops_total(&samples), Some(10.0));
        assert_eq!(ops_total(&[sample("other", "x", 1.0)]), None);
    }

    #[test]
    fn rate_between_two_scrapes() {
        assert_eq!(
            ops_per_second(1_000.0, 6_000.0, Duration::from_secs(5)),
            Some(1_000.0)
        );
        assert_eq!(
            ops_per_second(1_000.0, 1_000.0, Duration::from_secs(5)),
            Some(0.0)
        );
        assert_eq!(ops_per_second(6_000.0, 10.0, Duration::from_secs(5)), None);
        assert_eq!(ops_per_second(1.0, 2.0, Duration::ZERO), None);
    }

    #[test]
    fn status_addresses_become_metrics_urls() {
        assert_eq!(
            metrics_url("tikv1:20180").unwrap(),
            "http://tikv1:20180/metrics"
        );
        assert_eq!(
            metrics_url("http://127.0.0.1:20180/").unwrap(),
            "http://127.0.0.1:20180/metrics"
        );
        assert!(matches!(
            metrics_url("https://x:1"),
            Err(ScrapeError::InvalidAddress { .. })
        ));
        assert!(matches!(
            metrics_url(""),
            Err(ScrapeError::InvalidAddress { .. })
        ));
    }
}
