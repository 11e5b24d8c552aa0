//! The project's PD, TiKV and load services: each container's state and
//! network attachment, and for one that is not well the command that fits
//! the state it is in (a fault left behind is undone by its own recovery).

use crate::cluster::NodeRole;
use crate::cluster::ProcessState;
use crate::cluster::docker::mapping::{ProjectContainer, is_network_connected};

use super::Check;

/// The runtime's view of one container, as the row shows it: `tikv0
/// running`, `tikv1 paused`, `tikv2 running (cut off from demo_tikv)`.
pub fn describe(container: &ProjectContainer, project_networks: &[String]) -> String {
    let mut text = format!("{} {}", container.service, container.state);
    if !attached(container, project_networks) {
        let cut_from = missing_networks(container, project_networks);
        text.push_str(&if cut_from.is_empty() {
            " (on no project network)".to_string()
        } else {
            format!(" (cut off from {})", cut_from.join(", "))
        });
    }
    text
}

/// Whether the container is well: running and on a project network.
pub fn is_well(container: &ProjectContainer, project_networks: &[String]) -> bool {
    container.is_running() && attached(container, project_networks)
}

/// A stopped container is not "cut off": only a live one is looked at for
/// its network (Docker keeps an exited container's attachments anyway).
fn attached(container: &ProjectContainer, project_networks: &[String]) -> bool {
    match container.state {
        ProcessState::Running | ProcessState::Paused => {
            is_network_connected(&container.networks, project_networks)
        }
        _ => true,
    }
}

fn missing_networks<'a>(
    container: &ProjectContainer,
    project_networks: &'a [String],
) -> Vec<&'a str> {
    project_networks
        .iter()
        .filter(|network| !container.networks.contains(network))
        .map(String::as_str)
        .collect()
}

/// The commands that make the container well, for the state it is in:
/// paused, `docker unpause`; cut off, `docker network connect` under the
/// service's name (how the others reach it); stopped or never started,
/// `docker start` or Compose. Empty when it is well. Pure.
pub fn remedies(
    container: &ProjectContainer,
    project_networks: &[String],
    compose: &str,
) -> Vec<String> {
    let name = &container.name;
    let service = &container.service;
    let mut commands = Vec::new();
    match &container.state {
        ProcessState::Running => {}
        ProcessState::Paused => commands.push(format!("`docker unpause {name}`")),
        ProcessState::Exited { .. } | ProcessState::Other(_) => commands.push(format!(
            "`docker start {name}` (or `{compose} up -d {service}`)"
        )),
    }
    if !attached(container, project_networks) {
        let missing = missing_networks(container, project_networks);
        if missing.is_empty() {
            commands.push(format!(
                "`docker network connect --alias {service} <network> {name}` (the \
                 project's network: `docker network ls`)"
            ));
        }
        for network in missing {
            commands.push(format!(
                "`docker network connect --alias {service} {network} {name}`"
            ));
        }
    }
    commands
}

