//! Request token estimates and the Kimi completion-token cap (kimi-cli's
//! `estimate_request_tokens` / `compute_max_completion_tokens`).

use serde_json::Value;

use super::ToolDefinition;
use kagent_base::message::{ContentPart, Message};
use kagent_base::py::json as pyjson;

/// Head-room kept below the context window when clamping the completion budget.
pub const COMPLETION_SAFETY_MARGIN: i64 = 1024;

/// ASCII characters count a quarter token each (rounded up), others one token each.
pub fn text_tokens(text: &str) -> i64 {
    let (mut ascii, mut other) = (0i64, 0i64);
    for c in text.chars() {
        if c.is_ascii() {
            ascii += 1;
        } else {
            other += 1;
        }
    }
    (ascii + 3) / 4 + other
}

fn tool_tokens(tool: &ToolDefinition) -> i64 {
    text_tokens(&tool.name)
        + text_tokens(&tool.description)
        + text_tokens(&pyjson::compact(&tool.parameters))
}

fn message_tokens(m: &Message) -> i64 {
    let mut total = text_tokens(m.role.as_str());
    if let Some(n) = m.name.as_deref().filter(|n| !n.is_empty()) {
        total += text_tokens(n);
    }
    if let Some(id) = m.tool_call_id.as_deref().filter(|n| !n.is_empty()) {
        total += text_tokens(id);
    }
    for p in &m.content {
        total += match p {
            ContentPart::Text(t) => text_tokens(t),
            ContentPart::Think { think, .. } => text_tokens(think),
            ContentPart::ImageUrl(_) | ContentPart::AudioUrl(_) | ContentPart::VideoUrl(_) => 2000,
        };
    }
    for c in m.tool_calls.iter().flatten() {
        total += text_tokens(&c.id)
            + text_tokens(&c.name)
            + text_tokens(c.arguments.as_deref().unwrap_or(""));
        if let Some(e) = c.extras.as_ref().filter(|e| !e.is_empty()) {
            total += text_tokens(&pyjson::compact(&Value::Object(e.clone())));
        }
    }
    total
}

/// Everything token-bearing in a request: system prompt, tool schemas, messages.
pub fn request_tokens(system_prompt: &str, tools: &[ToolDefinition], history: &[Message]) -> i64 {
    text_tokens(system_prompt)
        + tools.iter().map(tool_tokens).sum::<i64>()
        + history.iter().map(message_tokens).sum::<i64>()
}

/// The completion cap: the configured budget (or the whole window) clamped to what is left
/// of the context window after the input.
pub fn max_completion_tokens(
    max_context_size: i64,
    input_tokens: i64,
    budget: Option<i64>,
    fallback: i64,
) -> i64 {
    if max_context_size <= 0 {
        return budget.unwrap_or(fallback).max(1);
    }
    let remaining = (max_context_size - input_tokens.max(0)).max(1);
    budget.unwrap_or(max_context_size).min(remaining).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kagent_base::message::Role;

    #[test]
    fn estimates_like_kimi_cli() {
        assert_eq!(text_tokens(""), 0);
        assert_eq!(text_tokens("abcd"), 1);
        assert_eq!(text_tokens("abcde"), 2);
        assert_eq!(text_tokens("héllo"), 1 + 1);
        let m = Message::new(Role::User, vec![ContentPart::text("hi")]);
        // "user" (1) + "hi" (1)
        assert_eq!(request_tokens("", &[], &[m]), 2);
    }

    #[test]
    fn completion_cap() {
        assert_eq!(max_completion_tokens(100_000, 1_100, None, 50_000), 98_900);
        assert_eq!(
            max_completion_tokens(100_000, 1_100, Some(4096), 50_000),
            4096
        );
        assert_eq!(max_completion_tokens(1_000, 5_000, None, 50_000), 1);
        assert_eq!(max_completion_tokens(0, 5_000, None, 50_000), 50_000);
    }
}
