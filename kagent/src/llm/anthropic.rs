//! Anthropic Messages API streaming: provider type `anthropic`.
//!
//! Request: `POST {base_url}/v1/messages` (`x-api-key`, `anthropic-version: 2023-06-01`,
//! `anthropic-beta: interleaved-thinking-2025-05-14` unless adaptive thinking is on) with the
//! system prompt as one cached text block, tool results merged into one user message per
//! assistant turn, prompt-cache breakpoints on the last message block and the last tool,
//! `max_tokens` 50000 and `metadata.user_id` = the session id, as kimi-cli configures it.
//! Stream: `content_block_start`/`_delta` of `text`, `thinking` (+ `signature_delta`, kept as
//! the think part's `encrypted`), `redacted_thinking` and `tool_use` (+ `input_json_delta`)
//! become parts; usage comes from `message_start` and is updated by `message_delta`.

use std::collections::VecDeque;
use std::sync::Mutex;

use reqwest::header::HeaderMap;
use serde_json::{json, Map, Value};

use super::http::{HttpClient, Response};
use super::sse::{SseHandler, SseStream};
use super::{
    BoxFuture, ChatProvider, ChatProviderError, StreamedMessage, StreamedPart, ToolDefinition,
};
use kagent_base::message::{ContentPart, Message, Role, TokenUsage, ToolCall, ToolCallPart};

pub const API_VERSION: &str = "2023-06-01";
pub const DEFAULT_MAX_TOKENS: i64 = 50_000;
const INTERLEAVED_BETA: &str = "interleaved-thinking-2025-05-14";

pub struct Anthropic {
    model: String,
    url: String,
    http: HttpClient,
    headers: HeaderMap,
    thinking: Option<bool>,
    session_id: Mutex<Option<String>>,
}

/// `(major, minor)` of a Claude family model id (`claude-sonnet-4-6`, `opus-4.5`, ...).
fn family_version(model: &str) -> Option<(u32, u32)> {
    let m = model.to_lowercase();
    for family in ["opus", "sonnet", "haiku"] {
        let mut rest = m.as_str();
        while let Some(i) = rest.find(family) {
            let after = &rest[i + family.len()..];
            if let Some(v) = parse_version(after) {
                return Some(v);
            }
            rest = after;
        }
    }
    None
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let b = s.as_bytes();
    if b.first().is_none_or(|c| *c != b'.' && *c != b'-') {
        return None;
    }
    let mut i = 1;
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start || i >= b.len() || (b[i] != b'.' && b[i] != b'-') {
        return None;
    }
    let major: u32 = s[start..i].parse().ok()?;
    i += 1;
    let mstart = i;
    while i < b.len() && b[i].is_ascii_digit() && i - mstart < 2 {
        i += 1;
    }
    if i == mstart || (i < b.len() && b[i].is_ascii_digit()) {
        return None;
    }
    Some((major, s[mstart..i].parse().ok()?))
}

pub fn supports_adaptive_thinking(model: &str) -> bool {
    model.to_lowercase().contains("mythos") || family_version(model).is_some_and(|v| v >= (4, 6))
}

fn supports_effort_param(model: &str) -> bool {
    let m = model.to_lowercase();
    supports_adaptive_thinking(model) || m.contains("opus-4-5") || m.contains("opus-4.5")
}

impl Anthropic {
    pub fn new(
        model: &str,
        base_url: &str,
        http: HttpClient,
        headers: HeaderMap,
        thinking: Option<bool>,
    ) -> Self {
        Anthropic {
            model: model.to_string(),
            url: format!("{}/v1/messages", base_url.trim_end_matches('/')),
            http,
            headers,
            thinking,
            session_id: Mutex::new(None),
        }
    }

    fn adaptive(&self) -> bool {
        self.thinking == Some(true) && supports_adaptive_thinking(&self.model)
    }

    /// Extra request headers (the beta list).
    pub fn request_headers(&self) -> HeaderMap {
        let mut h = self.headers.clone();
        if !self.adaptive() {
            h.insert(
                "anthropic-beta",
                reqwest::header::HeaderValue::from_static(INTERLEAVED_BETA),
            );
        }
        h
    }

