//! `TaskList`, `TaskOutput` and `TaskStop`: the model's view of the background tasks (their
//! outputs are kimi-cli's, field by field; the prose hints come from the profile).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use super::{display_block, format_task, is_terminal, TaskManager, TaskView};
use crate::config::profile::{self, Text};
use crate::session::SessionState;
use crate::tools::approval::Approval;
use crate::tools::args::{self, true_, Field, Get, Kind, STR};
use crate::tools::util::msg;
use crate::tools::{Tool, ToolContext, ToolReturnValue};
use kagent_base::tool::{DisplayBlock, ToolOutput};
use kagent_base::BoxFuture;

/// `TaskOutput` shows at most the last 32 KiB of the log.
const PREVIEW_BYTES: u64 = 32 << 10;

fn result(output: String, message: &str, display: Vec<DisplayBlock>) -> ToolReturnValue {
    ToolReturnValue {
        is_error: false,
        output: ToolOutput::Text(output),
        message: message.into(),
        display,
        extras: None,
        rejection: None,
    }
}

fn not_found(id: &str) -> ToolReturnValue {
    ToolReturnValue::error(format!("Task not found: {id}"), "Task not found")
}

pub struct TaskList {
    tasks: TaskManager,
}

impl TaskList {
    pub fn new(tasks: TaskManager) -> TaskList {
        TaskList { tasks }
    }
}

const LIST_FIELDS: &[Field] = &[
    Field::optional("active_only", Kind::Bool, true_),
    Field::optional(
        "limit",
        Kind::Int {
            ge: Some(1),
            le: Some(100),
        },
        || json!(20),
    ),
];

/// kimi-cli's `format_task_list`.
pub fn format_task_list(views: &[TaskView], active_only: bool, include_command: bool) -> String {
    let header = if active_only {
        "active_background_tasks"
    } else {
        "background_tasks"
    };
    if views.is_empty() {
        return format!("{header}: 0\n[no tasks]");
    }
    let mut lines = vec![format!("{header}: {}", views.len()), String::new()];
    for (i, v) in views.iter().enumerate() {
        lines.push(format!("[{}]", i + 1));
        lines.push(format_task(v, include_command));
        lines.push(String::new());
    }
    lines.join("\n").trim_end().to_string()
}

impl Tool for TaskList {
    fn name(&self) -> &str {
        "TaskList"
    }

    fn description(&self) -> &str {
        "List the background tasks of this session (by default only those still running), with their ids, states and commands."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "active_only": {"default": true, "description": "Only tasks that have not ended.", "type": "boolean"},
                "limit": {"default": 20, "description": "At most this many tasks.", "maximum": 100, "minimum": 1, "type": "integer"}
            },
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, _ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let tasks = self.tasks.clone();
        Box::pin(async move {
            let p = match args::validate_as("TaskListParams", &arguments, LIST_FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            let active_only = p.bool_of("active_only");
            let limit = p.int_of("limit").max(1) as usize;
            let mut views = tasks.store().map(|s| s.list()).unwrap_or_default();
            if active_only {
                views.retain(|v| !is_terminal(&v.runtime.status));
            }
            views.truncate(limit);
            let display = views.iter().map(display_block).collect();
            result(
                format_task_list(&views, active_only, true),
                &msg("task.list_retrieved", &[]),
                display,
            )
        })
    }
}

pub struct TaskOutput {
    tasks: TaskManager,
}

impl TaskOutput {
    pub fn new(tasks: TaskManager) -> TaskOutput {
        TaskOutput { tasks }
    }
}

const OUTPUT_FIELDS: &[Field] = &[
    Field::required("task_id", STR),
    Field::optional("block", Kind::Bool, args::false_),
    Field::optional(
        "timeout",
        Kind::Int {
            ge: Some(0),
            le: Some(3600),
        },
        || json!(30),
    ),
];

/// The preview of a task's log: (text, size, preview bytes, truncated).
fn preview(path: &std::path::Path) -> (String, u64, u64, bool) {
    let Ok(bytes) = std::fs::read(path) else {
        return (String::new(), 0, 0, false);
    };
    let size = bytes.len() as u64;
    let offset = size.saturating_sub(PREVIEW_BYTES);
    let chunk = &bytes[offset as usize..];
    let text = String::from_utf8_lossy(chunk)
        .trim_end_matches('\n')
        .to_string();
    (text, size, chunk.len() as u64, offset > 0)
}

/// kimi-cli's `_format_task_output`.
fn format_output(view: &TaskView, retrieval: &str, path: &std::path::Path) -> (String, u64) {
    let (text, size, preview_bytes, truncated) = preview(path);
    let path_s = std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    let mut lines = vec![
        format!("retrieval_status: {retrieval}"),
        format!("task_id: {}", view.spec.id),
        format!("kind: {}", view.spec.kind),
        format!("status: {}", view.runtime.status),
        format!("description: {}", view.spec.description),
    ];
    super::agent_lines(view, &mut lines);
    if let Some(c) = view.spec.command.as_deref().filter(|c| !c.is_empty()) {
        lines.push(format!("command: {c}"));
    }
    lines.push(format!("interrupted: {}", view.runtime.interrupted));
    lines.push(format!("timed_out: {}", view.runtime.timed_out));
    lines.push(format!("terminal_reason: {}", view.terminal_reason()));
    super::end_lines(view, &mut lines);
    let available = size > 0;
    let hint = if available {
        profile::active()
            .text(Text::TaskOutputHint)
            .replace("{output_path}", &path_s)
    } else {
        profile::active().text(Text::TaskNoOutputHint).to_string()
    };
    lines.extend([
        String::new(),
        format!("output_path: {path_s}"),
        format!("output_size_bytes: {size}"),
        format!("output_preview_bytes: {preview_bytes}"),
        format!("output_truncated: {truncated}"),
        String::new(),
        format!("full_output_available: {available}"),
        msg("task.output.tool_line", &[]),
        format!("full_output_hint: {hint}"),
        String::new(),
        "[output]".into(),
    ]);
    let mut rendered = if text.is_empty() {
        msg("task.output.none", &[])
    } else {
        text
    };
    if truncated {
        rendered = msg(
            "task.output.truncated",
            &[("{path}", &path_s), ("{output}", &rendered)],
        );
    }
    lines.push(rendered);
    (lines.join("\n"), size)
}

