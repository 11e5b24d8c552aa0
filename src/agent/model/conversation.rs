//! The conversation with a model in the project's own terms, whatever the
//! provider: messages, tool calls and what one streamed turn produced. The
//! provider modules map these to and from their wire formats.

use serde_json::Value;

/// One message of the conversation, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    User(String),
    Assistant {
        text: String,
        tool_calls: Vec<ToolCall>,
    },
    /// The answers to the previous assistant message's tool calls.
    ToolResults(Vec<ToolResult>),
}

/// A tool call as the model asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as the model wrote them (a JSON object, one hopes).
    pub raw_arguments: String,
}

impl ToolCall {
    /// The arguments as a JSON object; `None` when the model wrote something
    /// else (models do produce invalid JSON here).
    pub fn arguments(&self) -> Option<serde_json::Map<String, Value>> {
        let raw = self.raw_arguments.trim();
        if raw.is_empty() {
            return Some(serde_json::Map::new());
        }
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub call_id: String,
    pub name: String,
    pub content: String,
    pub is_error: bool,
}

/// Token counts as the server reported them (cumulative for the turn).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// Why the model stopped producing this turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// A finished answer (`end_turn`, `stop`).
    Done,
    /// It wants tool answers (`tool_use`, `tool_calls`).
    ToolUse,
    /// It ran into the output token limit (`max_tokens`, `length`).
    Length,
    /// Anything else the server named (`content_filter`, `refusal`...).
    Other(String),
}

impl Stop {
    pub fn from_wire(reason: &str) -> Self {
        match reason {
            "end_turn" | "stop" | "stop_sequence" => Self::Done,
            "tool_use" | "tool_calls" | "function_call" => Self::ToolUse,
            "max_tokens" | "length" => Self::Length,
            other => Self::Other(other.to_string()),
        }
    }
}

/// Everything one streamed turn produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub stop: Stop,
    pub usage: Usage,
}

/// What a stream parser reports as it goes, for the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Delta {
    /// A piece of the answer's text.
    Text(String),
    /// A tool call began (its arguments follow).
    ToolCallStarted { name: String },
    /// The model produced something not shown (thinking, tool arguments):
    /// it counts as the first token all the same.
    Activity,
}

/// A provider's stream parser: fed one server-sent event at a time, pure.
pub trait StreamParser: Send {
    fn on_event(&mut self, event: &super::sse::SseEvent) -> Result<Vec<Delta>, StreamError>;
    /// The stream ended: the finished turn, or why it is not one.
    fn finish(&mut self) -> Result<Turn, StreamError>;
}

/// A stream that cannot be turned into an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The server reported an error inside the stream (after HTTP 200).
    #[error("the server reported {kind}: {message}")]
    Api { kind: String, message: String },
    #[error("malformed stream: {0}")]
    Malformed(String),
    #[error("the stream ended before the answer did ({0})")]
    Cut(String),
}

impl StreamError {
    /// Errors reported in the stream that a later attempt may not meet.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Api { kind, .. }
            if matches!(kind.as_str(), "overloaded_error" | "api_error" | "server_error" | "rate_limit_error"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_an_object_or_nothing() {
        let call = |raw: &str| ToolCall {
            id: "1".into(),
            name: "store".into(),
            raw_arguments: raw.into(),
        };
        assert_eq!(call("").arguments(), Some(serde_json::Map::new()));
        assert_eq!(
            call(r#"{"service":"tikv1"}"#).arguments().unwrap()["service"],
            "tikv1"
        );
        assert_eq!(call(r#"{"service":"#).arguments(), None);
        assert_eq!(call("[1]").arguments(), None);
    }

    #[test]
    fn stop_reasons_of_both_apis_map_to_one_set() {
        assert_eq!(Stop::from_wire("end_turn"), Stop::Done);
        assert_eq!(Stop::from_wire("stop"), Stop::Done);
        assert_eq!(Stop::from_wire("tool_calls"), Stop::ToolUse);
        assert_eq!(Stop::from_wire("tool_use"), Stop::ToolUse);
        assert_eq!(Stop::from_wire("length"), Stop::Length);
        assert_eq!(
            Stop::from_wire("content_filter"),
            Stop::Other("content_filter".into())
        );
    }
}
