//! PreToolUse / PostToolUse (PostToolUseFailure for a tool that raised) around a running tool
//! call.

use std::sync::Arc;

use serde_json::Value;

use super::{events, first_block, HookEngine, Started};
use crate::tools::{Dispatch, ToolOutput, ToolResult, ToolReturnValue};
use crate::wire::Wire;
use kagent_base::message::{ContentPart, ToolCall};
use kagent_base::py::repr::{repr_str, repr_value};
use kagent_base::BoxFuture;

/// Longest `tool_output` a PostToolUse hook gets (characters).
const MAX_TOOL_OUTPUT: usize = 2000;

/// Wrap the step's running tool calls (in call order) with their hooks. PreToolUse starts
/// now (`HookTriggered` and client requests go out at once); the tool itself runs only once it
/// allowed. A blocked call returns the block reason as a tool error. After the tool,
/// PostToolUse fires in the background (its `HookTriggered` precedes the tool's result).
pub fn guard_dispatched(
    engine: &Arc<HookEngine>,
    dispatched: Vec<Dispatch>,
    calls: &[ToolCall],
    wire: &Wire,
) -> Vec<Dispatch> {
    // all HookTriggered first, then all HookRequests (kimi-cli's scheduling order)
    let mut started: Vec<(Dispatch, Option<Started>, Value)> = dispatched
        .into_iter()
        .enumerate()
        .map(|(idx, d)| match (d, calls.get(idx)) {
            (Dispatch::Pending(fut), Some(call)) => {
                let (pre, input) = start_pre_tool_use(engine, call, wire);
                (Dispatch::Pending(fut), pre, input)
            }
            (d, _) => (d, None, Value::Null),
        })
        .collect();
    for (_, pre, _) in started.iter_mut() {
        if let Some(pre) = pre {
            pre.send_requests();
        }
    }
    started
        .into_iter()
        .enumerate()
        .map(|(idx, (d, pre, input))| match (d, calls.get(idx)) {
            (Dispatch::Pending(fut), Some(call)) => {
                Dispatch::Pending(guard_tool(engine, call, fut, pre, input, wire))
            }
            (d, _) => d,
        })
        .collect()
}

fn start_pre_tool_use(
    engine: &Arc<HookEngine>,
    call: &ToolCall,
    wire: &Wire,
) -> (Option<Started>, Value) {
    let tool_input = call
        .arguments
        .as_deref()
        .and_then(|a| serde_json::from_str::<Value>(a).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::Object(Default::default()));
    let payload = events::pre_tool_use(
        engine.session_id(),
        &events::process_cwd(),
        &call.name,
        &tool_input,
        &call.id,
    );
    let pre = engine.start("PreToolUse", &call.name, payload, Some(wire));
    (pre, tool_input)
}

fn guard_tool(
    engine: &Arc<HookEngine>,
    call: &ToolCall,
    fut: BoxFuture<'static, ToolResult>,
    pre: Option<Started>,
    tool_input: Value,
    wire: &Wire,
) -> BoxFuture<'static, ToolResult> {
    let cwd = events::process_cwd();
    let pre = pre.map(Started::finish);
    let engine = engine.clone();
    let wire = wire.clone();
    let (name, id) = (call.name.clone(), call.id.clone());
    Box::pin(async move {
        if let Some(pre) = pre {
            let results = pre.await;
            if let Some(b) = first_block(&results) {
                let message = if b.reason.is_empty() {
                    crate::config::profile::active()
                        .message("hooks.tool_blocked")
                        .to_string()
                } else {
                    b.reason.clone()
                };
                return ToolResult {
                    tool_call_id: id,
                    return_value: ToolReturnValue::error(message, "Hook blocked"),
                };
            }
        }
        let result = fut.await;
        // a tool that raised: kimi-cli fires PostToolUseFailure instead of PostToolUse
        if let Some(error) = raised_error(&result.return_value) {
            if engine.has_hooks_for("PostToolUseFailure") {
                engine.fire_and_forget(
                    "PostToolUseFailure",
                    &name,
                    events::post_tool_use_failure(
                        engine.session_id(),
                        &cwd,
                        &name,
                        &tool_input,
                        error,
                        &id,
                    ),
                    Some(&wire),
                );
            }
            return result;
        }
        if engine.has_hooks_for("PostToolUse") {
            let output: String = repr_return_value(&result.return_value)
                .chars()
                .take(MAX_TOOL_OUTPUT)
                .collect();
            engine.fire_and_forget(
                "PostToolUse",
                &name,
                events::post_tool_use(engine.session_id(), &cwd, &name, &tool_input, &output, &id),
                Some(&wire),
            );
        }
        result
    })
}

/// The exception's text when `rv` is kosong's `ToolRuntimeError` (the tool raised; kimi-cli's
/// toolset caught it): its message is `Error running tool: <text>`, its brief fixed.
pub fn raised_error(rv: &ToolReturnValue) -> Option<&str> {
    let is_runtime =
        rv.is_error && rv.display == [kagent_base::tool::DisplayBlock::brief("Tool runtime error")];
    is_runtime
        .then(|| rv.message.strip_prefix("Error running tool: "))
        .flatten()
}

/// `str()` of kosong's `ToolReturnValue` (pydantic's repr without the class name).
pub fn repr_return_value(rv: &ToolReturnValue) -> String {
    let output = match &rv.output {
        ToolOutput::Text(s) => repr_str(s),
        ToolOutput::Parts(parts) => format!(
            "[{}]",
            parts.iter().map(repr_part).collect::<Vec<_>>().join(", ")
        ),
    };
    let display = format!(
        "[{}]",
        rv.display
            .iter()
            .map(|d| repr_model(&display_class(&d.0), &d.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let extras = match &rv.extras {
        None => "None".to_string(),
        Some(m) => repr_value(&Value::Object(m.clone())),
    };
    format!(
        "is_error={} output={output} message={} display={display} extras={extras}",
        if rv.is_error { "True" } else { "False" },
        repr_str(&rv.message),
    )
}

fn repr_part(p: &ContentPart) -> String {
    let v = p.to_json();
    let class = match v.get("type").and_then(Value::as_str) {
        Some("text") => "TextPart",
        Some("think") => "ThinkPart",
        Some("image_url") => "ImageURLPart",
        Some("audio_url") => "AudioURLPart",
        Some("video_url") => "VideoURLPart",
        _ => "ContentPart",
    };
    repr_model(class, &v)
}

fn display_class(v: &Value) -> String {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("unknown");
    let mut class = String::new();
    for word in kind.split(['_', '-']) {
        let mut chars = word.chars();
        if let Some(c) = chars.next() {
            class.extend(c.to_uppercase());
            class.push_str(chars.as_str());
        }
    }
    class + "DisplayBlock"
}

/// `Class(key=repr, ...)` of a pydantic model given as JSON.
fn repr_model(class: &str, v: &Value) -> String {
    match v.as_object() {
        Some(obj) => format!(
            "{class}({})",
            obj.iter()
                .map(|(k, v)| format!("{k}={}", repr_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => repr_value(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_value_repr_like_pydantic() {
        let rv = ToolReturnValue::ok("", "Nothing matches `*.x`.");
        assert_eq!(
            repr_return_value(&rv),
            "is_error=False output='' message='Nothing matches `*.x`.' display=[] extras=None"
        );
        let rv = ToolReturnValue::error("bad", "Bad");
        assert_eq!(
            repr_return_value(&rv),
            "is_error=True output='' message='bad' display=[BriefDisplayBlock(type='brief', text='Bad')] extras=None"
        );
    }
}