impl Tool for TaskOutput {
    fn name(&self) -> &str {
        "TaskOutput"
    }

    fn description(&self) -> &str {
        "Show a background task's state and the end of its output (the full log's path too). By default it answers at once; with block=true it waits for the task to end, at most `timeout` seconds. A notification arrives by itself when a task ends, so waiting is rarely needed."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "task_id": {"description": "Id of the background task.", "type": "string"},
                "block": {"default": false, "description": "Wait for the task to end.", "type": "boolean"},
                "timeout": {"default": 30, "description": "Seconds to wait at most with block=true.", "maximum": 3600, "minimum": 0, "type": "integer"}
            },
            "required": ["task_id"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, _ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let tasks = self.tasks.clone();
        Box::pin(async move {
            let p = match args::validate_as("TaskOutputParams", &arguments, OUTPUT_FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            let id = p.str_of("task_id");
            let (Some(store), Some(mut view)) = (tasks.store(), tasks.view(&id)) else {
                return not_found(&id);
            };
            let block = p.bool_of("block");
            if block {
                let limit = Duration::from_secs(p.int_of("timeout").max(0) as u64);
                view = tasks.wait(&id, limit).await.unwrap_or(view);
            }
            let retrieval = if is_terminal(&view.runtime.status) {
                "success"
            } else if block {
                "timeout"
            } else {
                "not_ready"
            };
            let (output, size) = format_output(&view, retrieval, &store.output_path(&id));
            store.write_consumer(
                &id,
                &super::store::TaskConsumer {
                    last_seen_output_size: size,
                    last_viewed_at: Some(super::store::now()),
                },
            );
            let message = msg(
                if !block && retrieval == "not_ready" {
                    "task.snapshot_retrieved"
                } else {
                    "task.output_retrieved"
                },
                &[],
            );
            let display = tasks.view(&id).map(|v| display_block(&v));
            result(output, &message, display.into_iter().collect())
        })
    }
}

pub struct TaskStop {
    tasks: TaskManager,
    approval: Approval,
    state: Arc<Mutex<SessionState>>,
}

impl TaskStop {
    pub fn new(
        tasks: TaskManager,
        approval: Approval,
        state: Arc<Mutex<SessionState>>,
    ) -> TaskStop {
        TaskStop {
            tasks,
            approval,
            state,
        }
    }
}

const STOP_FIELDS: &[Field] = &[
    Field::required("task_id", STR),
    Field::optional("reason", STR, || json!("Stopped by TaskStop")),
];

impl Tool for TaskStop {
    fn name(&self) -> &str {
        "TaskStop"
    }

    fn description(&self) -> &str {
        "Stop a background task that is still running (the user approves). Stopping is final and may leave partial results; a task that has ended is only shown."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "task_id": {"description": "Id of the background task.", "type": "string"},
                "reason": {"default": "Stopped by TaskStop", "description": "Why it is stopped (recorded with the task).", "type": "string"}
            },
            "required": ["task_id"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let (tasks, approval, state) = (
            self.tasks.clone(),
            self.approval.clone(),
            self.state.clone(),
        );
        Box::pin(async move {
            let p = match args::validate_as("TaskStopParams", &arguments, STOP_FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            if kagent_base::sync::lock(&state).plan_mode() {
                return ToolReturnValue::error(
                    msg("task.stop.plan_mode", &[]),
                    &msg("task.stop.plan_mode.brief", &[]),
                );
            }
            let id = p.str_of("task_id");
            let Some(view) = tasks.view(&id) else {
                return not_found(&id);
            };
            let decision = approval
                .request(
                    &ctx.tool_call_id,
                    "TaskStop",
                    profile::active().message("task.stop.action"),
                    &msg("task.stop.approval", &[("{id}", &id)]),
                    vec![display_block(&view)],
                )
                .await;
            if !decision.approved() {
                return decision.rejection();
            }
            let reason = p.str_of("reason");
            let reason = match reason.trim() {
                "" => "Stopped by TaskStop",
                r => r,
            };
            let Some(view) = tasks.stop(&id, reason) else {
                return not_found(&id);
            };
            let display = tasks.view(&id).map(|v| display_block(&v));
            result(
                format_task(&view, true),
                &msg("task.stop.requested", &[]),
                display.into_iter().collect(),
            )
        })
    }
}

/// kimi-cli's `build_active_task_snapshot`: the tasks that have not ended (at most 20, without
/// their commands) between the profile's `tasks.snapshot_open`/`_close` lines; None when
/// there is none. Compaction appends it, so the model still knows what runs.
pub fn active_task_snapshot(tasks: &TaskManager) -> Option<String> {
    let mut views = tasks.store().map(|s| s.list()).unwrap_or_default();
    views.retain(|v| !is_terminal(&v.runtime.status));
    views.truncate(20);
    if views.is_empty() {
        return None;
    }
    Some(
        [
            msg("tasks.snapshot_open", &[]),
            format_task_list(&views, true, false),
            msg("tasks.snapshot_close", &[]),
        ]
        .join("\n"),
    )
}
