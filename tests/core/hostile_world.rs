//! What the world sends, as the presenter sees it: three stores on one host
//! and duplicate ids in the app's state, a partial world (PD without Docker,
//! Docker without PD) and hostile names on the screen.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chaosdeck::app::{App, Cursor, Msg, update};
use chaosdeck::cluster::combine::{LastKnown, combine};
use chaosdeck::cluster::docker::mapping::join_stores;
use chaosdeck::cluster::pd::PdError;
use chaosdeck::cluster::pd::api::StoresResponse;
use chaosdeck::cluster::pd::client::PdView;
use chaosdeck::cluster::pd::mapping::map_stores;
use chaosdeck::cluster::{BackendError, ClusterSnapshot, DataSource, StoreState};
use chaosdeck::monitor::Signal;
use chaosdeck::text::is_unsafe;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use chaosdeck::testing::*;

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| chaosdeck::ui::view(app, frame))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The v2.1 PD sample: three stores on 127.0.0.1, ports 20161, 20162, 20160.
fn one_host_view(disconnected: Option<u64>) -> PdView {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pd/stores_v2.1.0-rc.2_3up_leadercount-omitted_tikv-website.json");
    let response: StoresResponse =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(1_538_180_656);
    let mut mapped = map_stores(&response, now);
    for store in &mut mapped.stores {
        if Some(store.id) == disconnected {
            store.state = StoreState::Disconnected;
        }
    }
    let healthy = healthy(Duration::ZERO);
    PdView {
        members: healthy.pd_members,
        stores: mapped.stores,
        regions: Ok(healthy.regions),
        skipped: mapped.skipped,
    }
}

fn snapshot_at(at: f64, view: PdView, last: &mut LastKnown) -> ClusterSnapshot {
    combine(secs(at), Ok(view), Ok(Vec::new()), last, join_stores)
}

/// What the journal gained since `cursor` last read it.
fn journal(app: &App, cursor: &mut Cursor) -> Vec<String> {
    app.journal()
        .read(cursor)
        .1
        .map(|e| e.text.clone())
        .collect()
}

#[test]
fn three_stores_on_one_host_are_three_stores_in_the_show() {
    let mut app = default_app();
    app.start();
    let mut cursor = Cursor::default();
    let mut last = LastKnown::default();
    for second in 1..=5 {
        let view = one_host_view(None);
        update(
            &mut app,
            Msg::Snapshot(Ok(snapshot_at(f64::from(second), view, &mut last))),
        );
    }
    let lines = journal(&app, &mut cursor);
    assert!(
        !lines.iter().any(|l| l.contains("->")),
        "no false state change while nothing changes: {lines:?}"
    );

    // Store 2 (127.0.0.1:20162) goes Disconnected: one change, one incident.
    for second in 6..=8 {
        let view = one_host_view(Some(2));
        update(
            &mut app,
            Msg::Snapshot(Ok(snapshot_at(f64::from(second), view, &mut last))),
        );
    }
    let changes: Vec<String> = journal(&app, &mut cursor)
        .into_iter()
        .filter(|l| l.contains("->"))
        .collect();
    assert_eq!(
        changes,
        vec!["store 127.0.0.1:20162: Up -> Disconnected".to_string()]
    );
    let incidents: Vec<Option<&str>> = app
        .world()
        .monitor()
        .open_incidents()
        .filter(|i| i.signal == Signal::StoreState)
        .map(|i| i.service.as_deref())
        .collect();
    assert_eq!(incidents, vec![Some("127.0.0.1:20162")]);

    let shown = screen(&app, 80, 24);
    for port in ["…:20160", "…:20161", "…:20162"] {
        assert!(shown.contains(port), "{port} in:\n{shown}");
    }
}

