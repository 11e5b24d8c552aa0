//! A stand-in node for the Docker tests: prints `/lines.txt` (go-ycsb lines)
//! to stdout every second, advanced as a running go-ycsb would (`Takes(s)`
//! grows by one, `Count` by the line's own rate), a client-log line to
//! stderr, and exits
//! cleanly on SIGTERM (as PID 1 it must handle the signal itself, or Docker
//! would wait for the stop timeout and kill it).
//!
//! Built by the tests with `rustc -C target-feature=+crt-static` into a
//! static binary for a `FROM scratch` image: no registry needed.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" {
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
}

extern "C" fn on_sigterm(_: i32) {
    STOP.store(true, Ordering::SeqCst);
}

const SIGTERM: i32 = 15;

fn main() {
    // SAFETY: installs a handler that only stores to an atomic.
    unsafe {
        signal(SIGTERM, on_sigterm);
    }
    let path = std::env::var("FAKENODE_LINES").unwrap_or_else(|_| "/lines.txt".to_string());
    let lines = std::fs::read_to_string(path).unwrap_or_default();
    let mut round = 0u64;
    loop {
        let mut out = std::io::stdout().lock();
        for line in lines.lines() {
            let _ = writeln!(out, "{}", advance(line, round + 1));
        }
        let _ = out.flush();
        drop(out);
        eprintln!("[2022/04/07 10:00:{:02}.000 +00:00] [INFO] [client.go:754] [\"fake client log\"] [round={round}]", round % 60);
        for _ in 0..10 {
            if STOP.load(Ordering::SeqCst) {
                println!("fakenode: SIGTERM received, stopping");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        round += 1;
    }
}

/// The go-ycsb line as it would read after `seconds`: cumulative count at
/// the line's own rate (`Count / Takes(s)`), everything else as written.
fn advance(line: &str, seconds: u64) -> String {
    let field = |key: &str| -> Option<f64> {
        let start = line.find(key)? + key.len();
        let rest = &line[start..];
        rest[..rest.find(',').unwrap_or(rest.len())].trim().parse().ok()
    };
    let (Some(takes), Some(count)) = (field("Takes(s): "), field("Count: ")) else {
        return line.to_string();
    };
    if takes <= 0.0 {
        return line.to_string();
    }
    let new_count = (count / takes * seconds as f64).round() as u64;
    line.replacen(&format!("Takes(s): {takes:.1}"), &format!("Takes(s): {seconds}.0"), 1)
        .replacen(&format!("Count: {count}"), &format!("Count: {new_count}"), 1)
}
