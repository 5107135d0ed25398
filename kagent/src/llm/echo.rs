//! `_echo`: the script is the text of the last (user) message of the history.

use super::dsl::parse_script;
use super::{
    BoxFuture, ChatProvider, ChatProviderError, StreamedMessage, ToolDefinition, VecStream,
};
use kagent_base::message::{Message, Role};

pub struct EchoProvider;

impl ChatProvider for EchoProvider {
    fn name(&self) -> &str {
        "echo"
    }
    fn model_name(&self) -> &str {
        "echo"
    }
    fn generate<'a>(
        &'a self,
        _system_prompt: &'a str,
        _tools: &'a [ToolDefinition],
        history: &'a [Message],
    ) -> BoxFuture<'a, Result<Box<dyn StreamedMessage>, ChatProviderError>> {
        Box::pin(async move {
            let Some(last) = history.last() else {
                return Err(ChatProviderError::Other(
                    "EchoChatProvider requires at least one message in history.".into(),
                ));
            };
            if last.role != Role::User {
                return Err(ChatProviderError::Other(
                    "EchoChatProvider expects the last history message to be user.".into(),
                ));
            }
            let script = parse_script(&last.extract_text(""))?;
            if script.parts.is_empty() {
                return Err(ChatProviderError::Other(
                    "EchoChatProvider DSL produced no streamable parts.".into(),
                ));
            }
            let s: Box<dyn StreamedMessage> = Box::new(VecStream::new(
                script.parts,
                script.message_id,
                script.usage,
            ));
            Ok(s)
        })
    }
}
