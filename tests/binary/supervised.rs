//! The release binary under supervision, as systemd and Prometheus see it:
//! the notify protocol on a real datagram socket (READY, watchdog pings at
//! least twice as often as `WATCHDOG_USEC` asks and none once the loop is
//! stuck, STATUS, STOPPING), a restart after SIGKILL mid-fault that heals
//! and says why, `/metrics` checked by `promtool`, `/healthz`, the options
//! refused before anything starts, and the unit file verified.
//!
//! promtool and systemd-analyze may be missing: those checks skip, saying
//! so, unless `CHAOSDECK_REQUIRE_PROMTOOL=1` (as in CI) makes a missing
//! promtool a failure.

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use chaosdeck::testing::http::{self, free_addr, sample};
use chaosdeck::testing::state_home::fresh_state_home;

const WAIT: Duration = Duration::from_secs(60);

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chaosdeck"))
}

/// A datagram socket standing in for systemd's, each message with the time
/// it came.
struct NotifySocket {
    path: PathBuf,
    socket: UnixDatagram,
    heard: Vec<(Instant, String)>,
}

impl NotifySocket {
    fn bind(dir: &Path) -> Self {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Self {
            path,
            socket,
            heard: Vec::new(),
        }
    }

    /// Listens for `how_long`, keeping every message.
    fn listen(&mut self, how_long: Duration) {
        let until = Instant::now() + how_long;
        let mut buffer = [0u8; 4096];
        while Instant::now() < until {
            if let Ok(n) = self.socket.recv(&mut buffer) {
                let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                self.heard.push((Instant::now(), text));
            }
        }
    }

    /// Listens until a message holds `what`, or fails saying what came.
    fn until(&mut self, what: &str, child: &mut Child) -> Instant {
        let start = Instant::now();
        loop {
            if let Some((at, _)) = self.heard.iter().find(|(_, m)| m.contains(what)) {
                return *at;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "chaosdeck exited ({status}) before {what}: {:?}",
                    self.heard
                );
            }
            assert!(start.elapsed() < WAIT, "no {what} in {:?}", self.heard);
            self.listen(Duration::from_millis(100));
        }
    }

    fn pings(&self) -> Vec<Instant> {
        self.heard
            .iter()
            .filter(|(_, m)| m.lines().any(|l| l == "WATCHDOG=1"))
            .map(|(at, _)| *at)
            .collect()
    }
}

/// The kiosk in plain mode, as a headless booth runs it, in `dir`.
fn kiosk(dir: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command
        .args(["--plain", "--kiosk", "--speed", "20", "--seed", "4"])
        .arg("--state-dir")
        .arg(dir)
        .arg("--log-file")
        .arg(dir.join("log"))
        .args(extra)
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Starts `command`, its standard output going to `out`.
fn start(mut command: Command, out: &Path) -> Child {
    let file = std::fs::File::create(out).unwrap();
    command.stdout(file).spawn().expect("chaosdeck starts")
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: a signal to our own child, which has not been reaped.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < WAIT, "chaosdeck did not leave");
        sleep(Duration::from_millis(50));
    }
}

fn healthz(addr: SocketAddr) -> Option<serde_json::Value> {
    let answer = http::get(addr, "/healthz", None)?;
    let mut value: serde_json::Value = serde_json::from_str(&answer.body).ok()?;
    value["http_status"] = answer.status.into();
    Some(value)
}

