//! Pure functions from PD's API types to the project's model. The clock is a
//! parameter so tests can feed real samples with their own "now". Names and
//! addresses are cleaned here, where they enter.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::address::address_host;
use super::api::{
    ConfigResponse, MemberHealth, MemberInfo, MembersResponse, MetaStore, RegionsResponse,
    StoreInfo, StoresResponse,
};
use crate::cluster::model::{PdMember, RegionHealth, Store, StoreState};
use crate::text::{clean_line, excerpt};
use crate::units::timestamp::parse_rfc3339_nanos;
use crate::units::{parse_duration, parse_size};

/// A PD answer that parsed as JSON but lacks what chaosdeck needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub String);

/// True for a TiFlash store (label `engine=tiflash`): PD lists them beside
/// the TiKV stores but they are not part of the demo's cluster.
pub fn is_tiflash(meta: &MetaStore) -> bool {
    meta.labels.iter().flatten().any(|label| {
        label.key.eq_ignore_ascii_case("engine") && label.value.eq_ignore_ascii_case("tiflash")
    })
}

/// Maps one store. `now` is the wall clock used for the heartbeat age. The
/// store is named by its address's host; [`map_stores`] names stores that
/// share a host by host and port.
pub fn map_store(info: &StoreInfo, now: SystemTime) -> Result<Store, MappingError> {
    let meta = info
        .store
        .as_ref()
        .ok_or_else(|| MappingError("a store entry has no \"store\" object".into()))?;
    let id = meta
        .id
        .filter(|&id| id != 0)
        .ok_or_else(|| MappingError(describe_store(meta, "has no id")))?;
    let address = clean_line(meta.address.as_deref().unwrap_or_default())
        .trim()
        .to_string();
    let status = info.status.clone().unwrap_or_default();
    let size = |field: &Option<String>, name: &str| {
        let text = field.as_deref()?;
        parse_size(text)
            .inspect_err(|err| tracing::warn!(store = id, "ignoring {name}: {err}"))
            .ok()
    };
    let heartbeat_nanos = meta.last_heartbeat.map(i128::from).or_else(|| {
        status
            .last_heartbeat_ts
            .as_deref()
            .and_then(parse_rfc3339_nanos)
    });
    Ok(Store {
        id,
        service: store_name(id, &address, false),
        address,
        state: store_state(meta),
        leader_count: status.leader_count.unwrap_or(0),
        region_count: status.region_count.unwrap_or(0),
        heartbeat_age: heartbeat_nanos.and_then(|nanos| heartbeat_age(nanos, now)),
        capacity_bytes: size(&status.capacity, "capacity"),
        available_bytes: size(&status.available, "available"),
    })
}

/// The TiKV stores of a `/stores` answer, and what was left out of it.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedStores {
    /// TiFlash left out, sorted by id, one per id, each with a name no
    /// other store has.
    pub stores: Vec<Store>,
    /// Entries left out, each with why (no id, an id listed twice).
    pub skipped: Vec<String>,
}

/// Maps `/stores`. A store that cannot be mapped is skipped and said, the
/// others are kept; a second entry with an id already seen is left out, said
/// once. Stores are named by host where hosts are unique (`tikv1`), by host
/// and port where several share one (`tiup playground` puts every store on
/// `127.0.0.1`), so every name picks out one store.
pub fn map_stores(response: &StoresResponse, now: SystemTime) -> MappedStores {
    let mut stores: Vec<Store> = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    let mut repeated = HashSet::new();
    for info in response.stores.iter().flatten() {
        if info.store.as_ref().is_some_and(is_tiflash) {
            continue;
        }
        match map_store(info, now) {
            Ok(store) if seen.contains(&store.id) => {
                if repeated.insert(store.id) {
                    skipped.push(format!(
                        "store id {} is listed more than once; only its first entry is shown",
                        store.id
                    ));
                }
            }
            Ok(store) => {
                seen.insert(store.id);
                stores.push(store);
            }
            Err(err) => skipped.push(format!("{err}; skipped")),
        }
    }
    stores.sort_by_key(|store| store.id);
    let mut hosts: HashMap<String, usize> = HashMap::new();
    for store in &stores {
        *hosts
            .entry(address_host(&store.address).to_string())
            .or_default() += 1;
    }
    for store in &mut stores {
        let shared = hosts
            .get(address_host(&store.address))
            .is_some_and(|&n| n > 1);
        store.service = store_name(store.id, &store.address, shared);
    }
    MappedStores { stores, skipped }
}

/// A store's name: its address's host, or host and port when the host is
/// shared, or `store <id>` without an address.
fn store_name(id: u64, address: &str, host_is_shared: bool) -> String {
    let host = address_host(address);
    if host.is_empty() {
        return format!("store {id}");
    }
    if !host_is_shared {
        return host.to_string();
    }
    let without_scheme = address
        .split_once("://")
        .map_or(address, |(_scheme, rest)| rest);
    without_scheme
        .split('/')
        .next()
        .unwrap_or(without_scheme)
        .to_string()
}

