//! Every PD fixture through the API types and the mapping, with the values
//! checked against what the samples say.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chaosdeck::cluster::pd::api::{
    ClusterInfo, ConfigResponse, MemberHealth, MembersResponse, RegionInfo, RegionsResponse,
    ReplicationConfig, StatusResponse, StoreInfo, StoresResponse,
};
use chaosdeck::cluster::pd::mapping::{
    count_without_leader, map_members, map_store, map_stores, max_store_down_time, status_addresses,
};
use chaosdeck::cluster::{PdMember, Store, StoreState};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pd")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn parse<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

fn at_unix_nanos(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

const GIB: f64 = (1u64 << 30) as f64;

fn gib(value: f64) -> Option<u64> {
    Some((value * GIB).round() as u64)
}

fn summary(stores: &[Store]) -> Vec<(u64, &str, StoreState, u64, u64)> {
    stores
        .iter()
        .map(|s| {
            (
                s.id,
                s.service.as_str(),
                s.state.clone(),
                s.leader_count,
                s.region_count,
            )
        })
        .collect()
}

#[test]
fn stores_v8_leave_tiflash_out_and_sort_by_id() {
    let response: StoresResponse = parse("stores_v8.1.0_3tikv_1tiflash_up_tidb-operator.json");
    assert_eq!(response.count, Some(4));
    // Ten seconds after the newest heartbeat in the sample (store 5's).
    let now = at_unix_nanos(1_735_098_093_481_308_217);
    let stores = map_stores(&response, now).stores;
    assert_eq!(
        summary(&stores),
        vec![
            (
                1,
                "basic-tikv-06vg39.basic-tikv-peer.default",
                StoreState::Up,
                25,
                60
            ),
            (
                4,
                "basic-tikv-5gzwgj.basic-tikv-peer.default",
                StoreState::Up,
                17,
                60
            ),
            (
                5,
                "basic-tikv-4q2bgw.basic-tikv-peer.default",
                StoreState::Up,
                18,
                60
            ),
        ]
    );
    assert!(
        stores.iter().all(|s| s.id != 20),
        "TiFlash store 20 must be left out"
    );
    let store4 = &stores[1];
    assert_eq!(
        store4.address,
        "basic-tikv-5gzwgj.basic-tikv-peer.default:20160"
    );
    assert_eq!(store4.capacity_bytes, gib(311.7));
    assert_eq!(store4.available_bytes, gib(222.1));
    // 1735098093.481308217 - 1735098083.480549971
    assert_eq!(store4.heartbeat_age, Some(Duration::new(10, 758_246)));
    assert_eq!(stores[2].heartbeat_age, Some(Duration::from_secs(10)));
}

#[test]
fn stores_v4_have_no_state_field_and_are_up() {
    let response: StoresResponse = parse("stores_v4.0.14_3up_tidb-dashboard.json");
    let now = at_unix_nanos(1_639_400_900_000_000_000);
    let stores = map_stores(&response, now).stores;
    assert_eq!(
        summary(&stores),
        vec![
            (1, "172.16.5.141", StoreState::Up, 48, 141),
            (4, "172.16.6.168", StoreState::Up, 51, 141),
            (5, "172.16.5.218", StoreState::Up, 42, 141),
        ]
    );
    assert_eq!(stores[0].capacity_bytes, gib(446.8));
    assert_eq!(stores[0].available_bytes, gib(409.2));
    assert_eq!(stores[2].available_bytes, Some(432 << 30));
    assert_eq!(
        status_addresses(&response),
        vec![
            (1, "172.16.5.141:20180".to_string()),
            (4, "172.16.6.168:20180".to_string()),
            (5, "172.16.5.218:20180".to_string()),
        ]
    );
    // 1639400900 - 1639400886.447728006
    assert_eq!(
        stores[0].heartbeat_age,
        Some(Duration::new(13, 552_271_994))
    );
}

#[test]
fn stores_v2_omit_leader_count_and_write_sizes_with_a_space() {
    let response: StoresResponse =
        parse("stores_v2.1.0-rc.2_3up_leadercount-omitted_tikv-website.json");
    // No `last_heartbeat` in PD v2: the age comes from `last_heartbeat_ts`.
    let now = at_unix_nanos(1_538_180_656_000_000_000); // 2018-09-29T00:24:16Z
    let stores = map_stores(&response, now).stores;
    assert_eq!(
        summary(&stores),
        vec![
            // Three stores on one host, as tiup playground runs them: each
            // is named by host and port.
            (1, "127.0.0.1:20161", StoreState::Up, 0, 1),
            (2, "127.0.0.1:20162", StoreState::Up, 0, 1),
            (7, "127.0.0.1:20160", StoreState::Up, 1, 1),
        ]
    );
    assert_eq!(stores[0].capacity_bytes, Some(937 << 30));
    assert_eq!(stores[0].available_bytes, Some(837 << 30));
    assert_eq!(
        stores[0].heartbeat_age,
        Some(Duration::new(29, 772_649_284))
    );
    assert_eq!(stores[2].address, "127.0.0.1:20160");
    assert!(
        status_addresses(&response).is_empty(),
        "PD v2 has no status_address"
    );
}

#[test]
fn mock_stores_cover_all_five_state_names_with_empty_status() {
    let response: StoresResponse = parse("stores_v3.x_5states_MOCK_pingcap-tidb-br-test.json");
    let stores = map_stores(&response, SystemTime::now()).stores;
    let states: Vec<_> = stores.iter().map(|s| (s.id, s.state.clone())).collect();
    assert_eq!(
        states,
        vec![
            (1, StoreState::Up),
            (2, StoreState::Down),
            (3, StoreState::Disconnected),
            (4, StoreState::Tombstone),
            (5, StoreState::Offline),
        ]
    );
    for store in &stores {
        assert_eq!((store.leader_count, store.region_count), (0, 0));
        assert_eq!(store.heartbeat_age, None);
        assert_eq!(store.capacity_bytes, None);
        assert_eq!(store.available_bytes, None);
        assert_eq!(
            store.service, store.address,
            "one host: named by host and port"
        );
    }
}

#[test]
fn single_store_v8_is_a_bare_object() {
    let info: StoreInfo = parse("store_v8.1.0_id4_up_tidb-operator.json");
    let now = at_unix_nanos(1_735_114_832_382_630_989 + 25_000_000_000);
    let store = map_store(&info, now).unwrap();
    assert_eq!(store.id, 4);
    assert_eq!(store.service, "basic-tikv-5gzwgj.basic-tikv-peer.default");
    assert_eq!(store.state, StoreState::Up);
    assert_eq!((store.leader_count, store.region_count), (0, 5));
    assert_eq!(store.capacity_bytes, gib(309.4));
    assert_eq!(store.heartbeat_age, Some(Duration::from_secs(25)));
    // A clock behind PD's gives no age rather than a wrong one.
    let before = at_unix_nanos(1_735_114_832_000_000_000);
    assert_eq!(map_store(&info, before).unwrap().heartbeat_age, None);
}

#[test]
fn annotated_and_fragment_docs_are_rejected_with_a_position() {
    for name in [
        "stores_v3.0.0-beta_1up_ANNOTATED-NOT-JSON_tikv-website.txt",
        "store_v3.0_offline_FRAGMENT-NOT-JSON_tikv-website.txt",
    ] {
        let err = serde_json::from_str::<StoresResponse>(&fixture(name)).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{name}: {err}");
        let err = serde_json::from_str::<StoreInfo>(&fixture(name)).unwrap_err();
        assert!(err.is_syntax(), "{name}: {err}");
    }
}

fn member_summary(members: &[PdMember]) -> Vec<(&str, &str, bool, Option<bool>)> {
    members
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.client_url.as_str(),
                m.is_leader,
                m.healthy,
            )
        })
        .collect()
}

