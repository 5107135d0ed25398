//! The `Agent` tool: subagents, as kimi-cli 1.51 runs them in the foreground.
//!
//! A subagent type is one of the running agent spec's `subagents:` (the default agent's
//! `coder`, `explore`, `plan`), with its own spec (system prompt, tools). A call starts a new
//! instance (`a` + 8 hex digits) or resumes one by `agent_id`; each instance is a persistent
//! session object of the [`SubagentStore`] (its own context and wire under
//! `<session>/subagents/<id>/`, in kimi-cli's formats, so either kernel continues it). The
//! instance runs as a [`Soul`] turn while the parent's tool call waits: its events reach the
//! client merged and wrapped in `SubagentEvent`, its approvals go to the same client with
//! the run's source fields, the Subagent hooks fire around it, and a cancel of the parent
//! turn drops the run (the instance is then `killed`). A background run is a task of the
//! session's background task manager ([`background`]).
//!
//! The description the model sees is kimi-cli's, from the profile (a template and the line
//! of one subagent type, rendered by kimi-cli's own code), filled with this spec's types;
//! without a kimi-cli profile it is kagent's own.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::cancel::CancelToken;
use super::context::Context;
use super::system_prompt::PromptArgs;
use super::{Llm, Soul, TurnError};
use crate::config::agentspec::{AgentSpec, LoadedAgent};
use crate::config::profile::{self, fill};
use crate::llm::ChatProviderError;
use crate::session::subagents::{now, InstanceRecord, LaunchSpec, SubagentStore};
use crate::tools::approval::{Approval, Client};
use crate::tools::args::{self, Field, Get, Kind, STR};
use crate::tools::util::msg;
use crate::tools::{Tool, ToolContext, ToolReturnValue, Toolset};
use crate::wire::types::WireMessage;
use crate::wire::Wire;
use kagent_base::message::{Role, UserInput};
use kagent_base::BoxFuture;

mod background;

pub const NAME: &str = "Agent";

/// kimi-cli's timeout bounds (seconds).
const MIN_TIMEOUT: i64 = 30;
const MAX_TIMEOUT: i64 = 60 * 60;
/// A final answer shorter than this (in characters) is asked once for more.
const SUMMARY_MIN_LENGTH: usize = 200;
const SUMMARY_CONTINUATION_ATTEMPTS: usize = 1;

const FIELDS: &[Field] = &[
    Field::required("description", STR),
    Field::required("prompt", STR),
    Field::optional("subagent_type", STR, || json!("coder")),
    Field::optional("model", Kind::Optional(&STR), args::null),
    Field::optional("resume", Kind::Optional(&STR), args::null),
    Field::optional("run_in_background", Kind::Bool, args::false_),
    Field::optional(
        "timeout",
        Kind::Optional(&Kind::Int {
            ge: Some(MIN_TIMEOUT),
            le: Some(MAX_TIMEOUT),
        }),
        args::null,
    ),
];

/// Builds the LLM of a model alias of the configuration: `None` for an alias the
/// configuration lacks, `Some(Err)` when its provider cannot be set up.
pub type ModelFactory = dyn Fn(&str) -> Option<Result<Llm, String>> + Send + Sync;

/// What the root soul's start-up gives its `Agent` tool.
pub struct SubagentSetup {
    /// The system prompt arguments of the session (kimi-cli renders subagent prompts with
    /// the root's `BuiltinSystemPromptArgs`).
    pub prompt_args: PromptArgs,
    pub models: Box<ModelFactory>,
}

/// Everything a run needs from the root agent.
struct Host {
    llm: Option<Llm>,
    loop_control: crate::config::LoopControl,
    session: crate::session::Session,
    state: Arc<Mutex<crate::session::SessionState>>,
    work_dir: PathBuf,
    workspace: crate::session::workspace::Workspace,
    skills: Arc<crate::skills::Skills>,
    hooks: Arc<crate::hooks::HookEngine>,
    agent: Arc<LoadedAgent>,
    setup: Arc<SubagentSetup>,
    client: Client,
    approval: Approval,
    store: SubagentStore,
    /// The root's injection settings (each run gets fresh injection state from them).
    injections: Mutex<super::injection::Injections>,
    /// `[services]` of the configuration (the web tools' services).
    services: crate::config::Services,
    /// The session's background task manager, shared with the root's toolset.
    tasks: crate::tools::background::TaskManager,
}

