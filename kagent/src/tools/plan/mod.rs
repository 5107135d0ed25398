//! The plan-mode tools `EnterPlanMode` and `ExitPlanMode`, and the plan-mode rule of the
//! file-editing tools.
//!
//! As in kimi-cli 1.51 the tools are always registered (their names are taken) but offered to
//! the model only when the wire client declared `supports_plan_mode`. Both ask the user with
//! a `QuestionRequest`; entering is automatic in yolo and afk mode, leaving only in afk mode.
//! A tool switch of plan mode, unlike a manual one, schedules no activation reminder. While
//! plan mode is on, `WriteFile` and `StrReplaceFile` may edit only the plan file (without
//! approval); every other tool keeps working (the reminders tell the model to stay
//! read-only).

pub mod enter;
pub mod exit;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::ToolReturnValue;
use crate::session::SessionState;
use kagent_base::paths::canonical_in;

/// Plan-mode state as the tools see it.
#[derive(Clone)]
pub struct PlanControl {
    state: Arc<Mutex<SessionState>>,
    session_dir: PathBuf,
}

/// What a file edit targets while plan mode may be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditTarget {
    /// Plan mode is off: the usual rules (approval) apply.
    Any,
    /// Plan mode is on and the path is the plan file: no approval needed.
    PlanFile,
}

impl PlanControl {
    pub fn new(state: Arc<Mutex<SessionState>>, session_dir: PathBuf) -> Self {
        PlanControl { state, session_dir }
    }

    pub fn is_on(&self) -> bool {
        kagent_base::sync::lock(&self.state).plan_mode()
    }

    /// The current plan file (none outside a plan session).
    pub fn path(&self) -> Option<PathBuf> {
        crate::session::plan::plan_file_path(&self.state)
    }

    /// Flip plan mode as a tool does (no activation reminder); returns the new mode.
    pub fn toggle(&self) -> bool {
        let on = !self.is_on();
        match crate::session::plan::set_plan_mode(&self.state, &self.session_dir, on, false) {
            Ok(v) => v,
            Err(e) => {
                // The mode is switched in memory even when state.json cannot be written.
                kagent_base::logging::error(&format!("saving plan mode failed: {e}"));
                on
            }
        }
    }

    /// Whether `path` (canonical) may be edited: in plan mode only the plan file may.
    pub fn edit_target(&self, path: &Path) -> Result<EditTarget, Box<ToolReturnValue>> {
        if !self.is_on() {
            return Ok(EditTarget::Any);
        }
        let Some(plan) = self.path() else {
            return Err(Box::new(ToolReturnValue::error(
                msg("plan.edit.unavailable", &[]),
                &msg("plan.edit.unavailable.brief", &[]),
            )));
        };
        let plan = canonical_in(&plan, Path::new("/"));
        if path != plan {
            return Err(Box::new(ToolReturnValue::error(
                msg(
                    "plan.edit.restricted",
                    &[("{plan_path}", &plan.display().to_string())],
                ),
                &msg("plan.edit.restricted.brief", &[]),
            )));
        }
        Ok(EditTarget::PlanFile)
    }
}

/// A wire `QuestionOption`.
fn option(label: &str, description: &str) -> Value {
    json!({"label": label, "description": description})
}

/// A wire `QuestionItem` with single choice.
fn question(
    text: &str,
    header: &str,
    options: Vec<Value>,
    other_label: &str,
    other_description: &str,
) -> Value {
    json!({
        "question": text, "header": header, "options": options, "multi_select": false,
        "body": "", "other_label": other_label, "other_description": other_description,
    })
}

/// The message when the client cannot answer a plan-mode question.
fn unsupported() -> ToolReturnValue {
    ToolReturnValue::error(msg("plan.unsupported", &[]), "Client unsupported")
}

/// A fixed text of the profile (`messages`), placeholders filled.
fn msg(key: &str, values: &[(&str, &str)]) -> String {
    crate::config::profile::active().message_with(key, values)
}

/// A successful result with a `brief` display block.
fn done(output: impl Into<String>, brief: &str) -> ToolReturnValue {
    super::util::ok_with(output, brief, vec![super::DisplayBlock::brief(brief)])
}

/// Python's `str(path)` of an optional path (`None` when absent).
fn show_opt(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "None".to_string())
}

/// The answers' values that are strings, in order.
fn values(answers: &serde_json::Map<String, Value>) -> Vec<&str> {
    answers.values().filter_map(Value::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(on: bool, dir: &Path) -> PlanControl {
        let mut st = SessionState::default();
        if on {
            st.set_plan_mode(true);
            st.set_plan_session(Some(("0123456789abcdef0123456789abcdef", "thor-hulk-echo")));
        }
        PlanControl::new(Arc::new(Mutex::new(st)), dir.to_path_buf())
    }

    #[test]
    fn only_the_plan_file_is_editable_in_plan_mode() {
        let dir = std::env::temp_dir();
        assert_eq!(
            control(false, &dir).edit_target(Path::new("/x/a.txt")),
            Ok(EditTarget::Any)
        );
        let c = control(true, &dir);
        let plan = c.path().unwrap();
        assert!(plan.ends_with(".kimi/plans/thor-hulk-echo.md"));
        assert_eq!(c.edit_target(&plan), Ok(EditTarget::PlanFile));
        let e = c.edit_target(Path::new("/x/a.txt")).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "Plan mode is on: the plan file `{}` is the only file that may be edited.",
                plan.display()
            )
        );
        assert_eq!(
            e.display,
            vec![super::super::DisplayBlock::brief(
                "Only the plan file may change"
            )]
        );
    }
}