#[test]
fn pd_is_shown_while_docker_is_gone_with_the_processes_unknown() {
    let mut app = default_app();
    app.start();
    let mut cursor = Cursor::default();
    let mut last = LastKnown::default();
    let gone = || {
        Err(BackendError::runtime_unreachable(
            "Docker",
            "unix:///var/run/docker.sock: Socket not found; is the Docker engine running?",
        ))
    };
    for second in [1.0, 2.0] {
        let mut view = one_host_view(Some(7));
        view.stores[2].state = StoreState::Down;
        let snapshot = combine(secs(second), Ok(view), gone(), &mut last, join_stores);
        update(&mut app, Msg::Snapshot(Ok(snapshot)));
    }
    let snapshot = app.cluster().snapshot.as_ref().unwrap();
    assert!(snapshot.pd_reachable);
    assert!(snapshot.trouble(DataSource::Runtime).is_some());
    assert!(!app.cluster().is_stale(app.now()), "PD's view is current");
    let lines = journal(&app, &mut cursor);
    let docker_notes = lines
        .iter()
        .filter(|l| l.starts_with("Docker unreachable"))
        .count();
    assert_eq!(docker_notes, 1, "said once: {lines:?}");

    let shown = screen(&app, 80, 24);
    assert!(
        shown.contains("✗ Down"),
        "PD's Down store is shown:\n{shown}"
    );
    // The runtime's trouble is named on its row by its first clause, so the
    // store rows stay; the whole reason is in the journal (above).
    assert!(shown.contains("? unknown: Docker unreachable"), "{shown}");
    assert!(!shown.contains("PD unreachable"), "{shown}");
}

#[test]
fn docker_is_shown_while_pd_is_gone_with_its_reason() {
    let mut app = default_app();
    app.start();
    let mut last = LastKnown::default();
    let first = combine(
        secs(1.0),
        Ok(one_host_view(None)),
        Ok(healthy(secs(1.0)).processes),
        &mut last,
        join_stores,
    );
    update(&mut app, Msg::Snapshot(Ok(first)));
    let garbage = PdError::InvalidJson {
        endpoint: "http://127.0.0.1:2379".into(),
        path: "/pd/api/v1/stores".into(),
        line: 1,
        column: 2,
        reason: "key must be a string".into(),
    };
    let mut killed = healthy(secs(2.0)).processes;
    killed[1].state = chaosdeck::cluster::ProcessState::Exited {
        exit_code: Some(137),
    };
    let second = combine(secs(2.0), Err(garbage), Ok(killed), &mut last, join_stores);
    update(&mut app, Msg::Snapshot(Ok(second)));
    let incident = app
        .world()
        .monitor()
        .open_incidents()
        .find(|i| i.signal == Signal::PdUnreachable)
        .expect("an incident for PD");
    assert_eq!(
        incident.summary,
        "no view from PD: PD at http://127.0.0.1:2379 answered /pd/api/v1/stores with invalid \
         JSON at line 1, column 2: key must be a string",
        "says what PD answered, not that nothing answered"
    );
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("tikv1 exited 137"),
        "the runtime's view:\n{shown}"
    );
    for part in [
        "✗ PD at http://127.0.0.1:2379 answered",
        "/pd/api/v1/stores with invalid JSON at line 1,",
        "column 2: key must be a string: data above is stale",
    ] {
        assert!(
            shown.contains(part),
            "PD's own trouble on its own rows:\n{shown}"
        );
    }
}

#[test]
fn what_pd_left_out_is_said_on_screen_and_once_in_the_journal() {
    let mut app = default_app();
    app.start();
    let mut cursor = Cursor::default();
    let mut last = LastKnown::default();
    for second in [1.0, 2.0, 3.0] {
        let mut view = one_host_view(None);
        view.skipped = vec!["store #4 (id 18446744073709551616) skipped: too large".into()];
        update(
            &mut app,
            Msg::Snapshot(Ok(snapshot_at(second, view, &mut last))),
        );
    }
    let notes = journal(&app, &mut cursor)
        .into_iter()
        .filter(|l| l.contains("store #4"))
        .count();
    assert_eq!(notes, 1);
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("⚠ PD: store #4 (id 18446744073709551616) skipped"),
        "{shown}"
    );
    update(
        &mut app,
        Msg::Snapshot(Ok(snapshot_at(4.0, one_host_view(None), &mut last))),
    );
    assert!(journal(&app, &mut cursor).contains(&"PD answers in full again".to_string()));
}

