//! Shown instead of the dashboard when the window is below the minimum.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::view::{Screen, Tone};
use super::{MIN_HEIGHT, MIN_WIDTH, theme};

/// The notice names where the show stands (the chapter, the fault in
/// place), so a presenter who shrank the window mid-fault knows it runs on.
pub fn render(screen: &Screen, theme: &theme::Theme, frame: &mut Frame, area: Rect) {
    let lines = vec![
        Line::styled("chaosdeck", theme.title()),
        Line::raw(format!(
            "make the window larger (now {}x{}, need {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        )),
        Line::styled(screen.whereabouts(), theme.style(Tone::Strong)),
        Line::styled(screen.fault.clone(), theme.style(Tone::Plain)),
        Line::styled(
            "the show is still running; q quits",
            theme.style(Tone::Label),
        ),
    ];
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
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
