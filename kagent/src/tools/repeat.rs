//! Repeated tool calls, as kimi-cli's toolset handles them.
//!
//! * The same call (tool name + arguments with keys sorted) twice in one step runs once; the
//!   duplicate gets the first one's result.
//! * A call already made earlier in the turn counts towards a streak of identical consecutive
//!   calls; from 3 on, a `<system-reminder>` is appended to its output (stronger from 5 and
//!   8), and at 12 the turn stops after the step.
//!
//! The state lives with the toolset and is reset at each turn.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use tokio::sync::watch;

use super::{ToolOutput, ToolReturnValue};
use kagent_base::message::ContentPart;

/// `(tool name, canonical arguments)`
pub type CallKey = (String, String);

const REMINDER_1_START: usize = 3;
const REMINDER_2_START: usize = 5;
const REMINDER_3_START: usize = 8;
const FORCE_STOP_STREAK: usize = 12;

use crate::config::profile::{self, Text};

fn reminder_1() -> String {
    profile::active().text(Text::RepeatSameCall).to_string()
}

fn reminder_3() -> String {
    profile::active().text(Text::RepeatStop).to_string()
}

fn reminder_2(tool: &str, times: usize, args: &str) -> String {
    // one pass, so a placeholder inside the tool name or the arguments stays as it is
    profile::fill(
        profile::active().text(Text::RepeatManyTimes),
        &[
            ("{tool}", tool),
            ("{times}", &times.to_string()),
            ("{args}", args),
        ],
    )
}

/// The reminder for a streak, and whether the turn must stop.
fn reminder(streak: usize, tool: &str, args: &str) -> (Option<String>, bool) {
    if streak >= FORCE_STOP_STREAK {
        (Some(reminder_3()), true)
    } else if streak >= REMINDER_3_START {
        (Some(reminder_3()), false)
    } else if streak >= REMINDER_2_START {
        (Some(reminder_2(tool, streak, args)), false)
    } else if streak >= REMINDER_1_START {
        (Some(reminder_1()), false)
    } else {
        (None, false)
    }
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&o[k]));
            }
            Value::Object(out)
        }
        v => v.clone(),
    }
}

/// Arguments with keys sorted, compact (`json.dumps(..., separators=(",", ":"))`).
pub fn canonical_arguments(arguments: &Value) -> String {
    kagent_base::py::json::compact(&sorted(arguments))
}

/// Append a reminder to a result's output (a string, or the last text part).
pub fn append_reminder(mut rv: ToolReturnValue, text: &str) -> ToolReturnValue {
    match &mut rv.output {
        ToolOutput::Text(s) => s.push_str(text),
        ToolOutput::Parts(parts) => match parts.last_mut() {
            Some(ContentPart::Text(t)) => t.push_str(text),
            _ => parts.push(ContentPart::text(text)),
        },
    }
    rv
}

/// What the toolset does with a new call.
pub enum Plan {
    /// Same call earlier in this step: wait for its result.
    Duplicate(watch::Receiver<Option<ToolReturnValue>>),
    /// Run it; publish the result through `done`, appending `reminder` if any.
    Run {
        done: watch::Sender<Option<ToolReturnValue>>,
        reminder: Option<String>,
    },
}

#[derive(Default)]
pub struct RepeatState {
    last_calls: Vec<CallKey>,
    current_calls: Vec<CallKey>,
    current_tasks: HashMap<CallKey, watch::Receiver<Option<ToolReturnValue>>>,
    seen: HashSet<CallKey>,
    streak_key: Option<CallKey>,
    streak: usize,
    force_stop: bool,
}

impl RepeatState {
    /// A new turn: earlier calls no longer count.
    pub fn begin_turn(&mut self) {
        self.last_calls.clear();
    }

    /// Before each LLM call of a step (retries included).
    pub fn begin_step(&mut self) {
        self.current_calls.clear();
        self.current_tasks.clear();
        self.force_stop = false;
        if self.last_calls.is_empty() {
            self.seen.clear();
            self.streak_key = None;
            self.streak = 0;
        } else {
            let last = self.last_calls.clone();
            self.seen.extend(last.iter().cloned());
            if self.streak_key.is_none() && self.streak == 0 {
                self.advance(&last);
            }
        }
    }

