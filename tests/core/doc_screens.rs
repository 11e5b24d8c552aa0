//! The screens in the README and the docs are the snapshots, so they cannot
//! drift: a fenced block after `<!-- screen: NAME -->` must equal the snapshot
//! `tests/core/snapshots/core__ui_snapshots__NAME.snap`. With
//! `CHAOSDECK_BLESS_DOCS=1` the test writes the snapshots into the docs.

use std::path::Path;

const DOCS: [&str; 2] = ["README.md", "docs/screen.md"];
const MARK: &str = "<!-- screen: ";

/// The screen of snapshot `name`, as its file holds it after the header.
fn snapshot(name: &str) -> String {
    let path = format!("tests/core/snapshots/core__ui_snapshots__{name}.snap");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let body = text
        .splitn(3, "---\n")
        .nth(2)
        .unwrap_or_else(|| panic!("{path}: no snapshot header"));
    body.trim_end_matches('\n').to_string()
}

/// `doc` with every marked block set to its snapshot, and the names found.
fn with_snapshots(doc: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut names = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let Some(name) = line
            .strip_prefix(MARK)
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().expect("a fenced block after the mark");
        assert_eq!(fence, "```", "a fence after {line}");
        for inside in lines.by_ref() {
            if inside == "```" {
                break;
            }
        }
        out.push_str(&format!("```\n{}\n```\n", snapshot(name)));
        names.push(name.to_string());
    }
    (out, names)
}

#[test]
fn the_docs_screens_are_the_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("CHAOSDECK_BLESS_DOCS").is_some();
    let mut shown = 0;
    for doc in DOCS {
        let path = root.join(doc);
        let text = std::fs::read_to_string(&path).expect("the doc");
        let (want, names) = with_snapshots(&text);
        shown += names.len();
        if bless {
            std::fs::write(&path, &want).expect("the doc written");
            continue;
        }
        assert!(
            text == want,
            "{doc}: a screen differs from its snapshot ({names:?}); run \
             CHAOSDECK_BLESS_DOCS=1 cargo test --release --features testing \
             --test core doc_screens"
        );
    }
    assert!(shown >= 3, "the README and docs show {shown} screens");
}
