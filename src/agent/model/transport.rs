//! One streamed request to a model server, and whether a failed one is
//! worth another try. The HTTP status and the stream both count: an
//! overload can come as HTTP 529 or as an `error` event after HTTP 200.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;

use super::config::ApiKey;
use super::conversation::{Delta, StreamError, StreamParser, Turn};
use super::sse::SseDecoder;
use crate::backoff::Backoff;
use crate::text::quote_for_model;

/// Most bytes of an error body read (and then shown, cut shorter).
const ERROR_BODY_BYTES: usize = 8 * 1024;
/// Most bytes of one streamed answer: a server that ignores `max_tokens`
/// must not fill memory.
pub const MAX_STREAM_BYTES: usize = 4 << 20;

/// Why one request produced no turn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("no connection to the model server: {0}")]
    Connect(String),
    #[error("HTTP {status}: {message}")]
    Status {
        status: u16,
        /// `retry-after` (or `retry-after-ms`) when the server sent one.
        retry_after: Option<RetryAfter>,
        message: String,
    },
    #[error("no first token within {}s", .0.as_secs_f64())]
    FirstToken(Duration),
    #[error("no complete answer within the deadline")]
    Deadline,
    #[error("{0}")]
    Stream(StreamError),
    #[error("the answer grew past {} MiB", MAX_STREAM_BYTES >> 20)]
    TooLong,
}

/// What a `retry-after` header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    After(Duration),
    /// Present but not a number of seconds (an HTTP date): wait the backoff.
    Unreadable,
}

/// Parses `retry-after-ms` (preferred) or `retry-after` in seconds.
pub fn retry_after(headers: &HeaderMap) -> Option<RetryAfter> {
    let read = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = read("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(RetryAfter::After(Duration::from_secs_f64(ms / 1000.0)));
        }
    }
    let value = read("retry-after")?;
    Some(match value.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => RetryAfter::After(Duration::from_secs_f64(s)),
        _ => RetryAfter::Unreadable,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    After(Duration),
    No,
}

/// The wait before attempt `attempt + 1`: 1 s, 2 s, 4 s... up to 8 s.
pub fn backoff(attempt: u32) -> Duration {
    const BACKOFF: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
    BACKOFF.wait(attempt.saturating_add(1))
}

/// Whether a request that failed with `error` on attempt `attempt` (0 for
/// the first) is tried again, and after how long. A 429 without
/// `retry-after` is a spend limit: waiting does not lift it. 400, 401 and
/// 403 will not change either.
pub fn retry_policy(error: &CallError, attempt: u32, max_retries: u32) -> Retry {
    if attempt >= max_retries {
        return Retry::No;
    }
    let wait = |after: Option<RetryAfter>| match after {
        Some(RetryAfter::After(d)) => Retry::After(d),
        _ => Retry::After(backoff(attempt)),
    };
    match error {
        CallError::Status {
            status: 429,
            retry_after: None,
            ..
        } => Retry::No,
        CallError::Status {
            status: 429 | 408 | 500 | 502 | 503 | 504 | 529,
            retry_after,
            ..
        } => wait(*retry_after),
        CallError::Status { .. } => Retry::No,
        CallError::Connect(_) => wait(None),
        CallError::Stream(e) if e.is_transient() => wait(None),
        CallError::Stream(_)
        | CallError::FirstToken(_)
        | CallError::Deadline
        | CallError::TooLong => Retry::No,
    }
}

/// One request, ready to send.
pub struct Request {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub key_header: Option<(&'static str, String)>,
    pub body: serde_json::Value,
}

impl Request {
    pub fn new(url: String, body: serde_json::Value) -> Self {
        Self {
            url,
            headers: Vec::new(),
            key_header: None,
            body,
        }
    }

