//! Configuration: `config.toml` / JSON files, inline `--config`, `KIMI_SHARE_DIR`.
//!
//! Files are parsed into a JSON value first (TOML and JSON share one validator), then the
//! fields the kernel uses are checked with errors worded like kimi-cli's (the profile's
//! `config.*` messages).

pub mod agentspec;
pub mod hooks;
pub mod profile;

use kagent_base::paths::{expand_user_path, share_dir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A configuration error, reported on stderr with exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", file_error("config.invalid_json", path, detail))]
    Json { path: String, detail: String },
    #[error("{}", file_error("config.invalid_toml", path, detail))]
    Toml { path: String, detail: String },
    #[error("{}", file_error("config.invalid_file", path, detail))]
    Invalid { path: String, detail: String },
    #[error("{}", profile::active().message("config.empty_text"))]
    EmptyText,
    #[error("{}", profile::active().message_with("config.invalid_text", &[("{error}", .0)]))]
    Text(String),
    #[error("Cannot read configuration file {path}: {detail}")]
    Io { path: String, detail: String },
}

/// A configuration file's error (the profile's `messages` `key`), placeholders filled.
fn file_error(key: &str, path: &str, detail: &str) -> String {
    profile::active().message_with(key, &[("{path}", path), ("{error}", detail)])
}

/// `[providers.<name>]`
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LlmProvider {
    /// `type`: `_echo`, `_scripted_echo`, `kimi`, `openai_legacy`, ...
    pub kind: String,
    pub base_url: String,
    pub api_key: String,
    pub env: BTreeMap<String, String>,
    pub custom_headers: BTreeMap<String, String>,
}

/// `[models.<name>]`
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LlmModel {
    pub provider: String,
    pub model: String,
    pub max_context_size: i64,
    pub capabilities: Vec<String>,
}

/// `[services.moonshot_search]` / `[services.moonshot_fetch]`: the Moonshot web services
/// `SearchWeb` and `FetchURL` call (kimi-cli's `MoonshotSearchConfig`/`MoonshotFetchConfig`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebService {
    pub base_url: String,
    pub api_key: String,
    pub custom_headers: BTreeMap<String, String>,
    /// `oauth.key`: where kimi-cli's login stored the service's token (`storage = "file"`:
    /// `<share>/credentials/<last part of the key>.json`); preferred to `api_key`.
    pub oauth_key: Option<String>,
}

/// `[services]`
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Services {
    pub moonshot_search: Option<WebService>,
    pub moonshot_fetch: Option<WebService>,
}

/// `[loop_control]`
#[derive(Debug, Clone, PartialEq)]
pub struct LoopControl {
    pub max_steps_per_turn: i64,
    pub max_retries_per_step: i64,
    /// Extra iterations of a prompt in Ralph mode (0: off, -1: unlimited).
    pub max_ralph_iterations: i64,
    pub reserved_context_size: i64,
    pub compaction_trigger_ratio: f64,
}

impl Default for LoopControl {
    fn default() -> Self {
        LoopControl {
            max_steps_per_turn: 1000,
            max_retries_per_step: 3,
            max_ralph_iterations: 0,
            reserved_context_size: 50_000,
            compaction_trigger_ratio: 0.85,
        }
    }
}

/// `[background]`: the background tasks' limits (kimi-cli's `BackgroundConfig`; the
/// worker process settings kimi-cli has there do not apply, kagent runs tasks itself, but for
/// how old a heartbeat makes a task lost).
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundConfig {
    pub max_running_tasks: i64,
    pub notification_tail_lines: i64,
    pub notification_tail_chars: i64,
    pub kill_grace_period_ms: i64,
    /// Leave running tasks alone when kagent exits.
    pub keep_alive_on_exit: bool,
    /// How long a background agent task may run (s) unless its call gives a timeout.
    pub agent_task_timeout_s: i64,
    /// A command task whose heartbeat is older than this (ms) is taken for lost.
    pub worker_stale_after_ms: i64,
}

