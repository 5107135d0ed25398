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

/// The protocol version kimi-cli writes in the header of an existing wire file that has
/// none yet (its `WIRE_PROTOCOL_LEGACY_VERSION`).
pub const LEGACY_PROTOCOL_VERSION: &str = "1.1";

/// The header version kimi-cli's `WireFile` gives `path`: the one of its metadata line if
/// it has one, the legacy version for an existing file without one, else the current one.
pub fn header_version_for(path: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(path) else {
        return PROTOCOL_VERSION.into();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .find(|v| v.get("type").and_then(|t| t.as_str()) == Some("metadata"))
        .and_then(|v| v.get("protocol_version")?.as_str().map(str::to_string))
        .unwrap_or_else(|| LEGACY_PROTOCOL_VERSION.into())
}

/// Append a `{"type", "payload"}` envelope (an event or a request) to `wire.jsonl`.
pub fn record_envelope(path: &Path, envelope: &serde_json::Value) {
    record_envelope_as(path, envelope, PROTOCOL_VERSION)
}

/// [`record_envelope`] with the header version `version` (for a file that needs one).
fn record_envelope_as(path: &Path, envelope: &serde_json::Value, version: &str) {
    let needs_header = std::fs::metadata(path)
        .map(|m| m.len() == 0)
        .unwrap_or(true);
    if needs_header {
        let header = json!({"type": "metadata", "protocol_version": version});
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

/// Where a [`Wire`]'s events go besides its file.
enum Sink {
    /// To the client, raw (a root turn).
    Client(Outbox),
    /// Merged and wrapped in `SubagentEvent`, into a queue that a task forwards to the
    /// parent turn's wire (a subagent's turn). Like kimi-cli's subagent UI loop, the task
    /// runs when the turn next waits: a request the turn makes meanwhile (an approval)
    /// reaches the client before the events queued ahead of it. `None` once closed.
    Parent {
        queue: Option<UnboundedSender<WireMessage>>,
        parent_tool_call_id: Option<String>,
        agent_id: String,
        subagent_type: String,
    },
}

/// Sees each merged message of a wire (a subagent's transcript writer).
pub type Observer = Box<dyn Fn(&WireMessage) + Send>;

struct Inner {
    sink: Sink,
    observer: Option<Observer>,
    /// The version a header written to `file` gets.
    header_version: String,
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
        Self::with_sink(Sink::Client(outbox), file)
    }

    /// The wire of a subagent's turn: recorded merged to `file` (the subagent's own
    /// `wire.jsonl`) and forwarded, merged, to `parent` as `SubagentEvent`s by a task, which
    /// the returned handle awaits: it ends once the wire is closed and everything is
    /// forwarded.
    pub fn for_subagent(
        parent: Wire,
        file: PathBuf,
        parent_tool_call_id: Option<String>,
        agent_id: &str,
        subagent_type: &str,
    ) -> (Wire, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<WireMessage>();
        let forwarder = tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                parent.send(msg);
            }
        });
        let wire = Self::with_sink(
            Sink::Parent {
                queue: Some(tx),
                parent_tool_call_id,
                agent_id: agent_id.to_string(),
                subagent_type: subagent_type.to_string(),
            },
            Some(file),
        );
        (wire, forwarder)
    }

    /// The wire of a background subagent's turn: recorded merged to `file` (the subagent's
    /// own `wire.jsonl`), forwarded nowhere (kimi-cli shows the client no events of a
    /// background agent).
    pub fn for_background_subagent(file: PathBuf, agent_id: &str, subagent_type: &str) -> Wire {
        // the receiver is dropped: what the sink queues goes nowhere
        let (tx, _) = tokio::sync::mpsc::unbounded_channel::<WireMessage>();
        Self::with_sink(
            Sink::Parent {
                queue: Some(tx),
                parent_tool_call_id: None,
                agent_id: agent_id.to_string(),
                subagent_type: subagent_type.to_string(),
            },
            Some(file),
        )
    }

    fn with_sink(sink: Sink, file: Option<PathBuf>) -> Wire {
        let is_subagent = matches!(sink, Sink::Parent { .. });
        Wire {
            inner: Arc::new(Mutex::new(Inner {
                sink,
                observer: None,
                header_version: match &file {
                    Some(f) if is_subagent => header_version_for(f),
                    _ => PROTOCOL_VERSION.into(),
                },
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
        if let Sink::Client(outbox) = &g.sink {
            let _ = outbox.send(jsonrpc::event(msg.envelope()));
        }
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
            Self::emit_merged(&g, &msg);
        }
    }

    fn flush_locked(g: &mut Inner) {
        if let Some(b) = g.buffer.take() {
            Self::emit_merged(g, &b);
        }
    }

    /// A merged message: to the file, and to the parent when this is a subagent's wire.
    fn emit_merged(g: &Inner, msg: &WireMessage) {
        if let Some(f) = &g.file {
            record_envelope_as(f, &msg.envelope(), &g.header_version);
        }
        if let Some(o) = &g.observer {
            o(msg);
        }
        if let Sink::Parent {
            queue: Some(queue),
            parent_tool_call_id,
            agent_id,
            subagent_type,
        } = &g.sink
        {
            let _ = queue.send(WireMessage::SubagentEvent {
                parent_tool_call_id: parent_tool_call_id.clone(),
                agent_id: agent_id.clone(),
                subagent_type: subagent_type.clone(),
                event: msg.envelope(),
            });
        }
    }

    /// Let `observer` see every merged message from now on.
    pub fn observe(&self, observer: Observer) {
        kagent_base::sync::lock(&self.inner).observer = Some(observer);
    }

    /// End of the turn: flush, then drop whatever is sent later.
    pub fn close(&self) {
        let mut g = kagent_base::sync::lock(&self.inner);
        Self::flush_locked(&mut g);
        g.closed = true;
        if let Sink::Parent { queue, .. } = &mut g.sink {
            queue.take();
        }
    }

    /// Record a request the soul side makes of the client (`ToolCallRequest`,
    /// `QuestionRequest`) in `wire.jsonl`, in order with the events. Sending it is up to the
    /// caller: kimi-cli records a question even when the client cannot be asked.
    pub fn record_request(&self, kind: &str, payload: serde_json::Value) {
        let mut g = kagent_base::sync::lock(&self.inner);
        Self::flush_locked(&mut g);
        if let Some(f) = &g.file {
            record_envelope_as(
                f,
                &json!({"type": kind, "payload": payload}),
                &g.header_version,
            );
        }
    }

    /// Record any pending merged message.
    pub fn flush(&self) {
        let mut g = kagent_base::sync::lock(&self.inner);
        Self::flush_locked(&mut g);
    }
}
