//! Stand-in nodes for the end-to-end tests: a PD, TiKV stores and a load
//! generator that behave, as far as chaosdeck can see, like the real ones
//! at a faster pace, so `--cluster docker` can run the whole story against
//! real containers without PD's or TiKV's images (nothing can be pulled).
//!
//! `chaosdeck standin pd|tikv|load` (hidden from the help). The cluster's
//! shape is a [`StandinConfig`], which the launcher fills from the same
//! flags as the simulator's (`--stores`, `--regions`, `--seed`,
//! `--heartbeat-interval`, `--max-store-down-time`, `--pd`), and its regions
//! come from the simulator's bootstrap, so every node of a project given the
//! same flags agrees on the same cluster. Raft is
//! the simulator's ([`crate::cluster::sim::raft`]) and PD's book the
//! simulator's PD view ([`crate::cluster::pd_view`]): nothing is written twice.
//!
//! Each runs as PID 1 in a container: SIGTERM and SIGINT end it at once,
//! with exit code 0, as TiKV v8.5.1 stops (no leader handover).

pub mod cpu_gate;
pub mod http;
pub mod load;
pub mod pace;
pub mod pd;
pub mod replica;
pub mod tikv;
pub mod wire;
pub mod ycsb_lines;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use rand::SeedableRng;
use tokio_util::sync::CancellationToken;

use crate::cluster::pd::normalize_endpoint;
use crate::cluster::sim::topology::{Topology, bootstrap};
use pace::Pace;

/// The seed of a stand-in cluster when `--seed` is not given: every node
/// must bootstrap the same regions.
pub const DEFAULT_SEED: u64 = 1;

#[derive(Debug, Clone, Args)]
pub struct StandinArgs {
    #[command(subcommand)]
    pub role: Role,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Role {
    /// PD's HTTP API, from the stores' heartbeats (port 2379).
    Pd,
    /// A TiKV store (ports 20160 and 20180).
    Tikv(tikv::TikvArgs),
    /// A go-ycsb-like workload over the stores, printing go-ycsb's report.
    Load(load::LoadArgs),
}

/// The shape of a stand-in cluster, as plain values: what every node must
/// be given alike.
#[derive(Debug, Clone, PartialEq)]
pub struct StandinConfig {
    /// The seed of the regions' bootstrap ([`DEFAULT_SEED`] when none).
    pub seed: Option<u64>,
    pub stores: u8,
    pub regions: u32,
    pub heartbeat_interval: Duration,
    pub max_store_down_time: Duration,
    /// PD's client URLs, as given.
    pub pd: Vec<String>,
}

/// What every node of a stand-in cluster agrees on.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub pace: Pace,
    pub topology: Topology,
    pub max_store_down_time: Duration,
    pub pd: Vec<String>,
}

impl Cluster {
    pub fn new(config: &StandinConfig) -> Self {
        let seed = config.seed.unwrap_or(DEFAULT_SEED);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        Self {
            pace: Pace::new(config.heartbeat_interval),
            topology: bootstrap(config.stores, config.regions, &mut rng),
            max_store_down_time: config.max_store_down_time,
            pd: config.pd.clone(),
        }
    }
}

/// `--pd` as `http://host:port`, or why not.
fn pd_urls(pd: &[String]) -> Result<Vec<String>, String> {
    pd.iter()
        .map(|endpoint| normalize_endpoint(endpoint).map_err(|e| e.to_string()))
        .collect()
}

/// Runs the role until it fails or a signal ends it.
pub fn run(args: &StandinArgs, config: &StandinConfig) -> ExitCode {
    let cluster = Cluster::new(config);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("chaosdeck standin: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let cancel = CancellationToken::new();
        let role = async {
            match &args.role {
                Role::Pd => pd::run(&cluster, cancel.clone()).await,
                Role::Tikv(tikv) => tikv::run(tikv, &cluster, cancel.clone()).await,
                Role::Load(load) => load::run(load, &cluster, cancel.clone()).await,
            }
        };
        tokio::select! {
            outcome = role => outcome,
            signal = stop_signal() => {
                println!("[INFO] {signal} received, stopping");
                cancel.cancel();
                Ok(())
            }
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chaosdeck standin: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The first of SIGTERM and SIGINT. As PID 1 the process gets no default
/// handler for either: without this, `docker stop` would wait and kill.
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
