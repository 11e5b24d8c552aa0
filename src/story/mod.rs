//! The story: chapters (from `assets/chapters.toml`, a built-in story by
//! name, or `--script FILE`), what
//! their actions do, and the `[kiosk]` plan of the booth loop.

pub mod builtin;
pub mod chapter;
pub mod kiosk_plan;

pub use builtin::load_script;
pub use chapter::{
    Action, Chapter, DetectUntil, Script, ScriptError, Target, default_script, load_file,
    parse_script,
};
pub use kiosk_plan::{Attract, KioskFault, KioskPlan};
