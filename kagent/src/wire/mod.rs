//! The Wire: JSON-RPC framing ([`jsonrpc`]), message types ([`types`]), the outbound-request
//! service ([`outbound`]: requests to the client and their pending answers), the [`Outbox`]
//! and the per-turn [`Wire`] that fans soul events out to the client (raw) and to
//! `wire.jsonl` (merged, like kimi-cli's recorder). The stdio server that reads the client is
//! in `src/server/`, a higher layer.

pub mod jsonrpc;
pub mod outbound;
pub mod types;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::sync::mpsc::UnboundedSender;

use crate::session::append_line;
use kagent_base::py::json as pyjson;
use types::WireMessage;

/// The protocol version this kernel speaks.
pub const PROTOCOL_VERSION: &str = "1.10";

/// Outbound line queue (one JSON value per line on stdout).
pub type Outbox = UnboundedSender<serde_json::Value>;

/// Append a merged message to `wire.jsonl` (header first if the file is new or empty).
pub fn record(path: &Path, msg: &WireMessage) {
    record_envelope(path, &msg.envelope());
}

/// Append a `{"type", "payload"}` envelope (an event or a request) to `wire.jsonl`.
pub fn record_envelope(path: &Path, envelope: &serde_json::Value) {
    let needs_header = std::fs::metadata(path)
        .map(|m| m.len() == 0)
        .unwrap_or(true);
    if needs_header {
        let header = json!({"type": "metadata", "protocol_version": PROTOCOL_VERSION});
        if let Err(e) = append_line(path, &pyjson::dumps_utf8(&header)) {
            kagent_base::logging::error(&format!("wire file write failed: {e}"));
        }
    }
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let rec = json!({"timestamp": ts, "message": envelope});
    if let Err(e) = append_line(path, &pyjson::dumps_utf8(&rec)) {
        kagent_base::logging::error(&format!("wire file write failed: {e}"));
    }
}

struct Inner {
    outbox: Outbox,
    file: Option<PathBuf>,
    buffer: Option<WireMessage>,
    /// Set once the turn is over: late sends (background hooks) are dropped.
    closed: bool,
}

/// Soul-side sender. Cloneable; all clones share one merge buffer.
#[derive(Clone)]
pub struct Wire {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire").finish_non_exhaustive()
    }
}

impl Wire {
    pub fn new(outbox: Outbox, file: Option<PathBuf>) -> Wire {
        Wire {
            inner: Arc::new(Mutex::new(Inner {
                outbox,
                file,
                buffer: None,
                closed: false,
            })),
        }
    }

    /// Send an event: to the client as is, to the wire file merged.
    pub fn send(&self, msg: WireMessage) {
        let mut g = kagent_base::sync::lock(&self.inner);
        if g.closed {
            return;
        }
        let _ = g.outbox.send(jsonrpc::event(msg.envelope()));
        let mergeable = matches!(
            msg,
            WireMessage::ContentPart(_) | WireMessage::ToolCall(_) | WireMessage::ToolCallPart(_)
        );
        if mergeable {
            let merged = match (&mut g.buffer, &msg) {
                (Some(WireMessage::ContentPart(a)), WireMessage::ContentPart(b)) => a.merge(b),
                (Some(WireMessage::ToolCall(a)), WireMessage::ToolCallPart(b)) => {
                    a.merge_part(b);
                    true
                }
                (Some(WireMessage::ToolCallPart(a)), WireMessage::ToolCallPart(b)) => {
                    match (&mut a.arguments_part, &b.arguments_part) {
                        (None, p) => a.arguments_part = p.clone(),
                        (Some(x), Some(y)) => x.push_str(y),
                        _ => {}
                    }
                    true
                }
                _ => false,
            };
            if !merged {
                Self::flush_locked(&mut g);
                g.buffer = Some(msg);
            }
        } else {
            Self::flush_locked(&mut g);
            if let Some(f) = &g.file {
                record(f, &msg);
            }
        }
    }

    fn flush_locked(g: &mut Inner) {
        if let Some(b) = g.buffer.take() {
            if let Some(f) = &g.file {
                record(f, &b);
            }
        }
    }

    /// End of the turn: flush, then drop whatever is sent later.
    pub fn close(&self) {
        let mut g = kagent_base::sync::lock(&self.inner);
        Self::flush_locked(&mut g);
        g.closed = true;
    }

    /// Record a request the soul side makes of the client (`ToolCallRequest`,
    /// `QuestionRequest`) in `wire.jsonl`, in order with the events. Sending it is up to the
    /// caller: kimi-cli records a question even when the client cannot be asked.
    pub fn record_request(&self, kind: &str, payload: serde_json::Value) {
        let mut g = kagent_base::sync::lock(&self.inner);
        Self::flush_locked(&mut g);
        if let Some(f) = &g.file {
            record_envelope(f, &json!({"type": kind, "payload": payload}));
        }
    }

    /// Record any pending merged message.
    pub fn flush(&self) {
        let mut g = kagent_base::sync::lock(&self.inner);
        Self::flush_locked(&mut g);
    }
}
