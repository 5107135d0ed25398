//! The echo DSL of kosong (`kosong/chat_provider/echo/dsl.py`): one `kind: payload` per line.
//!
//! Kinds: `id`, `usage`, `text`, `think`, `image_url`, `audio_url`, `video_url`, `tool_call`,
//! `tool_call_part`, `error`. Blank lines, `#` comments, ``` fences and a bare `echo` line are
//! skipped. Error messages are worded exactly as kosong words them.

use serde_json::{Map, Value};

use super::{ChatProviderError, StreamedPart};
use kagent_base::message::{ContentPart, MediaUrl, TokenUsage, ToolCall, ToolCallPart};
use kagent_base::py::repr::{repr_str, repr_value, type_name};

/// The result of parsing one script.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Script {
    pub parts: Vec<StreamedPart>,
    pub message_id: Option<String>,
    pub usage: Option<TokenUsage>,
}

fn fail<T>(msg: String) -> Result<T, ChatProviderError> {
    Err(ChatProviderError::Other(msg))
}

use kagent_base::py::strings::splitlines;

/// Parse a whole script.
pub fn parse_script(script: &str) -> Result<Script, ChatProviderError> {
    let mut out = Script::default();
    for (idx, raw_line) in splitlines(script).into_iter().enumerate() {
        let lineno = idx + 1;
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("```") {
            continue;
        }
        if line.to_lowercase() == "echo" {
            continue;
        }
        let Some((key, payload)) = line.split_once(':') else {
            return fail(format!(
                "Invalid echo DSL at line {lineno}: {}",
                repr_str(raw_line)
            ));
        };
        let kind = key.trim().to_lowercase();
        let payload = payload.strip_prefix(' ').unwrap_or(payload);
        match kind.as_str() {
            "error" => return Err(simulated_error(payload.trim(), lineno, raw_line)),
            "id" => out.message_id = Some(strip_quotes(payload.trim()).to_string()),
            "usage" => out.usage = Some(parse_usage(payload)?),
            _ => out
                .parts
                .push(parse_part(&kind, payload, lineno, raw_line)?),
        }
    }
    Ok(out)
}

fn parse_part(
    kind: &str,
    payload: &str,
    lineno: usize,
    raw_line: &str,
) -> Result<StreamedPart, ChatProviderError> {
    Ok(match kind {
        "text" => StreamedPart::Content(ContentPart::Text(strip_quotes(payload).to_string())),
        "think" => StreamedPart::Content(ContentPart::Think {
            think: strip_quotes(payload).to_string(),
            encrypted: None,
        }),
        "image_url" => StreamedPart::Content(ContentPart::ImageUrl(parse_url(payload, kind)?)),
        "audio_url" => StreamedPart::Content(ContentPart::AudioUrl(parse_url(payload, kind)?)),
        "video_url" => StreamedPart::Content(ContentPart::VideoUrl(parse_url(payload, kind)?)),
        "tool_call" => StreamedPart::ToolCall(parse_tool_call(payload, lineno, raw_line)?),
        "tool_call_part" => StreamedPart::ToolCallPart(parse_tool_call_part(payload)?),
        _ => {
            return fail(format!(
                "Unknown echo DSL kind '{kind}' at line {lineno}: {}",
                repr_str(raw_line)
            ))
        }
    })
}

/// Python `int(x)` for the values a usage mapping can hold.
fn py_int(v: &Value) -> Option<i64> {
    match v {
        Value::Bool(b) => Some(*b as i64),
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        Value::String(s) => {
            let t = s.trim().replace('_', "");
            t.parse::<i64>().ok()
        }
        _ => None,
    }
}

fn parse_usage(payload: &str) -> Result<TokenUsage, ChatProviderError> {
    let mapping = parse_mapping(payload, "usage")?;
    let field = |key: &str| -> Result<i64, ChatProviderError> {
        let value = mapping.get(key).cloned().unwrap_or(Value::from(0));
        match py_int(&value) {
            Some(n) => Ok(n),
            None => fail(format!(
                "Usage field '{key}' must be an integer, got {}",
                repr_value(&value)
            )),
        }
    };
    Ok(TokenUsage {
        input_other: field("input_other")?,
        output: field("output")?,
        input_cache_read: field("input_cache_read")?,
        input_cache_creation: field("input_cache_creation")?,
    })
}

