//! Naming rules: Compose labels, the role of a service, the Compose project
//! name and the service behind a store address. All pure.

use crate::cluster::NodeRole;

/// Label Compose puts on every container, network and volume of a project.
pub const PROJECT_LABEL: &str = "com.docker.compose.project";
/// Label naming the service a container belongs to.
pub const SERVICE_LABEL: &str = "com.docker.compose.service";
/// Replica number of a container within its service (`"1"`, `"2"`...).
pub const CONTAINER_NUMBER_LABEL: &str = "com.docker.compose.container-number";
/// `"True"` for `docker-compose run` one-off containers, which are not nodes.
pub const ONEOFF_LABEL: &str = "com.docker.compose.oneoff";
/// The Compose files a container was made from, comma-separated paths.
pub const CONFIG_FILES_LABEL: &str = "com.docker.compose.project.config_files";

/// The role of a Compose service.
///
/// The rule, first match wins:
/// 1. the service name: `pd`, `tikv`, `load`, `ycsb` or `go-ycsb`, alone or
///    followed by a digit, `-` or `_` (`pd0`, `tikv-2`, `load_a`), gives PD,
///    TiKV or load;
/// 2. otherwise the image's repository name without registry, owner or tag
///    (`pingcap/tikv:v8.5.1` gives `tikv`): `pd`, `tikv`, `go-ycsb` or `ycsb`;
/// 3. otherwise `Other`.
///
/// Names are compared case-insensitively. `tiflash`, `tidb`, `pd-ctl`-like
/// helpers with other names and images stay `Other`, so they are never
/// mistaken for a store.
pub fn classify_role(service: &str, image: &str) -> NodeRole {
    role_from_service_name(service)
        .or_else(|| role_from_image(image))
        .unwrap_or(NodeRole::Other)
}

fn role_from_service_name(service: &str) -> Option<NodeRole> {
    let name = service.to_ascii_lowercase();
    const PREFIXES: [(&str, NodeRole); 5] = [
        ("go-ycsb", NodeRole::Load),
        ("ycsb", NodeRole::Load),
        ("load", NodeRole::Load),
        ("tikv", NodeRole::Tikv),
        ("pd", NodeRole::Pd),
    ];
    PREFIXES.iter().find_map(|(prefix, role)| {
        let rest = name.strip_prefix(prefix)?;
        let separated = rest
            .chars()
            .next()
            .is_none_or(|c| c.is_ascii_digit() || c == '-' || c == '_');
        separated.then_some(*role)
    })
}

fn role_from_image(image: &str) -> Option<NodeRole> {
    match image_repository_name(image).to_ascii_lowercase().as_str() {
        "pd" => Some(NodeRole::Pd),
        "tikv" => Some(NodeRole::Tikv),
        "go-ycsb" | "ycsb" => Some(NodeRole::Load),
        _ => None,
    }
}

/// `registry:5000/pingcap/tikv:v8.5.1@sha256:...` gives `tikv`.
fn image_repository_name(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// The project name Compose derives from a directory name: lowercase, only
/// `[a-z0-9_-]` kept, leading characters that are not a letter or digit dropped.
/// `None` when nothing usable is left (Compose then refuses too).
pub fn normalize_project_name(dir_name: &str) -> Option<String> {
    let kept: String = dir_name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    let trimmed = kept.trim_start_matches(['_', '-']);
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// The default Compose project: the current directory's name, normalised.
pub fn default_project_name() -> Option<String> {
    let dir = std::env::current_dir().ok()?;
    normalize_project_name(&dir.file_name()?.to_string_lossy())
}

/// The Compose service behind a store address: its host part.
/// `tikv1:20160` gives `tikv1`, `http://tikv1:20160` too; `[::1]:20160` gives `::1`.
pub fn service_of_address(address: &str) -> &str {
    // One rule for the whole crate: the PD client's.
    crate::cluster::pd::address_host(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_decide_first() {
        assert_eq!(classify_role("pd0", "busybox"), NodeRole::Pd);
        assert_eq!(classify_role("pd", "x"), NodeRole::Pd);
        assert_eq!(classify_role("tikv-2", "x"), NodeRole::Tikv);
        assert_eq!(classify_role("TiKV_1", "x"), NodeRole::Tikv);
        assert_eq!(classify_role("load", "pingcap/tikv:v8.5.1"), NodeRole::Load);
        assert_eq!(classify_role("go-ycsb", "x"), NodeRole::Load);
    }

    #[test]
    fn a_prefix_must_end_at_a_separator() {
        // `pdf-renderer` is not PD and `tikvexporter` is not TiKV.
        assert_eq!(classify_role("pdf-renderer", "x"), NodeRole::Other);
        assert_eq!(classify_role("tikvexporter", "x"), NodeRole::Other);
        assert_eq!(classify_role("loader", "x"), NodeRole::Other);
    }

    #[test]
    fn images_decide_when_the_name_says_nothing() {
        assert_eq!(
            classify_role("store-a", "pingcap/tikv:v8.5.1"),
            NodeRole::Tikv
        );
        assert_eq!(
            classify_role("placement", "registry:5000/pingcap/pd@sha256:ab"),
            NodeRole::Pd
        );
        assert_eq!(classify_role("bench", "pingcap/go-ycsb"), NodeRole::Load);
        assert_eq!(
            classify_role("tiflash", "pingcap/tiflash:v8.5.1"),
            NodeRole::Other
        );
        assert_eq!(classify_role("db", "pingcap/tidb"), NodeRole::Other);
    }

    #[test]
    fn project_names_are_normalised_like_compose() {
        assert_eq!(
            normalize_project_name("chaosdeck").as_deref(),
            Some("chaosdeck")
        );
        assert_eq!(
            normalize_project_name("My Demo.v2").as_deref(),
            Some("mydemov2")
        );
        assert_eq!(
            normalize_project_name("wt-docker").as_deref(),
            Some("wt-docker")
        );
        assert_eq!(normalize_project_name("_tmp").as_deref(), Some("tmp"));
        assert_eq!(normalize_project_name("..."), None);
    }

    #[test]
    fn stores_map_to_services_by_host() {
        assert_eq!(service_of_address("tikv1:20160"), "tikv1");
        assert_eq!(service_of_address("http://tikv2:20160"), "tikv2");
        assert_eq!(service_of_address("tikv0"), "tikv0");
        assert_eq!(service_of_address("[::1]:20160"), "::1");
    }
}
