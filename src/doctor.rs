//! `chaosdeck doctor`: preflight checks for the real cluster, one row each,
//! with a hint for every failure. The demo can run when [`DoctorReport::ok`].
//!
//! Checks: the Docker engine and the Compose tool, the Compose project and
//! its PD, TiKV and load services (state and network attachment, with the
//! remedy for each state), the open-files limit TiKV gets (or, before there
//! is a TiKV container, what a new one would get), PD reachable and
//! healthy, the stores Up, load output seen, the terminal size and the
//! agent. A check that cannot run because an earlier one failed says so
//! instead of piling up errors. Hints name the Compose tool found here.

mod compose_tool;
mod fault_kinds;
mod new_container;
mod open_files;
mod services;

pub use compose_tool::ComposeTools;
pub use new_container::{
    NewContainer, PROBE_LABEL, ProbeImage, new_container_check, probe_new_container,
};
pub use open_files::{
    COMPOSE_FILE_OPEN_FILES, OpenFiles, TIKV_MIN_OPEN_FILES, open_files_check, open_files_of,
};
pub use services::{remedies, service_checks};

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cli::ShowArgs;
use crate::cluster::docker::control::DockerControl;
use crate::cluster::docker::labels::{CONFIG_FILES_LABEL, PROJECT_LABEL, default_project_name};
use crate::cluster::docker::logs::{LogFollowConfig, follow_log};
use crate::cluster::docker::mapping::ProjectContainer;
use crate::cluster::pd::client::{BODY_LIMIT_ENV, Stores, body_limit_from_env};
use crate::cluster::pd::{PdClient, PdError};
use crate::cluster::{NodeRole, PdMember};
use crate::text::clean_line;
use crate::ui::{MIN_HEIGHT, MIN_WIDTH};
use crate::workload::{LoadParser, SampleSource};

/// How long the doctor listens for load output.
pub const LOAD_LISTEN: Duration = Duration::from_secs(3);
/// Recent lines of the load output (or file) looked at.
const LOAD_TAIL_LINES: u64 = 50;
/// At most this much of a load log file is read, from its end.
const LOAD_TAIL_BYTES: u64 = 1 << 20;
/// Each PD request's time limit.
const PD_TIMEOUT: Duration = Duration::from_secs(2);

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, but not as the demo expects.
    Warn,
    /// The demo cannot run.
    Fail,
    /// Not checked: what it needs failed first.
    Skipped,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skipped => "skip",
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The row's name: `Docker engine`, `fault loss`.
    pub name: Cow<'static, str>,
    pub status: Status,
    pub detail: String,
    /// What to do, for anything not Ok.
    pub hint: Option<String>,
}

impl Check {
    fn ok(name: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status: Status::Ok,
            detail: detail.into(),
            hint: None,
        }
    }

    fn warn(
        name: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            status: Status::Warn,
            detail: detail.into(),
            hint: Some(hint.into()),
        }
    }

    fn fail(
        name: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            status: Status::Fail,
            detail: detail.into(),
            hint: Some(hint.into()),
        }
    }

    fn skipped(name: impl Into<Cow<'static, str>>, why: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status: Status::Skipped,
            detail: why.into(),
            hint: None,
        }
    }
}

/// Every check, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorReport {
    pub checks: Vec<Check>,
}

impl DoctorReport {
    /// False when any check failed: the demo cannot run.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// [`Self::render_for`] the default cluster.
    pub fn render(&self) -> String {
        self.render_for("")
    }

    /// A plain-text table, then the hints, then the verdict, whose commands
    /// carry `cluster_options` (see [`cluster_options`]). Every detail and
    /// hint goes through the one cleaner: they quote PD, Docker, files.
    pub fn render_for(&self, cluster_options: &str) -> String {
        let name_width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        let mut out = String::from("chaosdeck doctor\n\n");
        for check in &self.checks {
            let _ = writeln!(
                out,
                "  {:<4}  {:<name_width$}  {}",
                check.status.label(),
                check.name,
                clean_line(&check.detail)
            );
        }
        let hints: Vec<&Check> = self.checks.iter().filter(|c| c.hint.is_some()).collect();
        if !hints.is_empty() {
            out.push('\n');
            for check in hints {
                if let Some(hint) = &check.hint {
                    let _ = writeln!(out, "  {}: {}", check.name, clean_line(hint));
                }
            }
        }
        out.push('\n');
        let cluster_options = clean_line(cluster_options);
        let _ = if self.ok() {
            writeln!(
                out,
                "Ready: `chaosdeck --cluster docker{cluster_options}` can run."
            )
        } else {
            writeln!(
                out,
                "Not ready: fix the FAIL rows above, then run `chaosdeck doctor{cluster_options}` again."
            )
        };
        out
    }
}

