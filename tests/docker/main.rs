//! Against the real Docker engine, with stand-in images the tests build.
//! One test binary for Docker.

mod support;

mod compose_file;
mod docker_backend;
mod docker_control;
mod doctor_probe;
mod doctor_states;
mod end_to_end;
mod end_to_end_loop;
mod heal_at_start;
mod proved_kinds;
mod record_evals;
mod same_panel;
mod standin_project;
mod truth;
