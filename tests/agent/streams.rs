//! The documented streams of both APIs, as a server sends them.
#![allow(dead_code)]

use serde_json::{Value, json};

// ---- Anthropic Messages ------------------------------------------------------

pub fn event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

pub fn ping() -> String {
    event("ping", json!({"type": "ping"}))
}

pub fn message_start() -> String {
    event(
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
            "content": [], "model": "claude-test", "stop_reason": null,
            "usage": {"input_tokens": 420, "output_tokens": 1}}}),
    )
}

pub fn text_block(index: u64, pieces: &[&str]) -> Vec<String> {
    let mut events = vec![event(
        "content_block_start",
        json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
    )];
    for piece in pieces {
        events.push(event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}),
        ));
    }
    events.push(event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": index}),
    ));
    events
}

/// A tool call whose input arrives as `parts` of partial JSON (the first
/// may be empty, as documented).
pub fn tool_block(index: u64, id: &str, name: &str, parts: &[&str]) -> Vec<String> {
    let mut events = vec![event(
        "content_block_start",
        json!({"type": "content_block_start", "index": index,
            "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}}),
    )];
    for part in parts {
        events.push(event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "input_json_delta", "partial_json": part}}),
        ));
    }
    events.push(event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": index}),
    ));
    events
}

pub fn message_end(stop_reason: &str, output_tokens: u64) -> Vec<String> {
    vec![
        event(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                "usage": {"output_tokens": output_tokens}}),
        ),
        event("message_stop", json!({"type": "message_stop"})),
    ]
}

/// A plain answer, with pings between the events and an event type no
/// client knows (which must be ignored).
pub fn anthropic_answer(pieces: &[&str]) -> Vec<String> {
    let mut events = vec![message_start(), ping()];
    let mut block = text_block(0, pieces);
    block.insert(2, ping());
    events.extend(block);
    events.push(event(
        "content_block_shimmer",
        json!({"type": "content_block_shimmer", "index": 0, "sparkle": true}),
    ));
    events.extend(message_end("end_turn", 180));
    events.push(ping());
    events
}

/// A turn that says a few words, then calls tools.
pub fn anthropic_tool_turn(words: &str, calls: &[(&str, &str, &[&str])]) -> Vec<String> {
    let mut events = vec![message_start()];
    events.extend(text_block(0, &[words]));
    for (i, (id, name, parts)) in calls.iter().enumerate() {
        events.extend(tool_block(i as u64 + 1, id, name, parts));
        events.push(ping());
    }
    events.extend(message_end("tool_use", 60));
    events
}

pub fn anthropic_error(kind: &str, message: &str) -> String {
    event(
        "error",
        json!({"type": "error", "error": {"type": kind, "message": message}}),
    )
}

// ---- OpenAI chat completions ---------------------------------------------------

pub fn chunk(data: Value) -> String {
    format!("data: {data}\n\n")
}

pub fn done() -> String {
    "data: [DONE]\n\n".into()
}

fn choice(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "test",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

pub fn usage_chunk(output_tokens: u64) -> String {
    chunk(
        json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
        "usage": {"prompt_tokens": 2000, "completion_tokens": output_tokens, "total_tokens": 2000 + output_tokens}}),
    )
}

pub fn openai_answer(pieces: &[&str]) -> Vec<String> {
    let mut events = vec![chunk(choice(
        json!({"role": "assistant", "content": ""}),
        None,
    ))];
    for piece in pieces {
        events.push(chunk(choice(json!({"content": piece}), None)));
    }
    events.push(chunk(choice(json!({}), Some("stop"))));
    events.push(usage_chunk(150));
    events.push(done());
    events
}

/// Tool calls as OpenAI streams them: by index, id and name on the first
/// fragment, the arguments in two pieces.
pub fn openai_tool_turn(calls: &[(&str, &str, &str)]) -> Vec<String> {
    let mut events = vec![chunk(choice(
        json!({"role": "assistant", "content": null}),
        None,
    ))];
    for (i, (id, name, args)) in calls.iter().enumerate() {
        let (a, b) = args.split_at(args.len() / 2);
        events.push(chunk(choice(
            json!({"tool_calls": [{"index": i, "id": id, "type": "function", "function": {"name": name, "arguments": a}}]}),
            None,
        )));
        events.push(chunk(choice(
            json!({"tool_calls": [{"index": i, "function": {"arguments": b}}]}),
            None,
        )));
    }
    events.push(chunk(choice(json!({}), Some("tool_calls"))));
    events.push(usage_chunk(40));
    events.push(done());
    events
}

/// Ollama's form: each call whole in one delta, no index, no id.
pub fn ollama_tool_turn(calls: &[(&str, &str)]) -> Vec<String> {
    let mut events = Vec::new();
    for (name, args) in calls {
        events.push(chunk(choice(
            json!({"role": "assistant", "content": "", "tool_calls": [{"function": {"name": name, "arguments": args}}]}),
            None,
        )));
    }
    events.push(chunk(choice(json!({}), Some("stop"))));
    events.push(done());
    events
}

// ---- Answers -----------------------------------------------------------------

/// An answer in the structure the prompt asks for.
pub fn answer_json(
    class: &str,
    service: Option<&str>,
    action: &str,
    action_service: Option<&str>,
    confidence: f64,
) -> String {
    json!({
        "timeline": [{"at": "00:10.1", "event": "tikv1 exited with code 137"}],
        "root_cause": {"class": class, "service": service, "summary": "tikv1 was killed by SIGKILL", "confidence": confidence},
        "alternatives": [{"hypothesis": "graceful stop", "evidence_for": [], "evidence_against": ["exit code 137"]}],
        "impact": ["21 regions had no leader"],
        "recommended_action": {"action": action, "service": action_service},
        "risks": ["the restarted store catches up from its peers"]
    })
    .to_string()
}

/// The answer cut into pieces, as a model streams it.
pub fn pieces(text: &str, size: usize) -> Vec<String> {
    text.chars()
        .collect::<Vec<_>>()
        .chunks(size)
        .map(|c| c.iter().collect())
        .collect()
}
