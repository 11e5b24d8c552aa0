//! Everything that reads the world's text: PD's bodies and metrics, go-ycsb
//! and Java YCSB output, the log follower. One test binary for the parsers.

mod hostile_inputs;
mod hostile_properties;
mod pd_client;
mod pd_hostile;
mod pd_mapping;
mod pd_metrics;
mod pd_parsers_never_panic;
mod recording_lines;
mod script_rejections;
mod workload_follow;
mod workload_hostile;
mod workload_parsers;
mod workload_tracker;
