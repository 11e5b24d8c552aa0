//! TiKV status-port metrics: the parser over rust-prometheus' own output and
//! the scraper against a loopback server.

use std::path::PathBuf;
use std::time::Duration;

use chaosdeck::cluster::metrics::{
    MetricsScraper, ScrapeError, ops_per_second, ops_total, parse_text,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pd/metrics")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn counter_and_gauge_with_const_labels() {
    let counter = parse_text(&fixture("rust-prometheus_text_counter_const-labels.prom")).unwrap();
    assert_eq!(counter.len(), 1);
    assert_eq!(counter[0].name, "test_counter");
    assert_eq!(
        counter[0].labels,
        vec![
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "2".to_string())
        ]
    );
    assert_eq!(counter[0].value, 1.0);

    let gauge = parse_text(&fixture("rust-prometheus_text_gauge_const-labels.prom")).unwrap();
    assert_eq!(
        (gauge[0].name.as_str(), gauge[0].value),
        ("test_gauge", 42.0)
    );
}

#[test]
fn histogram_buckets_sum_and_count() {
    let samples = parse_text(&fixture("rust-prometheus_text_histogram.prom")).unwrap();
    assert_eq!(samples.len(), 14);
    let buckets: Vec<_> = samples
        .iter()
        .filter(|s| s.name == "test_histogram_bucket")
        .collect();
    assert_eq!(buckets.len(), 12);
    assert_eq!(buckets[5].label("le"), Some("0.25"));
    assert_eq!(buckets[5].value, 1.0);
    assert_eq!(buckets[11].label("le"), Some("+Inf"));
    let sum = samples
        .iter()
        .find(|s| s.name == "test_histogram_sum")
        .unwrap();
    assert_eq!(sum.value, 0.25);
    let count = samples
        .iter()
        .find(|s| s.name == "test_histogram_count")
        .unwrap();
    assert_eq!((count.label("a"), count.value), (Some("1"), 1.0));
}

/// The same encoder's shape, with TiKV's metric names (SOURCES.md (c)).
fn tikv_body(kv_get: u64, kv_commit: u64) -> String {
    format!(
        "# HELP tikv_grpc_msg_duration_seconds Bucketed histogram of grpc server messages\n\
         # TYPE tikv_grpc_msg_duration_seconds histogram\n\
         tikv_grpc_msg_duration_seconds_bucket{{priority=\"normal\",type=\"kv_get\",le=\"+Inf\"}} {kv_get}\n\
         tikv_grpc_msg_duration_seconds_sum{{priority=\"normal\",type=\"kv_get\"}} 1.5\n\
         tikv_grpc_msg_duration_seconds_count{{priority=\"normal\",type=\"kv_get\"}} {kv_get}\n\
         tikv_grpc_msg_duration_seconds_count{{priority=\"normal\",type=\"kv_commit\"}} {kv_commit}\n\
         tikv_grpc_msg_duration_seconds_count{{priority=\"normal\",type=\"kv_gc\"}} 99999\n\
         # TYPE tikv_store_size_bytes gauge\n\
         tikv_store_size_bytes{{type=\"capacity\"}} 334646562816\n"
    )
}

#[test]
fn two_scrapes_give_ops_per_second() {
    let first = ops_total(&parse_text(&tikv_body(1_000, 500)).unwrap()).unwrap();
    let second = ops_total(&parse_text(&tikv_body(5_000, 1_500)).unwrap()).unwrap();
    assert_eq!((first, second), (1_500.0, 6_500.0));
    assert_eq!(
        ops_per_second(first, second, Duration::from_secs(2)),
        Some(2_500.0)
    );
}

/// Serves one fixed answer to every request; `None` never answers.
async fn serve(answer: Option<(u16, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let Some((code, body)) = answer else {
                    let _ = stream.read(&mut buffer).await;
                    return;
                };
                let response = format!(
                    "HTTP/1.1 {code} X\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    address
}

fn scraper(timeout: Duration) -> MetricsScraper {
    MetricsScraper::new(timeout).unwrap()
}

#[tokio::test]
async fn scrape_sums_the_request_counters() {
    let address = serve(Some((200, tikv_body(10, 5)))).await;
    let total = scraper(Duration::from_secs(10))
        .ops_total(&address)
        .await
        .unwrap();
    assert_eq!(total, 15.0);
}

#[tokio::test]
async fn scrape_errors_are_typed() {
    let scraper_patient = scraper(Duration::from_secs(10));

    let failing = serve(Some((500, "boom".into()))).await;
    let err = scraper_patient.ops_total(&failing).await.unwrap_err();
    assert_eq!(
        err,
        ScrapeError::Status {
            url: format!("http://{failing}/metrics"),
            code: 500
        }
    );

    let garbage = serve(Some((200, "<html>not metrics</html>".into()))).await;
    let err = scraper_patient.ops_total(&garbage).await.unwrap_err();
    assert!(
        matches!(&err, ScrapeError::Parse { error, .. } if error.line == 1),
        "{err}"
    );

    let other = serve(Some((200, fixture("rust-prometheus_text_histogram.prom")))).await;
    let err = scraper_patient.ops_total(&other).await.unwrap_err();
    assert!(matches!(err, ScrapeError::NoRequestCounter { .. }), "{err}");

    let silent = serve(None).await;
    let err = scraper(Duration::from_millis(200))
        .ops_total(&silent)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("TiKV metrics at http://{silent}/metrics did not answer: timed out after 200ms")
    );
}
