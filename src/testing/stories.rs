//! Small stories by name, as script text for [`super::app_with`]: each
//! holds just the chapters a test of one behaviour needs.

/// One chapter that kills `target` as it opens, once the cluster is known
/// healthy (`"random"`: the seeded choice of an Up store), and waits there.
pub fn kill_chapter(target: &str) -> String {
    format!(
        r#"
[[chapter]]
title = "Fault"
on_enter = [{{ action = "inject_fault", kind = "kill", target = "{target}" }}]
blocks_advance = true
"#
    )
}

/// The load started in the first chapter, stopped in the second.
pub const LOAD_ON_OFF: &str = r#"
[[chapter]]
title = "Load"
on_enter = [{ action = "start_load" }]

[[chapter]]
title = "Done"
on_enter = [{ action = "stop_load" }]
"#;

/// An intro, then a 3 s countdown to killing tikv1, its detection (30 s at
/// most) and its recovery, each chapter waiting for its action.
pub const FAULT_DETECT_RECOVER: &str = r#"
[[chapter]]
title = "Intro"

[[chapter]]
title = "Fault"
on_enter = [
  { action = "countdown", seconds = 3 },
  { action = "inject_fault", kind = "kill", target = "tikv1" },
]
blocks_advance = true

[[chapter]]
title = "Detect"
on_enter = [{ action = "await_detection", timeout = "30s" }]
blocks_advance = true

[[chapter]]
title = "Recover"
on_enter = [{ action = "recover" }]
"#;
