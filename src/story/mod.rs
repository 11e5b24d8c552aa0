//! The story: chapters (from `assets/chapters.toml` or `--script`) and what
//! their actions do.

pub mod chapter;

pub use chapter::{
    Action, Chapter, Script, ScriptError, Target, default_script, load_script, parse_script,
};
