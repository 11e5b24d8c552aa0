//! The booth under supervision, in process: `/metrics` folds the journal to
//! the scoreboard's own figures, `/healthz` answers from what the loop
//! publishes (503 once the loop is stuck), and clients that hold their
//! connections open or ask for too much never delay the show's frames.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chaosdeck::app::{App, Mode, Msg};
use chaosdeck::clock::ShowClock;
use chaosdeck::show::{Change, Frames, Frontend};
use chaosdeck::story::default_script;
use chaosdeck::supervision::Supervision;
use chaosdeck::supervision::server::{self, Board, HEAD_LIMIT, MAX_CONNECTIONS, READ_DEADLINE};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use chaosdeck::testing::{self, http};

/// Counts frames (one per change) and when each came; leaves after
/// `passes`; blocks its thread while `stuck` is set (a show whose loop is
/// stuck in a call that never returns).
struct Stage {
    frames: Frames,
    times: Arc<Mutex<Vec<Instant>>>,
    leave: testing::LeaveAfter,
    stuck: Arc<AtomicBool>,
}

impl Stage {
    fn new(passes: u64) -> Self {
        Self {
            frames: Frames::default(),
            times: Arc::default(),
            leave: testing::LeaveAfter::new(passes),
            stuck: Arc::default(),
        }
    }
}

impl Frontend for Stage {
    fn spawn_input(&mut self, tx: mpsc::Sender<Msg>, _cancel: CancellationToken) {
        self.leave.input(tx);
    }

    fn changed(&mut self, app: &App, _change: Change) {
        while self.stuck.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.frames.drawn += 1;
        self.frames.last = Some(tokio::time::Instant::now());
        self.times.lock().unwrap().push(Instant::now());
        self.leave.changed(app);
    }

    fn frames(&self) -> Frames {
        self.frames
    }
}

fn sample(text: &str, name: &str) -> f64 {
    http::sample(text, name).unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[tokio::test(start_paused = true)]
async fn the_metrics_of_two_kiosk_passes_are_the_scoreboards_figures() {
    let clock = ShowClock::start(1.0);
    let backend = testing::sim_backend(5, clock).await;
    let mut app = App::new(testing::config(default_script(), Mode::Kiosk));
    let mut show = testing::instant_show(backend, clock);
    let (supervision, board) = Supervision::with_metrics(Instant::now());
    show.supervision = supervision;
    let mut stage = Stage::new(2);
    show.run(&mut app, &mut stage).await;

    let text = board.metrics.openmetrics(Instant::now(), None);
    let score = app.scoreboard();
    assert!(score.passes >= 2, "{score:?}");
    let passes = sample(&text, "chaosdeck_passes_total{outcome=\"healthy\"}")
        + sample(&text, "chaosdeck_passes_total{outcome=\"unhealthy\"}");
    assert_eq!(passes, score.passes as f64, "{text}");
    for kind in chaosdeck::cluster::FaultKind::ALL {
        let counted = score.faults.get(&kind).copied().unwrap_or(0);
        assert_eq!(
            sample(&text, &format!("chaosdeck_faults_total{{kind=\"{kind}\"}}")),
            counted as f64,
            "{kind}: {text}"
        );
    }
    assert_eq!(
        sample(&text, "chaosdeck_recovery_seconds_count"),
        score.recover.count() as f64
    );
    assert_eq!(
        sample(
            &text,
            "chaosdeck_detection_seconds_count{signal=\"process_event\"}"
        ),
        score.detect[&chaosdeck::monitor::Signal::ProcessEvent].count() as f64
    );
    assert_eq!(sample(&text, "chaosdeck_holds_total"), score.holds as f64);
    assert_eq!(
        sample(&text, "chaosdeck_frames_total"),
        stage.frames.drawn as f64
    );
    assert!(sample(&text, "chaosdeck_pass") >= 2.0, "{text}");
}

/// The server for `board` on a port of its own, and its address.
fn serve(board: Board) -> (server::Running, std::net::SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = server::start(Some(listener), None, board).unwrap();
    let addr = running.addr.unwrap();
    (running, addr)
}

fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let answer = http::get(addr, path, None).expect("an answer");
    (answer.status, answer.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_greedy_clients_never_delay_a_frame_and_a_stuck_loop_is_a_503() {
    let clock = ShowClock::start(50.0);
    let backend = testing::sim_backend(9, clock).await;
    let mut app = App::new(testing::config(default_script(), Mode::Kiosk));
    let mut show = testing::instant_show(backend, clock);
    let (supervision, board) = Supervision::with_metrics(Instant::now());
    show.supervision = supervision;
    let (_server, addr) = serve(board);
    let mut stage = Stage::new(u64::MAX);
    let times = Arc::clone(&stage.times);
    let stuck = Arc::clone(&stage.stuck);
    let show_task = tokio::spawn(async move {
        show.run(&mut app, &mut stage).await;
    });

    // Let the show come up, then hold every slot with clients that never
    // finish their request, and send an oversized head on top.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/healthz"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    let held_from = Instant::now();
    let slow: Vec<TcpStream> = (0..MAX_CONNECTIONS * 2)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /metrics HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    let oversized = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let _ = s.write_all(&vec![b'a'; HEAD_LIMIT * 4]);
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        answer.len()
    });
    tokio::time::sleep(READ_DEADLINE + Duration::from_millis(500)).await;
    let held_to = Instant::now();
    let longest_gap = {
        let times = times.lock().unwrap();
        let during: Vec<Instant> = times
            .iter()
            .copied()
            .filter(|t| *t >= held_from && *t <= held_to)
            .collect();
        assert!(during.len() >= 2, "the show drew while clients held on");
        during
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or_default()
    };
    // The heartbeat alone draws once a second; nothing waited on a client.
    assert!(
        longest_gap < Duration::from_millis(1500),
        "a frame waited {longest_gap:?} while clients held the server"
    );
    assert!(oversized.await.unwrap() <= 1024, "a short answer or none");
    drop(slow);
    // The slots are free again once the slow clients timed out.
    let (status, _) = tokio::task::spawn_blocking(move || get(addr, "/metrics"))
        .await
        .unwrap();
    assert_eq!(status, 200);

    // Once the loop sticks, /healthz says so within the stuck limit.
    stuck.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/healthz"))
            .await
            .unwrap();
        if status == 503 {
            assert!(body.contains("\"status\":\"stuck\""), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "never stuck: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stuck.store(false, Ordering::SeqCst);
    show_task.abort();
    let _ = show_task.await;
}
