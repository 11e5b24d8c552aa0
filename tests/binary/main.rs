//! The release binary as a user runs it: plain mode, doctor, and the full
//! screen in tmux. One test binary for the command line.

mod doctor_cli;
mod plain_mode;
mod tmux_walkthrough;