/// The options that pick the cluster doctor checked (` --compose-project
/// demo --pd http://pd0:2379`), for the commands the verdict prints; empty
/// for the defaults.
pub fn cluster_options(args: &ShowArgs) -> String {
    let mut options = String::new();
    let mut add = |name: &str, value: &str| {
        options.push_str(&format!(" --{name} {}", compose_tool::shell_word(value)));
    };
    if let Some(project) = &args.compose_project {
        add("compose-project", project);
    }
    for pd in &args.pd {
        add("pd", pd);
    }
    if let Some(path) = &args.load_log {
        add("load-log", &path.to_string_lossy());
    }
    options
}

/// Runs every check against what `args` point at.
pub async fn run(args: &ShowArgs) -> DoctorReport {
    let mut checks = Vec::new();
    let project = args.compose_project.clone().or_else(default_project_name);
    let compose = ComposeTools::detect().await;

    // Docker.
    let control = match &project {
        None => {
            checks.push(Check::fail(
                "Docker engine",
                "no Compose project name",
                "this directory's name gives none; pass --compose-project NAME",
            ));
            None
        }
        Some(project) => match DockerControl::connect(project.clone()).await {
            Ok(control) => {
                let control = control.with_net_helper_image(args.net_helper_image.clone());
                let engine = control.engine();
                checks.push(Check::ok(
                    "Docker engine",
                    format!(
                        "{} (engine {}, API {})",
                        engine.host, engine.version, engine.api_version
                    ),
                ));
                Some(control)
            }
            Err(error) => {
                checks.push(Check::fail(
                    "Docker engine",
                    error.to_string(),
                    "start Docker, or point DOCKER_HOST at a running engine",
                ));
                None
            }
        },
    };

    checks.push(compose.check());
    let compose = compose_invocation(args, compose.command(), control.as_ref()).await;
    let compose = compose.as_str();

    // The Compose project, its services and what TiKV may open.
    let containers = match &control {
        Some(control) => {
            let (rows, containers) =
                project_checks(control, compose, args.load_log.is_some()).await;
            checks.extend(rows);
            let no_tikv = containers
                .as_deref()
                .is_some_and(|all| all.iter().all(|c| c.role != NodeRole::Tikv));
            if no_tikv {
                // What `up` would give TiKV, before it refuses to start.
                let probe = ProbeImage::tikv_from_env();
                let found =
                    probe_new_container(control.docker(), &probe, new_container::asked_from_env())
                        .await;
                checks.push(new_container_check(&found, compose));
            }
            containers
        }
        _ => {
            checks.push(Check::skipped("Compose project", "needs the Docker engine"));
            None
        }
    };

    // Each fault kind, proved on the engine where it can be.
    if let (Some(control), Some(containers)) = (&control, containers.as_deref()) {
        checks.extend(fault_kinds::fault_checks(control, containers).await);
    }

    // PD and the stores.
    checks.extend(pd_checks(&args.pd_endpoints(), compose).await);

    // Load output.
    checks.push(load_check(args, control.as_ref(), containers.as_deref()).await);

    // Terminal: standard output, where the show would draw.
    let is_terminal = std::io::stdout().is_terminal();
    checks.push(terminal_check(
        is_terminal,
        crossterm::terminal::size().ok(),
    ));

    // The agent.
    checks.push(agent_check(args).await);

    DoctorReport { checks }
}

