//! Hooks: user-defined reactions to agent lifecycle events (kimi-cli's `HookEngine`).
//!
//! Two sources feed the [`HookEngine`]:
//! * server-side hooks from `config.toml` (`[[hooks]]`): shell commands that get the event
//!   JSON on stdin ([`runner`]);
//! * client-side subscriptions declared in `initialize` (`hooks`): the kernel sends a
//!   `HookRequest` to the client and waits for its `{"action": "allow"|"block"}` answer.
//!
//! A trigger runs every matching hook in parallel. Once the client has initialized, the turn's
//! wire gets `HookTriggered` before and `HookResolved` (aggregate action, first block reason,
//! duration) after. Everything fails open: errors, bad answers and timeouts allow.

pub mod events;
pub mod runner;
pub mod tools;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

pub use crate::config::hooks::{HookDef, EVENT_TYPES};
use crate::wire::outbound::{PendingReply, Reply, Requests};
use crate::wire::types::WireMessage;
use crate::wire::Wire;
use kagent_base::BoxFuture;

/// Responses to the kernel's own requests, by JSON-RPC id (shared with the wire server).

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("invalid hook output: {0}")]
    BadOutput(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Allow,
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Block => "block",
        }
    }
}

/// Outcome of one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookResult {
    pub action: Action,
    pub reason: String,
    pub timed_out: bool,
}

impl HookResult {
    pub fn allow() -> Self {
        HookResult {
            action: Action::Allow,
            reason: String::new(),
            timed_out: false,
        }
    }

    pub fn block(reason: &str) -> Self {
        HookResult {
            action: Action::Block,
            reason: reason.to_string(),
            timed_out: false,
        }
    }
}

/// The first blocking result, if any.
pub fn first_block(results: &[HookResult]) -> Option<&HookResult> {
    results.iter().find(|r| r.action == Action::Block)
}

/// A client subscription from `initialize`.
#[derive(Debug, Clone)]
struct Subscription {
    id: String,
    event: String,
    matcher: String,
    timeout: i64,
}

/// How to reach the wire client (set by `initialize`).
#[derive(Clone)]
pub struct ClientLink {
    pub requests: Requests,
}

#[derive(Default)]
struct Inner {
    subscriptions: Vec<Subscription>,
    client: Option<ClientLink>,
    /// Fire-and-forget batches still running.
    background: Vec<tokio::task::JoinHandle<Vec<HookResult>>>,
}

/// Configured hooks plus client subscriptions; shared by the soul and the wire server.
pub struct HookEngine {
    hooks: Vec<HookDef>,
    /// Where commands run (the session's work dir).
    work_dir: PathBuf,
    session_id: String,
    inner: Mutex<Inner>,
}

/// A running batch of hooks; resolves to their results (empty when the batch failed).
pub type Batch = BoxFuture<'static, Vec<HookResult>>;

fn matches(pattern: &str, value: &str) -> bool {
    if pattern.is_empty() {
        return true;
    }
    match regex_automata::meta::Regex::new(pattern) {
        Ok(re) => re.is_match(value),
        Err(_) => {
            kagent_base::logging::warn(&crate::tools::util::msg(
                "hooks.bad_matcher.log",
                &[("{pattern}", pattern)],
            ));
            false
        }
    }
}

impl HookEngine {
    pub fn new(hooks: Vec<HookDef>, work_dir: PathBuf, session_id: &str) -> Arc<HookEngine> {
        Arc::new(HookEngine {
            hooks,
            work_dir,
            session_id: session_id.to_string(),
            inner: Mutex::new(Inner::default()),
        })
    }

