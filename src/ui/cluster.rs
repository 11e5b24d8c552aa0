//! Cluster: PD members with the leader marked, one row per TiKV store (by
//! service name), region health, what the runtime says, and how old the
//! data is. Each source's trouble is on its own row: the processes row says
//! why the runtime is unknown, the last row why PD's figures are stale or
//! what of PD's answer was left out.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use unicode_width::UnicodeWidthStr;

use super::{text, theme};
use crate::app::App;
use crate::cluster::{ClusterSnapshot, DataSource, ProcessState};

/// Rows the panel needs for `stores` stores, borders included.
pub fn height_for(stores: usize) -> u16 {
    (stores as u16).saturating_add(7)
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme::dim())
        .title(Span::styled(" Cluster ", theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (table, notes) = match &app.cluster.snapshot {
        None => match &app.cluster.error {
            Some(error) => (Vec::new(), vec![unreachable_line(error)]),
            None => (
                vec![Line::styled("waiting for cluster data…", theme::dim())],
                Vec::new(),
            ),
        },
        Some(snapshot) => lines(app, snapshot),
    };
    let lines = fit(
        table,
        notes,
        usize::from(inner.width),
        usize::from(inner.height),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The table's rows as they are (clipped at the edge, like any row), then
/// the notes under it: a note too long for the panel (a source's trouble,
/// quoted in full) wraps into the rows left free, the last note first
/// (PD's reason), and is cut with `…` where room runs out.
fn fit(
    table: Vec<Line<'static>>,
    notes: Vec<Line<'static>>,
    width: usize,
    height: usize,
) -> Vec<Line<'static>> {
    let flat: Vec<String> = notes
        .iter()
        .map(|line| line.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    let wrapped: Vec<Vec<String>> = flat.iter().map(|text| text::wrap(text, width)).collect();
    let mut spare = height.saturating_sub(table.len() + notes.len());
    let mut rows = vec![1; notes.len()];
    for (index, parts) in wrapped.iter().enumerate().rev() {
        if flat[index].width() > width {
            let extra = (parts.len() - 1).min(spare);
            rows[index] += extra;
            spare -= extra;
        }
    }
    let mut out = table;
    for (((line, text), parts), rows) in notes.into_iter().zip(&flat).zip(wrapped).zip(rows) {
        if text.width() <= width {
            out.push(line);
            continue;
        }
        let style = line.spans.last().map_or(line.style, |span| span.style);
        for (row, part) in parts.iter().enumerate().take(rows) {
            let part = if row + 1 == rows && parts.len() > rows {
                text::ellipsize(&format!("{part} {}", parts[row + 1..].join(" ")), width)
            } else {
                part.clone()
            };
            out.push(Line::styled(part, style));
        }
    }
    out
}

fn unreachable_line(error: &str) -> Line<'static> {
    Line::styled(
        format!("✗ {}", text::plain(error)),
        Style::new().fg(theme::BAD).add_modifier(Modifier::BOLD),
    )
}

/// The table (PD members, stores, regions) and the notes under it (what
/// the runtime says, how fresh PD's figures are).
fn lines(app: &App, snapshot: &ClusterSnapshot) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    if !snapshot.pd_reachable && snapshot.stores.is_empty() {
        // Nothing known yet: no empty table that could read as "0 regions".
        let why = snapshot
            .trouble(DataSource::Pd)
            .unwrap_or("PD unreachable: no cluster data yet");
        return (
            Vec::new(),
            vec![unreachable_line(why), runtime_line(snapshot)],
        );
    }
    let stale = app.cluster.is_stale(app.now);
    let mut lines = vec![pd_line(snapshot)];
    lines.push(Line::styled(
        format!(
            "{:<7} {:<14} {:>4} {:>4} {:>5}",
            "STORE", "STATE", "LDRS", "RGNS", "HB"
        ),
        theme::dim(),
    ));
    let names: Vec<String> = snapshot
        .stores
        .iter()
        .map(|store| text::plain(&store.service))
        .collect();
    let names =
        text::distinct_short_names(&names.iter().map(String::as_str).collect::<Vec<_>>(), 7);
    for (store, name) in snapshot.stores.iter().zip(names) {
        let (symbol, style) = if stale {
            ("?", theme::dim())
        } else {
            theme::store_state(&store.state)
        };
        let heartbeat = store.heartbeat_age.map_or("-".into(), text::age);
        let state = text::ellipsize(&format!("{symbol} {}", text::plain(store.state.name())), 14);
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", text::pad(&name, 7)), theme::bold()),
            Span::styled(text::pad(&state, 14), style),
            Span::raw(format!(
                " {:>4} {:>4} {:>5}",
                store.leader_count, store.region_count, heartbeat
            )),
        ]));
    }
    lines.push(regions_line(snapshot));
    let notes = vec![runtime_line(snapshot), freshness_line(app, snapshot)];
    (lines, notes)
}

