//! A plain HTTP/1.1 GET for the tests of `/metrics` and `/healthz`, and a
//! free port on loopback for the binary to listen on.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One answer: the status, the `Content-Type` and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// GET `path` from `addr`, asking for `accept` (if any); `None` when
/// nothing listens or no whole answer comes within five seconds.
pub fn get(addr: SocketAddr, path: &str, accept: Option<&str>) -> Option<Answer> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n{accept}\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let content_type = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map_or(String::new(), |(_, v)| v.trim().to_string());
    Some(Answer {
        status,
        content_type,
        body: body.to_string(),
    })
}

/// A loopback address with a port nothing listens on right now.
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

/// One sample's value in metrics text (`name` with its labels, as written).
pub fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}
