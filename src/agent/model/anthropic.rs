//! Anthropic's Messages API: the request body and the streamed events.
//!
//! The stream, as documented: `message_start`; per content block
//! `content_block_start`, deltas, `content_block_stop` (each with the block's
//! `index`); `message_delta` (stop reason, cumulative usage); `message_stop`.
//! `ping` may come anywhere, unknown event types are ignored, and an `error`
//! event may arrive after HTTP 200. Tool input comes as `partial_json`
//! fragments, joined and parsed when the block stops.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::conversation::{Delta, Message, Stop, StreamError, StreamParser, ToolCall, Turn, Usage};
use super::sse::SseEvent;
use super::tools::ToolSpec;

pub const DEFAULT_URL: &str = "https://api.anthropic.com";
pub const API_VERSION: &str = "2023-06-01";

/// `{base}/v1/messages`, whether or not the base already ends in `/v1`.
pub fn endpoint(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1") {
        format!("{base}/messages")
    } else {
        format!("{base}/v1/messages")
    }
}

/// The request body of one streamed turn.
pub fn request_body(
    model: &str,
    max_tokens: u32,
    system: &str,
    messages: &[Message],
    tools: &[ToolSpec],
) -> Value {
    let mut body = json!({
        "model": model,
        "max_tokens": max_tokens,
        "system": system,
        "messages": messages.iter().map(wire_message).collect::<Vec<_>>(),
        "stream": true,
    });
    if !tools.is_empty() {
        body["tools"] = tools
            .iter()
            .map(|t| {
                json!({
                    "name": t.name,
                    "description": t.description,
                    "input_schema": t.parameters,
                })
            })
            .collect();
    }
    body
}

fn wire_message(message: &Message) -> Value {
    match message {
        Message::User(text) => json!({"role": "user", "content": text}),
        Message::Assistant { text, tool_calls } => {
            let mut content = Vec::new();
            if !text.is_empty() {
                content.push(json!({"type": "text", "text": text}));
            }
            for call in tool_calls {
                // The input must be an object; a malformed one is sent as
                // empty (its result already says it was not valid JSON).
                let input = call.arguments().map(Value::Object).unwrap_or(json!({}));
                content.push(json!({
                    "type": "tool_use",
                    "id": call.id,
                    "name": call.name,
                    "input": input,
                }));
            }
            json!({"role": "assistant", "content": content})
        }
        Message::ToolResults(results) => json!({
            "role": "user",
            "content": results.iter().map(|r| json!({
                "type": "tool_result",
                "tool_use_id": r.call_id,
                "content": r.content,
                "is_error": r.is_error,
            })).collect::<Vec<_>>(),
        }),
    }
}

#[derive(Debug)]
enum Block {
    Text(String),
    ToolUse {
        id: String,
        name: String,
        json: String,
        done: bool,
    },
    /// Thinking and block types this version does not know.
    Other,
}

/// Assembles one streamed turn from Anthropic's events.
#[derive(Debug, Default)]
pub struct AnthropicStream {
    blocks: BTreeMap<u64, Block>,
    stop: Option<String>,
    usage: Usage,
    started: bool,
    stopped: bool,
}

impl AnthropicStream {
    pub fn new() -> Self {
        Self::default()
    }

    fn block_index(data: &Value) -> Result<u64, StreamError> {
        data["index"]
            .as_u64()
            .ok_or_else(|| StreamError::Malformed("a content block event without an index".into()))
    }
}