/// The Compose command the hints print (see [`compose_tool::invocation`]):
/// `-p` and `-f` when --compose-project names another project than this
/// directory's, the files read from its containers' labels.
async fn compose_invocation(
    args: &ShowArgs,
    tool: &str,
    control: Option<&DockerControl>,
) -> String {
    let named = args
        .compose_project
        .as_deref()
        .filter(|named| default_project_name().as_deref() != Some(*named));
    let files = match (named, control) {
        (Some(_), Some(control)) => project_config_files(control).await,
        _ => Vec::new(),
    };
    compose_tool::invocation(tool, named, &files)
}

/// The Compose files the project's containers were made from (none when
/// there are no containers or the engine does not list them).
async fn project_config_files(control: &DockerControl) -> Vec<String> {
    let filters = std::collections::HashMap::from([(
        "label".to_string(),
        vec![format!("{PROJECT_LABEL}={}", control.project())],
    )]);
    let options = bollard::query_parameters::ListContainersOptions {
        all: true,
        filters: Some(filters),
        ..Default::default()
    };
    let summaries = control
        .docker()
        .list_containers(Some(options))
        .await
        .unwrap_or_default();
    compose_tool::config_files(summaries.iter().filter_map(|summary| {
        summary
            .labels
            .as_ref()?
            .get(CONFIG_FILES_LABEL)
            .map(String::as_str)
    }))
}

/// Whether the configured agent answers, and how soon its first token
/// came. A model that does not answer leaves the built-in analyzer alone:
/// the demo still runs, so that is a warning.
async fn agent_check(args: &ShowArgs) -> Check {
    const NAME: &str = "agent";
    let config = match crate::launch::model_config(args, |name| std::env::var(name).ok()) {
        Ok(None) => return Check::ok(NAME, "built-in analyzer (offline)"),
        Ok(Some(config)) => config,
        Err(why) => {
            return Check::fail(NAME, why, "set the key's variable, or pass --agent builtin");
        }
    };
    let label = format!("{} at {}", config.label(), config.url);
    let model = match crate::agent::model::ModelAgent::new(config, None) {
        Ok(model) => model,
        Err(why) => return Check::fail(NAME, why, "pass --agent builtin"),
    };
    match model.ping().await {
        Ok(first) => Check::ok(
            NAME,
            format!(
                "{label} answers: first token after {}",
                crate::text::span(first)
            ),
        ),
        Err(failure) => Check::warn(NAME, format!("{label}: {failure}"), agent_hint(&failure)),
    }
}

/// What to do about a model that did not answer: a deadline that fired is
/// named by its option.
fn agent_hint(failure: &crate::agent::model::ModelFailure) -> String {
    use crate::agent::model::ModelFailure;
    let fix = match failure {
        ModelFailure::FirstToken(_) => {
            "a model still loading answers late: raise --agent-first-token, or check --agent-url and --model"
        }
        ModelFailure::Deadline(_) => {
            "the answer took longer than --agent-timeout: raise it, or pick a faster --model"
        }
        _ => "check --agent-url, --model and the key",
    };
    format!("the built-in analyzer's diagnosis will stand alone; {fix}")
}

/// The rows of the project: its services and the open-files limit of its
/// TiKV containers; the containers too, for the checks that follow.
pub async fn project_checks(
    control: &DockerControl,
    compose: &str,
    external_load: bool,
) -> (Vec<Check>, Option<Vec<ProjectContainer>>) {
    let containers = match control.containers().await {
        Ok(containers) => containers,
        Err(error) => {
            let row = Check::fail(
                "Compose project",
                error.to_string(),
                "the engine answered the ping but not the listing; check `docker ps`",
            );
            return (vec![row], None);
        }
    };
    // Unknown networks (an error) leave any user-defined network counting.
    let networks = control.project_networks().await.unwrap_or_default();
    let mut rows = service_checks(
        control.project(),
        &containers,
        &networks,
        external_load,
        compose,
    );
    // Without a TiKV container, `run` probes what a new one would get.
    if containers.iter().any(|c| c.role == NodeRole::Tikv) {
        rows.push(open_files_check(
            &tikv_open_files(control, &containers).await,
            compose,
        ));
    }
    (rows, Some(containers))
}

