//! Tools the model can call.
//!
//! A [`Tool`] has a name, a description, a JSON-Schema for its arguments and an async `call`.
//! The [`Toolset`] is the registry the turn loop dispatches tool calls to. Built-in tools
//! (Shell, ReadFile, ...) live in their own modules and are registered with
//! [`Toolset::register`]; external tools declared by the wire client go through the same
//! registry. Unknown tools and unparsable arguments produce the same error results as kosong.

pub mod approval;
pub use kagent_base::py::args;
pub mod ask_user;
pub mod background;
pub mod dmail;
pub mod external;
pub mod file;
pub mod plan;
pub mod repeat;
pub mod shell;
pub mod think;
pub mod todo;
pub mod util;
pub mod web;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use kagent_base::message::ToolCall;
use kagent_base::{tool::ToolDefinition, BoxFuture};

pub use kagent_base::tool::{DisplayBlock, Rejection, ToolOutput, ToolResult, ToolReturnValue};

/// What a tool gets besides its arguments.
#[derive(Debug, Clone)]
pub struct ToolContext {
    pub tool_call_id: String,
    pub work_dir: std::path::PathBuf,
    /// The arguments exactly as the model sent them (forwarded verbatim to external tools).
    pub raw_arguments: Option<String>,
    /// The turn's wire, for requests that are recorded in `wire.jsonl`.
    pub wire: Option<crate::wire::Wire>,
}

/// A tool callable by the model.
pub trait Tool: Send + Sync {
    fn name(&self) -> &str;
    fn description(&self) -> &str;
    /// JSON Schema of the arguments object.
    fn parameters(&self) -> Value;
    /// Run the tool. `arguments` is the parsed JSON arguments value. Cancellation drops the
    /// future, so tools must leave no partial state that later calls rely on.
    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue>;
    /// Whether a result the call has at once (on its first poll) reaches the client at once,
    /// possibly before the step's StatusUpdate: true where kimi-cli's tool makes no real
    /// await on such a path. Otherwise it waits for the StatusUpdate, as the results of
    /// kimi-cli's tools with async file access do.
    fn reports_at_once(&self) -> bool {
        false
    }
}

/// How the toolset answered a tool call.
pub enum Dispatch {
    /// Already known (unknown tool, invalid arguments).
    Immediate(ToolResult),
    /// Running; resolves to the result.
    Pending(BoxFuture<'static, ToolResult>),
    /// The call cannot even be dispatched and ends the turn with this internal error (kimi-cli:
    /// the `RecursionError` of `json.loads` on too deeply nested arguments escapes kosong).
    Fatal(String),
}

/// The registry of tools.
#[derive(Default, Clone)]
pub struct Toolset {
    tools: BTreeMap<String, Arc<dyn Tool>>,
    order: Vec<String>,
    /// Registered but not advertised to the model (still callable).
    hidden: BTreeSet<String>,
    /// Repeated-call tracking of the current turn.
    repeat: Arc<Mutex<repeat::RepeatState>>,
    /// The D-Mail state `SendDMail` shares with the soul.
    denwa: dmail::Denwa,
    /// The agent spec gave the built-in `SendDMail` (an external tool of that name does not
    /// make checkpoints announced).
    dmail_builtin: bool,
    /// The session's background tasks (Shell's `run_in_background`, the Task tools).
    tasks: background::TaskManager,
}

impl Toolset {
    pub fn new() -> Self {
        Self::default()
    }

    /// Register (or replace) a tool.
    pub fn register(&mut self, tool: Arc<dyn Tool>) {
        let name = tool.name().to_string();
        if self.tools.insert(name.clone(), tool).is_none() {
            self.order.push(name);
        }
    }

    /// Register a new tool at position `index` of the model's tool list (a tool built by a
    /// higher layer, placed where its agent spec lists it).
    pub fn register_at(&mut self, index: usize, tool: Arc<dyn Tool>) {
        let name = tool.name().to_string();
        if self.tools.insert(name.clone(), tool).is_none() {
            self.order.insert(index.min(self.order.len()), name);
        }
    }

