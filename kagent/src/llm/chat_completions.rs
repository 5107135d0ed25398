//! OpenAI-compatible chat completions over SSE: provider types `kimi` and `openai_legacy`.
//!
//! Request: `POST {base_url}/chat/completions` with `stream: true` and
//! `stream_options.include_usage`, the system prompt as a `system` message, history messages
//! in kosong's dump shape (think parts moved to `reasoning_content`), tools as `function`s.
//! Response chunks become parts: `reasoning_content` → think, `content` → text,
//! `tool_calls[].function.name` → a new tool call, later argument deltas → tool call parts.
//!
//! The two flavours differ only where kimi-cli's providers differ:
//! - `kimi`: `thinking: {type: enabled|disabled}`, `prompt_cache_key` (the session id),
//!   `max_completion_tokens` clamped to the context window, tool schemas with explicit
//!   property types, `$builtin` tools, usage also inside `choices[0]` with `cached_tokens`,
//!   an empty `reasoning_content` still counts as a think part.
//! - `openai_legacy`: `reasoning_effort` (`null` when thinking is off), usage only at the top.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use reqwest::header::HeaderMap;
use serde_json::{json, Map, Value};

use super::http::{HttpClient, Response};
use super::sse::{SseHandler, SseStream};
use super::{
    estimate, BoxFuture, ChatProvider, ChatProviderError, StreamedMessage, StreamedPart,
    ToolDefinition,
};
use kagent_base::message::{ContentPart, Message, Role, TokenUsage, ToolCall, ToolCallPart};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Kimi,
    OpenAiLegacy,
}

/// Kimi-only request settings.
#[derive(Debug, Clone, Default)]
pub struct KimiSettings {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// `Some(None)`: clamping disabled (an explicit budget <= 0); `None`: the window decides.
    pub max_completion_tokens: Option<Option<i64>>,
    /// `extra_body.thinking.keep`
    pub thinking_keep: Option<String>,
    pub max_context_size: i64,
    pub reserved_context_size: i64,
}

pub struct ChatCompletions {
    flavor: Flavor,
    model: String,
    url: String,
    http: HttpClient,
    headers: HeaderMap,
    /// Thinking: `None` leaves the provider default, `Some(true/false)` switches it.
    thinking: Option<bool>,
    /// `openai_legacy`: the message field carrying reasoning (`reasoning_content`).
    reasoning_key: Option<String>,
    kimi: KimiSettings,
    session_id: Mutex<Option<String>>,
    context_tokens: AtomicI64,
}

