//! The story: chapters (from `assets/chapters.toml` or `--script`), what
//! their actions do, and the `[kiosk]` plan of the booth loop.

pub mod chapter;
pub mod kiosk_plan;

pub use chapter::{
    Action, Chapter, DetectUntil, Script, ScriptError, Target, default_script, load_script,
    parse_script,
};
pub use kiosk_plan::{Attract, KioskFault, KioskPlan};
