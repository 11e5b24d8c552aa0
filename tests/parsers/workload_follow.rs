//! Following a log file with real temporary files: appends, partial lines,
//! truncation, rotation, a file that appears later, and the async task.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chaosdeck::workload::follow::{
    DEFAULT_POLL_INTERVAL, FileFollower, MAX_LINE_BYTES, StartAt, follow,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "chaosdeck-follow-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn append(path: &Path, bytes: &[u8]) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    file.write_all(bytes).expect("append");
}

/// Poll until a poll has nothing more to read, collecting every line.
fn drain(follower: &mut FileFollower) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let poll = follower.poll();
        let empty = poll.lines.is_empty();
        lines.extend(poll.lines);
        if !poll.more && empty {
            return lines;
        }
    }
}

#[test]
fn start_at_end_skips_existing_lines_and_yields_appended_ones() {
    let dir = TempDir::new("end");
    let path = dir.file("load.log");
    append(&path, b"old 1\nold 2\n");
    let mut follower = FileFollower::new(&path, StartAt::End);
    assert!(drain(&mut follower).is_empty());
    append(&path, b"new 1\nnew 2\n");
    assert_eq!(drain(&mut follower), ["new 1", "new 2"]);
    assert!(drain(&mut follower).is_empty(), "nothing twice");
}

#[test]
fn start_at_beginning_yields_existing_lines() {
    let dir = TempDir::new("begin");
    let path = dir.file("load.log");
    append(&path, b"old 1\nold 2\n");
    let mut follower = FileFollower::new(&path, StartAt::Beginning);
    assert_eq!(drain(&mut follower), ["old 1", "old 2"]);
}

#[test]
fn partial_lines_wait_for_their_newline() {
    let dir = TempDir::new("partial");
    let path = dir.file("load.log");
    let mut follower = FileFollower::new(&path, StartAt::Beginning);
    append(&path, b"READ   - Takes(s): 1");
    assert!(drain(&mut follower).is_empty());
    append(&path, b"0.0, Count: 5\r\nnext");
    assert_eq!(drain(&mut follower), ["READ   - Takes(s): 10.0, Count: 5"]);
    append(&path, b"\n");
    assert_eq!(drain(&mut follower), ["next"]);
}

#[test]
fn invalid_utf8_is_replaced_not_fatal() {
    let dir = TempDir::new("utf8");
    let path = dir.file("load.log");
    let mut follower = FileFollower::new(&path, StartAt::Beginning);
    // A multi-byte character split across two writes stays intact.
    append(&path, b"\xff ok \xc3");
    assert!(drain(&mut follower).is_empty());
    append(&path, b"\xa9\n");
    assert_eq!(drain(&mut follower), ["\u{fffd} ok \u{e9}"]);
}

#[test]
fn truncation_restarts_from_the_top() {
    let dir = TempDir::new("truncate");
    let path = dir.file("load.log");
    append(&path, b"line one\nline two\n");
    let mut follower = FileFollower::new(&path, StartAt::Beginning);
    assert_eq!(drain(&mut follower).len(), 2);
    append(&path, b"half");
    assert!(drain(&mut follower).is_empty());
    fs::write(&path, b"fresh\n").expect("truncate and write");
    assert_eq!(
        drain(&mut follower),
        ["fresh"],
        "the old half line is dropped"
    );
}

#[test]
fn rotation_finishes_the_old_file_then_reads_the_new_one() {
    let dir = TempDir::new("rotate");
    let path = dir.file("load.log");
    append(&path, b"first\n");
    let mut follower = FileFollower::new(&path, StartAt::Beginning);
    assert_eq!(drain(&mut follower), ["first"]);

    append(&path, b"last of old\nunterminated");
    fs::rename(&path, dir.file("load.log.1")).expect("rotate");
    append(&path, b"first of new\n");
    assert_eq!(
        drain(&mut follower),
        ["last of old", "unterminated", "first of new"]
    );
    append(&path, b"second of new\n");
    assert_eq!(drain(&mut follower), ["second of new"]);
}

#[test]
fn renamed_away_file_is_still_read_until_replaced() {
    let dir = TempDir::new("moved");
    let path = dir.file("load.log");
    let moved = dir.file("load.log.1");
    append(&path, b"a\n");
    let mut follower = FileFollower::new(&path, StartAt::Beginning);
    assert_eq!(drain(&mut follower), ["a"]);
    fs::rename(&path, &moved).expect("move");
    append(&moved, b"b\n");
    assert_eq!(drain(&mut follower), ["b"]);
}

#[test]
fn missing_file_is_waited_for_and_read_from_its_start() {
    let dir = TempDir::new("missing");
    let path = dir.file("not-yet.log");
    let mut follower = FileFollower::new(&path, StartAt::End);
    assert!(drain(&mut follower).is_empty());
    append(&path, b"hello\n");
    assert_eq!(drain(&mut follower), ["hello"]);
}