    /// Hide a tool from the model's tool list (it stays callable).
    pub fn hide(&mut self, name: &str) {
        if self.tools.contains_key(name) {
            self.hidden.insert(name.to_string());
        }
    }

    pub fn unhide(&mut self, name: &str) {
        self.hidden.remove(name);
    }

    pub fn find(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.tools.get(name)
    }

    /// Definitions advertised to the model, in registration order.
    pub fn definitions(&self) -> Vec<ToolDefinition> {
        self.order
            .iter()
            .filter(|n| !self.hidden.contains(*n))
            .filter_map(|n| self.tools.get(n))
            .map(|t| ToolDefinition {
                name: t.name().to_string(),
                description: t.description().to_string(),
                parameters: t.parameters(),
            })
            .collect()
    }

    /// The session's background tasks.
    pub fn tasks(&self) -> &background::TaskManager {
        &self.tasks
    }

    /// Use `tasks` as this toolset's task manager (a subagent's toolset shares its session's).
    pub fn share_tasks(&mut self, tasks: background::TaskManager) {
        self.tasks = tasks;
    }

    /// The D-Mail state (checkpoints, pending D-Mail) of `SendDMail`.
    pub fn denwa(&self) -> &dmail::Denwa {
        &self.denwa
    }

    /// Whether checkpoints are announced to the model (`SendDMail` is among the tools).
    pub fn has_dmail(&self) -> bool {
        self.dmail_builtin && self.tools.contains_key(dmail::NAME)
    }

    fn repeat_state(&self) -> std::sync::MutexGuard<'_, repeat::RepeatState> {
        kagent_base::sync::lock(&self.repeat)
    }

    /// A new turn starts (calls of earlier turns do not count as repeats).
    pub fn begin_turn(&self) {
        self.repeat_state().begin_turn();
    }

    /// An LLM call of a step starts (once per attempt).
    pub fn begin_step(&self) {
        self.repeat_state().begin_step();
    }

    /// The step's results are in.
    pub fn end_step(&self) {
        self.repeat_state().end_step();
    }

    /// A call was repeated so often that the turn must stop after this step.
    pub fn force_stop_turn(&self) -> bool {
        self.repeat_state().force_stop()
    }

    /// Dispatch one tool call.
    pub fn handle(
        &self,
        call: &ToolCall,
        work_dir: &std::path::Path,
        wire: Option<&crate::wire::Wire>,
    ) -> Dispatch {
        let Some(tool) = self.tools.get(&call.name) else {
            let msg = format!("Tool `{}` not found", call.name);
            return Dispatch::Immediate(ToolResult {
                tool_call_id: call.id.clone(),
                return_value: ToolReturnValue::error(msg.clone(), &msg),
            });
        };
        // kosong: `json.loads(arguments or "{}", strict=False)`
        let raw = call.arguments.as_deref().unwrap_or("");
        let raw = if raw.is_empty() { "{}" } else { raw };
        use kagent_base::py::loads::{loads, LoadsError};
        let arguments: Value = match loads(raw) {
            Ok(v) => v,
            Err(e @ LoadsError::Recursion(_)) => {
                return Dispatch::Fatal(format!("RecursionError: {e}"))
            }
            Err(e @ LoadsError::Decode(_)) => {
                let msg = format!("Error parsing JSON arguments: {e}");
                return Dispatch::Immediate(ToolResult {
                    tool_call_id: call.id.clone(),
                    return_value: ToolReturnValue::error(msg, "Invalid arguments"),
                });
            }
        };
        let plan = self.repeat_state().plan(&call.name, &arguments);
        let (done, reminder) = match plan {
            repeat::Plan::Duplicate(rx) => {
                let id = call.id.clone();
                return Dispatch::Pending(Box::pin(async move {
                    ToolResult {
                        tool_call_id: id,
                        return_value: repeat::wait_for(rx).await,
                    }
                }));
            }
            repeat::Plan::Run { done, reminder } => (done, reminder),
        };
        let tool = tool.clone();
        let ctx = ToolContext {
            tool_call_id: call.id.clone(),
            work_dir: work_dir.to_path_buf(),
            raw_arguments: call.arguments.clone(),
            wire: wire.cloned(),
        };
        let id = call.id.clone();
        Dispatch::Pending(Box::pin(async move {
            let mut return_value = tool.call(arguments, ctx).await;
            if let Some(text) = &reminder {
                return_value = repeat::append_reminder(return_value, text);
            }
            let _ = done.send(Some(return_value.clone()));
            ToolResult {
                tool_call_id: id,
                return_value,
            }
        }))
    }
}