impl Default for BackgroundConfig {
    fn default() -> Self {
        BackgroundConfig {
            max_running_tasks: 4,
            notification_tail_lines: 20,
            notification_tail_chars: 3_000,
            kill_grace_period_ms: 2_000,
            keep_alive_on_exit: false,
            agent_task_timeout_s: 900,
            worker_stale_after_ms: 15_000,
        }
    }
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub default_model: String,
    pub default_thinking: bool,
    pub default_yolo: bool,
    pub default_plan_mode: bool,
    /// Do not inject the afk-mode reminder.
    pub skip_afk_prompt_injection: bool,
    pub models: BTreeMap<String, LlmModel>,
    pub providers: BTreeMap<String, LlmProvider>,
    pub loop_control: LoopControl,
    pub background: BackgroundConfig,
    /// `[[hooks]]`: commands run on lifecycle events.
    pub hooks: Vec<hooks::HookDef>,
    /// Skills from every existing brand directory (`.kimi`, `.claude`, `.codex`), not only
    /// the first one.
    pub merge_all_available_skills: bool,
    /// More skills roots (absolute, `~/...`, or relative to the project root).
    pub extra_skill_dirs: Vec<String>,
    /// `mcp.client.tool_call_timeout_ms`: how long one MCP tool call may take.
    pub mcp_tool_call_timeout_ms: i64,
    /// `[services]`: the web services of `SearchWeb` and `FetchURL`.
    pub services: Services,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_model: String::new(),
            default_thinking: false,
            default_yolo: false,
            default_plan_mode: false,
            skip_afk_prompt_injection: false,
            models: BTreeMap::new(),
            providers: BTreeMap::new(),
            loop_control: LoopControl::default(),
            background: BackgroundConfig::default(),
            hooks: vec![],
            merge_all_available_skills: true,
            extra_skill_dirs: vec![],
            mcp_tool_call_timeout_ms: 60_000,
            services: Services::default(),
        }
    }
}

const DEFAULT_CONFIG_TOML: &str = "default_model = \"\"\n\n[models]\n\n[providers]\n";

/// Load the configuration file (default `<share>/config.toml`). A missing file is created with
/// the default (empty) configuration, as kimi-cli does.
pub fn load_config_file(path: Option<&Path>) -> Result<Config, ConfigError> {
    let path = match path {
        Some(p) => expand_user_path(&p.to_string_lossy()),
        None => share_dir().join("config.toml"),
    };
    let shown = absolute(&path).display().to_string();
    if !path.exists() {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if let Err(e) = std::fs::write(&path, DEFAULT_CONFIG_TOML) {
            kagent_base::logging::warn(&format!("could not write default config {shown}: {e}"));
        }
        return Ok(Config::default());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Io {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let data = if is_json {
        serde_json::from_str::<Value>(&text).map_err(|e| ConfigError::Json {
            path: shown.clone(),
            detail: e.to_string(),
        })?
    } else {
        toml_to_json(&text).map_err(|detail| ConfigError::Toml {
            path: shown.clone(),
            detail,
        })?
    };
    validate(&data).map_err(|detail| ConfigError::Invalid {
        path: shown,
        detail,
    })
}

/// Load inline configuration (`--config`): JSON first, then TOML.
pub fn load_config_text(text: &str) -> Result<Config, ConfigError> {
    if text.trim().is_empty() {
        return Err(ConfigError::EmptyText);
    }
    let data = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        Err(json_err) => toml_to_json(text)
            .map_err(|toml_err| ConfigError::Text(format!("{json_err}; {toml_err}")))?,
    };
    validate(&data).map_err(ConfigError::Text)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

fn toml_to_json(text: &str) -> Result<Value, String> {
    let v: toml::Value = toml::from_str(text).map_err(|e| e.message().to_string())?;
    Ok(toml_value_to_json(v))
}

fn toml_value_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_value_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.into_iter()
                .map(|(k, v)| (k, toml_value_to_json(v)))
                .collect(),
        ),
    }
}

fn get_str(obj: &Value, key: &str, ctx: &str, default: &str) -> Result<String, String> {
    match obj.get(key) {
        None => Ok(default.to_string()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!(
            "{ctx}{key}: Input should be a valid string, got {other}"
        )),
    }
}

fn get_int(obj: &Value, key: &str, ctx: &str, default: i64, min: i64) -> Result<i64, String> {
    let v = match obj.get(key) {
        None => return Ok(default),
        Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(default),
        Some(other) => {
            return Err(format!(
                "{ctx}{key}: Input should be a valid integer, got {other}"
            ))
        }
    };
    if v < min {
        return Err(format!(
            "{ctx}{key}: Input should be greater than or equal to {min}, got {v}"
        ));
    }
    Ok(v)
}

