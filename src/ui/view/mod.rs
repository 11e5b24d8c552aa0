//! The view model: the screen computed once from the app into plain rows of
//! toned pieces. The full screen's widgets and plain mode both read it, so
//! they can never disagree; every figure on screen is written here, once,
//! with the one number format ([`text::thousands`]) and the one clock
//! ([`text::stamp`]: `T+` after the fault, show time before it).

pub mod agent;
pub mod chart;
pub mod cluster;
pub mod detection;
pub mod flow;
pub mod interlude;
pub mod monitor;

use std::time::Duration;

pub use flow::{Fitted, Line, Piece, Row, Tone, fit_panel, fit_scrolled, lay};

use super::text;
use crate::app::keys::{KEYS, Pane};
use crate::app::{ActionStatus, AgentState, App};
use crate::story::Action;
use crate::workload::SampleSource;
use crate::workload::tracker::{BarLevel, WorkloadStatus};

/// What the chapter on screen is about; panels get their room by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    #[default]
    Calm,
    /// The countdown and the injection.
    Fault,
    /// Signals arrive: the cluster and the monitor grow.
    Detection,
    /// The agent gets most of the screen.
    Diagnosis,
    /// The last chapter: the whole episode on the chart.
    Complete,
}

/// The front end's own state: where each pane is scrolled. Never the story's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewState {
    /// Entries down from the top; `None` follows the pane's natural anchor
    /// (the top, or the newest line while the agent works).
    pub agent: Option<usize>,
    pub monitor: Option<usize>,
    /// Where each pane was drawn last, so scrolling starts from what is seen.
    pub agent_shown: usize,
    pub monitor_shown: usize,
    /// What the agent pane showed last: new content starts at its anchor.
    pub agent_content: u64,
}

impl ViewState {
    pub fn scroll(&mut self, pane: Pane, by: isize) {
        let (offset, shown) = match pane {
            Pane::Agent => (&mut self.agent, self.agent_shown),
            Pane::Monitor => (&mut self.monitor, self.monitor_shown),
        };
        // Keys that come before the next frame add up.
        *offset = Some(offset.unwrap_or(shown).saturating_add_signed(by));
    }
}

/// Big figures for large screens, and the countdown.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct KeyFigures {
    pub ops_per_sec: Option<f64>,
    pub since_fault: Option<Duration>,
    pub leaderless: Option<u64>,
    /// The node they are led from: `dead`, `frozen`, `cut-off`.
    pub lost: &'static str,
    pub countdown: Option<u64>,
}

impl KeyFigures {
    /// Each big figure's words, figure and tone: the box title says the
    /// figure in text too, so it reads without the large digits.
    pub fn boxes(&self) -> [(String, String, Tone); 3] {
        let leaderless_tone = if self.leaderless.unwrap_or(0) > 0 {
            cluster::LEADERLESS
        } else {
            Tone::Good
        };
        [
            (
                "ops/s".into(),
                self.ops_per_sec.map_or("-".into(), text::thousands),
                Tone::Strong,
            ),
            (
                "seconds since the fault".into(),
                self.since_fault.map_or("-".into(), text::tenths),
                Tone::Bad,
            ),
            (
                format!("regions led from a {} node", self.lost),
                self.leaderless
                    .map_or("-".into(), |n| text::thousands(n as f64)),
                leaderless_tone,
            ),
        ]
    }

