//! Plan mode: the reminders injected while plan mode is on (the plan session itself, its
//! slug and plan file, is session state: `crate::session::plan`).
//!
//! Behaves like kimi-cli 1.51: a manual switch-on (wire `set_plan_mode`, `/plan`, `--plan`)
//! schedules a one-shot reminder for the next step; otherwise the full reminder is injected
//! when the history has none, and then again every few assistant messages (a sparse one
//! mostly, a full one every fifth time). The reminder texts are the profile's
//! (kimi-cli's under kimi-kernel, kagent's own otherwise).

use std::sync::Mutex;

use crate::session::plan::plan_file_path;
use crate::session::SessionState;

use crate::config::profile::{self, Text};
use kagent_base::message::{ContentPart, Message, Role};

/// Assistant messages between two periodic reminders.
const TURN_INTERVAL: usize = 5;
/// Every n-th periodic reminder is a full one.
const FULL_EVERY_N: u32 = 5;

/// A reminder text of the profile, `{plan_file}` replaced by `path`.
fn reminder(name: &str, path: &str) -> String {
    let text = match name {
        "full_new" => Text::PlanFullNew,
        "full_exists" => Text::PlanFullExists,
        "sparse" => Text::PlanSparse,
        _ => Text::PlanReentry,
    };
    profile::fill(profile::active().text(text), &[("{plan_file}", path)])
}

/// Texts that mark a message as a plan-mode reminder: the first line of the full reminder
/// and the first sentence of the sparse one.
fn reminder_keys() -> [String; 2] {
    let full = reminder("full_new", "");
    let sparse = reminder("sparse", "");
    [
        full.lines().next().unwrap_or_default().to_string(),
        sparse.split('.').next().unwrap_or_default().to_string(),
    ]
}

/// Per-soul throttling state of the plan-mode reminders.
#[derive(Debug, Default)]
pub struct PlanReminders {
    inject_count: u32,
}

fn is_plan_reminder(m: &Message, keys: &[String; 2]) -> bool {
    m.role == Role::User
        && m.content.iter().any(|p| match p {
            ContentPart::Text(t) => keys.iter().any(|k| t.contains(k.as_str())),
            _ => false,
        })
}

impl PlanReminders {
    /// The reminder to inject before the next step, if any.
    pub fn next(&mut self, state: &Mutex<SessionState>, history: &[Message]) -> Option<String> {
        let plan_mode = kagent_base::sync::lock(state).plan_mode();
        if !plan_mode {
            self.inject_count = 0;
            return None;
        }
        let path = plan_file_path(state);
        let exists = path.as_ref().is_some_and(|p| p.exists());
        let shown = path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let full = || reminder(if exists { "full_exists" } else { "full_new" }, &shown);

        let pending = {
            let mut st = kagent_base::sync::lock(state);
            let p = st.pending_plan_reminder();
            st.set_pending_plan_reminder(false);
            p
        };
        if pending {
            self.inject_count = 1;
            return Some(if exists {
                reminder("reentry", &shown)
            } else {
                full()
            });
        }

        let keys = reminder_keys();
        let mut since_last = 0;
        let mut found = false;
        for m in history.iter().rev() {
            if is_plan_reminder(m, &keys) {
                found = true;
                break;
            }
            if m.role == Role::Assistant {
                since_last += 1;
            }
        }
        if !found {
            self.inject_count = 1;
            return Some(full());
        }
        if since_last < TURN_INTERVAL {
            return None;
        }
        self.inject_count += 1;
        Some(if self.inject_count % FULL_EVERY_N == 1 {
            full()
        } else {
            reminder("sparse", &shown)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_sections() {
        let full = reminder("full_new", "/h/.kimi/plans/a-b-c.md");
        assert!(full.starts_with("You are in plan mode: investigate and design"));
        assert!(full.contains("\nPlan file: /h/.kimi/plans/a-b-c.md (it does not exist yet;"));
        let sparse = reminder("sparse", "P");
        assert!(sparse.contains("the plan file (P)"));
        assert!(!sparse.contains('\n'));
        assert!(reminder("reentry", "P").contains("an earlier plan is already in P."));
        assert_eq!(reminder_keys()[1], "Reminder: plan mode is still on");
    }

    #[test]
    fn periodic_reminders() {
        let state = Mutex::new(SessionState::default());
        let mut r = PlanReminders::default();
        assert_eq!(r.next(&state, &[]), None);
        {
            let mut st = state.lock().unwrap();
            st.set_plan_mode(true);
            st.set_plan_session(Some((
                "0123456789abcdef0123456789abcdef",
                "orion-vega-lyra",
            )));
        }
        let first = r.next(&state, &[]).unwrap();
        assert!(first.contains("plans/orion-vega-lyra.md (it does not exist yet"));
        let mut history = vec![Message::new(
            Role::User,
            vec![ContentPart::text(format!(
                "<system-reminder>\n{first}\n</system-reminder>"
            ))],
        )];
        for _ in 0..4 {
            history.push(Message::new(Role::Assistant, vec![ContentPart::text("ok")]));
            assert_eq!(r.next(&state, &history), None);
        }
        history.push(Message::new(Role::Assistant, vec![ContentPart::text("ok")]));
        assert!(r
            .next(&state, &history)
            .unwrap()
            .starts_with("Reminder: plan mode is still on."));
    }
}
