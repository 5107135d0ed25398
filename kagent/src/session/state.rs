//! `state.json`: kept as a JSON object so fields written by other kernels survive.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::{atomic_json_write, SessionError};

#[derive(Debug, Clone, PartialEq)]
pub struct SessionState {
    data: Map<String, Value>,
    /// Yolo turned on for this process only (`--yolo`, `default_yolo`): approvals are skipped
    /// but `state.json` keeps its value until an approval setting changes. kimi-cli then
    /// writes its in-memory yolo, this flag included.
    runtime_yolo: bool,
    /// The afk reminder was given to the model since afk was last toggled or the context
    /// compacted (kimi-cli's afk injection provider; not persisted).
    afk_reminded: bool,
}

impl Default for SessionState {
    fn default() -> Self {
        let v = json!({
            "version": 1,
            "approval": {"yolo": false, "afk": false, "auto_approve_actions": []},
            "additional_dirs": [],
            "custom_title": null,
            "title_generated": false,
            "title_generate_attempts": 0,
            "plan_mode": false,
            "plan_session_id": null,
            "plan_slug": null,
            "wire_mtime": null,
            "archived": false,
            "archived_at": null,
            "auto_archive_exempt": false,
            "todos": [],
        });
        SessionState {
            data: v.as_object().cloned().unwrap_or_default(),
            runtime_yolo: false,
            afk_reminded: false,
        }
    }
}

impl SessionState {
    /// Load `<dir>/state.json`; a missing or corrupted file gives the defaults.
    pub fn load(dir: &Path) -> SessionState {
        let mut st = SessionState::default();
        if let Some(obj) = std::fs::read_to_string(dir.join("state.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v.as_object().cloned())
        {
            for (k, v) in obj {
                st.data.insert(k, v);
            }
        }
        st
    }

    pub fn save(&self, dir: &Path) -> Result<(), SessionError> {
        atomic_json_write(&Value::Object(self.data.clone()), &dir.join("state.json"))
    }

    pub fn custom_title(&self) -> Option<&str> {
        self.data
            .get("custom_title")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn set_custom_title(&mut self, title: &str) {
        self.data.insert("custom_title".into(), json!(title));
    }

    pub fn plan_mode(&self) -> bool {
        self.data
            .get("plan_mode")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn set_plan_mode(&mut self, on: bool) {
        self.data.insert("plan_mode".into(), json!(on));
    }

    /// Yolo as the approval logic sees it (persisted or for this process).
    pub fn yolo(&self) -> bool {
        self.runtime_yolo || self.persisted_yolo()
    }

    fn persisted_yolo(&self) -> bool {
        self.data
            .get("approval")
            .and_then(|a| a.get("yolo"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Turn yolo on for this process without writing it to `state.json`.
    pub fn set_runtime_yolo(&mut self) {
        self.runtime_yolo = true;
    }

    /// An approval setting changed: `state.json` gets the effective yolo too.
    fn approval_changed(&mut self) {
        let yolo = self.yolo();
        self.approval_mut().insert("yolo".into(), json!(yolo));
    }

    fn approval_mut(&mut self) -> &mut Map<String, Value> {
        let approval = self
            .data
            .entry("approval")
            .or_insert_with(|| json!({"yolo": false, "afk": false, "auto_approve_actions": []}));
        if !approval.is_object() {
            *approval = json!({"yolo": false, "afk": false, "auto_approve_actions": []});
        }
        approval.as_object_mut().expect("approval is an object")
    }

    pub fn afk(&self) -> bool {
        self.data
            .get("approval")
            .and_then(|a| a.get("afk"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn set_afk(&mut self, on: bool) {
        self.approval_mut().insert("afk".into(), json!(on));
        self.approval_changed();
        self.afk_reminded = false;
    }

    /// Whether the model must be told it runs in afk mode now (once until re-armed).
    pub fn take_afk_reminder(&mut self) -> bool {
        if !self.afk() || self.afk_reminded {
            return false;
        }
        self.afk_reminded = true;
        true
    }

    /// The context was compacted: the afk reminder may be gone from it.
    pub fn rearm_afk_reminder(&mut self) {
        self.afk_reminded = false;
    }

    /// Actions approved "for this session".
    pub fn auto_approve_actions(&self) -> Vec<String> {
        self.data
            .get("approval")
            .and_then(|a| a.get("auto_approve_actions"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn add_auto_approve_action(&mut self, action: &str) {
        let mut actions = self.auto_approve_actions();
        if !actions.iter().any(|a| a == action) {
            actions.push(action.to_string());
        }
        self.approval_mut()
            .insert("auto_approve_actions".into(), json!(actions));
        self.approval_changed();
    }

    pub fn todos(&self) -> Vec<Value> {
        self.data
            .get("todos")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    pub fn set_todos(&mut self, todos: Value) {
        self.data.insert("todos".into(), todos);
    }

    pub fn set_yolo(&mut self, on: bool) {
        self.runtime_yolo = false;
        self.approval_mut().insert("yolo".into(), json!(on));
    }
}
