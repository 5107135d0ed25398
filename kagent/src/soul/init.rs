//! `/init`: the profile's `init` prompt runs as a turn of a throw-away soul (same agent, same
//! wire, a temporary context), which is expected to write `AGENTS.md`; then the real context
//! gets a system message with the merged `AGENTS.md` content.
//!
//! Like kimi-cli's temporary `KimiSoul`, the nested soul has its own injection state and
//! steer queue and no turn hooks (UserPromptSubmit, Stop, ...), while its tools keep the
//! agent's tool hooks; its turn sets the session title when none is set yet.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::cancel::CancelToken;
use super::context::Context;
use super::system_prompt::load_agents_md;
use super::{Soul, TurnError};
use crate::hooks::HookEngine;
use crate::wire::types::WireMessage;
use crate::wire::Wire;
use kagent_base::message::{system_text, Message, Role, UserInput};

/// The `/init` prompt of the profile (kimi-cli's under kimi-kernel, else kagent's own).
fn init_prompt() -> &'static str {
    crate::config::profile::active().text(crate::config::profile::Text::Init)
}

/// A directory removed when dropped (also when the turn is cancelled).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, TurnError> {
        let dir = std::env::temp_dir().join(format!("kagent-init-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| TurnError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sends the nested turn's TurnEnd even when the turn is dropped by a cancel (kimi-cli's
/// `finally`), before the outer turn sends its own.
struct TurnEndGuard<'a>(&'a Wire);

impl Drop for TurnEndGuard<'_> {
    fn drop(&mut self) {
        self.0.send(WireMessage::TurnEnd);
    }
}

impl Soul {
    /// A soul for one nested turn: this one's agent, `context`, fresh per-soul state.
    fn nested(&self, context: Context) -> Soul {
        Soul {
            llm: self.llm.clone(),
            context,
            toolset: self.toolset.clone(),
            loop_control: self.loop_control.clone(),
            session: self.session.clone(),
            state: self.state.clone(),
            system_prompt: self.system_prompt.clone(),
            work_dir: self.work_dir.clone(),
            workspace: self.workspace.clone(),
            skills: self.skills.clone(),
            flows: self.flows.clone(),
            agent: self.agent.clone(),
            // the agent's MCP tools are in the cloned toolset already
            mcp: None,
            services: self.services.clone(),
            subagent_setup: None,
            steer_queue: Arc::new(Mutex::new(VecDeque::new())),
            injections: self.injections.fresh(),
            hooks: HookEngine::empty(),
            tool_hooks: Some(
                self.tool_hooks
                    .clone()
                    .unwrap_or_else(|| self.hooks.clone()),
            ),
        }
    }

    /// A turn inside the current one: its own TurnBegin/TurnEnd on the same wire.
    async fn run_nested(
        &mut self,
        input: UserInput,
        wire: &Wire,
        cancel: &CancelToken,
    ) -> Result<(), TurnError> {
        wire.send(WireMessage::TurnBegin {
            user_input: input.clone(),
        });
        let turn_end = TurnEndGuard(wire);
        // boxed: a turn body may run a slash command, which may run a nested turn body
        let result = Box::pin(self.turn_body(input.clone(), wire, cancel)).await;
        drop(turn_end);
        if result.is_ok() {
            self.auto_title(&input);
        }
        result
    }
}

/// Run `/init`.
pub async fn init(soul: &mut Soul, wire: &Wire, cancel: &CancelToken) -> Result<(), TurnError> {
    {
        let dir = TempDir::new()?;
        let mut nested = soul.nested(Context::new(&dir.0.join("context.jsonl")));
        nested
            .run_nested(UserInput::Text(init_prompt().to_string()), wire, cancel)
            .await?;
    }
    // `None` when no AGENTS.md was found: kimi-cli formats the missing value as "None"
    let agents_md = load_agents_md(&soul.work_dir).unwrap_or_else(|| "None".into());
    let text =
        crate::config::profile::active().message_with("init.done", &[("{agents_md}", &agents_md)]);
    soul.context
        .append(&[Message::new(Role::User, vec![system_text(&text)])])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_is_the_profiles() {
        let p = init_prompt();
        assert!(p.starts_with("Look through this repository and write a file named `AGENTS.md`"));
        assert!(p.contains("update it rather than starting over"));
    }
}