    pub fn request_body(
        &self,
        system_prompt: &str,
        tools: &[ToolDefinition],
        history: &[Message],
    ) -> Result<Value, ChatProviderError> {
        let mut messages: Vec<Value> = vec![];
        for m in history {
            let converted = convert_message(m)?;
            let merge = converted["role"] == "user"
                && messages
                    .last()
                    .is_some_and(|l| l["role"] == "user" && tool_result_only(&l["content"]))
                && tool_result_only(&converted["content"]);
            if merge {
                if let (Some(Value::Array(prev)), Value::Array(new)) = (
                    messages.last_mut().and_then(|l| l.get_mut("content")),
                    &converted["content"],
                ) {
                    prev.extend(new.iter().cloned());
                }
            } else {
                messages.push(converted);
            }
        }
        if let Some(Value::Array(blocks)) = messages.last_mut().and_then(|l| l.get_mut("content")) {
            if let Some(Value::Object(last)) = blocks.last_mut() {
                let cacheable = matches!(
                    last.get("type").and_then(Value::as_str),
                    Some(
                        "text"
                            | "image"
                            | "document"
                            | "search_result"
                            | "tool_use"
                            | "tool_result"
                            | "server_tool_use"
                            | "web_search_tool_result"
                    )
                );
                if cacheable {
                    last.insert("cache_control".into(), json!({"type": "ephemeral"}));
                }
            }
        }
        let mut tools_json: Vec<Value> = tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
        if let Some(Value::Object(last)) = tools_json.last_mut() {
            last.insert("cache_control".into(), json!({"type": "ephemeral"}));
        }
        let mut body = Map::new();
        body.insert("max_tokens".into(), json!(DEFAULT_MAX_TOKENS));
        body.insert("messages".into(), Value::Array(messages));
        body.insert("model".into(), json!(self.model));
        if let Some(id) = kagent_base::sync::lock(&self.session_id).clone() {
            body.insert("metadata".into(), json!({"user_id": id}));
        }
        if !system_prompt.is_empty() {
            body.insert(
                "system".into(),
                json!([{"type": "text", "text": system_prompt, "cache_control": {"type": "ephemeral"}}]),
            );
        }
        match self.thinking {
            Some(false) => {
                body.insert("thinking".into(), json!({"type": "disabled"}));
            }
            Some(true) if self.adaptive() => {
                body.insert(
                    "thinking".into(),
                    json!({"type": "adaptive", "display": "summarized"}),
                );
                body.insert("output_config".into(), json!({"effort": "high"}));
            }
            Some(true) => {
                body.insert(
                    "thinking".into(),
                    json!({"type": "enabled", "budget_tokens": 32_000}),
                );
                if supports_effort_param(&self.model) {
                    body.insert("output_config".into(), json!({"effort": "high"}));
                }
            }
            None => {}
        }
        body.insert("tools".into(), Value::Array(tools_json));
        body.insert("stream".into(), json!(true));
        Ok(Value::Object(body))
    }
}

fn tool_result_only(content: &Value) -> bool {
    content.as_array().is_some_and(|blocks| {
        !blocks.is_empty() && blocks.iter().all(|b| b["type"] == "tool_result")
    })
}

fn image_block(url: &str) -> Result<Value, ChatProviderError> {
    if let Some(rest) = url.strip_prefix("data:") {
        let Some((media_type, data)) = rest.split_once(";base64,") else {
            return Err(ChatProviderError::Other(
                crate::config::profile::active()
                    .message_with("provider.anthropic.bad_image_url", &[("{url}", url)]),
            ));
        };
        if !matches!(
            media_type,
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        ) {
            return Err(ChatProviderError::Other(
                crate::config::profile::active().message_with(
                    "provider.anthropic.bad_image_type",
                    &[("{media_type}", media_type), ("{url}", url)],
                ),
            ));
        }
        return Ok(
            json!({"type": "image", "source": {"type": "base64", "data": data, "media_type": media_type}}),
        );
    }
    Ok(json!({"type": "image", "source": {"type": "url", "url": url}}))
}