/// kimi-cli's import paths of the tools kagent implements, with the tool's name.
pub const IMPLEMENTED: &[(&str, &str)] = &[
    ("kimi_cli.tools.ask_user:AskUserQuestion", "AskUserQuestion"),
    ("kimi_cli.tools.todo:SetTodoList", "SetTodoList"),
    ("kimi_cli.tools.shell:Shell", "Shell"),
    ("kimi_cli.tools.file:ReadFile", "ReadFile"),
    ("kimi_cli.tools.file:ReadMediaFile", "ReadMediaFile"),
    ("kimi_cli.tools.file:Glob", "Glob"),
    ("kimi_cli.tools.file:Grep", "Grep"),
    ("kimi_cli.tools.file:WriteFile", "WriteFile"),
    ("kimi_cli.tools.file:StrReplaceFile", "StrReplaceFile"),
    ("kimi_cli.tools.plan:ExitPlanMode", "ExitPlanMode"),
    ("kimi_cli.tools.plan.enter:EnterPlanMode", "EnterPlanMode"),
    ("kimi_cli.tools.think:Think", "Think"),
    ("kimi_cli.tools.dmail:SendDMail", "SendDMail"),
    ("kimi_cli.tools.web:FetchURL", "FetchURL"),
    ("kimi_cli.tools.web:SearchWeb", "SearchWeb"),
    ("kimi_cli.tools.background:TaskList", "TaskList"),
    ("kimi_cli.tools.background:TaskOutput", "TaskOutput"),
    ("kimi_cli.tools.background:TaskStop", "TaskStop"),
];

/// kimi-cli's tools kagent does not implement yet: an agent listing them runs without them
/// (logged). None today: every tool of kimi-cli 1.51's agents is built.
pub const NOT_IMPLEMENTED: &[&str] = &[];

/// The `Agent` tool: implemented in the soul layer (it runs souls), registered by the server.
pub const AGENT_PATH: &str = "kimi_cli.tools.agent:Agent";

fn implemented(path: &str) -> Option<&'static str> {
    if path == AGENT_PATH {
        return Some("Agent");
    }
    IMPLEMENTED
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, name)| *name)
}

/// Check an agent's tool list before anything starts, as kimi-cli's `load_tools` does:
/// paths no kimi-cli tool has are `Invalid tools: [...]`; a tool kagent implements must have
/// its definition in a kimi-cli profile (the model is to see kimi-cli's exact words).
pub fn check_tool_paths(
    paths: &[String],
    profile: &crate::config::profile::Profile,
) -> Result<(), String> {
    let bad: Vec<String> = paths
        .iter()
        .filter(|p| {
            implemented(p).is_none()
                && !NOT_IMPLEMENTED.contains(&p.as_str())
                && profile.tool(p).is_none()
        })
        .map(|p| kagent_base::py::repr::repr_str(p))
        .collect();
    if !bad.is_empty() {
        return Err(format!("Invalid tools: [{}]", bad.join(", ")));
    }
    if !profile.is_builtin() {
        if paths.iter().any(|p| implemented(p) == Some(dmail::NAME))
            && profile.dmail_injection.is_none()
        {
            return Err(profile.error(format!(
                "missing key \"texts\".\"{}\" (the agent uses SendDMail)",
                crate::config::profile::DMAIL_INJECTION_KEY
            )));
        }
        let agent_missing = crate::config::profile::AGENT_TEXT_KEYS
            .iter()
            .find(|k| profile.agent_text(k).is_none());
        if let (true, Some(key)) = (paths.iter().any(|p| p == AGENT_PATH), agent_missing) {
            return Err(profile.error(format!(
                "missing key \"texts\".\"{key}\" (the agent uses Agent)"
            )));
        }
        if let Some(p) = paths
            .iter()
            .find(|p| implemented(p).is_some() && profile.tool(p).is_none())
        {
            return Err(profile.error(format!("missing key \"tools\".\"{p}\" (the agent uses it)")));
        }
    }
    Ok(())
}

