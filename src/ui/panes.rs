//! The cluster panel, and the monitor and agent panes (which scroll).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

use super::paint;
use super::theme::Theme;
use super::view::cluster::Panel;
use super::view::{PaneView, Row, fit_panel, fit_scrolled, lay};
use crate::app::keys;

/// The cluster panel: its table where it fits, else its compact form
/// (every store on fewer lines), else the compact form with a mark.
pub fn cluster(panel: &Panel, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = paint::block(&panel.title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (width, height) = (usize::from(inner.width), usize::from(inner.height));
    let lines = |rows: &[Row]| rows.iter().map(|r| lay(r, width).len()).sum::<usize>();
    let rows = if lines(&panel.table) <= height {
        &panel.table
    } else {
        &panel.compact
    };
    let fitted = fit_panel(rows, width, height);
    frame.render_widget(Paragraph::new(paint::lines(&fitted, theme)), inner);
}

/// Draws a pane scrolled to `offset` (`None`: its anchor) and returns the
/// offset drawn.
pub fn pane(
    pane: &PaneView,
    offset: Option<usize>,
    keys: &str,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) -> usize {
    let block = paint::block(&pane.title, theme);
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    let pinned = fit_panel(
        &pane.pinned,
        usize::from(inner.width),
        usize::from(inner.height),
    );
    if !pinned.lines.is_empty() {
        let rows = pinned.lines.len() as u16;
        frame.render_widget(
            Paragraph::new(paint::lines(&pinned, theme)),
            Rect {
                height: rows,
                ..inner
            },
        );
        inner.y += rows;
        inner.height -= rows;
    }
    let anchor = if pane.anchor_bottom { usize::MAX } else { 0 };
    let (fitted, shown) = fit_scrolled(
        &pane.rows,
        usize::from(inner.width),
        usize::from(inner.height),
        offset.unwrap_or(anchor),
        keys,
    );
    frame.render_widget(Paragraph::new(paint::lines(&fitted, theme)), inner);
    shown
}

pub const AGENT_KEYS: &str = keys::AGENT_SCROLL;
pub const MONITOR_KEYS: &str = keys::MONITOR_SCROLL;
