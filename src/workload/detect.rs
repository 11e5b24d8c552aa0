//! Load output of unknown origin: the first recognised line decides whether
//! it is go-ycsb or Java YCSB, so a log file of either works.

use std::time::Duration;

use super::goycsb::{self, GoYcsbStream};
use super::javaycsb::{self, JavaYcsbStream};
use super::{SampleSource, WorkloadSample};

#[derive(Debug, Default)]
pub enum LoadParser {
    /// No line recognised yet.
    #[default]
    Undecided,
    GoYcsb(GoYcsbStream),
    JavaYcsb(JavaYcsbStream),
}

impl LoadParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// The detected format, once a line was recognised.
    pub fn source(&self) -> Option<SampleSource> {
        match self {
            LoadParser::Undecided => None,
            LoadParser::GoYcsb(_) => Some(SampleSource::GoYcsb),
            LoadParser::JavaYcsb(_) => Some(SampleSource::JavaYcsb),
        }
    }

    /// Feed one line read at show time `now`; see [`GoYcsbStream::feed`] and
    /// [`JavaYcsbStream::feed`].
    pub fn feed(&mut self, line: &str, now: Duration) -> Option<WorkloadSample> {
        if let LoadParser::Undecided = self {
            if goycsb::parse_line(line).is_some() {
                *self = LoadParser::GoYcsb(GoYcsbStream::new());
            } else if javaycsb::parse_status_line(line).is_some() {
                *self = LoadParser::JavaYcsb(JavaYcsbStream::new());
            }
        }
        match self {
            LoadParser::Undecided => None,
            LoadParser::GoYcsb(stream) => stream.feed(line, now),
            LoadParser::JavaYcsb(stream) => stream.feed(line, now),
        }
    }

    /// Close a report still being collected (go-ycsb only: Java YCSB lines
    /// are complete on their own).
    pub fn flush(&mut self) -> Option<WorkloadSample> {
        match self {
            LoadParser::GoYcsb(stream) => stream.flush(),
            _ => None,
        }
    }
}
