//! `[[hooks]]` entries of `config.toml`: which event, which shell command, an optional regex
//! matcher and a timeout (kimi-cli's `HookDef`).

use serde_json::Value;

/// Hook events kimi-cli 1.51 knows, in its order (reported by `initialize`).
pub const EVENT_TYPES: &[&str] = &[
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "Stop",
    "StopFailure",
    "SessionStart",
    "SessionEnd",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "PostCompact",
    "Notification",
];

/// Default timeout of a hook, in seconds.
pub const DEFAULT_TIMEOUT: u64 = 30;

/// One configured (server-side) hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookDef {
    pub event: String,
    pub command: String,
    /// Regex searched in the event's target; empty matches everything.
    pub matcher: String,
    /// Seconds, 1..=600.
    pub timeout: u64,
}

/// Parse the `hooks` value of the config (a list of tables). Errors are worded like the
/// rest of kagent's config validation (`hooks.<n>.<field>: ...`).
pub fn parse_hooks(value: Option<&Value>) -> Result<Vec<HookDef>, String> {
    let items = match value {
        None => return Ok(vec![]),
        Some(Value::Array(a)) => a,
        Some(_) => return Err("hooks: Input should be a valid list".into()),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ctx = format!("hooks.{i}");
        let Some(obj) = item.as_object() else {
            return Err(format!("{ctx}: Input should be a valid dictionary"));
        };
        let event = match obj.get("event") {
            Some(Value::String(s)) if EVENT_TYPES.contains(&s.as_str()) => s.clone(),
            Some(_) => {
                let allowed: Vec<String> = EVENT_TYPES.iter().map(|e| format!("'{e}'")).collect();
                let (last, head) = allowed.split_last().unwrap_or((&allowed[0], &[]));
                return Err(format!(
                    "{ctx}.event: Input should be {} or {last}",
                    head.join(", ")
                ));
            }
            None => return Err(format!("{ctx}.event: Field required")),
        };
        let command = match obj.get("command") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(format!("{ctx}.command: Input should be a valid string")),
            None => return Err(format!("{ctx}.command: Field required")),
        };
        let matcher = match obj.get("matcher") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(format!("{ctx}.matcher: Input should be a valid string")),
        };
        let timeout = match obj.get("timeout") {
            None => DEFAULT_TIMEOUT,
            Some(v) => match v.as_i64() {
                Some(n) if n < 1 => {
                    return Err(format!(
                        "{ctx}.timeout: Input should be greater than or equal to 1"
                    ))
                }
                Some(n) if n > 600 => {
                    return Err(format!(
                        "{ctx}.timeout: Input should be less than or equal to 600"
                    ))
                }
                Some(n) => n as u64,
                None => return Err(format!("{ctx}.timeout: Input should be a valid integer")),
            },
        };
        out.push(HookDef {
            event,
            command,
            matcher,
            timeout,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_defaults_and_rejects_bad_entries() {
        let hooks = parse_hooks(Some(&json!([{"event": "Stop", "command": "true"}]))).unwrap();
        assert_eq!(hooks[0].timeout, DEFAULT_TIMEOUT);
        assert_eq!(hooks[0].matcher, "");
        assert!(parse_hooks(Some(&json!([{"event": "Nope", "command": "x"}]))).is_err());
        assert!(parse_hooks(Some(&json!([{"event": "Stop"}]))).is_err());
        assert!(parse_hooks(Some(
            &json!([{"event": "Stop", "command": "x", "timeout": 0}])
        ))
        .is_err());
        assert!(parse_hooks(None).unwrap().is_empty());
    }
}
