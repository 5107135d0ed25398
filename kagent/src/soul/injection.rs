//! Dynamic injections (kimi-cli's injection providers): reminders added to the context as one
//! user message at the start of a step, before the LLM call. Providers, in order: plan mode
//! (see [`super::plan`]) and afk mode (once per afk period: re-armed when afk is toggled or
//! the context is compacted).

use std::sync::Mutex;

use crate::session::SessionState;

use super::plan::PlanReminders;
use kagent_base::message::Message;

const AFK_REMINDER_FILE: &str = include_str!("data/afk_mode_reminder.txt");

/// Section `name` of one of the reminder data files (`=== name ===` up to the next section,
/// final newline excluded).
pub fn data_section(file: &str, name: &str) -> String {
    let marker = format!("=== {name} ===\n");
    let Some(start) = file.find(&marker).map(|i| i + marker.len()) else {
        return String::new();
    };
    let rest = &file[start..];
    let end = rest
        .find("\n=== ")
        .unwrap_or(rest.trim_end_matches('\n').len());
    rest[..end].to_string()
}

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
            out.push(data_section(AFK_REMINDER_FILE, "afk"));
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
        assert!(first[0].starts_with("You are running in afk mode."));
        assert!(first[0].ends_with("Do not defer decisions to a human."));
        assert!(inj.collect(&state, &[]).is_empty());
        inj.on_context_compacted();
        assert_eq!(inj.collect(&state, &[]).len(), 1);
        assert!(Injections::new(true).collect(&state, &[]).is_empty());
    }
}
