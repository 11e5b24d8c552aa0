//! The world's hostile inputs, for the property tests: every fixture the
//! parsers read, and structure-aware mutations of them (a JSON value
//! replaced by an impossible one, a number in a log line by one no field can
//! mean, a TOML value by a huge duration, control and bidi characters
//! anywhere), besides arbitrary bytes.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Value, json};

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every fixture file under `tests/fixtures/<area>` (README.md left out),
/// with its name, sorted.
pub fn fixtures(area: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect(&fixtures_dir().join(area), &mut found);
    found.sort();
    assert!(!found.is_empty(), "no fixtures under {area}");
    found
}

fn collect(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, found);
        } else if path.file_name().is_some_and(|n| n != "README.md") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            found.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
}

/// Text that must never reach a terminal: escapes, C1, bidi, invisibles.
pub const HOSTILE_TEXT: [&str; 8] = [
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[31m",
    "\u{1b}[2J\u{1b}[H",
    "\u{202e}evil\u{202c}",
    "\u{200f}\u{2066}x\u{2069}",
    "\u{9b}31m",
    "\r\n\t\0",
    "\u{feff}\u{200b}\u{e0041}",
];

/// Numbers no field can mean, as they would be written in a log line.
pub const HOSTILE_NUMBERS: [&str; 14] = [
    "99999999999999999999999999",
    "18446744073709551616",
    "9223372036854775808",
    "1e300",
    "1e40",
    "1.7976931348623157e308",
    "-5",
    "-0",
    "NaN",
    "inf",
    "-inf",
    "1e-300",
    "0",
    "4294967296",
];

pub fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(HOSTILE_TEXT.to_vec()).prop_map(str::to_string),
        "\\PC{0,8}",
        ".{0,12}",
    ]
}

/// A JSON value PD or Docker should never send where it lands.
fn hostile_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(u64::MAX)),
        Just(json!(9_223_372_036_854_775_808u64)),
        Just(json!(i64::MIN)),
        Just(json!(-1)),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(0.5)),
        Just(json!(null)),
        Just(json!(true)),
        Just(json!([])),
        Just(json!({})),
        Just(json!("")),
        Just(json!("99999999999999999999EiB")),
        Just(json!("9999999999999h")),
        Just(json!("-30m")),
        Just(json!("not a number")),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        hostile_text().prop_map(Value::String),
    ]
}

#[derive(Debug, Clone)]
pub enum JsonEdit {
    Replace(Value),
    /// An array element or object member removed.
    Remove,
    /// An array element repeated (duplicate ids).
    Duplicate,
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        6 => hostile_json().prop_map(JsonEdit::Replace),
        1 => Just(JsonEdit::Remove),
        2 => Just(JsonEdit::Duplicate),
    ]
}

fn node_count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(node_count).sum(),
        Value::Object(map) => map.values().map(node_count).sum(),
        _ => 0,
    }
}

/// Applies `edit` to the `target`-th node in pre-order (the root is 0).
pub fn apply_edit(value: &mut Value, target: usize, edit: &JsonEdit) {
    let mut remaining = target;
    visit(value, &mut remaining, edit);
}

fn visit(value: &mut Value, remaining: &mut usize, edit: &JsonEdit) -> bool {
    if *remaining == 0 {
        if let JsonEdit::Replace(new) = edit {
            *value = new.clone();
        }
        return true;
    }
    *remaining -= 1;
    match value {
        Value::Array(items) => {
            for index in 0..items.len() {
                if *remaining == 0 && !matches!(edit, JsonEdit::Replace(_)) {
                    match edit {
                        JsonEdit::Remove => {
                            items.remove(index);
                        }
                        _ => {
                            let copy = items[index].clone();
                            items.insert(index, copy);
                        }
                    }
                    return true;
                }
                if visit(&mut items[index], remaining, edit) {
                    return true;
                }
            }
        }
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                if *remaining == 0 && matches!(edit, JsonEdit::Remove) {
                    map.remove(&key);
                    return true;
                }
                if let Some(child) = map.get_mut(&key) {
                    if visit(child, remaining, edit) {
                        return true;
                    }
                }
            }
        }
        _ => {}
    }
    false
}

/// A JSON fixture with one to four edits, written back as text; the text
/// of a fixture that is not JSON, mutated as text.
pub fn mutated_json(fixtures: Vec<(String, String)>) -> impl Strategy<Value = String> {
    let count = fixtures.len();
    (
        0..count,
        prop::collection::vec((any::<prop::sample::Index>(), json_edit()), 1..4),
        mutated_text_edit(),
        any::<bool>(),
    )
        .prop_map(move |(index, edits, text_edit, also_text)| {
            let (_, text) = &fixtures[index];
            match serde_json::from_str::<Value>(text) {
                Ok(mut value) => {
                    for (at, edit) in &edits {
                        let target = at.index(node_count(&value));
                        apply_edit(&mut value, target, edit);
                    }
                    let written = value.to_string();
                    if also_text {
                        text_edit.apply(&written)
                    } else {
                        written
                    }
                }
                Err(_) => text_edit.apply(text),
            }
        })
}