/// What each TiKV container may open, from its inspect body and its process.
async fn tikv_open_files(
    control: &DockerControl,
    containers: &[ProjectContainer],
) -> Vec<(String, OpenFiles)> {
    let mut found = Vec::new();
    for container in containers.iter().filter(|c| c.role == NodeRole::Tikv) {
        let open = match control
            .docker()
            .inspect_container(&container.id, None)
            .await
        {
            Ok(inspect) => {
                open_files_of(&inspect, open_files::read_proc_limits(&inspect).as_deref())
            }
            Err(_) => OpenFiles::Unknown,
        };
        found.push((container.service.clone(), open));
    }
    found
}

async fn pd_checks(endpoints: &[String], compose: &str) -> Vec<Check> {
    let client = body_limit_from_env()
        .map_err(|error| {
            (
                error,
                format!("set {BODY_LIMIT_ENV} to bytes or a size such as 32MiB"),
            )
        })
        .and_then(|limit| {
            PdClient::new(endpoints.to_vec(), PD_TIMEOUT)
                .map(|client| client.with_body_limit(limit))
                .map_err(|error| (error.to_string(), "pass --pd http://HOST:2379".into()))
        });
    let client = match client {
        Ok(client) => client,
        Err((error, hint)) => {
            return vec![
                Check::fail("PD", error, hint),
                Check::skipped("TiKV stores", "needs PD"),
            ];
        }
    };
    let mut checks = Vec::new();
    match client.members().await {
        Ok(members) => checks.push(members_check(client.current_endpoint(), &members, compose)),
        Err(error) => {
            return vec![
                Check::fail("PD", error.to_string(), pd_hint(&error, compose)),
                Check::skipped("TiKV stores", "needs PD"),
            ];
        }
    }
    checks.push(match client.stores().await {
        Ok(stores) => stores_check(&stores, compose),
        Err(error) => Check::fail("TiKV stores", error.to_string(), pd_hint(&error, compose)),
    });
    checks
}

/// What to do about a PD error: no answer is a matter of addresses, a bad
/// answer one of what listens there.
fn pd_hint(error: &PdError, compose: &str) -> String {
    match error {
        PdError::Unreachable { .. } => format!(
            "are the PD ports published (2379, 2479, 2579: see docker-compose.yaml and \
             `{compose} ps`)? Pass --pd URL if PD listens elsewhere"
        ),
        PdError::TooLarge { .. } => format!(
            "a big cluster's answers can be large: raise the limit with {BODY_LIMIT_ENV}=32MiB"
        ),
        PdError::NoLeader { .. } => format!(
            "PD's members are electing a leader (it takes a few seconds after one goes); \
             if it lasts, fewer than two members run: `{compose} ps` and `{compose} logs pd0 pd1 pd2`"
        ),
        PdError::Status { code, .. } if *code >= 500 => {
            format!("PD answers but is not well: check `{compose} logs pd0 pd1 pd2`")
        }
        _ => "something answers there, but not as PD does: is --pd PD's client URL \
              (`curl URL/pd/api/v1/members`)?"
            .into(),
    }
}

/// PD's members and their health. Pure.
pub fn members_check(endpoint: &str, members: &[PdMember], compose: &str) -> Check {
    let unhealthy: Vec<&str> = members
        .iter()
        .filter(|m| m.healthy == Some(false))
        .map(|m| m.name.as_str())
        .collect();
    let leader = members
        .iter()
        .find(|m| m.is_leader)
        .map_or("no leader", |m| m.name.as_str());
    let detail = format!(
        "{endpoint} ({}, leader {leader})",
        crate::text::count(members.len() as u64, "member", "members")
    );
    if unhealthy.is_empty() {
        Check::ok("PD", detail)
    } else {
        Check::warn(
            "PD",
            format!("{detail}; unhealthy: {}", unhealthy.join(", ")),
            format!("check `{compose} logs pd0 pd1 pd2`"),
        )
    }
}

