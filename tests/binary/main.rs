//! The release binary as a user runs it: plain mode, doctor, report, and the
//! full screen in tmux (the walkthrough and the fault matrix), and the booth
//! under supervision (systemd's notify socket, /metrics, /healthz). One test
//! binary for the command line.

mod doctor_cli;
mod doctor_hints;
mod fault_matrix;
mod hostile_cli;
mod leaving;
mod one_instance;
mod plain_mode;
mod replay_cli;
mod report_bounds;
mod report_html;
mod supervised;
mod tmux_walkthrough;
mod user_errors;
