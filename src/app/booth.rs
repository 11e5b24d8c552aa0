//! The booth: who has control (autoplay or a person who stepped in), the
//! fault of each kiosk pass, the check and heal between passes, the hold
//! (`H` in every mode, or passes that keep ending unhealthy) and the kiosk's
//! second press for the keys that end or halt the show.
//!
//! The booth writes only its own state; what it needs of the others (a
//! recovery, a heal, the next pass, the story's dwell) it asks for.

use std::time::Duration;

use super::Mode;
use super::chronicle::Chronicle;
use super::confirm;
use super::fault::{FaultLedger, FaultState};
use super::journal::{Kind, Level};
use super::msg::Command;
use super::run::Timer;
use super::timeline::secs;
use super::world::World;
use crate::cluster::{FaultSpec, Recovery};
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
    started: Duration,
    control: Control,
    unhealthy_passes: u32,
    /// Set between passes: the cluster is checked and healed.
    interlude: Option<Interlude>,
    /// Heals sent and not yet answered, by service.
    healing: Vec<String>,
    heal_retry: Timer,
}

#[derive(Debug, Clone)]
pub struct Interlude {
    /// What the screen shows meanwhile (the attract chapter).
    pub chapter: Chapter,
    /// Show time the pass ended: what came after is the interlude's.
    pub since: Duration,
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

    pub fn control(&self) -> Control {
        self.control
    }

    pub fn interlude(&self) -> Option<&Interlude> {
        self.interlude.as_ref()
    }

    pub fn fault_for(&self, pass: u32) -> Option<&KioskFault> {
        self.plan.fault_for(pass)
    }

    pub fn uptime(&self, now: Duration) -> Duration {
        now.saturating_sub(self.started)
    }
}

/// What the booth asks of the other rooms.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum BoothAsk {
    /// Recover the ledger's fault (a retry of one that failed).
    RecoverFault,
    /// Undo what the runtime shows faulted on a node that is not the
    /// ledger's.
    Heal { recovery: Recovery, service: String },
    /// Start the next pass.
    NextPass,
    /// The story stops counting down to its next chapter.
    StopDwell,
    /// Autoplay resumed: the story's pause ends and, where its chapter is
    /// done, its dwell starts.
    Resumed,
    /// A word for the footer.
    Hint(String),
}

/// A key's fate at the booth.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum KeyAtBooth {
    /// The key does its usual work.
    Pass,
    /// The booth took it.
    Taken,
}

pub struct Booth {
    kiosk: Option<Kiosk>,
    /// No faults are injected while the show holds (`H`, or the kiosk after
    /// passes that ended unhealthy).
    hold: Option<Hold>,
    /// A kiosk key's first press, waiting for its second.
    confirm: Option<confirm::Pending>,
    /// Show time a kiosk key's second press may take.
    confirm_window: Duration,
    /// The fault this pass injects in place of the script's, resolved once
    /// as the pass begins: the kiosk's rotation.
    pass_fault: Option<KioskFault>,
}

impl Booth {
    pub fn new(mode: Mode, plan: &KioskPlan, confirm_window: Duration) -> Self {
        Self {
            kiosk: (mode == Mode::Kiosk).then(|| Kiosk::new(plan)),
            hold: None,
            confirm: None,
            confirm_window,
            pass_fault: None,
        }
    }

    pub fn kiosk(&self) -> Option<&Kiosk> {
        self.kiosk.as_ref()
    }

    pub fn hold(&self) -> Option<&Hold> {
        self.hold.as_ref()
    }

    pub fn halted(&self) -> bool {
        self.hold
            .as_ref()
            .is_some_and(|h| h.kind == HoldKind::Halted)
    }

    pub fn interlude(&self) -> Option<&Interlude> {
        self.kiosk.as_ref()?.interlude.as_ref()
    }

    /// Chapters move on by themselves: `--auto`, or the kiosk's autoplay;
    /// a halt stops the story where it is, in every mode.
    pub fn autoplay(&self, mode: Mode) -> bool {
        if self.halted() {
            return false;
        }
        match mode {
            Mode::Presenter => false,
            Mode::Auto => true,
            Mode::Kiosk => self.kiosk.as_ref().is_some_and(Kiosk::autoplay),
        }
    }

