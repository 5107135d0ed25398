//! Tools implemented by the wire client: registered in `initialize` (`external_tools`), each
//! call is a `ToolCallRequest` to the client whose response carries the tool's return value.

use serde_json::{json, Value};

use super::{DisplayBlock, Tool, ToolContext, ToolOutput, ToolReturnValue};
use crate::wire::outbound::{Reply, Requests};
use kagent_base::message::ContentPart;
use kagent_base::BoxFuture;

/// A tool implemented by the wire client (`ToolCallRequest`).
pub struct ExternalTool {
    pub name: String,
    pub description: String,
    pub parameters: Value,
    pub requests: Requests,
}

impl Tool for ExternalTool {
    fn name(&self) -> &str {
        &self.name
    }
    fn description(&self) -> &str {
        &self.description
    }
    fn parameters(&self) -> Value {
        self.parameters.clone()
    }
    fn call(&self, _arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let id = ctx.tool_call_id.clone();
        let payload = json!({
            "id": id,
            "name": self.name,
            // verbatim, as kimi-cli forwards it (not re-serialized)
            "arguments": ctx.raw_arguments.clone(),
        });
        if let Some(w) = &ctx.wire {
            w.record_request("ToolCallRequest", payload.clone());
        }
        let reply = self.requests.send(&id, "ToolCallRequest", payload);
        Box::pin(async move {
            match reply.wait().await {
                Reply::Result(result) => {
                    match result.get("return_value").and_then(parse_return_value) {
                        Some(rv) => rv,
                        None => ToolReturnValue::error(
                            crate::tools::util::msg("wire.tool_result_invalid", &[]),
                            "Invalid tool result",
                        ),
                    }
                }
                Reply::Error(msg) => ToolReturnValue::error(msg, "External tool error"),
                Reply::Closed => ToolReturnValue::error(
                    crate::tools::util::msg("wire.closed_before_tool_result", &[]),
                    "Wire closed",
                ),
            }
        })
    }
}

fn parse_return_value(v: &Value) -> Option<ToolReturnValue> {
    let is_error = v.get("is_error")?.as_bool()?;
    let output = match v.get("output")? {
        Value::String(s) => ToolOutput::Text(s.clone()),
        Value::Array(a) => ToolOutput::Parts(
            a.iter()
                .map(ContentPart::from_json)
                .collect::<Result<_, _>>()
                .ok()?,
        ),
        _ => return None,
    };
    let message = v.get("message")?.as_str()?.to_string();
    let display = match v.get("display") {
        None => vec![],
        Some(Value::Array(a)) => a.iter().cloned().map(DisplayBlock).collect(),
        _ => return None,
    };
    Some(ToolReturnValue {
        is_error,
        output,
        message,
        display,
        extras: v.get("extras").and_then(Value::as_object).cloned(),
        rejection: None,
    })
}
