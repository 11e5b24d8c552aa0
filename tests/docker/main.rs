//! Against the real Docker engine, with stand-in images the tests build.
//! One test binary for Docker.

mod support;

mod docker_backend;
mod docker_control;
mod heal_at_start;
mod record_evals;
mod truth;
