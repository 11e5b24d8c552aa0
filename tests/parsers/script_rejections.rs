//! Every way a chapters file is refused says where and what: `line L,
//! column C: key: what is wrong`, on one line, in TOML's words (array, table),
//! never serde's (sequence, map, untagged enum, u32).

use chaosdeck::story::{ScriptError, parse_script};
use proptest::prelude::*;

use crate::hostile_inputs::mutated_chapters;

/// serde's internals, which a person writing TOML cannot act on.
const SERDE_WORDS: [&str; 8] = [
    "untagged",
    "variant identifier",
    "internally tagged",
    "struct ",
    "sequence",
    " map",
    "u32",
    "u64",
];

/// Bad scripts, with the line, column and key of what is wrong.
const BAD_SCRIPTS: &[(&str, usize, usize, &str)] = &[
    // Named in issue #20.
    (
        "[kiosk]\nfaults = []\n[[chapter]]\ntitle = 'a'\n",
        2,
        10,
        "faults",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'countdown', seconds = 0 }]\n",
        3,
        13,
        "seconds",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [\n  { action = 'countdown', seconds = 0 },\n]\n",
        4,
        3,
        "seconds",
    ),
    ("[[chapter]]\ntitle = '  '\n", 2, 9, "title"),
    ("chapter = []\n", 1, 11, "chapter"),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'await_detection', timeout = 1e300 }]\n",
        3,
        13,
        "timeout",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'recover', timeout = 'soon' }]\n",
        3,
        13,
        "timeout",
    ),
    ("[[chapter]]\ntitle = 'a'\ndwell = [1,2]\n", 3, 9, "dwell"),
    (
        "[kiosk.attract]\ntitle = \"\"\n[[chapter]]\ntitle = 'a'\n",
        2,
        9,
        "title",
    ),
    (
        "[kiosk]\nidle = 0\n[[chapter]]\ntitle = 'a'\n",
        2,
        8,
        "idle",
    ),
    // Values of the wrong kind.
    ("[[chapter]]\ntitle = 'a'\ndwell = true\n", 3, 9, "dwell"),
    ("[[chapter]]\ntitle = 'a'\nlead_in = {}\n", 3, 11, "lead_in"),
    ("[[chapter]]\ntitle = 'a'\ndwell = 'soon'\n", 3, 9, "dwell"),
    ("[[chapter]]\ntitle = 'a'\ndwell = 1e30\n", 3, 9, "dwell"),
    ("[[chapter]]\ntitle = 'a'\ndwell = -1\n", 3, 9, "dwell"),
    ("[[chapter]]\ntitle = 'a'\ndwell = nan\n", 3, 9, "dwell"),
    ("[[chapter]]\ntitle = 3\n", 2, 9, "title"),
    (
        "[[chapter]]\ntitle = 'a'\nauto_advance = 'yes'\n",
        3,
        16,
        "auto_advance",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = 3\n",
        3,
        12,
        "on_enter",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [3]\n",
        3,
        13,
        "on_enter",
    ),
    (
        "[[chapter]]\ntitle = 'a'\nnarration_for = 3\n",
        3,
        17,
        "narration_for",
    ),
    ("chapter = 3\n", 1, 11, "chapter"),
    ("[chapter]\ntitle = 'a'\n", 1, 1, "chapter"),
    ("kiosk = 3\n[[chapter]]\ntitle = 'a'\n", 1, 9, "kiosk"),
    ("[[kiosk]]\n[[chapter]]\ntitle = 'a'\n", 1, 1, "kiosk"),
    (
        "[kiosk]\nattract = 3\n[[chapter]]\ntitle = 'a'\n",
        2,
        11,
        "attract",
    ),
    (
        "[kiosk]\nfaults = [3]\n[[chapter]]\ntitle = 'a'\n",
        2,
        11,
        "faults",
    ),
    (
        "[kiosk]\nfaults = {}\n[[chapter]]\ntitle = 'a'\n",
        2,
        10,
        "faults",
    ),
    (
        "[kiosk]\nheal_timeout = 'x'\n[[chapter]]\ntitle = 'a'\n",
        2,
        16,
        "heal_timeout",
    ),
    // Inside an action.
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'explode' }]\n",
        3,
        24,
        "action",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 3 }]\n",
        3,
        24,
        "action",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ seconds = 3 }]\n",
        3,
        13,
        "action",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'countdown', seconds = 'three' }]\n",
        3,
        13,
        "seconds",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'countdown', seconds = 1.5 }]\n",
        3,
        13,
        "seconds",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'countdown', seconds = -1 }]\n",
        3,
        13,
        "seconds",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'countdown', seconds = 4294967295 }]\n",
        3,
        13,
        "seconds",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'countdown' }]\n",
        3,
        13,
        "seconds",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'inject_fault' }]\n",
        3,
        13,
        "kind",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'inject_fault', kind = 'nuke' }]\n",
        3,
        13,
        "kind",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'inject_fault', kind = 'kill', target = '' }]\n",
        3,
        13,
        "target",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'inject_fault', kind = 'kill', target = 3 }]\n",
        3,
        13,
        "target",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'await_detection', until = 'never' }]\n",
        3,
        13,
        "until",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'diagnose', evidence_timeout = 'x' }]\n",
        3,
        13,
        "evidence_timeout",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'recover', timout = '5s' }]\n",
        3,
        13,
        "timout",
    ),
    (
        "[[chapter]]\ntitle = 'a'\non_enter = [{ action = \"\\u001b]0;pwned\\u0007\" }]\n",
        3,
        24,
        "action",
    ),
    // Keys and tables that are missing, unknown or twice.
    ("", 1, 1, "chapter"),
    ("[[chapter]]\nnarration = 'no title'\n", 1, 1, "title"),
    (
        "[kiosk.attract]\nnarration = 'x'\n[[chapter]]\ntitle = 'a'\n",
        1,
        1,
        "title",
    ),
    (
        "[kiosk]\nfaults = [{ target = 'tikv1' }]\n[[chapter]]\ntitle = 'a'\n",
        2,
        11,
        "kind",
    ),
    (
        "[kiosk]\nfaults = [{ kind = 'kill', target = '' }]\n[[chapter]]\ntitle = 'a'\n",
        2,
        37,
        "target",
    ),
    ("foo = 1\n[[chapter]]\ntitle = 'a'\n", 1, 1, "foo"),
    (
        "[[chapter]]\ntitle = 'a'\nauto_advanced = true\n",
        3,
        1,
        "auto_advanced",
    ),
    (
        "[kiosk]\nidel = '5s'\n[[chapter]]\ntitle = 'a'\n",
        2,
        1,
        "idel",
    ),
    (
        "[[chapter]]\ntitle = 'a'\nnarration_for.nuke = 'x'\n",
        3,
        15,
        "narration_for",
    ),
    ("[[chapter]]\ntitle = 'a'\ntitle = 'b'\n", 3, 1, "title"),
    // Not TOML.
    ("[[chapter]]\ntitle = 'a\n", 2, 11, "title"),
    ("[[chapter]]\ntitle = hello\n", 2, 9, "title"),
    ("[[chapter]]\ntitle =\n", 2, 8, "title"),
    ("[[chapter]\ntitle = 'a'\n", 1, 11, "chapter"),
];

