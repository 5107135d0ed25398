//! Conversation data model (kosong's `Message`, content parts, tool calls, usage) with
//! JSON conversions in the exact shapes the Python kernel reads and writes.

use serde_json::{json, Map, Value};

/// Why a JSON value could not be read as one of our types.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct ShapeError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ShapeError> {
    Err(ShapeError(msg.into()))
}

/// A URL-carrying media part (`image_url`, `audio_url`, `video_url`).
#[derive(Debug, Clone, PartialEq)]
pub struct MediaUrl {
    pub url: String,
    pub id: Option<String>,
}

/// One part of a message's content.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    Text(String),
    Think {
        think: String,
        encrypted: Option<String>,
    },
    ImageUrl(MediaUrl),
    AudioUrl(MediaUrl),
    VideoUrl(MediaUrl),
}

impl ContentPart {
    pub fn text(s: impl Into<String>) -> Self {
        ContentPart::Text(s.into())
    }

    /// Full pydantic `model_dump()` shape (nulls kept), as used on the wire and in context.
    pub fn to_json(&self) -> Value {
        match self {
            ContentPart::Text(t) => json!({"type": "text", "text": t}),
            ContentPart::Think { think, encrypted } => {
                json!({"type": "think", "think": think, "encrypted": encrypted})
            }
            ContentPart::ImageUrl(m) => {
                json!({"type": "image_url", "image_url": {"url": m.url, "id": m.id}})
            }
            ContentPart::AudioUrl(m) => {
                json!({"type": "audio_url", "audio_url": {"url": m.url, "id": m.id}})
            }
            ContentPart::VideoUrl(m) => {
                json!({"type": "video_url", "video_url": {"url": m.url, "id": m.id}})
            }
        }
    }

    pub fn from_json(v: &Value) -> Result<Self, ShapeError> {
        let obj = match v.as_object() {
            Some(o) => o,
            None => return err("content part must be an object"),
        };
        let kind = match obj.get("type").and_then(Value::as_str) {
            Some(k) => k,
            None => return err("content part needs a string `type`"),
        };
        let str_field = |name: &str| -> Result<String, ShapeError> {
            match obj.get(name) {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => err(format!("content part `{kind}` needs a string `{name}`")),
            }
        };
        let media = |name: &str| -> Result<MediaUrl, ShapeError> {
            let inner = match obj.get(name).and_then(Value::as_object) {
                Some(i) => i,
                None => return err(format!("content part `{kind}` needs an object `{name}`")),
            };
            let url = match inner.get("url") {
                Some(Value::String(s)) => s.clone(),
                _ => return err(format!("`{name}.url` must be a string")),
            };
            let id = match inner.get("id") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                _ => return err(format!("`{name}.id` must be a string or null")),
            };
            Ok(MediaUrl { url, id })
        };
        Ok(match kind {
            "text" => ContentPart::Text(str_field("text")?),
            "think" => ContentPart::Think {
                think: str_field("think")?,
                encrypted: match obj.get("encrypted") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    _ => return err("`encrypted` must be a string or null"),
                },
            },
            "image_url" => ContentPart::ImageUrl(media("image_url")?),
            "audio_url" => ContentPart::AudioUrl(media("audio_url")?),
            "video_url" => ContentPart::VideoUrl(media("video_url")?),
            other => return err(format!("unknown content part type `{other}`")),
        })
    }

    /// kosong's `merge_in_place`: text+text and think+think (unless already signed).
    pub fn merge(&mut self, other: &ContentPart) -> bool {
        match (self, other) {
            (ContentPart::Text(a), ContentPart::Text(b)) => {
                a.push_str(b);
                true
            }
            (
                ContentPart::Think { think, encrypted },
                ContentPart::Think {
                    think: t2,
                    encrypted: e2,
                },
            ) => {
                if encrypted.as_deref().is_some_and(|e| !e.is_empty()) {
                    return false;
                }
                think.push_str(t2);
                if e2.as_deref().is_some_and(|e| !e.is_empty()) {
                    *encrypted = e2.clone();
                }
                true
            }
            _ => false,
        }
    }
}

