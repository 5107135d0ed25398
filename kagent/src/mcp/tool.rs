//! One MCP server tool as the model sees it (kimi-cli's `MCPTool`): the server's name and
//! input schema, a description that names the server, an approval per call (action
//! `mcp:<tool>`, so "for the session" covers that tool), arguments checked against the input
//! schema first (kosong's `jsonschema.validate`), the configured call timeout
//! (`mcp.client.tool_call_timeout_ms`), and the result converted by [`super::result`].

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use kagent_base::BoxFuture;

use crate::tools::approval::Approval;
use crate::tools::{Tool, ToolContext, ToolReturnValue};

pub struct McpTool {
    name: String,
    description: String,
    parameters: Value,
    client: rmcp::service::Peer<rmcp::RoleClient>,
    approval: Approval,
    timeout: Duration,
}

impl McpTool {
    /// The tool `spec` (a listed tool's JSON) of server `server`.
    pub fn new(
        server: &str,
        spec: &Value,
        client: rmcp::service::Peer<rmcp::RoleClient>,
        approval: Approval,
        timeout: Duration,
    ) -> Option<McpTool> {
        let name = spec.get("name")?.as_str()?.to_string();
        let listed = spec
            .get("description")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
            .unwrap_or("No description provided.");
        Some(McpTool {
            description: format!(
                "This is an MCP (Model Context Protocol) tool from MCP server `{server}`.\n\n{listed}"
            ),
            parameters: spec
                .get("inputSchema")
                .cloned()
                .unwrap_or_else(|| serde_json::json!({"type": "object"})),
            name,
            client,
            approval,
            timeout,
        })
    }
}

impl Tool for McpTool {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn parameters(&self) -> Value {
        self.parameters.clone()
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let (name, client, approval, timeout) = (
            self.name.clone(),
            self.client.clone(),
            self.approval.clone(),
            self.timeout,
        );
        // kosong checks the arguments against the input schema before the call (and so before
        // the approval): a mismatch is its `ToolValidateError`, the server is not asked
        // (`ValidationError`); any other exception of the check (the schema itself refused by
        // its draft's metaschema, an unresolvable `$ref`) is kimi-cli's `ToolRuntimeError`
        use kagent_base::py::schema::{validate, Failure};
        match validate(&arguments, &self.parameters) {
            Ok(()) => {}
            Err(Failure::Invalid(why)) => {
                let invalid = kagent_base::py::args::validate_error(&why);
                return Box::pin(async move { invalid });
            }
            Err(Failure::Raised(why)) => {
                kagent_base::logging::error(&format!("Tool execution failed: {name}: {why}"));
                let failed = ToolReturnValue::error(
                    format!("Error running tool: {why}"),
                    "Tool runtime error",
                );
                return Box::pin(async move { failed });
            }
        }
        Box::pin(async move {
            let decision = approval
                .request(
                    &ctx.tool_call_id,
                    &name,
                    &format!("mcp:{name}"),
                    &format!("Call MCP tool `{name}`."),
                    vec![],
                )
                .await;
            if !decision.approved() {
                return decision.rejection();
            }
            let mut params = rmcp::model::CallToolRequestParams::new(name.clone());
            params.arguments = arguments.as_object().cloned();
            match tokio::time::timeout(timeout, client.call_tool(params)).await {
                Err(_) => {
                    kagent_base::logging::warn(&format!("MCP tool call timed out: {name}"));
                    ToolReturnValue::error(
                        format!("Timeout while calling MCP tool `{name}`. You may explain to the user that the timeout config is set too low."),
                        "Timeout",
                    )
                }
                Ok(Err(e)) => {
                    kagent_base::logging::error(&format!("MCP tool call failed: {name}: {e}"));
                    // the server went away mid-call: worded as kimi-cli's client says it
                    let why = match e {
                        rmcp::service::ServiceError::TransportClosed => {
                            "Connection closed".to_string()
                        }
                        other => other.to_string(),
                    };
                    ToolReturnValue::error(
                        format!("Error running tool: {why}"),
                        "Tool runtime error",
                    )
                }
                Ok(Ok(result)) => match serde_json::to_value(&result) {
                    Ok(v) => {
                        if result.is_error == Some(true) {
                            kagent_base::logging::warn(&format!("MCP tool returned error: {name}"));
                        }
                        super::result::convert(&v)
                    }
                    Err(e) => ToolReturnValue::error(
                        format!("Error running tool: {e}"),
                        "Tool runtime error",
                    ),
                },
            }
        })
    }
}

/// Every tool of the connected servers.
pub fn tools_of(
    servers: &super::connect::McpServers,
    approval: &Approval,
    timeout: Duration,
) -> Vec<Arc<dyn Tool>> {
    let mut out: Vec<Arc<dyn Tool>> = vec![];
    for live in servers.live() {
        for spec in &live.tools {
            if let Some(t) = McpTool::new(
                &live.name,
                spec,
                live.client.clone(),
                approval.clone(),
                timeout,
            ) {
                out.push(Arc::new(t));
            }
        }
    }
    out
}
