//! A state directory of its own for every run of the binary. chaosdeck
//! takes one lock per state directory, so runs that share the user's
//! default would refuse each other when tests run side by side; and a
//! test has no business writing to the user's real ledger and journal.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A new, empty folder to serve as `$XDG_STATE_HOME` for one run.
pub fn fresh_state_home() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("chaosdeck-test-state-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary state home");
    dir
}
