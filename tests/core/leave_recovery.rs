//! The recovery made on leaving is journalled whatever its answer:
//! recovered, refused (with why) or not answered in time.

use std::sync::Arc;

use async_trait::async_trait;
use chaosdeck::app::{Kind, Msg, update};
use chaosdeck::clock::ShowClock;
use chaosdeck::cluster::{
    BackendError, Before, Capabilities, ClusterBackend, ClusterSnapshot, ClusterSource, FaultKind,
    FaultSpec, FaultTarget, InjectedFault, Recovery, Subscriptions,
};
use chaosdeck::show::{FaultGuard, recover_left_fault};

use chaosdeck::testing;

/// The simulator, except that recoveries are refused or never answered.
struct RecoverAnswers {
    inner: Arc<dyn ClusterBackend>,
    hang: bool,
}

#[async_trait]
impl ClusterBackend for RecoverAnswers {
    fn source(&self) -> ClusterSource {
        self.inner.source()
    }
    async fn snapshot(&self) -> Result<ClusterSnapshot, BackendError> {
        self.inner.snapshot().await
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn inject(
        &self,
        spec: FaultSpec,
        target: FaultTarget<'_>,
    ) -> Result<InjectedFault, BackendError> {
        self.inner.inject(spec, target).await
    }
    async fn recover(
        &self,
        _recovery: Recovery,
        service: &str,
        _before: Option<&Before>,
    ) -> Result<(), BackendError> {
        if self.hang {
            std::future::pending::<()>().await;
        }
        Err(BackendError::Refused(format!(
            "no such container: {service}"
        )))
    }
    async fn set_load(&self, running: bool) -> Result<(), BackendError> {
        self.inner.set_load(running).await
    }
    fn subscribe(&self) -> Subscriptions {
        self.inner.subscribe()
    }
}

/// The journal's last entry after the leave's answer reached the app.
async fn leave_with(hang: bool) -> (chaosdeck::app::Entry, bool) {
    let clock = ShowClock::start(1.0);
    let backend = RecoverAnswers {
        inner: testing::sim_backend(5, clock).await,
        hang,
    };
    let guard = FaultGuard::default();
    guard
        .set_possible(FaultKind::Kill.into(), "tikv1", None)
        .unwrap();
    let left = recover_left_fault(&backend, &guard)
        .await
        .expect("a fault held");
    let mut app = testing::default_app();
    update(&mut app, Msg::LeftFault(left.clone()));
    let last = app.journal().entries().last().cloned().expect("journalled");
    assert_eq!(
        guard.peek().map(|held| (held.spec.kind(), held.service)),
        Some((FaultKind::Kill, "tikv1".to_string())),
        "still held: the ledger keeps it for the next start"
    );
    (last, left.recovered)
}

#[tokio::test(start_paused = true)]
async fn a_refused_leave_recovery_is_journalled_with_why() {
    let (last, recovered) = leave_with(false).await;
    assert!(!recovered);
    assert_eq!(
        last.kind,
        Kind::Recovery {
            recovery: Recovery::Start,
            service: "tikv1".into(),
            ok: false,
            by: Some(chaosdeck::app::Undoer::Leaving),
        }
    );
    assert!(
        last.text.contains(
            "could NOT recover tikv1 (start) before leaving: refused: no such container: tikv1"
        ),
        "{}",
        last.text
    );
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_leave_recovery_is_journalled_as_timed_out() {
    let (last, recovered) = leave_with(true).await;
    assert!(!recovered);
    assert!(
        matches!(last.kind, Kind::Recovery { ok: false, .. }),
        "{last:?}"
    );
    assert!(
        last.text.contains("before leaving: no answer within 15.0s"),
        "{}",
        last.text
    );
}