    /// An engine without hooks (tests, tools that need none).
    pub fn empty() -> Arc<HookEngine> {
        Self::new(vec![], PathBuf::from("."), "")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        kagent_base::sync::lock(&self.inner)
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Register the `hooks` of `initialize` params (already shape-checked); subscriptions to
    /// unknown events are dropped. Repeated initializes add up.
    pub fn subscribe(&self, hooks: &[Value]) {
        let mut added = 0;
        let mut inner = self.lock();
        for h in hooks {
            let event = h.get("event").and_then(Value::as_str).unwrap_or("");
            if !EVENT_TYPES.contains(&event) {
                kagent_base::logging::warn(&crate::tools::util::msg(
                    "wire.hook_unknown_event.log",
                    &[("{event}", event)],
                ));
                continue;
            }
            inner.subscriptions.push(Subscription {
                id: h
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                event: event.to_string(),
                matcher: h
                    .get("matcher")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                timeout: h
                    .get("timeout")
                    .and_then(Value::as_i64)
                    .unwrap_or(crate::config::hooks::DEFAULT_TIMEOUT as i64),
            });
            added += 1;
        }
        if added > 0 {
            kagent_base::logging::info(&crate::tools::util::msg(
                "wire.hook_subscriptions.log",
                &[("{count}", &added.to_string())],
            ));
        }
    }

    /// From now on hook batches report to the client and client subscriptions are served.
    pub fn connect(&self, link: ClientLink) {
        self.lock().client = Some(link);
    }

    /// The client is gone: stop reporting and serving subscriptions.
    /// Background batches are stopped (their commands killed) so nothing holds the output.
    pub fn disconnect(&self) {
        let mut inner = self.lock();
        inner.client = None;
        for t in inner.background.drain(..) {
            t.abort();
        }
    }

    /// Event -> number of hooks (configured first, then client subscriptions).
    pub fn summary(&self) -> Value {
        let mut counts: Map<String, Value> = Map::new();
        let mut bump = |event: &str| {
            let n = counts.get(event).and_then(Value::as_i64).unwrap_or(0);
            counts.insert(event.to_string(), json!(n + 1));
        };
        for h in &self.hooks {
            bump(&h.event);
        }
        for s in &self.lock().subscriptions {
            bump(&s.event);
        }
        Value::Object(counts)
    }

    pub fn has_hooks_for(&self, event: &str) -> bool {
        self.hooks.iter().any(|h| h.event == event)
            || self.lock().subscriptions.iter().any(|s| s.event == event)
    }

    /// Run the matching hooks and wait for them.
    pub async fn trigger(
        self: &Arc<Self>,
        event: &str,
        target: &str,
        input: Value,
        wire: Option<&Wire>,
    ) -> Vec<HookResult> {
        match self.start(event, target, input, wire) {
            Some(started) => started.finish().await,
            None => vec![],
        }
    }

    /// Start the matching hooks in the background (`HookTriggered` is sent at once, client
    /// requests when the background task first runs).
    pub fn fire_and_forget(
        self: &Arc<Self>,
        event: &str,
        target: &str,
        input: Value,
        wire: Option<&Wire>,
    ) {
        if let Some(started) = self.start(event, target, input, wire) {
            let task = tokio::spawn(started.finish());
            let mut inner = self.lock();
            inner.background.retain(|t| !t.is_finished());
            inner.background.push(task);
        }
    }

    /// Start the matching hooks: `HookTriggered` is sent and commands are spawned now;
    /// client requests go out with [`Started::send_requests`] or when the batch is first
    /// polled. `None`: nothing matched.
    pub fn start(
        self: &Arc<Self>,
        event: &str,
        target: &str,
        input: Value,
        wire: Option<&Wire>,
    ) -> Option<Started> {
        let mut seen = std::collections::HashSet::new();
        let commands: Vec<HookDef> = self
            .hooks
            .iter()
            .filter(|h| h.event == event && matches(&h.matcher, target))
            .filter(|h| seen.insert(h.command.clone()))
            .cloned()
            .collect();
        let (subs, client) = {
            let inner = self.lock();
            let subs: Vec<Subscription> = inner
                .subscriptions
                .iter()
                .filter(|s| s.event == event && matches(&s.matcher, target))
                .cloned()
                .collect();
            (subs, inner.client.clone())
        };
        let total = commands.len() + subs.len();
        if total == 0 {
            return None;
        }
        kagent_base::logging::info(&format!(
            "Triggering {total} hooks for {event} ({} server, {} wire)",
            commands.len(),
            subs.len()
        ));
        // Events reach the client only once it has initialized (kimi-cli sets the callbacks
        // in `initialize`) and only inside a turn.
        let report = match (wire, &client) {
            (Some(w), Some(_)) => Some(w.clone()),
            _ => None,
        };
        if let Some(w) = &report {
            w.send(WireMessage::HookTriggered {
                event: event.to_string(),
                target: target.to_string(),
                hook_count: total as i64,
            });
        }
        let stdin = kagent_base::py::json::dumps(&input);
        let mut tasks = Tasks(Vec::with_capacity(total));
        for h in commands {
            let stdin = stdin.clone();
            let cwd = self.work_dir.clone();
            tasks.0.push(tokio::spawn(async move {
                runner::run_command(&h.command, &stdin, h.timeout, &cwd).await
            }));
        }
        let mut requests = vec![];
        for s in subs {
            match &client {
                Some(link) => requests.push((
                    WireRequest::new(link.clone(), &s, event, target, &input),
                    s.timeout,
                )),
                None => tasks
                    .0
                    .push(tokio::spawn(async { Ok(HookResult::allow()) })),
            }
        }
        Some(Started {
            event: event.to_string(),
            target: target.to_string(),
            report,
            t0: Instant::now(),
            tasks,
            requests,
        })
    }
}

/// Hook tasks of a batch; dropping it (a cancelled turn) aborts them and kills commands.
struct Tasks(Vec<tokio::task::JoinHandle<Result<HookResult, HookError>>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for h in &self.0 {
            h.abort();
        }
    }
}