impl StreamParser for AnthropicStream {
    fn on_event(&mut self, event: &SseEvent) -> Result<Vec<Delta>, StreamError> {
        let data: Value = serde_json::from_str(&event.data).map_err(|e| {
            StreamError::Malformed(format!("an event whose data is not JSON ({e})"))
        })?;
        // The data names its own type; the `event:` line says the same.
        let kind = data["type"]
            .as_str()
            .or(event.event.as_deref())
            .unwrap_or_default();
        match kind {
            "ping" => Ok(vec![]),
            "error" => Err(StreamError::Api {
                kind: data["error"]["type"]
                    .as_str()
                    .unwrap_or("error")
                    .to_string(),
                message: data["error"]["message"]
                    .as_str()
                    .unwrap_or("no message")
                    .to_string(),
            }),
            "message_start" => {
                self.started = true;
                let usage = &data["message"]["usage"];
                self.usage.input_tokens = usage["input_tokens"].as_u64();
                self.usage.output_tokens = usage["output_tokens"].as_u64();
                Ok(vec![])
            }
            "content_block_start" => {
                let index = Self::block_index(&data)?;
                let block = &data["content_block"];
                let (new, deltas) = match block["type"].as_str() {
                    Some("text") => {
                        let text = block["text"].as_str().unwrap_or_default().to_string();
                        let deltas = if text.is_empty() {
                            vec![]
                        } else {
                            vec![Delta::Text(text.clone())]
                        };
                        (Block::Text(text), deltas)
                    }
                    Some("tool_use") => {
                        let name = block["name"].as_str().unwrap_or_default().to_string();
                        let id = block["id"].as_str().unwrap_or_default().to_string();
                        (
                            Block::ToolUse {
                                id,
                                name: name.clone(),
                                json: String::new(),
                                done: false,
                            },
                            vec![Delta::ToolCallStarted { name }],
                        )
                    }
                    _ => (Block::Other, vec![Delta::Activity]),
                };
                self.blocks.insert(index, new);
                Ok(deltas)
            }
            "content_block_delta" => {
                let index = Self::block_index(&data)?;
                let Some(block) = self.blocks.get_mut(&index) else {
                    return Err(StreamError::Malformed(format!(
                        "a delta for block {index}, which never started"
                    )));
                };
                let delta = &data["delta"];
                match (block, delta["type"].as_str()) {
                    (Block::Text(text), Some("text_delta")) => {
                        let piece = delta["text"].as_str().unwrap_or_default();
                        text.push_str(piece);
                        Ok(if piece.is_empty() {
                            vec![]
                        } else {
                            vec![Delta::Text(piece.to_string())]
                        })
                    }
                    (Block::ToolUse { json, .. }, Some("input_json_delta")) => {
                        // The first fragment may be empty.
                        json.push_str(delta["partial_json"].as_str().unwrap_or_default());
                        Ok(vec![Delta::Activity])
                    }
                    // thinking_delta, signature_delta and kinds yet to come.
                    _ => Ok(vec![Delta::Activity]),
                }
            }
            "content_block_stop" => {
                let index = Self::block_index(&data)?;
                if let Some(Block::ToolUse { done, .. }) = self.blocks.get_mut(&index) {
                    *done = true;
                }
                Ok(vec![])
            }
            "message_delta" => {
                if let Some(reason) = data["delta"]["stop_reason"].as_str() {
                    self.stop = Some(reason.to_string());
                }
                // Cumulative: the latest figure is the total, never a sum.
                if let Some(output) = data["usage"]["output_tokens"].as_u64() {
                    self.usage.output_tokens = Some(output);
                }
                if let Some(input) = data["usage"]["input_tokens"].as_u64() {
                    self.usage.input_tokens = Some(input);
                }
                Ok(vec![])
            }
            "message_stop" => {
                self.stopped = true;
                Ok(vec![])
            }
            _ => Ok(vec![]), // new event types are ignored, as documented
        }
    }

