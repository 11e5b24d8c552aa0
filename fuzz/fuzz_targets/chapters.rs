//! A chapters file: refused with a clean message, or read with bounded
//! durations and clean text.
#![no_main]

use chaosdeck::story::parse_script;
use chaosdeck::text::is_unsafe;
use chaosdeck::units::duration::MAX_DURATION;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match parse_script(text, "fuzz.toml") {
        Ok(script) => {
            for chapter in &script.chapters {
                assert!(!chapter.title.chars().any(is_unsafe));
                assert!(!chapter.narration.chars().any(|c| c != '\n' && is_unsafe(c)));
                assert!(chapter.dwell <= MAX_DURATION);
            }
        }
        Err(error) => assert!(!error.to_string().chars().any(is_unsafe)),
    }
});