/// The TiKV status addresses (`status_address`, where `/metrics` is served)
/// by store id, sorted by id. TiFlash stores and stores that do not report
/// one (PD before v3) are left out.
pub fn status_addresses(response: &StoresResponse) -> Vec<(u64, String)> {
    let mut addresses: Vec<(u64, String)> = response
        .stores
        .iter()
        .flatten()
        .filter_map(|info| info.store.as_ref())
        .filter(|meta| !is_tiflash(meta))
        .filter_map(|meta| {
            let address = meta.status_address.as_deref()?.trim();
            Some((meta.id?, address.to_string())).filter(|_| !address.is_empty())
        })
        .collect();
    addresses.sort();
    addresses
}

/// PD's computed `state_name`; without it, the numeric meta state (absent = Up).
pub fn store_state(meta: &MetaStore) -> StoreState {
    match meta.state_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => StoreState::from_pd_name(&clean_line(name)),
        _ => match meta.state.unwrap_or(0) {
            0 => StoreState::Up,
            1 => StoreState::Offline,
            2 => StoreState::Tombstone,
            other => StoreState::Unknown(format!("state {other}")),
        },
    }
}

/// How long ago a heartbeat sent at `heartbeat_unix_nanos` was, or None when
/// it is unset (0) or lies in the future (clock skew: no honest age).
pub fn heartbeat_age(heartbeat_unix_nanos: i128, now: SystemTime) -> Option<Duration> {
    if heartbeat_unix_nanos <= 0 {
        return None;
    }
    let now_nanos = now.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    let heartbeat = u128::try_from(heartbeat_unix_nanos).ok()?;
    let age = now_nanos.checked_sub(heartbeat)?;
    let secs = u64::try_from(age / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (age % 1_000_000_000) as u32))
}

fn describe_store(meta: &MetaStore, problem: &str) -> String {
    match &meta.address {
        Some(address) => format!("store at {} {problem}", excerpt(address, 60)),
        None => format!("a store {problem}"),
    }
}

/// Maps `/members`, marking the leader and merging `/health` when known.
/// Sorted by name.
pub fn map_members(response: &MembersResponse, health: Option<&[MemberHealth]>) -> Vec<PdMember> {
    let mut members: Vec<PdMember> = response
        .members
        .iter()
        .flatten()
        .map(|member| PdMember {
            name: member_name(member),
            client_url: member
                .client_urls
                .iter()
                .flatten()
                .next()
                .map(|url| clean_line(url).into_owned())
                .unwrap_or_default(),
            is_leader: response
                .leader
                .as_ref()
                .is_some_and(|leader| same_member(leader, member)),
            healthy: health.and_then(|entries| member_health(entries, member)),
            serves_tso: None,
        })
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    members
}

fn member_name(member: &MemberInfo) -> String {
    match (&member.name, member.member_id) {
        (Some(name), _) if !name.is_empty() => clean_line(name).into_owned(),
        (_, Some(id)) => format!("member {id}"),
        _ => "unnamed member".to_string(),
    }
}

/// Compares by member id, by name only when an id is missing.
fn same_member(a: &MemberInfo, b: &MemberInfo) -> bool {
    match (a.member_id, b.member_id) {
        (Some(x), Some(y)) => x == y,
        _ => a.name.is_some() && a.name == b.name,
    }
}

fn member_health(entries: &[MemberHealth], member: &MemberInfo) -> Option<bool> {
    let by_id = member
        .member_id
        .and_then(|id| entries.iter().find(|entry| entry.member_id == Some(id)));
    let entry = by_id.or_else(|| {
        member.name.as_ref().and_then(|name| {
            entries
                .iter()
                .find(|entry| entry.member_id.is_none() && entry.name.as_ref() == Some(name))
        })
    })?;
    entry.health
}

/// `schedule.max-store-down-time` from `/config` (or pd-ctl's `config show`).
pub fn max_store_down_time(config: &ConfigResponse) -> Result<Duration, MappingError> {
    let text = config
        .schedule
        .as_ref()
        .and_then(|schedule| schedule.max_store_down_time.as_deref())
        .ok_or_else(|| MappingError("the config has no schedule.max-store-down-time".into()))?;
    parse_duration(text).map_err(|err| MappingError(format!("schedule.max-store-down-time: {err}")))
}

/// Regions in a list whose leader PD does not know: no `leader` at all (old
/// PD) or one without a peer id (newer PD writes `"leader": {}`).
pub fn count_without_leader(regions: &RegionsResponse) -> u64 {
    regions
        .regions
        .iter()
        .flatten()
        .filter(|region| {
            region
                .leader
                .as_ref()
                .and_then(|leader| leader.id)
                .is_none_or(|id| id == 0)
        })
        .count() as u64
}

