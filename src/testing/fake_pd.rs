//! A PD stand-in on 127.0.0.1 that answers what a test tells it to, for
//! the hostile-input tests of the client and of the binary: bodies with any
//! status, silence, a body that stalls halfway, and a body that never ends.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does for one path.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A status and a body, with its length.
    Body(u16, String),
    /// Reads the request and never answers.
    Silent,
    /// Headers and half a body, then nothing.
    StallMidBody(String),
    /// `bytes` of a JSON array, chunked; `declared` sends a Content-Length.
    Endless { bytes: u64, declared: bool },
}

pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pd")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A healthy three-member PD with the v8.1.0 samples, and empty region checks.
pub fn healthy_routes() -> HashMap<String, Reply> {
    let ok = |body: String| Reply::Body(200, body);
    HashMap::from([
        (
            "/pd/api/v1/stores".to_string(),
            ok(fixture(
                "stores_v8.1.0_3tikv_1tiflash_up_tidb-operator.json",
            )),
        ),
        (
            "/pd/api/v1/members".to_string(),
            ok(fixture("members_v8.1.0_3pd_tidb-operator.json")),
        ),
        (
            "/pd/api/v1/health".to_string(),
            ok(fixture("health_v8.1.0_3pd_tidb-operator.json")),
        ),
        (
            "/pd/api/v1/regions".to_string(),
            ok(r#"{"count": 0, "regions": []}"#.into()),
        ),
        (
            "/pd/api/v1/regions/check/miss-peer".to_string(),
            ok(r#"{"count": 0, "regions": []}"#.into()),
        ),
        (
            "/pd/api/v1/regions/check/down-peer".to_string(),
            ok(r#"{"count": 0, "regions": []}"#.into()),
        ),
    ])
}

pub struct FakePd {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// Body bytes written so far, over every connection.
    pub written: Arc<AtomicU64>,
}

impl FakePd {
    pub async fn start(routes: HashMap<String, Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let written = Arc::new(AtomicU64::new(0));
        let counter = written.clone();
        let routes = Arc::new(routes);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, routes.clone(), counter.clone()));
            }
        });
        Self { url, written }
    }

    /// Starts one on a thread of its own, for tests without a runtime (the
    /// binary's tests): it lives as long as the test process.
    pub fn start_in_background(routes: HashMap<String, Reply>) -> String {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let pd = FakePd::start(routes).await;
                tx.send(pd.url.clone()).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    }

    pub fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

async fn answer(
    mut stream: TcpStream,
    routes: Arc<HashMap<String, Reply>>,
    written: Arc<AtomicU64>,
) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let head = String::from_utf8_lossy(&request);
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let reply = routes
        .get(&path)
        .cloned()
        .unwrap_or(Reply::Body(404, "404 page not found".into()));
    match reply {
        Reply::Body(code, body) => {
            let response = format!(
                "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            written.fetch_add(body.len() as u64, Ordering::SeqCst);
            let _ = stream.shutdown().await;
        }
        Reply::Silent => {
            let _ = stream.read(&mut buffer).await;
        }
        Reply::StallMidBody(body) => {
            let half = &body[..body.len() / 2];
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{half}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Reply::Endless { bytes, declared } => {
            let length = if declared {
                format!("Content-Length: {bytes}\r\n")
            } else {
                "Transfer-Encoding: chunked\r\n".to_string()
            };
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}\r\n");
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < bytes {
                let n = chunk.len().min((bytes - sent) as usize);
                let result = if declared {
                    stream.write_all(&chunk[..n]).await
                } else {
                    let mut framed = format!("{n:x}\r\n").into_bytes();
                    framed.extend_from_slice(&chunk[..n]);
                    framed.extend_from_slice(b"\r\n");
                    stream.write_all(&framed).await
                };
                if result.is_err() {
                    return;
                }
                sent += n as u64;
                written.fetch_add(n as u64, Ordering::SeqCst);
            }
        }
    }
}
