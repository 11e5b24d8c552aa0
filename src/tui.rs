//! The full-screen front end: draws when something changed, at most about 30
//! times a second, each frame inside a synchronized update so terminals never
//! show half a frame. It asks for a wake only while something on screen moves
//! (a countdown, the time since the fault, the agent's spinner), and knows the
//! terminal's size from resize events: no `/dev/tty` is opened per frame.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use ratatui::layout::Rect;
use ratatui::{DefaultTerminal, TerminalOptions, Viewport};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::app::{AgentState, App, Command, Cursor, Msg, keys};
use crate::show::{Change, Frontend};
use crate::supervise;
use crate::ui::theme::Theme;
use crate::ui::view::ViewState;

const MIN_FRAME: Duration = Duration::from_millis(33);
/// Redraw at least this often so ages and timers stay true.
const MAX_QUIET: Duration = Duration::from_secs(1);
/// While something moves on screen (a countdown, a timer, a spinner).
const ANIMATION: Duration = Duration::from_millis(100);

pub struct Tui {
    /// Never dropped: ratatui's `Terminal` shows the cursor on drop and
    /// prints to stderr if that fails, and printing to a hung-up terminal
    /// panics. [`restore_terminal`] gives the terminal back instead.
    terminal: std::mem::ManuallyDrop<DefaultTerminal>,
    last_draw: Option<Instant>,
    /// Frames drawn since the start.
    drawn: u64,
    pending: bool,
    log: Cursor,
    /// Why drawing failed, once it did: the terminal is gone.
    gone: Option<String>,
    /// Something on screen moves with time: draw again after [`ANIMATION`].
    animating: bool,
    /// The size of the latest resize event (columns << 16 | rows), written by
    /// the input task; 0 until one arrives.
    resized_to: Arc<AtomicU32>,
    theme: Theme,
    /// Where the panes are scrolled: the front end's own state, changed by
    /// its keyboard task and read when drawing.
    view: Arc<Mutex<ViewState>>,
}

/// Takes the terminal over: raw mode and the alternate screen. Unlike
/// `ratatui::init` it installs no panic hook: a panic in a background task
/// is supervised and must not take the screen away (see `launch`).
/// The viewport is fixed to the size read here and changed only on resize
/// events: ratatui's full-screen viewport asks the terminal its size before
/// every frame, and crossterm opens `/dev/tty` to answer.
pub fn take_terminal() -> io::Result<DefaultTerminal> {
    let (columns, rows) = crossterm::terminal::size()?;
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    ratatui::Terminal::with_options(
        ratatui::backend::CrosstermBackend::new(io::stdout()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, columns, rows)),
        },
    )
}

/// Gives the terminal back. Never fails and never panics, even when the
/// terminal is gone (writes to a hung-up terminal only return errors here).
pub fn restore_terminal() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

impl Tui {
    pub fn new(terminal: DefaultTerminal, theme: Theme) -> Self {
        Self {
            terminal: std::mem::ManuallyDrop::new(terminal),
            last_draw: None,
            drawn: 0,
            pending: false,
            log: Cursor::default(),
            gone: None,
            animating: false,
            resized_to: Arc::default(),
            theme,
            view: Arc::default(),
        }
    }

    /// Where an input task other than the show's (a replay's) notes a
    /// resize, with [`note_resize`].
    pub fn resize_handle(&self) -> Arc<AtomicU32> {
        Arc::clone(&self.resized_to)
    }

    /// Follows the last resize event, if the terminal changed size.
    fn follow_resize(&mut self) {
        let packed = self.resized_to.swap(0, Ordering::Relaxed);
        if packed == 0 {
            return;
        }
        let (columns, rows) = ((packed >> 16) as u16, (packed & 0xffff) as u16);
        let area = Rect::new(0, 0, columns, rows);
        if let Err(e) = self.terminal.resize(area) {
            tracing::warn!("cannot follow the resize to {columns}x{rows}: {e}");
        }
    }

    fn draw(&mut self, app: &App) {
        self.follow_resize();
        let mut out = io::stdout();
        let _ = crossterm::queue!(out, BeginSynchronizedUpdate);
        let theme = self.theme;
        let mut view = *self.view.lock().unwrap_or_else(|e| e.into_inner());
        let drawn = self
            .terminal
            .draw(|frame| crate::ui::draw(app, &mut view, &theme, frame));
        *self.view.lock().unwrap_or_else(|e| e.into_inner()) = view;
        if let Err(e) = drawn {
            tracing::error!("drawing failed: {e}");
            self.gone = Some(format!("drawing failed: {e}"));
        }
        let _ = crossterm::queue!(out, EndSynchronizedUpdate);
        if let Err(e) = out.flush()
            && self.gone.is_none()
        {
            self.gone = Some(format!("writing to the terminal failed: {e}"));
        }
        self.last_draw = Some(Instant::now());
        self.drawn += 1;
        self.pending = false;
        self.animating = animating(app);
    }
}

/// Notes a resize for the next frame to follow.
pub fn note_resize(resized_to: &AtomicU32, columns: u16, rows: u16) {
    let packed = (u32::from(columns) << 16) | u32::from(rows);
    resized_to.store(packed.max(1), Ordering::Relaxed);
}

