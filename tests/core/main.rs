//! The app, the story, the monitor, the agent, the simulator and the screen,
//! without a terminal or the world: one test binary for the core.

mod agent_builtin;
mod app_update;
mod doc_screens;
mod every_key;
mod headless_story;
mod hostile_world;
mod kiosk;
mod kiosk_keys;
mod leave_recovery;
mod monitor_incidents;
mod one_truth;
mod pd_failover;
mod replay;
mod sim_backend;
mod sim_load_figures;
mod sim_model;
mod sim_properties;
mod story_behaviour;
mod supervised_show;
mod top_speed;
mod ui_snapshots;