/// A built-in tool advertised with the definition of the profile (kimi-cli's name,
/// description and parameter schema, exactly), run by kagent's implementation.
struct Profiled {
    inner: Arc<dyn Tool>,
    def: ToolDefinition,
}

impl Tool for Profiled {
    fn name(&self) -> &str {
        &self.def.name
    }
    fn description(&self) -> &str {
        &self.def.description
    }
    fn parameters(&self) -> Value {
        self.def.parameters.clone()
    }
    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        self.inner.call(arguments, ctx)
    }
    fn reports_at_once(&self) -> bool {
        self.inner.reports_at_once()
    }
}

/// Everything the built-in tools need from the session.
pub struct BuiltinSetup {
    pub client: approval::Client,
    pub state: Arc<Mutex<crate::session::SessionState>>,
    pub session_dir: PathBuf,
    pub workspace: crate::session::workspace::Workspace,
    /// Skills roots outside the work directory (`Glob` may search them).
    pub skills_dirs: Vec<PathBuf>,
    /// Capabilities of the configured model (`image_in`, `video_in`, ...).
    pub capabilities: Vec<String>,
    /// The agent's tools (import paths, checked by [`check_tool_paths`]), in its order.
    pub tool_paths: Vec<String>,
    /// `[services]`: FetchURL's fetch service, SearchWeb's search service.
    pub services: crate::config::Services,
    /// The approval the tools share when it exists already (a subagent's, derived from its
    /// parent's); `None`: a new one.
    pub approval: Option<approval::Approval>,
}