#[test]
fn members_v4_leader_marked_by_member_id_and_health_merged() {
    let members: MembersResponse = parse("members_v4.0.14_3pd_tidb-dashboard.json");
    let health: Vec<MemberHealth> = parse("health_v4.0.14_3pd_tidb-dashboard.json");
    assert_eq!(health[2].member_id, Some(13_248_060_353_287_547_571));
    let mapped = map_members(&members, Some(&health));
    assert_eq!(
        member_summary(&mapped),
        vec![
            (
                "pd-172.16.6.169-2379",
                "http://172.16.6.169:2379",
                false,
                Some(true)
            ),
            (
                "pd-172.16.6.170-2379",
                "http://172.16.6.170:2379",
                false,
                Some(true)
            ),
            (
                "pd-172.16.6.171-2379",
                "http://172.16.6.171:2379",
                true,
                Some(true)
            ),
        ]
    );
}

#[test]
fn members_v8_with_one_unhealthy_member_and_without_health() {
    let members: MembersResponse = parse("members_v8.1.0_3pd_tidb-operator.json");
    let mut health: Vec<MemberHealth> = parse("health_v8.1.0_3pd_tidb-operator.json");
    health[0].health = Some(false); // basic-7axwci
    let mapped = map_members(&members, Some(&health));
    assert_eq!(
        member_summary(&mapped),
        vec![
            (
                "basic-0qt9e9",
                "http://basic-pd-0qt9e9.basic-pd-peer.default:2379",
                false,
                Some(true)
            ),
            (
                "basic-53pe89",
                "http://basic-pd-53pe89.basic-pd-peer.default:2379",
                true,
                Some(true)
            ),
            (
                "basic-7axwci",
                "http://basic-pd-7axwci.basic-pd-peer.default:2379",
                false,
                Some(false)
            ),
        ]
    );
    let unknown = map_members(&members, None);
    assert!(unknown.iter().all(|m| m.healthy.is_none()));
    assert_eq!(unknown.iter().filter(|m| m.is_leader).count(), 1);
}

