//! The app and the simulator in one synchronous loop, as the show runs them
//! but without its tasks: a test presses any key at any moment and sees
//! every effect the app asks for, in order, the same on every run.

use std::time::Duration;

use crate::agent::analyze;
use crate::app::{App, Command, Effect, Mode, Msg, update};
use crate::cluster::sim::Simulator;
use crate::story::Script;

use super::apps::config;
use super::cluster::simulator;

/// Show time between two looks at the world.
const STEP: Duration = Duration::from_millis(500);

pub struct Rig {
    pub app: App,
    pub sim: Simulator,
    /// Every effect the app asked for, oldest first.
    pub effects: Vec<Effect>,
    frozen: bool,
    pub quit: bool,
}

impl Rig {
    /// `script` in `mode` on a simulator of `stores` and `regions`, started.
    pub fn new(script: Script, mode: Mode, stores: u8, regions: u32) -> Self {
        let mut rig = Self {
            app: App::new(config(script, mode)),
            sim: simulator(7, stores, regions),
            effects: Vec::new(),
            frozen: false,
            quit: false,
        };
        let fx = rig.app.start();
        rig.carry_out(fx);
        rig.look();
        rig
    }

    /// Presses `command`; returns what it (and what followed from it at
    /// once) asked for.
    pub fn press(&mut self, command: Command) -> Vec<Effect> {
        let from = self.effects.len();
        let fx = update(&mut self.app, Msg::Command(command));
        self.carry_out(fx);
        self.effects[from..].to_vec()
    }

    /// Lets `span` of show time pass (none on the simulator while paused);
    /// returns what the app asked for meanwhile.
    pub fn run_for(&mut self, span: Duration) -> Vec<Effect> {
        let from = self.effects.len();
        let mut left = span;
        while !left.is_zero() && !self.quit {
            let step = left.min(STEP);
            left -= step;
            if !self.frozen {
                self.sim.advance(step);
            }
            self.look();
        }
        self.effects[from..].to_vec()
    }

    /// Runs until `done` holds of the app, for at most `limit`; true if it
    /// did.
    pub fn run_until(&mut self, limit: Duration, done: impl Fn(&App) -> bool) -> bool {
        let mut waited = Duration::ZERO;
        while !done(&self.app) {
            if waited >= limit || self.quit {
                return false;
            }
            self.run_for(STEP);
            waited += STEP;
        }
        true
    }

    /// What the show's inputs would deliver now: events, samples, a
    /// snapshot and a tick.
    fn look(&mut self) {
        let now = self.sim.now();
        let mut msgs: Vec<Msg> = self
            .sim
            .drain_events()
            .into_iter()
            .map(Msg::Event)
            .collect();
        msgs.extend(self.sim.drain_samples().into_iter().map(Msg::Sample));
        msgs.push(Msg::Snapshot(Ok(self.sim.snapshot())));
        msgs.push(Msg::Tick(now));
        for msg in msgs {
            if self.quit {
                return;
            }
            let fx = update(&mut self.app, msg);
            self.carry_out(fx);
        }
    }

    /// Carries out effects as the effect runner does, answering each at
    /// once.
    fn carry_out(&mut self, fx: Vec<Effect>) {
        let mut queue: std::collections::VecDeque<Effect> = fx.into();
        while let Some(effect) = queue.pop_front() {
            self.effects.push(effect.clone());
            let answer = match effect {
                Effect::Inject {
                    run, spec, service, ..
                } => Some(Msg::Injected {
                    run,
                    result: self.sim.inject(spec, &service),
                }),
                Effect::Recover { recovery, service } => Some(Msg::Recovered {
                    result: self.sim.recover(recovery, &service),
                    recovery,
                    service,
                }),
                Effect::SetLoad { run, running } => {
                    self.sim.set_load(running);
                    Some(Msg::LoadSet {
                        run,
                        running,
                        result: Ok(()),
                    })
                }
                Effect::Diagnose { run, evidence } => Some(Msg::Diagnosed {
                    run,
                    result: Ok(analyze(&evidence).diagnosis),
                }),
                Effect::FreezeTime { frozen } => {
                    self.frozen = frozen;
                    None
                }
                Effect::Quit { .. } => {
                    self.quit = true;
                    None
                }
                Effect::CancelDiagnosis => None,
            };
            if let Some(msg) = answer {
                queue.extend(update(&mut self.app, msg));
            }
        }
    }
}

/// Whether any of `effects` injects a fault.
pub fn injects(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Inject { .. }))
}