fn get_bool(obj: &Value, key: &str, default: bool) -> Result<bool, String> {
    match obj.get(key) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!(
            "{key}: Input should be a valid boolean, got {other}"
        )),
    }
}

fn string_list(obj: &Value, key: &str) -> Result<Vec<String>, String> {
    match obj.get(key) {
        None => Ok(vec![]),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "{key}.{i}: Input should be a valid string, got {other}"
                )),
            })
            .collect(),
        Some(other) => Err(format!("{key}: Input should be a valid list, got {other}")),
    }
}

fn string_map(obj: &Value, key: &str, ctx: &str) -> Result<BTreeMap<String, String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(format!(
                    "{ctx}{key}.{k}: Input should be a valid string, got {other}"
                )),
            })
            .collect(),
        Some(other) => Err(format!(
            "{ctx}{key}: Input should be a valid dictionary, got {other}"
        )),
    }
}

/// `services.<key>`, absent or null for none.
fn web_service(services: &Value, key: &str) -> Result<Option<WebService>, String> {
    let ctx = format!("services.{key}.");
    let s = match services.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(s) if s.is_object() => s,
        Some(other) => {
            return Err(format!(
                "services.{key}: Input should be a valid dictionary, got {other}"
            ))
        }
    };
    for required in ["base_url", "api_key"] {
        if s.get(required).is_none() {
            return Err(format!("{ctx}{required}: Field required"));
        }
    }
    let oauth_key = match s.get("oauth") {
        None | Some(Value::Null) => None,
        Some(o) if o.is_object() => match o.get("key") {
            Some(Value::String(k)) => Some(k.clone()),
            _ => return Err(format!("{ctx}oauth.key: Field required (a string)")),
        },
        Some(other) => {
            return Err(format!(
                "{ctx}oauth: Input should be a valid dictionary, got {other}"
            ))
        }
    };
    Ok(Some(WebService {
        base_url: get_str(s, "base_url", &ctx, "")?,
        api_key: get_str(s, "api_key", &ctx, "")?,
        custom_headers: string_map(s, "custom_headers", &ctx)?,
        oauth_key,
    }))
}

/// Provider `type`s kimi-cli's configuration accepts (kagent builds only some of them; the
/// others fail later, when the provider is created).
const PROVIDER_TYPES: &[&str] = &[
    "kimi",
    "openai_legacy",
    "openai_responses",
    "anthropic",
    "google_genai",
    "gemini",
    "vertexai",
    "_echo",
    "_scripted_echo",
    "_chaos",
];

/// A value outside a fixed set, worded like a pydantic literal error.
fn literal_error(loc: &str, allowed: &[&str], got: &str) -> String {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    let expected = match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    format!(
        "1 validation error for Config\n{loc}\n  Input should be {expected} [type=literal_error, input_value='{got}', input_type=str]"
    )
}

