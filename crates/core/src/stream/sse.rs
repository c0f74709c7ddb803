//! An incremental Server-Sent Events parser, as the WHATWG spec reads a
//! stream: lines end in CRLF, LF or CR; `data`, `event`, `id`, `retry`
//! fields; comments; a BOM at the start. Bytes in, frames out, any chunking.
//! An event larger than the cap is skipped and reported, never buffered.

use memchr::memchr2;

/// One thing the stream said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Event(SseEvent),
    /// `retry:` in milliseconds, as sent (the client clamps it).
    Retry(u64),
    /// A comment line (keepalive).
    Comment,
    /// An event whose data passed the cap; its own `id`, if any, still counts.
    Oversized {
        id: Option<String>,
    },
    /// An event whose data is not UTF-8. Skipped rather than repaired: a
    /// payload silently changed is worse than one reported missing.
    InvalidUtf8 {
        id: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// This event's own `id:` field, if it had one (not one inherited from
    /// an earlier event, which `SseParser::last_id` gives).
    pub id: Option<String>,
    /// `event:`, default "message".
    pub event: String,
    pub data: String,
}

#[derive(Debug)]
pub struct SseParser {
    max_event_bytes: usize,
    /// An incomplete line carried over between chunks.
    line: Vec<u8>,
    data: Vec<u8>,
    event: Vec<u8>,
    /// The spec's "last event ID buffer": set by an `id:` line.
    id_buffer: Option<String>,
    /// The last event ID, committed at each blank line: a resume point is
    /// never in the middle of an event.
    last_id: Option<String>,
    /// The data of the current event passed the cap.
    oversized: bool,
    /// The previous chunk ended in CR: a leading LF now belongs to it.
    after_cr: bool,
    /// Still at the very start of the stream (a BOM may come).
    at_start: bool,
    /// The current event has its own `id:` line.
    own_id: bool,
}

