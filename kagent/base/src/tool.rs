//! Tool value types every layer passes around: the definition advertised to the model, and a
//! call's result (kosong's `ToolReturnValue`) with its display blocks.

use serde_json::{json, Value};

use crate::message::ContentPart;

/// A tool as advertised to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: Value,
}

/// A display block shown to the user (`brief`, `diff`, `todo`, `shell`, or any other type).
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayBlock(pub Value);

impl DisplayBlock {
    pub fn brief(text: &str) -> Self {
        DisplayBlock(json!({"type": "brief", "text": text}))
    }
}

/// Output of a tool for the model.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolOutput {
    Text(String),
    Parts(Vec<ContentPart>),
}

/// kosong's `ToolReturnValue`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolReturnValue {
    pub is_error: bool,
    pub output: ToolOutput,
    /// Explanation for the model.
    pub message: String,
    pub display: Vec<DisplayBlock>,
    pub extras: Option<serde_json::Map<String, Value>>,
    /// Set when the user rejected the call (kimi-cli's `ToolRejectedError`); not sent on the
    /// wire. A rejection without feedback ends the turn.
    pub rejection: Option<Rejection>,
}

/// How a tool call was rejected by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// A plain "no": the turn stops after this step.
    Plain,
    /// A "no" with feedback for the model: the turn goes on.
    WithFeedback,
}

impl ToolReturnValue {
    /// A successful result.
    pub fn ok(output: impl Into<String>, message: impl Into<String>) -> Self {
        ToolReturnValue {
            is_error: false,
            output: ToolOutput::Text(output.into()),
            message: message.into(),
            display: vec![],
            extras: None,
            rejection: None,
        }
    }

    /// An error result with a `brief` display block (kosong's `ToolError`).
    pub fn error(message: impl Into<String>, brief: &str) -> Self {
        ToolReturnValue {
            is_error: true,
            output: ToolOutput::Text(String::new()),
            message: message.into(),
            display: vec![DisplayBlock::brief(brief)],
            extras: None,
            rejection: None,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "is_error": self.is_error,
            "output": match &self.output {
                ToolOutput::Text(s) => Value::String(s.clone()),
                ToolOutput::Parts(p) => Value::Array(p.iter().map(ContentPart::to_json).collect()),
            },
            "message": self.message,
            "display": self.display.iter().map(|d| d.0.clone()).collect::<Vec<_>>(),
            "extras": self.extras,
        })
    }
}

/// The result of one tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub tool_call_id: String,
    pub return_value: ToolReturnValue,
}

impl ToolResult {
    pub fn to_json(&self) -> Value {
        json!({"tool_call_id": self.tool_call_id, "return_value": self.return_value.to_json()})
    }
}