/// The `Agent` tool of a root agent (`root: false`: of a subagent, which may not launch
/// subagents).
pub struct AgentTool {
    host: Arc<Host>,
    root: bool,
    description: String,
    parameters: Value,
}

/// The `Agent` tool of `soul` (a root agent), asking through `client` with `approval`'s
/// policy.
pub fn agent_tool(
    soul: &Soul,
    client: Client,
    approval: Approval,
    setup: Arc<SubagentSetup>,
) -> AgentTool {
    let host = Arc::new(Host {
        llm: soul.llm.clone(),
        loop_control: soul.loop_control.clone(),
        session: soul.session.clone(),
        state: soul.state.clone(),
        work_dir: soul.work_dir.clone(),
        workspace: soul.workspace.clone(),
        skills: soul.skills.clone(),
        hooks: soul.hooks.clone(),
        agent: soul.agent.clone(),
        setup,
        client,
        approval,
        store: SubagentStore::new(&soul.session.dir),
        injections: Mutex::new(soul.injections.fresh()),
        services: soul.services.clone(),
        tasks: soul.toolset.tasks().clone(),
    });
    AgentTool::of(host, true)
}

impl AgentTool {
    fn of(host: Arc<Host>, root: bool) -> AgentTool {
        let (description, parameters) = definition(&host.agent);
        AgentTool {
            host,
            root,
            description,
            parameters,
        }
    }
}

/// The summary of a type's tools (kimi-cli's `_tool_summary`): `*` for inherited tools.
fn tool_summary(spec: &AgentSpec) -> String {
    let Some(tools) = &spec.allowed_tools else {
        return "*".into();
    };
    if tools.is_empty() {
        return "(none)".into();
    }
    let mut names: Vec<&str> = vec![];
    for path in tools {
        let name = path.rsplit(':').next().unwrap_or(path);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// The description and parameters the model sees, for the subagent types of `agent`.
fn definition(agent: &LoadedAgent) -> (String, Value) {
    let p = profile::active();
    let line = |name: &str, description: &str, spec: &AgentSpec| {
        let when = spec
            .when_to_use
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let key = if spec.when_to_use.is_empty() {
            "agent.type_line_plain"
        } else {
            "agent.type_line"
        };
        fill(
            p.agent_text(key).unwrap_or_default(),
            &[
                ("{name}", name),
                ("{description}", description),
                ("{tools}", &tool_summary(spec)),
                ("{model}", spec.model.as_deref().unwrap_or("inherit")),
                ("{when_to_use}", &when),
            ],
        )
    };
    let types = agent
        .subagents
        .iter()
        .map(|(name, description, spec)| line(name, description, spec))
        .collect::<Vec<_>>()
        .join("\n");
    match p.tool(crate::tools::AGENT_PATH) {
        Some(def) => (
            fill(&def.description, &[("{builtin_agent_types}", &types)]),
            def.parameters.clone(),
        ),
        None => (
            fill(
                p.agent_text(profile::AGENT_DESCRIPTION_KEY)
                    .unwrap_or_default(),
                &[("{builtin_agent_types}", &types)],
            ),
            own_parameters(),
        ),
    }
}

/// kagent's own parameter schema (standalone, no kimi-cli profile).
fn own_parameters() -> Value {
    json!({
        "type": "object",
        "properties": {
            "description": {"type": "string", "description": "What the subagent is to do, in a few words."},
            "prompt": {"type": "string", "description": "The whole task for the subagent; it sees nothing else of this conversation."},
            "subagent_type": {"type": "string", "default": "coder", "description": "Which subagent type runs the task."},
            "model": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "description": "A model alias of the configuration to run it with, instead of the type's or this agent's model."},
            "resume": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "description": "The agent_id of an earlier instance to continue."},
            "run_in_background": {"type": "boolean", "default": false, "description": "Return at once and let the subagent work on its own; a notification follows when it is done."},
            "timeout": {"anyOf": [{"type": "integer", "minimum": MIN_TIMEOUT, "maximum": MAX_TIMEOUT}, {"type": "null"}], "default": null, "description": "Stop the subagent after this many seconds."},
        },
        "required": ["description", "prompt"],
    })
}