/// User input as given to `prompt`/`steer`: a plain string or a list of parts.
#[derive(Debug, Clone, PartialEq)]
pub enum UserInput {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl UserInput {
    pub fn to_json(&self) -> Value {
        match self {
            UserInput::Text(s) => Value::String(s.clone()),
            UserInput::Parts(p) => Value::Array(p.iter().map(ContentPart::to_json).collect()),
        }
    }

    pub fn from_json(v: &Value) -> Result<Self, ShapeError> {
        match v {
            Value::String(s) => Ok(UserInput::Text(s.clone())),
            Value::Array(items) => Ok(UserInput::Parts(
                items
                    .iter()
                    .map(ContentPart::from_json)
                    .collect::<Result<_, _>>()?,
            )),
            _ => err("user_input must be a string or a list of content parts"),
        }
    }

    pub fn into_parts(self) -> Vec<ContentPart> {
        match self {
            UserInput::Text(s) => vec![ContentPart::Text(s)],
            UserInput::Parts(p) => p,
        }
    }

    /// Text parts joined by `sep` (kosong's `Message.extract_text`).
    pub fn extract_text(&self, sep: &str) -> String {
        match self {
            UserInput::Text(s) => s.clone(),
            UserInput::Parts(p) => extract_text(p, sep),
        }
    }
}

pub fn extract_text(parts: &[ContentPart], sep: &str) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            ContentPart::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// A tool call requested by the assistant.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Option<String>,
    pub extras: Option<Map<String, Value>>,
}

impl ToolCall {
    /// Wire shape (nulls kept).
    pub fn to_json(&self) -> Value {
        json!({
            "type": "function",
            "id": self.id,
            "function": {"name": self.name, "arguments": self.arguments},
            "extras": self.extras,
        })
    }

    /// Context shape (`exclude_none=True`).
    pub fn to_context_json(&self) -> Value {
        let mut function = Map::new();
        function.insert("name".into(), json!(self.name));
        if let Some(a) = &self.arguments {
            function.insert("arguments".into(), json!(a));
        }
        let mut m = Map::new();
        m.insert("type".into(), json!("function"));
        m.insert("id".into(), json!(self.id));
        m.insert("function".into(), Value::Object(function));
        if let Some(e) = &self.extras {
            m.insert("extras".into(), Value::Object(e.clone()));
        }
        Value::Object(m)
    }

    pub fn from_json(v: &Value) -> Result<Self, ShapeError> {
        let id = v.get("id").and_then(Value::as_str);
        let f = v.get("function");
        let name = f.and_then(|f| f.get("name")).and_then(Value::as_str);
        let (Some(id), Some(name)) = (id, name) else {
            return err("tool call needs `id` and `function.name`");
        };
        Ok(ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: f
                .and_then(|f| f.get("arguments"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            extras: v.get("extras").and_then(Value::as_object).cloned(),
        })
    }

    pub fn merge_part(&mut self, part: &ToolCallPart) {
        match (&mut self.arguments, &part.arguments_part) {
            (None, p) => self.arguments = p.clone(),
            (Some(a), Some(p)) => a.push_str(p),
            (Some(_), None) => {}
        }
    }
}

/// A streamed fragment of a tool call's arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallPart {
    pub arguments_part: Option<String>,
}

impl ToolCallPart {
    pub fn to_json(&self) -> Value {
        json!({"arguments_part": self.arguments_part})
    }
}

/// Token usage of one LLM call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub input_other: i64,
    pub output: i64,
    pub input_cache_read: i64,
    pub input_cache_creation: i64,
}

impl TokenUsage {
    pub fn input(&self) -> i64 {
        self.input_other + self.input_cache_read + self.input_cache_creation
    }
    pub fn total(&self) -> i64 {
        self.input() + self.output
    }
    pub fn to_json(&self) -> Value {
        json!({
            "input_other": self.input_other,
            "output": self.output,
            "input_cache_read": self.input_cache_read,
            "input_cache_creation": self.input_cache_creation,
        })
    }
}

