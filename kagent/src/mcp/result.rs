//! What an MCP tool call returns, converted as kimi-cli converts it: text, images, audio and
//! blob resources become message parts (media as `data:` URLs), everything shares a budget of
//! 100 000 characters (text cut, media dropped, then a note), an unsupported part becomes a
//! placeholder text, and `isError` makes the result an error with kimi-cli's message.
//! Structured content is not shown to the model (kimi-cli uses the `content` blocks only).

use serde_json::Value;

use kagent_base::message::{ContentPart, MediaUrl};
use kagent_base::tool::{ToolOutput, ToolReturnValue};

/// kimi-cli's budget for one MCP result.
pub const MAX_OUTPUT_CHARS: usize = 100_000;

fn media(url: String) -> MediaUrl {
    MediaUrl { url, id: None }
}

fn by_mime(mime: &str, url: String) -> Result<ContentPart, String> {
    if mime.starts_with("image/") {
        Ok(ContentPart::ImageUrl(media(url)))
    } else if mime.starts_with("audio/") {
        Ok(ContentPart::AudioUrl(media(url)))
    } else if mime.starts_with("video/") {
        Ok(ContentPart::VideoUrl(media(url)))
    } else {
        Err(format!("Unsupported mime type: {mime}"))
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// One content block of an MCP result (its JSON form).
fn convert_block(block: &Value) -> Result<ContentPart, String> {
    let unsupported = || format!("Unsupported MCP tool result part: {block}");
    match str_of(block, "type") {
        Some("text") => Ok(ContentPart::text(str_of(block, "text").unwrap_or(""))),
        Some("image") => Ok(ContentPart::ImageUrl(media(format!(
            "data:{};base64,{}",
            str_of(block, "mimeType").unwrap_or(""),
            str_of(block, "data").unwrap_or("")
        )))),
        Some("audio") => Ok(ContentPart::AudioUrl(media(format!(
            "data:{};base64,{}",
            str_of(block, "mimeType").unwrap_or(""),
            str_of(block, "data").unwrap_or("")
        )))),
        Some("resource") => {
            let res = block.get("resource").ok_or_else(unsupported)?;
            let Some(blob) = str_of(res, "blob") else {
                return Err(unsupported());
            };
            let mime = str_of(res, "mimeType").unwrap_or("application/octet-stream");
            by_mime(mime, format!("data:{mime};base64,{blob}"))
        }
        Some("resource_link") => {
            let mime = str_of(block, "mimeType").unwrap_or("application/octet-stream");
            by_mime(mime, str_of(block, "uri").unwrap_or("").to_string())
        }
        _ => Err(unsupported()),
    }
}

fn media_len(part: &ContentPart) -> Option<usize> {
    match part {
        ContentPart::ImageUrl(m) | ContentPart::AudioUrl(m) | ContentPart::VideoUrl(m) => {
            Some(m.url.chars().count())
        }
        _ => None,
    }
}

/// Convert a `tools/call` result (its JSON form: `content`, `isError`, ...).
pub fn convert(result: &Value) -> ToolReturnValue {
    let mut parts: Vec<ContentPart> = vec![];
    let mut budget = MAX_OUTPUT_CHARS;
    let mut truncated = false;
    let blocks = result
        .get("content")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for block in &blocks {
        let part = convert_block(block).unwrap_or_else(|why| {
            kagent_base::logging::warn(&crate::tools::util::msg(
                "mcp.unsupported_part.log",
                &[("{error}", &why)],
            ));
            ContentPart::text(crate::tools::util::msg(
                "mcp.unsupported_part",
                &[("{error}", &why)],
            ))
        });
        if let ContentPart::Text(text) = &part {
            if budget == 0 {
                truncated = true;
                continue;
            }
            let len = text.chars().count();
            let text = if len > budget {
                truncated = true;
                text.chars().take(budget).collect()
            } else {
                text.clone()
            };
            budget -= text.chars().count();
            parts.push(ContentPart::Text(text));
            continue;
        }
        if let Some(size) = media_len(&part) {
            if size > budget {
                truncated = true;
                continue;
            }
            budget -= size;
        }
        parts.push(part);
    }
    if truncated {
        parts.push(ContentPart::text(crate::tools::util::msg(
            "mcp.output_truncated",
            &[("{limit}", &MAX_OUTPUT_CHARS.to_string())],
        )));
    }
    let is_error = result.get("isError").and_then(Value::as_bool) == Some(true);
    ToolReturnValue {
        is_error,
        output: ToolOutput::Parts(parts),
        message: if is_error {
            crate::tools::util::msg("mcp.tool_error", &[])
        } else {
            String::new()
        },
        // kosong shows no brief for an empty one
        display: vec![],
        extras: None,
        rejection: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_text_image_audio_blob_and_errors() {
        let r = convert(&json!({"content": [
            {"type": "text", "text": "hi"},
            {"type": "image", "data": "AAA", "mimeType": "image/png"},
            {"type": "audio", "data": "BBB", "mimeType": "audio/wav"},
            {"type": "resource", "resource": {"uri": "x://b", "blob": "CCC", "mimeType": "video/mp4"}},
            {"type": "resource", "resource": {"uri": "x://t", "text": "t"}},
        ]}));
        assert!(!r.is_error);
        let ToolOutput::Parts(p) = &r.output else {
            panic!("parts expected")
        };
        assert_eq!(p[0], ContentPart::text("hi"));
        assert_eq!(
            p[1],
            ContentPart::ImageUrl(media("data:image/png;base64,AAA".into()))
        );
        assert_eq!(
            p[2],
            ContentPart::AudioUrl(media("data:audio/wav;base64,BBB".into()))
        );
        assert_eq!(
            p[3],
            ContentPart::VideoUrl(media("data:video/mp4;base64,CCC".into()))
        );
        let unsupported = crate::config::profile::active().message("mcp.unsupported_part");
        let prefix = unsupported.split("{error}").next().unwrap();
        assert!(matches!(&p[4], ContentPart::Text(t) if t.starts_with(prefix)));
        let e = convert(&json!({"content": [{"type": "text", "text": "boom"}], "isError": true}));
        assert!(e.is_error);
        assert_eq!(e.message, crate::tools::util::msg("mcp.tool_error", &[]));
    }

    #[test]
    fn budget_cuts_text_and_drops_media() {
        let big = "x".repeat(MAX_OUTPUT_CHARS + 5);
        let r = convert(&json!({"content": [
            {"type": "text", "text": big},
            {"type": "image", "data": "AAA", "mimeType": "image/png"},
        ]}));
        let ToolOutput::Parts(p) = &r.output else {
            panic!("parts expected")
        };
        assert_eq!(p.len(), 2);
        assert!(matches!(&p[0], ContentPart::Text(t) if t.len() == MAX_OUTPUT_CHARS));
        let cut = crate::tools::util::msg("mcp.output_truncated", &[("{limit}", "100000")]);
        assert!(matches!(&p[1], ContentPart::Text(t) if *t == cut));
    }
}
