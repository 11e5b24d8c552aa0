//! One body as the answer of every PD endpoint: decoded leniently, mapped,
//! and every name that comes out clean.
#![no_main]

use std::time::SystemTime;

use chaosdeck::cluster::pd::api::{ConfigResponse, StoreInfo};
use chaosdeck::cluster::pd::decode;
use chaosdeck::cluster::pd::mapping::{
    map_members, map_store, map_stores, max_store_down_time, region_health, status_addresses,
};
use chaosdeck::text::is_unsafe;
use chaosdeck::units::duration::MAX_DURATION;
use libfuzzer_sys::fuzz_target;

fn clean(text: &str) -> bool {
    !text.chars().any(is_unsafe)
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(body) = std::str::from_utf8(bytes) else {
        return;
    };
    let now = SystemTime::now();
    if let Ok(decoded) = decode::stores(body) {
        let mapped = map_stores(&decoded.value, now);
        for store in &mapped.stores {
            assert!(clean(&store.service) && clean(&store.address) && clean(store.state.name()));
        }
        let _ = status_addresses(&decoded.value);
    }
    if let Ok(info) = serde_json::from_str::<StoreInfo>(body) {
        let _ = map_store(&info, now);
    }
    if let Ok(members) = decode::members(body) {
        for member in map_members(&members.value, None) {
            assert!(clean(&member.name) && clean(&member.client_url));
        }
    }
    let _ = decode::health(body);
    if let Ok(config) = serde_json::from_str::<ConfigResponse>(body) {
        if let Ok(down) = max_store_down_time(&config) {
            assert!(down <= MAX_DURATION);
        }
    }
    if let Ok(regions) = decode::regions(body) {
        let _ = region_health(&regions.value, &regions.value, &regions.value);
    }
});