    fn header_map(&self) -> Result<HeaderMap, CallError> {
        let mut map = HeaderMap::new();
        let bad = |name: &str| CallError::Connect(format!("the {name} header cannot be sent"));
        for (name, value) in &self.headers {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).map_err(|_| bad(name))?,
            );
        }
        if let Some((name, value)) = &self.key_header {
            let mut value = HeaderValue::from_str(value).map_err(|_| bad(name))?;
            // Kept out of any debug output of the request.
            value.set_sensitive(true);
            map.insert(HeaderName::from_static(name), value);
        }
        Ok(map)
    }
}

/// Deadlines of one request: the first token, and the whole answer.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub first_token: Instant,
    /// How long the first token was given (for the message).
    pub first_token_span: Duration,
    pub total: Instant,
}

impl Deadlines {
    /// From now: `first_token` for the first token, within `total`.
    pub fn from_now(first_token: Duration, total: Instant) -> Self {
        Self {
            first_token: Instant::now() + first_token,
            first_token_span: first_token,
            total,
        }
    }
}

/// Sends `request` and streams its answer through `parser`, handing each
/// delta to `on_delta` as it arrives.
pub async fn stream_turn(
    client: &reqwest::Client,
    request: &Request,
    mut parser: Box<dyn StreamParser>,
    deadlines: Deadlines,
    key: Option<&ApiKey>,
    mut on_delta: impl FnMut(Delta),
) -> Result<Turn, CallError> {
    let scrub = |text: String| -> String {
        let text = quote_for_model(&text);
        match key {
            Some(key) => key.redact(&text),
            None => text,
        }
    };
    let first_wait = deadlines.first_token.min(deadlines.total);
    let timed_out = |first: bool| {
        if first && deadlines.first_token <= deadlines.total {
            CallError::FirstToken(deadlines.first_token_span)
        } else {
            CallError::Deadline
        }
    };
    let send = client
        .post(&request.url)
        .headers(request.header_map()?)
        .json(&request.body)
        .send();
    let mut response = match tokio::time::timeout_at(first_wait, send).await {
        Err(_) => return Err(timed_out(true)),
        // reqwest's message names the URL, never the headers.
        Ok(Err(e)) => return Err(CallError::Connect(scrub(connect_message(&e)))),
        Ok(Ok(response)) => response,
    };
    let status = response.status().as_u16();
    if status != 200 {
        let retry_after = retry_after(response.headers());
        let body = read_some(&mut response, first_wait).await;
        return Err(CallError::Status {
            status,
            retry_after,
            message: scrub(error_message(status, &body)),
        });
    }
    let mut decoder = SseDecoder::new();
    let mut got_first = false;
    let mut received = 0usize;
    loop {
        let limit = if got_first {
            deadlines.total
        } else {
            first_wait
        };
        let chunk = match tokio::time::timeout_at(limit, response.chunk()).await {
            Err(_) => return Err(timed_out(!got_first)),
            Ok(Err(e)) => {
                return Err(CallError::Stream(StreamError::Cut(scrub(connect_message(
                    &e,
                )))));
            }
            Ok(Ok(None)) => break,
            Ok(Ok(Some(chunk))) => chunk,
        };
        received += chunk.len();
        if received > MAX_STREAM_BYTES {
            return Err(CallError::TooLong);
        }
        let events = decoder
            .push(&chunk)
            .map_err(|e| CallError::Stream(StreamError::Malformed(e.to_string())))?;
        for event in events {
            for delta in parser
                .on_event(&event)
                .map_err(|e| CallError::Stream(scrub_stream(e, &scrub)))?
            {
                got_first = true;
                on_delta(delta);
            }
        }
    }
    if let Some(event) = decoder.finish() {
        for delta in parser
            .on_event(&event)
            .map_err(|e| CallError::Stream(scrub_stream(e, &scrub)))?
        {
            on_delta(delta);
        }
    }
    parser
        .finish()
        .map_err(|e| CallError::Stream(scrub_stream(e, &scrub)))
}

