//! The project's events: Docker's event stream mapped to [`ClusterEvent`]s,
//! re-opened with backoff when it drops (resuming where it stopped), and
//! reconciled with a periodic container listing so that a missed event still
//! shows, late but once.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use bollard::models::{EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptions;

use super::control::DockerControl;
use super::labels::{PROJECT_LABEL, SERVICE_LABEL};
use super::mapping::{EventContext, Observed, changes_between, events_filter, map_event};
use super::timestamps::{parse_rfc3339_nanos, since_parameter};
use crate::backoff::Backoff;
use crate::clock::ShowClock;
use crate::cluster::{BackendError, ClusterEvent, EventKind, Notice};

/// Timings of the event watch.
#[derive(Debug, Clone, Copy)]
pub struct EventWatchConfig {
    /// How often the container listing is compared with what events said.
    pub reconcile_every: Duration,
    /// First wait before re-opening a dropped stream; doubles up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl Default for EventWatchConfig {
    fn default() -> Self {
        Self {
            reconcile_every: Duration::from_secs(5),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(5),
        }
    }
}

/// How the watch is doing: the backend tells the screen when the stream
/// drops and when it is open again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchStatus {
    Starting,
    /// The stream is open and the listing answers.
    Live,
    /// The engine did not answer or the stream dropped; trying again.
    Retrying {
        attempt: u32,
        error: String,
    },
    Stopped,
}

/// An event watch, ready to run: the future to spawn and its status.
pub struct EventWatch {
    pub run: BoxFuture<'static, ()>,
    pub status: watch::Receiver<WatchStatus>,
}

/// A watch of `control`'s project that sends events to `events` stamped
/// with show time, until `cancel` fires or the receiver is dropped. The
/// caller runs `run` (under its supervisor).
pub fn event_watch(
    control: DockerControl,
    clock: ShowClock,
    events: mpsc::Sender<ClusterEvent>,
    config: EventWatchConfig,
    cancel: CancellationToken,
) -> EventWatch {
    let (status_tx, status) = watch::channel(WatchStatus::Starting);
    let mut watcher = Watcher {
        control,
        clock,
        events,
        config,
        status: status_tx,
        known: HashMap::new(),
        context: EventContext::default(),
        resume: Resume::default(),
        went_live: false,
    };
    let run = async move {
        tokio::select! {
            () = cancel.cancelled() => {}
            () = watcher.run() => {}
        }
        watcher.status.send_replace(WatchStatus::Stopped);
    };
    EventWatch {
        run: run.boxed(),
        status,
    }
}

/// The notices a watch's status gives: that the stream dropped (once, until
/// it is open again) and that it is open again.
pub async fn watch_notices(
    mut status: watch::Receiver<WatchStatus>,
    notices: mpsc::Sender<Notice>,
    cancel: CancellationToken,
) {
    let mut dropped = false;
    let mut was_live = false;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = status.changed() => if changed.is_err() { return },
        }
        let now = status.borrow_and_update().clone();
        let notice = match now {
            WatchStatus::Retrying { error, .. } if !dropped => {
                dropped = true;
                let what = if was_live { "dropped" } else { "does not open" };
                Notice::trouble(format!(
                    "the Docker event stream {what} ({}); re-opening it, the container listing catches up then",
                    crate::text::excerpt(&error, 160)
                ))
            }
            WatchStatus::Live if dropped => {
                dropped = false;
                let again = if std::mem::replace(&mut was_live, true) {
                    " again"
                } else {
                    ""
                };
                Notice::fine(format!("the Docker event stream is open{again}"))
            }
            WatchStatus::Live => {
                was_live = true;
                continue;
            }
            _ => continue,
        };
        if notices.send(notice).await.is_err() {
            return;
        }
    }
}

/// Where to resume the stream, in the engine's clock, and the events already
/// seen at exactly that instant (the engine replays them on resume).
#[derive(Debug, Default)]
struct Resume {
    since_nanos: Option<i128>,
    seen_at_since: HashSet<(String, String)>,
}