fn parse_url(payload: &str, kind: &str) -> Result<MediaUrl, ChatProviderError> {
    match parse_value(payload) {
        Value::Object(m) => {
            let url = match m.get("url") {
                Some(Value::String(u)) => u.clone(),
                _ => {
                    return fail(format!(
                        "{kind} requires a url field, got {}",
                        repr_value(&Value::Object(m.clone()))
                    ))
                }
            };
            let id = match m.get("id") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return fail(format!("{kind} id must be a string when provided.")),
            };
            Ok(MediaUrl { url, id })
        }
        Value::String(s) => Ok(MediaUrl { url: s, id: None }),
        other => fail(format!(
            "{kind} expects url string or object, got {}",
            repr_value(&other)
        )),
    }
}

/// Python truthiness `a or b` on optional JSON values.
fn truthy(v: Option<&Value>) -> Option<&Value> {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::Array(a)) if a.is_empty() => None,
        Some(Value::Object(o)) if o.is_empty() => None,
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => None,
        other => other,
    }
}

fn parse_tool_call(
    payload: &str,
    lineno: usize,
    raw_line: &str,
) -> Result<ToolCall, ChatProviderError> {
    let mapping = parse_mapping(payload, "tool_call")?;
    let function = mapping.get("function").and_then(Value::as_object);
    let id = mapping.get("id");
    let name = truthy(mapping.get("name")).or_else(|| function.and_then(|f| f.get("name")));
    let mut arguments = mapping.get("arguments").filter(|v| !v.is_null());
    let mut extras = mapping.get("extras").filter(|v| !v.is_null());
    if let Some(f) = function.filter(|f| !f.is_empty()) {
        if arguments.is_none() {
            arguments = f.get("arguments").filter(|v| !v.is_null());
        }
        if extras.is_none() {
            extras = f.get("extras").filter(|v| !v.is_null());
        }
    }
    let (Some(Value::String(id)), Some(Value::String(name))) = (id, name) else {
        return fail(format!(
            "tool_call requires string id and name at line {lineno}: {}",
            repr_str(raw_line)
        ));
    };
    let arguments = match arguments {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return fail(format!(
                "tool_call.arguments must be a string at line {lineno}, got {}",
                type_name(other)
            ))
        }
    };
    Ok(ToolCall {
        id: id.clone(),
        name: name.clone(),
        arguments,
        extras: extras.and_then(Value::as_object).cloned(),
    })
}

fn parse_tool_call_part(payload: &str) -> Result<ToolCallPart, ChatProviderError> {
    let value = match parse_value(payload) {
        Value::Object(m) => m.get("arguments_part").cloned().unwrap_or(Value::Null),
        other => other,
    };
    let arguments_part = match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s),
        v @ (Value::Object(_) | Value::Array(_)) => Some(py_compact_dumps(&v)),
        other => {
            return fail(format!(
                "tool_call_part.arguments_part must be a string, got {}",
                type_name(&other)
            ))
        }
    };
    Ok(ToolCallPart { arguments_part })
}

/// `json.dumps(v, separators=(",", ":"))` (ensure_ascii kept on, like Python).
fn py_compact_dumps(v: &Value) -> String {
    let spaced = kagent_base::py::json::dumps(v);
    // Re-serialize without spaces but with ASCII escapes: parse back and use ascii-compact.
    let reparsed: Value = serde_json::from_str(&spaced).unwrap_or(Value::Null);
    ascii_compact(&reparsed)
}

fn ascii_compact(v: &Value) -> String {
    match v {
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(ascii_compact)
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!(
                    "{}:{}",
                    kagent_base::py::json::dumps(&Value::String(k.clone())),
                    ascii_compact(v)
                ))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => kagent_base::py::json::dumps(other),
    }
}

fn parse_mapping(raw: &str, context: &str) -> Result<Map<String, Value>, ChatProviderError> {
    let raw = raw.trim();
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => return Ok(m),
        Ok(Value::Null) | Err(_) => {}
        Ok(other) => {
            return fail(format!(
                "{context} payload must be an object, got {}",
                repr_value(&other)
            ))
        }
    }
    let mut mapping = Map::new();
    let replaced = raw.replace(',', " ");
    for token in replaced.split_whitespace() {
        let Some((key, value)) = token.split_once('=') else {
            return fail(format!("Invalid token '{token}' in {context} payload."));
        };
        mapping.insert(key.trim().to_string(), parse_value(value.trim()));
    }
    if mapping.is_empty() {
        return fail(format!("{context} payload cannot be empty."));
    }
    Ok(mapping)
}