/// How often the keyboard's terminal is checked for a hang-up (real time).
const HANG_UP_CHECK: Duration = Duration::from_millis(250);

/// Watches standard input for the other end of its terminal closing.
/// crossterm reads standard input when it is a terminal; once its other end
/// is gone each read returns nothing at once, and crossterm, seeing no
/// event, reads again: a busy loop that never ends its stream. Without a
/// controlling terminal no SIGHUP comes either, so the hang-up is looked for
/// here, and the show leaves as for a terminal that went away.
fn spawn_hang_up_watch(tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
    use std::io::IsTerminal;
    if !io::stdin().is_terminal() {
        // crossterm reads /dev/tty then, and reports its failures itself.
        return;
    }
    supervise::spawn("hang-up watch", move || {
        let (tx, cancel) = (tx.clone(), cancel.clone());
        async move {
            let mut every = tokio::time::interval(HANG_UP_CHECK);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    _ = every.tick() => {}
                }
                if let Some(why) = input_hung_up() {
                    let _ = tx.send(Msg::TerminalGone(why.into())).await;
                    return;
                }
            }
        }
    });
}

/// Why standard input is gone, if it is: its terminal hung up, or it failed.
/// Asks without reading, so no key is taken from crossterm.
fn input_hung_up() -> Option<&'static str> {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, a zero timeout: poll only fills `revents`.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    if ready <= 0 {
        return None;
    }
    if fd.revents & libc::POLLHUP != 0 {
        Some("its input hung up")
    } else if fd.revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
        Some("its input failed")
    } else {
        None
    }
}

fn animating(app: &App) -> bool {
    app.countdown().is_some()
        || app.timeline().since_fault(app.now()).is_some()
        || matches!(app.agent().state(), AgentState::Working { .. })
}

impl Frontend for Tui {
    fn wake_at(&self) -> Option<Instant> {
        // A frame held back by the cap is drawn as soon as the cap allows;
        // a moving figure is drawn again at the animation's pace.
        let last = self.last_draw?;
        if self.pending {
            Some(last + MIN_FRAME)
        } else {
            self.animating.then_some(last + ANIMATION)
        }
    }

    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, cancel: CancellationToken) {
        spawn_hang_up_watch(tx.clone(), cancel.clone());
        let resized_to = Arc::clone(&self.resized_to);
        let view = Arc::clone(&self.view);
        supervise::spawn("keyboard", move || {
            let (tx, cancel) = (tx.clone(), cancel.clone());
            let (resized_to, view) = (Arc::clone(&resized_to), Arc::clone(&view));
            async move {
                let mut events = EventStream::new();
                loop {
                    let event = tokio::select! {
                        () = cancel.cancelled() => return,
                        event = events.next() => event,
                    };
                    supervise::test_panic_point("keyboard");
                    let msg = match event {
                        Some(Ok(Event::Key(key))) => match keys::scroll_for(key) {
                            // Scrolling is the view's: the story only hears
                            // that a person is there (and redraws).
                            Some((pane, by)) => {
                                view.lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .scroll(pane, by);
                                Some(Msg::Command(Command::Touch))
                            }
                            None => keys::command_for(key).map(Msg::Command),
                        },
                        Some(Ok(Event::Resize(columns, rows))) => {
                            note_resize(&resized_to, columns, rows);
                            Some(Msg::Redraw)
                        }
                        Some(Ok(_)) => None,
                        // Input that fails or ends means the terminal is gone:
                        // leave (recovering the fault) instead of spinning.
                        Some(Err(e)) => Some(Msg::TerminalGone(format!("reading it failed: {e}"))),
                        None => Some(Msg::TerminalGone("its input ended".into())),
                    };
                    let last = matches!(msg, Some(Msg::TerminalGone(_)));
                    if let Some(msg) = msg
                        && tx.send(msg).await.is_err()
                    {
                        return;
                    }
                    if last {
                        return;
                    }
                }
            }
        });
    }

    fn gone(&self) -> Option<String> {
        self.gone.clone()
    }

    fn frames(&self) -> crate::show::Frames {
        crate::show::Frames {
            drawn: self.drawn,
            last: self.last_draw,
        }
    }

    fn changed(&mut self, app: &App, change: Change) {
        let (missed, entries) = app.journal().read(&mut self.log);
        if missed > 0 {
            tracing::warn!(missed, "log fell behind the journal");
        }
        for entry in entries {
            tracing::info!(pass = entry.pass, at = ?entry.at, level = ?entry.level, "{}", entry.text);
        }
        let since = self.last_draw.map(|t| t.elapsed());
        self.pending |= change != Change::Tick;
        let due = match since {
            None => true,
            // A key is answered at once: a frame costs well under a millisecond.
            Some(_) if change == Change::Presenter => true,
            Some(since) if since < MIN_FRAME => false,
            Some(since) => {
                self.pending || since >= MAX_QUIET || (animating(app) && since >= ANIMATION)
            }
        };
        if due {
            self.draw(app);
        }
    }
}
