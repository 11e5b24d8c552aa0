//! chaosdeck: a live chaos-engineering demo of a TiKV cluster in the terminal.
//!
//! The pieces, from the edge inwards: [`cluster`] (the backend trait, the
//! built-in simulator and the real Docker-plus-PD backend), [`workload`] (load
//! samples and their parsers), [`monitor`] (invariants into incidents),
//! [`agent`] (the diagnosis), [`story`] (chapters), [`app`] (state and
//! `update`), [`ui`] (the pure `view`), [`show`] (the loop that owns the app)
//! with its two front ends, [`tui`] and [`plain`], and what the world outside
//! hears of it ([`supervision`]: systemd's watchdog, `/metrics`, `/healthz`).

pub mod agent;
pub mod app;
pub mod backoff;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod doctor;
pub mod faults;
pub mod heal;
pub mod incident;
pub mod launch;
pub mod monitor;
pub mod plain;
pub mod replay;
pub mod report;
pub mod show;
pub mod standin;
pub mod state;
pub mod story;
pub mod supervise;
pub mod supervision;
pub mod testing;
pub mod text;
pub mod tui;
pub mod ui;
pub mod units;
pub mod workload;
