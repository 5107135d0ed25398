//! The MCP configuration as kimi-cli reads it: JSON objects with an `mcpServers` map (fastmcp's
//! `MCPConfig`), from `--mcp-config-file` (repeatable), `--mcp-config` (inline, repeatable)
//! or, when neither is given, the share directory's `mcp.json` if it exists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A configuration that cannot be used; the texts follow kimi-cli's wording.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum McpConfigError {
    /// Not JSON (kimi-cli: a usage error of the option the text came from).
    #[error("Invalid JSON: {detail}")]
    InvalidJson {
        option: &'static str,
        detail: String,
    },
    /// A file that cannot be read.
    #[error("cannot read MCP config file {path}: {detail}")]
    Unreadable { path: String, detail: String },
    /// JSON that is not a valid MCP config (kimi-cli's `MCPConfigError`).
    #[error("Invalid MCP config: {0}")]
    Invalid(String),
}

impl McpConfigError {
    /// The option a usage error names, for JSON errors.
    pub fn option(&self) -> Option<&'static str> {
        match self {
            McpConfigError::InvalidJson { option, .. } => Some(option),
            _ => None,
        }
    }
}

/// How to reach one server.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerConfig {
    /// A child process speaking MCP on its stdin/stdout.
    Stdio {
        command: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
        cwd: Option<PathBuf>,
    },
    /// A remote server (streamable HTTP, or SSE).
    Remote {
        url: String,
        sse: bool,
        headers: BTreeMap<String, String>,
        /// `"auth": "oauth"`: use the tokens `kimi mcp auth` stored.
        oauth: bool,
        /// `"auth": "<token>"`: a bearer token given in the config.
        bearer: Option<String>,
    },
}

/// The share directory's default MCP config file (kimi-cli's `~/.kimi/mcp.json`).
pub fn default_config_file(share: &Path) -> PathBuf {
    share.join("mcp.json")
}

/// Read every configured server, in the order kimi-cli loads them: the files first, then the
/// inline configs; the default file only when neither is given. A server name given twice
/// keeps its last definition (a later config overrides an earlier one).
pub fn load_configs(
    files: &[PathBuf],
    inline: &[String],
    share: &Path,
) -> Result<Vec<(String, ServerConfig)>, McpConfigError> {
    let mut files: Vec<PathBuf> = files.to_vec();
    if files.is_empty() && inline.is_empty() {
        let default = default_config_file(share);
        if default.exists() {
            files.push(default);
        }
    }
    let mut docs = vec![];
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| McpConfigError::Unreadable {
            path: f.display().to_string(),
            detail: e.to_string(),
        })?;
        docs.push(parse_json(&text, "--mcp-config-file")?);
    }
    for text in inline {
        docs.push(parse_json(text, "--mcp-config")?);
    }
    let mut servers: Vec<(String, ServerConfig)> = vec![];
    for doc in &docs {
        for (name, server) in parse_doc(doc)? {
            servers.retain(|(n, _)| *n != name);
            servers.push((name, server));
        }
    }
    Ok(servers)
}

/// `json.loads`, with its `JSONDecodeError` text (kimi-cli words the usage error with it).
fn parse_json(text: &str, option: &'static str) -> Result<Value, McpConfigError> {
    kagent_base::py::loads::loads(text).map_err(|e| McpConfigError::InvalidJson {
        option,
        detail: e.to_string(),
    })
}

fn invalid(what: impl Into<String>) -> McpConfigError {
    McpConfigError::Invalid(what.into())
}

/// One `MCPConfig` document: `{"mcpServers": {name: server}}`.
fn parse_doc(doc: &Value) -> Result<Vec<(String, ServerConfig)>, McpConfigError> {
    let Some(obj) = doc.as_object() else {
        return Err(invalid(
            "the config must be a JSON object like {\"mcpServers\": {\"name\": {...}}}",
        ));
    };
    let servers = match obj.get("mcpServers") {
        None | Some(Value::Null) => return Ok(vec![]),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(invalid("mcpServers: Input should be a valid dictionary")),
    };
    servers
        .iter()
        .map(|(name, v)| Ok((name.clone(), parse_server(name, v)?)))
        .collect()
}

fn string_of(v: &Value, key: &str, name: &str) -> Result<Option<String>, McpConfigError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!(
            "mcpServers.{name}.{key}: Input should be a valid string"
        ))),
    }
}