impl ChatCompletions {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        flavor: Flavor,
        model: &str,
        base_url: &str,
        http: HttpClient,
        headers: HeaderMap,
        thinking: Option<bool>,
        reasoning_key: Option<String>,
        kimi: KimiSettings,
    ) -> Self {
        ChatCompletions {
            flavor,
            model: model.to_string(),
            url: format!("{}/chat/completions", base_url.trim_end_matches('/')),
            http,
            headers,
            thinking,
            reasoning_key,
            kimi,
            session_id: Mutex::new(None),
            context_tokens: AtomicI64::new(0),
        }
    }

    fn reasoning_key(&self) -> Option<&str> {
        match self.flavor {
            Flavor::Kimi => Some("reasoning_content"),
            Flavor::OpenAiLegacy => self.reasoning_key.as_deref().filter(|k| !k.is_empty()),
        }
    }

    /// The request body for one call.
    pub fn request_body(
        &self,
        system_prompt: &str,
        tools: &[ToolDefinition],
        history: &[Message],
    ) -> Value {
        let mut messages = vec![];
        if !system_prompt.is_empty() {
            messages.push(json!({"role": "system", "content": system_prompt}));
        }
        messages.extend(history.iter().map(|m| self.convert_message(m)));
        let converted_tools: Vec<Value> = tools.iter().map(|t| self.convert_tool(t)).collect();
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert("messages".into(), Value::Array(messages));
        body.insert("tools".into(), Value::Array(converted_tools));
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
        match self.flavor {
            Flavor::OpenAiLegacy => {
                let effort = match self.thinking {
                    Some(true) => Some(json!("high")),
                    Some(false) => Some(Value::Null),
                    None => {
                        let has_think = history.iter().any(|m| {
                            m.content
                                .iter()
                                .any(|p| matches!(p, ContentPart::Think { .. }))
                        });
                        (has_think && self.reasoning_key().is_some()).then(|| json!("medium"))
                    }
                };
                if let Some(e) = effort {
                    body.insert("reasoning_effort".into(), e);
                }
            }
            Flavor::Kimi => {
                let k = &self.kimi;
                if let Some(id) = kagent_base::sync::lock(&self.session_id).clone() {
                    body.insert("prompt_cache_key".into(), json!(id));
                }
                if let Some(t) = k.temperature {
                    body.insert("temperature".into(), json!(t));
                }
                if let Some(p) = k.top_p {
                    body.insert("top_p".into(), json!(p));
                }
                if let Some(cap) = self.completion_cap(system_prompt, tools, history) {
                    body.insert("max_completion_tokens".into(), json!(cap));
                }
                if let Some(on) = self.thinking {
                    let mut thinking = Map::new();
                    thinking.insert(
                        "type".into(),
                        json!(if on { "enabled" } else { "disabled" }),
                    );
                    if on {
                        if let Some(keep) = k.thinking_keep.as_deref().filter(|s| !s.is_empty()) {
                            thinking.insert("keep".into(), json!(keep));
                        }
                    }
                    body.insert("thinking".into(), Value::Object(thinking));
                }
            }
        }
        Value::Object(body)
    }

    fn completion_cap(
        &self,
        system_prompt: &str,
        tools: &[ToolDefinition],
        history: &[Message],
    ) -> Option<i64> {
        let k = &self.kimi;
        let budget = match k.max_completion_tokens {
            Some(None) => return None,
            Some(Some(b)) => Some(b),
            None => None,
        };
        let estimated = estimate::request_tokens(system_prompt, tools, history);
        let mut input = estimated.max(self.context_tokens.load(Ordering::Relaxed));
        if k.max_context_size > 0 {
            input += estimate::COMPLETION_SAFETY_MARGIN;
        }
        Some(estimate::max_completion_tokens(
            k.max_context_size,
            input,
            budget,
            k.reserved_context_size,
        ))
    }

    fn convert_message(&self, m: &Message) -> Value {
        let mut reasoning = String::new();
        let mut has_reasoning = false;
        let mut copy = m.clone();
        copy.content = m
            .content
            .iter()
            .filter(|p| match p {
                ContentPart::Think { think, .. } => {
                    has_reasoning = true;
                    reasoning.push_str(think);
                    false
                }
                _ => true,
            })
            .cloned()
            .collect();
        let mut v = copy.to_json();
        if let Value::Object(obj) = &mut v {
            if self.flavor == Flavor::Kimi
                && m.role == Role::Assistant
                && m.tool_calls.as_ref().is_some_and(|c| !c.is_empty())
                && copy
                    .content
                    .iter()
                    .all(|p| matches!(p, ContentPart::Text(t) if t.trim().is_empty()))
            {
                obj.remove("content");
            }
            if has_reasoning {
                if let Some(key) = self.reasoning_key() {
                    obj.insert(key.to_string(), json!(reasoning));
                }
            }
        }
        v
    }

    fn convert_tool(&self, t: &ToolDefinition) -> Value {
        if self.flavor == Flavor::Kimi && t.name.starts_with('$') {
            return json!({"type": "builtin_function", "function": {"name": t.name}});
        }
        let params = if self.flavor == Flavor::Kimi {
            ensure_property_types(&t.parameters)
        } else {
            t.parameters.clone()
        };
        json!({
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": params},
        })
    }
}

/// Kimi rejects property schemas without `type`: fill one in (from `enum`/`const` values or
/// structural keywords, else `string`), leaving combinator nodes alone.
pub fn ensure_property_types(schema: &Value) -> Value {
    let mut out = schema.clone();
    recurse_schema(&mut out);
    out
}

