//! Against the real Docker engine, with stand-in images the tests build.
//! One test binary for Docker.

mod support;

mod docker_backend;
mod docker_control;
mod end_to_end;
mod heal_at_start;
mod record_evals;
mod standin_project;
mod end_to_end_loop;
mod same_panel;
#[path = "../binary/tmux.rs"]
mod tmux;
