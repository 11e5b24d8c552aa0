//! The binary fed hostile input, as a user would feed it: chapters files
//! with impossible durations or bytes that are not UTF-8, numbers no option
//! can mean, options that do not apply, load logs with impossible figures,
//! and a loopback PD that answers with escape sequences, repeated ids and
//! three stores on one host. A clear message and a clean exit, never a
//! panic, and nothing that could drive the terminal in what is printed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use chaosdeck::cluster::pd::client::BODY_LIMIT_ENV;
use chaosdeck::text::is_unsafe;

use chaosdeck::testing::fake_pd::{FakePd, Reply, fixture, healthy_routes};
use chaosdeck::testing::state_home::fresh_state_home;

/// A Docker engine that cannot be there, so doctor's PD and load rows are
/// the only live ones and the test does not depend on this machine.
const NO_DOCKER: &str = "unix:///nonexistent/chaosdeck-test.sock";

fn chaosdeck(args: &[&str]) -> Output {
    chaosdeck_with_limit(args, None)
}

fn chaosdeck_with_limit(args: &[&str], body_limit: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chaosdeck"));
    command
        .args(args)
        .args(["--log-file", "/dev/null"])
        .env("DOCKER_HOST", NO_DOCKER)
        .env("XDG_STATE_HOME", fresh_state_home())
        .env_remove(BODY_LIMIT_ENV)
        .stdin(Stdio::null());
    if let Some(limit) = body_limit {
        command.env(BODY_LIMIT_ENV, limit);
    }
    command.output().expect("chaosdeck runs")
}

fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// No panic, no backtrace, nothing unsafe for a terminal, on either stream.
fn assert_clean(out: &Output) {
    let (stdout, stderr) = texts(out);
    assert_ne!(out.status.code(), Some(101), "a panic:\n{stdout}\n{stderr}");
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
            "{text}"
        );
        let unsafe_chars: Vec<char> = text
            .chars()
            .filter(|&c| c != '\n' && is_unsafe(c))
            .collect();
        assert!(unsafe_chars.is_empty(), "{unsafe_chars:?} in:\n{text}");
    }
}

struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let path =
            std::env::temp_dir().join(format!("chaosdeck-hostile-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn bad_chapters_files_are_refused_with_line_column_field_and_limit() {
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "dwell-float.toml",
            b"[[chapter]]\ntitle = 'a'\ndwell = 1e30\n",
            ": line 3, column 9: dwell: \"1e30\" is longer than the limit of 8760h (365 days)",
        ),
        (
            "dwell-text.toml",
            b"[[chapter]]\ntitle = 'a'\ndwell = \"100000000000000000000\"\n",
            ": line 3, column 9: dwell: \"100000000000000000000\" is longer than the limit of 8760h",
        ),
        (
            "timeout.toml",
            b"[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'await_detection', timeout = 1e300 }]\n",
            "timeout: \"1e300\" is longer than the limit of 8760h (365 days)",
        ),
        (
            "latin1.toml",
            b"[[chapter]]\ntitle = \"Caf\xe9\"\n",
            ": line 2, column 13: byte 0xE9 is not UTF-8; save the file as UTF-8",
        ),
        (
            "escape.toml",
            b"[[chapter]]\ntitle = 'a'\non_enter = [{ action = \"\\u001b]0;pwned\\u0007\" }]\n",
            "unknown variant `␛]0;pwned␇`",
        ),
    ];
    for (name, bytes, expected) in cases {
        let file = TempFile::new(name, bytes);
        for args in [
            vec!["check-script", file.path()],
            vec!["--script", file.path(), "--plain"],
        ] {
            let out = chaosdeck(&args);
            assert_clean(&out);
            let (stdout, stderr) = texts(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}\n{stdout}\n{stderr}");
            assert!(
                stderr.starts_with(&format!("chaosdeck: {}", file.path())),
                "{stderr}"
            );
            assert!(stderr.contains(expected), "{name}: {stderr}");
        }
    }
}

