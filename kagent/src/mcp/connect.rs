//! Starting the configured MCP servers and keeping their connections.
//!
//! As in kimi-cli's wire mode, every server is started in the background as soon as kagent
//! starts, all at once; the first turn waits for the start-up to finish ([`McpLoading::wait`]).
//! A server's status goes `pending` → `connecting` → `connected` or `failed` (`unauthorized`
//! for an OAuth server without stored tokens, which is skipped). The status snapshot is
//! kimi-cli's `MCPStatusSnapshot`. Shutdown stops each stdio child (stdin closed, then
//! SIGTERM, then SIGKILL).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rmcp::service::{RoleClient, RunningService, ServiceExt};
use serde_json::{json, Value};

use super::config::ServerConfig;

/// A live connection to one server.
pub type Client = RunningService<RoleClient, ()>;

/// One server's start-up state, as the status snapshot shows it.
#[derive(Debug, Clone)]
pub struct ServerStatus {
    pub name: String,
    pub status: &'static str,
    /// Names of its tools (once connected).
    pub tools: Vec<String>,
    /// Why it failed (once failed).
    pub error: Option<String>,
}

/// A connected server and the tools it listed (their JSON form: name, description,
/// inputSchema, ...).
pub struct LiveServer {
    pub name: String,
    /// The connection; owned here alone, so shutdown can close it and stop the child.
    pub client: Client,
    /// What the tools call through.
    pub peer: rmcp::service::Peer<RoleClient>,
    pub tools: Vec<Value>,
}

/// The configured servers: their status and, after start-up, their connections.
pub struct McpServers {
    status: Arc<Mutex<Vec<ServerStatus>>>,
    /// `true` once every start-up attempt ended (what [`McpStatusView`] waits for).
    started: tokio::sync::watch::Receiver<bool>,
    task: Option<tokio::task::JoinHandle<Vec<LiveServer>>>,
    live: Vec<LiveServer>,
    /// The failures not yet reported to a turn.
    unreported_failures: bool,
}

/// The servers' start-up status, readable while a turn waits for the start-up (kimi-kernel's
/// shell asks for it to show `/mcp` and the prompt's MCP line; kagent/README.md, "mcp_status").
#[derive(Clone)]
pub struct McpStatusView {
    status: Arc<Mutex<Vec<ServerStatus>>>,
    started: tokio::sync::watch::Receiver<bool>,
}

impl McpStatusView {
    /// Whether the start-up is still running.
    pub fn is_loading(&self) -> bool {
        // a closed channel: the start-up task is gone (stopped at shutdown), so it ended
        !*self.started.borrow() && self.started.has_changed().is_ok()
    }

    /// Wait until the start-up ended.
    pub async fn wait_started(&self) {
        let mut started = self.started.clone();
        // an error means the start-up task is gone, so it ended too
        let _ = started.wait_for(|done| *done).await;
    }

    /// kimi-cli's `MCPStatusSnapshot`.
    pub fn snapshot(&self) -> Value {
        let st = lock(&self.status);
        let servers: Vec<Value> = st
            .iter()
            .map(|s| json!({"name": s.name, "status": s.status, "tools": s.tools}))
            .collect();
        json!({
            "loading": self.is_loading(),
            "connected": st.iter().filter(|s| s.status == "connected").count(),
            "total": st.len(),
            "tools": st.iter().map(|s| s.tools.len()).sum::<usize>(),
            "servers": servers,
        })
    }
}

/// The servers shared by the soul (which waits for them) and the server (which stops them).
pub type McpLoading = Arc<tokio::sync::Mutex<McpServers>>;

