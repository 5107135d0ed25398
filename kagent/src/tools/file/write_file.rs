//! `WriteFile` (overwrite / append) and `StrReplaceFile`, both approved with a diff.
//!
//! Paths resolve against the work dir; outside paths must be absolute and ask for the
//! separate edit-outside action ([`action_edit_outside`]). Nothing is written before the
//! approval, and only the named file is written. In plan mode only the plan file may be
//! edited, without approval (see [`crate::tools::plan`]).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::session::workspace::Workspace;
use crate::tools::approval::Approval;
use crate::tools::args::{self, false_, Field, Get, Kind, STR};
use crate::tools::file::diff::diff_blocks;
use crate::tools::plan::{EditTarget, PlanControl};
use crate::tools::util::{empty_path_error, ok_with, show};
use crate::tools::{Tool, ToolContext, ToolReturnValue};
use kagent_base::paths::{canonical_in, expand_user};
use kagent_base::BoxFuture;

pub const ACTION_EDIT: &str = "edit file";

/// The approval action of an edit outside the workspace (the profile's
/// `file.action.edit_outside`).
pub fn action_edit_outside() -> &'static str {
    crate::config::profile::active().message("file.action.edit_outside")
}

/// A fixed text of these tools (the profile's `messages`), placeholders filled.
fn msg(key: &str, values: &[(&str, &str)]) -> String {
    crate::config::profile::active().message_with(key, values)
}

const WRITE_FIELDS: &[Field] = &[
    Field::required("path", STR),
    Field::required("content", STR),
    Field::optional("mode", Kind::Literal(&["overwrite", "append"]), || {
        json!("overwrite")
    }),
];

/// Resolve a user path for editing: `Err` is the "not absolute" error (message `key`).
fn resolve(raw: &str, ws: &Workspace, key: &str) -> Result<PathBuf, Box<ToolReturnValue>> {
    let user = PathBuf::from(expand_user(raw));
    let path = canonical_in(&user, ws.work_dir());
    if !ws.contains(&path) && !user.is_absolute() {
        return Err(Box::new(ToolReturnValue::error(
            msg(key, &[("{path}", &user.display().to_string())]),
            "Invalid path",
        )));
    }
    Ok(path)
}

/// Inside the work dir only when both the path and where it really lands are (kimi-cli looks
/// at the path alone, so after one "approve for session" edit a write through a symlink to
/// `~/.bashrc` went unasked; issue 19).
fn action_for(path: &Path, ws: &Workspace) -> &'static str {
    if ws.contains(path) && ws.contains_real(path) {
        ACTION_EDIT
    } else {
        action_edit_outside()
    }
}

/// Python's `read_text(errors="replace")` with universal newlines.
fn read_text(path: &Path) -> std::io::Result<String> {
    let data = std::fs::read(path)?;
    Ok(String::from_utf8_lossy(&data)
        .replace("\r\n", "\n")
        .replace('\r', "\n"))
}

pub struct WriteFile {
    approval: Approval,
    plan: PlanControl,
    ws: Workspace,
}

impl WriteFile {
    pub fn new(approval: Approval, plan: PlanControl, ws: impl Into<Workspace>) -> Self {
        WriteFile {
            approval,
            plan,
            ws: ws.into(),
        }
    }
}

impl Tool for WriteFile {
    fn name(&self) -> &str {
        "WriteFile"
    }