fn scrub_stream(error: StreamError, scrub: &impl Fn(String) -> String) -> StreamError {
    match error {
        StreamError::Api { kind, message } => StreamError::Api {
            kind: scrub(kind),
            message: scrub(message),
        },
        StreamError::Malformed(m) => StreamError::Malformed(scrub(m)),
        StreamError::Cut(m) => StreamError::Cut(scrub(m)),
    }
}

fn connect_message(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

async fn read_some(response: &mut reqwest::Response, until: Instant) -> String {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_BYTES {
        match tokio::time::timeout_at(until, response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(ERROR_BODY_BYTES);
    String::from_utf8_lossy(&body).into_owned()
}

/// The server's own words when its body carries them (both APIs put them
/// in `error.message`), else the start of the body.
pub fn error_message(status: u16, body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let error = &v["error"];
            let message = error["message"].as_str().or(error.as_str())?;
            Some(match error["type"].as_str().or(error["code"].as_str()) {
                Some(kind) => format!("{kind}: {message}"),
                None => message.to_string(),
            })
        });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    let text: String = text.chars().take(240).collect();
    if text.is_empty() {
        match status {
            401 => "unauthorized (check the API key)".into(),
            403 => "forbidden".into(),
            404 => "not found (check --agent-url and --model)".into(),
            _ => "no message".into(),
        }
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, retry_after: Option<RetryAfter>) -> CallError {
        CallError::Status {
            status: code,
            retry_after,
            message: String::new(),
        }
    }

    #[test]
    fn the_documented_retry_rules() {
        let after = Some(RetryAfter::After(Duration::from_secs(3)));
        assert_eq!(
            retry_policy(&status(429, after), 0, 2),
            Retry::After(Duration::from_secs(3))
        );
        assert_eq!(
            retry_policy(&status(429, None), 0, 2),
            Retry::No,
            "spend limit"
        );
        assert_eq!(
            retry_policy(&status(529, None), 0, 2),
            Retry::After(Duration::from_secs(1))
        );
        assert_eq!(
            retry_policy(&status(529, None), 1, 2),
            Retry::After(Duration::from_secs(2))
        );
        assert_eq!(
            retry_policy(&status(529, None), 2, 2),
            Retry::No,
            "retries spent"
        );
        for code in [400, 401, 403, 404] {
            assert_eq!(
                retry_policy(&status(code, after), 0, 2),
                Retry::No,
                "{code}"
            );
        }
        let overloaded = CallError::Stream(StreamError::Api {
            kind: "overloaded_error".into(),
            message: "Overloaded".into(),
        });
        assert_eq!(
            retry_policy(&overloaded, 0, 2),
            Retry::After(Duration::from_secs(1))
        );
        let invalid = CallError::Stream(StreamError::Api {
            kind: "invalid_request_error".into(),
            message: "bad".into(),
        });
        assert_eq!(retry_policy(&invalid, 0, 2), Retry::No);
        assert_eq!(
            retry_policy(&CallError::FirstToken(Duration::from_secs(1)), 0, 2),
            Retry::No
        );
    }

    #[test]
    fn backoff_doubles_up_to_eight_seconds() {
        let waits: Vec<u64> = [0, 1, 2, 3, 4, u32::MAX]
            .map(|attempt| backoff(attempt).as_secs())
            .to_vec();
        assert_eq!(waits, [1, 2, 4, 8, 8, 8]);
    }

    #[test]
    fn retry_after_in_seconds_milliseconds_or_a_date() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(
            retry_after(&headers),
            Some(RetryAfter::After(Duration::from_secs(7)))
        );
        headers.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(
            retry_after(&headers),
            Some(RetryAfter::After(Duration::from_millis(1500)))
        );
        let mut dated = HeaderMap::new();
        dated.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2026 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&dated), Some(RetryAfter::Unreadable));
    }

    #[test]
    fn error_bodies_give_the_servers_words() {
        assert_eq!(
            error_message(
                429,
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#
            ),
            "rate_limit_error: slow down"
        );
        assert_eq!(error_message(401, ""), "unauthorized (check the API key)");
        assert_eq!(error_message(500, "oops"), "oops");
    }
}
