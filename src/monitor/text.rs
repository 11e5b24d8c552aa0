//! The monitor's words: thin re-exports of [`crate::text`], the one
//! vocabulary for times, numbers and cleaning.
//!
//! Names such as services come from the outside world (Compose files, Docker,
//! PD). They are cleaned where they enter; `plain` is the same cleaner
//! ([`crate::text::clean_line`]) for text the monitor quotes.

pub use crate::text::clean_line as plain;
pub use crate::text::{clock, count, percent, span};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_is_the_one_cleaner() {
        assert_eq!(plain("tikv-1_{x}"), "tikv-1_{x}");
        assert_eq!(plain("tikv\u{1b}[31m1\n"), "tikv␛[31m1␊");
    }
}
