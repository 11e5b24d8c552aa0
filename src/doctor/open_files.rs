//! The open-files limit a TiKV container gets. TiKV v8.5.1 refuses to start
//! unless it may open 1000 + rocksdb.max-open-files + raftdb.max-open-files
//! files (82,920 with the defaults; `check_max_open_fds`). It raises its own
//! soft limit when the hard one allows, so the hard limit is what counts.
//!
//! Where the figure comes from: the container's `HostConfig.Ulimits` (what a
//! compose file's `ulimits:` sets); without one the engine's default applies,
//! which the Docker API does not report, so it is read from the running
//! process (`/proc/<pid>/limits`) when the engine is on this machine.

use bollard::models::{ContainerInspectResponse, ResourcesUlimits};

use super::Check;

/// What TiKV v8.5.1 needs with its default `max-open-files`.
pub const TIKV_MIN_OPEN_FILES: u64 = 82_920;

/// What docker-compose.yaml asks for (`TIKV_NOFILE`'s default).
pub const COMPOSE_FILE_OPEN_FILES: u64 = 262_144;
const _: () = assert!(COMPOSE_FILE_OPEN_FILES >= TIKV_MIN_OPEN_FILES);

/// A limit as the kernel has it: a count, or `u64::MAX` for unlimited.
pub type Limit = u64;

/// What one TiKV container gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenFiles {
    /// Set on the container (`ulimits:` in the compose file).
    Set { soft: Limit, hard: Limit },
    /// Not set; read from the running process: the engine's default.
    Inherited { soft: Limit, hard: Limit },
    /// The engine could not start the container with the limit asked for.
    Refused { hard: Option<Limit>, error: String },
    /// Not set, and the process cannot be read from here.
    Unknown,
}

/// What the container's inspect body says, and `proc_limits`, the text of
/// its process's `/proc/<pid>/limits` when readable. Pure.
pub fn open_files_of(inspect: &ContainerInspectResponse, proc_limits: Option<&str>) -> OpenFiles {
    let set = inspect
        .host_config
        .as_ref()
        .and_then(|host| host.ulimits.as_deref())
        .and_then(nofile_ulimit);
    let error = inspect
        .state
        .as_ref()
        .and_then(|state| state.error.as_deref())
        .filter(|error| error.contains("rlimit"));
    match (set, error) {
        (set, Some(error)) => OpenFiles::Refused {
            hard: set.map(|(_, hard)| hard),
            error: crate::text::clean_line(error).into_owned(),
        },
        (Some((soft, hard)), None) => OpenFiles::Set { soft, hard },
        (None, None) => match proc_limits.and_then(parse_proc_limits) {
            Some((soft, hard)) => OpenFiles::Inherited { soft, hard },
            None => OpenFiles::Unknown,
        },
    }
}

/// The `nofile` entry of `HostConfig.Ulimits` as (soft, hard); a negative
/// figure is Docker's "unlimited".
pub fn nofile_ulimit(ulimits: &[ResourcesUlimits]) -> Option<(Limit, Limit)> {
    let entry = ulimits
        .iter()
        .find(|u| u.name.as_deref() == Some("nofile"))?;
    let limit = |value: Option<i64>| value.map(|v| u64::try_from(v).unwrap_or(u64::MAX));
    let hard = limit(entry.hard).or(limit(entry.soft))?;
    Some((limit(entry.soft).unwrap_or(hard), hard))
}

/// `Max open files  1024  524288  files` of `/proc/<pid>/limits` as
/// (soft, hard); `unlimited` is `u64::MAX`.
pub fn parse_proc_limits(text: &str) -> Option<(Limit, Limit)> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    let mut figures = line["Max open files".len()..].split_whitespace();
    let mut next = || -> Option<Limit> {
        match figures.next()? {
            "unlimited" => Some(u64::MAX),
            figure => figure.parse().ok(),
        }
    };
    Some((next()?, next()?))
}

/// `/proc/<pid>/limits` of the container's process, when this machine runs
/// the engine: the pid is only trusted when `/proc/<pid>/cgroup` names the
/// container (an engine in a VM or elsewhere has pids of its own).
pub fn read_proc_limits(inspect: &ContainerInspectResponse) -> Option<String> {
    let pid = inspect.state.as_ref()?.pid.filter(|pid| *pid > 0)?;
    let id = inspect.id.as_deref().filter(|id| id.len() >= 12)?;
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    if !cgroup.contains(id) {
        return None;
    }
    std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()
}

