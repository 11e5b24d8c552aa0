//! `chaosdeck report`: the scoreboard of any journals, folded by the same
//! code as the Complete chapter's.

use std::path::PathBuf;

use crate::app::Scoreboard;
use crate::state::journal_file;

/// What `report` prints, and whether anything could be read.
pub struct Report {
    pub text: String,
    pub ok: bool,
}

pub fn run(paths: &[PathBuf], json: bool) -> Report {
    let files = journal_file::files_in_order(paths);
    let mut board = Scoreboard::default();
    let mut entries = 0u64;
    let read = journal_file::read_each(&files, |entry| {
        entries += 1;
        board.observe(&entry);
    });
    let mut text = String::new();
    if json {
        let value = serde_json::json!({
            "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
            "entries": entries,
            "damaged_lines": read.damaged,
            "unreadable": read.unreadable,
            "scoreboard": board.summary(),
        });
        text.push_str(&serde_json::to_string_pretty(&value).unwrap_or_default());
        text.push('\n');
    } else {
        for file in &files {
            text.push_str(&format!(
                "journal  {}\n",
                crate::ui::text::plain(&file.display().to_string())
            ));
        }
        text.push_str(&format!(
            "entries  {entries}, damaged lines skipped {}\n",
            read.damaged
        ));
        for why in &read.unreadable {
            text.push_str(&format!("unreadable  {}\n", crate::ui::text::plain(why)));
        }
        for line in board.lines() {
            text.push_str(&line);
            text.push('\n');
        }
    }
    Report {
        text,
        ok: entries > 0,
    }
}