    fn description(&self) -> &str {
        "Write content to a file, creating it or replacing it (`overwrite`, the default) or adding to its end (`append`).\n\n\
         - Relative paths resolve against the working directory; files outside it need an absolute path.\n\
         - The parent directory must already exist.\n\
         - Every write is shown to the user as a diff and needs approval.\n\
         - For small changes to an existing file prefer StrReplaceFile; for large content, write in several appends."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "path": {
                    "description": "Path of the file to write; absolute when the file is outside the working directory.",
                    "type": "string"
                },
                "content": {"description": "Text to put into the file", "type": "string"},
                "mode": {
                    "default": "overwrite",
                    "description": "`overwrite` replaces the whole file, `append` adds the content at the end of an existing file.",
                    "enum": ["overwrite", "append"],
                    "type": "string"
                }
            },
            "required": ["path", "content"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let approval = self.approval.clone();
        let plan = self.plan.clone();
        let ws = self.ws.clone();
        Box::pin(async move {
            let p = match args::validate(&arguments, WRITE_FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            let raw = p.str_of("path");
            if raw.is_empty() {
                return empty_path_error();
            }
            let path = match resolve(&raw, &ws, "write.not_absolute") {
                Ok(p) => p,
                Err(e) => return *e,
            };
            let target = match plan.edit_target(&path) {
                Ok(t) => t,
                Err(e) => return *e,
            };
            if target == EditTarget::PlanFile {
                if let Some(dir) = path.parent() {
                    // like kimi-cli, a failure here surfaces as the missing-parent error
                    let _ = std::fs::create_dir_all(dir);
                }
            }
            let fail = |e: &dyn std::fmt::Display| {
                ToolReturnValue::error(
                    msg(
                        "write.failed",
                        &[("{path}", &raw), ("{error}", &e.to_string())],
                    ),
                    &msg("write.failed.brief", &[]),
                )
            };
            if !path.parent().is_some_and(Path::exists) {
                return ToolReturnValue::error(
                    msg("write.parent_missing", &[("{path}", &raw)]),
                    &msg("write.parent_missing.brief", &[]),
                );
            }
            let (content, append) = (p.str_of("content"), p.str_of("mode") == "append");
            let old = if path.exists() {
                match read_text(&path) {
                    Ok(t) => Some(t),
                    Err(e) => return fail(&e),
                }
            } else {
                None
            };
            let new_text = if append {
                format!("{}{content}", old.as_deref().unwrap_or(""))
            } else {
                content.clone()
            };
            let display = diff_blocks(&show(&path), old.as_deref().unwrap_or(""), &new_text);
            // Plan-file writes in plan mode need no approval.
            if target != EditTarget::PlanFile {
                let decision = approval
                    .request(
                        &ctx.tool_call_id,
                        "WriteFile",
                        action_for(&path, &ws),
                        &format!("Write file `{}`", show(&path)),
                        display.clone(),
                    )
                    .await;
                if !decision.approved() {
                    return decision.rejection();
                }
            }
            let written = if append {
                use std::io::Write;
                std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&path)
                    .and_then(|mut f| f.write_all(content.as_bytes()))
            } else {
                std::fs::write(&path, content.as_bytes())
            };
            if let Err(e) = written {
                return fail(&e);
            }
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            ok_with(
                "",
                &msg(
                    "write.done",
                    &[
                        (
                            "{action}",
                            if append { "appended to" } else { "overwritten" },
                        ),
                        ("{size}", &size.to_string()),
                    ],
                ),
                display,
            )
        })
    }
}

const EDIT_FIELDS: &[Field] = &[
    Field::required("old", STR),
    Field::required("new", STR),
    Field::optional("replace_all", Kind::Bool, false_),
];

const REPLACE_FIELDS: &[Field] = &[
    Field::required("path", STR),
    Field::required(
        "edit",
        Kind::ModelOrList {
            model: "Edit",
            fields: EDIT_FIELDS,
        },
    ),
];

pub struct StrReplaceFile {
    approval: Approval,
    plan: PlanControl,
    ws: Workspace,
}

impl StrReplaceFile {
    pub fn new(approval: Approval, plan: PlanControl, ws: impl Into<Workspace>) -> Self {
        StrReplaceFile {
            approval,
            plan,
            ws: ws.into(),
        }
    }
}

struct Edit {
    old: String,
    new: String,
    replace_all: bool,
}

/// The validated `edit` value: one edit or a list of them.
fn parse_edits(edit: &Value) -> Vec<Edit> {
    let to_edit = |m: &Value| Edit {
        old: m["old"].as_str().unwrap_or_default().to_string(),
        new: m["new"].as_str().unwrap_or_default().to_string(),
        replace_all: m["replace_all"].as_bool().unwrap_or(false),
    };
    match edit {
        Value::Array(items) => items.iter().map(to_edit).collect(),
        one => vec![to_edit(one)],
    }
}

fn replace_once(hay: &str, old: &str, new: &str) -> String {
    match hay.find(old) {
        Some(i) => format!("{}{new}{}", &hay[..i], &hay[i + old.len()..]),
        None => hay.to_string(),
    }
}

impl Tool for StrReplaceFile {
    fn name(&self) -> &str {
        "StrReplaceFile"
    }

    fn description(&self) -> &str {
        "Edit an existing file by replacing strings.\n\n\
         - `edit` is one edit or a list of edits, applied in order; each replaces the first occurrence of `old` with `new`, or every occurrence when `replace_all` is true.\n\
         - `old` must match the file content exactly, including whitespace and indentation; include enough context to make it unique.\n\
         - Relative paths resolve against the working directory; files outside it need an absolute path.\n\
         - The change is shown to the user as a diff and needs approval."
    }