fn recurse_schema(node: &mut Value) {
    let Value::Object(obj) = node else { return };
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for v in props.values_mut() {
            normalize_property(v);
        }
    }
    match obj.get_mut("items") {
        Some(v @ Value::Object(_)) => normalize_property(v),
        Some(Value::Array(items)) => items.iter_mut().for_each(normalize_property),
        _ => {}
    }
    if let Some(v @ Value::Object(_)) = obj.get_mut("additionalProperties") {
        normalize_property(v);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = obj.get_mut(key) {
            branches.iter_mut().for_each(normalize_property);
        }
    }
}

const COMBINATORS: [&str; 8] = [
    "anyOf", "oneOf", "allOf", "not", "if", "then", "else", "$ref",
];

fn normalize_property(node: &mut Value) {
    let Value::Object(obj) = node else { return };
    if !obj.contains_key("type") && !COMBINATORS.iter().any(|k| obj.contains_key(*k)) {
        let ty = match (obj.get("enum"), obj.get("const")) {
            (Some(Value::Array(vals)), _) if !vals.is_empty() => type_of_values(vals),
            (_, Some(c)) => type_of_values(std::slice::from_ref(c)),
            _ => type_of_structure(obj),
        };
        obj.insert("type".into(), ty);
    }
    recurse_schema(node);
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_of_values(vals: &[Value]) -> Value {
    let mut types: Vec<&str> = Vec::new();
    for v in vals {
        let t = json_type(v);
        if !types.contains(&t) {
            types.push(t);
        }
    }
    match types.as_slice() {
        [one] => json!(one),
        ["integer", "number"] | ["number", "integer"] => json!("number"),
        _ => json!("string"),
    }
}

fn type_of_structure(obj: &Map<String, Value>) -> Value {
    let has = |keys: &[&str]| keys.iter().any(|k| obj.contains_key(*k));
    if has(&[
        "properties",
        "additionalProperties",
        "patternProperties",
        "propertyNames",
        "required",
        "minProperties",
        "maxProperties",
    ]) {
        json!("object")
    } else if has(&[
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
    ]) {
        json!("array")
    } else if has(&["minLength", "maxLength", "pattern", "format"]) {
        json!("string")
    } else if has(&[
        "minimum",
        "maximum",
        "multipleOf",
        "exclusiveMinimum",
        "exclusiveMaximum",
    ]) {
        json!("number")
    } else {
        json!("string")
    }
}

impl ChatProvider for ChatCompletions {
    fn name(&self) -> &str {
        match self.flavor {
            Flavor::Kimi => "kimi",
            Flavor::OpenAiLegacy => "openai",
        }
    }

    fn model_name(&self) -> &str {
        &self.model
    }

    fn bind_session(&self, session_id: &str) {
        *kagent_base::sync::lock(&self.session_id) = Some(session_id.into());
    }

    fn set_context_tokens(&self, tokens: i64) {
        self.context_tokens.store(tokens, Ordering::Relaxed);
    }

    fn recovers_connections(&self) -> bool {
        true
    }

    fn generate<'a>(
        &'a self,
        system_prompt: &'a str,
        tools: &'a [ToolDefinition],
        history: &'a [Message],
    ) -> BoxFuture<'a, Result<Box<dyn StreamedMessage>, ChatProviderError>> {
        Box::pin(async move {
            let body = self.request_body(system_prompt, tools, history);
            let resp = self.http.post_json(&self.url, &self.headers, &body).await?;
            Ok(Box::new(ChunkStream::new(
                resp,
                self.flavor,
                self.reasoning_key().map(str::to_owned),
            )) as Box<dyn StreamedMessage>)
        })
    }
}

/// The parts of a chat-completions SSE stream.
pub struct ChunkStream {
    flavor: Flavor,
    reasoning_key: Option<String>,
    queue: VecDeque<StreamedPart>,
    id: Option<String>,
    usage: Option<TokenUsage>,
}

impl ChunkStream {
    fn new(resp: Response, flavor: Flavor, reasoning_key: Option<String>) -> SseStream<Self> {
        SseStream::new(
            resp,
            ChunkStream {
                flavor,
                reasoning_key,
                queue: VecDeque::new(),
                id: None,
                usage: None,
            },
        )
    }