/// A request of the tool, validated.
struct Request {
    description: String,
    prompt: String,
    requested_type: String,
    model: Option<String>,
    resume: Option<String>,
    parent_tool_call_id: String,
}

/// Why a run did not give a summary (kimi-cli's `SoulRunFailure`).
struct Failure {
    message: String,
    brief: String,
}

fn failure(message: String, brief: &str) -> Failure {
    Failure {
        message,
        brief: brief.to_string(),
    }
}

impl Tool for AgentTool {
    fn name(&self) -> &str {
        NAME
    }
    fn description(&self) -> &str {
        &self.description
    }
    fn parameters(&self) -> Value {
        self.parameters.clone()
    }
    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let host = self.host.clone();
        let root = self.root;
        Box::pin(async move {
            let p = match args::validate(&arguments, FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            if !root {
                return ToolReturnValue::error(msg("subagent.nested", &[]), "Agent unavailable");
            }
            let model = p.opt_str("model");
            if let Some(m) = &model {
                if (host.setup.models)(m).is_none() {
                    return ToolReturnValue::error(
                        msg("subagent.unknown_model", &[("{model}", m)]),
                        "Invalid model alias",
                    );
                }
            }
            let subagent_type = p.str_of("subagent_type");
            let req = Request {
                description: p.str_of("description"),
                prompt: p.str_of("prompt"),
                requested_type: if subagent_type.is_empty() {
                    "coder".into()
                } else {
                    subagent_type
                },
                model,
                resume: p.opt_str("resume"),
                parent_tool_call_id: ctx.tool_call_id.clone(),
            };
            if p.bool_of("run_in_background") {
                return background::launch(host, req, p.opt_int("timeout"));
            }
            let run = run_foreground(host, req, ctx.wire.clone());
            let result = match p.opt_int("timeout") {
                Some(t) => {
                    match tokio::time::timeout(std::time::Duration::from_secs(t as u64), run).await
                    {
                        Ok(r) => r,
                        Err(_) => {
                            let t = t.to_string();
                            return ToolReturnValue::error(
                                msg("subagent.timeout", &[("{timeout}", &t)]),
                                &msg("subagent.timeout.brief", &[("{timeout}", &t)]),
                            );
                        }
                    }
                }
                None => run.await,
            };
            match result {
                Ok(rv) => rv,
                Err(e) => ToolReturnValue::error(
                    msg("subagent.failed", &[("{error}", &e)]),
                    "Agent failed",
                ),
            }
        })
    }
}

/// Marks the instance `killed` when the run is dropped (the parent turn was cancelled or
/// the call timed out) before it finished.
struct KillOnDrop {
    store: SubagentStore,
    agent_id: String,
    armed: bool,
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.store.update_instance(&self.agent_id, "killed", None);
            self.store
                .append_output(&self.agent_id, "[stage] cancelled\n");
        }
    }
}

/// kimi-cli's `str(KeyError(message))`.
fn key_error(message: &str) -> String {
    kagent_base::py::repr::repr_str(message)
}

/// The subagent type `name` of the running spec: `(name, description, spec)`; `Err`:
/// kimi-cli's `str(KeyError)`.
fn find_type(host: &Host, name: &str) -> Result<(String, String, AgentSpec), String> {
    host.agent
        .subagents
        .iter()
        .find(|(n, _, _)| n == name)
        .cloned()
        .ok_or_else(|| key_error(&msg("subagent.type_not_found", &[("{name}", name)])))
}

/// A new instance of `subagent_type` in the store (kimi-cli's `create_instance`).
fn new_instance(
    host: &Host,
    subagent_type: &str,
    model: Option<String>,
    description: &str,
) -> Result<InstanceRecord, String> {
    let (_, _, spec) = find_type(host, subagent_type)?;
    let agent_id = format!("a{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let launch = LaunchSpec {
        agent_id,
        subagent_type: subagent_type.to_string(),
        effective_model: model.clone().or(spec.model.clone()),
        model_override: model,
        created_at: now(),
    };
    host.store
        .create_instance(description.trim(), launch)
        .map_err(|e| e.to_string())
}