/// The runtime's error from its cause on (`error setting rlimit type 7:
/// operation not permitted`), without the layers of callers before it.
pub(super) fn short_error(error: &str) -> &str {
    let from = error.find("error setting rlimit").unwrap_or(0);
    let rest = &error[from..];
    rest.strip_suffix(": unknown").unwrap_or(rest)
}

pub(super) fn figure(limit: Limit) -> String {
    if limit == u64::MAX {
        "unlimited".into()
    } else {
        crate::text::thousands(limit as f64)
    }
}

/// The report's row over every TiKV container, by service. Pure.
pub fn open_files_check(found: &[(String, OpenFiles)], compose: &str) -> Check {
    const NAME: &str = "open files (TiKV)";
    if found.is_empty() {
        return Check::skipped(NAME, "no TiKV container");
    }
    let min = figure(TIKV_MIN_OPEN_FILES);
    // As YAML has it, with no separators.
    let asked = COMPOSE_FILE_OPEN_FILES;
    // What each container gets, after its service; services that get the
    // same are listed together (`tikv0, tikv1 262,144 (set on the container)`).
    let what = |open: &OpenFiles| match open {
        OpenFiles::Set { hard, .. } => format!(" {} (set on the container)", figure(*hard)),
        OpenFiles::Inherited { hard, .. } => format!(" {} (the engine's default)", figure(*hard)),
        OpenFiles::Refused {
            hard: Some(hard),
            error,
        } => format!(
            ": the engine cannot grant {} ({})",
            figure(*hard),
            short_error(error)
        ),
        OpenFiles::Refused { hard: None, error } => format!(": {}", short_error(error)),
        OpenFiles::Unknown => " not set on the container".to_string(),
    };
    let mut groups: Vec<(Vec<&str>, String)> = Vec::new();
    for (service, open) in found {
        let what = what(open);
        match groups.iter_mut().find(|(_, w)| *w == what) {
            Some((services, _)) => services.push(service),
            None => groups.push((vec![service], what)),
        }
    }
    let detail = groups
        .iter()
        .map(|(services, what)| format!("{}{what}", services.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    let is = |pred: fn(&OpenFiles) -> bool| found.iter().any(|(_, open)| pred(open));
    let services = found
        .iter()
        .map(|(service, _)| service.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let recreate = format!("`{compose} up -d --force-recreate {services}`");
    if is(|open| matches!(open, OpenFiles::Refused { .. })) {
        return Check::fail(
            NAME,
            detail,
            format!(
                "this host caps open files below what the container asks: raise the \
                 engine's limit (`sudo systemctl edit docker`, LimitNOFILE=1048576, restart \
                 Docker) or ask for what the host allows with TIKV_NOFILE (TiKV then needs \
                 lower max-open-files: see docs/real-cluster.md on the open-files limit), then {recreate}"
            ),
        );
    }
    let low = |open: &OpenFiles| match open {
        OpenFiles::Set { hard, .. } | OpenFiles::Inherited { hard, .. } => {
            *hard < TIKV_MIN_OPEN_FILES
        }
        _ => false,
    };
    if found.iter().any(|(_, open)| low(open)) {
        return Check::warn(
            NAME,
            format!("{detail}; TiKV needs {min}"),
            format!(
                "TiKV v8.5.1 exits at start below {min} open files (unless its \
                 max-open-files is lowered): set `ulimits: nofile: {asked}` on the TiKV \
                 services, as docker-compose.yaml does unless TIKV_NOFILE lowers it, then \
                 {recreate}"
            ),
        );
    }
    if is(|open| matches!(open, OpenFiles::Unknown)) {
        return Check::warn(
            NAME,
            format!("{detail}: the engine's default applies, which Docker does not report"),
            format!(
                "TiKV v8.5.1 needs {min}: set `ulimits: nofile: {asked}` on the TiKV \
                 services, as docker-compose.yaml does, then {recreate}"
            ),
        );
    }
    Check::ok(NAME, format!("{detail}; TiKV needs {min}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;
    use bollard::models::{ContainerState, HostConfig};

    fn inspect(ulimits: Option<(i64, i64)>, error: Option<&str>) -> ContainerInspectResponse {
        ContainerInspectResponse {
            id: Some("0c252d318ff7c16949c0bbf06d3407ef".into()),
            host_config: Some(HostConfig {
                ulimits: ulimits.map(|(soft, hard)| {
                    vec![ResourcesUlimits {
                        name: Some("nofile".into()),
                        soft: Some(soft),
                        hard: Some(hard),
                    }]
                }),
                ..Default::default()
            }),
            state: Some(ContainerState {
                error: error.map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    const LIMITS: &str = "Limit                     Soft Limit           Hard Limit           Units     \n\
        Max cpu time              unlimited            unlimited            seconds   \n\
        Max open files            1024                 524288               files     \n";

    #[test]
    fn the_limit_comes_from_the_container_then_from_its_process() {
        assert_eq!(
            open_files_of(&inspect(Some((262_144, 262_144)), None), Some(LIMITS)),
            OpenFiles::Set {
                soft: 262_144,
                hard: 262_144
            }
        );
        assert_eq!(
            open_files_of(&inspect(None, None), Some(LIMITS)),
            OpenFiles::Inherited {
                soft: 1024,
                hard: 524_288
            }
        );
        assert_eq!(
            open_files_of(&inspect(None, None), None),
            OpenFiles::Unknown
        );
        let refused = open_files_of(
            &inspect(
                Some((262_144, 262_144)),
                Some(
                    "failed to create shim task: error setting rlimit type 7: operation not permitted",
                ),
            ),
            None,
        );
        assert!(
            matches!(&refused, OpenFiles::Refused { hard: Some(262_144), error } if error.contains("rlimit type 7")),
            "{refused:?}"
        );
        // Another start error is not about the limit.
        assert_eq!(
            open_files_of(&inspect(None, Some("port is already allocated")), None),
            OpenFiles::Unknown
        );
    }

    #[test]
    fn proc_limits_and_ulimits_parse() {
        assert_eq!(parse_proc_limits(LIMITS), Some((1024, 524_288)));
        assert_eq!(
            parse_proc_limits(
                "Max open files            unlimited            unlimited            files"
            ),
            Some((u64::MAX, u64::MAX))
        );
        assert_eq!(parse_proc_limits("Max processes 10 10"), None);
        assert_eq!(parse_proc_limits("Max open files  many"), None);
        let unlimited = [ResourcesUlimits {
            name: Some("nofile".into()),
            soft: Some(-1),
            hard: Some(-1),
        }];
        assert_eq!(nofile_ulimit(&unlimited), Some((u64::MAX, u64::MAX)));
        let other = [ResourcesUlimits {
            name: Some("nproc".into()),
            soft: Some(1),
            hard: Some(1),
        }];
        assert_eq!(nofile_ulimit(&other), None);
    }

    fn row(found: &[(&str, OpenFiles)]) -> Check {
        let found: Vec<(String, OpenFiles)> = found
            .iter()
            .map(|(s, o)| (s.to_string(), o.clone()))
            .collect();
        open_files_check(&found, "docker-compose")
    }

    #[test]
    fn enough_everywhere_passes() {
        let set = OpenFiles::Set {
            soft: 262_144,
            hard: 262_144,
        };
        let check = row(&[("tikv0", set.clone()), ("tikv1", set)]);
        assert_eq!(check.status, Status::Ok, "{check:?}");
        assert_eq!(
            check.detail,
            "tikv0, tikv1 262,144 (set on the container); TiKV needs 82,920"
        );
    }

    #[test]
    fn a_low_limit_warns_with_the_fix() {
        let check = row(&[
            (
                "tikv0",
                OpenFiles::Set {
                    soft: 4096,
                    hard: 4096,
                },
            ),
            (
                "tikv1",
                OpenFiles::Inherited {
                    soft: 1024,
                    hard: 20_000,
                },
            ),
        ]);
        assert_eq!(check.status, Status::Warn);
        assert!(
            check.detail.contains("tikv1 20,000 (the engine's default)"),
            "{check:?}"
        );
        let hint = check.hint.unwrap();
        assert!(hint.contains("below 82,920"), "{hint}");
        assert!(hint.contains("`ulimits: nofile: 262144`"), "{hint}");
        assert!(
            hint.contains("`docker-compose up -d --force-recreate tikv0 tikv1`"),
            "{hint}"
        );
    }

    #[test]
    fn a_refusal_fails_and_an_unknown_warns() {
        let refused = row(&[(
            "tikv2",
            OpenFiles::Refused {
                hard: Some(262_144),
                error: "failed to create shim task: OCI runtime create failed: error during \
                        container init: error setting rlimit type 7: operation not permitted: unknown"
                    .into(),
            },
        )]);
        assert_eq!(refused.status, Status::Fail);
        assert_eq!(
            refused.detail,
            "tikv2: the engine cannot grant 262,144 (error setting rlimit type 7: operation not permitted)"
        );
        assert!(refused.hint.unwrap().contains("LimitNOFILE"));
        let unknown = row(&[("tikv0", OpenFiles::Unknown)]);
        assert_eq!(unknown.status, Status::Warn);
        assert!(unknown.detail.contains("does not report"), "{unknown:?}");
        assert_eq!(row(&[]).status, Status::Skipped);
    }
}
