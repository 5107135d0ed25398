//! Server-sent events decoding (the WHATWG `text/event-stream` format).
//!
//! Bytes are fed in whatever pieces the network delivers; complete events come out. Lines end
//! with LF, CRLF or CR; `data:` lines are joined with `\n`; one space after the colon is
//! dropped; comment lines (`:`) and unknown fields are ignored; an event is dispatched at a
//! blank line (events with no data are skipped, as the SDKs do).

/// One decoded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
    has_data: bool,
    /// A CR ended the previous piece: a following LF belongs to it.
    pending_cr: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed bytes; returns the events completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = vec![];
        for &b in bytes {
            if self.pending_cr {
                self.pending_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' => self.end_line(&mut out),
                b'\r' => {
                    self.pending_cr = true;
                    self.end_line(&mut out);
                }
                _ => self.buf.push(b),
            }
        }
        out
    }

    /// End of stream: a final event without its blank line is still dispatched.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let mut out = vec![];
        if !self.buf.is_empty() {
            self.end_line(&mut out);
        }
        self.end_line(&mut out);
        out.pop()
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let line = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent {
                    event: self.event.take(),
                    data: self.data.join("\n"),
                });
            }
            self.event = None;
            self.data.clear();
            self.has_data = false;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line.as_str(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                self.data.push(value.to_string());
                self.has_data = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere() {
        let text = "event: a\ndata: {\"x\":\r\ndata: 1}\r\n\r\n: comment\ndata: [DONE]\n\n";
        for split in 0..text.len() {
            let mut d = SseDecoder::new();
            let mut got = d.feed(&text.as_bytes()[..split]);
            got.extend(d.feed(&text.as_bytes()[split..]));
            assert_eq!(
                got,
                vec![
                    SseEvent {
                        event: Some("a".into()),
                        data: "{\"x\":\n1}".into()
                    },
                    SseEvent {
                        event: None,
                        data: "[DONE]".into()
                    },
                ],
                "split at {split}"
            );
        }
    }

    #[test]
    fn unterminated_last_event_is_kept() {
        let mut d = SseDecoder::new();
        assert!(d.feed(b"data: tail").is_empty());
        assert_eq!(
            d.finish(),
            Some(SseEvent {
                event: None,
                data: "tail".into()
            })
        );
        assert_eq!(SseDecoder::new().finish(), None);
    }
}
