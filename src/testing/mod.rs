//! Scenario builders for the tests and the benches, compiled only with the
//! `testing` feature (the package's dev-dependency on itself turns it on).
//!
//! One place builds each scene, so a test and a bench that say "a healthy
//! cluster" or "tikv1 killed" mean the same one:
//!
//! - the cluster: [`healthy`], [`after_kill`], a workload
//!   [`sample`], a [`simulator`], the fault and event of a kill ([`kill`],
//!   [`died`]);
//! - the app: its [`config`] (the one `AppConfig` written outside
//!   `src/app`) and [`one_pass_config`], [`default_app`], [`app_with`] a
//!   story, [`put_fault`] for a fault in place, the dashboard's scenes
//!   [`under_load`], [`after_the_kill`] and [`diagnosed`] (the render
//!   bench's busy screen), and the named [`stories`];
//! - the show: [`sim_backend`], [`instant_show`], [`show_with`], and
//!   [`LeaveAfter`] for a front end that ends it after some passes, and
//!   the [`Rig`]: the app and the simulator in one synchronous loop;
//! - the Docker backend's test configuration, [`docker_config`];
//! - the stand-ins and harnesses the test binaries share: [`fake_pd`],
//!   [`state_home`], [`tmux`], and [`http`] for `/metrics` and `/healthz`.
//!
//! Assertions stay with the tests: these only build.
#![cfg(feature = "testing")]

mod apps;
mod cluster;
mod docker;
pub mod fake_pd;
pub mod http;
mod rig;
mod shows;
pub mod state_home;
pub mod stories;
pub mod tmux;

pub use apps::*;
pub use cluster::*;
pub use docker::*;
pub use rig::*;
pub use shows::*;
