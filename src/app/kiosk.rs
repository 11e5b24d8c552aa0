//! The booth loop's policy: who has control (autoplay or a person who stepped
//! in), the fault of each pass, the check and heal between passes, and the
//! hold when passes keep ending unhealthy. Also the hold itself, which `H`
//! uses in every mode.

use std::time::Duration;

use super::journal::{Kind, Level};
use super::msg::{Command, Effect};
use super::notes::{note, note_kind};
use super::run::Timer;
use super::timeline::secs;
use super::{App, Mode, runner, update};
use crate::cluster::FaultKind;
use crate::cluster::health;
use crate::story::{Chapter, KioskFault, KioskPlan, Target};

/// Between heal attempts for a node that stays faulted.
const HEAL_RETRY: Duration = Duration::from_secs(15);
/// How many heal results a banner keeps.
const TRIED_KEPT: usize = 4;
/// After this many passes in a row end unhealthy, the kiosk holds.
pub const UNHEALTHY_PASSES_TO_HOLD: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Control {
    Autoplay,
    /// A person stepped in; autoplay resumes after the idle time.
    Presenter {
        last_key: Duration,
    },
}

#[derive(Debug, Clone)]
pub struct Kiosk {
    plan: KioskPlan,
    /// Show time the kiosk started, for the uptime in the header.
    pub started: Duration,
    pub control: Control,
    pub unhealthy_passes: u32,
    /// Set between passes: the cluster is checked and healed.
    pub interlude: Option<Interlude>,
    /// Heals sent and not yet answered, by service.
    healing: Vec<String>,
    heal_retry: Timer,
}

#[derive(Debug, Clone)]
pub struct Interlude {
    /// What the screen shows meanwhile (the attract chapter).
    pub chapter: Chapter,
    /// Shown at least this long.
    pub min_left: Timer,
    pub deadline: Timer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldKind {
    /// `H`: held until `H` again.
    Halted,
    /// Passes ended unhealthy: held until the cluster is healthy again.
    Unhealthy,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    pub kind: HoldKind,
    pub since: Duration,
    pub why: String,
    /// What was tried to heal it, newest last.
    pub tried: Vec<String>,
}

impl Kiosk {
    pub fn new(plan: &KioskPlan) -> Self {
        Self {
            plan: plan.clone(),
            started: Duration::ZERO,
            control: Control::Autoplay,
            unhealthy_passes: 0,
            interlude: None,
            healing: Vec::new(),
            heal_retry: Timer::new(Duration::ZERO),
        }
    }

    pub fn autoplay(&self) -> bool {
        self.control == Control::Autoplay
    }

    pub fn fault_for(&self, pass: u32) -> Option<&KioskFault> {
        self.plan.fault_for(pass)
    }