#[test]
fn hostile_chapter_text_is_told_clean_in_plain_mode() {
    let file = TempFile::new(
        "bidi.toml",
        "[[chapter]]\ntitle = \"Fault\\u202Eevil\\u200F\"\nnarration = \"one\\u001b[2J\\r\\ntwo\"\ndwell = \"1s\"\n"
            .as_bytes(),
    );
    let out = chaosdeck(&[
        "--plain",
        "--auto",
        "--speed",
        "50",
        "--script",
        file.path(),
    ]);
    assert_clean(&out);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("chapter 1/1: Fault\u{fffd}evil\u{fffd}"),
        "{stdout}"
    );
    assert!(stdout.contains("| one␛[2J\n"), "{stdout}");
}

#[test]
fn numbers_no_option_can_mean_are_refused_naming_the_option() {
    for (args, expected) in [
        (
            vec!["--heartbeat-interval", "100000000000000000000"],
            "--heartbeat-interval",
        ),
        (vec!["--p99-high", "99999999999999999999999h"], "--p99-high"),
        (vec!["--max-store-down-time=-5m"], "--max-store-down-time"),
        (vec!["--baseline", "NaN"], "--baseline"),
        (vec!["--warn-below", "7"], "--warn-below"),
    ] {
        let out = chaosdeck(&args);
        assert_clean(&out);
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
    let out = chaosdeck(&["--p99-high", "99999999999999999999999h"]);
    assert!(
        texts(&out)
            .1
            .contains("longer than the limit of 8760h (365 days)")
    );
}

#[test]
fn real_cluster_options_with_the_simulator_are_refused() {
    for (args, expected) in [
        (
            vec!["--load-log", "/nonexistent"],
            "chaosdeck: --load-log only applies to a real cluster; add --cluster docker, or drop it",
        ),
        (
            vec!["--pd", "http://127.0.0.1:2379", "--plain"],
            "chaosdeck: --pd only applies to a real cluster",
        ),
    ] {
        let out = chaosdeck(&args);
        assert_clean(&out);
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.starts_with(expected), "{stderr}");
    }
}

fn doctor(extra: &[&str]) -> (Output, String) {
    doctor_with_limit(extra, None)
}

fn doctor_with_limit(extra: &[&str], body_limit: Option<&str>) -> (Output, String) {
    let mut args = vec!["doctor", "--compose-project", "chaosdeck-hostile"];
    args.extend_from_slice(extra);
    let out = chaosdeck_with_limit(&args, body_limit);
    assert_clean(&out);
    let stdout = texts(&out).0;
    (out, stdout)
}

fn row<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.get(8..).is_some_and(|rest| rest.starts_with(name)))
        .unwrap_or_else(|| panic!("no {name} row:\n{stdout}"))
}

#[test]
fn doctor_reads_a_hostile_load_log_as_the_show_does() {
    let good = "2020-01-10 16:21:40:213 10 sec: 15451 operations; 1545.1 current ops/sec; [INSERT: Count=15452, 99=7915]";
    let mut log = Vec::new();
    log.extend_from_slice(format!("{good}\n").as_bytes());
    log.extend_from_slice(
        b"2020-01-10 16:21:50:213 20 sec: 30000 operations; 1500 current ops/sec; [INSERT: Count=1, 99=99999999999999999999999999]\n",
    );
    log.extend_from_slice(b"2020-01-10 16:22:00:213 30 sec: 45000 operations; 1500 current ops/sec; [INSERT: Count=1, 99=1e300]\n");
    log.extend_from_slice(b"DBWrapper: \xff\xfe not UTF-8 \x1b[31m\n");
    log.extend_from_slice(
        b"2020-01-10 16:22:10:213 40 sec: 60000 operations; 10000000000000000000000000000000000000000 current ops/sec; [INSERT: Count=1]\n",
    );
    let file = TempFile::new("java.log", &log);
    let (out, stdout) = doctor(&["--load-log", file.path()]);
    assert_eq!(out.status.code(), Some(1), "Docker is not there:\n{stdout}");
    let load = row(&stdout, "load output");
    assert!(load.contains("Java YCSB lines seen"), "{load}");
    assert!(load.contains("1 report lines skipped"), "{load}");
    assert!(!stdout.contains("valid UTF-8"), "{stdout}");
}

#[test]
fn doctor_says_no_terminal_when_output_is_piped() {
    let (_, stdout) = doctor(&["--pd", "http://127.0.0.1:9"]);
    let terminal = row(&stdout, "terminal size");
    assert!(
        terminal.contains("WARN") && terminal.contains("no terminal"),
        "{terminal}"
    );
}