    pub fn titles(&self) -> Vec<String> {
        self.boxes()
            .iter()
            .map(|(label, figure, _)| format!(" {label} {figure} "))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Narration {
    pub title: String,
    /// The hold banner, the narration, the scoreboard.
    pub body: Vec<Row>,
    pub countdown: Option<u64>,
    pub status: Row,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Workload {
    pub title: String,
    pub stats: Row,
    pub chart: chart::Chart,
    /// What the marker letters and lines mean.
    pub legend: Row,
    /// The same in one line for small screens: each marker and its time.
    pub legend_short: Row,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PaneView {
    pub title: String,
    /// Rows that stay at the top while the rest scrolls (the spinner).
    pub pinned: Vec<Row>,
    pub rows: Vec<Row>,
    /// Where the pane starts when not scrolled: the bottom while streaming.
    pub anchor_bottom: bool,
    /// Changes when the pane's content is new (a new diagnosis).
    pub content: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Screen {
    pub phase: Phase,
    /// Pieces in the order they are left out last; the first is always kept.
    pub header: Vec<(Piece, u8)>,
    pub narration: Narration,
    pub cluster: cluster::Panel,
    pub stores: usize,
    pub figures: KeyFigures,
    pub workload: Workload,
    pub monitor: PaneView,
    pub agent: PaneView,
    /// The strip with the detecting signal, and without it.
    pub timeline: (Row, Row),
    /// One line per milestone (plain mode, the log).
    pub milestones: Vec<String>,
    /// Keys and their words, in the footer's order.
    pub footer: Vec<(&'static str, &'static str)>,
    pub hint: Option<String>,
    pub help: bool,
    /// The fault ledger's state in words (`kill on tikv1 in place`).
    pub fault: String,
}

impl Screen {
    pub fn build(app: &App) -> Self {
        let mut screen = Self::of_the_story(app);
        if let Some(interlude) = app.kiosk().and_then(|k| k.interlude()) {
            interlude::attract(app, interlude, &mut screen);
        }
        screen
    }

    fn of_the_story(app: &App) -> Self {
        Self {
            phase: phase(app),
            header: header(app),
            narration: narration(app),
            cluster: cluster::panel(app),
            stores: app
                .cluster()
                .snapshot
                .as_ref()
                .map_or(3, |s| s.stores.len().max(3)),
            figures: figures(app),
            workload: workload(app),
            monitor: monitor::pane(app),
            agent: agent::pane(app),
            timeline: (timeline(app, true), timeline(app, false)),
            milestones: app
                .timeline()
                .lines()
                .iter()
                .map(|l| text::plain(l))
                .collect(),
            footer: footer(app),
            hint: app.hint().map(text::plain),
            help: app.show_help(),
            fault: text::plain(&app.fault().describe()),
        }
    }

    /// Every row on this screen, for checks and plain mode.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.narration
            .body
            .iter()
            .chain([&self.narration.status])
            .chain(&self.cluster.table)
            .chain(&self.cluster.compact)
            .chain([
                &self.workload.stats,
                &self.workload.legend,
                &self.workload.legend_short,
            ])
            .chain(&self.monitor.pinned)
            .chain(&self.monitor.rows)
            .chain(&self.agent.pinned)
            .chain(&self.agent.rows)
            .chain([&self.timeline.0, &self.timeline.1])
    }

    /// Every text on this screen, titles and header included.
    pub fn texts(&self) -> Vec<String> {
        let mut out: Vec<String> = self.rows().map(Row::text).collect();
        out.extend(self.header.iter().map(|(p, _)| p.text.clone()));
        out.extend([
            self.narration.title.clone(),
            self.cluster.title.clone(),
            self.workload.title.clone(),
            self.monitor.title.clone(),
            self.agent.title.clone(),
        ]);
        out.extend(self.footer.iter().map(|(k, w)| format!("{k} {w}")));
        out.extend(self.figures.titles());
        out.extend(self.narration.countdown.map(|n| format!("{n}s")));
        out.extend(self.hint.clone());
        out.push(self.fault.clone());
        out
    }

    /// Where the show stands, in one line: the header's pieces that are
    /// never left out (the chapter, the time since the fault, a hold).
    pub fn whereabouts(&self) -> String {
        self.header
            .iter()
            .filter(|(_, rank)| *rank == 0)
            .map(|(piece, _)| piece.text.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

fn phase(app: &App) -> Phase {
    if app.chapter() + 1 == app.chapter_count() && app.timeline().injected.is_some() {
        return Phase::Complete;
    }
    let chapter = app.current_chapter();
    let has = |f: fn(&Action) -> bool| chapter.on_enter.iter().any(f);
    if has(|a| matches!(a, Action::Diagnose { .. })) {
        Phase::Diagnosis
    } else if has(|a| matches!(a, Action::AwaitDetection { .. })) {
        Phase::Detection
    } else if has(|a| matches!(a, Action::InjectFault { .. } | Action::Countdown { .. })) {
        Phase::Fault
    } else {
        Phase::Calm
    }
}

/// Header pieces in their order on screen, each with the rank at which it
/// is left out when the row is too narrow (highest first; 0 never).
fn header(app: &App) -> Vec<(Piece, u8)> {
    let mut out = vec![(Piece::new(Tone::Accent, "chaosdeck"), 6)];
    // A replay says so first, and is never left out.
    if let Some(replay) = app.replay() {
        out.push((Piece::new(Tone::Warn, text::plain(replay)), 0));
    }
    out.push((
        Piece::new(Tone::Strong, text::plain(&app.source().to_string())),
        5,
    ));
    match &app.kiosk() {
        // A booth always says it is one, its pass, its uptime and who has
        // control, in one piece that is never left out.
        Some(kiosk) => {
            let who = if kiosk.autoplay() { "" } else { " (presenter)" };
            let up = text::hours_minutes(kiosk.uptime(app.now()));
            let tone = if kiosk.autoplay() {
                Tone::Plain
            } else {
                Tone::Warn
            };
            out.push((
                Piece::new(tone, format!("KIOSK{who} · pass {} · up {up}", app.pass())),
                0,
            ));
        }
        None => out.push((Piece::new(Tone::Plain, app.mode().label()), 4)),
    }
    let between = app.kiosk().is_some_and(|k| k.interlude().is_some());
    let chapter = text::plain(&app.current_chapter().title);
    out.push((
        Piece::new(
            Tone::Strong,
            if between {
                // Not a chapter of the story: no number.
                chapter
            } else {
                format!("[{}/{}] {chapter}", app.chapter() + 1, app.chapter_count())
            },
        ),
        0,
    ));
    match app.timeline().since_fault(app.now()) {
        Some(since) => out.push((
            Piece::new(
                Tone::Bad,
                format!("since fault {}", text::stamp(app.now(), Some(since))),
            ),
            0,
        )),
        None => out.push((
            Piece::new(
                Tone::Label,
                format!("show {}", text::stamp(app.now(), None)),
            ),
            2,
        )),
    }
    if app.hold().is_some() {
        out.push((Piece::new(Tone::Bad, "■ HOLD"), 0));
    }
    if app.paused() {
        out.push((Piece::new(Tone::Warn, "⏸ PAUSED"), 0));
    }
    out
}

fn narration(app: &App) -> Narration {
    let chapter = app.current_chapter();
    let mut body = Vec::new();
    if let Some(hold) = &app.hold() {
        let mut banner = format!("■ HOLD: no faults are injected. {}", hold.why);
        if let Some(last) = hold.tried.last() {
            banner.push_str(&format!(". Tried: {last}"));
        }
        body.push(Row::prose(Tone::Bad, text::plain(&banner)).kept());
        body.push(Row::prose(Tone::Plain, ""));
    }
    for paragraph in app.narration(chapter).split('\n') {
        body.push(Row::prose(Tone::Plain, text::plain(paragraph)).ranked(2));
    }
    let live = detection::rows(app);
    let brief = !live.is_empty();
    if !live.is_empty() {
        body.push(Row::prose(Tone::Plain, "").ranked(3));
        body.extend(live);
    }
    let last = app.chapter() + 1 == app.chapter_count();
    let between = app.kiosk().is_some_and(|k| k.interlude().is_some());
    if last && !between {
        body.push(Row::prose(Tone::Plain, "").ranked(3));
        body.push(Row::prose(Tone::Strong, "Since start-up:").ranked(3));
        body.extend(
            app.scoreboard()
                .brief_lines(Some((app.pass(), app.pass_healthy_so_far())))
                .into_iter()
                .map(|line| Row::prose(Tone::Plain, text::plain(&line)).ranked(3)),
        );
    }
    Narration {
        title: text::plain(&chapter.title),
        body,
        countdown: app.countdown().map(|left| left.as_secs_f64().ceil() as u64),
        status: status(app, brief),
    }
}

/// The footer's keys; `p` says what it does now.
fn footer(app: &App) -> Vec<(&'static str, &'static str)> {
    // A replay's keys move the player, not the story.
    if app.replay().is_some() {
        return crate::replay::play::KEYS.to_vec();
    }
    KEYS.iter()
        .filter_map(|k| k.footer)
        .map(|(key, word)| match key {
            "p" if app.paused() => (key, "resume"),
            _ => (key, word),
        })
        .collect()
}

/// With no action to tell of: what moves the story on from here.
fn idle_status(app: &App) -> Row {
    if app.hold().is_some() {
        return Row::prose(Tone::Warn, "on hold: H releases it").kept();
    }
    if !app.autoplay() {
        return Row::prose(Tone::Label, "SPACE to continue").kept();
    }
    let next = match (app.run().and_then(|r| r.lead_in()), app.dwell_left()) {
        (Some(left), _) => format!("starts in {}", crate::text::whole_secs(left)),
        (None, Some(left)) => format!("next in {}", crate::text::whole_secs(left)),
        (None, None) => String::new(),
    };
    Row::prose(Tone::Label, next).kept()
}

/// After the status: when the story moves on by itself, or what SPACE
/// does at the last chapter.
fn what_follows(app: &App) -> Option<String> {
    // Whoever moves the story on, a dwell says when it will.
    if let Some(left) = app.dwell_left() {
        return Some(format!("  · next in {}", crate::text::whole_secs(left)));
    }
    if app.autoplay() {
        return None;
    }
    let last = app.chapter() + 1 == app.chapter_count();
    let over = app.run().is_none_or(|r| r.finished());
    (last && over && app.hold().is_none()).then(|| "  · SPACE runs the story again".into())
}

/// The action's status; `brief` where the chapter's own rows above it
/// carry its figures (Detection's signals): its words up to the first
/// colon, so the rows keep the room.
fn status(app: &App, brief: bool) -> Row {
    let (symbol, word, tone, what) = match &app.status() {
        None => return idle_status(app),
        Some(ActionStatus::Running(t)) => ("…", "RUNNING", Tone::Accent, t),
        Some(ActionStatus::Done(t)) => ("✓", "DONE", Tone::Good, t),
        Some(ActionStatus::Failed(t)) => ("✗", "FAILED", Tone::Bad, t),
        Some(ActionStatus::Aborted(t)) => ("■", "ABORTED", Tone::Warn, t),
        Some(ActionStatus::Skipped(t)) => ("–", "SKIPPED", Tone::Warn, t),
    };
    // A diagnosis is whole in its pane: here, its cause in a line, so the
    // status never takes the agent's room.
    let what = match app.agent().state() {
        AgentState::Done { diagnosis, .. } if what.starts_with("DIAGNOSIS:") => {
            agent::cause_line(diagnosis, "diagnosed")
        }
        _ if brief => what.split(':').next().unwrap_or(what).to_string(),
        _ => what.clone(),
    };
    // The runner's words in the screen's one number format and time base,
    // one piece with the word, so they start on its line.
    let what = crate::text::restamp(
        &text::rates(&text::plain(&what)),
        app.timeline().injected.as_ref().map(|f| f.at),
    )
    .into_owned();
    let mut pieces = vec![Piece::new(tone, format!("{symbol} {word} {what}"))];
    pieces.extend(what_follows(app).map(|next| Piece::new(Tone::Label, next)));
    Row::new(pieces).indented(2).kept()
}

fn figures(app: &App) -> KeyFigures {
    KeyFigures {
        ops_per_sec: app
            .world()
            .tracker()
            .latest()
            .filter(|_| !app.world().load_stopped())
            .map(|s| s.ops_per_sec),
        since_fault: app.timeline().since_fault(app.now()),
        leaderless: cluster::region_figures(app).map(|r| r.leaderless),
        lost: cluster::region_figures(app).map_or("dead", |r| r.lost),
        countdown: app.countdown().map(|left| left.as_secs_f64().ceil() as u64),
    }
}

/// The status word: `NORMAL` only at or above the warning level.
fn workload_status(app: &App) -> (&'static str, &'static str, Tone) {
    let tracker = &app.world().tracker();
    let below_warning = tracker
        .latest()
        .is_some_and(|s| tracker.level_of(s.ops_per_sec) != BarLevel::Normal);
    match tracker.status() {
        WorkloadStatus::Idle => ("-", "IDLE", Tone::Label),
        WorkloadStatus::Baseline => ("~", "LEARNING", Tone::Accent),
        WorkloadStatus::Normal if below_warning => ("▼", "BELOW WARNING", Tone::Warn),
        WorkloadStatus::Normal => ("●", "NORMAL", Tone::Good),
        WorkloadStatus::Degraded => ("✗", "DEGRADED", Tone::Bad),
        WorkloadStatus::Recovering => ("▲", "RECOVERING", Tone::Warn),
    }
}

fn workload(app: &App) -> Workload {
    let tracker = &app.world().tracker();
    let source = tracker.latest().map(|s| match s.source {
        SampleSource::Simulator => " · simulated YCSB",
        SampleSource::GoYcsb => " · go-ycsb",
        SampleSource::JavaYcsb => " · YCSB",
        SampleSource::StatusPortMetrics => " · TiKV status-port metrics",
        SampleSource::GoYcsbDataLoad => " · go-ycsb data load",
    });
    let (symbol, word, tone) = workload_status(app);
    let mut stats = vec![Piece::new(tone, format!("{symbol} {word}"))];
    if let Some(sample) = tracker.latest().filter(|_| app.world().load_stopped()) {
        // Stopped on purpose: the last figures are history, not now.
        let after = app.timeline().after_fault(sample.at);
        stats.extend([
            Piece::new(
                Tone::Label,
                format!(
                    "  load stopped: last sample at {}",
                    text::stamp(sample.at, after)
                ),
            ),
            Piece::new(
                Tone::Label,
                format!(
                    "  baseline {}",
                    tracker.baseline().map_or("…".into(), text::thousands)
                ),
            ),
        ]);
    } else if let Some(sample) = tracker.latest() {
        let error_tone = if sample.errors_per_sec > 0.0 {
            Tone::Bad
        } else {
            Tone::Label
        };
        stats.extend([
            Piece::new(
                Tone::Strong,
                format!("  {}", text::ops_per_sec(sample.ops_per_sec)),
            ),
            Piece::new(
                Tone::Label,
                format!(
                    "  baseline {}",
                    tracker.baseline().map_or("…".into(), text::thousands)
                ),
            ),
            Piece::new(
                Tone::Plain,
                format!("  p99 {}", sample.p99.map_or("-".into(), text::latency)),
            ),
            Piece::new(
                error_tone,
                format!("  errors {}/s", text::thousands(sample.errors_per_sec)),
            ),
        ]);
    } else {
        stats.push(Piece::new(Tone::Label, "  no samples yet"));
    }
    let chart = chart(app);
    let mut legend = vec![Piece::new(Tone::Label, "─ baseline  ╌ warning  ┈ degraded")];
    let mut legend_short = Vec::new();
    for marker in &chart.markers {
        let after = app.timeline().after_fault(marker.at);
        let at = text::stamp(marker.at, after);
        legend.push(Piece::new(
            marker.tone,
            format!("  {} {} {at}", marker.letter, marker.word),
        ));
        legend_short.push(Piece::new(marker.tone, format!("{} {at}  ", marker.letter)));
    }
    Workload {
        title: format!(" Workload{} ", source.unwrap_or("")),
        stats: Row::new(stats).indented(2),
        chart,
        legend: Row::new(legend).indented(2),
        legend_short: Row::new(legend_short),
    }
}

/// The pass's samples, the levels, and the episode's moments: the fault
/// and the recovery from the timeline, PD's verdict and the last
/// re-election from the monitor's incidents of this episode.
fn chart(app: &App) -> chart::Chart {
    let buckets = app.world().pass_history().buckets(app.pass()).to_vec();
    let from = buckets.first().map_or(app.now(), |b| b.start);
    let to = buckets.last().map_or(app.now(), |b| b.end).max(app.now());
    let baseline = app.world().tracker().baseline();
    let config = app.world().tracker().config();
    let (moments, window) = crate::app::pass_chart::episode_moments(app, to);
    let markers = moments
        .into_iter()
        .map(|m| chart::Marker {
            at: m.at,
            letter: m.kind.letter(),
            word: m.kind.word(),
            tone: if m.kind.is_good() {
                Tone::Good
            } else {
                Tone::Bad
            },
        })
        .collect();
    chart::Chart {
        buckets,
        from,
        to,
        baseline,
        warn: baseline.map(|b| b * config.warn_below),
        degraded: baseline.map(|b| b * config.degraded_below),
        markers,
        window,
    }
}

/// The strip: fault injected, then detected, diagnosed and recovered, each
/// at its time after the fault; what has not happened yet says so.
fn timeline(app: &App, with_signal: bool) -> Row {
    let t = &app.timeline();
    let Some(fault) = &t.injected else {
        return Row::prose(Tone::Label, "timeline: no fault injected yet");
    };
    let step = |word: &str, at: Option<Duration>, extra: String, tone| match at {
        Some(after) => Piece::new(
            tone,
            format!(
                "✓ {word} {}{extra}",
                text::stamp(Duration::ZERO, Some(after))
            ),
        ),
        None => Piece::new(Tone::Label, format!("○ {word}")),
    };
    let arrow = || Piece::new(Tone::Label, " ─ ");
    let by = t
        .detected
        .filter(|_| with_signal)
        .map(|(_, signal)| format!(" by {}", signal.describe()))
        .unwrap_or_default();
    Row::new(vec![
        Piece::new(
            Tone::Bad,
            format!(
                "✗ {} {}",
                fault.kind().name().to_uppercase(),
                text::plain(&fault.service)
            ),
        ),
        arrow(),
        // A milestone reached is done: the success colour, each of them.
        step("detected", t.detected.map(|d| d.0), by, Tone::Good),
        arrow(),
        step("diagnosed", t.diagnosed, String::new(), Tone::Good),
        arrow(),
        step("recovered", t.recovered, String::new(), Tone::Good),
    ])
}