    pub fn uptime(&self, now: Duration) -> Duration {
        now.saturating_sub(self.started)
    }
}

/// The fault this pass injects where the script says `kind` on `target`:
/// in kiosk mode the rotation decides.
pub(super) fn fault_of_pass(app: &App, kind: FaultKind, target: &Target) -> (FaultKind, Target) {
    match app.kiosk.as_ref().and_then(|k| k.fault_for(app.pass)) {
        Some(fault) => (fault.kind, fault.target.clone()),
        None => (kind, target.clone()),
    }
}

/// A person pressed a key. Returns true when the key was taken here.
pub(super) fn on_command(app: &mut App, command: Command) -> bool {
    let Some(kiosk) = app.kiosk.as_mut() else {
        if command == Command::ToggleAutoplay {
            app.hint = Some("K toggles autoplay in kiosk mode only".into());
        }
        return matches!(command, Command::ToggleAutoplay | Command::Touch);
    };
    let last_key = app.now;
    match command {
        Command::ToggleAutoplay if kiosk.autoplay() => {
            kiosk.control = Control::Presenter { last_key };
            app.dwell = None;
            note(app, Level::Info, "K: the presenter has control".into());
            return true;
        }
        Command::ToggleAutoplay => {
            resume_autoplay(app, "K: autoplay resumes".into());
            return true;
        }
        Command::Quit | Command::Interrupt | Command::Halt => return false,
        _ => {}
    }
    let stepped_in = kiosk.autoplay();
    kiosk.control = Control::Presenter { last_key };
    let between_passes = kiosk.interlude.is_some();
    if stepped_in {
        app.dwell = None;
        note(
            app,
            Level::Info,
            "a person stepped in: the presenter has control".into(),
        );
    }
    if between_passes && matches!(command, Command::Next | Command::Prev) {
        app.hint = Some("between passes: checking the cluster first".into());
        return true;
    }
    command == Command::Touch
}

fn resume_autoplay(app: &mut App, why: String) {
    let Some(kiosk) = app.kiosk.as_mut() else {
        return;
    };
    kiosk.control = Control::Autoplay;
    app.paused = false;
    note(app, Level::Info, why);
    let finished = app.run.as_ref().is_none_or(|r| r.finished());
    if finished && app.dwell.is_none() {
        app.dwell = Some(Timer::new(app.current_chapter().dwell));
    }
}

/// Show time from the last tick until the kiosk's soonest timer is due.
pub(super) fn next_timer(app: &App) -> Option<Duration> {
    let kiosk = app.kiosk.as_ref()?;
    let retry = Some(kiosk.heal_retry.left).filter(|left| !left.is_zero());
    let interlude = kiosk
        .interlude
        .as_ref()
        .into_iter()
        .flat_map(|i| [i.min_left.left, i.deadline.left])
        .filter(|left| !left.is_zero());
    let idle = match kiosk.control {
        Control::Presenter { last_key } => {
            Some((last_key + kiosk.plan.idle).saturating_sub(app.timers_at))
        }
        Control::Autoplay => None,
    };
    retry.into_iter().chain(interlude).chain(idle).min()
}

/// Time passed (also while paused: a person who paused and left is gone).
pub(super) fn tick(app: &mut App, delta: Duration) {
    let Some(kiosk) = app.kiosk.as_mut() else {
        return;
    };
    kiosk.heal_retry.left = kiosk.heal_retry.left.saturating_sub(delta);
    if let Some(interlude) = kiosk.interlude.as_mut() {
        interlude.min_left.left = interlude.min_left.left.saturating_sub(delta);
        interlude.deadline.left = interlude.deadline.left.saturating_sub(delta);
    }
    if let Control::Presenter { last_key } = kiosk.control
        && app.now.saturating_sub(last_key) >= kiosk.plan.idle
    {
        let idle = secs(kiosk.plan.idle);
        resume_autoplay(app, format!("no key for {idle}: autoplay resumes"));
    }
}

/// The pass is over (its last chapter, or a failure): recover what is in
/// place, stop the load, judge the pass, then check and heal between passes.
pub(super) fn end_pass(app: &mut App, failure: Option<&str>, fx: &mut Vec<Effect>) {
    runner::abort(app, "the pass is over".into(), fx);
    update::leave_chapter(app, fx);
    runner::abandon_injection(app);
    update::request_recovery(app, fx);
    if app.load_running {
        fx.push(Effect::SetLoad {
            run: None,
            running: false,
        });
    }
    let healthy = update::pass_ended_healthy(app, failure);
    let Some(kiosk) = app.kiosk.as_mut() else {
        return;
    };
    kiosk.unhealthy_passes = if healthy {
        0
    } else {
        kiosk.unhealthy_passes + 1
    };
    let chapter = match &kiosk.plan.attract {
        Some(attract) => Chapter {
            title: attract.title.clone(),
            narration: attract.narration.clone(),
            dwell: attract.dwell,
            ..between_passes()
        },
        None => between_passes(),
    };
    kiosk.interlude = Some(Interlude {
        min_left: Timer::new(chapter.dwell),
        deadline: Timer::new(kiosk.plan.heal_timeout),
        chapter,
    });
    kiosk.heal_retry = Timer::new(Duration::ZERO);
    app.status = Some(super::ActionStatus::Running(
        "checking the cluster before the next pass".into(),
    ));
    if kiosk.unhealthy_passes >= UNHEALTHY_PASSES_TO_HOLD {
        let n = kiosk.unhealthy_passes;
        let troubles = runner::cluster_troubles(app);
        let what = troubles
            .first()
            .map_or_else(|| app.fault.describe(), ToString::to_string);
        hold(
            app,
            HoldKind::Unhealthy,
            format!("{n} passes in a row ended unhealthy: {what}"),
            Vec::new(),
        );
    }
}

fn between_passes() -> Chapter {
    Chapter {
        title: "Between passes".into(),
        narration: "The story starts again in a moment. First every node is checked \
            by PD and by the runtime, and any node left faulted is healed.\n\n\
            Press any key to take over."
            .into(),
        on_enter: Vec::new(),
        auto_advance: false,
        blocks_advance: false,
        dwell: Duration::from_secs(5),
        narration_for: Default::default(),
        lead_in: Duration::ZERO,
    }
}

/// Stops injecting faults and says so, with what was tried.
pub(super) fn hold(app: &mut App, kind: HoldKind, why: String, tried: Vec<String>) {
    let text = format!("HOLD: {why}");
    app.hold = Some(Hold {
        kind,
        since: app.now,
        why,
        tried,
    });
    note_kind(app, Level::Critical, Kind::Hold, text);
}

/// Between passes and while holding: heal, and move on once healthy.
pub(super) fn advance(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(kiosk) = app.kiosk.as_ref() else {
        return;
    };
    let holding = app.hold.as_ref().map(|h| h.kind);
    if holding == Some(HoldKind::Halted) || (kiosk.interlude.is_none() && holding.is_none()) {
        return;
    }
    heal(app, fx);
    let healthy = app.fault.is_idle() && runner::cluster_troubles(app).is_empty();
    let Some(kiosk) = app.kiosk.as_mut() else {
        return;
    };
    if holding == Some(HoldKind::Unhealthy) {
        if healthy {
            kiosk.unhealthy_passes = 0;
            app.hold = None;
            note_kind(
                app,
                Level::Good,
                Kind::HoldReleased,
                "the cluster is healthy again: the hold is released".into(),
            );
            next_pass(app, fx);
        }
        return;
    }
    let Some(interlude) = &kiosk.interlude else {
        return;
    };
    if healthy && interlude.min_left.expired() && kiosk.autoplay() {
        next_pass(app, fx);
    } else if interlude.deadline.expired() {
        let within = secs(kiosk.plan.heal_timeout);
        note(
            app,
            Level::Warning,
            format!(
                "the cluster was not healthy within {within} between passes: going on; the gates keep faults out"
            ),
        );
        next_pass(app, fx);
    }
}

/// Undo what the runtime shows faulted: the ledger's fault by its recovery,
/// anything else (a node stopped by hand, a leftover) by a heal.
fn heal(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(kiosk) = app.kiosk.as_mut() else {
        return;
    };
    if !kiosk.heal_retry.expired() {
        return;
    }
    kiosk.heal_retry = Timer::new(HEAL_RETRY);
    if matches!(app.fault, super::FaultState::RecoveryFailed { .. }) {
        update::request_recovery(app, fx);
    }
    let Some(snapshot) = &app.cluster.snapshot else {
        return;
    };
    let ours = app.fault.fault().map(|f| f.service.clone());
    let leftovers: Vec<_> = health::leftovers(snapshot)
        .into_iter()
        .filter(|l| Some(&l.service) != ours.as_ref())
        .collect();
    let Some(kiosk) = app.kiosk.as_mut() else {
        return;
    };
    let mut texts = Vec::new();
    for leftover in leftovers {
        if kiosk.healing.contains(&leftover.service) {
            continue;
        }
        kiosk.healing.push(leftover.service.clone());
        fx.push(Effect::Recover {
            recovery: leftover.recovery,
            service: leftover.service.clone(),
        });
        texts.push(format!(
            "healing {} ({}): {}",
            leftover.service, leftover.recovery, leftover.why
        ));
    }
    for text in texts {
        note(app, Level::Warning, text);
    }
}

/// A heal was answered: `text` says how it went.
pub(super) fn heal_answered(app: &mut App, service: &str, text: &str) {
    if let Some(kiosk) = app.kiosk.as_mut() {
        kiosk.healing.retain(|s| s != service);
    }
    if let Some(hold) = app.hold.as_mut() {
        hold.tried.push(text.to_string());
        if hold.tried.len() > TRIED_KEPT {
            hold.tried.remove(0);
        }
    }
}

fn next_pass(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(kiosk) = app.kiosk.as_mut() {
        kiosk.interlude = None;
    }
    update::clear_pass(app);
    app.pass += 1;
    if app.mode == Mode::Kiosk {
        let fault = app
            .kiosk
            .as_ref()
            .and_then(|k| k.fault_for(app.pass))
            .map(|f| format!("{} {}", f.kind, f.target));
        let text = format!(
            "pass {} begins{}",
            app.pass,
            fault.map_or_else(String::new, |f| format!(": {f}"))
        );
        note(app, Level::Info, text);
    }
    fx.extend(update::enter_chapter(app, 0));
}
