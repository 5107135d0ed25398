//! The stdio JSON-RPC server: reads one JSON object per line from stdin, answers on stdout.
//!
//! `prompt` and `replay` run as background tasks so `cancel`/`steer`/`set_plan_mode` and
//! responses to our own `request`s are served while a turn runs. Everything written to stdout
//! goes through one queue, so lines never interleave.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt;
use tokio::sync::{mpsc, oneshot};

use crate::soul::cancel::CancelToken;
use crate::soul::{slash, Soul, TurnError};
use crate::wire::jsonrpc::{self, codes, Inbound};
use crate::wire::types::{StatusUpdate, WireMessage, REPLAYABLE_EVENTS, REPLAYABLE_REQUESTS};
use crate::wire::{Outbox, Wire, PROTOCOL_VERSION};

use kagent_base::message::UserInput;

/// The server name `initialize` answers: kimi-cli's, whose Wire protocol kagent speaks.
pub const SERVER_NAME: &str = "Kimi Code CLI";

/// What `initialize`'s `kernel.capabilities` lists: kagent's features and extensions of the
/// Wire protocol (kagent/README.md, "initialize").
pub const KERNEL_CAPABILITIES: &[&str] = &[
    "profile",
    "agent_specs",
    "ralph_loop",
    "report_hooks",
    "silent_set_plan_mode",
    "provider_error_data",
    "kernel_info",
    "mcp_status",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ActiveKind {
    Turn,
    Replay,
}

use crate::wire::outbound::Requests;

/// Why the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    StdinClosed,
    Signal(i32),
}

pub struct Server {
    outbox: Outbox,
    soul: Arc<tokio::sync::Mutex<Soul>>,
    active: Arc<Mutex<Option<(ActiveKind, CancelToken)>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    requests: Requests,
    steer_queue: Arc<Mutex<std::collections::VecDeque<UserInput>>>,
    state: Arc<Mutex<crate::session::SessionState>>,
    session: crate::session::Session,
    /// Names of tools registered by the client (may be re-registered).
    external: std::collections::HashSet<String>,
    /// Approval policy and client handle shared by the built-in tools.
    approval: crate::tools::approval::Approval,
    /// kimi-kernel's extension `provider_error_data: true` (its own handshake): a turn's
    /// provider error carries the error's class and status in `data`, so kimi-kernel's print
    /// mode exits as kimi-cli's does (75 for a retryable failure).
    provider_error_data: bool,
    /// The MCP servers' start-up status, for kimi-kernel's `mcp_status` request.
    mcp_status: Option<crate::mcp::McpStatusView>,
}

fn invalid_params(id: &str, method: &str) -> Value {
    jsonrpc::error(
        Some(id),
        codes::INVALID_PARAMS,
        &crate::tools::util::msg("wire.invalid_params", &[("{method}", method)]),
    )
}

/// pydantic's lax bool.
fn lax_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) if n.as_f64() == Some(1.0) => Some(true),
        Value::Number(n) if n.as_f64() == Some(0.0) => Some(false),
        Value::String(s) => match s.to_lowercase().as_str() {
            "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
            "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn is_opt_type(v: Option<&Value>, check: fn(&Value) -> bool) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(x) => check(x),
    }
}

/// Validated `initialize` params.
struct InitParams {
    external_tools: Vec<(String, String, Value)>,
    supports_question: bool,
    supports_plan_mode: bool,
    /// Client hook subscriptions (shape-checked).
    hooks: Vec<Value>,
    /// kimi-kernel's extension, `report_hooks: false`: its own handshake (kimi-cli's shell and
    /// print UIs) must not make hook activity reported, as kimi-cli reports it only to an
    /// initialized Wire client.
    report_hooks: bool,
    provider_error_data: bool,
    /// kimi-kernel's extension, `kernel_info: true`: the result also carries `kernel`
    /// (kagent's own identity, profile and capabilities). Off by default, so a Wire client
    /// gets exactly the result kimi-cli gives (kimi-cli's e2e suite compares it whole).
    kernel_info: bool,
}

