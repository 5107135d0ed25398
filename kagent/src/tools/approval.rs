//! Human-in-the-loop requests to the wire client: approvals and questions.
//!
//! [`Client`] sends a JSON-RPC `request` through the wire's outbound-request service and
//! waits for the response the server routes back. [`Approval`] decides whether a side-effecting action may
//! run: yolo / afk approve everything, `approve_for_session` remembers the action name in
//! `state.json`, anything else asks the client with an `ApprovalRequest`. A reject, an error
//! response, an invalid response and a closed connection all deny the action.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::session::SessionState;
use crate::wire::jsonrpc;
pub use crate::wire::outbound::Reply;
use crate::wire::outbound::Requests;

use super::{DisplayBlock, Rejection, ToolReturnValue};

/// The wire client as seen by tools.
#[derive(Clone)]
pub struct Client {
    requests: Requests,
    supports_question: Arc<AtomicBool>,
}

impl Client {
    pub fn new(requests: Requests) -> Client {
        Client {
            requests,
            supports_question: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn set_supports_question(&self, on: bool) {
        self.supports_question.store(on, Ordering::SeqCst);
    }

    pub fn supports_question(&self) -> bool {
        self.supports_question.load(Ordering::SeqCst)
    }

    /// Send `{"type": kind, "payload": payload}` as request `id` and wait for the answer.
    pub async fn request(&self, id: &str, kind: &str, payload: Value) -> Reply {
        self.requests.send(id, kind, payload).wait().await
    }

    /// Send an event that is not recorded in `wire.jsonl` (like kimi-cli's root hub events).
    pub fn event(&self, kind: &str, payload: Value) {
        let _ = self
            .requests
            .outbox()
            .send(jsonrpc::event(json!({"type": kind, "payload": payload})));
    }
}

/// Outcome of an approval request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Approved,
    Rejected { feedback: String },
}

impl Decision {
    pub fn approved(&self) -> bool {
        matches!(self, Decision::Approved)
    }

    /// What the model is told when the user says no (kimi-cli's `ToolRejectedError`).
    pub fn rejection(&self) -> ToolReturnValue {
        match self {
            Decision::Rejected { feedback } if !feedback.is_empty() => ToolReturnValue {
                rejection: Some(Rejection::WithFeedback),
                ..ToolReturnValue::error(
                    crate::config::profile::active().message_with(
                        "approval.rejected_with_feedback",
                        &[("{feedback}", feedback)],
                    ),
                    &format!("Rejected: {feedback}"),
                )
            },
            _ => ToolReturnValue {
                rejection: Some(Rejection::Plain),
                ..ToolReturnValue::error(
                    crate::config::profile::active().message("approval.rejected"),
                    "Rejected by user",
                )
            },
        }
    }
}

/// Approval policy shared by all tools of a session.
#[derive(Clone)]
pub struct Approval {
    client: Client,
    state: Arc<Mutex<SessionState>>,
    session_dir: PathBuf,
    /// `source_id` of the current turn (a fresh hex id per turn).
    source_id: Arc<Mutex<String>>,
    /// Pending requests: request id -> (action, waiter to resolve it early).
    waiting: Arc<Mutex<HashMap<String, String>>>,
    /// `(agent_id, subagent_type)` when the tools asking are a subagent's.
    subagent: Option<(String, String)>,
    /// Set for a background agent's tools.
    background: Option<BackgroundSource>,
}

/// Told whether a background agent's requests wait (`Some(description)`) or none does.
pub type OnWait = Arc<dyn Fn(Option<&str>) + Send + Sync>;

/// The source of a background agent's requests: its task (the `source_id`), told when
/// requests start and stop waiting (`Some(description)`: one waits; `None`: none does).
#[derive(Clone)]
struct BackgroundSource {
    task_id: String,
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    on_wait: OnWait,
}

impl Approval {
    pub fn new(client: Client, state: Arc<Mutex<SessionState>>, session_dir: PathBuf) -> Self {
        Approval {
            client,
            state,
            session_dir,
            source_id: Arc::new(Mutex::new(uuid::Uuid::new_v4().simple().to_string())),
            waiting: Arc::new(Mutex::new(HashMap::new())),
            subagent: None,
            background: None,
        }
    }

    /// The approval of one subagent run (kimi-cli's `approval.share()` under the run's own
    /// `ApprovalSource`): same policy and session state, requests carry the run's own
    /// `source_id`, its `agent_id` and `subagent_type`.
    pub fn for_subagent(&self, agent_id: &str, subagent_type: &str) -> Approval {
        Approval {
            source_id: Arc::new(Mutex::new(uuid::Uuid::new_v4().simple().to_string())),
            subagent: Some((agent_id.to_string(), subagent_type.to_string())),
            ..self.clone()
        }
    }

