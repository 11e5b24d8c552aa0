//! The booth under supervision: what the show tells the world outside it
//! that watches it. systemd's notify protocol and watchdog
//! ([`notify`]), and `/metrics` and `/healthz` ([`server`]), both fed from
//! the show's own loop ([`Supervision::turned`]), so they go quiet when the
//! loop is stuck rather than vouch for it from a side thread.
//!
//! - [`vitals`]: what the loop publishes (the chapter, the pass, the fault,
//!   the hold, when it last turned and drew) and `/healthz`'s verdict;
//! - [`metrics`]: the Prometheus metrics, folded from the journal;
//! - [`server`]: the HTTP server and the textfile, on a thread of their own;
//! - [`notify`]: `READY=1`, `WATCHDOG=1`, `STATUS=`, `STOPPING=1`.

pub mod metrics;
pub mod notify;
pub mod server;
pub mod vitals;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::app::App;
use crate::show::Frames;
use metrics::{JournalFold, ShowMetrics};
use notify::Notifier;
use server::Board;
use vitals::{Beat, Published, Vitals};

/// The gauges and `/healthz`'s words are published at most this often; the
/// beat and the journal's counts on every turn.
const PUBLISH_EVERY: Duration = Duration::from_millis(200);

/// What the show's loop feeds on every turn. Owned by the show; without
/// `NOTIFY_SOCKET`, `--metrics-addr` or `--metrics-textfile` it does nothing.
#[derive(Debug, Default)]
pub struct Supervision {
    notifier: Option<Notifier>,
    exporter: Option<Exporter>,
    /// A test's way to make the loop stick (`CHAOSDECK_TEST_STALL`).
    stall_after: Option<Duration>,
    started: Option<Instant>,
}

/// The loop's side of the metrics and the health check.
#[derive(Debug)]
struct Exporter {
    metrics: ShowMetrics,
    fold: JournalFold,
    vitals: watch::Sender<Vitals>,
    beat: Arc<Beat>,
    published_at: Option<Instant>,
    leaving: bool,
}

impl Supervision {
    /// Nothing watches: the tests' shows.
    pub fn none() -> Self {
        Self::default()
    }

    /// systemd's notifications when `NOTIFY_SOCKET` is set, and the metrics
    /// when `with_metrics`; returns what the metrics server reads.
    pub fn from_env(with_metrics: bool, started: Instant) -> (Self, Option<Board>) {
        let mut supervision = Self {
            notifier: Notifier::from_env(),
            stall_after: test_stall_after(),
            ..Self::default()
        };
        if !with_metrics {
            return (supervision, None);
        }
        let (exporter, board) = Self::exporter(started);
        supervision.exporter = Some(exporter);
        (supervision, Some(board))
    }

    /// The metrics and health check alone, for a test's show.
    pub fn with_metrics(started: Instant) -> (Self, Board) {
        let (exporter, board) = Self::exporter(started);
        (
            Self {
                exporter: Some(exporter),
                ..Self::default()
            },
            board,
        )
    }

    fn exporter(started: Instant) -> (Exporter, Board) {
        let metrics = ShowMetrics::new(started);
        let beat = Arc::new(Beat::new(started));
        let (vitals, receiver) = watch::channel(Vitals::default());
        let board = Board {
            published: Published {
                vitals: receiver,
                beat: Arc::clone(&beat),
            },
            metrics: metrics.clone(),
        };
        let exporter = Exporter {
            metrics,
            fold: JournalFold::default(),
            vitals,
            beat,
            published_at: None,
            leaving: false,
        };
        (exporter, board)
    }

    /// The show's loop turned: called on every turn, from the loop alone.
    pub fn turned(&mut self, app: &App, frames: Frames) {
        let now = Instant::now();
        self.stall_if_asked(now);
        if let Some(exporter) = &mut self.exporter {
            exporter.turned(app, frames, now);
        }
        if let Some(notifier) = &mut self.notifier {
            // On screen (in plain mode: the first chapter printed) and the
            // cluster answered.
            let ready = frames.drawn > 0 && app.world().snapshot().is_some();
            notifier.turned(now, ready, &status_line(app));
        }
    }