/// Run one foreground request. `Err`: what kimi-cli's tool reports as `Failed to run agent`.
async fn run_foreground(
    host: Arc<Host>,
    req: Request,
    parent_wire: Option<Wire>,
) -> Result<ToolReturnValue, String> {
    let store = &host.store;
    // the instance: resumed, or new
    let (record, resumed) = match &req.resume {
        Some(id) => {
            let record = store
                .get_instance(id)
                .ok_or_else(|| msg("subagent.instance_not_found", &[("{id}", id)]))?;
            if record.status == "running_foreground" || record.status == "running_background" {
                return Err(msg(
                    "subagent.busy",
                    &[("{id}", &record.agent_id), ("{status}", &record.status)],
                ));
            }
            (record, true)
        }
        None => (
            new_instance(
                &host,
                &req.requested_type,
                req.model.clone(),
                &req.description,
            )?,
            false,
        ),
    };
    let agent_id = record.agent_id.clone();
    let actual_type = record.subagent_type.clone();
    let output = Output {
        store: store.clone(),
        agent_id: agent_id.clone(),
        task_log: None,
    };
    let approval = host.approval.for_subagent(&agent_id, &actual_type);
    let (mut soul, prompt) = prepare(
        &host,
        &record,
        resumed,
        req.model.as_ref(),
        &req.prompt,
        approval,
        &output,
    )
    .await?;

    store
        .update_instance(
            &agent_id,
            "running_foreground",
            Some(req.description.trim()),
        )
        .map_err(|e| e.to_string())?;
    let mut kill = KillOnDrop {
        store: store.clone(),
        agent_id: agent_id.clone(),
        armed: true,
    };
    let cwd = crate::hooks::events::process_cwd();
    let head = |s: &str| s.chars().take(500).collect::<String>();
    host.hooks
        .trigger(
            "SubagentStart",
            &actual_type,
            crate::hooks::events::subagent_start(
                &host.session.id,
                &cwd,
                &actual_type,
                &head(&req.prompt),
            ),
            parent_wire.as_ref(),
        )
        .await;
    output.stage("run_soul_start");

    let runs = RunWires {
        parent: parent_wire.clone(),
        store: store.clone(),
        output: output.clone(),
        agent_id: agent_id.clone(),
        subagent_type: actual_type.clone(),
        parent_tool_call_id: req.parent_tool_call_id.clone(),
    };
    let outcome = runs.run_with_summary(&mut soul, prompt).await;
    kill.armed = false;
    let summary = match outcome {
        Ok(s) => s,
        Err(f) => {
            let _ = store.update_instance(&agent_id, "failed", None);
            output.stage(&format!("failed: {}", f.brief));
            return Ok(ToolReturnValue::error(f.message, &f.brief));
        }
    };
    output.stage("run_soul_finished");
    host.hooks.fire_and_forget(
        "SubagentStop",
        &actual_type,
        crate::hooks::events::subagent_stop(&host.session.id, &cwd, &actual_type, &head(&summary)),
        parent_wire.as_ref(),
    );
    store
        .update_instance(&agent_id, "idle", None)
        .map_err(|e| e.to_string())?;
    output.summary(&summary);
    let mut lines = vec![
        format!("agent_id: {agent_id}"),
        format!("resumed: {resumed}"),
    ];
    if resumed && !req.requested_type.is_empty() && req.requested_type != actual_type {
        lines.push(format!("requested_subagent_type: {}", req.requested_type));
    }
    lines.push(format!("actual_subagent_type: {actual_type}"));
    lines.push("status: completed".into());
    lines.push(String::new());
    lines.push("[summary]".into());
    lines.push(summary);
    Ok(ToolReturnValue::ok(lines.join("\n"), ""))
}

