//! Server-sent events, decoded from a byte stream as it arrives (the
//! WHATWG "event stream" rules: `event:` and `data:` fields, `:` comments,
//! a blank line ends an event, lines end with LF, CRLF or CR). Pure: fed
//! chunks cut anywhere, even inside a UTF-8 character or a CRLF.

/// One event: its type (when the server named one) and its data lines
/// joined with `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// A line longer than this is not an event stream (or a runaway one).
pub const MAX_LINE_BYTES: usize = 1 << 20;

#[derive(Debug, Default)]
pub struct SseDecoder {
    line: Vec<u8>,
    /// The previous byte was a CR: a LF right after it ends no second line.
    after_cr: bool,
    started: bool,
    event: Option<String>,
    data: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event-stream line longer than {MAX_LINE_BYTES} bytes")]
pub struct LineTooLong;

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, LineTooLong> {
        let mut events = Vec::new();
        for &byte in chunk {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    self.end_line(&mut events);
                }
                _ => {
                    self.after_cr = false;
                    if self.line.len() >= MAX_LINE_BYTES {
                        return Err(LineTooLong);
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(events)
    }

    /// The stream ended. The rules drop an event not closed by a blank
    /// line; servers that end without one still meant it, so it is kept.
    pub fn finish(&mut self) -> Option<SseEvent> {
        if !self.line.is_empty() {
            let mut events = Vec::new();
            self.end_line(&mut events);
            if let Some(event) = events.pop() {
                return Some(event);
            }
        }
        self.dispatch()
    }

    fn end_line(&mut self, events: &mut Vec<SseEvent>) {
        let mut line = String::from_utf8_lossy(&self.line).into_owned();
        self.line.clear();
        if !self.started {
            self.started = true;
            if let Some(rest) = line.strip_prefix('\u{feff}') {
                line = rest.to_string();
            }
        }
        if line.is_empty() {
            events.extend(self.dispatch());
            return;
        }
        if line.starts_with(':') {
            return; // a comment (keep-alive)
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            _ => {} // id, retry and unknown fields mean nothing here
        }
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        // An event with no data line is not dispatched.
        self.data.take().map(|data| SseEvent { event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(stream: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::new();
        let mut events = Vec::new();
        for chunk in stream.chunks(piece) {
            events.extend(decoder.push(chunk).unwrap());
        }
        events.extend(decoder.finish());
        events
    }

    #[test]
    fn events_survive_any_cut_of_the_stream() {
        let stream = "event: message_start\r\ndata: {\"a\":\"é\"}\r\n\r\n: keep-alive\n\nevent: ping\ndata: {}\n\ndata: line one\ndata: line two\n\n"
            .as_bytes();
        let expected = vec![
            SseEvent {
                event: Some("message_start".into()),
                data: "{\"a\":\"é\"}".into(),
            },
            SseEvent {
                event: Some("ping".into()),
                data: "{}".into(),
            },
            SseEvent {
                event: None,
                data: "line one\nline two".into(),
            },
        ];
        for piece in 1..stream.len() {
            assert_eq!(
                decode_in_pieces(stream, piece),
                expected,
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn cr_alone_ends_lines_and_a_bom_is_dropped() {
        let events = decode_in_pieces(b"\xEF\xBB\xBFdata:x\r\rdata:y\r\r", 3);
        assert_eq!(
            events.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(),
            ["x", "y"]
        );
    }

    #[test]
    fn a_last_event_without_a_blank_line_is_kept() {
        let events = decode_in_pieces(b"data: [DONE]", 4);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "[DONE]");
    }

    #[test]
    fn a_runaway_line_is_an_error_not_a_memory_leak() {
        let mut decoder = SseDecoder::new();
        let chunk = vec![b'x'; 64 * 1024];
        let mut result = Ok(vec![]);
        for _ in 0..(MAX_LINE_BYTES / chunk.len() + 2) {
            result = decoder.push(&chunk);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(LineTooLong));
    }
}