/// Sums the region checks into the model.
///
/// - `total`: `count` of `/regions` (its list length when `count` is absent).
/// - `without_leader`: see [`count_without_leader`]. PD keeps the last leader
///   it heard of, so this stays 0 while the new leader's heartbeat is pending;
///   leaderless regions show up mostly at bootstrap and after a lost quorum.
/// - `under_replicated`: regions listed by `check/miss-peer` (fewer peers than
///   `max-replicas`) or `check/down-peer` (a peer that stopped answering),
///   each region once, capped at `total`.
pub fn region_health(
    all: &RegionsResponse,
    miss_peer: &RegionsResponse,
    down_peer: &RegionsResponse,
) -> RegionHealth {
    let listed = all.regions.as_ref().map_or(0, Vec::len) as u64;
    let total = all.count.unwrap_or(listed);
    let mut ids = HashSet::new();
    let mut unidentified: u64 = 0;
    for check in [miss_peer, down_peer] {
        match &check.regions {
            Some(regions) => {
                for region in regions {
                    match region.id {
                        Some(id) => {
                            ids.insert(id);
                        }
                        None => unidentified = unidentified.saturating_add(1),
                    }
                }
            }
            None => unidentified = unidentified.saturating_add(check.count.unwrap_or(0)),
        }
    }
    let under_replicated = (ids.len() as u64).saturating_add(unidentified);
    RegionHealth {
        total,
        without_leader: count_without_leader(all).min(total.max(listed)),
        under_replicated: under_replicated.min(total.max(listed)),
        // PD alone cannot say it: see `health::led_from_dead_node`.
        led_from_dead_node: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pd::api::{RegionInfo, RegionPeer, StoreLabel};

    fn meta(id: u64, address: &str) -> MetaStore {
        MetaStore {
            id: Some(id),
            address: Some(address.to_string()),
            ..MetaStore::default()
        }
    }

    #[test]
    fn numeric_state_is_the_fallback_and_absent_means_up() {
        let mut store = meta(1, "tikv1:20160");
        assert_eq!(store_state(&store), StoreState::Up);
        store.state = Some(1);
        assert_eq!(store_state(&store), StoreState::Offline);
        store.state = Some(2);
        assert_eq!(store_state(&store), StoreState::Tombstone);
        store.state = Some(9);
        assert_eq!(store_state(&store), StoreState::Unknown("state 9".into()));
        store.state_name = Some("Disconnected".into());
        assert_eq!(store_state(&store), StoreState::Disconnected);
    }

    #[test]
    fn heartbeat_age_is_none_when_unset_or_in_the_future() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(heartbeat_age(0, now), None);
        assert_eq!(heartbeat_age(-5, now), None);
        assert_eq!(heartbeat_age(1_001 * 1_000_000_000, now), None);
        assert_eq!(
            heartbeat_age(990 * 1_000_000_000 + 500, now),
            Some(Duration::new(9, 999_999_500))
        );
    }

    #[test]
    fn store_without_id_is_a_clear_error() {
        let info = StoreInfo {
            store: Some(MetaStore {
                id: None,
                ..meta(0, "tikv9:20160")
            }),
            status: None,
        };
        let err = map_store(&info, SystemTime::now()).unwrap_err();
        assert_eq!(err.to_string(), "store at tikv9:20160 has no id");
        let err = map_store(&StoreInfo::default(), SystemTime::now()).unwrap_err();
        assert!(err.to_string().contains("no \"store\" object"), "{err}");
    }

    #[test]
    fn tiflash_label_is_matched_on_key_and_value() {
        let mut store = meta(1, "x:1");
        assert!(!is_tiflash(&store));
        store.labels = Some(vec![StoreLabel {
            key: "zone".into(),
            value: "tiflash".into(),
        }]);
        assert!(!is_tiflash(&store));
        store.labels = Some(vec![StoreLabel {
            key: "engine".into(),
            value: "tiflash".into(),
        }]);
        assert!(is_tiflash(&store));
    }

    fn region(id: u64, leader: Option<RegionPeer>) -> RegionInfo {
        RegionInfo {
            id: Some(id),
            leader,
            ..RegionInfo::default()
        }
    }

    fn peer(id: Option<u64>) -> RegionPeer {
        RegionPeer {
            id,
            store_id: Some(1),
            role_name: None,
        }
    }

    #[test]
    fn region_health_counts_leaderless_and_merges_checks_by_id() {
        let all = RegionsResponse {
            count: Some(4),
            regions: Some(vec![
                region(1, Some(peer(Some(10)))),
                region(2, None),
                region(3, Some(peer(None))),
                region(4, Some(peer(Some(0)))),
            ]),
        };
        let miss = RegionsResponse {
            count: Some(2),
            regions: Some(vec![region(1, None), region(2, None)]),
        };
        let down = RegionsResponse {
            count: Some(1),
            regions: Some(vec![region(2, None)]),
        };
        let health = region_health(&all, &miss, &down);
        assert_eq!(
            health,
            RegionHealth {
                total: 4,
                without_leader: 3,
                under_replicated: 2,
                led_from_dead_node: 0
            }
        );
    }

    #[test]
    fn region_checks_without_lists_use_their_counts_capped_at_total() {
        let all = RegionsResponse {
            count: Some(3),
            regions: None,
        };
        let miss = RegionsResponse {
            count: Some(2),
            regions: None,
        };
        let down = RegionsResponse {
            count: Some(5),
            regions: None,
        };
        let health = region_health(&all, &miss, &down);
        assert_eq!(health.total, 3);
        assert_eq!(health.under_replicated, 3);
        assert_eq!(health.without_leader, 0);
    }
}