fn parse_initialize(params: &Value) -> Option<InitParams> {
    let p = params.as_object()?;
    if !p.get("protocol_version").is_some_and(Value::is_string) {
        return None;
    }
    if let Some(c) = p.get("client").filter(|v| !v.is_null()) {
        if !c.get("name").is_some_and(Value::is_string)
            || !is_opt_type(c.get("version"), Value::is_string)
        {
            return None;
        }
    }
    if let Some(caps) = p.get("capabilities").filter(|v| !v.is_null()) {
        let caps = caps.as_object()?;
        for k in ["supports_question", "supports_plan_mode"] {
            if let Some(v) = caps.get(k) {
                lax_bool(v)?;
            }
        }
    }
    if let Some(hooks) = p.get("hooks").filter(|v| !v.is_null()) {
        for h in hooks.as_array()? {
            if !h.get("id").is_some_and(Value::is_string)
                || !h.get("event").is_some_and(Value::is_string)
                || !is_opt_type(h.get("matcher"), Value::is_string)
                || !is_opt_type(h.get("timeout"), Value::is_i64)
            {
                return None;
            }
        }
    }
    let mut external_tools = vec![];
    if let Some(tools) = p.get("external_tools").filter(|v| !v.is_null()) {
        for t in tools.as_array()? {
            let name = t.get("name")?.as_str()?;
            let description = t.get("description")?.as_str()?;
            let parameters = t.get("parameters").filter(|v| v.is_object())?;
            external_tools.push((
                name.to_string(),
                description.to_string(),
                parameters.clone(),
            ));
        }
    }
    let capability = |name: &str| {
        p.get("capabilities")
            .and_then(|c| c.get(name))
            .and_then(lax_bool)
            .unwrap_or(false)
    };
    let (supports_question, supports_plan_mode) = (
        capability("supports_question"),
        capability("supports_plan_mode"),
    );
    let hooks = p
        .get("hooks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let report_hooks = p.get("report_hooks").and_then(lax_bool).unwrap_or(true);
    let provider_error_data = p
        .get("provider_error_data")
        .and_then(lax_bool)
        .unwrap_or(false);
    let kernel_info = p.get("kernel_info").and_then(lax_bool).unwrap_or(false);
    Some(InitParams {
        external_tools,
        supports_question,
        supports_plan_mode,
        hooks,
        report_hooks,
        provider_error_data,
        kernel_info,
    })
}

fn parse_user_input(params: &Value) -> Option<UserInput> {
    UserInput::from_json(params.get("user_input")?).ok()
}

impl Server {
    pub fn new(mut soul: Soul, outbox: Outbox) -> Server {
        let steer_queue = soul.steer_queue.clone();
        let state = soul.state.clone();
        let session = soul.session.clone();
        let requests = Requests::new(outbox.clone());
        let client = crate::tools::approval::Client::new(requests.clone());
        let setup = crate::tools::BuiltinSetup {
            client: client.clone(),
            state: state.clone(),
            session_dir: session.dir.clone(),
            workspace: soul.workspace.clone(),
            skills_dirs: soul.skills.outside_roots.clone(),
            capabilities: soul
                .llm
                .as_ref()
                .map(|l| l.capabilities.clone())
                .unwrap_or_default(),
            tool_paths: soul.agent.spec.tool_paths(),
            services: soul.services.clone(),
            approval: None,
        };
        let approval = crate::tools::install_builtins(&mut soul.toolset, setup);
        crate::session::subagents::SubagentStore::new(&soul.session.dir).fail_stale_foreground();
        let paths = soul.agent.spec.tool_paths();
        if let (Some(i), Some(setup)) = (
            paths.iter().position(|p| p == crate::tools::AGENT_PATH),
            soul.subagent_setup.clone(),
        ) {
            let before = paths[..i]
                .iter()
                .filter(|p| {
                    soul.toolset
                        .find(p.rsplit(':').next().unwrap_or(p))
                        .is_some()
                })
                .count();
            let tool =
                crate::soul::subagent::agent_tool(&soul, client.clone(), approval.clone(), setup);
            soul.toolset.register_at(before, Arc::new(tool));
        }
        if let Some(mcp) = &soul.mcp {
            mcp.set_approval(approval.clone());
        }
        let mcp_status = soul.mcp.as_ref().map(|m| m.status.clone());
        Server {
            mcp_status,
            approval,
            outbox,
            soul: Arc::new(tokio::sync::Mutex::new(soul)),
            active: Arc::new(Mutex::new(None)),
            tasks: vec![],
            requests,
            steer_queue,
            state,
            session,
            external: Default::default(),
            provider_error_data: false,
        }
    }

    fn send(&self, v: Value) {
        let _ = self.outbox.send(v);
    }

    fn active_kind(&self) -> Option<ActiveKind> {
        kagent_base::sync::lock(&self.active)
            .as_ref()
            .map(|(k, _)| *k)
    }

    /// Serve until stdin closes or a termination signal arrives.
    pub async fn serve(mut self) -> Exit {
        kagent_base::logging::info(&crate::tools::util::msg("wire.starting.log", &[]));
        let mut stdin = tokio::io::BufReader::with_capacity(1 << 16, tokio::io::stdin());
        let mut buf = Vec::new();
        let mut signals = Signals::new();
        let exit = loop {
            buf.clear();
            let read = tokio::select! {
                r = read_line_capped(&mut stdin, &mut buf, MAX_LINE_BYTES) => r,
                sig = signals.recv() => break Exit::Signal(sig),
            };
            match read {
                Ok(LineRead::Eof) => {
                    kagent_base::logging::info(&crate::tools::util::msg(
                        "wire.stdin_closed.log",
                        &[],
                    ));
                    break Exit::StdinClosed;
                }
                Ok(LineRead::Line) => {}
                Ok(LineRead::TooLong(len)) => {
                    let msg = format!(
                        "Invalid request: a line of {len} bytes exceeds the limit of {MAX_LINE_BYTES} bytes and was discarded; send smaller messages (e.g. files by path)"
                    );
                    kagent_base::logging::error(&msg);
                    self.send(jsonrpc::error(None, codes::INVALID_REQUEST, &msg));
                    continue;
                }
                Err(e) => {
                    kagent_base::logging::error(&format!("stdin read failed: {e}"));
                    break Exit::StdinClosed;
                }
            }
            let line = String::from_utf8_lossy(&buf);
            let line = line.trim();
            if line.is_empty() {
                // kimi-cli answers a blank line like any other invalid JSON
                self.send(jsonrpc::error(
                    None,
                    codes::PARSE_ERROR,
                    "Invalid JSON format",
                ));
                continue;
            }
            self.handle_line(line).await;
            self.tasks.retain(|t| !t.is_finished());
        };
        self.shutdown(exit).await;
        exit
    }

    async fn shutdown(&mut self, exit: Exit) {
        // Like kimi-cli, nothing more reaches stdout once the connection is closed: what is
        // already queued is written, later lines (the TurnEnd and the prompt's response of a
        // turn still running) are recorded in the session only.
        let eof = exit == Exit::StdinClosed;
        if eof {
            self.send(CLOSE_STDOUT);
        }
        // Pending client requests resolve as "connection closed".
        self.requests.close_all();
        if let Some((kind, c)) = kagent_base::sync::lock(&self.active).as_ref() {
            match kind {
                ActiveKind::Turn if eof => c.close(),
                _ => c.cancel(),
            }
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        // Make sure nothing else holds the soul (the turn recorded its TurnEnd).
        let soul = self.soul.lock().await;
        // no MCP server outlives kagent
        if let Some(mcp) = &soul.mcp {
            mcp.shutdown().await;
        }
        // nor a background task (kimi-cli stops them when the session ends)
        soul.toolset.tasks().shutdown().await;
    }

    async fn handle_line(&mut self, line: &str) {
        match jsonrpc::classify(line) {
            Inbound::Reject(Some(resp)) => {
                kagent_base::logging::error(&format!("Rejected JSON-RPC line: {}", truncate(line)));
                self.send(resp);
            }
            Inbound::Reject(None) => {
                kagent_base::logging::error(&format!("Ignored JSON-RPC line: {}", truncate(line)));
            }
            Inbound::Response { id, result, error } => {
                let answer = match (result, error) {
                    (_, Some(e)) => Err(e
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("error")
                        .to_string()),
                    (Some(r), None) => Ok(r),
                    (None, None) => Ok(Value::Null),
                };
                if !self.requests.resolve(&id, answer) {
                    kagent_base::logging::error(&crate::tools::util::msg(
                        "wire.no_pending_request.log",
                        &[("{id}", &id)],
                    ));
                }
            }
            Inbound::Request { id, method, params } => {
                self.handle_request(id, &method, params).await
            }
        }
    }

    async fn handle_request(&mut self, id: String, method: &str, params: Value) {
        match method {
            "initialize" => {
                let Some(p) = parse_initialize(&params) else {
                    return self.send(invalid_params(&id, method));
                };
                if self.active_kind().is_some() {
                    return self.send(in_progress(&id));
                }
                let result = self.initialize(p).await;
                self.send(jsonrpc::success(&id, result));
            }
            "prompt" => {
                let Some(input) = parse_user_input(&params) else {
                    return self.send(invalid_params(&id, method));
                };
                self.start_turn(id, input);
            }
            "steer" => {
                let Some(input) = parse_user_input(&params) else {
                    return self.send(invalid_params(&id, method));
                };
                if self.active_kind().is_none() {
                    return self.send(no_turn(&id));
                }
                kagent_base::sync::lock(&self.steer_queue).push_back(input);
                self.send(jsonrpc::success(&id, json!({"status": "steered"})));
            }
            "set_plan_mode" => {
                let Some(on) = params.get("enabled").and_then(lax_bool) else {
                    return self.send(invalid_params(&id, method));
                };
                // kimi-kernel's extension: its client-facing side reports and records it
                if params.get("silent").and_then(Value::as_bool) == Some(true) {
                    crate::session::plan::adopt_client_plan_mode(
                        &self.state,
                        &self.session.dir,
                        on,
                    );
                    return self.send(jsonrpc::success(
                        &id,
                        json!({"status": "ok", "plan_mode": on}),
                    ));
                }
                if let Err(e) =
                    crate::session::plan::set_plan_mode(&self.state, &self.session.dir, on, true)
                {
                    kagent_base::logging::error(&format!("saving plan mode failed: {e}"));
                }
                let status = WireMessage::StatusUpdate(StatusUpdate {
                    plan_mode: Some(on),
                    ..StatusUpdate::default()
                });
                self.send(jsonrpc::event(status.envelope()));
                crate::wire::record(&self.session.wire_file, &status);
                self.send(jsonrpc::success(
                    &id,
                    json!({"status": "ok", "plan_mode": on}),
                ));
            }
            "cancel" => {
                let guard = kagent_base::sync::lock(&self.active);
                match guard.as_ref() {
                    Some((_, c)) => {
                        c.cancel();
                        drop(guard);
                        self.send(jsonrpc::success(&id, json!({})));
                    }
                    None => {
                        drop(guard);
                        self.send(no_turn(&id));
                    }
                }
            }
            "replay" => self.start_replay(id),
            // kimi-kernel's extension: the shell's `/mcp` and MCP prompt line
            "mcp_status" => self.answer_mcp_status(id, &params),
            _ => self.send(jsonrpc::error(
                Some(&id),
                codes::METHOD_NOT_FOUND,
                &crate::tools::util::msg("wire.unexpected_method", &[("{method}", method)]),
            )),
        }
    }

    /// `mcp_status {wait?: bool}` → `{"mcp_status": MCPStatusSnapshot | null}` (null: no
    /// server configured). With `wait`, the answer comes once the start-up ended. Answered
    /// during a turn too: it touches neither the soul nor the servers' connections.
    fn answer_mcp_status(&self, id: String, params: &Value) {
        let wait = match params.get("wait") {
            None | Some(Value::Null) => false,
            Some(v) => match lax_bool(v) {
                Some(b) => b,
                None => return self.send(invalid_params(&id, "mcp_status")),
            },
        };
        let Some(view) = self.mcp_status.clone() else {
            return self.send(jsonrpc::success(&id, json!({"mcp_status": null})));
        };
        if !wait || !view.is_loading() {
            return self.send(jsonrpc::success(
                &id,
                json!({"mcp_status": view.snapshot()}),
            ));
        }
        // not among `tasks`, which exit waits for: a hanging server must not hold up exit
        let outbox = self.outbox.clone();
        tokio::spawn(async move {
            view.wait_started().await;
            let _ = outbox.send(jsonrpc::success(
                &id,
                json!({"mcp_status": view.snapshot()}),
            ));
        });
    }

    async fn initialize(&mut self, p: InitParams) -> Value {
        self.provider_error_data = p.provider_error_data;
        let mut accepted = vec![];
        let mut rejected = vec![];
        if !p.external_tools.is_empty() {
            let mut soul = self.soul.lock().await;
            for (name, description, parameters) in p.external_tools {
                // a built-in's name is taken only when the toolset has it (ReadMediaFile without
                // image/video input, SearchWeb without a search service are free, as in kimi-cli)
                let builtin = soul.toolset.find(&name).is_some() && !self.external.contains(&name);
                if builtin {
                    let reason = crate::tools::util::msg("wire.tool_conflicts", &[]);
                    rejected.push(json!({"name": name, "reason": reason}));
                    continue;
                }
                if let Err(reason) = kagent_base::py::schema::check(&parameters) {
                    rejected.push(json!({"name": name, "reason": reason}));
                    continue;
                }
                soul.toolset
                    .register(Arc::new(crate::tools::external::ExternalTool {
                        name: name.clone(),
                        description: if description.is_empty() {
                            crate::tools::util::msg("tool.no_description", &[])
                        } else {
                            description
                        },
                        parameters,
                        requests: self.requests.clone(),
                    }));
                self.external.insert(name.clone());
                accepted.push(name);
            }
        }
        {
            // AskUserQuestion is offered only to clients that can answer questions.
            self.approval
                .client()
                .set_supports_question(p.supports_question);
            let mut soul = self.soul.lock().await;
            if p.supports_question {
                soul.toolset.unhide(crate::tools::ask_user::NAME);
            } else {
                soul.toolset.hide(crate::tools::ask_user::NAME);
            }
            // The plan-mode tools likewise only for clients that support plan mode.
            for name in [
                crate::tools::plan::enter::NAME,
                crate::tools::plan::exit::NAME,
            ] {
                if p.supports_plan_mode {
                    soul.toolset.unhide(name);
                } else {
                    soul.toolset.hide(name);
                }
            }
        }
        let (configured, flow_commands) = {
            let soul = self.soul.lock().await;
            soul.hooks.subscribe(&p.hooks);
            if p.report_hooks {
                soul.hooks.connect(crate::hooks::ClientLink {
                    requests: self.requests.clone(),
                });
            }
            let flows: Vec<Value> = soul
                .flows
                .iter()
                .map(|f| {
                    json!({
                        "name": format!("{}{}", crate::soul::flow_runner::COMMAND_PREFIX, f.name),
                        "description": f.description,
                        "aliases": [],
                    })
                })
                .collect();
            (soul.hooks.summary(), flows)
        };
        // built-ins, then one `skill:<name>` per skill, then the flow skills' `flow:<name>`
        // (kimi-cli's `_build_slash_commands`)
        let mut commands: Vec<Value> = slash::COMMANDS
            .iter()
            .map(|c| json!({"name": c.name, "description": c.description(), "aliases": c.aliases}))
            .collect();
        let skill_commands = self.soul.lock().await.skills.slash_commands();
        commands.extend(skill_commands.into_iter().map(
            |(name, description)| json!({"name": name, "description": description, "aliases": []}),
        ));
        commands.extend(flow_commands);
        let mut result = serde_json::Map::new();
        result.insert("protocol_version".into(), json!(PROTOCOL_VERSION));
        // kimi-cli's identity, as its clients expect; kagent's own in `kernel` (last, so the
        // oracle's keys keep their order)
        let profile = crate::config::profile::active();
        result.insert(
            "server".into(),
            json!({"name": SERVER_NAME, "version": profile.kimi_cli_version()}),
        );
        result.insert("slash_commands".into(), Value::Array(commands));
        if !accepted.is_empty() || !rejected.is_empty() {
            result.insert(
                "external_tools".into(),
                json!({"accepted": accepted, "rejected": rejected}),
            );
        }
        result.insert(
            "hooks".into(),
            json!({"supported_events": crate::hooks::EVENT_TYPES, "configured": configured}),
        );
        result.insert("capabilities".into(), json!({"supports_question": true}));
        if p.kernel_info {
            let agent_file = self.soul.lock().await.agent.file.display().to_string();
            result.insert(
                "kernel".into(),
                json!({
                    "name": "kagent",
                    "version": env!("CARGO_PKG_VERSION"),
                    "profile": profile.source,
                    "agent_file": agent_file,
                    "capabilities": KERNEL_CAPABILITIES,
                }),
            );
        }
        Value::Object(result)
    }

    fn start_turn(&mut self, id: String, input: UserInput) {
        let cancel = {
            let mut g = kagent_base::sync::lock(&self.active);
            if g.is_some() {
                drop(g);
                return self.send(in_progress(&id));
            }
            let c = CancelToken::new();
            *g = Some((ActiveKind::Turn, c.clone()));
            c
        };
        self.approval.new_turn();
        let soul = self.soul.clone();
        let outbox = self.outbox.clone();
        let active = self.active.clone();
        let provider_error_data = self.provider_error_data;
        self.tasks.push(tokio::spawn(async move {
            let mut soul = soul.lock().await;
            let wire = Wire::new(outbox.clone(), Some(soul.session.wire_file.clone()));
            let result = soul.run(input, &wire, &cancel).await;
            drop(soul);
            *kagent_base::sync::lock(&active) = None;
            let resp = match result {
                Ok(()) => jsonrpc::success(&id, json!({"status": "finished"})),
                Err(TurnError::Cancelled) => jsonrpc::success(&id, json!({"status": "cancelled"})),
                Err(TurnError::MaxStepsReached(n)) => {
                    jsonrpc::success(&id, json!({"status": "max_steps_reached", "steps": n}))
                }
                Err(TurnError::LlmNotSet) => {
                    jsonrpc::error(Some(&id), codes::LLM_NOT_SET, "LLM is not set")
                }
                Err(TurnError::LlmNotSupported(m)) => {
                    jsonrpc::error(Some(&id), codes::LLM_NOT_SUPPORTED, &m)
                }
                Err(TurnError::Provider(e)) => {
                    let mut resp =
                        jsonrpc::error(Some(&id), codes::CHAT_PROVIDER_ERROR, &e.to_string());
                    if provider_error_data {
                        resp["error"]["data"] =
                            json!({"type": e.type_name(), "status_code": e.status_code()});
                    }
                    resp
                }
                Err(TurnError::Internal(m)) => {
                    kagent_base::logging::error(&format!(
                        "{}: {m}",
                        crate::tools::util::msg("wire.prompt_error.log", &[])
                    ));
                    jsonrpc::error(Some(&id), codes::INTERNAL_ERROR, &m)
                }
            };
            let _ = outbox.send(resp);
        }));
    }

    fn start_replay(&mut self, id: String) {
        let cancel = {
            let mut g = kagent_base::sync::lock(&self.active);
            if g.is_some() {
                drop(g);
                return self.send(in_progress(&id));
            }
            let c = CancelToken::new();
            *g = Some((ActiveKind::Replay, c.clone()));
            c
        };
        let path = self.session.wire_file.clone();
        let outbox = self.outbox.clone();
        let active = self.active.clone();
        self.tasks.push(tokio::spawn(async move {
            let (mut events, mut requests) = (0u64, 0u64);
            let mut status = "finished";
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for line in text.lines() {
                if cancel.is_cancelled() {
                    status = "cancelled";
                    break;
                }
                let Ok(rec) = serde_json::from_str::<Value>(line.trim()) else {
                    continue;
                };
                let Some(msg) = rec.get("message") else {
                    continue;
                };
                let kind = msg.get("type").and_then(Value::as_str).unwrap_or("");
                if !msg.get("payload").is_some_and(Value::is_object) {
                    continue;
                }
                if REPLAYABLE_EVENTS.contains(&kind) {
                    let _ = outbox.send(jsonrpc::event(msg.clone()));
                    events += 1;
                } else if REPLAYABLE_REQUESTS.contains(&kind) {
                    let rid = msg["payload"]
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    let _ = outbox.send(jsonrpc::request(&rid, msg.clone()));
                    requests += 1;
                }
                tokio::task::yield_now().await;
            }
            if cancel.is_cancelled() {
                status = "cancelled";
            }
            *kagent_base::sync::lock(&active) = None;
            let _ = outbox.send(jsonrpc::success(
                &id,
                json!({"status": status, "events": events, "requests": requests}),
            ));
        }));
    }
}

fn in_progress(id: &str) -> Value {
    jsonrpc::error(
        Some(id),
        codes::INVALID_STATE,
        &crate::tools::util::msg("wire.turn_in_progress", &[]),
    )
}

fn no_turn(id: &str) -> Value {
    jsonrpc::error(
        Some(id),
        codes::INVALID_STATE,
        &crate::tools::util::msg("wire.no_turn", &[]),
    )
}

/// The longest stdin line kept: kimi-cli's stdio buffer limit (100 MiB). Its reader fails
/// on a longer line and the Wire server stops; kagent discards the line, answers with an
/// error and goes on (issue 19: a 1 GiB line used to be buffered whole).
pub const MAX_LINE_BYTES: usize = 100 * 1024 * 1024;

/// What [`read_line_capped`] read.
#[derive(Debug, PartialEq, Eq)]
enum LineRead {
    Eof,
    /// `buf` holds the line (with its `\n`, unless it ended the input).
    Line,
    /// A line longer than the limit (its length in bytes): consumed, not kept.
    TooLong(usize),
}

/// Read one `\n`-terminated line into `buf`, keeping at most `limit` bytes in memory.
async fn read_line_capped<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<LineRead> {
    let mut total = 0usize;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(match total {
                0 => LineRead::Eof,
                n if n > limit => LineRead::TooLong(n),
                _ => LineRead::Line,
            });
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if total + take <= limit {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            buf.clear();
        }
        total += take;
        reader.consume(take);
        if done {
            return Ok(if total > limit {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            });
        }
    }
}

fn truncate(line: &str) -> String {
    line.chars().take(200).collect()
}

/// Queued instead of a message: stdout takes nothing after it.
const CLOSE_STDOUT: Value = Value::Null;

/// The protocol writer: one OS thread doing plain blocking writes to stdout. Messages queued
/// while it writes go out together with a single flush, and the runtime thread never waits for
/// stdout. (`tokio::io::stdout` would hand every write and flush to a blocking-pool thread:
/// two thread wake-ups per message, which under load cost more than the turn itself.)
/// It ends when every sender is gone, [`CLOSE_STDOUT`] comes or stdout is closed; the
/// returned receiver resolves then.
pub fn spawn_stdout_writer(
    mut rx: mpsc::UnboundedReceiver<Value>,
) -> std::io::Result<oneshot::Receiver<()>> {
    use std::io::Write as _;

    let (done_tx, done_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("kagent-stdout".into())
        .stack_size(256 * 1024)
        .spawn(move || {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
            let mut next = rx.blocking_recv();
            while let Some(first) = next.take() {
                // this message and whatever is already queued behind it, then one flush
                let (mut closing, mut ok) = (false, true);
                let mut burst = Some(first);
                while let Some(v) = burst.take() {
                    if v == CLOSE_STDOUT {
                        closing = true;
                        break;
                    }
                    let mut line = kagent_base::py::json::compact(&v);
                    line.push('\n');
                    ok = out.write_all(line.as_bytes()).is_ok();
                    if !ok {
                        break;
                    }
                    burst = rx.try_recv().ok();
                }
                if !ok || out.flush().is_err() {
                    kagent_base::logging::error("stdout closed; dropping output");
                    break;
                }
                if closing {
                    break;
                }
                next = rx.blocking_recv();
            }
            drop(rx);
            let _ = done_tx.send(());
        })?;
    Ok(done_rx)
}

/// SIGTERM / SIGINT (Ctrl-C on Windows).
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    async fn recv(&mut self) -> i32 {
        #[cfg(unix)]
        {
            async fn wait(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                _ = wait(&mut self.term) => 15,
                _ = wait(&mut self.int) => 2,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_past_the_limit_are_consumed_not_kept() {
        let input: &[u8] = b"short\nthis line is too long\nok\nlast-without-newline-too-long";
        let mut reader = tokio::io::BufReader::with_capacity(4, input);
        let mut buf = vec![];
        let mut reads = vec![];
        loop {
            buf.clear();
            let r = read_line_capped(&mut reader, &mut buf, 10).await.unwrap();
            if r == LineRead::Eof {
                break;
            }
            reads.push((r, String::from_utf8_lossy(&buf).to_string()));
        }
        assert_eq!(
            reads,
            [
                (LineRead::Line, "short\n".to_string()),
                (LineRead::TooLong(22), String::new()),
                (LineRead::Line, "ok\n".to_string()),
                (LineRead::TooLong(29), String::new()),
            ]
        );
    }
}