#[test]
fn hostile_titles_and_names_never_reach_the_screen() {
    let script = "[[chapter]]\ntitle = \"Fault\\u202Eevil\\u001b]0;pwned\\u0007\"\n\
                  narration = \"a\\u200Fb\\u001b[2J\"\n";
    let mut app = app_with(script);
    app.start();
    let mut snapshot = healthy(secs(1.0));
    snapshot.stores[0].service =
        chaosdeck::text::clean_line("tikv\u{1b}[31m\u{202e}0").into_owned();
    update(&mut app, Msg::Snapshot(Ok(snapshot)));
    for (w, h) in [(80, 24), (120, 40)] {
        let shown = screen(&app, w, h);
        assert!(!shown.chars().any(|c| c != '\n' && is_unsafe(c)), "{shown}");
        assert!(shown.contains("Fault\u{fffd}evil␛]0;pwned␇"), "{shown}");
    }
}

#[test]
fn store_heartbeats_in_the_far_past_or_future_do_not_wrap() {
    use chaosdeck::cluster::pd::mapping::heartbeat_age;
    let now = SystemTime::now();
    assert_eq!(
        heartbeat_age(i128::from(i64::MAX), now),
        None,
        "in the future"
    );
    assert_eq!(heartbeat_age(-5, now), None);
    let age = heartbeat_age(1, now).expect("1 ns after 1970");
    assert!(age > Duration::from_secs(50 * 365 * 86_400));
}

#[test]
fn regions_over_the_limit_mark_their_row_and_the_stores_stay() {
    let mut app = default_app();
    app.start();
    let mut cursor = Cursor::default();
    let mut last = LastKnown::default();
    let over = "PD at http://127.0.0.1:2379 answered /pd/api/v1/regions with a body over the limit of 8 MiB (set CHAOSDECK_PD_BODY_LIMIT to raise it)";
    for second in [1.0, 2.0, 3.0] {
        let mut view = one_host_view(None);
        view.regions = Err(over.into());
        let snapshot = combine(
            secs(second),
            Ok(view),
            Ok(healthy(secs(second)).processes),
            &mut last,
            join_stores,
        );
        update(&mut app, Msg::Snapshot(Ok(snapshot)));
    }
    let lines = journal(&app, &mut cursor);
    assert_eq!(
        lines.iter().filter(|l| l.as_str() == over).count(),
        1,
        "said once: {lines:?}"
    );
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("regions ? unknown"), "{shown}");
    assert!(!shown.contains("no view from PD"), "{shown}");
    assert!(
        !shown.contains("no leader 0"),
        "no figure stands in unseen:\n{shown}"
    );
    assert!(
        shown.contains("/pd/api/v1/regions with a body over"),
        "{shown}"
    );
    for port in ["…:20160", "…:20161", "…:20162"] {
        assert!(shown.contains(port), "{port} in:\n{shown}");
    }
    let snapshot = app.cluster().snapshot.as_ref().unwrap();
    assert!(
        !snapshot.is_healthy(),
        "unread regions are never called healthy"
    );

    // Read again: the row comes back and the journal says so.
    let snapshot = combine(
        secs(4.0),
        Ok(one_host_view(None)),
        Ok(healthy(secs(4.0)).processes),
        &mut last,
        join_stores,
    );
    update(&mut app, Msg::Snapshot(Ok(snapshot)));
    assert!(journal(&app, &mut cursor).contains(&"PD's region lists are read again".to_string()));
    assert!(screen(&app, 120, 40).contains("no leader 0"));
}