impl McpServers {
    /// Start every server in the background.
    pub fn start(servers: Vec<(String, ServerConfig)>, share: PathBuf) -> McpServers {
        let status: Vec<ServerStatus> = servers
            .iter()
            .map(|(name, cfg)| {
                let unauthorized = matches!(cfg, ServerConfig::Remote { oauth: true, url, .. }
                    if super::oauth::stored_access_token(&share, url).is_none());
                if unauthorized {
                    kagent_base::logging::warn(&crate::tools::util::msg(
                        "mcp.unauthorized.log",
                        &[("{server_name}", name)],
                    ));
                }
                ServerStatus {
                    name: name.clone(),
                    status: if unauthorized {
                        "unauthorized"
                    } else {
                        "pending"
                    },
                    tools: vec![],
                    error: None,
                }
            })
            .collect();
        let status = Arc::new(Mutex::new(status));
        let shared = status.clone();
        let (started_tx, started) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut starts = vec![];
            for (i, (name, cfg)) in servers.into_iter().enumerate() {
                if lock(&shared)[i].status != "pending" {
                    continue;
                }
                lock(&shared)[i].status = "connecting";
                let (shared, share) = (shared.clone(), share.clone());
                starts.push(async move {
                    let outcome = connect_one(&name, &cfg, &share).await;
                    let mut st = lock(&shared);
                    match outcome {
                        Ok(live) => {
                            st[i].status = "connected";
                            st[i].tools = live
                                .tools
                                .iter()
                                .filter_map(|t| t.get("name").and_then(Value::as_str))
                                .map(str::to_string)
                                .collect();
                            kagent_base::logging::info(&crate::tools::util::msg(
                                "mcp.connected.log",
                                &[("{server_name}", &name)],
                            ));
                            Some(live)
                        }
                        Err(e) => {
                            kagent_base::logging::error(&crate::tools::util::msg(
                                "mcp.connect_failed.log",
                                &[("{server_name}", &name), ("{error}", &e)],
                            ));
                            st[i].status = "failed";
                            st[i].error = Some(e);
                            None
                        }
                    }
                });
            }
            let live = futures::future::join_all(starts)
                .await
                .into_iter()
                .flatten()
                .collect();
            let _ = started_tx.send(true);
            live
        });
        McpServers {
            status,
            started,
            task: Some(task),
            live: vec![],
            unreported_failures: true,
        }
    }

    /// Whether the start-up is still running.
    pub fn is_loading(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// kimi-cli's `MCPStatusSnapshot` (the `mcp_status` of a `StatusUpdate`).
    pub fn snapshot(&self) -> Value {
        self.view().snapshot()
    }

    /// A handle on the status that needs no lock on the servers (a turn holds that lock
    /// while it waits for the start-up).
    pub fn view(&self) -> McpStatusView {
        McpStatusView {
            status: self.status.clone(),
            started: self.started.clone(),
        }
    }

    /// The servers' statuses.
    pub fn statuses(&self) -> Vec<ServerStatus> {
        lock(&self.status).clone()
    }

    /// Wait for the start-up. The servers that failed to start are reported once, as kimi-cli's
    /// `MCPRuntimeError` text; later calls return `Ok`.
    pub async fn wait(&mut self) -> Result<(), String> {
        if let Some(task) = self.task.as_mut() {
            match task.await {
                Ok(live) => self.live = live,
                Err(e) => kagent_base::logging::error(&format!("MCP start-up task failed: {e}")),
            }
            self.task = None;
        }
        if !std::mem::take(&mut self.unreported_failures) {
            return Ok(());
        }
        let failed: Vec<String> = lock(&self.status)
            .iter()
            .filter(|s| s.status == "failed")
            .map(|s| {
                format!(
                    "{}: {}",
                    kagent_base::py::repr::repr_str(&s.name),
                    s.error.as_deref().unwrap_or("failed")
                )
            })
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            let failed = format!("{{{}}}", failed.join(", "));
            Err(format!(
                "MCPRuntimeError: {}",
                crate::tools::util::msg("mcp.connect_failed_all", &[("{failed}", &failed)])
            ))
        }
    }

    /// The connected servers (after [`McpServers::wait`]).
    pub fn live(&self) -> &[LiveServer] {
        &self.live
    }

    /// Stop every server: each child's stdin is closed, then it is terminated, then killed.
    pub async fn shutdown(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        // all at once: each may take a few seconds to exit
        let stops = std::mem::take(&mut self.live)
            .into_iter()
            .map(|live| live.client.cancel());
        futures::future::join_all(stops).await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    kagent_base::sync::lock(m)
}

/// The environment of a stdio server: the MCP SDK's default set taken from kagent's own
/// environment (as kimi-cli's client passes it), then the configured variables.
const INHERITED_ENV: &[&str] = &["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];

async fn connect_one(
    name: &str,
    cfg: &ServerConfig,
    share: &std::path::Path,
) -> Result<LiveServer, String> {
    let client: Client = match cfg {
        ServerConfig::Stdio {
            command,
            args,
            env,
            cwd,
        } => {
            let env = stdio_env(env)?;
            let mut cmd = tokio::process::Command::new(command);
            cmd.args(args).env_clear();
            for key in INHERITED_ENV {
                if let Ok(v) = std::env::var(key) {
                    // a shell function exported into the environment is not passed on
                    if !v.starts_with("()") {
                        cmd.env(key, v);
                    }
                }
            }
            cmd.envs(env);
            if let Some(cwd) = cwd {
                cmd.current_dir(cwd);
            }
            let (transport, stderr) = rmcp::transport::TokioChildProcess::builder(cmd)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| spawn_error(command, &e))?;
            if let Some(stderr) = stderr {
                let name = name.to_string();
                tokio::spawn(async move {
                    use tokio::io::AsyncBufReadExt;
                    let mut lines = tokio::io::BufReader::new(stderr).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        kagent_base::logging::info(&format!("MCP server {name} stderr: {line}"));
                    }
                });
            }
            ().serve(transport)
                .await
                .map_err(|e| init_error(&e.to_string()))?
        }
        ServerConfig::Remote {
            url,
            sse,
            headers,
            oauth,
            bearer,
        } => connect_remote(url, *sse, headers, *oauth, bearer.as_deref(), share).await?,
    };
    let tools = client
        .list_all_tools()
        .await
        .map_err(|e| init_error(&e.to_string()))?;
    let tools: Vec<Value> = tools
        .iter()
        .filter_map(|t| serde_json::to_value(t).ok())
        .collect();
    // kimi-cli makes each tool a kosong tool, whose parameters must pass the 2020-12
    // metaschema: one that does not fails the whole server (and its connection is closed)
    let refused = tools.iter().find_map(|t| {
        t.get("inputSchema")
            .and_then(kagent_base::py::schema::check_error_repr)
    });
    if let Some(error) = refused {
        let _ = client.cancel().await;
        return Err(error);
    }
    Ok(LiveServer {
        name: name.to_string(),
        peer: client.peer().clone(),
        client,
        tools,
    })
}

