//! `chaosdeck replay FILE --asciicast OUT.cast`: the replay drawn by the
//! same view into asciinema's v3 format (a header line, then one
//! `[interval, code, data]` event a line, each interval since the event
//! before it; `o` for output, `m` for a marker, `x` for the exit). Each
//! chapter's start is a marker named after it, so a player can jump there.
//! Frames are diffed by ratatui itself: each event carries only what changed.

use std::io::{self, Write};
use std::time::Duration;

use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use serde_json::json;

use super::player::Player;
use crate::ui::theme::Theme;
use crate::ui::view::ViewState;

/// Cast time between two frames at least: an asciicast need not be smoother.
const FRAME: Duration = Duration::from_millis(100);
/// What ratatui writes after every frame with no cursor shown: not news.
const HIDE_CURSOR: &str = "\u{1b}[?25l";

/// What was written: events and markers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub frames: u64,
    pub markers: u64,
}

/// The header line: v3, the terminal's size, a title.
pub fn header(cols: u16, rows: u16, title: &str) -> String {
    json!({
        "version": 3,
        "term": { "cols": cols, "rows": rows, "type": "xterm-256color" },
        "title": title,
    })
    .to_string()
}

/// One event line: the interval in seconds (microseconds kept), its code,
/// its data.
pub fn event(interval: Duration, code: &str, data: &str) -> String {
    let secs = (interval.as_secs_f64() * 1e6).round() / 1e6;
    json!([secs, code, data]).to_string()
}

/// Writes the whole replay of `player` to `out` at `speed` (show time per
/// second of cast), `cols` by `rows`.
pub fn write(
    player: &mut Player,
    out: &mut impl Write,
    (cols, rows): (u16, u16),
    speed: f64,
    theme: Theme,
    title: &str,
) -> io::Result<Written> {
    let tap = Tap::default();
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(tap.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, cols, rows)),
        },
    )?;
    let mut view = ViewState::default();
    let mut frame = |terminal: &mut Terminal<CrosstermBackend<Tap>>, player: &Player| {
        terminal.draw(|f| crate::ui::draw(player.app(), &mut view, &theme, f))?;
        Ok::<_, io::Error>(tap.take())
    };
    writeln!(out, "{}", header(cols, rows, title))?;
    let starts: Vec<usize> = player.chapters().iter().map(|c| c.input).collect();
    let mut written = Written::default();
    let cast = |show: Duration| show.div_f64(speed);
    // The screen cleared first, as a terminal would have started.
    let mut last_event = cast(player.next_at().unwrap_or_default());
    let mut last_frame: Option<Duration> = None;
    let mut pending = false;
    while let Some(at) = player.next_at() {
        let index = player.position();
        player.step();
        let now = cast(at);
        pending = true;
        let chapter = starts.binary_search(&index).ok();
        // Ages on screen move with the ticks, so frames come at least
        // this often while anything moves; unchanged ones are skipped.
        let due = chapter.is_some() || last_frame.is_none_or(|last| now >= last + FRAME);
        if !due {
            continue;
        }
        if let Some(i) = chapter {
            let start = &player.chapters()[i];
            let label = format!(
                "pass {} · {}/{} {}",
                start.pass,
                start.chapter + 1,
                player.app().chapter_count(),
                crate::text::clean_line(&start.title)
            );
            writeln!(
                out,
                "{}",
                event(now.saturating_sub(last_event), "m", &label)
            )?;
            last_event = now;
            written.markers += 1;
        }
        let mut data = frame(&mut terminal, player)?;
        if last_frame.is_none() {
            data.insert_str(0, "\u{1b}[2J\u{1b}[H");
        }
        last_frame = Some(now);
        pending = false;
        if data.is_empty() || data == HIDE_CURSOR {
            continue;
        }
        writeln!(out, "{}", event(now.saturating_sub(last_event), "o", &data))?;
        last_event = now;
        written.frames += 1;
    }
    if pending {
        let data = frame(&mut terminal, player)?;
        if !data.is_empty() && data != HIDE_CURSOR {
            let now = cast(player.last_at());
            writeln!(out, "{}", event(now.saturating_sub(last_event), "o", &data))?;
            written.frames += 1;
        }
    }
    writeln!(out, "{}", event(Duration::from_millis(500), "x", "0"))?;
    out.flush()?;
    Ok(written)
}

/// What the terminal backend writes, kept for the next event.
#[derive(Debug, Clone, Default)]
struct Tap(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Tap {
    fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.borrow_mut());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
