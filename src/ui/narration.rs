//! Narration: the chapter's text, the running action's status line, and a
//! countdown beside the text (never over it), in large digits where they fit.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::view::{Narration, Row, Tone, fit_panel, lay};
use super::{big_digits, paint};

/// Columns the countdown takes beside the text: large digits when
/// `big_room` (rows enough for them), the figure in a word otherwise.
fn countdown_width(figure: &str, scale: usize, big_room: bool, inner_width: u16) -> (u16, bool) {
    let digits = big_digits::width_of(figure, scale) as u16;
    let big = big_room && inner_width >= digits.max(9) + 24;
    (if big { digits.max(9) + 2 } else { 7 }, big)
}

/// Rows the narration needs at `width` columns, borders included.
pub fn height_for(narration: &Narration, width: u16) -> u16 {
    let mut inner = width.saturating_sub(2);
    if let Some(left) = narration.countdown {
        inner -= countdown_width(&left.to_string(), 1, true, inner)
            .0
            .min(inner);
    }
    let inner = usize::from(inner).max(1);
    let text: usize = narration
        .body
        .iter()
        .map(|r| lay(r, inner).len())
        .sum::<usize>()
        + lay(&narration.status, inner).len()
        + 1;
    (text as u16).saturating_add(2)
}

pub fn render(narration: &Narration, scale: usize, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = paint::block(&format!(" {} ", narration.title), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let mut text_area = inner;
    if let Some(left) = narration.countdown {
        let figure = left.to_string();
        let scale = if inner.height as usize >= big_digits::HEIGHT * scale + 3 {
            scale
        } else {
            1
        };
        let (beside, big) = countdown_width(
            &figure,
            scale,
            inner.height as usize >= big_digits::HEIGHT * scale + 2,
            inner.width,
        );
        let [text, count] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(beside)]).areas(inner);
        text_area = text;
        countdown(&figure, big.then_some(scale), theme, frame, count);
    }
    let width = usize::from(text_area.width);
    let height = usize::from(text_area.height);
    // The status wraps, whole: it says what is happening now, so the
    // narration yields to it (only a status taller than the whole panel
    // is cut, and marked).
    let mut status = lay(&narration.status, width);
    if status.len() > height {
        status.truncate(height.max(1));
        let last = status.len() - 1;
        status[last] = paint::marked(std::mem::take(&mut status[last]), width);
    }
    let room = height.saturating_sub(status.len());
    // A blank line above the status where the text fits with it.
    let text_lines: usize = narration.body.iter().map(|r| lay(r, width).len()).sum();
    let room = room.saturating_sub(usize::from(room > text_lines && room > 1));
    let body = fit_panel(&narration.body, width, room);
    let mut lines = paint::lines(&body, theme);
    while lines.len() + status.len() < height {
        lines.push(Line::raw(""));
    }
    lines.truncate(height.saturating_sub(status.len()));
    lines.extend(status.iter().map(|l| paint::line(l, theme)));
    frame.render_widget(Paragraph::new(lines), text_area);
}

/// The seconds left, large when `scale` is given, with how to call it off.
fn countdown(figure: &str, scale: Option<usize>, theme: &Theme, frame: &mut Frame, area: Rect) {
    let style = theme.style(Tone::Bad);
    let mut lines = Vec::new();
    match scale {
        Some(scale) => {
            lines.push(Line::raw(""));
            lines.extend(
                big_digits::rows_of(figure, scale)
                    .into_iter()
                    .map(|r| Line::styled(r, style)),
            );
            lines.push(Line::raw(""));
            lines.push(Line::styled("ESC stops", theme.style(Tone::Label)));
        }
        None => {
            lines.push(Line::styled(format!("{figure}s"), style));
            lines.push(Line::styled("ESC", theme.style(Tone::Accent)));
            lines.push(Line::styled("stops", theme.style(Tone::Label)));
        }
    }
    frame.render_widget(Paragraph::new(lines).alignment(Alignment::Center), area);
}

/// The narration as plain rows (plain mode prints the same text).
pub fn rows(narration: &Narration) -> impl Iterator<Item = &Row> {
    narration.body.iter()
}