impl Resume {
    /// False for an event already handled before the stream was re-opened.
    fn is_new(&mut self, message: &EventMessage) -> bool {
        let Some(at) = message.time_nano.map(i128::from) else {
            return true;
        };
        let key = (
            message
                .actor
                .as_ref()
                .and_then(|a| a.id.clone())
                .unwrap_or_default(),
            message.action.clone().unwrap_or_default(),
        );
        match self.since_nanos {
            Some(since) if at < since => false,
            Some(since) if at == since => self.seen_at_since.insert(key),
            _ => {
                self.since_nanos = Some(at);
                self.seen_at_since = HashSet::from([key]);
                true
            }
        }
    }
}

struct Watcher {
    control: DockerControl,
    clock: ShowClock,
    events: mpsc::Sender<ClusterEvent>,
    config: EventWatchConfig,
    status: watch::Sender<WatchStatus>,
    /// What the stream and listings said last about each service.
    known: HashMap<String, Observed>,
    context: EventContext,
    resume: Resume,
    /// Set once the stream opened, so a later failure starts the backoff afresh.
    went_live: bool,
}

/// The receiver is gone: nothing left to do.
struct Closed;

impl Watcher {
    async fn run(&mut self) {
        let mut backoff = Backoff::new(self.config.backoff_min, self.config.backoff_max);
        loop {
            let error = match self.watch_once().await {
                Ok(Err(Closed)) => return,
                Ok(Ok(())) => "the event stream ended".to_string(),
                Err(error) => error.to_string(),
            };
            if std::mem::take(&mut self.went_live) {
                backoff.reset();
            }
            let wait = backoff.failed();
            let attempt = backoff.failures();
            tracing::warn!(attempt, %error, "Docker event watch interrupted");
            self.status
                .send_replace(WatchStatus::Retrying { attempt, error });
            tokio::time::sleep(wait).await;
        }
    }

    /// One life of the stream: a listing, then the stream until it drops.
    async fn watch_once(&mut self) -> Result<Result<(), Closed>, BackendError> {
        if self.resume.since_nanos.is_none() {
            // Start from the engine's own "now" so that nothing between the
            // first listing and the stream opening is lost.
            self.resume.since_nanos = self.engine_now().await;
        }
        if let Err(Closed) = self.reconcile().await? {
            return Ok(Err(Closed));
        }
        let options = EventsOptions {
            since: self.resume.since_nanos.map(since_parameter),
            until: None,
            filters: Some(events_filter()),
        };
        let docker = self.control.docker().clone();
        let mut stream = docker.events(Some(options));
        let mut reconcile = tokio::time::interval(self.config.reconcile_every);
        reconcile.tick().await;
        self.status.send_replace(WatchStatus::Live);
        self.went_live = true;
        loop {
            tokio::select! {
                _ = reconcile.tick() => {
                    if let Err(Closed) = self.reconcile().await? {
                        return Ok(Err(Closed));
                    }
                }
                item = stream.next() => match item {
                    Some(Ok(message)) => {
                        if let Err(Closed) = self.on_message(&message).await {
                            return Ok(Err(Closed));
                        }
                    }
                    Some(Err(error)) => {
                        return Err(super::connect::unreachable(crate::text::excerpt(
                            &error.to_string(),
                            200,
                        )));
                    }
                    None => return Ok(Ok(())),
                },
            }
        }
    }

    async fn engine_now(&self) -> Option<i128> {
        let info = self.control.docker().info().await.ok()?;
        parse_rfc3339_nanos(info.system_time.as_deref()?)
    }

    async fn on_message(&mut self, message: &EventMessage) -> Result<(), Closed> {
        if !self.resume.is_new(message) {
            return Ok(());
        }
        self.learn_container(message);
        let Some(event) = map_event(message, self.control.project(), &self.context) else {
            return Ok(());
        };
        // Emit only what changes the known picture: a listing may have
        // reported the same change first.
        if let Some(known) = self.known.get_mut(&event.service)
            && !known.absorb(&event.kind)
        {
            return Ok(());
        }
        self.send(event.service, event.kind).await
    }

    /// Container events carry the labels: remember which service an id is.
    fn learn_container(&mut self, message: &EventMessage) {
        if message.typ != Some(EventMessageTypeEnum::CONTAINER) {
            return;
        }
        let Some(actor) = &message.actor else { return };
        let Some(attributes) = &actor.attributes else {
            return;
        };
        if attributes.get(PROJECT_LABEL).map(String::as_str) != Some(self.control.project()) {
            return;
        }
        if let (Some(id), Some(service)) = (&actor.id, attributes.get(SERVICE_LABEL)) {
            self.context
                .services_by_id
                .insert(id.clone(), service.clone());
        }
    }