fn string_map(
    v: &Value,
    key: &str,
    name: &str,
) -> Result<BTreeMap<String, String>, McpConfigError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, val)| match val {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(invalid(format!(
                    "mcpServers.{name}.{key}.{k}: Input should be a valid string"
                ))),
            })
            .collect(),
        Some(_) => Err(invalid(format!(
            "mcpServers.{name}.{key}: Input should be a valid dictionary"
        ))),
    }
}

/// fastmcp's choice for a URL without `transport`: SSE when the URL's path has a `/sse`
/// segment (followed by `/`, `&` or its end), else streamable HTTP.
fn sse_inferred(url: &str) -> bool {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("", |i| &after_scheme[i..])
        .split(['?', '#'])
        .next()
        .unwrap_or("");
    path.match_indices("/sse")
        .any(|(i, m)| matches!(path[i + m.len()..].chars().next(), None | Some('/' | '&')))
}

fn parse_server(name: &str, v: &Value) -> Result<ServerConfig, McpConfigError> {
    if !v.is_object() {
        return Err(invalid(format!(
            "mcpServers.{name}: Input should be a valid dictionary (a server needs \"command\" or \"url\")"
        )));
    }
    if let Some(command) = string_of(v, "command", name)? {
        let args = match v.get("args") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str().map(str::to_string).ok_or_else(|| {
                        invalid(format!(
                            "mcpServers.{name}.args: Input should be a list of strings"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(invalid(format!(
                    "mcpServers.{name}.args: Input should be a valid list"
                )))
            }
        };
        return Ok(ServerConfig::Stdio {
            command,
            args,
            env: string_map(v, "env", name)?,
            cwd: string_of(v, "cwd", name)?.map(PathBuf::from),
        });
    }
    if let Some(url) = string_of(v, "url", name)? {
        let transport = string_of(v, "transport", name)?;
        let sse = match transport.as_deref() {
            None => sse_inferred(&url),
            Some("http" | "streamable-http") => false,
            Some("sse") => true,
            Some(other) => {
                return Err(invalid(format!(
                    "mcpServers.{name}.transport: Input should be 'http', 'streamable-http' or 'sse', not {other:?}"
                )))
            }
        };
        let auth = string_of(v, "auth", name)?;
        return Ok(ServerConfig::Remote {
            url,
            sse,
            headers: string_map(v, "headers", name)?,
            oauth: auth.as_deref() == Some("oauth"),
            bearer: auth.filter(|a| a != "oauth"),
        });
    }
    Err(invalid(format!(
        "mcpServers.{name}: a server needs \"command\" (a local program) or \"url\" (a remote server)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stdio_and_remote_servers_in_order() {
        let share = std::env::temp_dir().join("kagent-mcp-config-test-none");
        let got = load_configs(
            &[],
            &[
                r#"{"mcpServers":{"a":{"command":"python","args":["s.py"],"env":{"K":"v"},"cwd":"/tmp"}}}"#.into(),
                r#"{"mcpServers":{"b":{"url":"http://127.0.0.1:1/mcp","headers":{"X":"y"},"auth":"oauth"}}}"#.into(),
            ],
            &share,
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "a");
        assert!(
            matches!(&got[0].1, ServerConfig::Stdio { command, args, .. } if command == "python" && args == &["s.py"])
        );
        assert!(matches!(
            &got[1].1,
            ServerConfig::Remote {
                oauth: true,
                sse: false,
                ..
            }
        ));
    }

    #[test]
    fn sse_is_inferred_as_fastmcp_infers_it() {
        for (url, sse) in [
            ("http://h/sse", true),
            ("http://h/sse/", true),
            ("http://h/a/sse/b?x=1", true),
            ("http://h/sse?x=1", true),
            ("http://h/mcp?via=/sse", false),
            ("http://h/ssex", false),
            ("http://sse/mcp", false),
            ("http://h/mcp", false),
        ] {
            assert_eq!(sse_inferred(url), sse, "{url}");
        }
    }

    #[test]
    fn bad_config_is_named() {
        let share = std::env::temp_dir();
        let e = load_configs(&[], &["{nope".into()], &share).unwrap_err();
        assert_eq!(e.option(), Some("--mcp-config"));
        assert!(e.to_string().starts_with("Invalid JSON: "), "{e}");
        let e =
            load_configs(&[], &[r#"{"mcpServers":{"x":{"args":[]}}}"#.into()], &share).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Invalid MCP config: mcpServers.x"),
            "{e}"
        );
        let e = load_configs(
            &[],
            &[r#"{"mcpServers":{"x":{"command":1}}}"#.into()],
            &share,
        )
        .unwrap_err();
        assert!(e.to_string().contains("mcpServers.x.command"), "{e}");
    }
}
