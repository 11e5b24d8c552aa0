//! The release binary as a user runs it: plain mode, doctor, report, and the
//! full screen in tmux (the walkthrough and the fault matrix). One test
//! binary for the command line.

mod doctor_cli;
mod fault_matrix;
mod plain_mode;
mod tmux;
mod tmux_walkthrough;
