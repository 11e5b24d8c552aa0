//! The view: a pure function of the app's state, one module per panel.

pub mod agent;
pub mod big_digits;
pub mod cluster;
pub mod footer;
pub mod header;
pub mod help;
pub mod monitor;
pub mod narration;
pub mod text;
pub mod theme;
pub mod timeline;
pub mod too_small;
pub mod workload;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::App;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen.
pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small::render(frame, area);
        return;
    }
    let [header_area, main, timeline_area, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let (top, workload_area, bottom) = split_main(app, main);
    // The cluster table needs 40 columns; the narration takes the rest.
    let cluster_width = (top.width * 9 / 20).max(40);
    let [narration_area, cluster_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(cluster_width)]).areas(top);
    let [monitor_area, agent_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);

    header::render(app, frame, header_area);
    narration::render(app, frame, narration_area);
    cluster::render(app, frame, cluster_area);
    workload::render(app, frame, workload_area);
    monitor::render(app, frame, monitor_area);
    agent::render(app, frame, agent_area);
    timeline::render(app, frame, timeline_area);
    footer::render(app, frame, footer_area);
    if app.show_help {
        help::render(frame, main);
    }
}

/// Top row (narration, cluster), workload, bottom row (monitor, agent). The
/// cluster gets the rows its stores need; the rest grows with the screen.
fn split_main(app: &App, main: Rect) -> (Rect, Rect, Rect) {
    let stores = app
        .cluster
        .snapshot
        .as_ref()
        .map_or(3, |s| s.stores.len().max(3));
    // At least 11 rows: 8 lines of narration and its status at 80x24.
    let top = cluster::height_for(stores)
        .max(main.height * 7 / 20)
        .max(11);
    let workload = (main.height / 5).max(4);
    let [top, workload, bottom] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(workload),
        Constraint::Min(5),
    ])
    .areas(main);
    (top, workload, bottom)
}
