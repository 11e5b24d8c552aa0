//! Carries out the app's effects against the backend and the analyzer; every
//! answer comes back as a message on the app's channel.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::agent::Analyzer;
use crate::app::{Effect, Msg};
use crate::cluster::ClusterBackend;

pub struct EffectRunner {
    backend: Arc<dyn ClusterBackend>,
    analyzer: Arc<dyn Analyzer>,
    tx: mpsc::Sender<Msg>,
    /// Injections, recoveries and load changes in flight: waited for before
    /// leaving, so a fault that lands late is still known and recovered.
    world: JoinSet<()>,
    diagnosis: Option<CancellationToken>,
}

impl EffectRunner {
    pub fn new(
        backend: Arc<dyn ClusterBackend>,
        analyzer: Arc<dyn Analyzer>,
        tx: mpsc::Sender<Msg>,
    ) -> Self {
        Self {
            backend,
            analyzer,
            tx,
            world: JoinSet::new(),
            diagnosis: None,
        }
    }

    /// Starts one effect. `Quit` is the caller's to handle.
    pub fn start(&mut self, effect: Effect) {
        let backend = Arc::clone(&self.backend);
        let tx = self.tx.clone();
        match effect {
            Effect::Inject { run, kind, service } => {
                self.world.spawn(async move {
                    tracing::info!(%kind, %service, "injecting fault");
                    let result = backend.inject(kind, &service).await;
                    let _ = tx.send(Msg::Injected { run, result }).await;
                });
            }
            Effect::Recover {
                run,
                recovery,
                service,
            } => {
                self.world.spawn(async move {
                    tracing::info!(%recovery, %service, "recovering");
                    let result = backend.recover(recovery, &service).await;
                    let _ = tx
                        .send(Msg::Recovered {
                            run,
                            service,
                            result,
                        })
                        .await;
                });
            }
            Effect::SetLoad { run, running } => {
                self.world.spawn(async move {
                    let result = backend.set_load(running).await;
                    let _ = tx
                        .send(Msg::LoadSet {
                            run,
                            running,
                            result,
                        })
                        .await;
                });
            }
            Effect::Diagnose { run, evidence } => {
                self.cancel_diagnosis();
                let cancel = CancellationToken::new();
                self.diagnosis = Some(cancel.clone());
                let analyzer = Arc::clone(&self.analyzer);
                tokio::spawn(async move {
                    let (line_tx, mut line_rx) = mpsc::channel::<String>(64);
                    let forward_tx = tx.clone();
                    let forward = tokio::spawn(async move {
                        while let Some(line) = line_rx.recv().await {
                            let _ = forward_tx.send(Msg::AgentLine { run, line }).await;
                        }
                    });
                    let diagnosis = tokio::select! {
                        result = analyzer.diagnose(*evidence, line_tx) => result.map_err(|e| e.to_string()),
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
            Effect::Quit { .. } => {}
        }
    }

    fn cancel_diagnosis(&mut self) {
        if let Some(cancel) = self.diagnosis.take() {
            cancel.cancel();
        }
    }

    /// Waits for the effects on the world that are still in flight.
    pub async fn settle(&mut self) {
        while let Some(joined) = self.world.join_next().await {
            if let Err(e) = joined {
                tracing::error!("an effect task failed: {e}");
            }
        }
    }
}
