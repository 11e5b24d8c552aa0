//! `chaosdeck report --html OUT.html`: the journals as one self-contained page.

use std::path::{Path, PathBuf};

/// Writes the page; the passes it shows, or why it could not.
pub fn write(_journals: &[PathBuf], _out: &Path) -> Result<usize, String> {
    Err("not yet".into())
}
