//! The agent pane on its own (as the agent's tests draw it), unscrolled.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::panes;
use super::theme::Theme;
use super::view;
use crate::app::App;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    panes::pane(
        &view::agent::pane(app),
        None,
        panes::AGENT_KEYS,
        &Theme::default(),
        frame,
        area,
    );
}