/// Message role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "system" => Role::System,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "tool" => Role::Tool,
            _ => return None,
        })
    }
}

/// A message of the conversation history.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub name: Option<String>,
    pub content: Vec<ContentPart>,
    pub tool_calls: Option<Vec<ToolCall>>,
    pub tool_call_id: Option<String>,
    pub partial: Option<bool>,
}

impl Message {
    pub fn new(role: Role, content: Vec<ContentPart>) -> Self {
        Message {
            role,
            name: None,
            content,
            tool_calls: None,
            tool_call_id: None,
            partial: None,
        }
    }

    pub fn extract_text(&self, sep: &str) -> String {
        extract_text(&self.content, sep)
    }

    /// The context.jsonl shape: `model_dump_json(exclude_none=True)`; a single text part is a string.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("role".into(), json!(self.role.as_str()));
        if let Some(n) = &self.name {
            m.insert("name".into(), json!(n));
        }
        let content = match self.content.as_slice() {
            [ContentPart::Text(t)] => json!(t),
            parts => Value::Array(parts.iter().map(ContentPart::to_json).collect()),
        };
        m.insert("content".into(), content);
        if let Some(tc) = &self.tool_calls {
            m.insert(
                "tool_calls".into(),
                Value::Array(tc.iter().map(ToolCall::to_context_json).collect()),
            );
        }
        if let Some(id) = &self.tool_call_id {
            m.insert("tool_call_id".into(), json!(id));
        }
        if let Some(p) = self.partial {
            m.insert("partial".into(), json!(p));
        }
        Value::Object(m)
    }

    pub fn from_json(v: &Value) -> Result<Self, ShapeError> {
        let role = match v.get("role").and_then(Value::as_str).and_then(Role::parse) {
            Some(r) => r,
            None => return err("message needs a valid `role`"),
        };
        let content = match v.get("content") {
            None | Some(Value::Null) => vec![],
            Some(Value::String(s)) => vec![ContentPart::Text(s.clone())],
            Some(Value::Array(items)) => items
                .iter()
                .map(ContentPart::from_json)
                .collect::<Result<_, _>>()?,
            Some(_) => return err("message content must be a string, list or null"),
        };
        let tool_calls = match v.get("tool_calls") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(ToolCall::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            Some(_) => return err("tool_calls must be a list"),
        };
        Ok(Message {
            role,
            name: v.get("name").and_then(Value::as_str).map(str::to_owned),
            content,
            tool_calls,
            tool_call_id: v
                .get("tool_call_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            partial: v.get("partial").and_then(Value::as_bool),
        })
    }
}

/// The `<system>...</system>` wrapper kimi-cli uses for kernel-authored text.
pub fn system_text(msg: &str) -> ContentPart {
    ContentPart::Text(format!("<system>{msg}</system>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_roundtrip_matches_python_shape() {
        let line = r#"{"role":"assistant","content":[],"tool_calls":[{"type":"function","id":"c1","function":{"name":"Nope","arguments":"{\"a\":1}"}}]}"#;
        let v: Value = serde_json::from_str(line).unwrap();
        let m = Message::from_json(&v).unwrap();
        assert_eq!(crate::py::json::compact(&m.to_json()), line);
        let single = Message::new(Role::User, vec![ContentPart::text("hi")]);
        assert_eq!(
            crate::py::json::compact(&single.to_json()),
            r#"{"role":"user","content":"hi"}"#
        );
    }

    #[test]
    fn think_merge_stops_after_signature() {
        let mut a = ContentPart::Think {
            think: "a".into(),
            encrypted: Some("sig".into()),
        };
        assert!(!a.merge(&ContentPart::Think {
            think: "b".into(),
            encrypted: None
        }));
        let mut t = ContentPart::text("x");
        assert!(t.merge(&ContentPart::text("y")));
        assert_eq!(t, ContentPart::text("xy"));
    }
}
