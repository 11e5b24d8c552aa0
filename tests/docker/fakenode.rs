//! A stand-in node for the Docker tests: prints `/lines.txt` (go-ycsb-like
//! lines) to stdout and a client-log line to stderr every second, and exits
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
    let lines = std::fs::read_to_string("/lines.txt").unwrap_or_default();
    let mut round = 0u64;
    loop {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(lines.as_bytes());
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
