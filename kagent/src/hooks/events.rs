//! The JSON payloads hooks receive (on stdin for commands, as `input_data` for clients).
//! Key order matters: commands see `json.dumps` of these objects.

use serde_json::{json, Map, Value};

fn base(event: &str, session_id: &str, cwd: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("hook_event_name".into(), json!(event));
    m.insert("session_id".into(), json!(session_id));
    m.insert("cwd".into(), json!(cwd));
    m
}

fn with(mut m: Map<String, Value>, fields: &[(&str, Value)]) -> Value {
    for (k, v) in fields {
        m.insert((*k).to_string(), v.clone());
    }
    Value::Object(m)
}

pub fn pre_tool_use(
    session_id: &str,
    cwd: &str,
    tool_name: &str,
    tool_input: &Value,
    tool_call_id: &str,
) -> Value {
    with(
        base("PreToolUse", session_id, cwd),
        &[
            ("tool_name", json!(tool_name)),
            ("tool_input", tool_input.clone()),
            ("tool_call_id", json!(tool_call_id)),
        ],
    )
}

pub fn post_tool_use(
    session_id: &str,
    cwd: &str,
    tool_name: &str,
    tool_input: &Value,
    tool_output: &str,
    tool_call_id: &str,
) -> Value {
    with(
        base("PostToolUse", session_id, cwd),
        &[
            ("tool_name", json!(tool_name)),
            ("tool_input", tool_input.clone()),
            ("tool_output", json!(tool_output)),
            ("tool_call_id", json!(tool_call_id)),
        ],
    )
}

/// A tool that raised (kosong's ToolRuntimeError): `error` is the exception's text.
pub fn post_tool_use_failure(
    session_id: &str,
    cwd: &str,
    tool_name: &str,
    tool_input: &Value,
    error: &str,
    tool_call_id: &str,
) -> Value {
    with(
        base("PostToolUseFailure", session_id, cwd),
        &[
            ("tool_name", json!(tool_name)),
            ("tool_input", tool_input.clone()),
            ("error", json!(error)),
            ("tool_call_id", json!(tool_call_id)),
        ],
    )
}

pub fn user_prompt_submit(session_id: &str, cwd: &str, prompt: &str) -> Value {
    with(
        base("UserPromptSubmit", session_id, cwd),
        &[("prompt", json!(prompt))],
    )
}

pub fn subagent_start(session_id: &str, cwd: &str, agent_name: &str, prompt: &str) -> Value {
    with(
        base("SubagentStart", session_id, cwd),
        &[("agent_name", json!(agent_name)), ("prompt", json!(prompt))],
    )
}

pub fn subagent_stop(session_id: &str, cwd: &str, agent_name: &str, response: &str) -> Value {
    with(
        base("SubagentStop", session_id, cwd),
        &[
            ("agent_name", json!(agent_name)),
            ("response", json!(response)),
        ],
    )
}

pub fn stop(session_id: &str, cwd: &str, stop_hook_active: bool) -> Value {
    with(
        base("Stop", session_id, cwd),
        &[("stop_hook_active", json!(stop_hook_active))],
    )
}

pub fn stop_failure(session_id: &str, cwd: &str, error_type: &str, error_message: &str) -> Value {
    with(
        base("StopFailure", session_id, cwd),
        &[
            ("error_type", json!(error_type)),
            ("error_message", json!(error_message)),
        ],
    )
}

pub fn session_start(session_id: &str, cwd: &str, source: &str) -> Value {
    with(
        base("SessionStart", session_id, cwd),
        &[("source", json!(source))],
    )
}

pub fn session_end(session_id: &str, cwd: &str, reason: &str) -> Value {
    with(
        base("SessionEnd", session_id, cwd),
        &[("reason", json!(reason))],
    )
}

pub fn pre_compact(session_id: &str, cwd: &str, trigger: &str, token_count: i64) -> Value {
    with(
        base("PreCompact", session_id, cwd),
        &[
            ("trigger", json!(trigger)),
            ("token_count", json!(token_count)),
        ],
    )
}

/// A notification reached a sink (kimi-cli fires it for the model's: `sink` = `llm`).
pub fn notification(
    session_id: &str,
    cwd: &str,
    sink: &str,
    notification_type: &str,
    title: &str,
    body: &str,
    severity: &str,
) -> Value {
    with(
        base("Notification", session_id, cwd),
        &[
            ("sink", json!(sink)),
            ("notification_type", json!(notification_type)),
            ("title", json!(title)),
            ("body", json!(body)),
            ("severity", json!(severity)),
        ],
    )
}

pub fn post_compact(
    session_id: &str,
    cwd: &str,
    trigger: &str,
    estimated_token_count: i64,
) -> Value {
    with(
        base("PostCompact", session_id, cwd),
        &[
            ("trigger", json!(trigger)),
            ("estimated_token_count", json!(estimated_token_count)),
        ],
    )
}

/// The process's current directory as hooks report it (`cwd` of most payloads).
pub fn process_cwd() -> String {
    std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_key_order() {
        let v = pre_tool_use("s", "/w", "Glob", &json!({"pattern": "*"}), "tc");
        assert_eq!(
            kagent_base::py::json::dumps(&v),
            r#"{"hook_event_name": "PreToolUse", "session_id": "s", "cwd": "/w", "tool_name": "Glob", "tool_input": {"pattern": "*"}, "tool_call_id": "tc"}"#
        );
    }
}