/// A batch whose `HookTriggered` went out.
pub struct Started {
    event: String,
    target: String,
    report: Option<Wire>,
    t0: Instant,
    tasks: Tasks,
    requests: Vec<(WireRequest, i64)>,
}

impl Started {
    /// Send the client `HookRequest`s (kimi-cli sends them one scheduling step after the
    /// `HookTriggered`s of the same moment).
    pub fn send_requests(&mut self) {
        for (req, timeout) in self.requests.drain(..) {
            let reply = req.send();
            self.tasks
                .0
                .push(tokio::spawn(WireRequest::wait(reply, req, timeout)));
        }
    }

    /// Wait for every hook, then report `HookResolved`.
    pub fn finish(mut self) -> Batch {
        Box::pin(async move {
            self.send_requests();
            let mut results = Vec::with_capacity(self.tasks.0.len());
            for h in self.tasks.0.iter_mut() {
                let outcome = match h.await {
                    Ok(Ok(r)) => Ok(r),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match outcome {
                    Ok(r) => results.push(r),
                    Err(e) => {
                        kagent_base::logging::warn(&format!(
                            "{}: {e}",
                            crate::tools::util::msg(
                                "hooks.engine_error.log",
                                &[("{event}", &self.event.to_string())]
                            )
                        ));
                        return vec![];
                    }
                }
            }
            let duration_ms = self.t0.elapsed().as_millis() as i64;
            let (action, reason) = match first_block(&results) {
                Some(b) => {
                    kagent_base::logging::warn(&format!(
                        "Hook blocked {} (matcher={}): {}",
                        self.event, self.target, b.reason
                    ));
                    (Action::Block, b.reason.clone())
                }
                None => (Action::Allow, String::new()),
            };
            if let Some(w) = &self.report {
                w.send(WireMessage::HookResolved {
                    event: self.event.clone(),
                    target: self.target.clone(),
                    action: action.as_str().to_string(),
                    reason,
                    duration_ms,
                });
            }
            results
        })
    }
}

/// A `HookRequest` to the client.
struct WireRequest {
    id: String,
    link: ClientLink,
    envelope: Value,
}

impl WireRequest {
    fn new(link: ClientLink, sub: &Subscription, event: &str, target: &str, input: &Value) -> Self {
        let id: String = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let envelope = json!({
            "type": "HookRequest",
            "payload": {
                "id": id,
                "subscription_id": sub.id,
                "event": event,
                "target": target,
                "input_data": input,
            }
        });
        WireRequest { id, link, envelope }
    }

    /// Register the pending answer and send the request (not recorded in `wire.jsonl`).
    fn send(&self) -> PendingReply {
        self.link
            .requests
            .send_message(&self.id, self.envelope.clone())
    }

