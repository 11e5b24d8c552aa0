//! One home for the units the world writes: durations (the command line,
//! chapters files, PD's Go durations), sizes (PD's `"4.071GiB"`) and
//! timestamps (RFC 3339 from PD and Docker, Java YCSB's local stamps).

pub mod duration;
pub mod serde_secs;
pub mod size;
pub mod timestamp;

pub use duration::{DurationError, MAX_DURATION, parse_duration};
pub use size::{SizeError, parse_size};