    /// The kiosk's fault for this pass, if it sets one.
    pub fn pass_fault(&self) -> Option<&KioskFault> {
        self.pass_fault.as_ref()
    }

    /// The fault this pass injects where the script says `fault` on
    /// `target`: in kiosk mode the rotation decides.
    pub fn fault_of_pass(&self, fault: FaultSpec, target: &Target) -> (FaultSpec, Target) {
        match &self.pass_fault {
            Some(pass) => (pass.fault, pass.target.clone()),
            None => (fault, target.clone()),
        }
    }

    /// The show starts at `now` with pass 1.
    pub(super) fn start(&mut self, now: Duration) {
        if let Some(kiosk) = self.kiosk.as_mut() {
            kiosk.started = now;
        }
        self.plan_pass(1);
    }

    /// Resolves pass `pass`'s fault once, from the kiosk's rotation.
    fn plan_pass(&mut self, pass: u32) {
        self.pass_fault = self.kiosk.as_ref().and_then(|k| k.fault_for(pass)).cloned();
    }

    // ---- keys -----------------------------------------------------------------

    /// In kiosk mode the keys that end or halt the show (not a release of
    /// the hold, which halts nothing) need a second press: `Err` with the
    /// words that ask for it. Any other key forgets a first press.
    pub(super) fn second_press(
        &mut self,
        mode: Mode,
        command: Command,
        now: Duration,
    ) -> Result<(), &'static str> {
        let guarded = mode == Mode::Kiosk
            && match command {
                Command::Quit | Command::Interrupt | Command::Reset => true,
                Command::Halt => !self.halted(),
                _ => false,
            };
        if !guarded {
            self.confirm = None;
            return Ok(());
        }
        match confirm::press(&mut self.confirm, command, now, self.confirm_window) {
            confirm::Press::Act => Ok(()),
            confirm::Press::AskAgain(words) => Err(words),
        }
    }

    /// A person pressed a key at `now`.
    pub(super) fn on_command(
        &mut self,
        command: Command,
        now: Duration,
        log: &mut Chronicle,
        asks: &mut Vec<BoothAsk>,
    ) -> KeyAtBooth {
        let Some(kiosk) = self.kiosk.as_mut() else {
            if command == Command::ToggleAutoplay {
                asks.push(BoothAsk::Hint(
                    "K toggles autoplay in kiosk mode only".into(),
                ));
            }
            return match command {
                Command::ToggleAutoplay | Command::Touch => KeyAtBooth::Taken,
                _ => KeyAtBooth::Pass,
            };
        };
        match command {
            Command::ToggleAutoplay if kiosk.autoplay() => {
                kiosk.control = Control::Presenter { last_key: now };
                asks.push(BoothAsk::StopDwell);
                log.note(now, Level::Info, "K: the presenter has control".into());
                return KeyAtBooth::Taken;
            }
            Command::ToggleAutoplay => {
                self.resume_autoplay("K: autoplay resumes".into(), now, log, asks);
                return KeyAtBooth::Taken;
            }
            Command::Quit | Command::Interrupt | Command::Halt => return KeyAtBooth::Pass,
            _ => {}
        }
        let stepped_in = kiosk.autoplay();
        kiosk.control = Control::Presenter { last_key: now };
        let between_passes = kiosk.interlude.is_some();
        if stepped_in {
            asks.push(BoothAsk::StopDwell);
            log.note(
                now,
                Level::Info,
                "a person stepped in: the presenter has control".into(),
            );
        }
        if between_passes && matches!(command, Command::Next | Command::Prev) {
            asks.push(BoothAsk::Hint(
                "between passes: checking the cluster first".into(),
            ));
            return KeyAtBooth::Taken;
        }
        if command == Command::Touch {
            KeyAtBooth::Taken
        } else {
            KeyAtBooth::Pass
        }
    }

    fn resume_autoplay(
        &mut self,
        why: String,
        now: Duration,
        log: &mut Chronicle,
        asks: &mut Vec<BoothAsk>,
    ) {
        let Some(kiosk) = self.kiosk.as_mut() else {
            return;
        };
        kiosk.control = Control::Autoplay;
        log.note(now, Level::Info, why);
        asks.push(BoothAsk::Resumed);
    }

    // ---- time -----------------------------------------------------------------

    /// Show time from the last tick (`timers_at`) until the booth's soonest
    /// timer is due.
    pub fn next_timer(&self, timers_at: Duration) -> Option<Duration> {
        let confirm = self
            .confirm
            .map(|p| p.until.saturating_sub(timers_at) + Duration::from_millis(1));
        let Some(kiosk) = self.kiosk.as_ref() else {
            return confirm;
        };
        let retry = Some(kiosk.heal_retry.left).filter(|left| !left.is_zero());
        let interlude = kiosk
            .interlude
            .as_ref()
            .into_iter()
            .flat_map(|i| [i.min_left.left, i.deadline.left])
            .filter(|left| !left.is_zero());
        let idle = match kiosk.control {
            Control::Presenter { last_key } => {
                Some((last_key + kiosk.plan.idle).saturating_sub(timers_at))
            }
            Control::Autoplay => None,
        };
        retry
            .into_iter()
            .chain(interlude)
            .chain(idle)
            .chain(confirm)
            .min()
    }

    /// Time passed (also while paused: a person who paused and left is
    /// gone). Returns the words of a first press whose window passed.
    pub(super) fn tick(
        &mut self,
        delta: Duration,
        now: Duration,
        log: &mut Chronicle,
        asks: &mut Vec<BoothAsk>,
    ) -> Option<&'static str> {
        if let Some(kiosk) = self.kiosk.as_mut() {
            kiosk.heal_retry.left = kiosk.heal_retry.left.saturating_sub(delta);
            if let Some(interlude) = kiosk.interlude.as_mut() {
                interlude.min_left.left = interlude.min_left.left.saturating_sub(delta);
                interlude.deadline.left = interlude.deadline.left.saturating_sub(delta);
            }
            if let Control::Presenter { last_key } = kiosk.control
                && now.saturating_sub(last_key) >= kiosk.plan.idle
            {
                let idle = secs(kiosk.plan.idle);
                self.resume_autoplay(
                    format!("no key for {idle}: autoplay resumes"),
                    now,
                    log,
                    asks,
                );
            }
        }
        let asked = self.confirm.map(|p| confirm::ask(p.command));
        confirm::expire(&mut self.confirm, now)
            .then_some(asked)
            .flatten()
    }

    // ---- passes ---------------------------------------------------------------

    /// The pass is over and judged (`healthy`): between passes the cluster is
    /// checked and healed; passes that keep ending unhealthy hold the kiosk.
    /// False outside kiosk mode.
    pub(super) fn pass_over(
        &mut self,
        healthy: bool,
        world: &World,
        ledger: &FaultLedger,
        now: Duration,
        log: &mut Chronicle,
    ) -> bool {
        let Some(kiosk) = self.kiosk.as_mut() else {
            return false;
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
            since: now,
            min_left: Timer::new(chapter.dwell),
            deadline: Timer::new(kiosk.plan.heal_timeout),
            chapter,
        });
        kiosk.heal_retry = Timer::new(Duration::ZERO);
        if kiosk.unhealthy_passes >= UNHEALTHY_PASSES_TO_HOLD {
            let n = kiosk.unhealthy_passes;
            let what = world
                .troubles(now)
                .first()
                .map_or_else(|| ledger.describe(), ToString::to_string);
            self.hold_show(
                HoldKind::Unhealthy,
                format!("{n} passes in a row ended unhealthy: {what}"),
                Vec::new(),
                now,
                log,
            );
        }
        true
    }

    /// Pass `pass` begins: nothing between passes any more, and its fault
    /// is planned.
    pub(super) fn pass_begins(&mut self, pass: u32) {
        if let Some(kiosk) = self.kiosk.as_mut() {
            kiosk.interlude = None;
        }
        self.plan_pass(pass);
    }

    /// Stops injecting faults and says so, with what was tried.
    pub(super) fn hold_show(
        &mut self,
        kind: HoldKind,
        why: String,
        tried: Vec<String>,
        now: Duration,
        log: &mut Chronicle,
    ) {
        let text = format!("HOLD: {why}");
        self.hold = Some(Hold {
            kind,
            since: now,
            why,
            tried,
        });
        log.note_kind(now, Level::Critical, Kind::Hold, text);
    }

    /// `H` again: the halt is released and the kiosk starts afresh.
    pub(super) fn release_halt(&mut self, now: Duration, log: &mut Chronicle) {
        self.hold = None;
        log.note_kind(
            now,
            Level::Good,
            Kind::HoldReleased,
            "halt released: starting over".into(),
        );
        if let Some(kiosk) = self.kiosk.as_mut() {
            kiosk.interlude = None;
            kiosk.unhealthy_passes = 0;
        }
    }

    /// Between passes and while holding: heal, and move on once healthy.
    pub(super) fn advance(
        &mut self,
        world: &World,
        ledger: &FaultLedger,
        now: Duration,
        log: &mut Chronicle,
        asks: &mut Vec<BoothAsk>,
    ) {
        let Some(kiosk) = self.kiosk.as_ref() else {
            return;
        };
        let holding = self.hold.as_ref().map(|h| h.kind);
        if holding == Some(HoldKind::Halted) || (kiosk.interlude.is_none() && holding.is_none()) {
            return;
        }
        self.heal(world, ledger, now, log, asks);
        // A retried recovery is asked for here and begins at once.
        let retrying = asks.contains(&BoothAsk::RecoverFault);
        let healthy = ledger.is_idle() && !retrying && world.troubles(now).is_empty();
        let Some(kiosk) = self.kiosk.as_mut() else {
            return;
        };
        if holding == Some(HoldKind::Unhealthy) {
            if healthy {
                kiosk.unhealthy_passes = 0;
                self.hold = None;
                log.note_kind(
                    now,
                    Level::Good,
                    Kind::HoldReleased,
                    "the cluster is healthy again: the hold is released".into(),
                );
                asks.push(BoothAsk::NextPass);
            }
            return;
        }
        let Some(interlude) = &kiosk.interlude else {
            return;
        };
        if healthy && interlude.min_left.expired() && kiosk.autoplay() {
            asks.push(BoothAsk::NextPass);
        } else if interlude.deadline.expired() {
            let within = secs(kiosk.plan.heal_timeout);
            log.note(
                now,
                Level::Warning,
                format!(
                    "the cluster was not healthy within {within} between passes: going on; the gates keep faults out"
                ),
            );
            asks.push(BoothAsk::NextPass);
        }
    }

    /// Undo what the runtime shows faulted: the ledger's fault by its
    /// recovery, anything else (a node stopped by hand, a leftover) by a heal.
    fn heal(
        &mut self,
        world: &World,
        ledger: &FaultLedger,
        now: Duration,
        log: &mut Chronicle,
        asks: &mut Vec<BoothAsk>,
    ) {
        let Some(kiosk) = self.kiosk.as_mut() else {
            return;
        };
        if !kiosk.heal_retry.expired() {
            return;
        }
        kiosk.heal_retry = Timer::new(HEAL_RETRY);
        if matches!(ledger.state(), FaultState::RecoveryFailed { .. }) {
            asks.push(BoothAsk::RecoverFault);
        }
        let Some(snapshot) = world.snapshot() else {
            return;
        };
        let ours = ledger.fault().map(|f| f.service.clone());
        let leftovers = crate::cluster::health::leftovers(snapshot)
            .into_iter()
            .filter(|l| Some(&l.service) != ours.as_ref());
        for leftover in leftovers {
            if kiosk.healing.contains(&leftover.service) {
                continue;
            }
            kiosk.healing.push(leftover.service.clone());
            asks.push(BoothAsk::Heal {
                recovery: leftover.recovery,
                service: leftover.service.clone(),
            });
            log.note(
                now,
                Level::Warning,
                format!(
                    "healing {} ({}): {}",
                    leftover.service, leftover.recovery, leftover.why
                ),
            );
        }
    }

    /// A heal was answered: `text` says how it went.
    pub(super) fn heal_answered(&mut self, service: &str, text: &str) {
        if let Some(kiosk) = self.kiosk.as_mut() {
            kiosk.healing.retain(|s| s != service);
        }
        if let Some(hold) = self.hold.as_mut() {
            hold.tried.push(text.to_string());
            if hold.tried.len() > TRIED_KEPT {
                hold.tried.remove(0);
            }
        }
    }

    /// Tests set up a scene by hand.
    #[cfg(any(test, feature = "testing"))]
    pub fn set_hold(&mut self, hold: Option<Hold>) {
        self.hold = hold;
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
