//! The PD client against a loopback PD that answers badly: every fixture
//! as its endpoint, invalid JSON, an empty 200, a 500, a stall beyond the
//! timeout, a body over the limit, ids above 2^63, duplicate ids and three
//! stores on one host. Each failure names the endpoint and what it answered;
//! each partial answer keeps what can be read and says what was left out.

use std::collections::HashMap;
use std::time::Duration;

use chaosdeck::cluster::StoreState;
use chaosdeck::cluster::pd::client::BODY_LIMIT_ENV;
use chaosdeck::cluster::pd::{PdClient, PdError};

use crate::hostile_inputs::fixtures;
use chaosdeck::testing::fake_pd::{FakePd, Reply, fixture, healthy_routes};

const PATIENT: Duration = Duration::from_secs(10);
const SHORT: Duration = Duration::from_millis(300);
const STORES: &str = "/pd/api/v1/stores";

fn client(pd: &FakePd, timeout: Duration) -> PdClient {
    PdClient::new(vec![pd.url.clone()], timeout).unwrap()
}

async fn serving(path: &str, reply: Reply) -> FakePd {
    let mut routes = healthy_routes();
    routes.insert(path.to_string(), reply);
    FakePd::start(routes).await
}

async fn stores_error(reply: Reply, timeout: Duration) -> PdError {
    let pd = serving(STORES, reply).await;
    client(&pd, timeout).stores().await.unwrap_err()
}

#[tokio::test]
async fn every_fixture_served_as_its_endpoint_reads_or_fails_at_a_position() {
    for (name, body) in fixtures("pd") {
        if name.ends_with(".prom") {
            continue;
        }
        let pd = FakePd::start(HashMap::from([
            (STORES.to_string(), Reply::Body(200, body.clone())),
            (
                "/pd/api/v1/store/4".to_string(),
                Reply::Body(200, body.clone()),
            ),
            (
                "/pd/api/v1/members".to_string(),
                Reply::Body(200, body.clone()),
            ),
            (
                "/pd/api/v1/health".to_string(),
                Reply::Body(200, body.clone()),
            ),
            (
                "/pd/api/v1/config".to_string(),
                Reply::Body(200, body.clone()),
            ),
        ]))
        .await;
        let pd_client = client(&pd, PATIENT);
        let is_json = serde_json::from_str::<serde_json::Value>(&body).is_ok();
        let results = [
            pd_client.stores().await.map(|_| ()),
            pd_client.members().await.map(|_| ()),
            pd_client.health().await.map(|_| ()),
            pd_client.store(4).await.map(|_| ()),
            pd_client.max_store_down_time().await.map(|_| ()),
        ];
        // The endpoint each sample was taken from, when the client reads it.
        let own = match name.split('_').next().unwrap() {
            "stores" => Some(0),
            "members" => Some(1),
            "health" => Some(2),
            "store" => Some(3),
            "config" if !name.contains("replicate") => Some(4),
            _ => None,
        };
        for result in &results {
            match result {
                Ok(()) => {}
                Err(PdError::InvalidJson {
                    endpoint,
                    line,
                    column,
                    ..
                }) => {
                    assert!(!is_json, "{name}: valid JSON read as invalid: {result:?}");
                    assert_eq!(endpoint, &pd.url);
                    assert!(*line >= 1 && *column >= 1, "{name}");
                }
                Err(PdError::Unexpected { endpoint, .. }) => {
                    assert!(is_json, "{name}: not JSON, yet read as JSON: {result:?}");
                    assert_eq!(endpoint, &pd.url);
                }
                Err(other) => panic!("{name}: {other}"),
            }
        }
        if let (true, Some(own)) = (is_json, own) {
            assert!(results[own].is_ok(), "{name}: {:?}", results[own]);
        }
    }
}

