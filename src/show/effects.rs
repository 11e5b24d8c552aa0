//! Carries out the app's effects against the backend and the analyzer; every
//! answer comes back as a message on the app's channel.
//!
//! Effects on the world (inject, recover, load) run one at a time, in the order
//! the app asked for them, so a reset's recovery can never race the next
//! pass's injection. Diagnoses run beside them and can be cancelled.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::FaultGuard;
use crate::agent::Analyzer;
use crate::app::{Effect, Msg};
use crate::cluster::{BackendError, ClusterBackend, FaultTarget};
use crate::supervise;

pub struct EffectRunner {
    analyzer: Arc<dyn Analyzer>,
    tx: mpsc::Sender<Msg>,
    world: Option<mpsc::UnboundedSender<Effect>>,
    worker: JoinHandle<()>,
    diagnosis: Option<CancellationToken>,
}

impl EffectRunner {
    pub fn new(
        backend: Arc<dyn ClusterBackend>,
        analyzer: Arc<dyn Analyzer>,
        tx: mpsc::Sender<Msg>,
        guard: FaultGuard,
    ) -> Self {
        let (world, queue) = mpsc::unbounded_channel();
        // Shared so that a worker restarted after a panic takes up the queue.
        let queue = Arc::new(Mutex::new(queue));
        let answers = tx.clone();
        let worker = supervise::spawn("effects", move || {
            work(
                Arc::clone(&backend),
                guard.clone(),
                Arc::clone(&queue),
                answers.clone(),
            )
        });
        Self {
            analyzer,
            tx,
            world: Some(world),
            worker,
            diagnosis: None,
        }
    }

    /// Starts one effect. `Quit` is the caller's to handle.
    pub fn start(&mut self, effect: Effect) {
        match effect {
            Effect::Inject { .. } | Effect::Recover { .. } | Effect::SetLoad { .. } => {
                if let Some(world) = &self.world {
                    let _ = world.send(effect);
                }
            }
            Effect::Diagnose { run, evidence } => {
                self.cancel_diagnosis();
                let cancel = CancellationToken::new();
                self.diagnosis = Some(cancel.clone());
                let analyzer = Arc::clone(&self.analyzer);
                let tx = self.tx.clone();
                supervise::spawn_once("diagnosis", async move {
                    let (line_tx, mut line_rx) = mpsc::channel::<crate::agent::Progress>(64);
                    let forward_tx = tx.clone();
                    let forward = tokio::spawn(async move {
                        while let Some(line) = line_rx.recv().await {
                            let _ = forward_tx.send(Msg::AgentLine { run, line }).await;
                        }
                    });
                    let diagnosis = tokio::select! {
                        result = analyzer.diagnose(*evidence, line_tx) => result,
                        () = cancel.cancelled() => return,
                    };
                    // Every progress line is shown before the result.
                    let _ = forward.await;
                    let _ = tx
                        .send(Msg::Diagnosed {
                            run,
                            result: diagnosis,
                        })
                        .await;
                });
            }
            Effect::CancelDiagnosis => self.cancel_diagnosis(),
            // The show's own: its clock (see `Show::apply`).
            Effect::Quit { .. } | Effect::FreezeTime { .. } => {}
        }
    }

    fn cancel_diagnosis(&mut self) {
        if let Some(cancel) = self.diagnosis.take() {
            cancel.cancel();
        }
    }

    /// Lets the world effects already asked for finish, then stops the worker.
    pub async fn settle(&mut self) {
        self.cancel_diagnosis();
        self.world = None;
        let _ = (&mut self.worker).await;
    }
}

/// How long one call to the world may take before it counts as failed.
/// Longer than a `stop` can take: Docker waits the container's stop grace
/// period (30 s in docker-compose.yaml, up to 60 s in files seen in the
/// wild) before it kills, and only then answers.
const WORLD_TIMEOUT: Duration = Duration::from_secs(75);

/// Runs world effects in order. The guard is written here, around the calls,
/// so that whatever ends the show knows a fault that may be in place, even one
/// whose answer the app never saw.
async fn work(
    backend: Arc<dyn ClusterBackend>,
    guard: FaultGuard,
    queue: Arc<Mutex<mpsc::UnboundedReceiver<Effect>>>,
    tx: mpsc::Sender<Msg>,
) {
    let mut queue = queue.lock().await;
    while let Some(effect) = queue.recv().await {
        supervise::test_panic_point("effects");
        let msg = match effect {
            Effect::Inject {
                run,
                spec,
                service,
                named,
            } => {
                tracing::info!(%spec, %service, named, "injecting fault");
                let target = if named {
                    FaultTarget::Named(&service)
                } else {
                    FaultTarget::Tikv(&service)
                };
                let ready = match within(backend.before(spec, target)).await {
                    Ok(before) => guard
                        .set_possible(spec, &service, before)
                        .map_err(BackendError::Refused),
                    Err(e) => Err(e),
                };
                if let Err(e) = ready {
                    let _ = tx
                        .send(Msg::Injected {
                            run,
                            result: Err(e),
                        })
                        .await;
                    continue;
                }
                let result = within(backend.inject(spec, target)).await;
                match &result {
                    Ok(fault) => guard.confirm(fault),
                    // Without an answer the fault may have landed: keep it.
                    Err(BackendError::NoAnswer(_)) => {}
                    Err(_) => guard.clear(&service),
                }
                Msg::Injected { run, result }
            }
            Effect::Recover { recovery, service } => {
                tracing::info!(%recovery, %service, "recovering");
                let before = guard.before_of(&service);
                let result = within(backend.recover(recovery, &service, before.as_ref())).await;
                if matches!(result, Ok(()) | Err(BackendError::NothingToRecover { .. })) {
                    guard.clear(&service);
                }
                Msg::Recovered {
                    recovery,
                    service,
                    result,
                }
            }
            Effect::SetLoad { run, running } => {
                let result = within(backend.set_load(running)).await;
                Msg::LoadSet {
                    run,
                    running,
                    result,
                }
            }
            _ => continue,
        };
        let _ = tx.send(msg).await;
    }
}

async fn within<T>(call: impl Future<Output = Result<T, BackendError>>) -> Result<T, BackendError> {
    tokio::time::timeout(WORLD_TIMEOUT, call)
        .await
        .unwrap_or(Err(BackendError::NoAnswer(WORLD_TIMEOUT.as_secs())))
}