impl SseParser {
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            max_event_bytes,
            line: Vec::new(),
            data: Vec::new(),
            event: Vec::new(),
            id_buffer: None,
            last_id: None,
            oversized: false,
            after_cr: false,
            at_start: true,
            own_id: false,
        }
    }

    /// Sets the id a resumed stream continues from.
    pub fn with_last_id(mut self, id: Option<String>) -> Self {
        self.id_buffer = id.clone();
        self.last_id = id;
        self
    }

    /// The id as of the last complete frame (an `id:` alone counts).
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// Feeds a chunk; complete frames are appended to `out`.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut Vec<Frame>) {
        if self.after_cr {
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
            self.after_cr = false;
        }
        if self.at_start && !chunk.is_empty() {
            // The BOM may be split across chunks; only look once we have 3 bytes.
            let mut head = std::mem::take(&mut self.line);
            head.extend_from_slice(chunk);
            if head.len() < 3 && b"\xEF\xBB\xBF".starts_with(&head) {
                self.line = head;
                return;
            }
            self.at_start = false;
            let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head).to_vec();
            self.push(&body, out);
            return;
        }
        while !chunk.is_empty() {
            match memchr2(b'\n', b'\r', chunk) {
                Some(i) => {
                    let ends_in_cr = chunk[i] == b'\r';
                    if self.line.is_empty() {
                        self.process_line(&chunk[..i], out);
                    } else {
                        let mut line = std::mem::take(&mut self.line);
                        self.append_partial(&mut line, &chunk[..i]);
                        self.process_line(&line, out);
                        line.clear();
                        self.line = line;
                    }
                    chunk = &chunk[i + 1..];
                    if ends_in_cr {
                        match chunk.first() {
                            Some(b'\n') => chunk = &chunk[1..],
                            Some(_) => {}
                            None => self.after_cr = true,
                        }
                    }
                }
                None => {
                    let mut line = std::mem::take(&mut self.line);
                    self.append_partial(&mut line, chunk);
                    self.line = line;
                    return;
                }
            }
        }
    }

    /// Keeps a partial line, but never more than the cap: a runaway line
    /// marks the event oversized instead of growing without bound.
    fn append_partial(&mut self, line: &mut Vec<u8>, bytes: &[u8]) {
        let room = (self.max_event_bytes + 64).saturating_sub(line.len());
        if bytes.len() > room {
            line.extend_from_slice(&bytes[..room]);
            self.oversized = true;
        } else {
            line.extend_from_slice(bytes);
        }
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<Frame>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            out.push(Frame::Comment);
            return;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.oversized {
                    return;
                }
                if self.data.len() + value.len() + 1 > self.max_event_bytes {
                    self.oversized = true;
                    self.data.clear();
                    return;
                }
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            b"event" => {
                self.event.clear();
                self.event.extend_from_slice(value);
            }
            // An id with NUL is ignored, as the spec says.
            b"id" if !value.contains(&0) => {
                self.id_buffer = Some(String::from_utf8_lossy(value).into_owned());
                self.own_id = true;
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                if let Ok(ms) = std::str::from_utf8(value).unwrap_or("").parse() {
                    out.push(Frame::Retry(ms));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<Frame>) {
        self.last_id.clone_from(&self.id_buffer);
        let own_id = if std::mem::take(&mut self.own_id) {
            self.last_id.clone()
        } else {
            None
        };
        if std::mem::take(&mut self.oversized) {
            self.data.clear();
            self.event.clear();
            out.push(Frame::Oversized { id: own_id });
            return;
        }
        if self.data.is_empty() {
            // No data: nothing to dispatch, but an `id:` alone still moved
            // the resume point (`last_id`).
            self.event.clear();
            return;
        }
        self.data.pop(); // the trailing LF
        let event = if self.event.is_empty() {
            "message".to_owned()
        } else {
            String::from_utf8_lossy(&self.event).into_owned()
        };
        self.event.clear();
        match String::from_utf8(std::mem::take(&mut self.data)) {
            Ok(data) => out.push(Frame::Event(SseEvent {
                id: own_id,
                event,
                data,
            })),
            Err(_) => out.push(Frame::InvalidUtf8 { id: own_id }),
        }
    }
}

/// Writes one SSE event. `data` must be one line (see [`one_line_json`]).
pub fn write_event(out: &mut String, id: Option<u64>, event: &str, data: &str) {
    use std::fmt::Write;
    if let Some(id) = id {
        let _ = writeln!(out, "id: {id}");
    }
    // Event names come from decoded payloads; strip line breaks all the same.
    let event: String = event.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let _ = writeln!(out, "event: {event}");
    let _ = writeln!(out, "data: {data}");
    out.push('\n');
}

/// JSON on one line: whitespace outside strings removed, nothing else
/// touched (key order, number spelling and escapes stay as sent). The input
/// must be valid JSON.
pub fn one_line_json(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            if b == b'"' {
                in_string = true;
            }
            out.push(b);
        }
    }
    // Valid JSON in, so valid UTF-8 out (only ASCII whitespace was removed).
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<Frame> {
        let mut p = SseParser::new(1024);
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, &mut out);
        }
        out
    }

    fn ev(id: Option<&str>, event: &str, data: &str) -> Frame {
        Frame::Event(SseEvent {
            id: id.map(str::to_owned),
            event: event.into(),
            data: data.into(),
        })
    }

    #[test]
    fn a_complete_event() {
        let out = parse_chunks(&[b"id: 42\nevent: onTicketCreate\ndata: {\"a\":1}\n\n"]);
        assert_eq!(out, [ev(Some("42"), "onTicketCreate", "{\"a\":1}")]);
    }

    #[test]
    fn any_chunking_gives_the_same_frames() {
        let stream: &[u8] = b"\xEF\xBB\xBF: hi\r\nretry: 1000\r\nid: 1\r\nevent: x\r\ndata: a\r\ndata: b\r\n\r\nid: 2\rdata: c\r\r";
        let whole = parse_chunks(&[stream]);
        assert_eq!(
            whole,
            [
                Frame::Comment,
                Frame::Retry(1000),
                ev(Some("1"), "x", "a\nb"),
                ev(Some("2"), "message", "c")
            ]
        );
        for split in 0..stream.len() {
            let (a, b) = stream.split_at(split);
            assert_eq!(parse_chunks(&[a, b]), whole, "split at {split}");
        }
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(parse_chunks(&bytes), whole);
    }

    #[test]
    fn incomplete_event_is_not_dispatched_and_does_not_move_the_resume_point() {
        let mut p = SseParser::new(1024).with_last_id(Some("6".into()));
        let mut out = Vec::new();
        p.push(b"id: 7\ndata: {\"half\":", &mut out);
        assert_eq!(out, []);
        assert_eq!(p.last_id(), Some("6"));
        // An `id:` alone, completed by a blank line, does move it.
        p.push(b"\n\nid: 9\n\n", &mut out);
        assert_eq!(p.last_id(), Some("9"));
    }

    #[test]
    fn field_without_space_and_without_colon() {
        let out = parse_chunks(&[b"data:x\ndata\n\n"]);
        assert_eq!(out, [ev(None, "message", "x\n")]);
    }

    #[test]
    fn oversized_event_is_skipped_and_the_next_one_arrives() {
        let mut p = SseParser::new(16);
        let mut out = Vec::new();
        p.push(
            b"id: 1\ndata: 0123456789abcdefghijkl\n\nid: 2\ndata: ok\n\n",
            &mut out,
        );
        assert_eq!(
            out,
            [
                Frame::Oversized {
                    id: Some("1".into())
                },
                ev(Some("2"), "message", "ok")
            ]
        );
    }

    #[test]
    fn a_runaway_line_never_grows_past_the_cap() {
        let mut p = SseParser::new(16);
        let mut out = Vec::new();
        for _ in 0..1000 {
            p.push(b"data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", &mut out);
        }
        assert!(p.line.len() <= 16 + 64);
        p.push(b"\n\ndata: next\n\n", &mut out);
        assert_eq!(
            out,
            [Frame::Oversized { id: None }, ev(None, "message", "next")]
        );
    }

    #[test]
    fn invalid_utf8_is_reported_not_repaired_or_fatal() {
        let out = parse_chunks(&[b"id: 3\ndata: \xff\xfe\n\ndata: fine\n\n"]);
        assert_eq!(
            out,
            [
                Frame::InvalidUtf8 {
                    id: Some("3".into())
                },
                ev(None, "message", "fine")
            ]
        );
    }

    #[test]
    fn id_with_nul_is_ignored_and_bad_retry_too() {
        let mut p = SseParser::new(1024);
        let mut out = Vec::new();
        p.push(b"id: 5\n\nid: 6\0\nretry: 1s\ndata: x\n\n", &mut out);
        // The event has no valid id of its own; the resume point stays 5.
        assert_eq!(out, [ev(None, "message", "x")]);
        assert_eq!(p.last_id(), Some("5"));
    }

    #[test]
    fn one_line_json_keeps_strings() {
        let pretty = b"{\n  \"a\" : \"x y\\\" \\n\",\n  \"b\": [1, 2]\n}\n";
        assert_eq!(one_line_json(pretty), r#"{"a":"x y\" \n","b":[1,2]}"#);
    }

    #[test]
    fn written_events_parse_back() {
        let mut s = String::new();
        write_event(&mut s, Some(9), "onCallUpdate", "{\"k\":1}");
        assert_eq!(
            parse_chunks(&[s.as_bytes()]),
            [ev(Some("9"), "onCallUpdate", "{\"k\":1}")]
        );
    }
}