#[tokio::test]
async fn invalid_json_names_the_endpoint_path_line_and_column() {
    let body = "{\n  \"count\": 1,\n  \"stores\": [oops]\n}";
    let err = stores_error(Reply::Body(200, body.into()), PATIENT).await;
    let PdError::InvalidJson { line, column, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!((*line, *column), (3, 14));
    let text = err.to_string();
    assert!(text.starts_with("PD at http://127.0.0.1:"), "{text}");
    assert!(
        text.ends_with(
            "answered /pd/api/v1/stores with invalid JSON at line 3, column 14: expected value"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn an_empty_200_is_an_empty_body() {
    for body in ["", "  \n"] {
        let err = stores_error(Reply::Body(200, body.into()), PATIENT).await;
        assert!(matches!(err, PdError::EmptyBody { .. }), "{err:?}");
        assert!(
            err.to_string()
                .ends_with("answered /pd/api/v1/stores with an empty body")
        );
    }
}

#[tokio::test]
async fn a_500_says_so_with_a_clean_excerpt_of_its_body() {
    let err = stores_error(Reply::Body(500, "\u{1b}[31mboom\u{7}".into()), PATIENT).await;
    let PdError::Status { code, body, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!((*code, body.as_str()), (500, "␛[31mboom␇"));
    assert!(
        err.to_string()
            .contains("answered /pd/api/v1/stores with HTTP 500: ␛[31mboom␇")
    );
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_unexpected_at_a_position() {
    let err = stores_error(
        Reply::Body(200, r#"{"stores": "all of them"}"#.into()),
        PATIENT,
    )
    .await;
    assert!(matches!(err, PdError::Unexpected { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("unexpected answer to /pd/api/v1/stores: at line 1"),
        "{err}"
    );
}

#[tokio::test]
async fn a_stall_beyond_the_timeout_is_a_timeout_not_a_hang() {
    let body = fixture("stores_v8.1.0_3tikv_1tiflash_up_tidb-operator.json");
    for reply in [Reply::Silent, Reply::StallMidBody(body)] {
        let started = std::time::Instant::now();
        let err = stores_error(reply.clone(), SHORT).await;
        let PdError::Unreachable { tried } = &err else {
            panic!("{reply:?}: {err:?}");
        };
        assert_eq!(tried[0].1, "timed out after 300ms", "{reply:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{reply:?}: no hang"
        );
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_cut_short_and_said() {
    const HUNDRED_MB: u64 = 100 << 20;
    for declared in [false, true] {
        let pd = serving(
            STORES,
            Reply::Endless {
                bytes: HUNDRED_MB,
                declared,
            },
        )
        .await;
        let pd_client = client(&pd, PATIENT).with_body_limit(1 << 20);
        let err = pd_client.stores().await.unwrap_err();
        assert!(
            matches!(&err, PdError::TooLarge { limit, .. } if *limit == 1 << 20),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("with a body over the limit of 1 MiB"),
            "{text}"
        );
        assert!(text.contains(BODY_LIMIT_ENV), "{text}");
        // Reading stopped near the limit: the rest was never taken in.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            pd.written() < 32 << 20,
            "declared {declared}: {} bytes sent",
            pd.written()
        );
    }
}

#[tokio::test]
async fn ids_above_two_to_the_63_stay_exact() {
    let body = r#"{"count": 2, "stores": [
        {"store": {"id": 18446744073709551615, "address": "tikv1:20160"}},
        {"store": {"id": 9223372036854775809, "address": "tikv0:20160"}}]}"#;
    let pd = serving(STORES, Reply::Body(200, body.into())).await;
    let stores = client(&pd, PATIENT).stores().await.unwrap();
    let ids: Vec<u64> = stores.stores.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![9_223_372_036_854_775_809, u64::MAX]);
    assert!(stores.skipped.is_empty());
    // The v8.1.0 health sample has a member id above 2^63 too.
    let health = client(&pd, PATIENT).health().await.unwrap();
    assert!(
        health
            .iter()
            .any(|h| h.member_id == Some(12_818_309_996_638_325_969))
    );
}

#[tokio::test]
async fn an_id_beyond_u64_skips_that_store_only() {
    let body = r#"{"stores": [
        {"store": {"id": 1, "address": "tikv0:20160"}},
        {"store": {"id": 18446744073709551616, "address": "tikv1:20160"}},
        {"store": {"id": 5, "address": "tikv2:20160"}, "status": {"region_count": -3}}]}"#;
    let pd = serving(STORES, Reply::Body(200, body.into())).await;
    let view = client(&pd, PATIENT).cluster_view().await.unwrap();
    let names: Vec<&str> = view.stores.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(names, vec!["tikv0"]);
    assert_eq!(view.skipped.len(), 2, "{:?}", view.skipped);
    assert!(view.skipped[0].starts_with("store #2 (id 18446744073709551616) skipped: "));
    assert!(view.skipped[1].starts_with("store #3 (id 5) skipped: invalid value: integer `-3`"));
}

#[tokio::test]
async fn duplicate_ids_show_one_store_and_are_said_once() {
    let entry = |id: u64, port: u16| {
        format!(r#"{{"store": {{"id": {id}, "address": "tikv{id}:{port}", "state_name": "Up"}}}}"#)
    };
    let body = format!(
        r#"{{"stores": [{}, {}, {}, {}, {}]}}"#,
        entry(4, 1),
        entry(5, 1),
        entry(4, 2),
        entry(5, 2),
        entry(4, 3)
    );
    let pd = serving(STORES, Reply::Body(200, body)).await;
    let stores = client(&pd, PATIENT).stores().await.unwrap();
    let shown: Vec<(u64, &str)> = stores
        .stores
        .iter()
        .map(|s| (s.id, s.address.as_str()))
        .collect();
    assert_eq!(
        shown,
        vec![(4, "tikv4:1"), (5, "tikv5:1")],
        "the first entry of each"
    );
    assert_eq!(
        stores.skipped,
        vec![
            "store id 4 is listed more than once; only its first entry is shown".to_string(),
            "store id 5 is listed more than once; only its first entry is shown".to_string(),
        ]
    );
}

#[tokio::test]
async fn three_stores_on_one_host_are_named_by_port() {
    let body = fixture("stores_v2.1.0-rc.2_3up_leadercount-omitted_tikv-website.json");
    let pd = serving(STORES, Reply::Body(200, body)).await;
    let view = client(&pd, PATIENT).cluster_view().await.unwrap();
    let named: Vec<(u64, &str)> = view
        .stores
        .iter()
        .map(|s| (s.id, s.service.as_str()))
        .collect();
    assert_eq!(
        named,
        vec![
            (1, "127.0.0.1:20161"),
            (2, "127.0.0.1:20162"),
            (7, "127.0.0.1:20160")
        ]
    );
    assert!(view.stores.iter().all(|s| s.state == StoreState::Up));
}

#[tokio::test]
async fn names_from_pd_are_cleaned_where_they_enter() {
    let stores = r#"{"stores": [{"store": {"id": 1, "address": "tikv\u001b]0;pwned\u0007:20160",
        "state_name": "Up\u202e"}}]}"#;
    let mut members: serde_json::Value =
        serde_json::from_str(&fixture("members_v8.1.0_3pd_tidb-operator.json")).unwrap();
    members["members"][0]["name"] = "pd\u{1b}[31m\u{200f}0".into();
    let mut routes = healthy_routes();
    routes.insert(STORES.into(), Reply::Body(200, stores.into()));
    routes.insert(
        "/pd/api/v1/members".into(),
        Reply::Body(200, members.to_string()),
    );
    let pd = FakePd::start(routes).await;
    let view = client(&pd, PATIENT).cluster_view().await.unwrap();
    assert_eq!(view.stores[0].service, "tikv␛]0;pwned␇");
    assert_eq!(
        view.stores[0].state,
        StoreState::Unknown("Up\u{fffd}".into())
    );
    assert!(
        view.members.iter().any(|m| m.name == "pd␛[31m\u{fffd}0"),
        "{:?}",
        view.members
    );
}

#[tokio::test]
async fn regions_over_the_limit_fail_alone_and_the_stores_stand() {
    let mut routes = healthy_routes();
    routes.insert(
        "/pd/api/v1/regions".into(),
        Reply::Endless {
            bytes: 100 << 20,
            declared: false,
        },
    );
    let pd = FakePd::start(routes).await;
    let view = client(&pd, PATIENT)
        .with_body_limit(1 << 20)
        .cluster_view()
        .await
        .expect("members and stores answered: a view");
    assert!(!view.stores.is_empty());
    assert!(view.stores.iter().all(|s| s.state == StoreState::Up));
    let why = view
        .regions
        .expect_err("the region list was over the limit");
    assert!(
        why.contains("/pd/api/v1/regions with a body over the limit of 1 MiB"),
        "{why}"
    );
}

#[tokio::test]
async fn a_bad_region_count_is_said_and_the_list_counts() {
    let mut routes = healthy_routes();
    routes.insert(
        "/pd/api/v1/regions".into(),
        Reply::Body(
            200,
            r#"{"count": -64, "regions": [{"id": 2, "leader": {"id": 5, "store_id": 1}}]}"#.into(),
        ),
    );
    let pd = FakePd::start(routes).await;
    let view = client(&pd, PATIENT).cluster_view().await.unwrap();
    assert_eq!(view.regions.map(|r| r.total), Ok(1));
    assert!(
        view.skipped
            .iter()
            .any(|s| s.starts_with("the region count ignored")),
        "{:?}",
        view.skipped
    );
}