    /// Lists the project, reports what changed since the last picture and
    /// refreshes the context (ids, networks) the mapping needs.
    async fn reconcile(&mut self) -> Result<Result<(), Closed>, BackendError> {
        let networks = self.control.project_networks().await?;
        let containers = self.control.containers().await?;
        let first = self.known.is_empty();
        let mut changes = Vec::new();
        for container in &containers {
            self.context
                .services_by_id
                .insert(container.id.clone(), container.service.clone());
            // Replicas beyond the first share the service name; the first
            // one stands for the service.
            if container.number != 1 && self.known.contains_key(&container.service) {
                continue;
            }
            let now = Observed::of(container, &networks);
            if let Some(before) = self.known.insert(container.service.clone(), now.clone())
                && !first
            {
                for kind in changes_between(&before, &now) {
                    changes.push((container.service.clone(), kind));
                }
            }
        }
        self.context.project_networks = networks;
        for (service, kind) in changes {
            tracing::info!(%service, %kind, "reconciled from the container listing");
            if let Err(Closed) = self.send(service, kind).await {
                return Ok(Err(Closed));
            }
        }
        Ok(Ok(()))
    }

    async fn send(&self, service: String, kind: EventKind) -> Result<(), Closed> {
        let event = ClusterEvent {
            at: self.clock.now(),
            service,
            kind,
        };
        self.events.send(event).await.map_err(|_| Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::EventActor;

    fn message(id: &str, action: &str, time_nano: i64) -> EventMessage {
        EventMessage {
            typ: Some(EventMessageTypeEnum::CONTAINER),
            action: Some(action.into()),
            actor: Some(EventActor {
                id: Some(id.into()),
                attributes: None,
            }),
            time_nano: Some(time_nano),
            ..Default::default()
        }
    }

    #[test]
    fn replayed_events_are_dropped() {
        let mut resume = Resume::default();
        assert!(resume.is_new(&message("a", "die", 10)));
        assert!(
            resume.is_new(&message("a", "start", 10)),
            "same instant, other action"
        );
        // The stream is re-opened `since` 10: the engine replays both.
        assert!(!resume.is_new(&message("a", "die", 10)));
        assert!(!resume.is_new(&message("a", "start", 10)));
        assert!(!resume.is_new(&message("b", "die", 9)));
        assert!(resume.is_new(&message("b", "die", 11)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_stream_is_said_once_and_its_return_once() {
        let (status_tx, status) = watch::channel(WatchStatus::Starting);
        let (notices_tx, mut notices) = mpsc::channel(8);
        let task = tokio::spawn(watch_notices(status, notices_tx, CancellationToken::new()));
        let step = |next: WatchStatus| {
            status_tx.send_replace(next);
            tokio::time::sleep(Duration::from_millis(10))
        };
        step(WatchStatus::Live).await;
        for attempt in 1..=3 {
            step(WatchStatus::Retrying {
                attempt,
                error: "Docker unreachable: no socket".into(),
            })
            .await;
        }
        step(WatchStatus::Live).await;
        step(WatchStatus::Stopped).await;
        drop(status_tx);
        task.await.unwrap();
        let mut said = Vec::new();
        while let Ok(notice) = notices.try_recv() {
            said.push((notice.trouble, notice.text));
        }
        assert_eq!(
            said,
            [
                (
                    true,
                    "the Docker event stream dropped (Docker unreachable: no socket); \
                     re-opening it, the container listing catches up then"
                        .to_string()
                ),
                (false, "the Docker event stream is open again".to_string()),
            ]
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let config = EventWatchConfig::default();
        let backoff = Backoff::new(config.backoff_min, config.backoff_max);
        assert_eq!(backoff.wait(1), Duration::from_millis(250));
        assert_eq!(backoff.wait(2), Duration::from_millis(500));
        assert_eq!(backoff.wait(5), Duration::from_secs(4));
        assert_eq!(backoff.wait(6), Duration::from_secs(5));
        assert_eq!(backoff.wait(u32::MAX), Duration::from_secs(5));
    }
}