/// The stores PD lists, and what of its answer was left out. Pure.
pub fn stores_check(stores: &Stores, compose: &str) -> Check {
    const NAME: &str = "TiKV stores";
    let list = stores
        .stores
        .iter()
        .map(|s| format!("{} {}", s.service, s.state))
        .collect::<Vec<_>>()
        .join(", ");
    let skipped = match stores.skipped.as_slice() {
        [] => String::new(),
        [one] => format!("; left out: {one}"),
        [first, rest @ ..] => format!("; left out: {first} (and {} more)", rest.len()),
    };
    if stores.stores.is_empty() {
        return Check::fail(
            NAME,
            format!("PD knows no store{skipped}"),
            format!("TiKV registers with PD at start: check `{compose} logs tikv0 tikv1 tikv2`"),
        );
    }
    if !stores.stores.iter().all(|s| s.state.is_up()) {
        return Check::fail(
            NAME,
            format!("{list}{skipped}"),
            format!(
                "every store must be Up before a fault: recover the others first \
                 (`{compose} up -d`, or the remedies above), then wait 10-20 s for their \
                 heartbeats"
            ),
        );
    }
    if !skipped.is_empty() {
        return Check::warn(
            NAME,
            format!("{list}{skipped}"),
            "PD sent entries chaosdeck cannot read; the show leaves them out and says so",
        );
    }
    Check::ok(NAME, list)
}

async fn load_check(
    args: &ShowArgs,
    control: Option<&DockerControl>,
    containers: Option<&[ProjectContainer]>,
) -> Check {
    const NAME: &str = "load output";
    if let Some(path) = &args.load_log {
        return match read_tail(path, LOAD_TAIL_BYTES) {
            Ok(text) => {
                let tail: Vec<&str> = text.lines().rev().take(LOAD_TAIL_LINES as usize).collect();
                load_verdict(
                    &format!("{}", path.display()),
                    tail.into_iter().rev().map(str::to_string),
                )
            }
            Err(error) => Check::fail(
                NAME,
                format!("{}: {error}", path.display()),
                "start the load generator writing to that file, or drop --load-log",
            ),
        };
    }
    let (Some(control), Some(containers)) = (control, containers) else {
        return Check::skipped(NAME, "needs the Docker engine");
    };
    let Some(load) = containers.iter().find(|c| c.role == NodeRole::Load) else {
        return Check::warn(
            NAME,
            "no load service",
            "the workload panel will show TiKV's status-port metrics instead",
        );
    };
    let (tx, mut rx) = mpsc::channel(256);
    let follow = follow_log(
        control.clone(),
        load.service.clone(),
        tx,
        LogFollowConfig {
            initial_tail: Some(LOAD_TAIL_LINES),
            ..Default::default()
        },
        CancellationToken::new(),
    );
    let mut lines = Vec::new();
    let deadline = tokio::time::Instant::now() + LOAD_LISTEN;
    let listen = async {
        while let Ok(Some(line)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            lines.push(line);
        }
    };
    // Listened long enough: the follow is dropped with it.
    tokio::select! {
        () = follow => {}
        () = listen => {}
    }
    load_verdict(&format!("service {}", load.service), lines.into_iter())
}

/// The last `max_bytes` of a file, decoded as the show reads it (invalid
/// UTF-8 replaced, not refused); a line cut by the start is dropped.
pub fn read_tail(path: &Path, max_bytes: u64) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let start = len.saturating_sub(max_bytes);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(max_bytes).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(match (start > 0, text.split_once('\n')) {
        (true, Some((_cut, rest))) => rest.to_string(),
        _ => text.into_owned(),
    })
}

/// Whether recent output holds a recognised load report line. Pure.
pub fn load_verdict(origin: &str, lines: impl Iterator<Item = String>) -> Check {
    const NAME: &str = "load output";
    let mut parser = LoadParser::new();
    let mut count = 0usize;
    for line in lines {
        count += 1;
        parser.feed(&line, Duration::ZERO);
    }
    let rejected = parser.rejected();
    match parser.source() {
        Some(source) if rejected > 0 => Check::warn(
            NAME,
            format!(
                "{origin}: {} lines seen; {rejected} report lines skipped (a figure that cannot be a reading)",
                source_name(source)
            ),
            "the show skips such lines too; check what writes to the load output",
        ),
        Some(source) => Check::ok(
            NAME,
            format!("{origin}: {} lines seen", source_name(source)),
        ),
        None if count == 0 => Check::warn(
            NAME,
            format!("{origin}: nothing printed yet"),
            "is the load running? go-ycsb needs `--interval 1` to report every second",
        ),
        None => Check::warn(
            NAME,
            format!("{origin}: {count} lines, none a go-ycsb or Java YCSB report"),
            "run go-ycsb (`... run tikv ... --interval 1`) or Java YCSB with `-s`",
        ),
    }
}

