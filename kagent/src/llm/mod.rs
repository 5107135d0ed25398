//! LLM chat providers.
//!
//! A [`ChatProvider`] turns (system prompt, tool definitions, history) into a
//! [`StreamedMessage`]: an async sequence of [`StreamedPart`]s plus an optional message id
//! and token usage. Providers report failures as [`ChatProviderError`], whose variants mirror
//! kosong's exception classes so the turn loop can classify them (retryable or not) and the
//! wire can report them with the same wording and `error_type` names as the Python kernel.
//!
//! Adding a provider (e.g. an HTTP one) means: implement [`ChatProvider`] in a new module and
//! add a `type` arm to [`create_provider`]. Nothing else in the kernel needs to change.

pub mod anthropic;
pub mod chat_completions;
pub mod dsl;
pub mod echo;
pub mod estimate;
pub mod http;
pub mod scripted_echo;
pub mod sse;

use crate::config::{LlmModel, LlmProvider};
use kagent_base::message::{ContentPart, Message, TokenUsage, ToolCall, ToolCallPart};

/// A boxed, sendable future (keeps the traits object-safe without extra crates).
pub use kagent_base::{tool::ToolDefinition, BoxFuture};

/// One streamed piece of an assistant message.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamedPart {
    Content(ContentPart),
    ToolCall(ToolCall),
    ToolCallPart(ToolCallPart),
}

/// Errors of chat providers. The variant decides retryability and the reported class name.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ChatProviderError {
    /// Generic provider failure (kosong `ChatProviderError`), never retried.
    #[error("{0}")]
    Other(String),
    /// HTTP status failure (kosong `APIStatusError`); 429/500/502/503/504 are retried.
    #[error("{message}")]
    Status { status_code: i64, message: String },
    /// Connection failure (kosong `APIConnectionError`), retried.
    #[error("{0}")]
    Connection(String),
    /// Request timeout (kosong `APITimeoutError`), retried.
    #[error("{0}")]
    Timeout(String),
    /// The provider answered with nothing (kosong `APIEmptyResponseError`), retried.
    #[error("{0}")]
    EmptyResponse(String),
}

impl ChatProviderError {
    /// The Python exception class name, as reported in `StepRetry.error_type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ChatProviderError::Other(_) => "ChatProviderError",
            ChatProviderError::Status { .. } => "APIStatusError",
            ChatProviderError::Connection(_) => "APIConnectionError",
            ChatProviderError::Timeout(_) => "APITimeoutError",
            ChatProviderError::EmptyResponse(_) => "APIEmptyResponseError",
        }
    }

    pub fn status_code(&self) -> Option<i64> {
        match self {
            ChatProviderError::Status { status_code, .. } => Some(*status_code),
            _ => None,
        }
    }

    /// Whether the turn loop retries the step (same table as kimi-cli's `_is_retryable_error`).
    pub fn is_retryable(&self) -> bool {
        match self {
            ChatProviderError::Connection(_)
            | ChatProviderError::Timeout(_)
            | ChatProviderError::EmptyResponse(_) => true,
            ChatProviderError::Status { status_code, .. } => {
                matches!(status_code, 429 | 500 | 502 | 503 | 504)
            }
            ChatProviderError::Other(_) => false,
        }
    }
}

/// An assistant message being streamed.
pub trait StreamedMessage: Send {
    /// The next part, `None` at the end. Errors end the stream.
    fn next_part(&mut self) -> BoxFuture<'_, Option<Result<StreamedPart, ChatProviderError>>>;
    /// Provider message id, if any (known at the latest when the stream ended).
    fn id(&self) -> Option<String>;
    /// Token usage, if any (known at the latest when the stream ended).
    fn usage(&self) -> Option<TokenUsage>;
}

/// A chat model backend.
pub trait ChatProvider: Send + Sync {
    /// Provider kind name (e.g. `"scripted_echo"`).
    fn name(&self) -> &str;
    /// Model name as reported by the provider.
    fn model_name(&self) -> &str;
    /// The session the provider serves (Kimi's `prompt_cache_key`, Anthropic's
    /// `metadata.user_id`). Called once the session is known.
    fn bind_session(&self, _session_id: &str) {}
    /// The context's token count (with pending messages) before the next call, a floor for
    /// providers that clamp their completion budget to the context window.
    fn set_context_tokens(&self, _tokens: i64) {}
    /// Whether a connection error or timeout is first retried once at once, without a
    /// StepRetry (kimi-cli's connection recovery for its HTTP providers); a second one in a
    /// row is then not retried.
    fn recovers_connections(&self) -> bool {
        false
    }
    /// Start generating one assistant message for `history`.
    fn generate<'a>(
        &'a self,
        system_prompt: &'a str,
        tools: &'a [ToolDefinition],
        history: &'a [Message],
    ) -> BoxFuture<'a, Result<Box<dyn StreamedMessage>, ChatProviderError>>;
}