/// The instance's soul and its first prompt (kimi-cli's `prepare_soul`): its model, system
/// prompt (the one in its context on resume) and tools, its context restored, the prompt
/// (with `<git-context>` for a new explore instance) written to `prompt.txt`. Stages go to
/// `output`; the tools ask with `approval`.
async fn prepare(
    host: &Arc<Host>,
    record: &InstanceRecord,
    resumed: bool,
    model: Option<&String>,
    prompt: &str,
    approval: Approval,
    output: &Output,
) -> Result<(Soul, String), String> {
    let store = &host.store;
    let agent_id = record.agent_id.clone();
    let actual_type = record.subagent_type.clone();
    let (_, _, spec) = find_type(host, &actual_type)?;
    let mut launch = record.launch_spec.clone();
    if let Some(m) = model {
        launch.model_override = Some(m.clone());
        launch.effective_model = Some(m.clone());
    }
    output.stage("runner_started");

    // the agent: its model, system prompt and tools
    let effective_model = launch
        .model_override
        .clone()
        .or(launch.effective_model.clone())
        .or(spec.model.clone());
    let llm = match &effective_model {
        None => host.llm.clone(),
        Some(alias) => match (host.setup.models)(alias) {
            None => {
                return Err(key_error(&msg(
                    "subagent.unknown_model",
                    &[("{model}", alias)],
                )))
            }
            Some(Err(e)) => return Err(e),
            Some(Ok(l)) => Some(l),
        },
    };
    let rendered = super::system_prompt::render(
        &spec.system_prompt_path,
        &spec.system_prompt_args,
        &host.setup.prompt_args,
    )
    .map_err(|e| e.to_string())?;
    let mut toolset = Toolset::new();
    toolset.share_tasks(host.tasks.clone());
    let tool_paths = spec.tool_paths();
    crate::tools::install_builtins(
        &mut toolset,
        crate::tools::BuiltinSetup {
            client: host.client.clone(),
            state: host.state.clone(),
            session_dir: host.session.dir.clone(),
            workspace: host.workspace.clone(),
            skills_dirs: host.skills.outside_roots.clone(),
            capabilities: llm
                .as_ref()
                .map(|l| l.capabilities.clone())
                .unwrap_or_default(),
            tool_paths: tool_paths.clone(),
            approval: Some(approval),
            services: host.services.clone(),
        },
    );
    if let Some(i) = tool_paths
        .iter()
        .position(|p| p == crate::tools::AGENT_PATH)
    {
        let before = registered_before(&toolset, &tool_paths, i);
        toolset.register_at(before, Arc::new(AgentTool::of(host.clone(), false)));
    }
    output.stage("agent_built");

    let mut context = Context::new(&store.context_path(&agent_id));
    context.restore();
    output.stage("context_restored");
    let system_prompt = match context.system_prompt() {
        Some(p) => p.to_string(),
        None => {
            context
                .write_system_prompt(&rendered)
                .map_err(|e| e.to_string())?;
            rendered
        }
    };
    output.stage("context_ready");
    let mut prompt = prompt.to_string();
    // a new explore agent starts from what git says of the work dir (kimi-cli's run_soul)
    if actual_type == "explore" && !resumed {
        let git = super::git_context::collect(&host.work_dir).await;
        if !git.is_empty() {
            prompt = format!("{git}\n\n{prompt}");
        }
    }
    if let Err(e) = std::fs::write(store.prompt_path(&agent_id), &prompt) {
        return Err(e.to_string());
    }

    let sub_agent = Arc::new(LoadedAgent {
        file: spec.system_prompt_path.clone(),
        spec: spec.clone(),
        subagents: vec![],
    });
    let llm = llm.map(|l| Llm {
        provider: Arc::new(YieldFirst(l.provider.clone())),
        ..l
    });
    let soul = Soul {
        llm,
        context,
        toolset,
        loop_control: host.loop_control.clone(),
        session: host.session.clone(),
        state: host.state.clone(),
        system_prompt,
        work_dir: host.work_dir.clone(),
        workspace: host.workspace.clone(),
        steer_queue: Arc::new(Mutex::new(VecDeque::new())),
        injections: kagent_base::sync::lock(&host.injections).fresh(),
        hooks: host.hooks.clone(),
        skills: host.skills.clone(),
        tool_hooks: None,
        flows: vec![],
        agent: sub_agent,
        mcp: None,
        services: host.services.clone(),
        subagent_setup: None,
    };
    Ok((soul, prompt))
}

/// A subagent's model: each call first lets the other tasks run (the forwarder of its
/// events among them), as kimi-cli's soul awaits its own I/O before every LLM call. So its
/// events of a step reach the client before a request its tools make in the next one,
/// also with a model that answers at once (the scripted one).
struct YieldFirst(Arc<dyn crate::llm::ChatProvider>);

