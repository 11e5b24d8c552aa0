//! The cluster panel's rows: PD's members with the leader first, one row
//! per store, the region figures, what the runtime says and how fresh PD's
//! figures are. Rows break between pieces, so no figure is ever cut; the
//! PD row, the region row and the processes row are never left out.

use unicode_width::UnicodeWidthStr;

use super::flow::{Piece, Row, Tone};
use crate::app::App;
use crate::cluster::{ClusterSnapshot, DataSource, ProcessState, Store, StoreState};
use crate::ui::text;

/// The region figures, read here and nowhere else (one edit to adopt a new
/// field of the snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionFigures {
    pub total: u64,
    /// What PD reports: within a demo these stay 0 (PD keeps a dead leader
    /// until a new one reports).
    pub without_leader: u64,
    pub under_replicated: u64,
    /// Regions whose leader sits on a node the runtime shows gone: the
    /// figure that moves during a fault (unavailable until re-election).
    pub leaderless: u64,
    /// What the runtime shows of the node they are led from: `dead`,
    /// `frozen` or `cut-off`.
    pub lost: &'static str,
}

pub fn region_figures(app: &App) -> Option<RegionFigures> {
    let snapshot = app.cluster().snapshot.as_ref()?;
    let r = snapshot.regions;
    Some(RegionFigures {
        total: r.total,
        without_leader: r.without_leader,
        under_replicated: r.under_replicated,
        leaderless: r.led_from_dead_node,
        lost: crate::monitor::lost_node(snapshot),
    })
}

/// Symbol and tone of a store state; the word is the state's name. The
/// same tone for the same state in every panel.
pub fn store_state(state: &StoreState) -> (&'static str, Tone) {
    match state {
        StoreState::Up => ("●", Tone::Good),
        StoreState::Disconnected | StoreState::Down => ("✗", Tone::Bad),
        StoreState::Offline => ("◐", Tone::Warn),
        StoreState::Tombstone | StoreState::Unknown(_) => ("?", Tone::Label),
    }
}

/// Leaderless regions are unavailable: bad. Under-replicated ones still
/// serve with a replica missing: a warning. Everywhere.
pub const LEADERLESS: Tone = Tone::Bad;
pub const UNDER_REPLICATED: Tone = Tone::Warn;

/// The panel in its two forms: the table (a header and one row per store)
/// and, where the table does not fit, the compact form (every store as a
/// piece of one row that wraps between stores). PD's row, the regions and
/// the processes are the same in both.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    pub table: Vec<Row>,
    pub compact: Vec<Row>,
    /// `Cluster · data 0.4s old`: how fresh PD's figures are, in the
    /// border while they are fresh (a row of its own when they are not).
    pub title: String,
}

