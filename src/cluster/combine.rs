//! One snapshot from what each source said this time. PD's view and the
//! runtime's processes are independent: either may be missing while the
//! other is shown, each source's trouble is kept on its own, and PD's last
//! view stands in, marked stale, while PD is silent. Pure: any backend that
//! reads PD and a runtime builds its snapshot here.

use std::time::Duration;

use super::health::led_from_dead_node;
use super::pd::{PdError, PdView};
use super::{
    BackendError, ClusterSnapshot, DataSource, Process, RegionHealth, SourceTrouble, Store,
};
use crate::text::{clean_line, excerpt};

/// What PD said last, for when it falls silent.
#[derive(Debug, Clone, Default)]
pub struct LastKnown {
    pub pd: Option<PdView>,
    /// The last region figures read, for when the region lists fail alone.
    pub regions: Option<RegionHealth>,
}

/// The snapshot at `taken_at` from PD's answer and the runtime's. `join`
/// is the runtime's rule for which store each of its processes serves
/// (its `store`), applied to the stores shown, fresh or last known: every
/// later join of stores and processes goes by that id.
pub fn combine(
    taken_at: Duration,
    pd: Result<PdView, PdError>,
    runtime: Result<Vec<Process>, BackendError>,
    last: &mut LastKnown,
    join: impl FnOnce(&mut [Process], &[Store]),
) -> ClusterSnapshot {
    let mut troubles = Vec::new();
    let pd_reachable = match pd {
        Ok(view) => {
            if let Some(message) = skipped_message(&view.skipped) {
                troubles.push(trouble(DataSource::Pd, &message));
            }
            match &view.regions {
                Ok(regions) => last.regions = Some(*regions),
                Err(why) => troubles.push(trouble(DataSource::PdRegions, why)),
            }
            last.pd = Some(view);
            true
        }
        Err(error) => {
            troubles.push(trouble(DataSource::Pd, &error.to_string()));
            if let (PdError::NoLeader { .. }, Some(view)) = (&error, last.pd.as_mut()) {
                // PD said there is none: its last leader is not shown as one.
                for member in &mut view.members {
                    member.is_leader = false;
                    member.healthy = None;
                    member.serves_tso = None;
                }
            }
            false
        }
    };
    let mut processes = runtime.unwrap_or_else(|error| {
        troubles.push(trouble(DataSource::Runtime, &error.to_string()));
        Vec::new()
    });
    let view = last.pd.as_ref();
    let stores = view.map(|v| v.stores.clone()).unwrap_or_default();
    join(&mut processes, &stores);
    let mut regions = last.regions.unwrap_or_default();
    regions.led_from_dead_node = led_from_dead_node(&stores, &processes);
    ClusterSnapshot {
        taken_at,
        pd_reachable,
        pd_members: view.map(|v| v.members.clone()).unwrap_or_default(),
        stores,
        regions,
        processes,
        troubles,
    }
}

/// `PD: store #2 (id 7) skipped: ... (and 2 more left out)`.
fn skipped_message(skipped: &[String]) -> Option<String> {
    let (first, rest) = skipped.split_first()?;
    let first = excerpt(first, 120);
    Some(match rest.len() {
        0 => format!("PD: {first}"),
        n => format!("PD: {first} (and {n} more left out)"),
    })
}

