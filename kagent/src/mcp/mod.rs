//! MCP (Model Context Protocol) servers as kimi-cli 1.51 runs them, on the `rmcp` SDK.
//!
//! A user's MCP servers (from `--mcp-config-file`, `--mcp-config` or the share directory's
//! `mcp.json`) are started in the background when kagent starts; the first turn waits for
//! them (announcing the wait with `MCPLoadingBegin`/`MCPLoadingEnd` when it has to), and
//! their tools then join the toolset with kimi-cli's names, descriptions and approvals.
//! [`config`] reads the configuration, [`connect`] starts the servers, [`tool`] is the tool
//! the model calls, [`result`] converts what a server returns, [`http`] and [`sse`] reach remote servers, [`oauth`] reads the tokens
//! `kimi mcp auth` stored.

pub mod config;
pub mod connect;
pub mod http;
pub mod oauth;
pub mod result;
pub mod sse;
pub mod tool;

pub use config::{load_configs, McpConfigError, ServerConfig};
pub use connect::{McpLoading, McpServers, McpStatusView};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::tools::approval::Approval;
use crate::tools::Toolset;
use crate::wire::types::{StatusUpdate, WireMessage};
use crate::wire::Wire;

/// The session's MCP servers as the turn loop uses them (cheap to clone).
#[derive(Clone)]
pub struct McpSession {
    pub servers: McpLoading,
    /// Their status, readable without the lock a turn holds while it waits.
    pub status: McpStatusView,
    /// The session's approval policy, set once the server installed the built-in tools.
    approval: Arc<Mutex<Option<Approval>>>,
    /// `mcp.client.tool_call_timeout_ms`.
    call_timeout: Duration,
    registered: Arc<AtomicBool>,
}

impl McpSession {
    /// Start the servers in the background.
    pub fn start(
        servers: Vec<(String, ServerConfig)>,
        share: std::path::PathBuf,
        call_timeout: Duration,
    ) -> McpSession {
        let servers = McpServers::start(servers, share);
        McpSession {
            status: servers.view(),
            servers: Arc::new(tokio::sync::Mutex::new(servers)),
            approval: Arc::new(Mutex::new(None)),
            call_timeout,
            registered: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn set_approval(&self, approval: Approval) {
        *kagent_base::sync::lock(&self.approval) = Some(approval);
    }

    /// Before a turn's first step: wait for the start-up (telling the client when it has to
    /// wait), then add the servers' tools to `toolset` once. A failed start-up is reported to
    /// the first turn only, as kimi-cli's `MCPRuntimeError`.
    pub async fn before_turn(&self, toolset: &mut Toolset, wire: &Wire) -> Result<(), String> {
        let mut servers = self.servers.lock().await;
        let loading = servers.is_loading();
        let status = |s: &McpServers| {
            WireMessage::StatusUpdate(StatusUpdate {
                mcp_status: Some(s.snapshot()),
                ..Default::default()
            })
        };
        if loading {
            wire.send(status(&servers));
            wire.send(WireMessage::McpLoadingBegin);
        }
        let outcome = servers.wait().await;
        if !self.registered.swap(true, Ordering::SeqCst) {
            let approval = kagent_base::sync::lock(&self.approval).clone();
            if let Some(approval) = approval {
                for t in tool::tools_of(&servers, &approval, self.call_timeout) {
                    toolset.register(t);
                }
            } else {
                kagent_base::logging::error("MCP tools left out: no approval policy was set");
            }
        }
        if loading {
            wire.send(status(&servers));
            wire.send(WireMessage::McpLoadingEnd);
        }
        outcome
    }

    /// Stop every server.
    pub async fn shutdown(&self) {
        self.servers.lock().await.shutdown().await;
    }
}
