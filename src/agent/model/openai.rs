//! OpenAI's chat completions, and the servers that speak them (Ollama,
//! llama.cpp's server, vLLM, LiteLLM): the request body and the streamed
//! chunks.
//!
//! Each event is `data: {chunk}`; the stream ends with `data: [DONE]`.
//! Tool-call deltas are joined by `index`; `id` and the function's name come
//! on the first fragment only. With `include_usage` a last chunk carries
//! usage and an empty (or, on some servers, null or missing) `choices`. An
//! error mid-stream is a data line holding an `error` object. Seen in the
//! wild and handled: tool-call deltas without an index, with index 0 for
//! every call, or without an id; a stream that ends without `[DONE]`.

use serde_json::{Value, json};

use super::conversation::{Delta, Message, Stop, StreamError, StreamParser, ToolCall, Turn, Usage};
use super::sse::SseEvent;
use super::tools::ToolSpec;

pub const DEFAULT_URL: &str = "https://api.openai.com/v1";

/// `{base}/chat/completions`; a base given as the full endpoint is kept.
pub fn endpoint(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/chat/completions") {
        base.to_string()
    } else {
        format!("{base}/chat/completions")
    }
}

/// The request body of one streamed turn. `json_mode` asks the server for a
/// JSON object; it is never combined with tools, which servers such as
/// Ollama then stop calling.
pub fn request_body(
    model: &str,
    max_tokens: u32,
    system: &str,
    messages: &[Message],
    tools: &[ToolSpec],
    json_mode: bool,
) -> Value {
    let mut wire = vec![json!({"role": "system", "content": system})];
    for message in messages {
        match message {
            Message::User(text) => wire.push(json!({"role": "user", "content": text})),
            Message::Assistant { text, tool_calls } => {
                let mut m = json!({"role": "assistant", "content": text});
                if !tool_calls.is_empty() {
                    m["tool_calls"] = tool_calls
                        .iter()
                        .map(|c| {
                            json!({
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": c.raw_arguments},
                            })
                        })
                        .collect();
                }
                wire.push(m);
            }
            Message::ToolResults(results) => {
                for r in results {
                    wire.push(json!({
                        "role": "tool",
                        "tool_call_id": r.call_id,
                        "content": r.content,
                    }));
                }
            }
        }
    }
    let mut body = json!({
        "model": model,
        "messages": wire,
        "stream": true,
        "stream_options": {"include_usage": true},
        // `max_tokens` is what every compatible server reads.
        "max_tokens": max_tokens,
    });
    // No `tool_choice`: Ollama ignores it and vLLM refuses "auto" unless
    // started for it; leaving it out means "auto" where tools are served.
    if !tools.is_empty() {
        body["tools"] = tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                })
            })
            .collect();
    } else if json_mode {
        body["response_format"] = json!({"type": "json_object"});
    }
    body
}

#[derive(Debug, Default)]
struct PartialCall {
    index: Option<u64>,
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Assembles one streamed turn from chat-completion chunks.
#[derive(Debug, Default)]
pub struct OpenAiStream {
    text: String,
    calls: Vec<PartialCall>,
    finish: Option<String>,
    usage: Usage,
    done: bool,
    chunks: usize,
}

impl OpenAiStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Which call a fragment continues, or `None` when it starts a new one.
    fn joins(&self, index: Option<u64>, id: Option<&str>, name: Option<&str>) -> Option<usize> {
        let target = match index {
            // The latest call with this index: servers that number every
            // call 0 make the index useless beyond "the current one".
            Some(index) => self.calls.iter().rposition(|c| c.index == Some(index)),
            None => self.calls.len().checked_sub(1),
        }?;
        let call = &self.calls[target];
        let other_id = matches!((id, call.id.as_deref()), (Some(new), Some(old)) if new != old);
        // The name comes once per call: a second one starts another call.
        let second_name = name.is_some_and(|n| !n.is_empty()) && !call.name.is_empty();
        (!other_id && !second_name).then_some(target)
    }

