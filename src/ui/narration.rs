//! Narration: the chapter's title and text, the running action's status line,
//! and large digits while a countdown runs.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{big_digits, text, theme};
use crate::app::{ActionStatus, App};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let chapter = app.current_chapter();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme::dim())
        .title(Span::styled(
            format!(" {} ", text::plain(&chapter.title)),
            theme::title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);

    let status = status_line(app, width);
    let room = height.saturating_sub(if height > 10 { 2 } else { 1 });
    let mut body: Vec<Line> = hold_banner(app, width);
    match app.countdown() {
        Some(left) => body.extend(countdown(left.as_secs_f64(), room)),
        None => body.extend(
            text::wrap(app.narration(chapter), width)
                .iter()
                .map(|line| Line::raw(text::plain(line))),
        ),
    }
    let last = app.chapter + 1 == app.chapter_count();
    let between = app.kiosk.as_ref().is_some_and(|k| k.interlude.is_some());
    // The scoreboard only where it fits whole: never a cut figure.
    if last && !between && app.scoreboard.passes > 0 && body.len() + 5 <= room {
        body.push(Line::raw(""));
        body.push(Line::styled("Since start-up:", theme::bold()));
        body.extend(
            app.scoreboard
                .brief_lines()
                .into_iter()
                .map(|line| Line::raw(text::ellipsize(&line, width))),
        );
    }
    // One row for the status line, one blank row above it when there is room.
    if body.len() > room {
        body.truncate(room.saturating_sub(1));
        body.push(Line::styled(
            "▼ more: make the window larger to read it all",
            Style::new().fg(theme::WARN),
        ));
    }
    while body.len() < height.saturating_sub(1) {
        body.push(Line::raw(""));
    }
    body.truncate(height.saturating_sub(1));
    body.push(status);
    let centered = app.countdown().is_some();
    let paragraph = Paragraph::new(body);
    let paragraph = if centered {
        paragraph.alignment(Alignment::Center)
    } else {
        paragraph
    };
    frame.render_widget(paragraph, inner);
}

/// While the show holds: what is wrong and what was tried, before anything else.
fn hold_banner(app: &App, width: usize) -> Vec<Line<'static>> {
    let Some(hold) = &app.hold else {
        return Vec::new();
    };
    let style = Style::new().fg(theme::BAD).add_modifier(Modifier::BOLD);
    let mut text = format!("■ HOLD: no faults are injected. {}", hold.why);
    if let Some(last) = hold.tried.last() {
        text.push_str(&format!(". Tried: {last}"));
    }
    let mut lines: Vec<Line<'static>> = text::wrap(&text::plain(&text), width)
        .into_iter()
        .map(|line| Line::styled(line, style))
        .collect();
    lines.push(Line::raw(""));
    lines
}

/// Large digits when `room` allows, the number in words otherwise.
fn countdown(left_secs: f64, room: usize) -> Vec<Line<'static>> {
    let shown = left_secs.ceil().max(0.0) as u64;
    let style = Style::new().fg(theme::BAD).add_modifier(Modifier::BOLD);
    if room < big_digits::HEIGHT {
        return vec![Line::styled(format!("{shown}"), style)];
    }
    let mut lines = Vec::new();
    if room >= big_digits::HEIGHT + 3 {
        lines.push(Line::raw(""));
    }
    lines.extend(
        big_digits::rows(shown)
            .into_iter()
            .map(|r| Line::styled(r, style)),
    );
    if room > lines.len() + 1 {
        lines.push(Line::raw(""));
    }
    if room > lines.len() {
        lines.push(Line::styled("ESC calls it off", theme::dim()));
    }
    lines
}

fn status_line(app: &App, width: usize) -> Line<'static> {
    let (symbol, word, style, text) = match &app.status {
        None => return Line::styled("SPACE to continue", theme::dim()),
        Some(ActionStatus::Running(text)) => ("…", "RUNNING", Style::new().fg(theme::ACCENT), text),
        Some(ActionStatus::Done(text)) => ("✓", "DONE", Style::new().fg(theme::GOOD), text),
        Some(ActionStatus::Failed(text)) => ("✗", "FAILED", Style::new().fg(theme::BAD), text),
        Some(ActionStatus::Aborted(text)) => ("■", "ABORTED", Style::new().fg(theme::WARN), text),
    };
    let prefix = format!("{symbol} {word} ");
    let room = width.saturating_sub(prefix.chars().count());
    Line::from(vec![
        Span::styled(prefix, style.add_modifier(Modifier::BOLD)),
        Span::styled(text::ellipsize(&text::plain(text), room), style),
    ])
}
