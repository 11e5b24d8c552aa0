//! PD's rule for naming a store's state, shared by the simulator and the tests
//! of the real backend.
//!
//! PD (server/core/store.go) names a store `Disconnected` when its last
//! heartbeat is more than 20 s old and `Down` when it is older than
//! `max-store-down-time` (default 30 min); both only while the meta state is Up.

use std::time::Duration;

use super::model::{MetaState, StoreState};

/// How old a heartbeat may be before PD calls the store `Disconnected`.
pub const DISCONNECTED_AFTER: Duration = Duration::from_secs(20);
/// PD's default `max-store-down-time`.
pub const DEFAULT_MAX_STORE_DOWN_TIME: Duration = Duration::from_secs(30 * 60);
/// TiKV's default store heartbeat interval (`pd-heartbeat-tick-interval`).
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(10);

/// Names a store's state from its meta state and the age of its last heartbeat.
/// The boundaries are strict: exactly 20 s is still Up.
pub fn store_state(
    meta: MetaState,
    heartbeat_age: Duration,
    max_store_down_time: Duration,
) -> StoreState {
    match meta {
        MetaState::Offline => StoreState::Offline,
        MetaState::Tombstone => StoreState::Tombstone,
        MetaState::Up if heartbeat_age > max_store_down_time => StoreState::Down,
        MetaState::Up if heartbeat_age > DISCONNECTED_AFTER => StoreState::Disconnected,
        MetaState::Up => StoreState::Up,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Duration = DEFAULT_MAX_STORE_DOWN_TIME;

    #[test]
    fn exactly_twenty_seconds_is_still_up() {
        assert_eq!(
            store_state(MetaState::Up, DISCONNECTED_AFTER, MAX),
            StoreState::Up
        );
    }

    #[test]
    fn just_over_twenty_seconds_is_disconnected() {
        let age = DISCONNECTED_AFTER + Duration::from_millis(1);
        assert_eq!(
            store_state(MetaState::Up, age, MAX),
            StoreState::Disconnected
        );
    }

    #[test]
    fn down_only_after_max_store_down_time() {
        assert_eq!(
            store_state(MetaState::Up, MAX, MAX),
            StoreState::Disconnected
        );
        let age = MAX + Duration::from_millis(1);
        assert_eq!(store_state(MetaState::Up, age, MAX), StoreState::Down);
    }

    #[test]
    fn heartbeat_age_only_matters_while_meta_state_is_up() {
        let old = MAX * 2;
        assert_eq!(
            store_state(MetaState::Offline, old, MAX),
            StoreState::Offline
        );
        assert_eq!(
            store_state(MetaState::Tombstone, old, MAX),
            StoreState::Tombstone
        );
    }
}