/// Whether it says where, what and in which key, in one line and TOML's words.
fn told_well(e: &ScriptError, line: usize, column: usize, key: &str) -> Result<(), String> {
    let shown = e.to_string();
    let problem = if (e.line, e.column) != (Some(line), Some(column)) {
        Some(format!("not at line {line}, column {column}"))
    } else if !e
        .detail
        .starts_with(&format!("line {line}, column {column}: "))
    {
        Some("the position does not come first".to_owned())
    } else if !e.detail.contains(key) {
        Some(format!("{key} is not named"))
    } else if shown.contains('\n') || shown.trim_end() != shown {
        Some("more than one line".to_owned())
    } else {
        SERDE_WORDS
            .iter()
            .find(|word| shown.contains(*word))
            .map(|word| format!("serde's {word:?}"))
    };
    problem.map_or(Ok(()), |problem| Err(format!("{problem}: {shown:?}")))
}

#[test]
fn every_rejection_names_its_line_column_and_key_in_toml_words() {
    let failures: Vec<String> = BAD_SCRIPTS
        .iter()
        .filter_map(|&(text, line, column, key)| {
            let e = parse_script(text, "story.toml").expect_err(text);
            told_well(&e, line, column, key).err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_semantic_rules_are_said_in_words() {
    for (text, said) in [
        (
            "chapter = []\n",
            "chapter: expected at least one [[chapter]]",
        ),
        (
            "[kiosk]\nfaults = []\n[[chapter]]\ntitle = 'a'\n",
            "faults: expected at least one fault, such as { kind = \"kill\" }",
        ),
        (
            "[[chapter]]\ntitle = ''\n",
            "title: a title cannot be blank",
        ),
        (
            "[[chapter]]\ntitle = 'a'\non_enter = [{ action = 'countdown', seconds = 0 }]\n",
            "seconds: a countdown needs at least 1 second",
        ),
        (
            "[[chapter]]\ntitle = 'a'\ndwell = [1,2]\n",
            "dwell: invalid type: array, expected a duration such as \"8s\" or a number of seconds",
        ),
        (
            "[kiosk]\nidle = 0\n[[chapter]]\ntitle = 'a'\n",
            "idle: 0s is shorter than 5s, too soon for a person to step in",
        ),
    ] {
        let e = parse_script(text, "story.toml").unwrap_err();
        assert!(e.detail.ends_with(said), "{e}");
    }
}

fn refused_with_a_position_or_not_at_all(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = parse_script(text, "mutated.toml") {
        let (Some(line), Some(column)) = (e.line, e.column) else {
            return Err(TestCaseError::fail(format!("no position: {e}")));
        };
        // Any key: which one depends on the text.
        told_well(&e, line, column, "").map_err(TestCaseError::fail)?;
    }
    Ok(())
}

fn count_down(seconds: i64) -> String {
    format!(
        "[[chapter]]\ntitle = 'a'\non_enter = [{{ action = 'countdown', seconds = {seconds} }}]\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_mutated_story_is_refused_with_a_position_or_not_at_all(text in mutated_chapters()) {
        refused_with_a_position_or_not_at_all(&text)?;
    }

    #[test]
    fn arbitrary_text_is_refused_with_a_position_or_not_at_all(
        text in "\\PC{0,300}|(\\[\\[chapter\\]\\]\\n.{0,80}\\n){0,3}"
    ) {
        refused_with_a_position_or_not_at_all(&text)?;
    }

    #[test]
    fn an_idle_is_taken_from_five_seconds_up(millis in 0u64..20_000) {
        let text = format!("[kiosk]\nidle = '{millis}ms'\n[[chapter]]\ntitle = 'a'\n");
        match parse_script(&text, "story.toml") {
            Ok(script) => {
                prop_assert!(millis >= 5_000, "{millis}ms taken");
                prop_assert_eq!(script.kiosk.idle.as_millis(), u128::from(millis));
            }
            Err(e) => {
                prop_assert!(millis < 5_000, "{e}");
                told_well(&e, 2, 8, "idle").map_err(TestCaseError::fail)?;
            }
        }
    }

    #[test]
    fn a_countdown_is_taken_from_one_second_to_the_bound(seconds in prop_oneof![
        -5i64..5,
        31_535_990i64..31_536_010,
        any::<i64>(),
    ]) {
        match parse_script(&count_down(seconds), "story.toml") {
            Ok(_) => prop_assert!((1..=31_536_000).contains(&seconds), "{seconds} taken"),
            Err(e) => {
                prop_assert!(!(1..=31_536_000).contains(&seconds), "{e}");
                told_well(&e, 3, 13, "seconds").map_err(TestCaseError::fail)?;
            }
        }
    }
}
