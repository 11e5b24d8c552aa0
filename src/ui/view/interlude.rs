//! Between kiosk passes: a clean attract screen. The pass that ended is
//! over (its chart, timeline and diagnosis go with it); what shows is the
//! check and heal of the cluster, and the keys that work here.

use super::flow::{Row, Tone};
use super::monitor::entry_row;
use super::{PaneView, Screen, Workload};
use crate::app::App;
use crate::app::booth::Interlude;

/// `screen` (built for the app) as the attract screen of `interlude`.
pub fn attract(app: &App, interlude: &Interlude, screen: &mut Screen) {
    screen.phase = super::Phase::Calm;
    screen.workload = Workload {
        title: " Workload ".into(),
        stats: Row::prose(
            Tone::Label,
            "- IDLE  between passes: the next pass starts the load and measures its baseline",
        )
        .indented(2),
        ..Workload::default()
    };
    screen.figures.ops_per_sec = None;
    screen.figures.since_fault = None;
    // What the check and heal said since the pass ended.
    let mut rows: Vec<Row> = app
        .chronicle()
        .pane()
        .iter()
        .filter(|e| e.at >= interlude.since)
        .map(entry_row)
        .collect();
    rows.reverse();
    if rows.is_empty() {
        rows.push(Row::prose(
            Tone::Label,
            "checking every node: nothing to heal yet",
        ));
    }
    screen.monitor = PaneView {
        title: " Monitor · between passes ".into(),
        rows,
        content: screen.monitor.content ^ 1,
        ..PaneView::default()
    };
    screen.agent = PaneView {
        title: screen.agent.title.clone(),
        rows: vec![Row::prose(
            Tone::Label,
            "idle: the next pass asks once its fault is detected",
        )],
        content: screen.agent.content ^ 1,
        ..PaneView::default()
    };
    let strip = Row::prose(
        Tone::Label,
        format!(
            "between passes: pass {} is over; the next starts once every node is healthy",
            app.pass()
        ),
    );
    screen.timeline = (strip.clone(), strip);
    screen.footer = if app.autoplay() {
        vec![("any key", "take over"), ("?", "help"), ("q", "quit")]
    } else {
        vec![("K", "autoplay: next pass"), ("?", "help"), ("q", "quit")]
    };
}
