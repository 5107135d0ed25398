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
pub mod external;
pub mod file;
pub mod plan;
pub mod repeat;
pub mod shell;
pub mod think;
pub mod todo;
pub mod util;

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
}

/// Register the tools of kimi-cli's default agent that kagent implements, in the agent
/// spec's order. Returns the approval handle the tools share.
pub fn install_builtins(toolset: &mut Toolset, setup: BuiltinSetup) -> approval::Approval {
    let BuiltinSetup {
        client,
        state,
        session_dir,
        workspace,
        skills_dirs,
        capabilities,
    } = setup;
    let work_dir = workspace.work_dir().to_path_buf();
    let approval = approval::Approval::new(client, state.clone(), session_dir.clone());
    let plan = plan::PlanControl::new(state.clone(), session_dir.clone());
    toolset.register(Arc::new(ask_user::AskUserQuestion::new(approval.clone())));
    toolset.register(Arc::new(todo::SetTodoList::new(state, session_dir)));
    toolset.register(Arc::new(shell::Shell::new(approval.clone())));
    toolset.register(Arc::new(file::read_file::ReadFile::new(workspace.clone())));
    if let Some(t) = file::media::ReadMediaFile::new(workspace.clone(), &capabilities) {
        toolset.register(Arc::new(t));
    }
    toolset.register(Arc::new(file::glob::Glob::new(
        workspace.clone(),
        skills_dirs,
    )));
    // Grep searches any path (kimi-cli does not restrict it to the workspace)
    toolset.register(Arc::new(file::grep::Grep::new(work_dir)));
    toolset.register(Arc::new(file::write_file::WriteFile::new(
        approval.clone(),
        plan.clone(),
        workspace.clone(),
    )));
    toolset.register(Arc::new(file::write_file::StrReplaceFile::new(
        approval.clone(),
        plan.clone(),
        workspace,
    )));
    // Offered to the model only if the client declares `supports_plan_mode` at initialize.
    toolset.register(Arc::new(plan::exit::ExitPlanMode::new(
        plan.clone(),
        approval.clone(),
    )));
    toolset.register(Arc::new(plan::enter::EnterPlanMode::new(
        plan,
        approval.clone(),
    )));
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