#[test]
fn deleted_and_recreated_file_is_picked_up() {
    let dir = TempDir::new("recreate");
    let path = dir.file("load.log");
    append(&path, b"one\n");
    let mut follower = FileFollower::new(&path, StartAt::Beginning);
    assert_eq!(drain(&mut follower), ["one"]);
    fs::remove_file(&path).expect("delete");
    assert!(drain(&mut follower).is_empty());
    append(&path, b"two\n");
    assert_eq!(drain(&mut follower), ["two"]);
}

#[test]
fn an_endless_line_is_cut_rather_than_buffered_forever() {
    let dir = TempDir::new("long");
    let path = dir.file("load.log");
    let mut follower = FileFollower::new(&path, StartAt::Beginning);
    let mut bytes = vec![b'x'; MAX_LINE_BYTES + 10];
    bytes.push(b'\n');
    append(&path, &bytes);
    let lines = drain(&mut follower);
    let lengths: Vec<usize> = lines.iter().map(String::len).collect();
    assert_eq!(lengths, [MAX_LINE_BYTES, 10]);
}

#[tokio::test(start_paused = true)]
async fn follow_task_sends_lines_and_stops_on_cancel() {
    let dir = TempDir::new("task");
    let path = dir.file("load.log");
    append(&path, b"before\n");
    let (tx, mut rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(follow(
        path.clone(),
        StartAt::End,
        DEFAULT_POLL_INTERVAL,
        tx,
        cancel.clone(),
    ));
    // Let the task open the file at its end (paused time: no real wait).
    tokio::time::sleep(Duration::from_millis(10)).await;
    append(&path, b"one\ntw");
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
    assert_eq!(first.expect("in time"), Some("one".to_owned()));
    append(&path, b"o\n");
    let second = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
    assert_eq!(second.expect("in time"), Some("two".to_owned()));

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops on cancel")
        .expect("no panic");
    assert_eq!(rx.recv().await, None, "sender dropped");
}

#[tokio::test(start_paused = true)]
async fn follow_task_ends_when_the_receiver_is_gone() {
    let dir = TempDir::new("dropped");
    let path = dir.file("load.log");
    let (tx, rx) = mpsc::channel(1);
    let task = tokio::spawn(follow(
        path.clone(),
        StartAt::Beginning,
        DEFAULT_POLL_INTERVAL,
        tx,
        CancellationToken::new(),
    ));
    drop(rx);
    append(&path, b"nobody listens\n");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("ends without a receiver")
        .expect("no panic");
}

#[tokio::test(start_paused = true)]
async fn a_go_ycsb_log_becomes_samples_with_show_time() {
    use chaosdeck::clock::ShowClock;
    use chaosdeck::workload::SampleSource;
    use chaosdeck::workload::watch::watch_load_log;

    let dir = TempDir::new("watch");
    let path = dir.file("go-ycsb.log");
    let (tx, mut rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let clock = ShowClock::start(1.0);
    let task = tokio::spawn(watch_load_log(
        path.clone(),
        StartAt::End,
        clock,
        tx,
        cancel.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(3)).await;
    append(
        &path,
        b"[2022/04/07 14:13:14.081 +08:00] [INFO] [client.go:754] [\"[pd] create pd client\"]\n\
READ   - Takes(s): 10.0, Count: 1000, OPS: 100.0, Avg(us): 1, Min(us): 1, Max(us): 1, 99th(us): 2000, 99.9th(us): 1, 99.99th(us): 1\n\
UPDATE - Takes(s): 10.0, Count: 1000, OPS: 100.0, Avg(us): 1, Min(us): 1, Max(us): 1, 99th(us): 4000, 99.9th(us): 1, 99.99th(us): 1\n",
    );
    // The first report's op set is unknown: it is closed by the idle pause.
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("in time")
        .expect("a sample");
    assert_eq!(first.source, SampleSource::GoYcsb);
    assert_eq!(first.ops_per_sec, 200.0);
    assert_eq!(first.p99, Some(Duration::from_millis(4)));
    assert!(first.at >= Duration::from_secs(3) && first.at < Duration::from_secs(5));

    tokio::time::sleep(Duration::from_secs(10)).await;
    append(
        &path,
        b"READ   - Takes(s): 20.0, Count: 3000, OPS: 150.0\nUPDATE - Takes(s): 20.0, Count: 2000, OPS: 100.0\n",
    );
    let second = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("in time")
        .expect("a sample");
    assert_eq!(second.ops_per_sec, 300.0);
    assert!(second.at > first.at + Duration::from_secs(9));

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops on cancel")
        .expect("no panic");
}