    fn finish(&mut self) -> Result<Turn, StreamError> {
        if !self.started {
            return Err(StreamError::Cut("no message_start".into()));
        }
        if !self.stopped {
            return Err(StreamError::Cut("no message_stop".into()));
        }
        let mut text = String::new();
        let mut tool_calls = Vec::new();
        for block in std::mem::take(&mut self.blocks).into_values() {
            match block {
                Block::Text(t) => text.push_str(&t),
                Block::ToolUse {
                    id,
                    name,
                    json,
                    done,
                } => {
                    if !done {
                        return Err(StreamError::Cut(format!(
                            "the {name} tool call never stopped"
                        )));
                    }
                    tool_calls.push(ToolCall {
                        id,
                        name,
                        raw_arguments: json,
                    });
                }
                Block::Other => {}
            }
        }
        let stop = match self.stop.as_deref() {
            Some(reason) => Stop::from_wire(reason),
            None if tool_calls.is_empty() => Stop::Done,
            None => Stop::ToolUse,
        };
        Ok(Turn {
            text,
            tool_calls,
            stop,
            usage: self.usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(events: &[(&str, &str)]) -> (Result<Turn, StreamError>, Vec<Delta>) {
        let mut parser = AnthropicStream::new();
        let mut deltas = Vec::new();
        for (name, data) in events {
            match parser.on_event(&SseEvent {
                event: Some(name.to_string()),
                data: data.to_string(),
            }) {
                Ok(d) => deltas.extend(d),
                Err(e) => return (Err(e), deltas),
            }
        }
        (parser.finish(), deltas)
    }

    #[test]
    fn endpoint_accepts_a_base_with_or_without_v1() {
        assert_eq!(
            endpoint("https://api.anthropic.com"),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:9/v1/"),
            "http://127.0.0.1:9/v1/messages"
        );
    }

    #[test]
    fn usage_is_the_latest_figure_not_a_sum() {
        let (turn, _) = feed(&[
            (
                "message_start",
                r#"{"type":"message_start","message":{"content":[],"usage":{"input_tokens":25,"output_tokens":1}}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":10}}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{},"usage":{"output_tokens":15}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ]);
        let turn = turn.unwrap();
        assert_eq!(turn.usage.output_tokens, Some(15));
        assert_eq!(turn.usage.input_tokens, Some(25));
        assert_eq!(turn.stop, Stop::Done);
    }

    #[test]
    fn a_tool_call_in_a_stream_that_never_stops_is_cut() {
        let (turn, deltas) = feed(&[
            (
                "message_start",
                r#"{"type":"message_start","message":{"content":[]}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"store","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"serv"}}"#,
            ),
        ]);
        assert!(matches!(turn, Err(StreamError::Cut(_))), "{turn:?}");
        assert_eq!(
            deltas[0],
            Delta::ToolCallStarted {
                name: "store".into()
            }
        );
    }

    #[test]
    fn a_delta_for_an_unknown_block_is_malformed() {
        let (turn, _) = feed(&[
            (
                "message_start",
                r#"{"type":"message_start","message":{"content":[]}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"x"}}"#,
            ),
        ]);
        assert!(matches!(turn, Err(StreamError::Malformed(_))), "{turn:?}");
    }

    #[test]
    fn tool_history_goes_back_as_tool_use_and_tool_result_blocks() {
        let messages = vec![
            Message::User("why?".into()),
            Message::Assistant {
                text: "Let me look.".into(),
                tool_calls: vec![ToolCall {
                    id: "toolu_1".into(),
                    name: "store".into(),
                    raw_arguments: r#"{"service":"tikv1"}"#.into(),
                }],
            },
            Message::ToolResults(vec![super::super::conversation::ToolResult {
                call_id: "toolu_1".into(),
                name: "store".into(),
                content: "Disconnected".into(),
                is_error: false,
            }]),
        ];
        let body = request_body("m", 100, "sys", &messages, &[]);
        assert_eq!(body["messages"][1]["content"][1]["type"], "tool_use");
        assert_eq!(
            body["messages"][1]["content"][1]["input"]["service"],
            "tikv1"
        );
        assert_eq!(body["messages"][2]["role"], "user");
        assert_eq!(body["messages"][2]["content"][0]["tool_use_id"], "toolu_1");
        assert_eq!(body["stream"], true);
        assert!(body.get("tools").is_none());
    }
}
