//! Requests kagent sends to the wire client (approvals, questions, `HookRequest`s, external
//! tool calls): one pending map keyed by request id, shared by every caller and by the server
//! that routes the client's responses back.
//!
//! [`Requests::send`] registers the waiter and writes the request; the server calls
//! [`Requests::resolve`] for each response and [`Requests::close_all`] when the connection
//! ends, which every waiter sees as [`Reply::Closed`]. A waiter that is dropped (a timeout,
//! a cancelled call) takes its entry out of the map.
//!
//! Several waiters may share an id (a model can give two calls of one external tool the same
//! tool-call id in one step): each request is sent, and the client's responses to that id go
//! to its waiters in the order the requests were sent (issue 19; a single slot per id used to
//! drop the first waiter and then, on its drop, the second one's entry too).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::{jsonrpc, Outbox};
use kagent_base::sync::lock;

/// A response as the server routes it: the `result`, or the `error`'s message.
pub type Answer = Result<Value, String>;

/// Per request id, its waiters in sending order, each with its own serial number.
type PendingMap = Arc<Mutex<Pending>>;

#[derive(Default)]
struct Pending {
    next_serial: u64,
    waiters: HashMap<String, VecDeque<(u64, oneshot::Sender<Answer>)>>,
}

impl Pending {
    fn forget(&mut self, id: &str, serial: u64) {
        if let Some(queue) = self.waiters.get_mut(id) {
            queue.retain(|(s, _)| *s != serial);
            if queue.is_empty() {
                self.waiters.remove(id);
            }
        }
    }
}

/// How the client answered a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Result(Value),
    /// A JSON-RPC error response (its message).
    Error(String),
    /// The connection closed before an answer.
    Closed,
}

/// The outbound-request service: the outbox requests go to plus the pending map.
#[derive(Clone)]
pub struct Requests {
    outbox: Outbox,
    pending: PendingMap,
}

impl Requests {
    pub fn new(outbox: Outbox) -> Requests {
        Requests {
            outbox,
            pending: Arc::new(Mutex::new(Pending::default())),
        }
    }

    /// The outbox the requests are written to (for events sent alongside them).
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Register a waiter for `id`, then send `{"type": kind, "payload": payload}` as the
    /// JSON-RPC request `id`.
    pub fn send(&self, id: &str, kind: &str, payload: Value) -> PendingReply {
        self.send_message(id, json!({"type": kind, "payload": payload}))
    }

    /// [`Requests::send`] with a ready `{"type", "payload"}` message.
    pub fn send_message(&self, id: &str, message: Value) -> PendingReply {
        let (tx, rx) = oneshot::channel();
        let serial = {
            let mut pending = lock(&self.pending);
            let serial = pending.next_serial;
            pending.next_serial += 1;
            pending
                .waiters
                .entry(id.to_string())
                .or_default()
                .push_back((serial, tx));
            serial
        };
        let reply = PendingReply {
            id: id.to_string(),
            serial,
            pending: self.pending.clone(),
            rx,
        };
        let _ = self.outbox.send(jsonrpc::request(id, message));
        reply
    }

    /// Hand the client's response to the oldest waiter of `id`; `false` when nobody waits.
    pub fn resolve(&self, id: &str, answer: Answer) -> bool {
        let waiter = {
            let mut pending = lock(&self.pending);
            let queue = pending.waiters.get_mut(id);
            let first = queue.and_then(VecDeque::pop_front).map(|(_, tx)| tx);
            if pending.waiters.get(id).is_some_and(VecDeque::is_empty) {
                pending.waiters.remove(id);
            }
            first
        };
        match waiter {
            None => false,
            Some(tx) => {
                let _ = tx.send(answer);
                true
            }
        }
    }

    /// The connection is gone: every waiter gets [`Reply::Closed`].
    pub fn close_all(&self) {
        lock(&self.pending).waiters.clear();
    }
}

/// A sent request's answer to come; dropping it forgets the request.
pub struct PendingReply {
    id: String,
    serial: u64,
    pending: PendingMap,
    rx: oneshot::Receiver<Answer>,
}

impl PendingReply {
    pub async fn wait(mut self) -> Reply {
        match (&mut self.rx).await {
            Ok(Ok(v)) => Reply::Result(v),
            Ok(Err(m)) => Reply::Error(m),
            Err(_) => Reply::Closed,
        }
    }
}

impl Drop for PendingReply {
    fn drop(&mut self) {
        lock(&self.pending).forget(&self.id, self.serial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests() -> (Requests, tokio::sync::mpsc::UnboundedReceiver<Value>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (Requests::new(tx), rx)
    }

    #[tokio::test]
    async fn routes_results_errors_and_close() {
        let (r, mut out) = requests();
        let a = r.send("a", "ApprovalRequest", json!({"x": 1}));
        let b = r.send("b", "HookRequest", json!({}));
        let c = r.send("c", "ToolCallRequest", json!({}));
        let line = out.recv().await.unwrap();
        assert_eq!(line["id"], "a");
        assert_eq!(line["method"], "request");
        assert_eq!(
            line["params"],
            json!({"type": "ApprovalRequest", "payload": {"x": 1}})
        );
        assert!(r.resolve("a", Ok(json!({"response": "approve"}))));
        assert!(r.resolve("b", Err("boom".into())));
        assert!(!r.resolve("zzz", Ok(Value::Null)));
        assert_eq!(
            a.wait().await,
            Reply::Result(json!({"response": "approve"}))
        );
        assert_eq!(b.wait().await, Reply::Error("boom".into()));
        r.close_all();
        assert_eq!(c.wait().await, Reply::Closed);
    }

    #[tokio::test]
    async fn a_dropped_waiter_forgets_its_request() {
        let (r, _out) = requests();
        drop(r.send("x", "HookRequest", json!({})));
        assert!(!r.resolve("x", Ok(Value::Null)));
    }

    #[tokio::test]
    async fn waiters_sharing_an_id_are_answered_in_sending_order() {
        let (r, _out) = requests();
        let first = r.send("x", "ToolCallRequest", json!({}));
        let second = r.send("x", "ToolCallRequest", json!({}));
        assert!(r.resolve("x", Ok(json!(1))));
        assert!(r.resolve("x", Ok(json!(2))));
        assert!(!r.resolve("x", Ok(json!(3))));
        assert_eq!(first.wait().await, Reply::Result(json!(1)));
        assert_eq!(second.wait().await, Reply::Result(json!(2)));
        // dropping one waiter leaves the other's entry in place
        let gone = r.send("y", "ToolCallRequest", json!({}));
        let kept = r.send("y", "ToolCallRequest", json!({}));
        drop(gone);
        assert!(r.resolve("y", Ok(json!("k"))));
        assert_eq!(kept.wait().await, Reply::Result(json!("k")));
    }
}