/// A text-level edit: a number token replaced by a hostile number, hostile
/// text inserted, or the text cut.
#[derive(Debug, Clone)]
pub struct TextEdit {
    at: prop::sample::Index,
    kind: TextEditKind,
}

#[derive(Debug, Clone)]
enum TextEditKind {
    Number(&'static str),
    Insert(String),
    Cut,
}

pub fn mutated_text_edit() -> impl Strategy<Value = TextEdit> {
    (
        any::<prop::sample::Index>(),
        prop_oneof![
            4 => prop::sample::select(HOSTILE_NUMBERS.to_vec()).prop_map(TextEditKind::Number),
            2 => hostile_text().prop_map(TextEditKind::Insert),
            1 => Just(TextEditKind::Cut),
        ],
    )
        .prop_map(|(at, kind)| TextEdit { at, kind })
}

impl TextEdit {
    pub fn apply(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        match &self.kind {
            TextEditKind::Number(number) => {
                // The digit runs of the text; replace the chosen one.
                let runs = digit_runs(&chars);
                if runs.is_empty() {
                    return format!("{text}{number}");
                }
                let (start, end) = runs[self.at.index(runs.len())];
                chars[..start]
                    .iter()
                    .chain(number.chars().collect::<Vec<_>>().iter())
                    .chain(chars[end..].iter())
                    .collect()
            }
            TextEditKind::Insert(insert) => {
                let at = self.at.index(chars.len() + 1);
                chars[..at]
                    .iter()
                    .chain(insert.chars().collect::<Vec<_>>().iter())
                    .chain(chars[at..].iter())
                    .collect()
            }
            TextEditKind::Cut => chars[..self.at.index(chars.len() + 1)].iter().collect(),
        }
    }
}

fn digit_runs(chars: &[char]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in chars.iter().enumerate() {
        let numeric = c.is_ascii_digit() || *c == '.';
        match (numeric, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, chars.len()));
    }
    runs
}

/// Lines of the text fixtures, each possibly edited; a few lines in a row
/// as a stream would bring them.
pub fn mutated_lines(fixtures: Vec<(String, String)>) -> impl Strategy<Value = Vec<String>> {
    let lines: Vec<String> = fixtures
        .iter()
        .flat_map(|(_, text)| text.lines().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let count = lines.len();
    prop::collection::vec(
        (0..count, prop::option::weighted(0.6, mutated_text_edit())),
        1..40,
    )
    .prop_map(move |picks| {
        picks
            .into_iter()
            .map(|(i, edit)| match edit {
                Some(edit) => edit.apply(&lines[i]),
                None => lines[i].clone(),
            })
            .collect()
    })
}

/// Arbitrary bytes, read as the show reads a log: lossily, by line.
pub fn arbitrary_lines() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(any::<u8>(), 0..2048).prop_map(|bytes| {
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_string)
            .collect()
    })
}

/// The built-in chapters with `key = value` values replaced by hostile ones.
pub fn mutated_chapters() -> impl Strategy<Value = String> {
    let text = chaosdeck::story::chapter::DEFAULT_CHAPTERS.to_string();
    let hostile_values: Vec<&'static str> = vec![
        "1e30",
        "1e300",
        "-1",
        "inf",
        "nan",
        "\"100000000000000000000\"",
        "\"99999999999999999999999h\"",
        "\"8760h0.001s\"",
        "\"-5s\"",
        "4294967295",
        "99999999999999999999",
        "\"\\u001b]0;pwned\\u0007\\u202e\"",
        "\"\\r\\n\\t\\u0000\"",
        "\"\"",
        "[]",
        "{}",
        "true",
    ];
    (
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop::sample::select(hostile_values),
            ),
            1..4,
        ),
        prop::option::weighted(0.3, mutated_text_edit()),
    )
        .prop_map(move |(edits, text_edit)| {
            let mut out = text.clone();
            for (at, value) in edits {
                // The values of `key = value`, up to `,`, `}` or the line's end.
                let spans: Vec<(usize, usize)> = out
                    .match_indices(" = ")
                    .map(|(i, _)| {
                        let start = i + 3;
                        let end = out[start..]
                            .find([',', '}', '\n'])
                            .map_or(out.len(), |n| start + n);
                        (start, end)
                    })
                    .filter(|(start, _)| !out[*start..].starts_with("\"\"\""))
                    .collect();
                let (start, end) = spans[at.index(spans.len())];
                out.replace_range(start..end, value);
            }
            match text_edit {
                Some(edit) => edit.apply(&out),
                None => out,
            }
        })
}
