//! Wire messages (events) and their `{"type": ..., "payload": ...}` envelopes.

use serde_json::{json, Value};

use kagent_base::message::{ContentPart, TokenUsage, ToolCall, ToolCallPart, UserInput};
use kagent_base::tool::ToolResult;

/// `StatusUpdate` payload; `None` fields serialize as `null`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusUpdate {
    pub context_usage: Option<f64>,
    pub context_tokens: Option<i64>,
    pub max_context_tokens: Option<i64>,
    pub token_usage: Option<TokenUsage>,
    pub message_id: Option<String>,
    pub plan_mode: Option<bool>,
    /// The MCP start-up snapshot (kimi-cli's `MCPStatusSnapshot`); `None`: no change.
    pub mcp_status: Option<Value>,
}

/// `StepRetry` payload.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRetry {
    pub n: i64,
    pub next_attempt: i64,
    pub max_attempts: i64,
    pub wait_s: f64,
    pub error_type: String,
    pub status_code: Option<i64>,
}

/// An event sent to the client (and recorded to `wire.jsonl`).
#[derive(Debug, Clone, PartialEq)]
pub enum WireMessage {
    TurnBegin {
        user_input: UserInput,
    },
    TurnEnd,
    StepBegin {
        n: i64,
    },
    StepInterrupted,
    StepRetry(StepRetry),
    CompactionBegin,
    CompactionEnd,
    StatusUpdate(StatusUpdate),
    ContentPart(ContentPart),
    ToolCall(ToolCall),
    ToolCallPart(ToolCallPart),
    ToolResult(ToolResult),
    SteerInput {
        user_input: UserInput,
    },
    HookTriggered {
        event: String,
        target: String,
        hook_count: i64,
    },
    HookResolved {
        event: String,
        target: String,
        action: String,
        reason: String,
        duration_ms: i64,
    },
    /// A plan shown inline for approval (`ExitPlanMode`).
    PlanDisplay {
        content: String,
        file_path: String,
    },
    /// A notification (a background task ended); the payload is kimi-cli's `Notification`.
    Notification(Value),
    /// The first turn waits for the MCP servers to start.
    McpLoadingBegin,
    McpLoadingEnd,
    /// An event of a subagent run by the `Agent` tool call `parent_tool_call_id`; `event` is
    /// the subagent's own `{"type", "payload"}` envelope (merged, as kimi-cli forwards it).
    SubagentEvent {
        parent_tool_call_id: Option<String>,
        agent_id: String,
        subagent_type: String,
        event: Value,
    },
}

/// Event type names the kernel can replay from a `wire.jsonl` (anything else is skipped).
pub const REPLAYABLE_EVENTS: &[&str] = &[
    "TurnBegin",
    "TurnEnd",
    "StepBegin",
    "StepInterrupted",
    "StepRetry",
    "CompactionBegin",
    "CompactionEnd",
    "StatusUpdate",
    "ContentPart",
    "ToolCall",
    "ToolCallPart",
    "ToolResult",
    "ApprovalResponse",
    "ApprovalRequestResolved",
    "SubagentEvent",
    "BtwBegin",
    "BtwEnd",
    "SteerInput",
    "PlanDisplay",
    "HookTriggered",
    "HookResolved",
    "Notification",
    "MCPLoadingBegin",
    "MCPLoadingEnd",
];

/// Request type names (replayed as `request` messages).
pub const REPLAYABLE_REQUESTS: &[&str] = &[
    "ApprovalRequest",
    "ToolCallRequest",
    "QuestionRequest",
    "HookRequest",
];

impl WireMessage {
    pub fn type_name(&self) -> &'static str {
        match self {
            WireMessage::TurnBegin { .. } => "TurnBegin",
            WireMessage::TurnEnd => "TurnEnd",
            WireMessage::StepBegin { .. } => "StepBegin",
            WireMessage::StepInterrupted => "StepInterrupted",
            WireMessage::StepRetry(_) => "StepRetry",
            WireMessage::CompactionBegin => "CompactionBegin",
            WireMessage::CompactionEnd => "CompactionEnd",
            WireMessage::StatusUpdate(_) => "StatusUpdate",
            WireMessage::ContentPart(_) => "ContentPart",
            WireMessage::ToolCall(_) => "ToolCall",
            WireMessage::ToolCallPart(_) => "ToolCallPart",
            WireMessage::ToolResult(_) => "ToolResult",
            WireMessage::SteerInput { .. } => "SteerInput",
            WireMessage::HookTriggered { .. } => "HookTriggered",
            WireMessage::HookResolved { .. } => "HookResolved",
            WireMessage::PlanDisplay { .. } => "PlanDisplay",
            WireMessage::Notification(_) => "Notification",
            WireMessage::McpLoadingBegin => "MCPLoadingBegin",
            WireMessage::McpLoadingEnd => "MCPLoadingEnd",
            WireMessage::SubagentEvent { .. } => "SubagentEvent",
        }
    }

    pub fn payload(&self) -> Value {
        match self {
            WireMessage::TurnBegin { user_input } | WireMessage::SteerInput { user_input } => {
                json!({"user_input": user_input.to_json()})
            }
            WireMessage::TurnEnd
            | WireMessage::McpLoadingBegin
            | WireMessage::McpLoadingEnd
            | WireMessage::StepInterrupted
            | WireMessage::CompactionBegin
            | WireMessage::CompactionEnd => json!({}),
            WireMessage::StepBegin { n } => json!({"n": n}),
            WireMessage::StepRetry(r) => json!({
                "n": r.n,
                "next_attempt": r.next_attempt,
                "max_attempts": r.max_attempts,
                "wait_s": r.wait_s,
                "error_type": r.error_type,
                "status_code": r.status_code,
            }),
            WireMessage::StatusUpdate(s) => json!({
                "context_usage": s.context_usage,
                "context_tokens": s.context_tokens,
                "max_context_tokens": s.max_context_tokens,
                "token_usage": s.token_usage.map(|u| u.to_json()),
                "message_id": s.message_id,
                "plan_mode": s.plan_mode,
                "mcp_status": s.mcp_status,
            }),
            WireMessage::ContentPart(p) => p.to_json(),
            WireMessage::ToolCall(c) => c.to_json(),
            WireMessage::ToolCallPart(p) => p.to_json(),
            WireMessage::ToolResult(r) => r.to_json(),
            WireMessage::HookTriggered {
                event,
                target,
                hook_count,
            } => json!({"event": event, "target": target, "hook_count": hook_count}),
            WireMessage::SubagentEvent {
                parent_tool_call_id,
                agent_id,
                subagent_type,
                event,
            } => json!({
                "parent_tool_call_id": parent_tool_call_id,
                "agent_id": agent_id,
                "subagent_type": subagent_type,
                "event": event,
            }),
            WireMessage::PlanDisplay { content, file_path } => {
                json!({"content": content, "file_path": file_path})
            }
            WireMessage::Notification(payload) => payload.clone(),
            WireMessage::HookResolved {
                event,
                target,
                action,
                reason,
                duration_ms,
            } => json!({
                "event": event,
                "target": target,
                "action": action,
                "reason": reason,
                "duration_ms": duration_ms,
            }),
        }
    }

    /// `{"type": ..., "payload": ...}`
    pub fn envelope(&self) -> Value {
        json!({"type": self.type_name(), "payload": self.payload()})
    }
}