fn convert_message(m: &Message) -> Result<Value, ChatProviderError> {
    match m.role {
        Role::System => Ok(json!({
            "role": "user",
            "content": [{"type": "text", "text": format!("<system>{}</system>", m.extract_text("\n"))}],
        })),
        Role::Tool => {
            let Some(id) = &m.tool_call_id else {
                return Err(ChatProviderError::Other(
                    "Tool message missing `tool_call_id`.".into(),
                ));
            };
            let mut blocks = vec![];
            for p in &m.content {
                match p {
                    ContentPart::Text(t) if t.is_empty() => {}
                    ContentPart::Text(t) => blocks.push(json!({"type": "text", "text": t})),
                    ContentPart::ImageUrl(u) => blocks.push(image_block(&u.url)?),
                    other => {
                        let kind = match other {
                            ContentPart::Think { .. } => "ThinkPart",
                            ContentPart::AudioUrl(_) => "AudioURLPart",
                            _ => "VideoURLPart",
                        };
                        return Err(ChatProviderError::Other(format!(
                            "Anthropic API does not support <class 'kosong.message.{kind}'> in tool result"
                        )));
                    }
                }
            }
            Ok(json!({
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": id, "content": blocks}],
            }))
        }
        Role::User | Role::Assistant => {
            let mut blocks = vec![];
            for p in &m.content {
                match p {
                    ContentPart::Text(t) => blocks.push(json!({"type": "text", "text": t})),
                    ContentPart::ImageUrl(u) => blocks.push(image_block(&u.url)?),
                    ContentPart::Think {
                        think,
                        encrypted: Some(sig),
                    } => blocks
                        .push(json!({"type": "thinking", "thinking": think, "signature": sig})),
                    _ => {}
                }
            }
            for c in m.tool_calls.iter().flatten() {
                let input = match c.arguments.as_deref().filter(|a| !a.is_empty()) {
                    None => json!({}),
                    Some(a) => match serde_json::from_str::<Value>(a) {
                        Ok(v @ Value::Object(_)) => v,
                        Ok(_) => {
                            return Err(ChatProviderError::Other(
                                "Tool call arguments must be a JSON object.".into(),
                            ))
                        }
                        Err(_) => {
                            return Err(ChatProviderError::Other(
                                "Tool call arguments must be valid JSON.".into(),
                            ))
                        }
                    },
                };
                blocks
                    .push(json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}));
            }
            Ok(json!({"role": m.role.as_str(), "content": blocks}))
        }
    }
}

impl ChatProvider for Anthropic {
    fn name(&self) -> &str {
        "anthropic"
    }

    fn model_name(&self) -> &str {
        &self.model
    }

    fn bind_session(&self, session_id: &str) {
        *kagent_base::sync::lock(&self.session_id) = Some(session_id.into());
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
            let body = self.request_body(system_prompt, tools, history)?;
            let resp = self
                .http
                .post_json(&self.url, &self.request_headers(), &body)
                .await?;
            Ok(Box::new(EventStream::new(resp)) as Box<dyn StreamedMessage>)
        })
    }
}

/// The parts of a Messages API event stream.
pub struct EventStream {
    queue: VecDeque<StreamedPart>,
    id: Option<String>,
    usage: TokenUsage,
}

impl EventStream {
    fn new(resp: Response) -> SseStream<Self> {
        SseStream::new(
            resp,
            EventStream {
                queue: VecDeque::new(),
                id: None,
                usage: TokenUsage::default(),
            },
        )
    }

    fn handle(&mut self, ev: &Value) -> Result<(), ChatProviderError> {
        let str_of =
            |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let think = |t: String, e: Option<String>| {
            StreamedPart::Content(ContentPart::Think {
                think: t,
                encrypted: e,
            })
        };
        match ev.get("type").and_then(Value::as_str).unwrap_or("") {
            "message_start" => {
                let msg = &ev["message"];
                self.id = msg.get("id").and_then(Value::as_str).map(str::to_owned);
                let u = &msg["usage"];
                let n = |k: &str| u.get(k).and_then(Value::as_i64).unwrap_or(0);
                self.usage = TokenUsage {
                    input_other: n("input_tokens"),
                    output: n("output_tokens"),
                    input_cache_read: n("cache_read_input_tokens"),
                    input_cache_creation: n("cache_creation_input_tokens"),
                };
            }
            "content_block_start" => {
                let b = &ev["content_block"];
                match b.get("type").and_then(Value::as_str).unwrap_or("") {
                    "text" => self
                        .queue
                        .push_back(StreamedPart::Content(ContentPart::Text(str_of(b, "text")))),
                    "thinking" => self.queue.push_back(think(str_of(b, "thinking"), None)),
                    "redacted_thinking" => self
                        .queue
                        .push_back(think(String::new(), Some(str_of(b, "data")))),
                    "tool_use" => self.queue.push_back(StreamedPart::ToolCall(ToolCall {
                        id: str_of(b, "id"),
                        name: str_of(b, "name"),
                        arguments: Some(String::new()),
                        extras: None,
                    })),
                    _ => {}
                }
            }
            "content_block_delta" => {
                let d = &ev["delta"];
                match d.get("type").and_then(Value::as_str).unwrap_or("") {
                    "text_delta" => self
                        .queue
                        .push_back(StreamedPart::Content(ContentPart::Text(str_of(d, "text")))),
                    "thinking_delta" => self.queue.push_back(think(str_of(d, "thinking"), None)),
                    "input_json_delta" => {
                        self.queue
                            .push_back(StreamedPart::ToolCallPart(ToolCallPart {
                                arguments_part: Some(str_of(d, "partial_json")),
                            }))
                    }
                    "signature_delta" => self
                        .queue
                        .push_back(think(String::new(), Some(str_of(d, "signature")))),
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(u) = ev.get("usage").filter(|u| u.is_object()) {
                    let n = |k: &str| u.get(k).and_then(Value::as_i64);
                    if let Some(v) = n("cache_creation_input_tokens") {
                        self.usage.input_cache_creation = v;
                    }
                    if let Some(v) = n("cache_read_input_tokens") {
                        self.usage.input_cache_read = v;
                    }
                    if let Some(v) = n("input_tokens") {
                        self.usage.input_other = v;
                    }
                    if let Some(v) = n("output_tokens") {
                        self.usage.output = v;
                    }
                }
            }
            "error" => {
                let msg = ev["error"]
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| ev.to_string());
                let kind = ev["error"]
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                return Err(match kind {
                    "overloaded_error" => ChatProviderError::Status {
                        status_code: 529,
                        message: msg,
                    },
                    "api_error" => ChatProviderError::Status {
                        status_code: 500,
                        message: msg,
                    },
                    _ => ChatProviderError::Other(format!("Anthropic error: {msg}")),
                });
            }
            _ => {}
        }
        Ok(())
    }
}