    /// The approval of a background agent's run (kimi-cli's `ApprovalSource` of kind
    /// `background_agent`): requests carry `task_id` as their `source_id`, and `on_wait`
    /// follows them (the task is `awaiting_approval` while one waits).
    pub fn for_background(
        &self,
        agent_id: &str,
        subagent_type: &str,
        task_id: &str,
        on_wait: OnWait,
    ) -> Approval {
        Approval {
            background: Some(BackgroundSource {
                task_id: task_id.to_string(),
                waiting: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
                on_wait,
            }),
            ..self.for_subagent(agent_id, subagent_type)
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A new turn starts: requests it makes carry a new `source_id`.
    pub fn new_turn(&self) {
        *kagent_base::sync::lock(&self.source_id) = uuid::Uuid::new_v4().simple().to_string();
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SessionState> {
        kagent_base::sync::lock(&self.state)
    }

    pub fn is_yolo(&self) -> bool {
        self.state().yolo()
    }

    pub fn is_afk(&self) -> bool {
        self.state().afk()
    }

    pub fn is_auto_approve(&self) -> bool {
        self.is_yolo() || self.is_afk()
    }

    fn remember_for_session(&self, action: &str) {
        let mut st = self.state();
        st.add_auto_approve_action(action);
        if let Err(e) = st.save(&self.session_dir) {
            kagent_base::logging::error(&format!("saving approval state failed: {e}"));
        }
    }

    /// Ask whether `sender` may perform `action` for tool call `tool_call_id`.
    pub async fn request(
        &self,
        tool_call_id: &str,
        sender: &str,
        action: &str,
        description: &str,
        display: Vec<DisplayBlock>,
    ) -> Decision {
        if self.is_auto_approve()
            || self
                .state()
                .auto_approve_actions()
                .iter()
                .any(|a| a == action)
        {
            return Decision::Approved;
        }
        let id = uuid::Uuid::new_v4().to_string();
        let (source_kind, source_id) = match &self.background {
            Some(b) => ("background_agent", b.task_id.clone()),
            None => (
                "foreground_turn",
                kagent_base::sync::lock(&self.source_id).clone(),
            ),
        };
        let payload = json!({
            "id": id,
            "tool_call_id": tool_call_id,
            "sender": sender,
            "action": action,
            "description": description,
            "source_kind": source_kind,
            "source_id": source_id,
            "agent_id": self.subagent.as_ref().map(|s| s.0.clone()),
            "subagent_type": self.subagent.as_ref().map(|s| s.1.clone()),
            "source_description": null,
            "display": display.iter().map(|d| d.0.clone()).collect::<Vec<_>>(),
        });
        kagent_base::sync::lock(&self.waiting).insert(id.clone(), action.to_string());
        // Dropped mid-wait (turn cancelled): the request is withdrawn as a reject.
        let guard = Withdraw {
            approval: self.clone(),
            id: id.clone(),
            armed: true,
        };
        let waits = self
            .background
            .as_ref()
            .map(|b| WaitCount::start(b, description));
        let reply = self.client.request(&id, "ApprovalRequest", payload).await;
        drop(waits);
        let mut guard = guard;
        guard.armed = false;
        kagent_base::sync::lock(&self.waiting).remove(&id);
        let (response, feedback) = match reply {
            Reply::Result(v) => parse_response(&v),
            Reply::Error(_) | Reply::Closed => ("reject".to_string(), String::new()),
        };
        self.client.event(
            "ApprovalResponse",
            json!({"request_id": id, "response": response, "feedback": feedback}),
        );
        match response.as_str() {
            "approve" => Decision::Approved,
            "approve_for_session" => {
                self.remember_for_session(action);
                Decision::Approved
            }
            _ => Decision::Rejected { feedback },
        }
    }
}

/// One request of a background agent waiting (its task is `awaiting_approval` meanwhile).
struct WaitCount(BackgroundSource);

impl WaitCount {
    fn start(source: &BackgroundSource, description: &str) -> WaitCount {
        use std::sync::atomic::Ordering;
        source.waiting.fetch_add(1, Ordering::SeqCst);
        (source.on_wait)(Some(description));
        WaitCount(source.clone())
    }
}

impl Drop for WaitCount {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        if self.0.waiting.fetch_sub(1, Ordering::SeqCst) == 1 {
            (self.0.on_wait)(None);
        }
    }
}

struct Withdraw {
    approval: Approval,
    id: String,
    armed: bool,
}

impl Drop for Withdraw {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let was_waiting = kagent_base::sync::lock(&self.approval.waiting)
            .remove(&self.id)
            .is_some();
        if was_waiting {
            self.approval.client.event(
                "ApprovalResponse",
                json!({"request_id": self.id, "response": "reject", "feedback": ""}),
            );
        }
    }
}

/// `ApprovalResponse` validation as kimi-cli does it; anything invalid is a reject.
fn parse_response(v: &Value) -> (String, String) {
    let reject = ("reject".to_string(), String::new());
    let Some(obj) = v.as_object() else {
        return reject;
    };
    if !obj.get("request_id").is_some_and(Value::is_string) {
        return reject;
    }
    let Some(resp) = obj.get("response").and_then(Value::as_str) else {
        return reject;
    };
    if !["approve", "approve_for_session", "reject"].contains(&resp) {
        return reject;
    }
    let feedback = match obj.get("feedback") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return reject,
    };
    (resp.to_string(), feedback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_responses() {
        assert_eq!(
            parse_response(&json!({"request_id": "x", "response": "approve"})),
            ("approve".into(), "".into())
        );
        assert_eq!(
            parse_response(&json!({"request_id": "x", "response": "reject", "feedback": "no"})),
            ("reject".into(), "no".into())
        );
        assert_eq!(
            parse_response(&json!({"response": "approve"})).0,
            "reject",
            "missing request_id is invalid"
        );
        assert_eq!(
            parse_response(&json!({"request_id": "x", "response": "yes"})).0,
            "reject"
        );
    }

    #[test]
    fn rejection_messages() {
        let r = Decision::Rejected {
            feedback: String::new(),
        }
        .rejection();
        assert!(r.is_error);
        assert_eq!(
            r.message,
            crate::config::profile::active().message("approval.rejected")
        );
        let r = Decision::Rejected {
            feedback: "use ls".into(),
        }
        .rejection();
        assert_eq!(
            r.message,
            "The user turned the tool call down and said: use ls"
        );
    }
}