    fn handle_chunk(&mut self, chunk: &Value) -> Result<(), ChatProviderError> {
        if let Some(err) = chunk.get("error").filter(|e| !e.is_null()) {
            let msg = err
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| err.to_string());
            return Err(ChatProviderError::Other(format!("Error: {msg}")));
        }
        if let Some(id) = chunk
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            self.id = Some(id.to_string());
        }
        let choice = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first());
        let usage = chunk.get("usage").filter(|u| u.is_object()).or_else(|| {
            if self.flavor == Flavor::Kimi {
                choice
                    .and_then(|c| c.get("usage"))
                    .filter(|u| u.is_object())
            } else {
                None
            }
        });
        if let Some(u) = usage {
            self.usage = Some(self.convert_usage(u));
        }
        let Some(delta) = choice.and_then(|c| c.get("delta")) else {
            return Ok(());
        };
        if let Some(key) = &self.reasoning_key {
            if let Some(Value::String(r)) = delta.get(key.as_str()) {
                if self.flavor == Flavor::Kimi || !r.is_empty() {
                    self.queue
                        .push_back(StreamedPart::Content(ContentPart::Think {
                            think: r.clone(),
                            encrypted: None,
                        }));
                }
            }
        }
        if let Some(Value::String(t)) = delta.get("content") {
            if !t.is_empty() {
                self.queue
                    .push_back(StreamedPart::Content(ContentPart::Text(t.clone())));
            }
        }
        for call in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(function) = call.get("function").filter(|f| f.is_object()) else {
                continue;
            };
            let name = function.get("name").and_then(Value::as_str).unwrap_or("");
            let args = function.get("arguments").and_then(Value::as_str);
            if !name.is_empty() {
                let id = call
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                self.queue.push_back(StreamedPart::ToolCall(ToolCall {
                    id,
                    name: name.to_string(),
                    arguments: args.map(str::to_owned),
                    extras: None,
                }));
            } else if let Some(a) = args.filter(|a| !a.is_empty()) {
                self.queue
                    .push_back(StreamedPart::ToolCallPart(ToolCallPart {
                        arguments_part: Some(a.to_string()),
                    }));
            }
        }
        Ok(())
    }

    fn convert_usage(&self, u: &Value) -> TokenUsage {
        let int = |v: Option<&Value>| v.and_then(Value::as_i64).unwrap_or(0);
        let prompt = int(u.get("prompt_tokens"));
        let output = int(u.get("completion_tokens"));
        let cached = if self.flavor == Flavor::Kimi && u.get("cached_tokens").is_some() {
            int(u.get("cached_tokens"))
        } else {
            int(u
                .get("prompt_tokens_details")
                .and_then(|d| d.get("cached_tokens")))
        };
        TokenUsage {
            input_other: prompt - cached,
            output,
            input_cache_read: cached,
            input_cache_creation: 0,
        }
    }
}

impl SseHandler for ChunkStream {
    fn on_event(&mut self, event: &Value) -> Result<bool, ChatProviderError> {
        self.handle_chunk(event).map(|()| false)
    }
    fn parts(&mut self) -> &mut VecDeque<StreamedPart> {
        &mut self.queue
    }
    fn id(&self) -> Option<String> {
        self.id.clone()
    }
    fn usage(&self) -> Option<TokenUsage> {
        self.usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_types_are_filled_in() {
        let schema = json!({
            "type": "object",
            "properties": {
                "mode": {"enum": ["a", "b"]},
                "n": {"minimum": 1},
                "list": {"items": {"const": 3}},
                "any": {"anyOf": [{"type": "string"}, {}]},
                "typed": {"type": "boolean"},
            }
        });
        let out = ensure_property_types(&schema);
        assert_eq!(out["properties"]["mode"]["type"], "string");
        assert_eq!(out["properties"]["n"]["type"], "number");
        assert_eq!(out["properties"]["list"]["type"], "array");
        assert_eq!(out["properties"]["list"]["items"]["type"], "integer");
        assert!(out["properties"]["any"].get("type").is_none());
        assert_eq!(out["properties"]["any"]["anyOf"][1]["type"], "string");
        assert_eq!(out["properties"]["typed"]["type"], "boolean");
    }
}
