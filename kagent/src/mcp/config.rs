//! The MCP configuration as kimi-cli reads it: JSON objects with an `mcpServers` map (fastmcp's
//! `MCPConfig`), from `--mcp-config-file` (repeatable), `--mcp-config` (inline, repeatable)
//! or, when neither is given, the share directory's `mcp.json` if it exists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kagent_base::py::args::{
    format_errors, null, validate_fields, ErrorItem, Field, Get, Kind, INT, STR,
};
use serde_json::{Map, Value};

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
    /// A document that is not a JSON object: the Python exception kimi-cli stops with.
    #[error("{0}")]
    NotAnObject(String),
    /// A valid config kagent cannot run as configured.
    #[error("{0}")]
    Unsupported(String),
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
        /// As configured: fastmcp lets any value through here; the MCP SDK refuses a value
        /// that is not a string when the server starts (see `connect`).
        env: Map<String, Value>,
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
    transform_required: &str,
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
        for (name, server) in parse_doc(doc, transform_required)? {
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

/// One `MCPConfig` document, validated as fastmcp's pydantic model validates it (kimi-cli
/// calls `MCPConfig.model_validate`): its wording, its choice of server type, and what it
/// lets through (unknown keys are kept and ignored).
fn parse_doc(
    doc: &Value,
    transform_required: &str,
) -> Result<Vec<(String, ServerConfig)>, McpConfigError> {
    let servers = match doc {
        Value::Object(obj) => match obj.get("mcpServers") {
            Some(servers) => servers.clone(),
            // fastmcp's `wrap_servers_at_root`: servers given without the `mcpServers` key
            None if obj
                .values()
                .any(|v| v.get("command").is_some() || v.get("url").is_some()) =>
            {
                doc.clone()
            }
            None => return Ok(vec![]),
        },
        // the before-validator's `"mcpServers" not in values` / `values.values()` on a
        // document that is not an object: Python's own exception texts (kimi-cli does not
        // catch them as config errors)
        Value::Array(items) if items.iter().any(|x| x.as_str() == Some("mcpServers")) => {
            return Err(model_errors(&[ErrorItem {
                loc: String::new(),
                msg: "Input should be a valid dictionary or instance of MCPConfig".into(),
                kind: "model_type",
                input: doc.clone(),
            }]))
        }
        Value::String(s) if s.contains("mcpServers") => {
            return Err(model_errors(&[ErrorItem {
                loc: String::new(),
                msg: "Input should be a valid dictionary or instance of MCPConfig".into(),
                kind: "model_type",
                input: doc.clone(),
            }]))
        }
        Value::Array(_) | Value::String(_) => {
            return Err(McpConfigError::NotAnObject(format!(
                "'{}' object has no attribute 'values'",
                kagent_base::py::repr::type_name(doc)
            )))
        }
        _ => {
            return Err(McpConfigError::NotAnObject(format!(
                "argument of type '{}' is not iterable",
                kagent_base::py::repr::type_name(doc)
            )))
        }
    };
    let Value::Object(servers) = servers else {
        return Err(model_errors(&[ErrorItem {
            loc: "mcpServers".into(),
            msg: "Input should be a valid dictionary".into(),
            kind: "dict_type",
            input: servers,
        }]));
    };
    let mut found = vec![];
    let mut errors = vec![];
    for (name, v) in &servers {
        match choose_server(name, v, transform_required) {
            Ok(Chosen::Plain(server)) => found.push((name.clone(), server)),
            Ok(Chosen::Transforming) => {
                return Err(McpConfigError::Unsupported(format!(
                    "MCP server `{name}` asks for fastmcp's tool transforms (`tools`, \
                     `include_tags` or `exclude_tags`), which kagent does not apply. Fix: \
                     remove those keys from its entry, or run this session on the Python \
                     kernel (kimi-kernel --kernel python)"
                )))
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(model_errors(&errors))
    }
}

fn model_errors(errors: &[ErrorItem]) -> McpConfigError {
    McpConfigError::Invalid(format_errors("MCPConfig", errors))
}

const fn field(name: &'static str, kind: Kind) -> Field {
    Field::optional(name, kind, null)
}

const OPT_STR: Kind = Kind::Optional(&STR);
const ANY_DICT: Kind = Kind::Dict(&Kind::Any);

/// fastmcp's `StdioMCPServer` fields, in its order (the order of pydantic's errors).
const STDIO: &[Field] = &[
    Field::required("command", STR),
    field("args", Kind::List(&STR)),
    field("env", ANY_DICT),
    field("transport", Kind::Literal(&["stdio"])),
    field("type", Kind::Optional(&Kind::Literal(&["stdio"]))),
    field("cwd", OPT_STR),
    field("timeout", Kind::Optional(&INT)),
    field("keep_alive", Kind::Optional(&Kind::Bool)),
    field("description", OPT_STR),
    field("icon", OPT_STR),
    field("authentication", Kind::Optional(&ANY_DICT)),
];

/// fastmcp's `RemoteMCPServer` fields.
const REMOTE: &[Field] = &[
    Field::required("url", STR),
    field(
        "transport",
        Kind::Optional(&Kind::Literal(&["http", "streamable-http", "sse"])),
    ),
    field("headers", Kind::Dict(&STR)),
    field(
        "auth",
        Kind::Optional(&Kind::Union(&[
            ("str", STR),
            ("literal['oauth']", Kind::Literal(&["oauth"])),
            ("is-instance[Auth]", Kind::Instance("Auth")),
        ])),
    ),
    field(
        "sse_read_timeout",
        Kind::Optional(&Kind::Union(&[
            ("timedelta", Kind::TimeDelta),
            ("int", INT),
            ("float", Kind::Float),
        ])),
    ),
    field("timeout", Kind::Optional(&INT)),
    field("description", OPT_STR),
    field("icon", OPT_STR),
    field("authentication", Kind::Optional(&ANY_DICT)),
];

/// The transform fields fastmcp's `Transforming*` servers add after the plain ones. `tools`
/// maps to fastmcp's `ToolTransformConfig` models, which kagent does not validate: a server
/// with transforms is refused anyway.
const TRANSFORMS: &[Field] = &[
    field("tools", ANY_DICT),
    field("include_tags", Kind::Optional(&Kind::Set(&STR))),
    field("exclude_tags", Kind::Optional(&Kind::Set(&STR))),
];

enum Chosen {
    Plain(ServerConfig),
    Transforming,
}

/// Python's truth value of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// fastmcp's server union `TransformingStdio | TransformingRemote | Stdio | Remote` in
/// pydantic's smart mode: of the members that validate, the one with the most of its own
/// fields present wins (the first on a tie); when none does, every member's errors.
fn choose_server(
    name: &str,
    v: &Value,
    transform_required: &str,
) -> Result<Chosen, Vec<ErrorItem>> {
    let members: [(&str, &[&[Field]], bool); 4] = [
        ("TransformingStdioMCPServer", &[STDIO, TRANSFORMS], true),
        ("TransformingRemoteMCPServer", &[REMOTE, TRANSFORMS], true),
        ("StdioMCPServer", &[STDIO], false),
        ("RemoteMCPServer", &[REMOTE], false),
    ];
    let mut best: Option<(usize, usize, Map<String, Value>)> = None;
    let mut errors = vec![];
    for (index, (model, parts, transforming)) in members.iter().enumerate() {
        let loc = format!("mcpServers.{name}.{model}");
        let fields: Vec<Field> = parts.iter().flat_map(|p| p.iter().cloned()).collect();
        if let (true, Value::Object(obj)) = (transforming, v) {
            let has = |k: &str| obj.get(k).is_some_and(|x| !x.is_null());
            if !(obj.get("tools").is_some_and(truthy) || has("include_tags") || has("exclude_tags"))
            {
                errors.push(ErrorItem {
                    loc,
                    msg: format!("Value error, {transform_required}"),
                    kind: "value_error",
                    input: v.clone(),
                });
                continue;
            }
        }
        match validate_fields(&fields, v, &loc, model) {
            Ok(values) => {
                let set = fields.iter().filter(|f| v.get(f.name).is_some()).count();
                if best.as_ref().is_none_or(|(count, _, _)| set > *count) {
                    best = Some((set, index, values));
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    let Some((_, index, values)) = best else {
        return Err(errors);
    };
    Ok(match index {
        0 | 1 => Chosen::Transforming,
        2 => Chosen::Plain(stdio_server(&values)),
        _ => Chosen::Plain(remote_server(&values)),
    })
}

fn stdio_server(values: &Map<String, Value>) -> ServerConfig {
    ServerConfig::Stdio {
        command: values.str_of("command"),
        args: values
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        env: values
            .get("env")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        cwd: values.opt_str("cwd").map(PathBuf::from),
    }
}

fn remote_server(values: &Map<String, Value>) -> ServerConfig {
    let url = values.str_of("url");
    let sse = match values.opt_str("transport").as_deref() {
        None => sse_inferred(&url),
        Some(transport) => transport == "sse",
    };
    let auth = values.opt_str("auth");
    ServerConfig::Remote {
        sse,
        headers: values
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        oauth: auth.as_deref() == Some("oauth"),
        bearer: auth.filter(|a| a != "oauth"),
        url,
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
            "",
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

    const NEEDS_TRANSFORM: &str = "needs a transform";

    fn load(inline: &str) -> Result<Vec<(String, ServerConfig)>, McpConfigError> {
        let share = std::env::temp_dir().join("kagent-mcp-config-test-none");
        load_configs(&[], &[inline.to_string()], &share, NEEDS_TRANSFORM)
    }

    #[test]
    fn bad_config_is_named() {
        let e = load("{nope").unwrap_err();
        assert_eq!(e.option(), Some("--mcp-config"));
        assert!(e.to_string().starts_with("Invalid JSON: "), "{e}");
        // no server type: each member of fastmcp's union says why it does not fit
        let e = load(r#"{"mcpServers":{"x":{"args":[]}}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("Invalid MCP config: 4 validation errors for MCPConfig\nmcpServers.x.TransformingStdioMCPServer\n  Value error, needs a transform [type=value_error"), "{e}");
        assert!(e.contains("\nmcpServers.x.StdioMCPServer.command\n  Field required [type=missing, input_value={'args': []}, input_type=dict]"), "{e}");
        assert!(e.ends_with("mcpServers.x.RemoteMCPServer.url\n  Field required [type=missing, input_value={'args': []}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.12/v/missing"), "{e}");
        let e =
            load(r#"{"mcpServers":{"x":{"url":"u","headers":{"h":1},"sse_read_timeout":"x"}}}"#)
                .unwrap_err()
                .to_string();
        for line in [
            "mcpServers.x.RemoteMCPServer.headers.h\n  Input should be a valid string [type=string_type, input_value=1, input_type=int]",
            "mcpServers.x.RemoteMCPServer.sse_read_timeout.timedelta\n  Input should be a valid timedelta, invalid digit in duration [type=time_delta_parsing",
            "mcpServers.x.RemoteMCPServer.sse_read_timeout.float\n  Input should be a valid number, unable to parse string as a number",
        ] {
            assert!(e.contains(line), "{line} in {e}");
        }
        assert_eq!(
            load("[1]").unwrap_err().to_string(),
            "'list' object has no attribute 'values'"
        );
        assert_eq!(
            load(r#"{"mcpServers":null}"#).unwrap_err().to_string(),
            "Invalid MCP config: 1 validation error for MCPConfig\nmcpServers\n  Input should be a valid dictionary [type=dict_type, input_value=None, input_type=NoneType]\n    For further information visit https://errors.pydantic.dev/2.12/v/dict_type"
        );
    }

    #[test]
    fn the_server_type_is_chosen_as_pydantic_chooses_it() {
        let kind = |inline: &str| match &load(inline).unwrap()[0].1 {
            ServerConfig::Stdio { .. } => "stdio",
            ServerConfig::Remote { .. } => "remote",
        };
        // a tie goes to the first member; more of a member's own fields win
        assert_eq!(
            kind(r#"{"mcpServers":{"x":{"url":"u","command":"c"}}}"#),
            "stdio"
        );
        assert_eq!(
            kind(r#"{"mcpServers":{"x":{"command":"c","url":"u","headers":{}}}}"#),
            "remote"
        );
        assert_eq!(
            kind(r#"{"mcpServers":{"x":{"url":"u","command":3}}}"#),
            "remote"
        );
        // servers at the top level, without `mcpServers`
        assert_eq!(kind(r#"{"x":{"command":"c"}}"#), "stdio");
        assert!(load(r#"{"x":{"nothing":1}}"#).unwrap().is_empty());
        // an empty `tools` is no transform; tags are
        assert_eq!(
            kind(r#"{"mcpServers":{"x":{"command":"c","tools":{}}}}"#),
            "stdio"
        );
        let e = load(r#"{"mcpServers":{"x":{"command":"c","include_tags":["t"]}}}"#).unwrap_err();
        assert!(matches!(e, McpConfigError::Unsupported(_)), "{e}");
        // an invalid tag set leaves the plain member, with the key ignored
        assert_eq!(
            kind(r#"{"mcpServers":{"x":{"command":"c","include_tags":3}}}"#),
            "stdio"
        );
    }
}
