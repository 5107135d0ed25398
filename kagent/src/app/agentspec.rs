//! Agent specifications (`--agent NAME`, `--agent-file PATH`).
//!
//! kagent runs kimi-cli's default agent only. Loading other specs (their own system prompt,
//! tool lists, subagents) is not built yet; running such a spec as the default agent would
//! silently change what the user asked for, so kagent refuses it at startup instead.

use std::path::Path;

/// The built-in agent names kimi-cli accepts for `--agent` (its `Literal["default", "okabe"]`).
pub const BUILTIN_AGENTS: [&str; 2] = ["default", "okabe"];

/// The fix named by every refusal.
pub const FIX: &str = "run it on the Python kernel: kimi-kernel --kernel python";

/// Why kagent cannot run the requested agent, or `None` when it is the default agent.
pub fn refusal(agent: Option<&str>, agent_file: Option<&Path>) -> Option<String> {
    if let Some(file) = agent_file {
        return Some(format!(
            "kagent does not load custom agent specs yet (--agent-file {}); {FIX}",
            file.display()
        ));
    }
    match agent {
        None | Some("default") => None,
        Some(name) => Some(format!(
            "kagent runs only the default agent, not the built-in agent {name:?} (--agent {name}); {FIX}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_agent_runs() {
        assert_eq!(refusal(None, None), None);
        assert_eq!(refusal(Some("default"), None), None);
    }

    #[test]
    fn other_agents_are_refused_with_the_fix() {
        assert_eq!(
            refusal(Some("okabe"), None).as_deref(),
            Some(
                "kagent runs only the default agent, not the built-in agent \"okabe\" \
                 (--agent okabe); run it on the Python kernel: kimi-kernel --kernel python"
            )
        );
        assert_eq!(
            refusal(None, Some(Path::new("/x/agent.yaml"))).as_deref(),
            Some(
                "kagent does not load custom agent specs yet (--agent-file /x/agent.yaml); \
                 run it on the Python kernel: kimi-kernel --kernel python"
            )
        );
    }
}