#[test]
fn members_without_a_leader_mark_none() {
    let mut members: MembersResponse = parse("members_v8.1.0_3pd_tidb-operator.json");
    members.leader = None;
    assert!(map_members(&members, None).iter().all(|m| !m.is_leader));
}

#[test]
fn max_store_down_time_from_full_config_and_pdctl_show() {
    for name in [
        "config_full_v4.0.14_tidb-dashboard.json",
        "config_show_pdctl_v5.0_tikv-website.json",
    ] {
        let config: ConfigResponse = parse(name);
        assert_eq!(
            max_store_down_time(&config),
            Ok(Duration::from_secs(1800)),
            "{name}"
        );
    }
}

#[test]
fn replicate_config_has_max_replicas_but_no_schedule() {
    let replication: ReplicationConfig = parse("config_replicate_v4.0.14_tidb-dashboard.json");
    assert_eq!(replication.max_replicas, Some(3));
    let as_full: ConfigResponse = parse("config_replicate_v4.0.14_tidb-dashboard.json");
    let err = max_store_down_time(&as_full).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the config has no schedule.max-store-down-time"
    );
}

#[test]
fn cluster_status_and_region_samples_parse() {
    let cluster: ClusterInfo = parse("cluster_v8.1.0_tidb-operator.json");
    assert_eq!(cluster.id, Some(7_452_180_154_224_557_728));
    assert_eq!(cluster.max_peer_count, Some(3));

    let status: StatusResponse = parse("status_v4.0.14_tidb-dashboard.json");
    assert_eq!(status.version.as_deref(), Some("v4.0.14"));
    assert_eq!(status.start_timestamp, Some(1_635_762_685));

    let region: RegionInfo = parse("region_id2_pdctl_DOC-EXAMPLE_pingcap-docs.json");
    assert_eq!(region.id, Some(2));
    assert_eq!(region.leader.as_ref().and_then(|l| l.store_id), Some(3));
    let mut leaderless = region.clone();
    leaderless.leader = None;
    let list = RegionsResponse {
        count: Some(2),
        regions: Some(vec![region, leaderless]),
    };
    assert_eq!(count_without_leader(&list), 1);
}