/// Register the agent's tools that kagent implements, in the agent spec's order, each with
/// the profile's definition when the profile has one. Returns the approval handle the tools
/// share.
pub fn install_builtins(toolset: &mut Toolset, setup: BuiltinSetup) -> approval::Approval {
    let BuiltinSetup {
        client,
        state,
        session_dir,
        workspace,
        skills_dirs,
        capabilities,
        tool_paths,
        services,
        approval,
    } = setup;
    let work_dir = workspace.work_dir().to_path_buf();
    let approval = approval
        .unwrap_or_else(|| approval::Approval::new(client, state.clone(), session_dir.clone()));
    let plan = plan::PlanControl::new(state.clone(), session_dir.clone());
    let tasks = toolset.tasks().clone();
    tasks.bind(&session_dir);
    let mut all: Vec<Arc<dyn Tool>> = vec![
        Arc::new(ask_user::AskUserQuestion::new(approval.clone())),
        Arc::new(background::tools::TaskStop::new(
            tasks.clone(),
            approval.clone(),
            state.clone(),
        )),
        Arc::new(todo::SetTodoList::new(state, session_dir)),
        Arc::new(shell::Shell::new(approval.clone(), tasks.clone())),
        Arc::new(background::tools::TaskList::new(tasks.clone())),
        Arc::new(background::tools::TaskOutput::new(tasks)),
        Arc::new(file::read_file::ReadFile::new(workspace.clone())),
    ];
    // like kimi-cli's SkipThisTool: no media tool for a model without image/video input
    if let Some(t) = file::media::ReadMediaFile::new(workspace.clone(), &capabilities) {
        all.push(Arc::new(t));
    }
    all.push(Arc::new(file::glob::Glob::new(
        workspace.clone(),
        skills_dirs,
    )));
    // Grep searches any path (kimi-cli does not restrict it to the workspace)
    all.push(Arc::new(file::grep::Grep::new(work_dir)));
    all.push(Arc::new(file::write_file::WriteFile::new(
        approval.clone(),
        plan.clone(),
        workspace.clone(),
    )));
    all.push(Arc::new(file::write_file::StrReplaceFile::new(
        approval.clone(),
        plan.clone(),
        workspace,
    )));
    // The plan tools are offered to the model only if the client declares
    // `supports_plan_mode` at initialize.
    all.push(Arc::new(plan::exit::ExitPlanMode::new(
        plan.clone(),
        approval.clone(),
    )));
    all.push(Arc::new(plan::enter::EnterPlanMode::new(
        plan,
        approval.clone(),
    )));
    all.push(Arc::new(think::Think));
    all.push(Arc::new(dmail::SendDMail::new(toolset.denwa().clone())));
    let web_auth = web::ServiceAuth {
        share_dir: kagent_base::paths::share_dir(),
    };
    all.push(Arc::new(web::fetch::FetchUrl::new(
        services.moonshot_fetch.clone(),
        web_auth.clone(),
    )));
    // like kimi-cli's SkipThisTool: SearchWeb only with a search service
    if let Some(search) = services.moonshot_search {
        all.push(Arc::new(web::search::SearchWeb::new(search, web_auth)));
    }
    let profile = crate::config::profile::active();
    for path in &tool_paths {
        let Some(name) = implemented(path) else {
            kagent_base::logging::info(&format!(
                "Skipping tool: {path} (not implemented in kagent yet)"
            ));
            continue;
        };
        let Some(tool) = all.iter().find(|t| t.name() == name) else {
            kagent_base::logging::info(&format!("Skipping tool: {path}"));
            continue;
        };
        if name == dmail::NAME {
            toolset.dmail_builtin = true;
        }
        // ReadMediaFile's description depends on the model's media input (its variants)
        match profile.tool_for(path, &capabilities) {
            Some(def) => toolset.register(Arc::new(Profiled {
                inner: tool.clone(),
                def: def.clone(),
            })),
            None => toolset.register(tool.clone()),
        }
    }
    approval
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Upper;
    impl Tool for Upper {
        fn name(&self) -> &str {
            "Upper"
        }
        fn description(&self) -> &str {
            "uppercase `text`"
        }
        fn parameters(&self) -> Value {
            json!({"type": "object", "properties": {"text": {"type": "string"}}})
        }
        fn call(&self, arguments: Value, _ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
            Box::pin(async move {
                let t = arguments["text"].as_str().unwrap_or("").to_uppercase();
                ToolReturnValue::ok(t, "")
            })
        }
    }

    fn call(name: &str, args: &str) -> ToolCall {
        ToolCall {
            id: "c".into(),
            name: name.into(),
            arguments: Some(args.into()),
            extras: None,
        }
    }

    #[tokio::test]
    async fn dispatches_registered_and_unknown_tools() {
        let mut ts = Toolset::new();
        ts.register(Arc::new(Upper));
        assert_eq!(ts.definitions()[0].name, "Upper");
        match ts.handle(
            &call("Upper", r#"{"text":"hi"}"#),
            std::path::Path::new("."),
            None,
        ) {
            Dispatch::Pending(f) => {
                assert_eq!(f.await.return_value.output, ToolOutput::Text("HI".into()))
            }
            Dispatch::Immediate(_) | Dispatch::Fatal(_) => panic!("expected pending"),
        }
        match ts.handle(&call("Nope", "{}"), std::path::Path::new("."), None) {
            Dispatch::Immediate(r) => {
                assert_eq!(r.return_value.message, "Tool `Nope` not found");
                assert!(r.return_value.is_error);
            }
            Dispatch::Pending(_) | Dispatch::Fatal(_) => panic!("expected immediate"),
        }
        // issue 19: arguments nested past the limit end the turn with Python's RecursionError
        let deep = format!("{{\"text\": {}", "[".repeat(20_000));
        match ts.handle(&call("Upper", &deep), std::path::Path::new("."), None) {
            Dispatch::Fatal(m) => assert_eq!(
                m,
                "RecursionError: maximum recursion depth exceeded while decoding a JSON array from a unicode string"
            ),
            _ => panic!("expected a fatal dispatch"),
        }
    }
}
