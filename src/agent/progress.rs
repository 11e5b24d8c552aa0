//! What an analyzer reports while it works, and the pane's record of it.

use std::collections::VecDeque;
use std::time::Duration;

use super::diagnosis::Diagnosis;

/// One report from a working analyzer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Progress {
    /// A finished line: a reasoning step or a status.
    Step(String),
    /// The model's first token came this long after its first request.
    FirstToken(Duration),
    /// A fragment of the model's streamed text; fragments join up.
    Text(String),
    /// The model called a read-only tool.
    ToolCall { name: String, arguments: String },
    /// One line on what the tool answered, or why it was refused.
    ToolAnswer {
        name: String,
        summary: String,
        refused: bool,
    },
    /// Something went wrong; the work goes on or the built-in stands.
    Note(String),
    /// The diagnosis that stands should the rest of the work not finish in
    /// time: the built-in one, sent before a model is asked, so that the
    /// story's deadline never waits on the model. Kept, not shown.
    Standing(Box<Diagnosis>),
}

impl From<String> for Progress {
    fn from(line: String) -> Self {
        Self::Step(line)
    }
}

impl From<&str> for Progress {
    fn from(line: &str) -> Self {
        Self::Step(line.to_string())
    }
}

/// One item of the transcript, stamped with show time.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptItem {
    pub at: Duration,
    pub after_fault: Option<Duration>,
    pub progress: Progress,
}

/// What the analyzer did, for the pane: bounded, with streamed text
/// fragments joined into one paragraph per stretch of text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    items: VecDeque<TranscriptItem>,
    first_token: Option<Duration>,
    standing: Option<Box<Diagnosis>>,
}

impl Transcript {
    pub const MAX_ITEMS: usize = 200;
    /// The tail of one paragraph kept (the pane shows its end).
    pub const MAX_PARAGRAPH: usize = 4000;

    pub fn push(&mut self, at: Duration, after_fault: Option<Duration>, progress: Progress) {
        let progress = match progress {
            Progress::FirstToken(d) => {
                self.first_token.get_or_insert(d);
                return;
            }
            Progress::Standing(diagnosis) => {
                self.standing = Some(diagnosis);
                return;
            }
            // Control characters never reach the screen (newlines in
            // streamed text are kept as paragraph breaks).
            Progress::Text(t) => Progress::Text(
                t.chars()
                    .filter_map(|c| match c {
                        '\n' => Some(c),
                        '\t' => Some(' '),
                        c if c.is_control() => None,
                        c => Some(c),
                    })
                    .collect(),
            ),
            other => other,
        };
        if let (
            Progress::Text(more),
            Some(TranscriptItem {
                progress: Progress::Text(text),
                ..
            }),
        ) = (&progress, self.items.back_mut())
        {
            text.push_str(more);
            if text.len() > Self::MAX_PARAGRAPH {
                let mut cut = text.len() - Self::MAX_PARAGRAPH;
                while !text.is_char_boundary(cut) {
                    cut += 1;
                }
                text.drain(..cut);
            }
            return;
        }
        if self.items.len() == Self::MAX_ITEMS {
            self.items.pop_front();
        }
        self.items.push_back(TranscriptItem {
            at,
            after_fault,
            progress,
        });
    }

    pub fn items(&self) -> impl DoubleEndedIterator<Item = &TranscriptItem> {
        self.items.iter()
    }

    pub fn first_token(&self) -> Option<Duration> {
        self.first_token
    }

    /// The diagnosis that stands if the analyzer does not finish in time.
    pub fn standing(&self) -> Option<&Diagnosis> {
        self.standing.as_deref()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items.clear();
        self.first_token = None;
        self.standing = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fragments_join_until_something_else_comes() {
        let mut t = Transcript::default();
        let at = Duration::from_secs(1);
        t.push(at, None, "step".into());
        t.push(at, None, Progress::Text("Hel".into()));
        t.push(at, None, Progress::Text("lo\u{1b}[2J".into()));
        t.push(at, None, Progress::FirstToken(Duration::from_millis(300)));
        t.push(
            at,
            None,
            Progress::ToolCall {
                name: "store".into(),
                arguments: "tikv1".into(),
            },
        );
        t.push(at, None, Progress::Text("again".into()));
        let kinds: Vec<_> = t.items().map(|i| i.progress.clone()).collect();
        assert_eq!(kinds[1], Progress::Text("Hello[2J".into()));
        assert_eq!(kinds.len(), 4);
        assert_eq!(t.first_token(), Some(Duration::from_millis(300)));
    }

    #[test]
    fn it_stays_bounded() {
        let mut t = Transcript::default();
        for i in 0..(Transcript::MAX_ITEMS + 10) {
            t.push(Duration::ZERO, None, format!("line {i}").into());
        }
        t.push(Duration::ZERO, None, Progress::Text("x".repeat(10_000)));
        t.push(Duration::ZERO, None, Progress::Text("é".repeat(3000)));
        assert_eq!(t.items().count(), Transcript::MAX_ITEMS);
        let Some(Progress::Text(last)) = t.items().last().map(|i| &i.progress) else {
            panic!()
        };
        assert!(last.len() <= Transcript::MAX_PARAGRAPH && last.ends_with('é'));
    }

    #[test]
    fn the_standing_diagnosis_is_kept_apart_until_cleared() {
        use crate::agent::{FaultClass, RootCause};
        let standing = Diagnosis {
            analyzer: "built-in analyzer".into(),
            timeline: vec![],
            root_cause: RootCause {
                class: FaultClass::ProcessCrash,
                service: Some("tikv1".into()),
                summary: "tikv1 was killed".into(),
                confidence: 0.9,
            },
            alternatives: vec![],
            impact: vec![],
            action: None,
            risks: vec![],
            second_opinion: None,
        };
        let mut t = Transcript::default();
        t.push(
            Duration::ZERO,
            None,
            Progress::Standing(Box::new(standing.clone())),
        );
        assert!(t.is_empty(), "not a line of the transcript");
        assert_eq!(t.standing(), Some(&standing));
        t.clear();
        assert_eq!(t.standing(), None);
    }
}