/// Waits until `/healthz` answers and `check` holds for it.
fn wait_health(
    addr: SocketAddr,
    child: &mut Child,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = Instant::now();
    let mut last = None;
    loop {
        if let Some(health) = healthz(addr) {
            if check(&health) {
                return health;
            }
            last = Some(health);
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("chaosdeck exited ({status}) before {what}; last /healthz: {last:?}");
        }
        assert!(start.elapsed() < WAIT, "no {what}; last /healthz: {last:?}");
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn systemd_hears_ready_pings_while_the_loop_turns_and_none_once_it_is_stuck() {
    let dir = fresh_state_home();
    let mut socket = NotifySocket::bind(&dir);
    let addr = free_addr();
    let mut command = kiosk(&dir, &["--metrics-addr", &addr.to_string()]);
    command
        .env("NOTIFY_SOCKET", &socket.path)
        // A 600 ms period: pings must come at least every 300 ms.
        .env("WATCHDOG_USEC", "600000")
        .env("CHAOSDECK_TEST_STALL", "4");
    let mut child = start(command, &dir.join("out"));

    let ready = socket.until("READY=1", &mut child);
    let status = socket
        .heard
        .iter()
        .find_map(|(_, m)| m.lines().find(|l| l.starts_with("STATUS=")))
        .map(str::to_string);
    assert!(
        status
            .as_deref()
            .is_some_and(|s| s.starts_with("STATUS=pass 1 · chapter ")),
        "{:?}",
        socket.heard
    );
    // The loop sticks 4 s after its first turn; listen well past it.
    socket.listen(Duration::from_secs(7));
    let pings = socket.pings();
    let before: Vec<Instant> = pings.iter().copied().filter(|t| *t >= ready).collect();
    assert!(before.len() >= 6, "{} pings after READY", before.len());
    let longest = before
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    assert!(
        longest <= Duration::from_millis(300),
        "a ping came {longest:?} after the one before (WATCHDOG_USEC asks for 600 ms)"
    );
    // Stuck: the last ping is long past, though the process lives.
    let last = *pings.last().unwrap();
    assert!(
        last.elapsed() > Duration::from_secs(2),
        "pings went on from a stuck loop: the last {:?} ago",
        last.elapsed()
    );
    assert!(child.try_wait().unwrap().is_none(), "the process lives on");
    // /healthz, served beside the loop, says it is stuck.
    let health = wait_health(addr, &mut child, "a stuck loop", |h| h["status"] == "stuck");
    assert_eq!(health["http_status"], 503, "{health}");
    signal(&child, libc::SIGKILL);
    wait_exit(&mut child);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_restart_after_sigkill_mid_fault_heals_says_why_and_the_booth_goes_on() {
    let dir = fresh_state_home();
    let addr = free_addr();
    let metrics = ["--metrics-addr".to_string(), addr.to_string()];
    let metrics: Vec<&str> = metrics.iter().map(String::as_str).collect();

    // The first run, killed on the spot while its fault is in place.
    let mut first = start(kiosk(&dir, &metrics), &dir.join("first"));
    let health = wait_health(addr, &mut first, "a fault in place", |h| {
        h["fault_in_place"].is_string()
    });
    assert_eq!(health["http_status"], 200, "{health}");
    assert_eq!(health["status"], "ok", "{health}");
    let pid = first.id();
    signal(&first, libc::SIGKILL);
    wait_exit(&mut first);
    assert!(dir.join("fault-ledger.json").exists(), "the ledger kept it");

    // systemd starts it again.
    let mut socket = NotifySocket::bind(&dir);
    let mut command = kiosk(&dir, &metrics);
    command.env("NOTIFY_SOCKET", &socket.path);
    let mut second = start(command, &dir.join("second"));
    socket.until("READY=1", &mut second);
    let health = wait_health(addr, &mut second, "the booth again", |h| {
        h["status"] == "ok"
    });
    assert_eq!(health["pass"], 1, "{health}");
    let out = std::fs::read_to_string(dir.join("second")).unwrap();
    let said = format!("the previous run, pid {pid} (started ");
    assert!(
        out.contains(&said) && out.contains("ended without leaving cleanly"),
        "{out}"
    );
    // On the simulator the fault went with the process: the ledger says so
    // and is cleared.
    assert!(out.contains("the ledger names a "), "{out}");
    assert!(!dir.join("fault-ledger.json").exists());
    let text = http::get(addr, "/metrics", None).unwrap().body;
    assert_eq!(
        sample(
            &text,
            "chaosdeck_restarts_total{previous=\"ended_uncleanly\"}"
        ),
        Some(1.0),
        "{text}"
    );
    promtool_accepts(&text);

    // systemctl stop: STOPPING=1, and the fault recovered before leaving.
    signal(&second, libc::SIGTERM);
    socket.until("STOPPING=1", &mut second);
    assert_eq!(wait_exit(&mut second).code(), Some(143));

    // The report counts the restart the metrics counted.
    let report = Command::new(binary())
        .args(["report", "--state-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&report.stdout);
    assert!(table.contains("restarts 1 (1 unclean)"), "{table}");

    // A third start finds a run that left cleanly.
    let mut third = start(kiosk(&dir, &[]), &dir.join("third"));
    let start_at = Instant::now();
    let third_out = loop {
        let out = std::fs::read_to_string(dir.join("third")).unwrap_or_default();
        if out.contains("left cleanly at") {
            break out;
        }
        assert!(start_at.elapsed() < WAIT, "{out}");
        sleep(Duration::from_millis(100));
    };
    assert!(third_out.contains("(exit code 143)"), "{third_out}");
    signal(&third, libc::SIGTERM);
    wait_exit(&mut third);
    let _ = std::fs::remove_dir_all(&dir);
}

/// promtool is in Debian's `prometheus` package.
fn promtool_available() -> bool {
    let found = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("CHAOSDECK_REQUIRE_PROMTOOL").is_ok_and(|v| v == "1") {
            panic!("promtool is required (CHAOSDECK_REQUIRE_PROMTOOL=1) but was not found");
        }
        eprintln!("SKIP promtool check: promtool not found (apt-get install prometheus)");
    }
    found
}

fn promtool_accepts(text: &str) {
    if !promtool_available() {
        return;
    }
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn metrics_pass_promtool_and_speak_openmetrics_to_prometheus() {
    let dir = fresh_state_home();
    let addr = free_addr();
    let textfile = dir.join("chaosdeck.prom");
    let mut child = start(
        kiosk(
            &dir,
            &[
                "--metrics-addr",
                &addr.to_string(),
                "--metrics-textfile",
                textfile.to_str().unwrap(),
            ],
        ),
        &dir.join("out"),
    );
    wait_health(addr, &mut child, "the loop turning", |h| {
        h["status"] == "ok"
    });
    let classic = http::get(addr, "/metrics", None).unwrap();
    assert_eq!(classic.status, 200);
    assert!(
        classic
            .content_type
            .starts_with("text/plain; version=0.0.4"),
        "{}",
        classic.content_type
    );
    promtool_accepts(&classic.body);
    let open = http::get(
        addr,
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"),
    )
    .unwrap();
    assert!(
        open.content_type
            .starts_with("application/openmetrics-text; version=1.0.0"),
        "{}",
        open.content_type
    );
    assert!(open.body.ends_with("# EOF\n"), "{}", open.body);
    assert!(
        open.body.contains("# TYPE chaosdeck_passes counter")
            && open
                .body
                .contains("# UNIT chaosdeck_uptime_seconds seconds"),
        "{}",
        open.body
    );
    // Nothing else is served; a method other than GET or HEAD is refused.
    assert_eq!(http::get(addr, "/", None).unwrap().status, 404);
    // The textfile is written at start, whole.
    let written = std::fs::read_to_string(&textfile).unwrap();
    assert!(
        written.contains("# TYPE chaosdeck_frames_total counter"),
        "{written}"
    );
    promtool_accepts(&written);
    signal(&child, libc::SIGTERM);
    assert_eq!(wait_exit(&mut child).code(), Some(143));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_metrics_address_open_to_others_or_taken_is_refused_before_anything_starts() {
    let dir = fresh_state_home();
    let out = kiosk(&dir, &["--metrics-addr", "0.0.0.0:9464"])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("--metrics-addr 0.0.0.0:9464 is not a loopback address"),
        "{said}"
    );
    assert!(!dir.join("journal.jsonl").exists(), "nothing started");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = kiosk(&dir, &["--metrics-addr", &addr])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("--metrics-addr {addr}: cannot listen there")),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_unit_file_passes_systemd_analyze_verify() {
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/systemd/chaosdeck-kiosk.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    for line in [
        "Type=notify",
        "WatchdogSec=30",
        "Restart=always",
        "TTYPath=/dev/tty1",
        "StandardInput=tty",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "StateDirectory=chaosdeck",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line} in the unit");
    }
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIP systemd-analyze verify: systemd-analyze not found");
        return;
    }
    // Verified with this build in the installed binary's place: verify
    // checks that the command exists.
    let dir = fresh_state_home();
    let copy = dir.join("chaosdeck-kiosk.service");
    std::fs::write(
        &copy,
        text.replace("/usr/local/bin/chaosdeck", binary().to_str().unwrap()),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// All of a counter's series added up.
fn total(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter(|l| l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn the_full_screen_kiosk_in_tmux_counts_a_pass_on_its_metrics() {
    use chaosdeck::testing::tmux::{Session, tmux_available};
    if !tmux_available() {
        return;
    }
    let addr = free_addr();
    let log = std::env::temp_dir().join(format!("chaosdeck-metrics-{}.log", std::process::id()));
    let command = format!(
        "{} --kiosk --speed 50 --seed 6 --metrics-addr {addr} --log-file {}; echo \"chaosdeck exited with $?\"; sleep 30",
        binary().display(),
        log.display()
    );
    let tmux = Session::start("metrics", &command, 120, 40);
    tmux.wait_for("the kiosk", WAIT, |s| s.contains("KIOSK"));
    let scrape = || {
        http::get(addr, "/metrics", None)
            .filter(|a| a.status == 200)
            .map(|a| a.body)
    };
    let start = Instant::now();
    let first = loop {
        if let Some(text) = scrape() {
            break text;
        }
        assert!(start.elapsed() < WAIT, "no /metrics");
        sleep(Duration::from_millis(100));
    };
    let passes = total(&first, "chaosdeck_passes_total");
    // Across a pass: the next scrape that has counted one more.
    let second = loop {
        let text = scrape().expect("/metrics answers while the kiosk runs");
        if total(&text, "chaosdeck_passes_total") > passes {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "no pass ended; the screen:\n{}",
            tmux.screen(false)
        );
        sleep(Duration::from_millis(250));
    };
    for counter in ["chaosdeck_frames_total", "chaosdeck_faults_total"] {
        assert!(
            total(&second, counter) > total(&first, counter),
            "{counter} did not move:\n{first}\n{second}"
        );
    }
    assert!(
        sample(&second, "chaosdeck_recovery_seconds_count")
            > sample(&first, "chaosdeck_recovery_seconds_count"),
        "{second}"
    );
    assert!(
        sample(&second, "chaosdeck_uptime_seconds") > sample(&first, "chaosdeck_uptime_seconds")
    );
    let health = healthz(addr).expect("/healthz answers");
    assert_eq!(health["http_status"], 200, "{health}");
    assert!(
        health["last_frame_age_s"]
            .as_f64()
            .is_some_and(|age| age < 2.0),
        "the full screen draws at least once a second: {health}"
    );
    // A kiosk's q needs a second press.
    tmux.keys(&["q"]);
    tmux.keys(&["q"]);
    tmux.wait_for("chaosdeck to leave", WAIT, |s| {
        s.contains("chaosdeck exited with 0")
    });
    let _ = std::fs::remove_file(&log);
}