fn pd_line(snapshot: &ClusterSnapshot) -> Line<'static> {
    let mut spans = vec![Span::styled("PD  ", theme::dim())];
    for member in &snapshot.pd_members {
        let (symbol, style) = match member.healthy {
            Some(false) => ("✗", Style::new().fg(theme::BAD)),
            _ => ("●", Style::new().fg(theme::GOOD)),
        };
        spans.push(Span::styled(format!("{symbol} "), style));
        spans.push(Span::raw(text::plain(&member.name)));
        if member.is_leader {
            spans.push(Span::styled(" (leader)", theme::bold()));
        }
        spans.push(Span::raw("  "));
    }
    Line::from(spans)
}

fn regions_line(snapshot: &ClusterSnapshot) -> Line<'static> {
    let r = snapshot.regions;
    let count = |n: u64, what: &str| {
        let style = if n > 0 {
            Style::new().fg(theme::BAD).add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(theme::GOOD)
        };
        Span::styled(format!("{what} {n}"), style)
    };
    Line::from(vec![
        Span::raw(format!("regions {} ", r.total)),
        count(r.without_leader, "no leader"),
        Span::raw(" "),
        count(r.under_replicated, "under-repl."),
    ])
}

/// What the container runtime says, faster than PD's heartbeat rule.
fn runtime_line(snapshot: &ClusterSnapshot) -> Line<'static> {
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
    if let Some(why) = snapshot.trouble(DataSource::Runtime) {
        Line::from(vec![
            Span::styled("processes ", theme::dim()),
            Span::styled(
                format!("? unknown: {}", text::plain(why)),
                Style::new().fg(theme::WARN),
            ),
        ])
    } else if snapshot.processes.is_empty() {
        Line::styled("processes: not known", theme::dim())
    } else if troubled.is_empty() {
        Line::from(vec![
            Span::styled("processes ", theme::dim()),
            Span::styled("all running", Style::new().fg(theme::GOOD)),
        ])
    } else {
        Line::from(vec![
            Span::styled("processes ", theme::dim()),
            Span::styled(
                format!("✗ {}", troubled.join(", ")),
                Style::new().fg(theme::BAD).add_modifier(Modifier::BOLD),
            ),
        ])
    }
}

fn freshness_line(app: &App, snapshot: &ClusterSnapshot) -> Line<'static> {
    if let Some(error) = &app.cluster.error {
        return unreachable_line(&format!("{error}: data above is stale"));
    }
    if !snapshot.pd_reachable {
        let why = snapshot.trouble(DataSource::Pd).unwrap_or("PD unreachable");
        return unreachable_line(&format!("{why}: data above is stale"));
    }
    let age = app.now.saturating_sub(snapshot.taken_at);
    if app.cluster.is_stale(app.now) {
        return unreachable_line(&format!(
            "no fresh data for {:.0}s: the figures above are stale",
            age.as_secs_f64()
        ));
    }
    if let Some(left_out) = snapshot.trouble(DataSource::Pd) {
        // PD answered, but not all of it could be read.
        return Line::styled(
            format!("⚠ {}", text::plain(left_out)),
            Style::new().fg(theme::WARN),
        );
    }
    Line::styled(format!("data {:.1}s old", age.as_secs_f64()), theme::dim())
}