impl SseHandler for EventStream {
    fn on_event(&mut self, event: &Value) -> Result<bool, ChatProviderError> {
        self.handle(event)?;
        Ok(event.get("type").and_then(Value::as_str) == Some("message_stop"))
    }
    fn parts(&mut self) -> &mut VecDeque<StreamedPart> {
        &mut self.queue
    }
    fn id(&self) -> Option<String> {
        self.id.clone()
    }
    fn usage(&self) -> Option<TokenUsage> {
        Some(self.usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_thinking_models() {
        assert!(supports_adaptive_thinking("claude-sonnet-4-6"));
        assert!(supports_adaptive_thinking("claude-opus-4.7"));
        assert!(supports_adaptive_thinking("claude-mythos-preview"));
        assert!(!supports_adaptive_thinking("claude-sonnet-4-5"));
        assert!(!supports_adaptive_thinking("claude-sonnet-4-20250514"));
        assert!(!supports_adaptive_thinking("claude-3-5-haiku"));
        assert!(supports_effort_param("claude-opus-4-5"));
    }

    #[test]
    fn tool_results_merge_and_cache_breakpoints() {
        let http = HttpClient::new(HeaderMap::new()).unwrap();
        let p = Anthropic::new(
            "claude-x",
            "http://127.0.0.1:1",
            http,
            HeaderMap::new(),
            Some(false),
        );
        let mut asst = Message::new(Role::Assistant, vec![ContentPart::text("ok")]);
        asst.tool_calls = Some(vec![
            ToolCall {
                id: "a".into(),
                name: "t".into(),
                arguments: Some("{\"q\":1}".into()),
                extras: None,
            },
            ToolCall {
                id: "b".into(),
                name: "t".into(),
                arguments: None,
                extras: None,
            },
        ]);
        let mut r1 = Message::new(Role::Tool, vec![ContentPart::text("one")]);
        r1.tool_call_id = Some("a".into());
        let mut r2 = Message::new(Role::Tool, vec![ContentPart::text("two")]);
        r2.tool_call_id = Some("b".into());
        let user = Message::new(Role::User, vec![ContentPart::text("hi")]);
        let tools = [ToolDefinition {
            name: "t".into(),
            description: "d".into(),
            parameters: json!({"type": "object"}),
        }];
        let body = p
            .request_body("sys", &tools, &[user, asst, r1, r2])
            .unwrap();
        let msgs = body["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[1]["content"][1]["input"], json!({"q": 1}));
        assert_eq!(msgs[1]["content"][2]["input"], json!({}));
        let results = msgs[2]["content"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[1]["cache_control"], json!({"type": "ephemeral"}));
        assert!(results[0].get("cache_control").is_none());
        assert_eq!(
            body["tools"][0]["cache_control"],
            json!({"type": "ephemeral"})
        );
        assert_eq!(body["thinking"], json!({"type": "disabled"}));
        assert_eq!(body["system"][0]["text"], "sys");
    }
}