fn source_name(source: SampleSource) -> &'static str {
    match source {
        SampleSource::GoYcsb => "go-ycsb",
        SampleSource::JavaYcsb => "Java YCSB",
        SampleSource::Simulator => "simulated",
        SampleSource::StatusPortMetrics => "status-port metrics",
        SampleSource::GoYcsbDataLoad => "go-ycsb (data load)",
    }
}

/// The terminal against the screen's minimum. Pure.
pub fn terminal_check(is_terminal: bool, size: Option<(u16, u16)>) -> Check {
    const NAME: &str = "terminal size";
    match size {
        _ if !is_terminal => Check::warn(
            NAME,
            "no terminal (standard output is not one)",
            "run the show in a terminal of at least 80x24; --plain works anywhere",
        ),
        None => Check::warn(
            NAME,
            "not a terminal",
            "the full screen needs a terminal; --plain works anywhere",
        ),
        Some((w, h)) if w >= MIN_WIDTH && h >= MIN_HEIGHT => Check::ok(NAME, format!("{w}x{h}")),
        Some((w, h)) => Check::warn(
            NAME,
            format!("{w}x{h}, below {MIN_WIDTH}x{MIN_HEIGHT}"),
            "make the window larger (or the font smaller) before the show",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pd_member_is_one_member() {
        let member = PdMember {
            name: "pd0".into(),
            client_url: "http://pd0:2379".into(),
            is_leader: true,
            healthy: Some(true),
            serves_tso: None,
        };
        let check = members_check("pd0:2379", &[member], "docker-compose.yaml");
        assert_eq!(check.detail, "pd0:2379 (1 member, leader pd0)");
    }

    #[test]
    fn load_lines_are_recognised() {
        let lines = [
            "[2022/04/07 10:00:00.000 +00:00] [INFO] [client.go:754] [\"log\"]",
            "READ   - Takes(s): 10.0, Count: 7948, OPS: 796.2, Avg(us): 395, Min(us): 72, Max(us): 20545, 99th(us): 2000, 99.9th(us): 19000, 99.99th(us): 21000",
        ];
        let check = load_verdict("service load", lines.iter().map(|l| l.to_string()));
        assert_eq!(check.status, Status::Ok, "{check:?}");
        let silent = load_verdict("service load", std::iter::empty());
        assert_eq!(silent.status, Status::Warn);
        let noise = load_verdict("service load", ["hello".to_string()].into_iter());
        assert_eq!(noise.status, Status::Warn);
    }

    #[test]
    fn the_terminal_must_fit_the_screen() {
        assert_eq!(terminal_check(true, Some((80, 24))).status, Status::Ok);
        assert_eq!(terminal_check(true, Some((79, 24))).status, Status::Warn);
        assert_eq!(terminal_check(true, None).status, Status::Warn);
        let piped = terminal_check(false, Some((80, 24)));
        assert_eq!(piped.status, Status::Warn);
        assert!(piped.detail.starts_with("no terminal"), "{piped:?}");
    }

    #[test]
    fn the_report_renders_rows_hints_and_verdict() {
        let report = DoctorReport {
            checks: vec![
                Check::ok(
                    "Docker engine",
                    "unix:///var/run/docker.sock (engine 20.10, API 1.41)",
                ),
                Check::fail("PD", "no PD endpoint answered", "publish port 2379"),
                Check::skipped("TiKV stores", "needs PD"),
            ],
        };
        assert!(!report.ok());
        let text = report.render();
        assert!(
            text.contains("  ok    Docker engine  unix:///var/run/docker.sock"),
            "{text}"
        );
        assert!(
            text.contains("  FAIL  PD             no PD endpoint answered"),
            "{text}"
        );
        assert!(text.contains("  skip  TiKV stores    needs PD"), "{text}");
        assert!(text.contains("  PD: publish port 2379"), "{text}");
        assert!(text.contains("Not ready"), "{text}");
        let fine = DoctorReport {
            checks: vec![Check::warn("terminal size", "79x24", "larger")],
        };
        assert!(fine.ok());
        assert!(fine.render().contains("Ready"));
    }
}