/// A finished, in-memory stream (what the echo providers produce).
pub struct VecStream {
    parts: std::vec::IntoIter<StreamedPart>,
    id: Option<String>,
    usage: Option<TokenUsage>,
}

impl VecStream {
    pub fn new(parts: Vec<StreamedPart>, id: Option<String>, usage: Option<TokenUsage>) -> Self {
        VecStream {
            parts: parts.into_iter(),
            id,
            usage,
        }
    }
}

impl StreamedMessage for VecStream {
    fn next_part(&mut self) -> BoxFuture<'_, Option<Result<StreamedPart, ChatProviderError>>> {
        let next = self.parts.next().map(Ok);
        Box::pin(async move { next })
    }
    fn id(&self) -> Option<String> {
        self.id.clone()
    }
    fn usage(&self) -> Option<TokenUsage> {
        self.usage
    }
}

/// Errors building a provider from configuration (reported like kimi-cli does at startup).
#[derive(Debug, thiserror::Error)]
pub enum ProviderSetupError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "Unsupported provider type `{0}`: kagent supports `kimi`, `openai_legacy`, `anthropic`, `_echo` and `_scripted_echo`"
    )]
    Unsupported(String),
    /// kimi-cli leaves the LLM unset (prompts then fail with "LLM is not set").
    #[error("{}", crate::config::profile::active().message_with("llm.missing_base_url_or_model.log", &[("{provider_type}", .0)]))]
    MissingBaseUrlOrModel(String),
}

/// Startup settings of a provider beyond its configuration entry.
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    /// `--thinking` / `--no-thinking` / `default_thinking`.
    pub thinking: bool,
    /// `loop_control.reserved_context_size` (Kimi's completion budget when the window is unknown).
    pub reserved_context_size: i64,
}

/// Capabilities as kimi-cli derives them: configured ones, plus `thinking`/`always_thinking` for
/// models named `*thinking*`/`*reason*`, plus thinking/image/video for `kimi-for-coding`.
pub fn derive_capabilities(model: &LlmModel) -> Vec<String> {
    let mut caps = model.capabilities.clone();
    let mut add = |c: &str| {
        if !caps.iter().any(|x| x == c) {
            caps.push(c.to_string());
        }
    };
    let lower = model.model.to_lowercase();
    if lower.contains("thinking") || lower.contains("reason") {
        add("thinking");
        add("always_thinking");
    } else if matches!(model.model.as_str(), "kimi-for-coding" | "kimi-code") {
        add("thinking");
        add("image_in");
        add("video_in");
    }
    caps
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The environment overrides of kimi-cli (`KIMI_*` for `kimi`, `OPENAI_*` for
/// `openai_legacy`). Returns an error for a malformed `KIMI_MODEL_MAX_CONTEXT_SIZE`.
pub fn apply_env_overrides(
    provider: &mut LlmProvider,
    model: &mut LlmModel,
) -> Result<(), ProviderSetupError> {
    match provider.kind.as_str() {
        "kimi" => {
            if let Some(v) = env_nonempty("KIMI_BASE_URL") {
                provider.base_url = v;
            }
            if let Some(v) = env_nonempty("KIMI_API_KEY") {
                provider.api_key = v;
            }
            if let Some(v) = env_nonempty("KIMI_MODEL_NAME") {
                model.model = v;
            }
            if let Some(v) = env_nonempty("KIMI_MODEL_MAX_CONTEXT_SIZE") {
                model.max_context_size = v.trim().parse().map_err(|_| {
                    ProviderSetupError::Invalid(format!(
                        "invalid literal for int() with base 10: {}",
                        kagent_base::py::repr::repr_str(&v)
                    ))
                })?;
            }
            if let Some(v) = env_nonempty("KIMI_MODEL_CAPABILITIES") {
                let known = ["image_in", "video_in", "thinking", "always_thinking"];
                let mut caps: Vec<String> = vec![];
                for c in v.split(',').map(|c| c.trim().to_lowercase()) {
                    if known.contains(&c.as_str()) && !caps.contains(&c) {
                        caps.push(c);
                    }
                }
                model.capabilities = caps;
            }
        }
        "openai_legacy" | "openai_responses" => {
            if let Some(v) = env_nonempty("OPENAI_BASE_URL") {
                provider.base_url = v;
            }
            if let Some(v) = env_nonempty("OPENAI_API_KEY") {
                provider.api_key = v;
            }
        }
        _ => {}
    }
    Ok(())
}

fn user_agent() -> String {
    format!("KimiCLI/{} (kagent)", env!("CARGO_PKG_VERSION"))
}

fn http_client(pairs: Vec<(String, String)>) -> Result<http::HttpClient, ProviderSetupError> {
    let map = http::header_map(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| ProviderSetupError::Invalid(e.to_string()))?;
    http::HttpClient::new(map).map_err(|e| ProviderSetupError::Invalid(e.to_string()))
}

fn parse_env_f64(name: &str) -> Result<Option<f64>, ProviderSetupError> {
    match env_nonempty(name) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| {
            ProviderSetupError::Invalid(format!(
                "could not convert string to float: {}",
                kagent_base::py::repr::repr_str(&v)
            ))
        }),
    }
}

