//! The little HTTP/1.1 the stand-ins speak: one request per connection
//! (`Connection: close`), bodies sized by `Content-Length`, bounded reads
//! and a deadline per connection so a stalled peer cannot pin a task.
//!
//! Enough for PD's GET endpoints, heartbeats as JSON POSTs and the load's
//! requests; not a general server.

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Largest request head and body read.
const HEAD_LIMIT: usize = 16 << 10;
const BODY_LIMIT: usize = 4 << 20;
/// A connection that has not sent its request by then is dropped.
const READ_DEADLINE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path without the query.
    pub path: String,
    pub query: String,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of `key` in the query string (no percent-decoding: the
    /// stand-ins only send numbers and names).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(value: &serde_json::Value) -> Self {
        Self {
            status: 200,
            content_type: "application/json",
            body: serde_json::to_vec_pretty(value).unwrap_or_default(),
        }
    }

    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into().into_bytes(),
        }
    }

    pub fn not_found(path: &str) -> Self {
        Self::text(404, format!("404 page not found: {path}\n"))
    }

    fn reason(&self) -> &'static str {
        match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            503 => "Service Unavailable",
            _ => "Status",
        }
    }
}

/// Why a request could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the request head is incomplete")]
    Incomplete,
    #[error("the request head is over {HEAD_LIMIT} bytes")]
    HeadTooLarge,
    #[error("the body is over {BODY_LIMIT} bytes")]
    BodyTooLarge,
    #[error("bad request line {0:?}")]
    BadRequestLine(String),
    #[error("bad Content-Length {0:?}")]
    BadLength(String),
}

/// The head of a request, once `\r\n\r\n` is in `buffer`: the request and
/// how many body bytes follow the head. Pure, for the tests.
pub fn parse_head(buffer: &[u8]) -> Result<(Request, usize, usize), ParseError> {
    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(if buffer.len() > HEAD_LIMIT {
            ParseError::HeadTooLarge
        } else {
            ParseError::Incomplete
        });
    };
    let head = String::from_utf8_lossy(&buffer[..end]);
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::BadRequestLine(line.chars().take(80).collect()));
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') || method.is_empty() {
        return Err(ParseError::BadRequestLine(line.chars().take(80).collect()));
    }
    let mut length = 0usize;
    for header in lines {
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value
                .trim()
                .parse()
                .map_err(|_| ParseError::BadLength(value.trim().chars().take(20).collect()))?;
        }
    }
    if length > BODY_LIMIT {
        return Err(ParseError::BodyTooLarge);
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let request = Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        body: Vec::new(),
    };
    Ok((request, end + 4, length))
}

/// The bytes of `response` on the wire.
pub fn encode(response: &Response) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.status,
        response.reason(),
        response.content_type,
        response.body.len()
    )
    .into_bytes();
    out.extend_from_slice(&response.body);
    out
}

async fn read_request(stream: &mut TcpStream) -> Result<Request, ParseError> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        match parse_head(&buffer) {
            Ok((mut request, body_start, length)) => {
                while buffer.len() < body_start + length {
                    let n = stream
                        .read(&mut chunk)
                        .await
                        .map_err(|_| ParseError::Incomplete)?;
                    if n == 0 {
                        return Err(ParseError::Incomplete);
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                }
                request.body = buffer[body_start..body_start + length].to_vec();
                return Ok(request);
            }
            Err(ParseError::Incomplete) => {
                let n = stream
                    .read(&mut chunk)
                    .await
                    .map_err(|_| ParseError::Incomplete)?;
                if n == 0 {
                    return Err(ParseError::Incomplete);
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            Err(other) => return Err(other),
        }
    }
}

/// Serves `listener` until `cancel`: each connection on a task of its own,
/// its request answered by `handler`.
pub async fn serve<H, F>(listener: TcpListener, handler: H, cancel: CancellationToken)
where
    H: Fn(Request) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((mut stream, _)) = accepted else {
            // Out of descriptors or a reset before accept: breathe, go on.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let handler = handler.clone();
        tokio::spawn(async move {
            let response =
                match tokio::time::timeout(READ_DEADLINE, read_request(&mut stream)).await {
                    Ok(Ok(request)) => handler(request).await,
                    Ok(Err(ParseError::Incomplete)) | Err(_) => return,
                    Ok(Err(error)) => Response::text(400, format!("{error}\n")),
                };
            let _ = stream.write_all(&encode(&response)).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// A client for the stand-ins' requests to each other: no proxy from the
/// environment (they talk over the Compose network), a short timeout.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_with_a_query() {
        let (request, start, length) =
            parse_head(b"GET /kv/read?region=2&ops=10 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/kv/read");
        assert_eq!(request.param("region"), Some("2"));
        assert_eq!(request.param("ops"), Some("10"));
        assert_eq!(request.param("nope"), None);
        assert_eq!((start, length), (50, 0));
    }

    #[test]
    fn a_post_names_its_body_length() {
        let head = b"POST /hb HTTP/1.1\r\ncontent-length: 12\r\n\r\n{\"a\":1}";
        let (_, start, length) = parse_head(head).unwrap();
        assert_eq!(length, 12);
        assert_eq!(start, head.len() - 7);
    }

    #[test]
    fn bad_heads_are_named() {
        assert_eq!(parse_head(b"GET /"), Err(ParseError::Incomplete));
        assert!(matches!(
            parse_head(b"HELLO\r\n\r\n"),
            Err(ParseError::BadRequestLine(_))
        ));
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Err(ParseError::BadLength(_))
        ));
        assert_eq!(
            parse_head(b"GET / HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n"),
            Err(ParseError::BodyTooLarge)
        );
        assert_eq!(
            parse_head(&vec![b'a'; HEAD_LIMIT + 1]),
            Err(ParseError::HeadTooLarge)
        );
    }

    #[test]
    fn responses_close_the_connection() {
        let bytes = encode(&Response::text(503, "not leader"));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(text.contains("Content-Length: 10\r\nConnection: close\r\n\r\nnot leader"));
    }
}