/// Every remedy of the containers that are not well, as one hint:
/// `tikv0: docker unpause demo-tikv0-1; tikv1: ...`.
fn remedies_hint(
    of_role: &[&ProjectContainer],
    project_networks: &[String],
    compose: &str,
) -> String {
    of_role
        .iter()
        .filter_map(|container| {
            let commands = remedies(container, project_networks, compose);
            (!commands.is_empty())
                .then(|| format!("{}: {}", container.service, commands.join(", then ")))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The rows for the project's PD, TiKV and load services. Pure.
pub fn service_checks(
    project: &str,
    containers: &[ProjectContainer],
    project_networks: &[String],
    external_load: bool,
    compose: &str,
) -> Vec<Check> {
    if containers.is_empty() {
        return vec![Check::fail(
            "Compose project",
            format!("`{project}`: no containers"),
            format!(
                "start the cluster from the directory of docker-compose.yaml \
                 (`{compose} up -d`), or pass --compose-project with the project's \
                 name (see `docker ps --format '{{{{.Label \"com.docker.compose.project\"}}}}'`)"
            ),
        )];
    }
    let mut checks = vec![Check::ok(
        "Compose project",
        format!("`{project}`: {} containers", containers.len()),
    )];
    let of_role = |role: NodeRole| -> Vec<&ProjectContainer> {
        containers.iter().filter(|c| c.role == role).collect()
    };
    let list = |of_role: &[&ProjectContainer]| {
        of_role
            .iter()
            .map(|c| describe(c, project_networks))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (name, role, needed) in [
        ("PD services", NodeRole::Pd, 1usize),
        ("TiKV services", NodeRole::Tikv, 3usize),
    ] {
        let of_role = of_role(role);
        let well = of_role
            .iter()
            .filter(|c| is_well(c, project_networks))
            .count();
        checks.push(if of_role.is_empty() {
            Check::fail(
                name,
                "none found",
                "services are recognised by name (pd*, tikv*) or image (pingcap/pd, pingcap/tikv)",
            )
        } else if well < of_role.len() {
            Check::fail(
                name,
                list(&of_role),
                remedies_hint(&of_role, project_networks, compose),
            )
        } else if of_role.len() < needed {
            Check::warn(
                name,
                list(&of_role),
                format!(
                    "the demo expects at least {needed}: with fewer, a fault may take the data offline"
                ),
            )
        } else {
            Check::ok(name, list(&of_role))
        });
    }
    let load = of_role(NodeRole::Load);
    let running = load.iter().filter(|c| c.is_running()).count();
    let well = load.iter().filter(|c| is_well(c, project_networks)).count();
    checks.push(if load.is_empty() {
        if external_load {
            Check::ok("load service", "none (using --load-log)")
        } else {
            Check::warn(
                "load service",
                "none found",
                format!(
                    "start the workload: `{compose} --profile load up -d`; without it the \
                     workload comes from TiKV's status-port metrics"
                ),
            )
        }
    } else if well == load.len() {
        Check::ok("load service", list(&load))
    } else if running == 0
        && load
            .iter()
            .all(|c| matches!(c.state, ProcessState::Exited { .. }))
    {
        // Stopped is how the story leaves it between passes.
        Check::warn(
            "load service",
            list(&load),
            format!(
                "the story starts it when the load begins; or `{compose} --profile load up -d`"
            ),
        )
    } else {
        Check::warn(
            "load service",
            list(&load),
            remedies_hint(&load, project_networks, compose),
        )
    });
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    const NETWORK: &str = "demo_tikv";

    pub fn container(service: &str, role: NodeRole, state: ProcessState) -> ProjectContainer {
        ProjectContainer {
            id: format!("id-{service}"),
            name: format!("demo-{service}-1"),
            service: service.into(),
            number: 1,
            role,
            image: String::new(),
            state,
            health: None,
            networks: vec![NETWORK.into()],
            published_ports: vec![],
        }
    }

    fn cluster() -> Vec<ProjectContainer> {
        let mut all = vec![container("pd0", NodeRole::Pd, ProcessState::Running)];
        for s in ["tikv0", "tikv1", "tikv2"] {
            all.push(container(s, NodeRole::Tikv, ProcessState::Running));
        }
        all.push(container("load", NodeRole::Load, ProcessState::Running));
        all
    }

    fn networks() -> Vec<String> {
        vec![NETWORK.to_string()]
    }

    fn row<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks.iter().find(|c| c.name == name).expect("row")
    }

    #[test]
    fn a_full_project_passes() {
        let checks = service_checks("demo", &cluster(), &networks(), false, "docker-compose");
        assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:?}");
    }

    #[test]
    fn an_empty_project_fails_with_a_hint_in_the_tool_found() {
        let checks = service_checks("demo", &[], &networks(), false, "docker compose");
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Fail);
        let hint = checks[0].hint.as_deref().unwrap();
        assert!(hint.contains("--compose-project"), "{hint}");
        assert!(hint.contains("(`docker compose up -d`)"), "{hint}");
        assert!(
            hint.contains("'{{.Label \"com.docker.compose.project\"}}'"),
            "{hint}"
        );
    }

    #[test]
    fn each_state_gets_its_own_remedy() {
        let nets = networks();
        let paused = container("tikv0", NodeRole::Tikv, ProcessState::Paused);
        assert_eq!(
            remedies(&paused, &nets, "docker-compose"),
            ["`docker unpause demo-tikv0-1`"]
        );
        let mut cut = container("tikv1", NodeRole::Tikv, ProcessState::Running);
        cut.networks.clear();
        assert_eq!(
            remedies(&cut, &nets, "docker-compose"),
            ["`docker network connect --alias tikv1 demo_tikv demo-tikv1-1`"]
        );
        assert_eq!(
            describe(&cut, &nets),
            "tikv1 running (cut off from demo_tikv)"
        );
        let killed = container(
            "tikv2",
            NodeRole::Tikv,
            ProcessState::Exited {
                exit_code: Some(137),
            },
        );
        assert_eq!(
            remedies(&killed, &nets, "docker compose"),
            ["`docker start demo-tikv2-1` (or `docker compose up -d tikv2`)"]
        );
        let created = container(
            "tikv3",
            NodeRole::Tikv,
            ProcessState::Other("created".into()),
        );
        assert_eq!(
            remedies(&created, &nets, "docker-compose"),
            ["`docker start demo-tikv3-1` (or `docker-compose up -d tikv3`)"]
        );
        // Paused and cut off: both, in the order that works.
        let mut both = container("tikv4", NodeRole::Tikv, ProcessState::Paused);
        both.networks.clear();
        assert_eq!(
            remedies(&both, &nets, "docker-compose"),
            [
                "`docker unpause demo-tikv4-1`",
                "`docker network connect --alias tikv4 demo_tikv demo-tikv4-1`"
            ]
        );
        // The project's networks unknown: the placeholder says where to look.
        let unknown = remedies(&cut, &[], "docker-compose");
        assert_eq!(unknown.len(), 1);
        assert!(unknown[0].contains("<network>"), "{unknown:?}");
        // A stopped container is not also "cut off".
        let mut stopped = killed.clone();
        stopped.networks.clear();
        assert_eq!(remedies(&stopped, &nets, "docker-compose").len(), 1);
        assert!(
            remedies(
                &container("ok", NodeRole::Tikv, ProcessState::Running),
                &nets,
                "x"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_fault_left_behind_fails_the_row_with_its_remedy() {
        let mut all = cluster();
        all[1].state = ProcessState::Paused;
        all[2].networks.clear();
        all[3].state = ProcessState::Exited {
            exit_code: Some(137),
        };
        let checks = service_checks("demo", &all, &networks(), false, "docker-compose");
        let tikv = row(&checks, "TiKV services");
        assert_eq!(tikv.status, Status::Fail);
        assert_eq!(
            tikv.detail,
            "tikv0 paused, tikv1 running (cut off from demo_tikv), tikv2 exited 137"
        );
        assert_eq!(
            tikv.hint.as_deref().unwrap(),
            "tikv0: `docker unpause demo-tikv0-1`; \
             tikv1: `docker network connect --alias tikv1 demo_tikv demo-tikv1-1`; \
             tikv2: `docker start demo-tikv2-1` (or `docker-compose up -d tikv2`)"
        );
    }

    #[test]
    fn the_load_only_warns_and_a_stopped_one_is_the_storys() {
        let mut all = cluster();
        all.pop();
        let checks = service_checks("demo", &all, &networks(), false, "docker-compose");
        assert_eq!(row(&checks, "load service").status, Status::Warn);
        let with_file = service_checks("demo", &all, &networks(), true, "docker-compose");
        assert_eq!(row(&with_file, "load service").status, Status::Ok);

        let mut stopped = cluster();
        stopped[4].state = ProcessState::Exited { exit_code: Some(0) };
        let checks = service_checks("demo", &stopped, &networks(), false, "docker-compose");
        let load = row(&checks, "load service");
        assert_eq!(load.status, Status::Warn);
        assert!(
            load.hint
                .as_deref()
                .unwrap()
                .contains("the story starts it")
        );

        let mut paused = cluster();
        paused[4].state = ProcessState::Paused;
        let checks = service_checks("demo", &paused, &networks(), false, "docker-compose");
        let load = row(&checks, "load service");
        assert_eq!(load.status, Status::Warn);
        assert_eq!(
            load.hint.as_deref().unwrap(),
            "load: `docker unpause demo-load-1`"
        );
    }
}
