//! Shown instead of the dashboard when the window is below the minimum.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::view::Tone;
use super::{MIN_HEIGHT, MIN_WIDTH, theme};

pub fn render(theme: &theme::Theme, frame: &mut Frame, area: Rect) {
    let lines = vec![
        Line::styled("chaosdeck", theme.title()),
        Line::raw(format!(
            "make the window larger (now {}x{}, need {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        )),
        Line::styled("the show keeps running; q quits", theme.style(Tone::Label)),
    ];
    let top = area.height.saturating_sub(3) / 2;
    let area = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        area,
    );
}