/// A remote server over streamable HTTP or SSE (headers, a bearer token or kimi-cli's stored
/// OAuth token), on kagent's own HTTP client ([`super::http`]).
async fn connect_remote(
    url: &str,
    sse: bool,
    headers: &std::collections::BTreeMap<String, String>,
    oauth: bool,
    bearer: Option<&str>,
    share: &std::path::Path,
) -> Result<Client, String> {
    let token = if oauth {
        super::oauth::access_token(share, url).await
    } else {
        bearer.map(str::to_string)
    };
    let mut custom = std::collections::HashMap::new();
    for (k, v) in headers {
        let key =
            http::HeaderName::try_from(k.as_str()).map_err(|e| format!("header {k:?}: {e}"))?;
        let value =
            http::HeaderValue::try_from(v.as_str()).map_err(|e| format!("header {k:?}: {e}"))?;
        custom.insert(key, value);
    }
    let client = super::http::McpHttpClient::new().map_err(|e| e.to_string())?;
    if sse {
        let transport = super::sse::SseClientTransport::connect(client, url, token, custom)
            .await
            .map_err(|e| init_error(&e.to_string()))?;
        return ().serve(transport).await.map_err(|e| init_error(&e.to_string()));
    }
    let mut config =
        rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig::with_uri(url);
    if let Some(token) = token {
        config = config.auth_header(token);
    }
    config = config.custom_headers(custom);
    let transport = rmcp::transport::StreamableHttpClientTransport::with_client(client, config);
    ().serve(transport)
        .await
        .map_err(|e| init_error(&e.to_string()))
}

/// A server that cannot be spawned, worded as kimi-cli reports it (the repr of its
/// `RuntimeError`): `RuntimeError("Client failed to connect: [Errno 2] No such file or
/// directory: '/bin/nope'")`.
fn spawn_error(command: &str, e: &std::io::Error) -> String {
    let text = e.to_string();
    let detail = match e.raw_os_error() {
        Some(n) => {
            let strerror = text
                .strip_suffix(&format!(" (os error {n})"))
                .unwrap_or(&text);
            format!(
                "[Errno {n}] {strerror}: {}",
                kagent_base::py::repr::repr_str(command)
            )
        }
        None => text,
    };
    format!(
        "RuntimeError({})",
        py_str_repr(&format!("Client failed to connect: {detail}"))
    )
}

/// The configured variables as the MCP SDK's `StdioServerParameters` takes them: strings
/// only, each other value an error of the server's start, worded as kimi-cli reports it.
fn stdio_env(env: &serde_json::Map<String, Value>) -> Result<Vec<(String, String)>, String> {
    use kagent_base::py::args::{format_errors, ErrorItem};
    let mut errors = vec![];
    let mut out = vec![];
    for (k, v) in env {
        match v {
            Value::String(s) => out.push((k.clone(), s.clone())),
            _ => errors.push(ErrorItem {
                loc: format!("env.{k}"),
                msg: "Input should be a valid string".into(),
                kind: "string_type",
                input: v.clone(),
            }),
        }
    }
    if errors.is_empty() {
        return Ok(out);
    }
    Err(format!(
        "RuntimeError({})",
        py_str_repr(&format!(
            "Client failed to connect: {}",
            format_errors("StdioServerParameters", &errors)
        ))
    ))
}

/// A server that started but did not complete the MCP handshake (kimi-cli: `McpError`).
fn init_error(detail: &str) -> String {
    let lower = detail.to_ascii_lowercase();
    let text = if lower.contains("connection closed") || lower.contains("transport closed") {
        "Connection closed".to_string()
    } else {
        detail.to_string()
    };
    format!("McpError({})", py_str_repr(&text))
}

/// Python's repr of a str (double quotes when it holds a single quote and no double one).
fn py_str_repr(s: &str) -> String {
    kagent_base::py::repr::repr_str(s)
}