fn parse_value(raw: &str) -> Value {
    let raw = raw.trim();
    if raw.is_empty() {
        return Value::Null;
    }
    let lowered = raw.to_lowercase();
    if lowered == "null" || lowered == "none" {
        return Value::Null;
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(v) => v,
        Err(_) => Value::String(strip_quotes(raw).to_string()),
    }
}

fn strip_quotes(value: &str) -> &str {
    let b = value.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'\'' || b[0] == b'"') {
        &value[1..value.len() - 1]
    } else {
        value
    }
}

fn simulated_error(payload: &str, lineno: usize, raw_line: &str) -> ChatProviderError {
    if payload.is_empty() {
        return ChatProviderError::Other(format!(
            "Empty error payload at line {lineno}: {}",
            repr_str(raw_line)
        ));
    }
    let (first, rest) = payload.split_once(' ').unwrap_or((payload, ""));
    let message = rest.trim();
    match first.to_lowercase().as_str() {
        "connection" => ChatProviderError::Connection(if message.is_empty() {
            "Simulated connection error".into()
        } else {
            message.into()
        }),
        "timeout" => ChatProviderError::Timeout(if message.is_empty() {
            "Simulated timeout error".into()
        } else {
            message.into()
        }),
        _ => match first.trim().replace('_', "").parse::<i64>() {
            Ok(code) => ChatProviderError::Status {
                status_code: code,
                message: if message.is_empty() {
                    format!("Simulated {code} error")
                } else {
                    message.into()
                },
            },
            Err(_) => ChatProviderError::Other(format!(
                "Invalid error spec at line {lineno}: expected status code or 'connection'/'timeout', got {}",
                repr_str(first)
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        let s = parse_script(
            "id: m1\nusage: input_other=5 output=3\nthink: hmm\ntext: Hello\n# c\n```\necho\n\
             image_url: {\"url\": \"u\", \"id\": \"i\"}\naudio_url: a\nvideo_url: 'v'\n\
             tool_call: {\"id\": \"c1\", \"name\": \"S\", \"arguments\": \"{\"}\ntool_call_part: {\"arguments_part\": \"}\"}",
        )
        .unwrap();
        assert_eq!(s.message_id.as_deref(), Some("m1"));
        assert_eq!(s.usage.unwrap().input_other, 5);
        assert_eq!(s.parts.len(), 7);
        assert_eq!(
            s.parts[5],
            StreamedPart::ToolCall(ToolCall {
                id: "c1".into(),
                name: "S".into(),
                arguments: Some("{".into()),
                extras: None
            })
        );
    }

    #[test]
    fn error_wording_matches_kosong() {
        assert_eq!(
            parse_script("bad line").unwrap_err().to_string(),
            "Invalid echo DSL at line 1: 'bad line'"
        );
        assert_eq!(
            parse_script("error: 401").unwrap_err(),
            ChatProviderError::Status {
                status_code: 401,
                message: "Simulated 401 error".into()
            }
        );
        assert_eq!(
            parse_script("error: connection").unwrap_err(),
            ChatProviderError::Connection("Simulated connection error".into())
        );
        assert_eq!(
            parse_script("foo: x").unwrap_err().to_string(),
            "Unknown echo DSL kind 'foo' at line 1: 'foo: x'"
        );
        assert_eq!(
            parse_script("usage: a").unwrap_err().to_string(),
            "Invalid token 'a' in usage payload."
        );
        assert_eq!(
            parse_script("usage: output=x").unwrap_err().to_string(),
            "Usage field 'output' must be an integer, got 'x'"
        );
        assert_eq!(
            parse_script("tool_call: id=1 name=x")
                .unwrap_err()
                .to_string(),
            "tool_call requires string id and name at line 1: 'tool_call: id=1 name=x'"
        );
        assert_eq!(
            parse_script("error: boom").unwrap_err().to_string(),
            "Invalid error spec at line 1: expected status code or 'connection'/'timeout', got 'boom'"
        );
    }

    #[test]
    fn text_keeps_inner_spaces() {
        let s = parse_script("text:  world").unwrap();
        assert_eq!(
            s.parts,
            vec![StreamedPart::Content(ContentPart::text(" world"))]
        );
    }
}
