//! JSON-RPC 2.0 framing: classifying inbound lines and building outbound messages, with the
//! validation order and error wording of kimi-cli's wire server.

use serde_json::{json, Value};

/// Error codes (JSON-RPC standard ones plus kimi-cli's).
pub mod codes {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    pub const INVALID_STATE: i64 = -32000;
    pub const LLM_NOT_SET: i64 = -32001;
    pub const LLM_NOT_SUPPORTED: i64 = -32002;
    pub const CHAT_PROVIDER_ERROR: i64 = -32003;
}

/// Methods a client may call.
pub const INBOUND_METHODS: &[&str] = &[
    "initialize",
    "prompt",
    "steer",
    "replay",
    "set_plan_mode",
    "cancel",
    // kagent's own, for kimi-kernel's shell (kagent/README.md)
    "mcp_status",
];

/// A classified inbound line.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A request for one of [`INBOUND_METHODS`]; params not yet validated.
    Request {
        id: String,
        method: String,
        params: Value,
    },
    /// A response to one of our `request` messages.
    Response {
        id: String,
        result: Option<Value>,
        error: Option<Value>,
    },
    /// Something to answer with an error and otherwise ignore (`None` = only log).
    Reject(Option<Value>),
}

pub fn success(id: &str, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

pub fn error(id: Option<&str>, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message, "data": null}})
}

pub fn event(envelope: Value) -> Value {
    json!({"jsonrpc": "2.0", "method": "event", "params": envelope})
}

pub fn request(id: &str, envelope: Value) -> Value {
    json!({"jsonrpc": "2.0", "method": "request", "id": id, "params": envelope})
}

/// Optional string field: absent/null -> None; string -> Some; anything else -> Err.
fn opt_str(obj: &serde_json::Map<String, Value>, key: &str) -> Result<Option<String>, ()> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    }
}

/// Classify one input line (already stripped).
pub fn classify(line: &str) -> Inbound {
    let invalid_request =
        || Inbound::Reject(Some(error(None, codes::INVALID_REQUEST, "Invalid request")));
    let value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(_) => {
            return Inbound::Reject(Some(error(None, codes::PARSE_ERROR, "Invalid JSON format")))
        }
    };
    let Some(obj) = value.as_object() else {
        return invalid_request();
    };
    if let Some(v) = obj.get("jsonrpc") {
        if v != "2.0" {
            return invalid_request();
        }
    }
    let (Ok(method), Ok(id)) = (opt_str(obj, "method"), opt_str(obj, "id")) else {
        return invalid_request();
    };
    if let Some(err) = obj.get("error") {
        if !err.is_null() && !is_error_object(err) {
            return invalid_request();
        }
    }
    match (method, id) {
        (None, Some(id)) => {
            // Like kimi-cli: a `result` member (even null) or an error object makes a
            // response. Without either, a message that has no `method` member at all is a
            // valid (default-method) message that is not a response, so it is only logged;
            // an explicit `"method": null` is an invalid response.
            let result = obj.get("result").cloned();
            let error = obj.get("error").filter(|v| !v.is_null()).cloned();
            if result.is_none() && error.is_none() {
                if !obj.contains_key("method") {
                    return Inbound::Reject(None);
                }
                return Inbound::Reject(Some(error_nullable(
                    codes::INVALID_REQUEST,
                    "Invalid response",
                )));
            }
            Inbound::Response { id, result, error }
        }
        (Some(method), id) => {
            if !INBOUND_METHODS.contains(&method.as_str()) {
                return Inbound::Reject(id.map(|id| {
                    error(
                        Some(&id),
                        codes::METHOD_NOT_FOUND,
                        &crate::config::profile::active()
                            .message_with("wire.unexpected_method", &[("{method}", &method)]),
                    )
                }));
            }
            match id {
                Some(id) => Inbound::Request {
                    id,
                    method,
                    params: obj.get("params").cloned().unwrap_or(Value::Null),
                },
                // A notification of an inbound method cannot be validated as a request.
                None => Inbound::Reject(None),
            }
        }
        (None, None) => Inbound::Reject(None),
    }
}

fn error_nullable(code: i64, message: &str) -> Value {
    error(None, code, message)
}

fn is_error_object(v: &Value) -> bool {
    v.get("code").is_some_and(|c| c.is_i64()) && v.get("message").is_some_and(Value::is_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_bad_input() {
        assert_eq!(
            classify("{"),
            Inbound::Reject(Some(error(None, -32700, "Invalid JSON format")))
        );
        assert_eq!(
            classify("[1]"),
            Inbound::Reject(Some(error(None, -32600, "Invalid request")))
        );
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":"1","method":"nope"}"#),
            Inbound::Reject(Some(error(
                Some("1"),
                -32601,
                &crate::config::profile::active()
                    .message_with("wire.unexpected_method", &[("{method}", "nope")])
            )))
        );
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":"1","method":"prompt","params":{}}"#),
            Inbound::Request { .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":"9","result":{}}"#),
            Inbound::Response { .. }
        ));
        // kimi-cli's response rules (checked against the oracle)
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":"a","result":null}"#),
            Inbound::Response { .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":"a","method":null,"result":1}"#),
            Inbound::Response { .. }
        ));
        for silent in [
            r#"{"jsonrpc":"2.0","id":"a"}"#,
            r#"{"jsonrpc":"2.0","id":"a","error":null}"#,
            r#"{"jsonrpc":"2.0","id":"a","params":5}"#,
        ] {
            assert_eq!(classify(silent), Inbound::Reject(None), "{silent}");
        }
        for invalid in [
            r#"{"jsonrpc":"2.0","id":"a","method":null}"#,
            r#"{"jsonrpc":"2.0","id":"a","method":null,"error":null}"#,
        ] {
            assert_eq!(
                classify(invalid),
                Inbound::Reject(Some(error(None, -32600, "Invalid response"))),
                "{invalid}"
            );
        }
    }
}
