//! Colours and symbols. Named ANSI colours only, and never meaning by colour
//! alone: every coloured state also has a symbol and a word.

use ratatui::style::{Color, Modifier, Style};

use crate::app::Level;
use crate::cluster::StoreState;
use crate::workload::tracker::{BarLevel, WorkloadStatus};

pub const GOOD: Color = Color::Green;
pub const WARN: Color = Color::Yellow;
pub const BAD: Color = Color::Red;
pub const ACCENT: Color = Color::Cyan;

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn title() -> Style {
    Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
}

/// Symbol and colour of a store state (the word is the state's name).
pub fn store_state(state: &StoreState) -> (&'static str, Style) {
    match state {
        StoreState::Up => ("●", Style::new().fg(GOOD)),
        StoreState::Disconnected | StoreState::Down => {
            ("✗", Style::new().fg(BAD).add_modifier(Modifier::BOLD))
        }
        StoreState::Offline => ("◐", Style::new().fg(WARN)),
        StoreState::Tombstone | StoreState::Unknown(_) => ("?", dim()),
    }
}

pub fn bar(level: BarLevel) -> Style {
    Style::new().fg(match level {
        BarLevel::Normal => GOOD,
        BarLevel::Warning => WARN,
        BarLevel::Degraded => BAD,
    })
}

/// Symbol and colour of the workload's status word.
pub fn workload_status(status: WorkloadStatus) -> (&'static str, Style) {
    match status {
        WorkloadStatus::Idle => ("-", dim()),
        WorkloadStatus::Baseline => ("~", Style::new().fg(ACCENT)),
        WorkloadStatus::Normal => ("●", Style::new().fg(GOOD)),
        WorkloadStatus::Degraded => ("✗", Style::new().fg(BAD).add_modifier(Modifier::BOLD)),
        WorkloadStatus::Recovering => ("▲", Style::new().fg(WARN)),
    }
}

/// Word and colour of a journal or pane line's level.
pub fn level(level: Level) -> (&'static str, Style) {
    match level {
        Level::Info => ("INFO", Style::new().fg(ACCENT)),
        Level::Good => ("OK  ", Style::new().fg(GOOD)),
        Level::Warning => ("WARN", Style::new().fg(WARN)),
        Level::Critical => ("CRIT", Style::new().fg(BAD).add_modifier(Modifier::BOLD)),
    }
}