fn trouble(source: DataSource, message: &str) -> SourceTrouble {
    SourceTrouble {
        source,
        message: clean_line(message).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{NodeRole, ProcessState, RegionHealth, Store, StoreState};

    fn view() -> PdView {
        PdView {
            members: Vec::new(),
            stores: vec![Store {
                id: 1,
                service: "tikv0".into(),
                address: "tikv0:20160".into(),
                state: StoreState::Down,
                leader_count: 0,
                region_count: 3,
                heartbeat_age: None,
                capacity_bytes: None,
                available_bytes: None,
            }],
            regions: Ok(RegionHealth::default()),
            skipped: Vec::new(),
        }
    }

    fn process() -> Process {
        Process {
            service: "tikv0".into(),
            role: NodeRole::Tikv,
            state: ProcessState::Running,
            network_connected: true,
            store: None,
            cpu_limit: None,
            packet_loss: None,
        }
    }

    /// The Docker backend's rule: the store whose address names the host.
    fn by_address(processes: &mut [Process], stores: &[Store]) {
        crate::cluster::docker::mapping::join_stores(processes, stores)
    }

    #[test]
    fn pd_is_shown_while_the_runtime_is_gone() {
        let mut last = LastKnown::default();
        let gone = BackendError::runtime_unreachable("Docker", "unix:///x: no socket\u{1b}[2J");
        let snapshot = combine(Duration::ZERO, Ok(view()), Err(gone), &mut last, by_address);
        assert!(snapshot.pd_reachable);
        assert_eq!(snapshot.stores[0].state, StoreState::Down);
        assert!(snapshot.processes.is_empty());
        assert_eq!(snapshot.trouble(DataSource::Pd), None);
        let runtime = snapshot.trouble(DataSource::Runtime).unwrap();
        assert!(
            runtime.starts_with("Docker unreachable: unix:///x"),
            "{runtime}"
        );
        assert!(!runtime.contains('\u{1b}'));
    }

    #[test]
    fn the_runtime_is_shown_while_pd_is_gone_with_the_last_view_stale() {
        let mut last = LastKnown::default();
        let silent = || PdError::Unreachable {
            tried: vec![("http://pd0:2379".into(), "timed out after 2s".into())],
        };
        let first = combine(
            Duration::ZERO,
            Err(silent()),
            Ok(vec![process()]),
            &mut last,
            by_address,
        );
        assert!(!first.pd_reachable && first.stores.is_empty());
        assert_eq!(first.processes.len(), 1);
        let _ = combine(
            Duration::ZERO,
            Ok(view()),
            Ok(vec![process()]),
            &mut last,
            by_address,
        );
        let later = combine(
            Duration::ZERO,
            Err(silent()),
            Ok(vec![process()]),
            &mut last,
            by_address,
        );
        assert!(!later.pd_reachable);
        assert_eq!(later.stores.len(), 1, "the last view, marked stale");
        assert!(
            later
                .trouble(DataSource::Pd)
                .unwrap()
                .contains("timed out after 2s")
        );
        assert_eq!(later.trouble(DataSource::Runtime), None);
    }

    #[test]
    fn no_leader_is_never_shown_as_the_last_leader() {
        let mut last = LastKnown::default();
        let mut led = view();
        led.members = vec![crate::cluster::PdMember {
            name: "pd1".into(),
            client_url: "http://pd1:2379".into(),
            is_leader: true,
            healthy: Some(true),
            serves_tso: None,
        }];
        let _ = combine(
            Duration::ZERO,
            Ok(led),
            Ok(vec![process()]),
            &mut last,
            by_address,
        );
        let unreachable = PdError::Unreachable {
            tried: vec![("http://pd1:2379".into(), "connection failed".into())],
        };
        let silent = combine(
            Duration::ZERO,
            Err(unreachable),
            Ok(vec![]),
            &mut last,
            by_address,
        );
        assert!(
            !silent.pd_reachable && silent.pd_members[0].is_leader,
            "last known, stale"
        );
        let no_leader = PdError::NoLeader {
            tried: vec![(
                "http://pd0:2379".into(),
                "HTTP 503 redirect finds no leader".into(),
            )],
        };
        let leaderless = combine(
            Duration::ZERO,
            Err(no_leader),
            Ok(vec![]),
            &mut last,
            by_address,
        );
        assert!(!leaderless.pd_reachable);
        assert!(
            leaderless
                .pd_members
                .iter()
                .all(|m| !m.is_leader && m.healthy.is_none())
        );
        assert!(
            leaderless
                .trouble(DataSource::Pd)
                .unwrap()
                .contains("no leader")
        );
    }

    #[test]
    fn processes_carry_the_store_they_serve_from_pd_fresh_or_last_known() {
        let mut last = LastKnown::default();
        let mut dead = process();
        dead.state = ProcessState::Paused;
        let mut view = view();
        view.stores[0].leader_count = 5;
        let fresh = combine(
            Duration::ZERO,
            Ok(view),
            Ok(vec![dead.clone()]),
            &mut last,
            by_address,
        );
        assert_eq!(fresh.processes[0].store, Some(1));
        assert_eq!(fresh.regions.led_from_dead_node, 5, "joined by the id");
        let silent = PdError::Unreachable { tried: Vec::new() };
        let stale = combine(
            Duration::ZERO,
            Err(silent),
            Ok(vec![dead]),
            &mut last,
            by_address,
        );
        assert_eq!(
            stale.processes[0].store,
            Some(1),
            "by the last known stores"
        );
        let none = combine(
            Duration::ZERO,
            Ok(view_without_stores()),
            Ok(vec![process()]),
            &mut LastKnown::default(),
            by_address,
        );
        assert_eq!(none.processes[0].store, None);
    }

    fn view_without_stores() -> PdView {
        PdView {
            stores: Vec::new(),
            ..view()
        }
    }

    #[test]
    fn entries_pd_left_out_are_said_once_with_a_count() {
        let mut last = LastKnown::default();
        let mut partial = view();
        partial.skipped = vec![
            "store #2 (id 9) skipped: bad".into(),
            "store id 1 twice".into(),
        ];
        let snapshot = combine(
            Duration::ZERO,
            Ok(partial),
            Ok(Vec::new()),
            &mut last,
            by_address,
        );
        assert!(snapshot.pd_reachable);
        assert_eq!(
            snapshot.trouble(DataSource::Pd),
            Some("PD: store #2 (id 9) skipped: bad (and 1 more left out)")
        );
    }

    #[test]
    fn regions_that_fail_alone_mark_their_own_row_and_keep_the_last_figures() {
        let mut last = LastKnown::default();
        let mut read = view();
        read.regions = Ok(RegionHealth {
            total: 64,
            ..RegionHealth::default()
        });
        combine(
            Duration::ZERO,
            Ok(read),
            Ok(vec![process()]),
            &mut last,
            by_address,
        );
        let mut over = view();
        over.regions = Err(
            "PD at http://pd0:2379 answered /pd/api/v1/regions with a body over the limit of 8 MiB"
                .into(),
        );
        let snapshot = combine(
            Duration::from_secs(1),
            Ok(over),
            Ok(vec![process()]),
            &mut last,
            by_address,
        );
        assert!(snapshot.pd_reachable, "the stores answered");
        assert_eq!(snapshot.stores.len(), 1);
        assert_eq!(snapshot.trouble(DataSource::Pd), None);
        assert!(
            snapshot
                .trouble(DataSource::PdRegions)
                .is_some_and(|why| why.contains("/pd/api/v1/regions")),
            "{:?}",
            snapshot.troubles
        );
        assert_eq!(snapshot.regions.total, 64, "the last figures read");
        let blocking = crate::cluster::health::troubles(&snapshot);
        assert!(
            blocking
                .iter()
                .any(|t| t.why.starts_with("regions unknown: ")),
            "never called healthy unseen: {blocking:?}"
        );
    }
}
