//! The stories built into the binary, by name: `--script pd-failover`,
//! `--script slow-store` and `--script packet-loss` tell them. A bare name that is a built-in story's is that story; a
//! path (anything with a `/` or a `.`) is always a file, so `./pd-failover`
//! reads a file of that name.

use std::path::Path;

use super::chapter::{Script, ScriptError, load_file, parse_script};

/// Each built-in story's name and its chapters file.
pub const BUILT_IN: [(&str, &str); 3] = [
    ("pd-failover", include_str!("../../assets/pd-failover.toml")),
    ("slow-store", include_str!("../../assets/slow-store.toml")),
    ("packet-loss", include_str!("../../assets/packet-loss.toml")),
];

/// The built-in story of that name, if `path` is a bare name and names one.
pub fn built_in(path: &Path) -> Option<(&'static str, &'static str)> {
    let name = path.to_str()?;
    if name.contains(['/', '.', std::path::MAIN_SEPARATOR]) {
        return None;
    }
    BUILT_IN.iter().find(|(n, _)| *n == name).copied()
}

/// A built-in story by its bare name, else the chapters file at `path`.
pub fn load_script(path: &Path) -> Result<Script, ScriptError> {
    match built_in(path) {
        Some((name, text)) => parse_script(text, &format!("built-in story {name}")),
        None => load_file(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_story_reads_and_only_bare_names_are_taken() {
        for (name, _) in BUILT_IN {
            let script = load_script(Path::new(name)).expect("a valid built-in story");
            assert!(script.chapters.len() > 3, "{name}");
        }
        assert!(built_in(Path::new("./pd-failover")).is_none());
        assert!(built_in(Path::new("pd-failover.toml")).is_none());
        let missing = load_script(Path::new("./pd-failover")).unwrap_err();
        assert!(missing.detail.contains("cannot read the file"), "{missing}");
    }
}