impl crate::llm::ChatProvider for YieldFirst {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn model_name(&self) -> &str {
        self.0.model_name()
    }
    fn bind_session(&self, session_id: &str) {
        self.0.bind_session(session_id)
    }
    fn set_context_tokens(&self, tokens: i64) {
        self.0.set_context_tokens(tokens)
    }
    fn recovers_connections(&self) -> bool {
        self.0.recovers_connections()
    }
    fn generate<'a>(
        &'a self,
        system_prompt: &'a str,
        tools: &'a [kagent_base::tool::ToolDefinition],
        history: &'a [kagent_base::message::Message],
    ) -> BoxFuture<'a, Result<Box<dyn crate::llm::StreamedMessage>, ChatProviderError>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.0.generate(system_prompt, tools, history).await
        })
    }
}

/// Makes the wire of each turn of one run (kimi-cli makes a new `Wire` per `run_soul`).
struct RunWires {
    parent: Option<Wire>,
    store: SubagentStore,
    output: Output,
    agent_id: String,
    subagent_type: String,
    parent_tool_call_id: String,
}

impl RunWires {
    fn wire(&self) -> (Wire, Option<tokio::task::JoinHandle<()>>) {
        let file = self.store.wire_path(&self.agent_id);
        let (wire, forwarder) = match &self.parent {
            Some(parent) => {
                let (w, f) = Wire::for_subagent(
                    parent.clone(),
                    file,
                    Some(self.parent_tool_call_id.clone()),
                    &self.agent_id,
                    &self.subagent_type,
                );
                (w, Some(f))
            }
            // a background run: the events only reach the instance's file
            None => (
                Wire::for_background_subagent(file, &self.agent_id, &self.subagent_type),
                None,
            ),
        };
        let observer = OutputWriter(self.output.clone());
        wire.observe(Box::new(move |m| observer.write(m)));
        (wire, forwarder)
    }

    /// The run (kimi-cli's `run_with_summary_continuation`): the prompt's turn, then, while
    /// the answer is short, the request for a longer summary (once).
    async fn run_with_summary(&self, soul: &mut Soul, prompt: String) -> Result<String, Failure> {
        let mut outcome = self.turn(soul, prompt, "running agent").await;
        let mut attempts = SUMMARY_CONTINUATION_ATTEMPTS;
        while let Ok(text) = &outcome {
            if attempts == 0 || text.chars().count() >= SUMMARY_MIN_LENGTH {
                break;
            }
            attempts -= 1;
            let again = p_text("agent.summary_continuation");
            let phase = msg("subagent.phase.summary", &[]);
            outcome = self.turn(soul, again, &phase).await;
        }
        outcome
    }

    /// One turn of the run on a wire of its own; its events are all forwarded when it ends.
    async fn turn(&self, soul: &mut Soul, prompt: String, phase: &str) -> Result<String, Failure> {
        let (wire, forwarder) = self.wire();
        let outcome = run_checked(soul, prompt, &wire, phase).await;
        wire.close();
        drop(wire);
        if let Some(f) = forwarder {
            let _ = f.await;
        }
        outcome
    }
}

fn p_text(key: &str) -> String {
    profile::active()
        .agent_text(key)
        .unwrap_or_default()
        .to_string()
}

/// How many tools of `paths[..i]` the toolset has (where the tool at `paths[i]` goes).
fn registered_before(toolset: &Toolset, paths: &[String], i: usize) -> usize {
    paths[..i]
        .iter()
        .filter(|p| {
            let name = p.rsplit(':').next().unwrap_or(p);
            toolset.find(name).is_some()
        })
        .count()
}