    /// When the loop must wake for a watchdog ping.
    pub fn wake_at(&self) -> Option<tokio::time::Instant> {
        self.notifier
            .as_ref()
            .and_then(Notifier::wake_at)
            .map(tokio::time::Instant::from_std)
    }

    /// The loop has stopped: the show is leaving. Said once.
    pub fn leaving(&mut self) {
        if let Some(notifier) = &mut self.notifier {
            notifier.stopping("leaving: recovering any fault in place");
        }
        if let Some(exporter) = &mut self.exporter {
            exporter.leaving = true;
            exporter.vitals.send_modify(|v| v.leaving = true);
        }
    }

    /// The show has ended (its last answers applied, its last frame drawn):
    /// the metrics take in what came after the loop stopped. No ping.
    pub fn finished(&mut self, app: &App, frames: Frames) {
        if let Some(exporter) = &mut self.exporter {
            exporter.published_at = None;
            exporter.turned(app, frames, Instant::now());
        }
    }

    fn stall_if_asked(&mut self, now: Instant) {
        let Some(after) = self.stall_after else {
            return;
        };
        let started = *self.started.get_or_insert(now);
        if now.duration_since(started) >= after {
            tracing::warn!("CHAOSDECK_TEST_STALL: the show's loop stops turning");
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    }
}

impl Exporter {
    fn turned(&mut self, app: &App, frames: Frames, now: Instant) {
        self.beat.turned(now);
        self.beat
            .drew(frames.drawn, frames.last.map(|t| t.into_std()));
        self.metrics.frames_drawn(frames.drawn);
        self.fold.fold(app.journal(), &self.metrics);
        if self
            .published_at
            .is_some_and(|at| now.duration_since(at) < PUBLISH_EVERY)
        {
            return;
        }
        self.published_at = Some(now);
        let vitals = Vitals {
            leaving: self.leaving,
            ..vitals_of(app)
        };
        let m = &self.metrics;
        m.fault_in_place
            .set(i64::from(vitals.fault_in_place.is_some()));
        m.cluster_healthy.set(i64::from(vitals.cluster_healthy));
        m.on_hold.set(i64::from(vitals.on_hold));
        m.pass.set(i64::from(vitals.pass));
        m.chapter.set(i64::try_from(vitals.chapter).unwrap_or(0));
        self.vitals.send_if_modified(|published| {
            let changed = *published != vitals;
            *published = vitals;
            changed
        });
    }
}

/// The show's state as the outside reads it.
fn vitals_of(app: &App) -> Vitals {
    let fault_in_place = match app.fault() {
        crate::app::FaultState::Idle => None,
        crate::app::FaultState::Injecting { spec, service, .. } => {
            Some(format!("{spec} of {service} (being injected)"))
        }
        state => state
            .fault()
            .map(|f| format!("{} of {}", f.spec, f.service)),
    };
    Vitals {
        chapter: app.chapter() + 1,
        chapters: app.chapter_count(),
        title: crate::text::clean_line(&app.current_chapter().title).into_owned(),
        pass: app.pass(),
        fault_in_place,
        on_hold: app.hold().is_some(),
        hold: app
            .hold()
            .map(|h| crate::text::clean_line(&h.why).into_owned()),
        cluster_healthy: app.world().troubles(app.now()).is_empty(),
        leaving: false,
    }
}

/// systemd's `STATUS=`: what `systemctl status` shows.
fn status_line(app: &App) -> String {
    let mut line = format!(
        "pass {} · chapter {}/{} {}",
        app.pass(),
        app.chapter() + 1,
        app.chapter_count(),
        crate::text::clean_line(&app.current_chapter().title)
    );
    if let Some(fault) = app.fault().fault() {
        line.push_str(&format!(" · {} of {} in place", fault.spec, fault.service));
    }
    if let Some(hold) = app.hold() {
        line.push_str(&format!(
            " · on hold: {}",
            crate::text::clean_line(&hold.why)
        ));
    }
    line
}

/// `CHAOSDECK_TEST_STALL=SECONDS`: the loop sticks for good that long after
/// its first turn, for the tests of the watchdog and `/healthz`.
fn test_stall_after() -> Option<Duration> {
    let secs: f64 = std::env::var("CHAOSDECK_TEST_STALL").ok()?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}
