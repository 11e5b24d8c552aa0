//! Text from the world (PD, Docker, load logs, chapters files, engine
//! errors) is cleaned once, where it enters, by [`clean`]: nothing that could
//! move the cursor, recolour the terminal or reorder a line ever reaches the
//! full screen, plain output or `doctor`.

pub mod clean;
pub mod words;

pub use clean::{clean_line, clean_text, excerpt, is_unsafe};
pub use words::{clock, count, span};