    fn on_tool_delta(&mut self, delta: &Value) -> Delta {
        let index = delta["index"].as_u64();
        let id = delta["id"].as_str().filter(|s| !s.is_empty());
        let function = &delta["function"];
        let name = function["name"].as_str();
        // Ollama sends arguments as an object rather than a string.
        let arguments = match &function["arguments"] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let target = match self.joins(index, id, name) {
            Some(target) => target,
            None => {
                self.calls.push(PartialCall {
                    index,
                    ..PartialCall::default()
                });
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[target];
        if call.id.is_none() {
            call.id = id.map(str::to_string);
        }
        let started = call.name.is_empty() && name.is_some_and(|n| !n.is_empty());
        if started {
            call.name = name.unwrap_or_default().to_string();
        }
        call.arguments.push_str(&arguments);
        if started {
            Delta::ToolCallStarted {
                name: call.name.clone(),
            }
        } else {
            Delta::Activity
        }
    }
}

impl StreamParser for OpenAiStream {
    fn on_event(&mut self, event: &SseEvent) -> Result<Vec<Delta>, StreamError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(vec![]);
        }
        let chunk: Value = serde_json::from_str(data)
            .map_err(|e| StreamError::Malformed(format!("a chunk that is not JSON ({e})")))?;
        self.chunks += 1;
        if let Some(error) = chunk.get("error").filter(|e| !e.is_null()) {
            let (kind, message) = match error {
                Value::String(message) => ("error".to_string(), message.clone()),
                _ => (
                    error["type"]
                        .as_str()
                        .or(error["code"].as_str())
                        .unwrap_or("error")
                        .to_string(),
                    error["message"]
                        .as_str()
                        .unwrap_or("no message")
                        .to_string(),
                ),
            };
            return Err(StreamError::Api { kind, message });
        }
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Usage {
                input_tokens: usage["prompt_tokens"].as_u64(),
                output_tokens: usage["completion_tokens"].as_u64(),
            };
        }
        let mut deltas = Vec::new();
        // choices: an array, or empty / null / missing on the usage chunk.
        let Some(choices) = chunk["choices"].as_array() else {
            return Ok(deltas);
        };
        // One answer is asked for; other choices (n > 1) are not ours.
        for choice in choices
            .iter()
            .filter(|c| c["index"].as_u64().unwrap_or(0) == 0)
        {
            let delta = &choice["delta"];
            for field in ["content", "refusal"] {
                if let Some(text) = delta[field].as_str().filter(|t| !t.is_empty()) {
                    self.text.push_str(text);
                    deltas.push(Delta::Text(text.to_string()));
                }
            }
            if let Some(calls) = delta["tool_calls"].as_array() {
                for call in calls {
                    deltas.push(self.on_tool_delta(call));
                }
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                self.finish = Some(reason.to_string());
            }
        }
        Ok(deltas)
    }

    fn finish(&mut self) -> Result<Turn, StreamError> {
        // A finish reason means the answer is whole even if `[DONE]` never
        // came; without either, the stream was cut.
        let Some(reason) = self.finish.clone() else {
            return Err(StreamError::Cut(if self.chunks == 0 {
                "no chunk at all".into()
            } else if self.done {
                "[DONE] without a finish reason".into()
            } else {
                "no finish reason and no [DONE]".into()
            }));
        };
        let tool_calls: Vec<ToolCall> = std::mem::take(&mut self.calls)
            .into_iter()
            .enumerate()
            .filter(|(_, c)| !c.name.is_empty())
            .map(|(n, c)| ToolCall {
                // A call without an id still needs one to be answered.
                id: c.id.unwrap_or_else(|| format!("call_{n}")),
                name: c.name,
                raw_arguments: c.arguments,
            })
            .collect();
        let mut stop = Stop::from_wire(&reason);
        // Some servers say "stop" even when they called tools.
        if !tool_calls.is_empty() && stop == Stop::Done {
            stop = Stop::ToolUse;
        }
        Ok(Turn {
            text: std::mem::take(&mut self.text),
            tool_calls,
            stop,
            usage: self.usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn_of(chunks: &[&str]) -> Result<Turn, StreamError> {
        let mut parser = OpenAiStream::new();
        for data in chunks {
            parser.on_event(&SseEvent {
                event: None,
                data: data.to_string(),
            })?;
        }
        parser.finish()
    }

    fn names_and_args(turn: &Turn) -> Vec<(String, String, String)> {
        turn.tool_calls
            .iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.raw_arguments.clone()))
            .collect()
    }

    #[test]
    fn tool_call_fragments_join_by_index() {
        let turn = turn_of(&[
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"store","arguments":""}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","type":"function","function":{"name":"incidents","arguments":"{}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"service\":"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"tikv1\"}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            "[DONE]",
        ])
        .unwrap();
        assert_eq!(
            names_and_args(&turn),
            [
                ("a".into(), "store".into(), r#"{"service":"tikv1"}"#.into()),
                ("b".into(), "incidents".into(), "{}".into()),
            ]
        );
        assert_eq!(turn.stop, Stop::ToolUse);
    }

    #[test]
    fn ollama_calls_without_index_or_with_index_zero_for_all_are_told_apart() {
        // ollama/ollama#7881: whole calls, no index.
        let no_index = turn_of(&[
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_x","function":{"name":"store","arguments":"{\"service\":\"tikv1\"}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_y","function":{"name":"incidents","arguments":"{}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        ])
        .unwrap();
        assert_eq!(no_index.tool_calls.len(), 2);
        assert_eq!(no_index.stop, Stop::ToolUse, "tools called despite 'stop'");
        // BerriAI/litellm#33678: index 0 for every call.
        let all_zero = turn_of(&[
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"store","arguments":"{\"service\""}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"tikv1\"}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"b","function":{"name":"incidents","arguments":"{}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        ])
        .unwrap();
        assert_eq!(
            names_and_args(&all_zero),
            [
                ("a".into(), "store".into(), r#"{"service":"tikv1"}"#.into()),
                ("b".into(), "incidents".into(), "{}".into()),
            ]
        );
        // continuedev/continue#13225: an index but no id.
        let no_id = turn_of(&[
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"timeline","arguments":"{}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        ])
        .unwrap();
        assert_eq!(no_id.tool_calls[0].id, "call_0");
    }

    #[test]
    fn the_usage_chunk_may_have_empty_null_or_missing_choices() {
        for usage_chunk in [
            r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}"#,
            r#"{"choices":null,"usage":{"prompt_tokens":9,"completion_tokens":3}}"#,
            r#"{"usage":{"prompt_tokens":9,"completion_tokens":3}}"#,
        ] {
            let turn = turn_of(&[
                r#"{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}"#,
                r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
                usage_chunk,
                "[DONE]",
            ])
            .unwrap();
            assert_eq!(turn.text, "ok");
            assert_eq!(turn.usage.output_tokens, Some(3), "{usage_chunk}");
        }
    }

    #[test]
    fn an_end_without_done_is_whole_only_with_a_finish_reason() {
        let whole = turn_of(&[
            r#"{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}"#,
        ]);
        assert_eq!(whole.unwrap().text, "ok");
        let cut = turn_of(&[r#"{"choices":[{"index":0,"delta":{"content":"o"}}]}"#]);
        assert!(matches!(cut, Err(StreamError::Cut(_))), "{cut:?}");
    }

    #[test]
    fn an_error_object_in_a_data_line_is_an_api_error() {
        let error = turn_of(&[r#"{"error":{"message":"model crashed","type":"server_error"}}"#]);
        assert_eq!(
            error,
            Err(StreamError::Api {
                kind: "server_error".into(),
                message: "model crashed".into()
            })
        );
    }

    #[test]
    fn json_mode_is_never_combined_with_tools() {
        let tool = ToolSpec {
            name: "x",
            description: "d",
            parameters: json!({"type": "object"}),
        };
        let with_tools = request_body("m", 10, "s", &[], &[tool], true);
        assert!(with_tools.get("response_format").is_none());
        assert!(with_tools.get("tool_choice").is_none());
        let without = request_body("m", 10, "s", &[], &[], true);
        assert_eq!(without["response_format"]["type"], "json_object");
        assert_eq!(without["stream_options"]["include_usage"], true);
    }

    #[test]
    fn endpoint_takes_a_base_or_the_full_path() {
        assert_eq!(
            endpoint("http://127.0.0.1:11434/v1"),
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        assert_eq!(
            endpoint("http://h/v1/chat/completions/"),
            "http://h/v1/chat/completions"
        );
    }
}
