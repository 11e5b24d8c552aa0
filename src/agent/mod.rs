//! The agent: gathers evidence and diagnoses what happened.
//!
//! The [`Analyzer`] trait is the seam. The built-in analyzer (offline,
//! deterministic) is the ground truth; a language model can give a second
//! opinion beside it ([`second_opinion`]), never instead of it. An analyzer
//! sees only [`Evidence`] (observations), never what was injected.
//!
//! The modules, from the bottom up (each names only those below it):
//! - data: [`evidence`](Evidence), `opinion` (a second opinion's data),
//!   `diagnosis` (what an analyzer concludes, carrying an opinion),
//!   `progress` (what it reports while it works); text made safe for the
//!   model is [`crate::text::for_model`];
//! - the seam: `analyzer` ([`Analyzer`], [`AnalyzerError`]);
//! - rules: [`allowlist`], `facts` (drawn from evidence), `hypotheses`
//!   (one row per fault class), `reasoning` (clues scored into a verdict);
//! - analyzers: `builtin`, [`model`] (the model agent);
//! - compositions: [`second_opinion`] ([`WithSecondOpinion`]), [`eval`].
//!
//! This file only declares them and names what others use.

pub mod allowlist;
mod analyzer;
mod builtin;
mod diagnosis;
pub mod eval;
mod evidence;
mod facts;
mod hypotheses;
pub mod model;
pub mod opinion;
mod pd_facts;
mod progress;
mod reasoning;
pub mod second_opinion;

pub use analyzer::{Analyzer, AnalyzerError};
pub use builtin::{BuiltinAnalyzer, Report, analyze};
pub use diagnosis::{Alternative, Diagnosis, FaultClass, RecommendedAction, RootCause, score};
pub use evidence::{Evidence, EvidenceLimits, EvidenceRecorder};
pub use progress::{Progress, Transcript, TranscriptItem};
pub use second_opinion::WithSecondOpinion;
