//! `state.json`: kept as a JSON object so fields written by other kernels survive.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::{atomic_json_write, SessionError};

#[derive(Debug, Clone, PartialEq)]
pub struct SessionState {
    data: Map<String, Value>,
    /// Invocation-only afk (`--runtime-afk`, what kimi-cli's print mode sets): acts like afk
    /// for this process but is never written to state.json.
    runtime_afk: bool,
    /// Yolo asked for on the command line (`--yolo`, `default_yolo`): in effect, but written
    /// to `state.json` only when an approval setting is next saved (as kimi-cli does).
    runtime_yolo: bool,
    /// A manual plan-mode switch-on waits for its one-shot reminder (not saved).
    pending_plan_reminder: bool,
    /// Slug made up for a plan session whose slug was not saved: (plan_session_id, slug).
    plan_slug_cache: Option<(String, String)>,
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
            runtime_afk: false,
            runtime_yolo: false,
            pending_plan_reminder: false,
            plan_slug_cache: None,
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

    /// Workspace directories added to the session (`additional_dirs`), as saved.
    pub fn additional_dir_strings(&self) -> Vec<String> {
        self.data
            .get("additional_dirs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn set_additional_dirs(&mut self, dirs: &[String]) {
        self.data.insert("additional_dirs".into(), json!(dirs));
    }

    pub fn plan_session_id(&self) -> Option<&str> {
        self.data.get("plan_session_id").and_then(Value::as_str)
    }

    pub fn plan_slug(&self) -> Option<&str> {
        self.data.get("plan_slug").and_then(Value::as_str)
    }

    /// Set (or clear) `plan_session_id` and `plan_slug` together.
    pub fn set_plan_session(&mut self, session: Option<(&str, &str)>) {
        let (id, slug) = match session {
            Some((id, slug)) => (json!(id), json!(slug)),
            None => (Value::Null, Value::Null),
        };
        self.data.insert("plan_session_id".into(), id);
        self.data.insert("plan_slug".into(), slug);
    }

    pub fn plan_slug_cache(&self) -> Option<(&str, &str)> {
        self.plan_slug_cache
            .as_ref()
            .map(|(i, s)| (i.as_str(), s.as_str()))
    }

    pub fn set_plan_slug_cache(&mut self, plan_session_id: &str, slug: &str) {
        self.plan_slug_cache = Some((plan_session_id.to_string(), slug.to_string()));
    }

    pub fn pending_plan_reminder(&self) -> bool {
        self.pending_plan_reminder
    }

    pub fn set_pending_plan_reminder(&mut self, on: bool) {
        self.pending_plan_reminder = on;
    }

    /// Yolo in effect: saved in the session or asked for on the command line.
    pub fn yolo(&self) -> bool {
        self.runtime_yolo || self.saved_yolo()
    }

    fn saved_yolo(&self) -> bool {
        self.data
            .get("approval")
            .and_then(|a| a.get("yolo"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Turn yolo on for this process only (not saved until an approval setting changes).
    pub fn set_runtime_yolo(&mut self, on: bool) {
        self.runtime_yolo = on;
    }

    /// The approval section about to change: the yolo in effect becomes the saved one.
    fn approval_mut(&mut self) -> &mut Map<String, Value> {
        if std::mem::take(&mut self.runtime_yolo) {
            self.approval_section().insert("yolo".into(), json!(true));
        }
        self.approval_section()
    }

    fn approval_section(&mut self) -> &mut Map<String, Value> {
        let approval = self
            .data
            .entry("approval")
            .or_insert_with(|| json!({"yolo": false, "afk": false, "auto_approve_actions": []}));
        if !approval.is_object() {
            *approval = json!({"yolo": false, "afk": false, "auto_approve_actions": []});
        }
        approval.as_object_mut().expect("approval is an object")
    }

    /// afk in effect: the persisted session flag or the invocation-only overlay.
    pub fn afk(&self) -> bool {
        self.persisted_afk() || self.runtime_afk
    }

    /// The session's own afk flag (state.json `approval.afk`).
    pub fn persisted_afk(&self) -> bool {
        self.data
            .get("approval")
            .and_then(|a| a.get("afk"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Set the persisted afk flag; switching afk off also ends the invocation-only overlay,
    /// so `/afk` brings a `--runtime-afk` process back to interactive approvals.
    pub fn set_afk(&mut self, on: bool) {
        self.approval_mut().insert("afk".into(), json!(on));
        if !on {
            self.runtime_afk = false;
        }
    }

    pub fn set_runtime_afk(&mut self, on: bool) {
        self.runtime_afk = on;
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
        self.approval_mut().insert("yolo".into(), json!(on));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_yolo_is_saved_only_with_an_approval_change() {
        let mut st = SessionState::default();
        st.set_runtime_yolo(true);
        assert!(st.yolo());
        assert!(!st.saved_yolo());
        st.set_custom_title("t");
        assert!(!st.saved_yolo());
        st.add_auto_approve_action("run command");
        assert!(st.saved_yolo() && st.yolo());

        let mut st = SessionState::default();
        st.set_runtime_yolo(true);
        st.set_yolo(false);
        assert!(!st.yolo());
    }

    #[test]
    fn runtime_afk_acts_like_afk_but_is_never_saved() {
        let dir = std::env::temp_dir().join(format!("kagent-state-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut st = SessionState::default();
        st.set_runtime_afk(true);
        assert!(st.afk());
        assert!(!st.persisted_afk());
        st.save(&dir).unwrap();
        assert!(!SessionState::load(&dir).afk());
        // /afk off ends the overlay too; /afk on is saved.
        st.set_afk(false);
        assert!(!st.afk());
        st.set_afk(true);
        st.save(&dir).unwrap();
        assert!(SessionState::load(&dir).afk());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
