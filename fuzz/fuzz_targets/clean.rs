//! The one cleaner and the layout after it: nothing unsafe comes out,
//! cleaning twice changes nothing, and widths hold.
#![no_main]

use chaosdeck::text::{clean_line, clean_text, is_unsafe};
use chaosdeck::ui::text::{distinct_short_names, ellipsize, wrap};
use libfuzzer_sys::fuzz_target;
use unicode_width::UnicodeWidthStr;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let line = clean_line(&text);
    assert!(!line.chars().any(is_unsafe));
    assert_eq!(clean_line(&line), line);
    assert!(!clean_text(&text).chars().any(|c| c != '\n' && is_unsafe(c)));
    let width = usize::from(bytes.first().copied().unwrap_or(7) % 40).max(3);
    assert!(ellipsize(&line, width).width() <= width);
    for row in wrap(&line, width) {
        assert!(row.width() <= width);
    }
    let names: Vec<&str> = line.split(' ').collect();
    for short in distinct_short_names(&names, width) {
        assert!(short.width() <= width);
    }
});