fn build_http_provider(
    provider: &LlmProvider,
    model: &LlmModel,
    options: &ProviderOptions,
) -> Result<Box<dyn ChatProvider>, ProviderSetupError> {
    if provider.base_url.is_empty() || model.model.is_empty() {
        return Err(ProviderSetupError::MissingBaseUrlOrModel(
            provider.kind.clone(),
        ));
    }
    let caps = derive_capabilities(model);
    let has = |c: &str| caps.iter().any(|x| x == c);
    let thinking_on = has("always_thinking") || (options.thinking && has("thinking"));
    // kimi-cli always passes a thinking flag in wire mode: on → "high", otherwise "off".
    let thinking = Some(thinking_on);
    let custom: Vec<(String, String)> = provider
        .custom_headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let auth = |scheme: &str| {
        vec![(
            "authorization".to_string(),
            format!("{scheme}{}", provider.api_key),
        )]
    };
    match provider.kind.as_str() {
        "kimi" | "openai_legacy" => {
            let mut defaults = vec![("user-agent".to_string(), user_agent())];
            defaults.extend(custom);
            let client = http_client(defaults)?;
            let headers = http::header_map(
                auth("Bearer ")
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .map_err(|e| ProviderSetupError::Invalid(e.to_string()))?;
            let (flavor, kimi) = if provider.kind == "kimi" {
                let mut budget = None;
                for name in ["KIMI_MODEL_MAX_COMPLETION_TOKENS", "KIMI_MODEL_MAX_TOKENS"] {
                    if let Some(v) = env_nonempty(name) {
                        if let Ok(n) = v.trim().parse::<i64>() {
                            budget = Some((n > 0).then_some(n));
                            break;
                        }
                    }
                }
                (
                    chat_completions::Flavor::Kimi,
                    chat_completions::KimiSettings {
                        temperature: parse_env_f64("KIMI_MODEL_TEMPERATURE")?,
                        top_p: parse_env_f64("KIMI_MODEL_TOP_P")?,
                        max_completion_tokens: budget,
                        thinking_keep: env_nonempty("KIMI_MODEL_THINKING_KEEP"),
                        max_context_size: model.max_context_size,
                        reserved_context_size: options.reserved_context_size,
                    },
                )
            } else {
                (
                    chat_completions::Flavor::OpenAiLegacy,
                    chat_completions::KimiSettings::default(),
                )
            };
            Ok(Box::new(chat_completions::ChatCompletions::new(
                flavor,
                &model.model,
                &provider.base_url,
                client,
                headers,
                thinking,
                Some("reasoning_content".to_string()),
                kimi,
            )))
        }
        "anthropic" => {
            let mut defaults = vec![
                ("user-agent".to_string(), user_agent()),
                (
                    "anthropic-version".to_string(),
                    anthropic::API_VERSION.to_string(),
                ),
                ("x-api-key".to_string(), provider.api_key.clone()),
            ];
            defaults.extend(custom);
            let client = http_client(defaults)?;
            Ok(Box::new(anthropic::Anthropic::new(
                &model.model,
                &provider.base_url,
                client,
                reqwest::header::HeaderMap::new(),
                thinking,
            )))
        }
        other => Err(ProviderSetupError::Unsupported(other.to_string())),
    }
}

/// Build the chat provider for a configured model (default options).
pub fn create_provider(
    provider: &LlmProvider,
    model: &LlmModel,
) -> Result<Box<dyn ChatProvider>, ProviderSetupError> {
    create_provider_with(provider, model, &ProviderOptions::default())
}

/// Build the chat provider for a configured model.
pub fn create_provider_with(
    provider: &LlmProvider,
    model: &LlmModel,
    options: &ProviderOptions,
) -> Result<Box<dyn ChatProvider>, ProviderSetupError> {
    match provider.kind.as_str() {
        "kimi" | "openai_legacy" | "anthropic" => build_http_provider(provider, model, options),
        "_echo" => Ok(Box::new(echo::EchoProvider)),
        "_scripted_echo" => {
            let path = provider
                .env
                .get("KIMI_SCRIPTED_ECHO_SCRIPTS")
                .cloned()
                .or_else(|| std::env::var("KIMI_SCRIPTED_ECHO_SCRIPTS").ok())
                .filter(|s| !s.is_empty());
            let scripts = scripted_echo::load_scripts(path.as_deref())
                .map_err(ProviderSetupError::Invalid)?;
            Ok(Box::new(scripted_echo::ScriptedEchoProvider::new(scripts)))
        }
        other => Err(ProviderSetupError::Unsupported(other.to_string())),
    }
}
