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
        let listed = match spec.get("description").and_then(Value::as_str) {
            Some(d) if !d.is_empty() => d.to_string(),
            _ => crate::tools::util::msg("tool.no_description", &[]),
        };
        Some(McpTool {
            description: crate::tools::util::msg(
                "mcp.tool_description",
                &[("{server}", server), ("{description}", &listed)],
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
                kagent_base::logging::error(&format!(
                    "{}: {why}",
                    crate::tools::util::msg(
                        "tool.execution_failed.log",
                        &[("{tool_name}", &name), ("{call_id}", &ctx.tool_call_id)]
                    )
                ));
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
                Err(elapsed) => {
                    kagent_base::logging::warn(&crate::tools::util::msg(
                        "mcp.call_timeout.log",
                        &[("{tool_name}", &name), ("{error}", &elapsed.to_string())],
                    ));
                    ToolReturnValue::error(
                        crate::tools::util::msg("mcp.call_timeout", &[("{tool_name}", &name)]),
                        "Timeout",
                    )
                }
                Ok(Err(e)) => {
                    kagent_base::logging::error(&crate::tools::util::msg(
                        "mcp.call_failed.log",
                        &[("{tool_name}", &name), ("{error}", &e.to_string())],
                    ));
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
                            let content = v.get("content").cloned().unwrap_or_default();
                            kagent_base::logging::warn(&crate::tools::util::msg(
                                "mcp.returned_error.log",
                                &[("{tool_name}", &name), ("{content}", &content.to_string())],
                            ));
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