    /// After the step's tool results are in.
    pub fn end_step(&mut self) {
        let current = std::mem::take(&mut self.current_calls);
        self.advance(&current);
        self.seen.extend(current.iter().cloned());
        self.last_calls = current;
        self.current_tasks.clear();
    }

    pub fn force_stop(&self) -> bool {
        self.force_stop
    }

    fn advance(&mut self, calls: &[CallKey]) {
        for key in calls {
            if self.streak_key.as_ref() == Some(key) {
                self.streak += 1;
            } else {
                self.streak_key = Some(key.clone());
                self.streak = 1;
            }
        }
    }

    fn projected_streak(&self, index: usize) -> usize {
        let mut key = self.streak_key.as_ref();
        let mut count = self.streak;
        for k in &self.current_calls[..=index] {
            if key == Some(k) {
                count += 1;
            } else {
                key = Some(k);
                count = 1;
            }
        }
        count
    }

    /// Register a call of `name` with parsed `arguments`.
    pub fn plan(&mut self, name: &str, arguments: &Value) -> Plan {
        let canonical = canonical_arguments(arguments);
        let key: CallKey = (name.to_string(), canonical.clone());
        let index = self.current_calls.len();
        self.current_calls.push(key.clone());
        if let Some(rx) = self.current_tasks.get(&key) {
            return Plan::Duplicate(rx.clone());
        }
        let mut text = None;
        if self.seen.contains(&key) {
            let (t, stop) = reminder(self.projected_streak(index), name, &canonical);
            if stop {
                self.force_stop = true;
            }
            text = t;
        }
        let (tx, rx) = watch::channel(None);
        self.current_tasks.insert(key, rx);
        Plan::Run {
            done: tx,
            reminder: text,
        }
    }
}

/// Wait for the first call's result.
pub async fn wait_for(mut rx: watch::Receiver<Option<ToolReturnValue>>) -> ToolReturnValue {
    loop {
        if let Some(v) = rx.borrow_and_update().clone() {
            return v;
        }
        if rx.changed().await.is_err() {
            // the first call was dropped (turn cancelled): so is this one
            return std::future::pending().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_sorts_keys() {
        assert_eq!(
            canonical_arguments(&json!({"b": 1, "a": {"d": [1, "é"], "c": null}})),
            r#"{"a":{"c":null,"d":[1,"é"]},"b":1}"#
        );
    }

    #[test]
    fn streak_reminders_and_stop() {
        let mut st = RepeatState::default();
        st.begin_turn();
        let args = json!({"path": "a"});
        let mut texts = vec![];
        for _ in 0..12 {
            st.begin_step();
            match st.plan("ReadFile", &args) {
                Plan::Run { reminder, .. } => texts.push(reminder),
                Plan::Duplicate(_) => panic!("not a same-step duplicate"),
            }
            st.end_step();
        }
        assert!(texts[..2].iter().all(Option::is_none));
        assert_eq!(texts[2], Some(reminder_1()));
        assert!(texts[4]
            .as_deref()
            .unwrap()
            .contains("- repeated_times: 5\n- arguments: {\"path\":\"a\"}\n"));
        assert_eq!(texts[7], Some(reminder_3()));
        assert!(st.force_stop());
    }

    #[test]
    fn same_step_duplicate_and_turn_reset() {
        let mut st = RepeatState::default();
        st.begin_step();
        assert!(matches!(
            st.plan("Glob", &json!({"a": 1, "b": 2})),
            Plan::Run { .. }
        ));
        assert!(matches!(
            st.plan("Glob", &json!({"b": 2, "a": 1})),
            Plan::Duplicate(_)
        ));
        st.end_step();
        st.begin_turn();
        st.begin_step();
        match st.plan("Glob", &json!({"a": 1, "b": 2})) {
            Plan::Run { reminder, .. } => assert!(reminder.is_none()),
            Plan::Duplicate(_) => panic!("a new step"),
        }
    }
}
