//! Dynamic injections (kimi-cli's injection providers): reminders added to the context as one
//! user message at the start of a step, before the LLM call. Providers, in order: plan mode
//! (see [`super::plan`]) and afk mode (once per afk period: re-armed when afk is toggled or
//! the context is compacted).

use std::sync::Mutex;

use crate::session::SessionState;

use super::plan::PlanReminders;
use crate::config::profile::{self, Text};
use kagent_base::message::Message;

/// State of the injection providers of one soul.
#[derive(Debug, Default)]
pub struct Injections {
    plan: PlanReminders,
    afk_injected: bool,
    /// `skip_afk_prompt_injection` in the configuration: no afk provider.
    skip_afk: bool,
}

impl Injections {
    pub fn new(skip_afk: bool) -> Self {
        Injections {
            skip_afk,
            ..Default::default()
        }
    }

    /// The state of a new soul with the same configuration.
    pub fn fresh(&self) -> Self {
        Injections::new(self.skip_afk)
    }

    /// The reminders to inject before the next step (each one's text, not yet wrapped).
    pub fn collect(&mut self, state: &Mutex<SessionState>, history: &[Message]) -> Vec<String> {
        let mut out = vec![];
        if let Some(text) = self.plan.next(state, history) {
            out.push(text);
        }
        // as kimi-cli: only the session's saved afk flag brings the reminder, not print
        // mode's invocation-only afk
        let afk = kagent_base::sync::lock(state).persisted_afk();
        if afk && !self.skip_afk && !self.afk_injected {
            self.afk_injected = true;
            out.push(profile::active().text(Text::AfkMode).to_string());
        }
        out
    }

    /// The history was rebuilt by a compaction: the afk reminder may be gone from it.
    pub fn on_context_compacted(&mut self) {
        self.afk_injected = false;
    }

    /// Afk was toggled: the next step states the current afk guidance again.
    pub fn on_afk_changed(&mut self) {
        self.afk_injected = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn afk_reminder_once_per_period() {
        let state = Mutex::new(SessionState::default());
        let mut inj = Injections::default();
        assert!(inj.collect(&state, &[]).is_empty());
        state.lock().unwrap().set_afk(true);
        let first = inj.collect(&state, &[]);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0], profile::active().text(Text::AfkMode));
        assert!(inj.collect(&state, &[]).is_empty());
        inj.on_context_compacted();
        assert_eq!(inj.collect(&state, &[]).len(), 1);
        assert!(Injections::new(true).collect(&state, &[]).is_empty());
    }
}