pub fn panel(app: &App) -> Panel {
    let Some(snapshot) = &app.cluster().snapshot else {
        let rows = vec![match &app.cluster().error {
            Some(error) => unreachable_row(error),
            None => Row::prose(Tone::Label, "waiting for cluster data…"),
        }];
        return Panel::same(rows, " Cluster ".into());
    };
    if !snapshot.pd_reachable && snapshot.stores.is_empty() {
        // Nothing known yet: no empty table that could read as "0 regions".
        let why = snapshot
            .trouble(DataSource::Pd)
            .unwrap_or("PD unreachable: no cluster data yet");
        let rows = vec![unreachable_row(why).kept(), runtime_row(snapshot)];
        return Panel::same(rows, " Cluster ".into());
    }
    let stale = app.cluster().is_stale(app.now());
    let names: Vec<String> = snapshot
        .stores
        .iter()
        .map(|store| text::plain(&store.service))
        .collect();
    let names =
        text::distinct_short_names(&names.iter().map(String::as_str).collect::<Vec<_>>(), 7);
    let state_of = |store: &Store| {
        let (symbol, tone) = store_state(&store.state);
        if stale {
            ("?", Tone::Label)
        } else {
            (symbol, tone)
        }
    };
    // Each column as wide as its widest cell: compact, and never cut.
    let cells: Vec<[String; 5]> = snapshot
        .stores
        .iter()
        .zip(&names)
        .map(|(store, name)| {
            [
                name.clone(),
                format!("{} {}", state_of(store).0, text::plain(store.state.name())),
                text::thousands(store.leader_count as f64),
                text::thousands(store.region_count as f64),
                app.cluster()
                    .heartbeat_age(&store.service, app.now())
                    .map_or("-".into(), text::age),
            ]
        })
        .collect();
    let heads = ["STORE", "STATE", "LDRS", "RGNS", "HB"];
    let widths: Vec<usize> = (0..5)
        .map(|c| {
            cells
                .iter()
                .map(|row| row[c].width())
                .chain([heads[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let right = |s: &str, w: usize| format!("{}{s}", " ".repeat(w.saturating_sub(s.width())));
    let mut table = vec![
        Row::prose(
            Tone::Label,
            format!(
                "{} {} {} {} {}",
                text::pad(heads[0], widths[0]),
                text::pad(heads[1], widths[1]),
                right(heads[2], widths[2]),
                right(heads[3], widths[3]),
                right(heads[4], widths[4]),
            ),
        )
        .ranked(3),
    ];
    for (store, cell) in snapshot.stores.iter().zip(&cells) {
        table.push(
            Row::new(vec![
                Piece::new(Tone::Strong, format!("{} ", text::pad(&cell[0], widths[0]))),
                Piece::new(state_of(store).1, text::pad(&cell[1], widths[1])),
                Piece::new(
                    Tone::Plain,
                    format!(
                        " {} {} {}",
                        right(&cell[2], widths[2]),
                        right(&cell[3], widths[3]),
                        right(&cell[4], widths[4])
                    ),
                ),
            ])
            .indented(widths[0] + 1)
            .ranked(1),
        );
    }
    // The compact form: each store's name, state and leaders, one piece
    // each, so a store is never split across lines.
    let mut stores = vec![Piece::new(Tone::Label, "stores (leaders)")];
    for (store, cell) in snapshot.stores.iter().zip(&cells) {
        // One piece: a store is never split across lines.
        stores.push(Piece::new(
            state_of(store).1,
            format!("  {} {} ({})", cell[0], cell[1], cell[2]),
        ));
    }
    let compact = vec![Row::new(stores).indented(2).kept()];
    let mut tail = Vec::new();
    if snapshot.trouble(DataSource::PdRegions).is_some() {
        // No figure that could read as "0 without a leader"; the reason is
        // on the freshness row, where there is room for it.
        tail.push(
            Row::prose(Tone::Warn, "regions ? unknown: PD's region lists not read")
                .indented(8)
                .kept(),
        );
    } else if let Some(regions) = region_figures(app) {
        tail.push(regions_row(regions));
    }
    tail.push(runtime_row(snapshot));
    let title = match freshness(app, snapshot) {
        Freshness::Fresh(age) => format!(" Cluster · data {age} old "),
        Freshness::Trouble(row) => {
            tail.push(row);
            " Cluster ".into()
        }
    };
    let pd = pd_row(snapshot);
    let assemble = |middle: Vec<Row>| {
        std::iter::once(pd.clone())
            .chain(middle)
            .chain(tail.iter().cloned())
            .collect()
    };
    Panel {
        table: assemble(table),
        compact: assemble(compact),
        title,
    }
}

impl Panel {
    fn same(rows: Vec<Row>, title: String) -> Self {
        Self {
            table: rows.clone(),
            compact: rows,
            title,
        }
    }
}

fn unreachable_row(error: &str) -> Row {
    Row::prose(Tone::Bad, format!("✗ {}", text::plain(error)))
}

/// The leader first, so it is the last thing a narrow panel moves; each
/// member (symbol, name, leadership) is one piece, never split. A member
/// the runtime shows down says so; while PD is silent no leadership is
/// shown as live: "no leader" when PD said so, else the last one known.
fn pd_row(snapshot: &ClusterSnapshot) -> Row {
    let mut pieces = vec![Piece::new(Tone::Label, "PD")];
    let mut members: Vec<_> = snapshot.pd_members.iter().collect();
    members.sort_by_key(|m| !m.is_leader);
    let led = members.first().is_some_and(|m| m.is_leader);
    if !members.is_empty() && !led {
        pieces.push(Piece::new(Tone::Bad, "  ✗ no leader"));
    }
    for member in members {
        let process = snapshot.process(&member.name);
        let down = process.and_then(|p| match &p.state {
            ProcessState::Running if p.network_connected => None,
            ProcessState::Running => Some("cut off".to_string()),
            state => Some(text::plain(&state.to_string())),
        });
        let (symbol, tone) = match (&down, member.healthy) {
            (Some(_), _) | (None, Some(false)) => ("✗", Tone::Bad),
            _ if !snapshot.pd_reachable => ("?", Tone::Label),
            _ => ("●", Tone::Good),
        };
        let leader = match (member.is_leader, snapshot.pd_reachable, member.serves_tso) {
            (false, ..) => "",
            (true, false, _) => " (last leader)",
            (true, true, Some(false)) => " (leader, no TSO yet)",
            (true, true, _) => " (leader)",
        };
        let down = down.map(|what| format!(" {what}")).unwrap_or_default();
        pieces.push(Piece::new(
            tone,
            format!("  {symbol} {}{leader}{down}", text::plain(&member.name)),
        ));
    }
    Row::new(pieces).indented(2).kept()
}

fn regions_row(r: RegionFigures) -> Row {
    let count = |n: u64, what: &str, bad: Tone| {
        Piece::new(
            if n > 0 { bad } else { Tone::Good },
            format!(" {what} {}", text::thousands(n as f64)),
        )
    };
    Row::new(vec![
        Piece::new(
            Tone::Plain,
            format!("regions {}", text::thousands(r.total as f64)),
        ),
        count(r.leaderless, &format!("led from {}", r.lost), LEADERLESS),
        count(r.without_leader, "no leader", LEADERLESS),
        count(r.under_replicated, "under-repl.", UNDER_REPLICATED),
    ])
    .indented(8)
    .kept()
}

/// What the container runtime says, faster than PD's heartbeat rule.
fn runtime_row(snapshot: &ClusterSnapshot) -> Row {
    let label = Piece::new(Tone::Label, "processes");
    if let Some(why) = snapshot.trouble(DataSource::Runtime) {
        return Row::new(vec![
            label,
            // The reason's first clause: the rest is in the monitor's note,
            // and store rows must not be pushed out by a long error.
            Piece::new(
                Tone::Warn,
                format!(" ? unknown: {}", text::plain(first_clause(why))),
            ),
        ])
        .indented(2)
        .kept();
    }
    if snapshot.processes.is_empty() {
        return Row::prose(Tone::Label, "processes: not known").kept();
    }
    let troubled: Vec<String> = snapshot
        .processes
        .iter()
        .filter_map(|p| {
            let what = match &p.state {
                ProcessState::Running if p.network_connected => return None,
                ProcessState::Running => "cut off".to_string(),
                state => text::plain(&state.to_string()),
            };
            Some(format!("{} {what}", text::plain(&p.service)))
        })
        .collect();
    let mut pieces = vec![label];
    if troubled.is_empty() {
        pieces.push(Piece::new(Tone::Good, " ● all running"));
    } else {
        let last = troubled.len() - 1;
        for (i, what) in troubled.into_iter().enumerate() {
            let sep = if i == last { "" } else { "," };
            pieces.push(Piece::new(Tone::Bad, format!(" ✗ {what}{sep}")));
        }
    }
    Row::new(pieces).indented(10).kept()
}

/// "Docker unreachable: unix:///…: Socket not found" → "Docker unreachable".
fn first_clause(why: &str) -> &str {
    why.split_once(": ").map_or(why, |(head, _)| head)
}

enum Freshness {
    /// How old PD's data is (`0.4s`).
    Fresh(String),
    /// Why it is stale or partial: a row of its own.
    Trouble(Row),
}

fn freshness(app: &App, snapshot: &ClusterSnapshot) -> Freshness {
    if let Some(error) = &app.cluster().error {
        return Freshness::Trouble(
            unreachable_row(&format!("{error}: data above is stale")).ranked(1),
        );
    }
    if !snapshot.pd_reachable {
        let why = snapshot.trouble(DataSource::Pd).unwrap_or("PD unreachable");
        return Freshness::Trouble(
            unreachable_row(&format!("{why}: data above is stale")).ranked(1),
        );
    }
    let age = app.now().saturating_sub(snapshot.taken_at);
    if app.cluster().is_stale(app.now()) {
        return Freshness::Trouble(
            unreachable_row(&format!(
                "no fresh data for {:.0}s: the figures above are stale",
                age.as_secs_f64()
            ))
            .ranked(1),
        );
    }
    if let Some(left_out) = snapshot.trouble(DataSource::Pd) {
        // PD answered, but not all of it could be read.
        return Freshness::Trouble(
            Row::prose(Tone::Warn, format!("⚠ {}", text::plain(left_out))).ranked(2),
        );
    }
    if let Some(why) = snapshot.trouble(DataSource::PdRegions) {
        return Freshness::Trouble(
            Row::prose(Tone::Warn, format!("⚠ {}", text::plain(why))).ranked(2),
        );
    }
    Freshness::Fresh(text::secs(age))
}
