//! Load output of unknown origin: the first recognised line decides whether
//! it is go-ycsb or Java YCSB, so a log file of either works. Report lines
//! whose figures cannot be readings are skipped and counted here.

use std::time::Duration;

use super::goycsb::{self, GoYcsbStream};
use super::javaycsb::{self, JavaYcsbStream};
use super::plausible::check_sample;
use super::{SampleSource, WorkloadSample};

#[derive(Debug, Default)]
enum Format {
    /// No line recognised yet.
    #[default]
    Undecided,
    GoYcsb(GoYcsbStream),
    JavaYcsb(JavaYcsbStream),
}

/// Load output lines in, samples out.
#[derive(Debug, Default)]
pub struct LoadParser {
    format: Format,
    rejected: u64,
}

impl LoadParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// The detected format, once a line was recognised.
    pub fn source(&self) -> Option<SampleSource> {
        match self.format {
            Format::Undecided => None,
            Format::GoYcsb(_) => Some(SampleSource::GoYcsb),
            Format::JavaYcsb(_) => Some(SampleSource::JavaYcsb),
        }
    }

    /// Report lines skipped so far because a figure in them (or in the
    /// sample they completed) could not be a reading: not finite, negative,
    /// too large for its type or beyond [`super::plausible`]'s bounds.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// Feed one line read at show time `now`; see [`GoYcsbStream::feed`] and
    /// [`JavaYcsbStream::feed`].
    pub fn feed(&mut self, line: &str, now: Duration) -> Option<WorkloadSample> {
        if let Format::Undecided = self.format {
            if goycsb::parse_line(line).is_some() {
                self.format = Format::GoYcsb(GoYcsbStream::new());
            } else if javaycsb::parse_status_line(line).is_some() {
                self.format = Format::JavaYcsb(JavaYcsbStream::new());
            }
        }
        let (sample, corrupt) = match &mut self.format {
            Format::Undecided => (
                None,
                goycsb::is_report_line(line) || javaycsb::is_status_line(line),
            ),
            Format::GoYcsb(stream) => (
                stream.feed(line, now),
                goycsb::is_report_line(line) && goycsb::parse_line(line).is_none(),
            ),
            Format::JavaYcsb(stream) => (
                stream.feed(line, now),
                javaycsb::is_status_line(line) && javaycsb::parse_status_line(line).is_none(),
            ),
        };
        if corrupt {
            self.reject("a figure that cannot be a reading");
        }
        self.checked(sample)
    }

    /// Close a report still being collected (go-ycsb only: Java YCSB lines
    /// are complete on their own).
    pub fn flush(&mut self) -> Option<WorkloadSample> {
        let sample = match &mut self.format {
            Format::GoYcsb(stream) => stream.flush(),
            _ => None,
        };
        self.checked(sample)
    }

    fn checked(&mut self, sample: Option<WorkloadSample>) -> Option<WorkloadSample> {
        match check_sample(sample?) {
            Ok(sample) => Some(sample),
            Err(why) => {
                self.reject(&why.to_string());
                None
            }
        }
    }

    fn reject(&mut self, why: &str) {
        self.rejected = self.rejected.saturating_add(1);
        // The first and then every hundredth, so a corrupt log cannot flood the log file.
        if self.rejected == 1 || self.rejected % 100 == 0 {
            tracing::warn!(rejected = self.rejected, "load output line skipped: {why}");
        }
    }
}
