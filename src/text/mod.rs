//! The one vocabulary for text: how times and numbers are written, and how
//! text is cleaned.
//!
//! - [`clean`]: text from the world (PD, Docker, load logs, chapters files,
//!   engine errors) is cleaned once, where it enters: nothing that could
//!   move the cursor, recolour the terminal or reorder a line ever reaches
//!   the full screen, plain output or `doctor`; and text handed to a model
//!   is cleaned by the model's rules ([`for_model`]).
//! - [`time`]: the show clock, spans, seconds with one decimal, `T+` stamps.
//! - [`numbers`]: thousands separators, rates, percentages, counts.
//!
//! A leaf: it names no other module of the crate.

pub mod clean;
pub mod numbers;
pub mod time;

pub use clean::{clean_line, clean_text, excerpt, for_model, is_unsafe, quote_for_model};
pub use numbers::{and_list, count, ops_per_sec, percent, rates, thousands};
pub use time::{
    age, age_tenths, clock, hours_minutes, latency, restamp, seconds, secs, span, stamp, tenths,
    whole_secs,
};