    fn parameters(&self) -> Value {
        let edit = json!({
            "properties": {
                "old": {"description": "Exact text to find (may span lines).", "type": "string"},
                "new": {"description": "Text to put in its place (may span lines).", "type": "string"},
                "replace_all": {"default": false, "description": "Replace every occurrence, not only one.", "type": "boolean"}
            },
            "required": ["old", "new"],
            "type": "object"
        });
        json!({
            "properties": {
                "path": {
                    "description": "Path of the file to edit; absolute when the file is outside the working directory.",
                    "type": "string"
                },
                "edit": {
                    "anyOf": [edit.clone(), {"items": edit, "type": "array"}],
                    "description": "One edit, or a list of edits applied in order."
                }
            },
            "required": ["path", "edit"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let approval = self.approval.clone();
        let plan = self.plan.clone();
        let ws = self.ws.clone();
        Box::pin(async move {
            let p = match args::validate(&arguments, REPLACE_FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            let edits = parse_edits(p.get("edit").unwrap_or(&Value::Null));
            let raw = p.str_of("path");
            if raw.is_empty() {
                return empty_path_error();
            }
            let path = match resolve(&raw, &ws, "replace.not_absolute") {
                Ok(p) => p,
                Err(e) => return *e,
            };
            let target = match plan.edit_target(&path) {
                Ok(t) => t,
                Err(e) => return *e,
            };
            let fail = |e: &dyn std::fmt::Display| {
                ToolReturnValue::error(
                    msg("replace.failed", &[("{error}", &e.to_string())]),
                    "Failed to edit file",
                )
            };
            if !path.exists() {
                if target == EditTarget::PlanFile {
                    return ToolReturnValue::error(
                        msg("replace.plan_missing", &[]),
                        &msg("replace.plan_missing.brief", &[]),
                    );
                }
                return ToolReturnValue::error(
                    format!("`{raw}` does not exist."),
                    "File not found",
                );
            }
            if !path.is_file() {
                return ToolReturnValue::error(format!("`{raw}` is not a file."), "Invalid path");
            }
            let original = match read_text(&path) {
                Ok(t) => t,
                Err(e) => return fail(&e),
            };
            let mut content = original.clone();
            for e in &edits {
                content = if e.replace_all {
                    content.replace(&e.old, &e.new)
                } else {
                    replace_once(&content, &e.old, &e.new)
                };
            }
            if content == original {
                return ToolReturnValue::error(
                    msg("replace.no_match", &[]),
                    &msg("replace.no_match.brief", &[]),
                );
            }
            let display = diff_blocks(&show(&path), &original, &content);
            // Plan-file edits in plan mode need no approval.
            if target != EditTarget::PlanFile {
                let decision = approval
                    .request(
                        &ctx.tool_call_id,
                        "StrReplaceFile",
                        action_for(&path, &ws),
                        &format!("Edit file `{}`", show(&path)),
                        display.clone(),
                    )
                    .await;
                if !decision.approved() {
                    return decision.rejection();
                }
            }
            if let Err(e) = std::fs::write(&path, content.as_bytes()) {
                return fail(&e);
            }
            let total: usize = edits
                .iter()
                .map(|e| {
                    if e.replace_all {
                        if e.old.is_empty() {
                            original.chars().count() + 1
                        } else {
                            original.matches(&e.old).count()
                        }
                    } else {
                        usize::from(original.contains(&e.old))
                    }
                })
                .sum();
            ok_with(
                "",
                &msg(
                    "replace.done",
                    &[
                        ("{edits}", &edits.len().to_string()),
                        ("{total}", &total.to_string()),
                    ],
                ),
                display,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_first_only() {
        assert_eq!(replace_once("a a a", "a", "b"), "b a a");
        assert_eq!(replace_once("xyz", "q", "b"), "xyz");
    }

    #[test]
    fn outside_relative_paths_are_refused() {
        let wd = &Workspace::from(PathBuf::from("/tmp/wd"));
        let e = resolve("../x.txt", wd, "write.not_absolute").unwrap_err();
        assert_eq!(
            e.message,
            msg("write.not_absolute", &[("{path}", "../x.txt")])
        );
        assert!(e.message.starts_with("`../x.txt` "), "{}", e.message);
        assert_eq!(
            action_for(&resolve("/tmp/x", wd, "write.not_absolute").unwrap(), wd),
            action_edit_outside()
        );
        assert_eq!(
            action_for(&resolve("a/b", wd, "write.not_absolute").unwrap(), wd),
            ACTION_EDIT
        );
        // an added directory is inside: relative paths reach it, edits are plain edits
        wd.add(PathBuf::from("/tmp/other"));
        let p = resolve("../other/x.txt", wd, "write.not_absolute").unwrap();
        assert_eq!(p, Path::new("/tmp/other/x.txt"));
        assert_eq!(action_for(&p, wd), ACTION_EDIT);
    }
}
