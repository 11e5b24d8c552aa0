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
    let lines = match &app.cluster.snapshot {
        None => match &app.cluster.error {
            Some(error) => vec![unreachable_line(error)],
            None => vec![Line::styled("waiting for cluster data…", theme::dim())],
        },
        Some(snapshot) => lines(app, snapshot),
    };
    let lines = fit(lines, usize::from(inner.width), usize::from(inner.height));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Rows too long for the panel (a source's trouble, quoted in full) wrap
/// into the rows left free, the last row first (PD's reason), and are cut
/// with `…` where room runs out. Rows that fit are left alone.
fn fit(lines: Vec<Line<'static>>, width: usize, height: usize) -> Vec<Line<'static>> {
    let flat: Vec<String> = lines
        .iter()
        .map(|line| line.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    let needed: Vec<usize> = flat
        .iter()
        .map(|text| {
            if text.width() > width {
                text::wrap(text, width).len()
            } else {
                1
            }
        })
        .collect();
    let mut spare = height.saturating_sub(lines.len());
    let mut rows = vec![1; lines.len()];
    for (index, need) in needed.iter().enumerate().rev() {
        let extra = (need - 1).min(spare);
        rows[index] += extra;
        spare -= extra;
    }
    let mut out = Vec::new();
    for ((line, text), (need, rows)) in lines
        .into_iter()
        .zip(&flat)
        .zip(needed.into_iter().zip(rows))
    {
        if need == 1 && text.width() <= width {
            out.push(line);
            continue;
        }
        let style = line.spans.last().map_or(line.style, |span| span.style);
        let wrapped = text::wrap(text, width);
        for (row, part) in wrapped.iter().enumerate().take(rows) {
            let part = if row + 1 == rows && wrapped.len() > rows {
                text::ellipsize(&format!("{part} {}", wrapped[row + 1..].join(" ")), width)
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

fn lines(app: &App, snapshot: &ClusterSnapshot) -> Vec<Line<'static>> {
    if !snapshot.pd_reachable && snapshot.stores.is_empty() {
        // Nothing known yet: no empty table that could read as "0 regions".
        let why = snapshot
            .trouble(DataSource::Pd)
            .unwrap_or("PD unreachable: no cluster data yet");
        return vec![unreachable_line(why), runtime_line(snapshot)];
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
    lines.push(runtime_line(snapshot));
    lines.push(freshness_line(app, snapshot));
    lines
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
