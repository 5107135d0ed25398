//! Server-sent events decoding (the WHATWG `text/event-stream` format).
//!
//! Bytes are fed in whatever pieces the network delivers; complete events come out. Lines end
//! with LF, CRLF or CR; `data:` lines are joined with `\n`; one space after the colon is
//! dropped; comment lines (`:`) and unknown fields are ignored; an event is dispatched at a
//! blank line (events with no data are skipped, as the SDKs do). `id:` sets the last event id,
//! which stays until another `id:` changes it (resumable streams, e.g. MCP's, need it);
//! `retry:` with digits only is the reconnection time in ms.

/// One decoded event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
    /// The last event id when the event was dispatched.
    pub id: Option<String>,
    /// The `retry:` field of this event, in milliseconds.
    pub retry: Option<u64>,
}

#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
    has_data: bool,
    last_id: Option<String>,
    retry: Option<u64>,
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
                    id: self.last_id.clone(),
                    retry: self.retry.take(),
                });
            }
            self.event = None;
            self.retry = None;
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
            // an id holding NUL is ignored, as the standard says
            "id" if !value.contains('\0') => {
                self.last_id = Some(value.to_string()).filter(|v| !v.is_empty());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry = value.parse().ok();
            }
            _ => {}
        }
    }
}

/// A provider's reading of its own stream: what each JSON event means.
pub(crate) trait SseHandler: Send {
    /// Handle one event's JSON, queueing the parts it yields on [`SseHandler::parts`];
    /// `Ok(true)` when the event ends the stream.
    fn on_event(&mut self, event: &serde_json::Value) -> Result<bool, super::ChatProviderError>;
    /// Parts decoded but not yet handed out.
    fn parts(&mut self) -> &mut std::collections::VecDeque<super::StreamedPart>;
    fn id(&self) -> Option<String>;
    fn usage(&self) -> Option<kagent_base::message::TokenUsage>;
}

/// A streamed HTTP response read as server-sent JSON events by a provider's handler: the
/// network reading, `[DONE]`, bad JSON and transport errors are the same for every provider.
pub(crate) struct SseStream<H> {
    resp: super::http::Response,
    decoder: SseDecoder,
    events: std::collections::VecDeque<SseEvent>,
    done: bool,
    handler: H,
}

impl<H: SseHandler> SseStream<H> {
    pub(crate) fn new(resp: super::http::Response, handler: H) -> Self {
        SseStream {
            resp,
            decoder: SseDecoder::new(),
            events: std::collections::VecDeque::new(),
            done: false,
            handler,
        }
    }

    async fn next_inner(
        &mut self,
    ) -> Option<Result<super::StreamedPart, super::ChatProviderError>> {
        loop {
            if let Some(p) = self.handler.parts().pop_front() {
                return Some(Ok(p));
            }
            if self.done {
                return None;
            }
            if let Some(ev) = self.events.pop_front() {
                if ev.data.starts_with("[DONE]") {
                    self.done = true;
                    continue;
                }
                let v: serde_json::Value = match serde_json::from_str(&ev.data) {
                    Ok(v) => v,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(super::ChatProviderError::Other(format!(
                            "Invalid JSON in the model's response stream: {e}"
                        ))));
                    }
                };
                match self.handler.on_event(&v) {
                    Ok(end) => self.done = end,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                continue;
            }
            match self.resp.chunk().await {
                Ok(Some(bytes)) => self.events.extend(self.decoder.feed(&bytes)),
                Ok(None) => {
                    self.events.extend(self.decoder.finish());
                    if self.events.is_empty() {
                        self.done = true;
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<H: SseHandler> super::StreamedMessage for SseStream<H> {
    fn next_part(
        &mut self,
    ) -> super::BoxFuture<'_, Option<Result<super::StreamedPart, super::ChatProviderError>>> {
        Box::pin(self.next_inner())
    }
    fn id(&self) -> Option<String> {
        self.handler.id()
    }
    fn usage(&self) -> Option<kagent_base::message::TokenUsage> {
        self.handler.usage()
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
                        data: "{\"x\":\n1}".into(),
                        ..Default::default()
                    },
                    SseEvent {
                        event: None,
                        data: "[DONE]".into(),
                        ..Default::default()
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
                data: "tail".into(),
                ..Default::default()
            })
        );
        assert_eq!(SseDecoder::new().finish(), None);
    }

    #[test]
    fn ids_persist_and_retry_is_per_event() {
        let mut d = SseDecoder::new();
        let got = d.feed(b"id: 7\nretry: 1500\ndata: a\n\ndata: b\n\nid\nretry: x\ndata: c\n\n");
        let ids: Vec<_> = got.iter().map(|e| (e.id.as_deref(), e.retry)).collect();
        assert_eq!(
            ids,
            vec![(Some("7"), Some(1500)), (Some("7"), None), (None, None)]
        );
    }
}
