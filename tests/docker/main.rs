//! Against the real Docker engine, with stand-in images the tests build.
//! One test binary for Docker.

#[allow(dead_code)]
#[path = "../support/state_home.rs"]
mod state_home;
mod support;

mod compose_file;
mod docker_backend;
mod docker_control;
mod doctor_probe;
mod doctor_states;
mod end_to_end;
mod end_to_end_loop;
mod heal_at_start;
mod record_evals;
mod same_panel;
mod standin_project;
#[allow(dead_code)]
#[path = "../binary/tmux.rs"]
mod tmux;
mod truth;
