//! PdClient against loopback HTTP servers that answer with the PD fixtures,
//! stay silent, fail or send garbage.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chaosdeck::cluster::pd::{PdClient, PdError};
use chaosdeck::cluster::{RegionHealth, StoreState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Long enough never to fire on a loaded machine when a server answers.
const PATIENT: Duration = Duration::from_secs(10);
/// For servers that never answer.
const SHORT: Duration = Duration::from_millis(200);

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pd")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[derive(Clone)]
enum Behaviour {
    /// Answers these paths (anything else: 404).
    Routes(HashMap<&'static str, (u16, String)>),
    /// Reads the request and never answers.
    Silent,
}

/// A PD stand-in on 127.0.0.1; counts the requests it receives.
struct FakePd {
    endpoint: String,
    requests: Arc<AtomicUsize>,
}

impl FakePd {
    async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, behaviour.clone(), counter.clone()));
            }
        });
        Self { endpoint, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn answer(mut stream: TcpStream, behaviour: Behaviour, requests: Arc<AtomicUsize>) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let head = String::from_utf8_lossy(&request);
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let routes = match behaviour {
        Behaviour::Silent => {
            // Hold the connection open until the client gives up.
            let _ = stream.read(&mut buffer).await;
            return;
        }
        Behaviour::Routes(routes) => routes,
    };
    let (code, body) = routes
        .get(path.as_str())
        .cloned()
        .unwrap_or((404, "404 page not found".to_string()));
    let response = format!(
        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// An address nothing listens on: bound, then released.
async fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().to_string()
}

fn healthy_pd_routes() -> HashMap<&'static str, (u16, String)> {
    let region = fixture("region_id2_pdctl_DOC-EXAMPLE_pingcap-docs.json");
    let mut routes = HashMap::new();
    for (path, body) in [
        (
            "/pd/api/v1/stores",
            fixture("stores_v8.1.0_3tikv_1tiflash_up_tidb-operator.json"),
        ),
        (
            "/pd/api/v1/store/4",
            fixture("store_v8.1.0_id4_up_tidb-operator.json"),
        ),
        (
            "/pd/api/v1/members",
            fixture("members_v8.1.0_3pd_tidb-operator.json"),
        ),
        (
            "/pd/api/v1/health",
            fixture("health_v8.1.0_3pd_tidb-operator.json"),
        ),
        (
            "/pd/api/v1/config",
            fixture("config_full_v4.0.14_tidb-dashboard.json"),
        ),
        (
            "/pd/api/v1/regions",
            format!(r#"{{"count": 2, "regions": [{region}, {{"id": 3, "leader": {{}}}}]}}"#),
        ),
        (
            "/pd/api/v1/regions/check/miss-peer",
            format!(r#"{{"count": 1, "regions": [{region}]}}"#),
        ),
        (
            "/pd/api/v1/regions/check/down-peer",
            r#"{"count": 0, "regions": []}"#.to_string(),
        ),
    ] {
        routes.insert(path, (200, body));
    }
    routes
}

fn client(endpoints: &[&str], timeout: Duration) -> PdClient {
    PdClient::new(endpoints.iter().map(|e| e.to_string()).collect(), timeout).unwrap()
}

#[tokio::test]
async fn happy_path_gives_the_whole_view() {
    let pd = FakePd::start(Behaviour::Routes(healthy_pd_routes())).await;
    let pd_client = client(&[&format!("http://{}/", pd.endpoint)], PATIENT);

    let view = pd_client.cluster_view().await.unwrap();
    let ids: Vec<u64> = view.stores.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![1, 4, 5], "TiFlash store 20 left out");
    assert!(view.stores.iter().all(|s| s.state == StoreState::Up));
    assert_eq!(view.stores[0].leader_count, 25);
    let leaders: Vec<&str> = view
        .members
        .iter()
        .filter(|m| m.is_leader)
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(leaders, vec!["basic-53pe89"]);
    assert!(view.members.iter().all(|m| m.healthy == Some(true)));
    assert_eq!(
        view.regions,
        Ok(RegionHealth {
            total: 2,
            without_leader: 1,
            under_replicated: 1,
            led_from_dead_node: 0
        })
    );

    let store = pd_client.store(4).await.unwrap();
    assert_eq!((store.id, store.region_count), (4, 5));
    assert_eq!(
        pd_client.max_store_down_time().await.unwrap(),
        Duration::from_secs(1800)
    );
    assert_eq!(pd_client.health().await.unwrap().len(), 3);
    let status = pd_client.status_addresses().await.unwrap();
    assert_eq!(status.len(), 3);
    assert_eq!(
        status[0],
        (
            1,
            "basic-tikv-06vg39.basic-tikv-peer.default:20180".to_string()
        )
    );
}

#[tokio::test]
async fn a_dead_first_endpoint_falls_over_to_the_second() {
    let dead = dead_endpoint().await;
    let pd = FakePd::start(Behaviour::Routes(healthy_pd_routes())).await;
    let pd_client = client(&[&dead, &pd.endpoint], PATIENT);
    assert_eq!(pd_client.current_endpoint(), format!("http://{dead}"));

    let stores = pd_client.stores().await.unwrap();
    assert_eq!(stores.stores.len(), 3);
    assert_eq!(
        pd_client.current_endpoint(),
        format!("http://{}", pd.endpoint)
    );
}

#[tokio::test]
async fn a_silent_endpoint_times_out_and_is_not_asked_again() {
    let silent = FakePd::start(Behaviour::Silent).await;
    let pd = FakePd::start(Behaviour::Routes(healthy_pd_routes())).await;
    let pd_client = client(&[&silent.endpoint, &pd.endpoint], SHORT);

    assert_eq!(pd_client.stores().await.unwrap().stores.len(), 3);
    assert_eq!(silent.requests(), 1);
    // The next request starts with the endpoint that answered.
    assert_eq!(pd_client.stores().await.unwrap().stores.len(), 3);
    assert_eq!(silent.requests(), 1);
    assert_eq!(pd.requests(), 2);
}

#[tokio::test]
async fn no_endpoint_answering_lists_every_attempt() {
    let silent = FakePd::start(Behaviour::Silent).await;
    let dead = dead_endpoint().await;
    let pd_client = client(&[&silent.endpoint, &dead], SHORT);

    let err = pd_client.stores().await.unwrap_err();
    let PdError::Unreachable { tried } = &err else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert_eq!(tried.len(), 2);
    assert_eq!(tried[0].0, format!("http://{}", silent.endpoint));
    assert_eq!(tried[0].1, "timed out after 200ms");
    assert_eq!(tried[1].0, format!("http://{dead}"));
    assert!(
        tried[1].1.starts_with("connection failed: ") && tried[1].1.contains("refused"),
        "{}",
        tried[1].1
    );
    assert!(err.to_string().starts_with("no PD endpoint answered: "));
}

fn routes_with(path: &'static str, code: u16, body: &str) -> Behaviour {
    let mut routes = HashMap::new();
    routes.insert(path, (code, body.to_string()));
    Behaviour::Routes(routes)
}

#[tokio::test]
async fn http_500_everywhere_is_a_status_error_with_the_body() {
    let body = r#""[PD:cluster:ErrNotBootstrapped]TiKV cluster not bootstrapped""#;
    let first = FakePd::start(routes_with("/pd/api/v1/stores", 500, body)).await;
    let second = FakePd::start(routes_with("/pd/api/v1/stores", 500, body)).await;
    let pd_client = client(&[&first.endpoint, &second.endpoint], PATIENT);

    let err = pd_client.stores().await.unwrap_err();
    assert_eq!(
        err,
        PdError::Status {
            endpoint: format!("http://{}", second.endpoint),
            path: "/pd/api/v1/stores".into(),
            code: 500,
            body: body.into(),
        }
    );
    assert_eq!((first.requests(), second.requests()), (1, 1));
    assert!(err.to_string().contains("with HTTP 500: "), "{err}");
}

#[tokio::test]
async fn http_500_on_one_member_moves_on_to_the_next() {
    let failing = FakePd::start(routes_with("/pd/api/v1/stores", 500, "no leader")).await;
    let pd = FakePd::start(Behaviour::Routes(healthy_pd_routes())).await;
    let pd_client = client(&[&failing.endpoint, &pd.endpoint], PATIENT);
    assert_eq!(pd_client.stores().await.unwrap().stores.len(), 3);
}

/// PD's follower with no leader: `errRedirectNoLeader`, as PD writes it.
const NO_LEADER: &str = "\"[PD:apiutil:ErrRedirectNoLeader]redirect finds no leader\"\n";

#[tokio::test]
async fn no_leader_is_said_as_such_after_every_endpoint_is_tried() {
    let dead = dead_endpoint().await;
    let follower = FakePd::start(routes_with("/pd/api/v1/members", 503, NO_LEADER)).await;
    let other = FakePd::start(routes_with("/pd/api/v1/members", 503, NO_LEADER)).await;
    let pd_client = client(&[&dead, &follower.endpoint, &other.endpoint], PATIENT);
    let err = pd_client.members().await.unwrap_err();
    let PdError::NoLeader { tried } = &err else {
        panic!("expected NoLeader, got {err:?}");
    };
    assert_eq!(tried.len(), 3, "every endpoint tried: {tried:?}");
    assert!(tried[0].1.starts_with("connection failed"), "{tried:?}");
    assert_eq!(tried[1].1, "HTTP 503 redirect finds no leader");
    assert!(err.to_string().starts_with("PD has no leader: "), "{err}");
    // `/members` went to each (`/health` beside it, asked at once, too).
    assert!(follower.requests() >= 1 && other.requests() >= 1);
}

#[tokio::test]
async fn a_member_with_a_leader_beats_a_follower_without_one() {
    // A follower that lost its leader while another member already knows
    // the new one: the answer comes from the one that knows.
    let follower = FakePd::start(routes_with("/pd/api/v1/members", 503, NO_LEADER)).await;
    let pd = FakePd::start(Behaviour::Routes(healthy_pd_routes())).await;
    let pd_client = client(&[&follower.endpoint, &pd.endpoint], PATIENT);
    let members = pd_client.members().await.unwrap();
    assert_eq!(members.iter().filter(|m| m.is_leader).count(), 1);
    assert_eq!(
        pd_client.current_endpoint(),
        format!("http://{}", pd.endpoint),
        "the next request starts with the member that answered"
    );
}

#[tokio::test]
async fn http_404_is_final_and_does_not_try_other_members() {
    let first = FakePd::start(Behaviour::Routes(HashMap::new())).await;
    let second = FakePd::start(Behaviour::Routes(healthy_pd_routes())).await;
    let pd_client = client(&[&first.endpoint, &second.endpoint], PATIENT);

    let err = pd_client.store(99).await.unwrap_err();
    assert!(
        matches!(&err, PdError::Status { code: 404, path, .. } if path == "/pd/api/v1/store/99"),
        "{err:?}"
    );
    assert_eq!(second.requests(), 0);
}

#[tokio::test]
async fn annotated_docs_are_invalid_json_naming_endpoint_and_path() {
    let annotated = fixture("stores_v3.0.0-beta_1up_ANNOTATED-NOT-JSON_tikv-website.txt");
    let pd = FakePd::start(routes_with("/pd/api/v1/stores", 200, &annotated)).await;
    let pd_client = client(&[&pd.endpoint], PATIENT);

    let err = pd_client.stores().await.unwrap_err();
    let PdError::InvalidJson {
        endpoint,
        path,
        line,
        column,
        ..
    } = &err
    else {
        panic!("expected InvalidJson, got {err:?}");
    };
    assert_eq!(endpoint, &format!("http://{}", pd.endpoint));
    assert_eq!(path, "/pd/api/v1/stores");
    assert_eq!((*line, *column), (1, 1), "{err}");
    assert!(
        err.to_string()
            .contains("answered /pd/api/v1/stores with invalid JSON at line 1, column 1: "),
        "{err}"
    );
}

#[tokio::test]
async fn a_store_without_an_id_is_skipped_and_said_while_the_others_show() {
    let body = r#"{"count": 2, "stores": [{"store": {"address": "tikv1:20160"}, "status": {}},
        {"store": {"id": 4, "address": "tikv2:20160"}}]}"#;
    let pd = FakePd::start(routes_with("/pd/api/v1/stores", 200, body)).await;
    let stores = client(&[&pd.endpoint], PATIENT).stores().await.unwrap();
    assert_eq!(stores.stores.len(), 1);
    assert_eq!(stores.stores[0].service, "tikv2");
    assert_eq!(
        stores.skipped,
        vec!["store at tikv1:20160 has no id; skipped".to_string()]
    );
}

#[tokio::test]
async fn missing_health_leaves_members_health_unknown() {
    let mut routes = healthy_pd_routes();
    routes.insert("/pd/api/v1/health", (500, "boom".into()));
    let pd = FakePd::start(Behaviour::Routes(routes)).await;
    let members = client(&[&pd.endpoint], PATIENT).members().await.unwrap();
    assert_eq!(members.len(), 3);
    assert!(members.iter().all(|m| m.healthy.is_none()));
}
