//! `_scripted_echo`: every LLM call consumes the next script of a queue.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::dsl::parse_script;
use super::{
    BoxFuture, ChatProvider, ChatProviderError, StreamedMessage, ToolDefinition, VecStream,
};
use kagent_base::message::Message;

pub struct ScriptedEchoProvider {
    state: Mutex<(VecDeque<String>, usize)>,
}

impl ScriptedEchoProvider {
    pub fn new(scripts: Vec<String>) -> Self {
        ScriptedEchoProvider {
            state: Mutex::new((scripts.into(), 0)),
        }
    }

    fn next_script(&self) -> Result<String, ChatProviderError> {
        let mut guard = kagent_base::sync::lock(&self.state);
        let (queue, turn) = &mut *guard;
        match queue.pop_front() {
            Some(s) => {
                *turn += 1;
                Ok(s)
            }
            None => Err(ChatProviderError::Other(format!(
                "ScriptedEchoChatProvider exhausted at turn {}.",
                *turn + 1
            ))),
        }
    }
}

/// Load scripts from `KIMI_SCRIPTED_ECHO_SCRIPTS`: a JSON array of strings, or a text file
/// whose scripts are separated by `\n---\n`. Errors are worded as kimi-cli words them.
pub fn load_scripts(path: Option<&str>) -> Result<Vec<String>, String> {
    let Some(path) = path else {
        return Err(crate::config::profile::active().message_with("scripted_echo.no_scripts", &[]));
    };
    let path = kagent_base::paths::expand_user_path(path);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        crate::config::profile::active().message_with(
            "scripted_echo.not_found",
            &[("{path}", &path.display().to_string())],
        )
    })?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Array(items)) if items.iter().all(|i| i.is_string()) => Ok(items
            .into_iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect()),
        Ok(_) => {
            Err(crate::config::profile::active().message_with("scripted_echo.not_strings", &[]))
        }
        Err(_) => {
            let scripts: Vec<String> = text
                .split("\n---\n")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if scripts.is_empty() {
                Err(crate::config::profile::active()
                    .message("scripted_echo.bad_format")
                    .to_string())
            } else {
                Ok(scripts)
            }
        }
    }
}

impl ChatProvider for ScriptedEchoProvider {
    fn name(&self) -> &str {
        "scripted_echo"
    }
    fn model_name(&self) -> &str {
        "scripted_echo"
    }
    fn generate<'a>(
        &'a self,
        _system_prompt: &'a str,
        _tools: &'a [ToolDefinition],
        _history: &'a [Message],
    ) -> BoxFuture<'a, Result<Box<dyn StreamedMessage>, ChatProviderError>> {
        Box::pin(async move {
            let text = self.next_script()?;
            let script = parse_script(&text)?;
            if script.parts.is_empty() {
                return Err(ChatProviderError::Other(
                    "ScriptedEchoChatProvider DSL produced no streamable parts.".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exhaustion_is_worded_like_kosong() {
        let p = ScriptedEchoProvider::new(vec!["text: a".into()]);
        assert!(p.generate("", &[], &[]).await.is_ok());
        let e = p.generate("", &[], &[]).await.err().unwrap();
        assert_eq!(
            e.to_string(),
            "ScriptedEchoChatProvider exhausted at turn 2."
        );
    }
}