#[test]
fn doctor_against_a_hostile_pd_prints_what_it_said_cleanly() {
    let mut members: serde_json::Value =
        serde_json::from_str(&fixture("members_v8.1.0_3pd_tidb-operator.json")).unwrap();
    let leader = members["leader"]["member_id"].clone();
    for member in members["members"].as_array_mut().unwrap() {
        if member["member_id"] == leader {
            member["name"] = "\u{1b}]0;pwned\u{7}pd\u{1b}[31m\u{202e}".into();
        }
    }
    let mut stores: serde_json::Value = serde_json::from_str(&fixture(
        "stores_v2.1.0-rc.2_3up_leadercount-omitted_tikv-website.json",
    ))
    .unwrap();
    let list = stores["stores"].as_array_mut().unwrap();
    list.push(list[0].clone());
    list.push(serde_json::json!({"store": {"id": 9_223_372_036_854_775_809u64, "address": "127.0.0.1:20163", "state_name": "Up"}}));
    let mut routes = healthy_routes();
    routes.insert(
        "/pd/api/v1/members".into(),
        Reply::Body(200, members.to_string()),
    );
    routes.insert(
        "/pd/api/v1/stores".into(),
        Reply::Body(
            200,
            stores
                .to_string()
                .replace("9223372036854775809", "18446744073709551616"),
        ),
    );
    let url = FakePd::start_in_background(routes);
    let (_, stdout) = doctor(&["--pd", &url]);
    let pd = row(&stdout, "PD");
    assert!(pd.contains("leader ␛]0;pwned␇pd␛[31m\u{fffd}"), "{pd}");
    let stores = row(&stdout, "TiKV stores");
    assert!(
        stores.contains("127.0.0.1:20161 Up, 127.0.0.1:20162 Up, 127.0.0.1:20160 Up"),
        "three stores on one host, each by its port: {stores}"
    );
    assert!(
        stores.contains("left out: store #5 (id 18446744073709551616) skipped"),
        "{stores}"
    );
    assert!(
        stores.contains("(and 1 more)"),
        "the duplicate id: {stores}"
    );
    assert!(stores.starts_with("  WARN"), "{stores}");
}

#[test]
fn doctor_says_which_endpoint_answered_what() {
    let answers: [(Reply, &str); 3] = [
        (
            Reply::Body(200, "{not json".into()),
            "with invalid JSON at line 1, column 2: key must be a string",
        ),
        (Reply::Body(200, String::new()), "with an empty body"),
        (
            Reply::Body(500, "\u{1b}[31mno leader".into()),
            "with HTTP 500: ␛[31mno leader",
        ),
    ];
    for (reply, expected) in answers {
        let url =
            FakePd::start_in_background(HashMap::from([("/pd/api/v1/members".to_string(), reply)]));
        let (_, stdout) = doctor(&["--pd", &url]);
        let pd = row(&stdout, "PD");
        assert!(
            pd.contains(&format!(
                "PD at {url} answered /pd/api/v1/members {expected}"
            )),
            "{pd}"
        );
    }
}

#[test]
fn doctor_gives_up_on_a_stalled_or_endless_pd_and_says_so() {
    let stalled = FakePd::start_in_background(HashMap::from([(
        "/pd/api/v1/members".to_string(),
        Reply::StallMidBody(fixture("members_v8.1.0_3pd_tidb-operator.json")),
    )]));
    let started = std::time::Instant::now();
    let (_, stdout) = doctor(&["--pd", &stalled]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "no hang"
    );
    let pd = row(&stdout, "PD");
    assert!(
        pd.contains(&format!(
            "no PD endpoint answered: {stalled} (timed out after 2s)"
        )),
        "{pd}"
    );

    let endless = FakePd::start_in_background(HashMap::from([(
        "/pd/api/v1/members".to_string(),
        Reply::Endless {
            bytes: 100 << 20,
            declared: false,
        },
    )]));
    let (_, stdout) = doctor_with_limit(&["--pd", &endless], Some("1MiB"));
    let pd = row(&stdout, "PD");
    assert!(
        pd.contains("answered /pd/api/v1/members with a body over the limit of 1 MiB"),
        "{pd}"
    );
    assert!(
        stdout.contains(&format!("raise the limit with {BODY_LIMIT_ENV}=32MiB")),
        "{stdout}"
    );
}