/// One turn of the subagent, checked as kimi-cli's `run_soul_checked` checks it: the text
/// of its final assistant message, or why there is none.
async fn run_checked(
    soul: &mut Soul,
    prompt: String,
    wire: &Wire,
    phase: &str,
) -> Result<String, Failure> {
    let result = soul
        .run(UserInput::Text(prompt), wire, &CancelToken::new())
        .await;
    match result {
        Ok(()) => {}
        Err(TurnError::MaxStepsReached(n)) => {
            return Err(failure(
                msg(
                    "subagent.max_steps",
                    &[("{steps}", &n.to_string()), ("{phase}", phase)],
                ),
                "Max steps reached",
            ))
        }
        Err(TurnError::Provider(e @ ChatProviderError::Status { status_code, .. })) => {
            return Err(failure(
                msg(
                    "subagent.api_error",
                    &[
                        ("{status}", &status_code.to_string()),
                        ("{phase}", phase),
                        ("{error}", &e.to_string()),
                    ],
                ),
                &format!("API error ({status_code})"),
            ))
        }
        Err(TurnError::Provider(e)) => {
            return Err(failure(
                msg(
                    "subagent.provider_error",
                    &[("{phase}", phase), ("{error}", &e.to_string())],
                ),
                "LLM provider error",
            ))
        }
        Err(e) => {
            return Err(failure(
                msg(
                    "subagent.unexpected",
                    &[("{phase}", phase), ("{error}", &e.to_string())],
                ),
                "Agent run error",
            ))
        }
    }
    match soul.context.history().last() {
        Some(m) if m.role == Role::Assistant => Ok(m.extract_text("\n")),
        _ => Err(failure(
            msg("subagent.invalid_result", &[]),
            &msg("subagent.invalid_result.brief", &[]),
        )),
    }
}

/// Where a run's transcript goes (kimi-cli's `SubagentOutputWriter`): the instance's
/// `output`, and for a background run its task's `output.log` too.
#[derive(Clone)]
struct Output {
    store: SubagentStore,
    agent_id: String,
    task_log: Option<Arc<Mutex<std::fs::File>>>,
}

impl Output {
    fn append(&self, text: &str) {
        self.store.append_output(&self.agent_id, text);
        if let Some(log) = &self.task_log {
            use std::io::Write as _;
            // best effort, as kimi-cli's tee: the run goes on without it
            let _ = kagent_base::sync::lock(log).write_all(text.as_bytes());
        }
    }

    fn stage(&self, name: &str) {
        self.append(&format!("[stage] {name}\n"));
    }

    fn summary(&self, text: &str) {
        if !text.is_empty() {
            self.append(&format!("\n[summary]\n{text}\n"));
        }
    }

    fn error(&self, text: &str) {
        self.append(&format!("[error] {text}\n"));
    }
}

/// The transcript written from a run's merged wire messages.
struct OutputWriter(Output);

impl OutputWriter {
    fn write(&self, msg: &WireMessage) {
        let text = match msg {
            WireMessage::ContentPart(kagent_base::message::ContentPart::Text(t)) => t.clone(),
            WireMessage::ToolCall(c) => format!("[tool] {}\n", c.name),
            WireMessage::ToolResult(r) => {
                let rv = &r.return_value;
                let status = if rv.is_error { "error" } else { "success" };
                let brief = rv
                    .display
                    .iter()
                    .find(|d| d.0.get("type").and_then(Value::as_str) == Some("brief"))
                    .and_then(|d| d.0.get("text").and_then(Value::as_str))
                    .unwrap_or_default();
                if brief.is_empty() {
                    format!("[tool_result] {status}\n")
                } else {
                    format!("[tool_result] {status}: {brief}\n")
                }
            }
            _ => return,
        };
        if !text.is_empty() {
            self.0.append(&text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(allowed: Option<Vec<&str>>) -> AgentSpec {
        AgentSpec {
            name: String::new(),
            system_prompt_path: PathBuf::from("/s.md"),
            system_prompt_args: vec![],
            model: None,
            when_to_use: String::new(),
            tools: vec![],
            allowed_tools: allowed.map(|v| v.into_iter().map(String::from).collect()),
            exclude_tools: vec![],
            subagents: vec![],
        }
    }

    #[test]
    fn tool_summary_is_kimi_clis() {
        assert_eq!(tool_summary(&spec(None)), "*");
        assert_eq!(tool_summary(&spec(Some(vec![]))), "(none)");
        assert_eq!(
            tool_summary(&spec(Some(vec![
                "kimi_cli.tools.shell:Shell",
                "kimi_cli.tools.file:ReadFile",
                "other.mod:Shell"
            ]))),
            "Shell, ReadFile"
        );
    }

    #[test]
    fn key_errors_read_as_pythons_str_of_key_error() {
        assert_eq!(key_error("no type x"), "'no type x'");
    }
}
