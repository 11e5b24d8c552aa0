//! The screen: the view model ([`view::Screen`]) computed once from the app,
//! then drawn by one widget per panel. Panels get their room by chapter
//! ([`view::Phase`]): the cluster and the monitor grow during detection, the
//! agent during the diagnosis, the chart at the end.

pub mod agent;
pub mod big_digits;
pub mod figures;
pub mod footer;
pub mod header;
pub mod help;
pub mod narration;
pub mod paint;
pub mod panes;
pub mod text;
pub mod theme;
pub mod too_small;
pub mod view;
pub mod workload;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Paragraph;

use crate::app::App;
use theme::Theme;
use view::{Phase, Screen, ViewState, lay};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Large figures from this size on (a booth screen).
const BIG_WIDTH: u16 = 160;
const BIG_HEIGHT: u16 = 50;

/// Draws the whole screen with the default theme, unscrolled.
pub fn view(app: &App, frame: &mut Frame) {
    draw(app, &mut ViewState::default(), &Theme::default(), frame);
}

/// Draws the whole screen; `state` is the front end's scroll state, and
/// learns where each pane was drawn.
pub fn draw(app: &App, state: &mut ViewState, theme: &Theme, frame: &mut Frame) {
    render(&Screen::build(app), state, theme, frame);
}

/// Where each panel goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    pub figures: Option<Rect>,
    pub narration: Rect,
    pub cluster: Rect,
    pub workload: Rect,
    pub monitor: Rect,
    pub agent: Rect,
    pub timeline: Rect,
    pub footer: Rect,
}

pub fn render(screen: &Screen, state: &mut ViewState, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small::render(screen, theme, frame, area);
        return;
    }
    let areas = layout(screen, area);
    let big = areas.figures.is_some();
    header::render(screen, theme, frame, areas.header);
    if let Some(at) = areas.figures {
        figures::render(&screen.figures, theme, frame, at);
    }
    narration::render(
        &screen.narration,
        if big { 2 } else { 1 },
        theme,
        frame,
        areas.narration,
    );
    panes::cluster(&screen.cluster, theme, frame, areas.cluster);
    workload::render(&screen.workload, theme, frame, areas.workload);
    if screen.agent.content != state.agent_content {
        // A new diagnosis starts at its top.
        state.agent = None;
        state.agent_content = screen.agent.content;
    }
    state.monitor_shown = panes::pane(
        &screen.monitor,
        state.monitor,
        panes::MONITOR_KEYS,
        theme,
        frame,
        areas.monitor,
    );
    state.monitor = state.monitor.map(|_| state.monitor_shown);
    state.agent_shown = panes::pane(
        &screen.agent,
        state.agent,
        panes::AGENT_KEYS,
        theme,
        frame,
        areas.agent,
    );
    state.agent = state.agent.map(|_| state.agent_shown);
    let width = usize::from(areas.timeline.width);
    let strip = if screen.timeline.0.width() < width {
        &screen.timeline.0
    } else {
        &screen.timeline.1
    };
    let mut strip = strip.clone();
    strip
        .pieces
        .insert(0, view::Piece::new(view::Tone::Plain, " "));
    let pieces = paint::one_line(&strip, width);
    frame.render_widget(Paragraph::new(paint::line(&pieces, theme)), areas.timeline);
    footer::render(screen, theme, frame, areas.footer);
    if screen.help {
        let main = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(3),
            ..area
        };
        help::render(theme, frame, main);
    }
}

/// Rows left for the panes under the chart: two lines of text.
const PANES_LEAST: u16 = 4;
/// The chart's least: its stats in the border and one row of bars.
const CHART_LEAST: u16 = 3;