    async fn wait(
        reply: PendingReply,
        req: WireRequest,
        timeout: i64,
    ) -> Result<HookResult, HookError> {
        let limit = Duration::from_secs(timeout.max(0) as u64);
        // a timeout drops the reply, which forgets the request
        let answer = match tokio::time::timeout(limit, reply.wait()).await {
            Err(_) => {
                let field = |k: &str| {
                    req.envelope["payload"][k]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                };
                kagent_base::logging::warn(&crate::tools::util::msg(
                    "hooks.wire_timeout.log",
                    &[("{event}", &field("event")), ("{target}", &field("target"))],
                ));
                return Ok(HookResult {
                    timed_out: true,
                    ..HookResult::allow()
                });
            }
            Ok(a) => a,
        };
        Ok(match answer {
            Reply::Result(v) => parse_response(&req.id, &v),
            // an error response, the connection closed or the turn ended: allow
            Reply::Error(_) | Reply::Closed => HookResult::allow(),
        })
    }
}

/// Log a `HookResponse` that cannot be read (the value itself stands for what is wrong).
fn invalid_response(id: &str, v: &Value) {
    kagent_base::logging::error(&crate::tools::util::msg(
        "wire.hook_response_invalid.log",
        &[("{id}", id), ("{error}", &v.to_string())],
    ));
}

/// A `HookResponse` (`request_id`, `action`, `reason`); anything invalid allows.
fn parse_response(id: &str, v: &Value) -> HookResult {
    let Some(obj) = v.as_object() else {
        invalid_response(id, v);
        return HookResult::allow();
    };
    let request_id = obj.get("request_id").and_then(Value::as_str);
    let action = match obj.get("action") {
        None => Some(Action::Allow),
        Some(Value::String(s)) if s == "allow" => Some(Action::Allow),
        Some(Value::String(s)) if s == "block" => Some(Action::Block),
        Some(_) => None,
    };
    let reason = match obj.get("reason") {
        None => Some(String::new()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => None,
    };
    let (Some(request_id), Some(action), Some(reason)) = (request_id, action, reason) else {
        invalid_response(id, v);
        return HookResult::allow();
    };
    if request_id != id {
        kagent_base::logging::warn(&crate::tools::util::msg(
            "wire.hook_response_mismatch.log",
            &[("{request_id}", id), ("{response_id}", request_id)],
        ));
    }
    HookResult {
        action,
        reason,
        timed_out: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_config_then_client_hooks() {
        let def = |event: &str| HookDef {
            event: event.into(),
            command: "true".into(),
            matcher: String::new(),
            timeout: 30,
        };
        let engine = HookEngine::new(
            vec![def("Stop"), def("PreToolUse"), def("Stop")],
            ".".into(),
            "s",
        );
        engine.subscribe(&[
            json!({"id": "a", "event": "UserPromptSubmit"}),
            json!({"id": "b", "event": "Stop"}),
            json!({"id": "c", "event": "Bogus"}),
        ]);
        assert_eq!(
            kagent_base::py::json::compact(&engine.summary()),
            r#"{"Stop":3,"PreToolUse":1,"UserPromptSubmit":1}"#
        );
        assert!(engine.has_hooks_for("UserPromptSubmit"));
        assert!(!engine.has_hooks_for("Bogus"));
    }

    #[test]
    fn regex_matchers_search() {
        assert!(matches("", "anything"));
        assert!(matches("Gl", "Glob"));
        assert!(matches("^Glob$", "Glob"));
        assert!(!matches("^lob", "Glob"));
        assert!(!matches("(", "Glob"));
    }

    #[test]
    fn responses_fail_open() {
        assert_eq!(
            parse_response(
                "x",
                &json!({"request_id": "x", "action": "block", "reason": "r"})
            ),
            HookResult::block("r")
        );
        assert_eq!(
            parse_response("x", &json!({"action": "block"})).action,
            Action::Allow
        );
        assert_eq!(
            parse_response("x", &json!({"request_id": "x", "action": "maybe"})).action,
            Action::Allow
        );
    }

    #[tokio::test]
    async fn commands_block_and_allow_without_client() {
        let engine = HookEngine::new(
            vec![
                HookDef {
                    event: "PreToolUse".into(),
                    command: "exit 0".into(),
                    matcher: "Shell".into(),
                    timeout: 5,
                },
                HookDef {
                    event: "PreToolUse".into(),
                    command: "echo nope >&2; exit 2".into(),
                    matcher: "".into(),
                    timeout: 5,
                },
            ],
            std::env::temp_dir(),
            "s",
        );
        let results = engine.trigger("PreToolUse", "Glob", json!({}), None).await;
        assert_eq!(results, vec![HookResult::block("nope")]);
        assert!(engine.trigger("Stop", "", json!({}), None).await.is_empty());
    }
}
