//! `SetTodoList`: replace the session's todo list (kept in `state.json`), or read it back
//! when `todos` is omitted.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::args::{self, Field, Kind};
use super::util::{block, ok_with};
use super::{Tool, ToolContext, ToolReturnValue};
use crate::session::SessionState;
use kagent_base::BoxFuture;

const TODO_FIELDS: &[Field] = &[
    Field::required("title", Kind::Str { min_len: Some(1) }),
    Field::required("status", Kind::Literal(&["pending", "in_progress", "done"])),
];

fn fields() -> Vec<Field> {
    vec![Field::optional(
        "todos",
        Kind::Optional(&Kind::ListOf {
            model: "Todo",
            fields: TODO_FIELDS,
            min: None,
            max: None,
        }),
        args::null,
    )]
}

pub struct SetTodoList {
    state: Arc<Mutex<SessionState>>,
    session_dir: PathBuf,
}

impl SetTodoList {
    pub fn new(state: Arc<Mutex<SessionState>>, session_dir: PathBuf) -> Self {
        SetTodoList { state, session_dir }
    }
}

impl Tool for SetTodoList {
    fn name(&self) -> &str {
        "SetTodoList"
    }

    /// kimi-cli's SetTodoList never awaits: its result can precede the step's StatusUpdate.
    fn reports_at_once(&self) -> bool {
        true
    }

    fn description(&self) -> &str {
        "Keep a todo list to plan and track multi-step work.\n\n\
         - Pass the complete updated list in `todos` every time; it replaces the previous list.\n\
         - Each item has a `title` and a `status`: `pending`, `in_progress` or `done`.\n\
         - Call without `todos` to read the current list.\n\
         - Skip it for simple tasks that take one or two steps."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "todos": {
                    "anyOf": [
                        {
                            "items": {
                                "properties": {
                                    "title": {"description": "What the item is about", "minLength": 1, "type": "string"},
                                    "status": {"description": "Where the item stands", "enum": ["pending", "in_progress", "done"], "type": "string"}
                                },
                                "required": ["title", "status"],
                                "type": "object"
                            },
                            "type": "array"
                        },
                        {"type": "null"}
                    ],
                    "default": null,
                    "description": "The whole todo list as it should be now. Leave it out to get the current list unchanged."
                }
            },
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, _ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let state = self.state.clone();
        let dir = self.session_dir.clone();
        Box::pin(async move {
            let p = match args::validate(&arguments, &fields()) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            match p.get("todos") {
                Some(Value::Array(items)) => {
                    let items: Vec<Value> = items
                        .iter()
                        .map(|t| json!({"title": t["title"], "status": t["status"]}))
                        .collect();
                    {
                        let mut st = kagent_base::sync::lock(&state);
                        let fresh = SessionState::load(&dir);
                        if let Some(t) = fresh.custom_title() {
                            st.set_custom_title(t);
                        }
                        st.set_todos(Value::Array(items.clone()));
                        if let Err(e) = st.save(&dir) {
                            kagent_base::logging::error(&format!("saving todos failed: {e}"));
                        }
                    }
                    ok_with(
                        "Todo list updated",
                        "Todo list updated",
                        vec![block(json!({"type": "todo", "items": items}))],
                    )
                }
                _ => {
                    let fresh = SessionState::load(&dir);
                    let todos = fresh.todos();
                    let valid: Vec<&Value> = todos
                        .iter()
                        .filter(|t| {
                            t["title"].as_str().is_some_and(|s| !s.is_empty())
                                && ["pending", "in_progress", "done"]
                                    .contains(&t["status"].as_str().unwrap_or(""))
                        })
                        .collect();
                    if valid.is_empty() {
                        return ok_with("Todo list is empty.", "", vec![]);
                    }
                    let mut lines = vec!["Current todo list:".to_string()];
                    for t in valid {
                        lines.push(format!(
                            "- [{}] {}",
                            t["status"].as_str().unwrap_or(""),
                            t["title"].as_str().unwrap_or("")
                        ));
                    }
                    ok_with(lines.join("\n"), "", vec![])
                }
            }
        })
    }
}