/// Small screens (under 30 rows for the panels): the top rows, the chart's
/// and the panes' share of the width, by chapter. The cluster keeps every
/// store (its compact form where the table does not fit), the chart at
/// least a row of bars, the panes two lines.
fn small_rows(phase: Phase, h: u16, table: u16, compact: u16, narration: u16) -> (u16, u16, u16) {
    let most_top = h.saturating_sub(CHART_LEAST + PANES_LEAST);
    let (top, agent_share) = match phase {
        // The narration and the table, whole where they fit.
        Phase::Calm | Phase::Fault => (table.max(narration), 50),
        // The chapter's own rows come first in the narration; the table
        // keeps every store's heartbeat age.
        // The monitor gets the width its entries need on one line each.
        Phase::Detection => (table.max(narration), 37),
        // The agent gets the height: the cluster takes its compact form,
        // the narration about half.
        Phase::Diagnosis => (compact.max(narration.min(h / 2 + 1)), 65),
        Phase::Complete => (
            table.max(narration).min(h.saturating_sub(6 + PANES_LEAST)),
            50,
        ),
    };
    let top = top.min(most_top).max(6.min(most_top));
    let chart = match phase {
        Phase::Complete => h.saturating_sub(top + PANES_LEAST),
        Phase::Diagnosis => CHART_LEAST,
        // A row of its own for the stats where the panes keep theirs.
        _ => 4.min(h.saturating_sub(top + PANES_LEAST)).max(CHART_LEAST),
    };
    (top, chart, agent_share)
}

/// Larger screens: room for every panel; the chart grows at the end.
fn large_rows(phase: Phase, h: u16, cluster_need: u16, narration_need: u16) -> (u16, u16, u16) {
    let short = (h / 6).max(5);
    let (top, workload, agent_share) = match phase {
        Phase::Calm | Phase::Fault => (cluster_need.max(narration_need), short.max(h / 5), 50),
        Phase::Detection => (cluster_need.max(narration_need.min(h * 2 / 5)), short, 40),
        Phase::Diagnosis => (
            cluster_need.min(h * 2 / 5).max(narration_need.min(h / 3)),
            4.max(h / 8),
            65,
        ),
        Phase::Complete => {
            let chart = h * 2 / 5;
            (
                cluster_need.max(narration_need).min(h - chart - 4),
                chart,
                50,
            )
        }
    };
    // The bottom row keeps at least four rows (two of text).
    let top = top.max(6).min(h.saturating_sub(workload.min(4) + 4));
    let workload = workload.min(h.saturating_sub(top + 4)).max(3);
    (top, workload, agent_share)
}

/// The panels' areas for `screen` on `area` (at least the minimum size).
pub fn layout(screen: &Screen, area: Rect) -> Areas {
    let [header, mut main, timeline, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut figures = None;
    if area.width >= BIG_WIDTH && area.height >= BIG_HEIGHT {
        let [strip, rest] =
            Layout::vertical([Constraint::Length(figures::HEIGHT), Constraint::Min(0)]).areas(main);
        figures = Some(strip);
        main = rest;
    }
    let h = main.height;
    // The cluster table needs 38 columns (7 stores, one Disconnected);
    // the narration takes the rest.
    let cluster_width = (main.width * 9 / 20).max(38);
    let narration_width = main.width - cluster_width;
    let inner = usize::from(cluster_width - 2);
    let need =
        |rows: &[view::Row]| rows.iter().map(|r| lay(r, inner).len()).sum::<usize>() as u16 + 2;
    let table_need = need(&screen.cluster.table);
    let compact_need = need(&screen.cluster.compact);
    let mut narration_need = narration::height_for(&screen.narration, narration_width);
    if figures.is_some() && screen.narration.countdown.is_some() {
        // Room for the countdown's digits at twice their size, and a line
        // around them and the status.
        narration_need = narration_need.max(big_digits::HEIGHT as u16 * 2 + 6);
    }
    let (top, workload, agent_share) = if h < 30 {
        small_rows(screen.phase, h, table_need, compact_need, narration_need)
    } else {
        large_rows(screen.phase, h, table_need, narration_need)
    };
    let [top_area, workload_area, bottom] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(workload),
        Constraint::Min(0),
    ])
    .areas(main);
    let [narration, cluster] = Layout::horizontal([
        Constraint::Length(narration_width),
        Constraint::Length(cluster_width),
    ])
    .areas(top_area);
    let [monitor, agent] = Layout::horizontal([
        Constraint::Percentage(100 - agent_share),
        Constraint::Percentage(agent_share),
    ])
    .areas(bottom);
    Areas {
        header,
        figures,
        narration,
        cluster,
        workload: workload_area,
        monitor,
        agent,
        timeline,
        footer,
    }
}
