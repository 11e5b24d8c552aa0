//! Heal at start: before the story starts, what the fault ledger says an
//! earlier run left on this cluster, and what the cluster shows left faulted
//! (TiKV nodes exited, paused or cut off), healed unless told not to. Other
//! clusters' ledger entries are kept for their own next start.
//!
//! A chaosdeck still running on this cluster holds its lock, so this never
//! runs beside it (see `state::lock`): what it finds is truly left behind.

use std::time::Duration;

use crate::app::{Kind, Level};
use crate::cluster::health::{self, Leftover};
use crate::cluster::{BackendError, ClusterBackend, ClusterSnapshot, ClusterSource};
use crate::faults::Expected;
use crate::state::ledger::{LedgerEntry, LedgerFile, LedgerRead};

/// How long start-up waits for the cluster's picture and for each heal.
const STARTUP_WAIT: Duration = Duration::from_secs(15);

/// One thing start-up tells the presenter, and journals as `kind`.
#[derive(Debug, Clone, PartialEq)]
pub struct Told {
    pub level: Level,
    pub kind: Kind,
    pub text: String,
}

fn note(level: Level, text: String) -> Told {
    Told {
        level,
        kind: Kind::Note,
        text: format!("start-up: {text}"),
    }
}

/// Reads the ledger, heals what was left (unless `heal` is false) and
/// returns what to tell the presenter, in order.
pub async fn heal_at_start(
    backend: &dyn ClusterBackend,
    ledger: &LedgerFile,
    heal: bool,
) -> Vec<Told> {
    let mut told = Vec::new();
    let ours = read_ledger(ledger, &backend.source(), &mut told);
    let Some(snapshot) = startup_snapshot(backend, &mut told).await else {
        return told;
    };
    let mut leftovers = health::leftovers(&snapshot);
    leftovers.extend(
        ours.as_ref()
            .and_then(|entry| unseen_leftover(entry, &leftovers)),
    );
    let all_healed = heal_leftovers(backend, &leftovers, ours.as_ref(), heal, &mut told).await;
    if let Some(entry) = ours {
        if !leftovers.iter().any(|l| l.service == entry.service) {
            told.push(note(
                Level::Info,
                format!("{} shows no {} any more", entry.service, entry.fault),
            ));
        }
        if all_healed && heal {
            let _ = ledger.clear(&entry.cluster);
        }
    }
    told
}

/// The ledger's fault, where it is one the runtime's process states do not
/// show (a slow store runs and is connected): only the ledger knows it is
/// there, and what to put back.
fn unseen_leftover(entry: &LedgerEntry, seen: &[Leftover]) -> Option<Leftover> {
    let kind = entry.fault.kind();
    if kind.expects(Expected::RuntimeEvent) || seen.iter().any(|l| l.service == entry.service) {
        return None;
    }
    Some(Leftover {
        service: entry.service.clone(),
        recovery: kind.recovery(),
        why: format!("{} by the earlier run ({})", kind.past(), entry.fault),
    })
}

/// What the ledger says; returns this cluster's entry, if any. A damaged
/// ledger is renamed aside; a dead simulator's entry is dropped; other
/// clusters' entries are kept as they are.
fn read_ledger(
    ledger: &LedgerFile,
    source: &ClusterSource,
    told: &mut Vec<Told>,
) -> Option<LedgerEntry> {
    let entries = match ledger.read() {
        LedgerRead::Faults(entries) => entries,
        LedgerRead::Damaged(why) => {
            told.push(match ledger.set_aside() {
                Ok(aside) => note(
                    Level::Warning,
                    format!("{why}: set aside as {}", aside.display()),
                ),
                Err(e) => note(
                    Level::Critical,
                    format!("{why}, and it cannot be set aside: {e}"),
                ),
            });
            return None;
        }
    };
    let cluster = source.to_string();
    let mut ours = None;
    for entry in entries {
        let what = format!("a {} of {}", entry.fault, entry.service);
        if entry.cluster == cluster && *source == ClusterSource::Sim {
            told.push(note(
                Level::Info,
                format!(
                    "the ledger names {what} from a run that ended without recovering it ({}): the simulated cluster went with that process, nothing to heal",
                    entry.at
                ),
            ));
            let _ = ledger.clear(&entry.cluster);
        } else if entry.cluster != cluster {
            told.push(note(
                Level::Warning,
                format!(
                    "the ledger names {what} on another cluster ({}): kept for that cluster's next start",
                    entry.cluster
                ),
            ));
        } else {
            told.push(note(
                Level::Warning,
                format!(
                    "the ledger says an earlier run left {what} in place ({})",
                    entry.at
                ),
            ));
            ours = Some(entry);
        }
    }
    ours
}

async fn startup_snapshot(
    backend: &dyn ClusterBackend,
    told: &mut Vec<Told>,
) -> Option<ClusterSnapshot> {
    match tokio::time::timeout(STARTUP_WAIT, backend.snapshot()).await {
        Ok(Ok(snapshot)) => Some(snapshot),
        Ok(Err(e)) => {
            told.push(note(
                Level::Critical,
                format!("cannot check the cluster for faults left behind: {e}"),
            ));
            None
        }
        Err(_) => {
            told.push(note(
                Level::Critical,
                format!(
                    "the cluster did not answer within {}: cannot check it for faults left behind",
                    crate::app::timeline::secs(STARTUP_WAIT)
                ),
            ));
            None
        }
    }
}

/// Heals each leftover in turn (or only says it, without `heal`); true
/// when every one is healed.
async fn heal_leftovers(
    backend: &dyn ClusterBackend,
    leftovers: &[Leftover],
    ledger: Option<&LedgerEntry>,
    heal: bool,
    told: &mut Vec<Told>,
) -> bool {
    let mut all_healed = true;
    for leftover in leftovers {
        let (service, recovery) = (&leftover.service, leftover.recovery);
        if !heal {
            told.push(note(
                Level::Warning,
                format!(
                    "{service} {}: not healed (--no-heal); `{recovery}` would undo it",
                    leftover.why
                ),
            ));
            all_healed = false;
            continue;
        }
        // What the ledger says the fault changed, where it names this node.
        let before = ledger
            .filter(|entry| entry.service == *service)
            .and_then(|entry| entry.before.as_ref());
        let outcome =
            tokio::time::timeout(STARTUP_WAIT, backend.recover(recovery, service, before)).await;
        let (ok, text) = match outcome {
            Ok(Ok(()) | Err(BackendError::NothingToRecover { .. })) => (
                true,
                format!(
                    "healed {service} ({recovery}) at start-up: {}",
                    leftover.why
                ),
            ),
            Ok(Err(e)) => (false, format!("could not heal {service}: {e}")),
            Err(_) => (
                false,
                format!(
                    "healing {service} did not answer within {}",
                    crate::app::timeline::secs(STARTUP_WAIT)
                ),
            ),
        };
        all_healed &= ok;
        told.push(Told {
            level: if ok { Level::Good } else { Level::Critical },
            kind: Kind::Recovery {
                recovery,
                service: service.clone(),
                ok,
                by: Some(crate::app::Undoer::StartUp),
            },
            text: format!("start-up: {text}"),
        });
    }
    all_healed
}
