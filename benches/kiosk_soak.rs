//! The booth soak: kiosk passes in a row on the simulator, on paused tokio
//! time (so simulated hours pass in seconds), with the journal written to a
//! file as the binary writes it. Prints the loop count, the wall time, the
//! resident memory at pass 10 and at the last pass, and the journal's size
//! per pass. `cargo bench --bench kiosk_soak [-- PASSES]` (default 1000).

use std::time::Instant;

use chaosdeck::app::{App, Mode, Msg};
use chaosdeck::clock::ShowClock;
use chaosdeck::show::{Change, Frontend};
use chaosdeck::state::journal_file::{JournalFile, Rotation};
use chaosdeck::story::default_script;
use chaosdeck::testing;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Resident memory of this process, in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

struct Soak {
    leave: testing::LeaveAfter,
    rss_at_10: Option<u64>,
    unhealthy: u64,
    seen: u64,
    started: Instant,
}

impl Frontend for Soak {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {
        self.leave.input(tx);
    }

    fn changed(&mut self, app: &App, _change: Change) {
        let board = &app.scoreboard();
        if board.passes > self.seen {
            self.seen = board.passes;
            self.unhealthy = board.passes - board.healthy_passes;
            if board.passes == 10 {
                self.rss_at_10 = Some(rss_kib());
            }
            if board.passes % 100 == 0 {
                eprintln!(
                    "pass {:>5}  {:>6.1}s wall  RSS {:>6} KiB",
                    board.passes,
                    self.started.elapsed().as_secs_f64(),
                    rss_kib()
                );
            }
        }
        self.leave.changed(app);
    }
}

fn main() {
    let passes: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    // CHAOSDECK_SOAK_KEEP=DIR keeps the journal there (for `report`'s
    // figures on a long run); otherwise it is removed at the end.
    let kept = std::env::var_os("CHAOSDECK_SOAK_KEEP").map(std::path::PathBuf::from);
    let dir = kept.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("chaosdeck-soak-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let journal_path = dir.join("journal.jsonl");
    // One file, never rotated here, so its size per pass can be read.
    let rotation = Rotation {
        max_bytes: u64::MAX,
        max_files: 1,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let started = Instant::now();
    let soak = runtime.block_on(async {
        let clock = ShowClock::start(1.0);
        let backend = testing::sim_backend(42, clock).await;
        let mut config = testing::config(default_script(), Mode::Kiosk);
        config.seed = 42;
        let mut app = App::new(config);
        let mut show = testing::instant_show(backend, clock);
        show.journal = Some(JournalFile::open(&journal_path, rotation).unwrap());
        let mut soak = Soak {
            leave: testing::LeaveAfter::new(passes),
            rss_at_10: None,
            unhealthy: 0,
            seen: 0,
            started,
        };
        show.run(&mut app, &mut soak).await;
        (soak, clock.now())
    });
    let wall = started.elapsed();
    let (soak, show_time) = soak;
    let journal = std::fs::metadata(&journal_path).map_or(0, |m| m.len());
    println!(
        "kiosk soak: {} passes ({} unhealthy)",
        soak.seen, soak.unhealthy
    );
    println!(
        "  show time {:.1} h, wall time {:.1} s ({:.0} ms per pass)",
        show_time.as_secs_f64() / 3600.0,
        wall.as_secs_f64(),
        wall.as_secs_f64() * 1000.0 / soak.seen.max(1) as f64
    );
    println!(
        "  RSS at pass 10: {} KiB, at pass {}: {} KiB",
        soak.rss_at_10.unwrap_or(0),
        soak.seen,
        rss_kib()
    );
    println!(
        "  journal: {} bytes, {} bytes per pass",
        journal,
        journal / soak.seen.max(1)
    );
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
