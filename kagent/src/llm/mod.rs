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

pub mod dsl;
pub mod echo;
pub mod pyrepr;
pub mod scripted_echo;

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::config::{LlmModel, LlmProvider};
use crate::soul::message::{ContentPart, Message, TokenUsage, ToolCall, ToolCallPart};

/// A boxed, sendable future (keeps the traits object-safe without extra crates).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

/// A tool as advertised to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: Value,
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
        "Unsupported provider type `{0}`: kagent currently supports `_echo` and `_scripted_echo`"
    )]
    Unsupported(String),
}

/// Build the chat provider for a configured model.
pub fn create_provider(
    provider: &LlmProvider,
    _model: &LlmModel,
) -> Result<Box<dyn ChatProvider>, ProviderSetupError> {
    match provider.kind.as_str() {
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
