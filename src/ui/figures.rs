//! The key figures in large digits, for booth screens: throughput, time
//! since the fault, leaderless regions. Each box is titled with its figure
//! in words too, so it reads without the digits.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::view::KeyFigures;
use super::{big_digits, paint};

/// Rows the strip takes: large digits and borders.
pub const HEIGHT: u16 = big_digits::HEIGHT as u16 + 2;

pub fn render(figures: &KeyFigures, theme: &Theme, frame: &mut Frame, area: Rect) {
    let boxes = figures.boxes();
    let areas = Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(area);
    for ((label, figure, tone), area) in boxes.iter().zip(areas.iter()) {
        let title = format!(" {label} {figure} ");
        let figure = figure.as_str();
        let block = paint::block(&title, theme);
        let inner = block.inner(*area);
        frame.render_widget(block, *area);
        let fits = big_digits::width_of(figure, 1) <= usize::from(inner.width);
        let lines: Vec<Line> = if fits && figure != "-" {
            big_digits::rows_of(figure, 1)
                .into_iter()
                .map(|r| Line::styled(r, theme.style(*tone)))
                .collect()
        } else {
            vec![Line::styled(figure.to_string(), theme.style(*tone))]
        };
        frame.render_widget(Paragraph::new(lines).alignment(Alignment::Center), inner);
    }
}