/// Check the fields the kernel uses. Unknown fields are ignored (as pydantic does here).
pub fn validate(data: &Value) -> Result<Config, String> {
    if !data.is_object() {
        return Err(format!("Input should be a valid dictionary, got {data}"));
    }
    let mut cfg = Config {
        default_model: get_str(data, "default_model", "", "")?,
        default_thinking: get_bool(data, "default_thinking", false)?,
        default_yolo: get_bool(data, "default_yolo", false)?,
        default_plan_mode: get_bool(data, "default_plan_mode", false)?,
        skip_afk_prompt_injection: get_bool(data, "skip_afk_prompt_injection", false)?,
        merge_all_available_skills: get_bool(data, "merge_all_available_skills", true)?,
        extra_skill_dirs: string_list(data, "extra_skill_dirs")?,
        ..Config::default()
    };
    if let Some(models) = data.get("models") {
        let Some(models) = models.as_object() else {
            return Err("models: Input should be a valid dictionary".into());
        };
        for (name, m) in models {
            let ctx = format!("models.{name}.");
            if !m.is_object() {
                return Err(format!("{ctx}: Input should be a valid dictionary"));
            }
            let provider = match m.get("provider") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err(format!("{ctx}provider: Field required (a string)")),
            };
            let model = match m.get("model") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err(format!("{ctx}model: Field required (a string)")),
            };
            let max_context_size = match m.get("max_context_size") {
                Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(0),
                _ => {
                    return Err(format!(
                        "{ctx}max_context_size: Field required (an integer)"
                    ))
                }
            };
            let capabilities = match m.get("capabilities") {
                None | Some(Value::Null) => vec![],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect(),
                Some(_) => return Err(format!("{ctx}capabilities: Input should be a valid list")),
            };
            cfg.models.insert(
                name.clone(),
                LlmModel {
                    provider,
                    model,
                    max_context_size,
                    capabilities,
                },
            );
        }
    }
    if let Some(providers) = data.get("providers") {
        let Some(providers) = providers.as_object() else {
            return Err("providers: Input should be a valid dictionary".into());
        };
        for (name, p) in providers {
            let ctx = format!("providers.{name}.");
            if !p.is_object() {
                return Err(format!("{ctx}: Input should be a valid dictionary"));
            }
            let kind = match p.get("type") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err(format!("{ctx}type: Field required (a string)")),
            };
            if !PROVIDER_TYPES.contains(&kind.as_str()) {
                return Err(literal_error(&format!("{ctx}type"), PROVIDER_TYPES, &kind));
            }
            cfg.providers.insert(
                name.clone(),
                LlmProvider {
                    kind,
                    base_url: get_str(p, "base_url", &ctx, "")?,
                    api_key: get_str(p, "api_key", &ctx, "")?,
                    env: string_map(p, "env", &ctx)?,
                    custom_headers: string_map(p, "custom_headers", &ctx)?,
                },
            );
        }
    }
    if let Some(mcp) = data.get("mcp") {
        if !mcp.is_object() {
            return Err("mcp: Input should be a valid dictionary".into());
        }
        if let Some(client) = mcp.get("client") {
            if !client.is_object() {
                return Err("mcp.client: Input should be a valid dictionary".into());
            }
            cfg.mcp_tool_call_timeout_ms = get_int(
                client,
                "tool_call_timeout_ms",
                "mcp.client.",
                60_000,
                i64::MIN,
            )?;
        }
    }
    if let Some(services) = data.get("services") {
        if !services.is_object() {
            return Err("services: Input should be a valid dictionary".into());
        }
        cfg.services = Services {
            moonshot_search: web_service(services, "moonshot_search")?,
            moonshot_fetch: web_service(services, "moonshot_fetch")?,
        };
    }
    if let Some(lc) = data.get("loop_control") {
        if !lc.is_object() {
            return Err("loop_control: Input should be a valid dictionary".into());
        }
        let ctx = "loop_control.";
        let steps_key = if lc.get("max_steps_per_turn").is_some() {
            "max_steps_per_turn"
        } else {
            "max_steps_per_run"
        };
        cfg.loop_control = LoopControl {
            max_steps_per_turn: get_int(lc, steps_key, ctx, 1000, 1)?,
            max_retries_per_step: get_int(lc, "max_retries_per_step", ctx, 3, 1)?,
            max_ralph_iterations: get_int(lc, "max_ralph_iterations", ctx, 0, -1)?,
            reserved_context_size: get_int(lc, "reserved_context_size", ctx, 50_000, 1000)?,
            compaction_trigger_ratio: lc
                .get("compaction_trigger_ratio")
                .and_then(Value::as_f64)
                .unwrap_or(0.85),
        };
    }
    if let Some(bg) = data.get("background") {
        if !bg.is_object() {
            return Err("background: Input should be a valid dictionary".into());
        }
        let ctx = "background.";
        cfg.background = BackgroundConfig {
            max_running_tasks: get_int(bg, "max_running_tasks", ctx, 4, 1)?,
            notification_tail_lines: get_int(bg, "notification_tail_lines", ctx, 20, 1)?,
            notification_tail_chars: get_int(bg, "notification_tail_chars", ctx, 3_000, 256)?,
            kill_grace_period_ms: get_int(bg, "kill_grace_period_ms", ctx, 2_000, 100)?,
            agent_task_timeout_s: get_int(bg, "agent_task_timeout_s", ctx, 900, 60)?,
            worker_stale_after_ms: get_int(bg, "worker_stale_after_ms", ctx, 15_000, 1_000)?,
            keep_alive_on_exit: match bg.get("keep_alive_on_exit") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(format!(
                        "{ctx}keep_alive_on_exit: Input should be a valid boolean, got {other}"
                    ))
                }
            },
        };
    }
    if !cfg.default_model.is_empty() && !cfg.models.contains_key(&cfg.default_model) {
        return Err(profile::active().message_with(
            "config.unknown_default_model",
            &[("{model}", &cfg.default_model)],
        ));
    }
    for m in cfg.models.values() {
        if !cfg.providers.contains_key(&m.provider) {
            return Err(profile::active()
                .message_with("config.unknown_provider", &[("{provider}", &m.provider)]));
        }
    }
    cfg.hooks = hooks::parse_hooks(data.get("hooks"))?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_agree() {
        let toml_cfg = load_config_text(
            "default_model=\"echo\"\n[models.echo]\nprovider=\"s\"\nmodel=\"echo\"\nmax_context_size=100\n\
             [providers.s]\ntype=\"_echo\"\n[loop_control]\nmax_steps_per_turn=4\n",
        )
        .unwrap();
        let json_cfg = load_config_text(
            r#"{"default_model":"echo","models":{"echo":{"provider":"s","model":"echo","max_context_size":100}},
               "providers":{"s":{"type":"_echo"}},"loop_control":{"max_steps_per_turn":4}}"#,
        )
        .unwrap();
        assert_eq!(toml_cfg, json_cfg);
        assert_eq!(toml_cfg.loop_control.max_steps_per_turn, 4);
    }

    #[test]
    fn background_limits() {
        let cfg = load_config_text(
            "[background]\nmax_running_tasks = 1\nkeep_alive_on_exit = true\nkill_grace_period_ms = 300\n",
        )
        .unwrap();
        assert_eq!(cfg.background.max_running_tasks, 1);
        assert!(cfg.background.keep_alive_on_exit);
        assert_eq!(cfg.background.kill_grace_period_ms, 300);
        assert_eq!(cfg.background.notification_tail_lines, 20);
        assert_eq!(cfg.background.worker_stale_after_ms, 15_000);
        let e = load_config_text("[background]\nworker_stale_after_ms = 999\n").unwrap_err();
        assert!(
            e.to_string().contains(
                "background.worker_stale_after_ms: Input should be greater than or equal to 1000"
            ),
            "{e}"
        );
        let e = load_config_text("[background]\nmax_running_tasks = 0\n").unwrap_err();
        assert!(
            e.to_string().contains(
                "background.max_running_tasks: Input should be greater than or equal to 1, got 0"
            ),
            "{e}"
        );
        let e = load_config_text("[background]\nkeep_alive_on_exit = \"no\"\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("background.keep_alive_on_exit: Input should be a valid boolean"),
            "{e}"
        );
    }

    #[test]
    fn services_config() {
        let cfg = load_config_text(
            "[services.moonshot_search]\nbase_url = \"http://127.0.0.1:1/search\"\napi_key = \"k\"\n",
        )
        .unwrap();
        let search = cfg.services.moonshot_search.expect("a search service");
        assert_eq!(search.base_url, "http://127.0.0.1:1/search");
        assert!(cfg.services.moonshot_fetch.is_none());
        for (text, expected) in [
            (
                "[services]\nmoonshot_fetch = 3\n",
                "services.moonshot_fetch: Input should be a valid dictionary, got 3",
            ),
            (
                "[services.moonshot_search]\napi_key = \"k\"\n",
                "services.moonshot_search.base_url: Field required",
            ),
            (
                "[services.moonshot_fetch]\nbase_url = \"u\"\napi_key = \"k\"\noauth = {}\n",
                "services.moonshot_fetch.oauth.key: Field required",
            ),
        ] {
            let e = load_config_text(text).unwrap_err().to_string();
            assert!(e.contains(expected), "{text}: {e}");
        }
    }

    #[test]
    fn unknown_provider_type_is_a_config_error() {
        let e = load_config_text("[providers.s]\ntype = \"bogus\"\n").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("providers.s.type\n  Input should be 'kimi', "),
            "{text}"
        );
        assert!(
            text.contains("'_scripted_echo' or '_chaos' [type=literal_error, input_value='bogus'")
        );
    }

    #[test]
    fn missing_default_model_is_reported() {
        let e = load_config_text("default_model = \"nope\"").unwrap_err();
        assert_eq!(
            e.to_string(),
            "The configuration text is not valid: the default model nope is not among the models"
        );
        assert!(matches!(
            load_config_text("  "),
            Err(ConfigError::EmptyText)
        ));
    }
}
