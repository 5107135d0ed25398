//! `/add-dir`: list the additional workspace directories, or add one (kimi-cli's `add_dir`
//! slash command). An added directory is shared with the file tools at once, saved in the
//! session state, and announced to the model with its listing.

use std::path::{Path, PathBuf};

use super::{send_text, Soul, TurnError};
use crate::tools::file::glob::try_list_directory;
use crate::wire::Wire;
use kagent_base::message::{system_text, Message, Role};
use kagent_base::paths::{canonical_in, expand_user};

/// kimi-cli's `sanitize_cli_path`: trim, then drop one pair of matching outer quotes (what a
/// terminal adds to a dragged-in path).
pub fn sanitize_cli_path(raw: &str) -> &str {
    let raw = raw.trim();
    let quoted = raw.len() >= 2
        && ((raw.starts_with('\'') && raw.ends_with('\''))
            || (raw.starts_with('"') && raw.ends_with('"')));
    if quoted {
        &raw[1..raw.len() - 1]
    } else {
        raw
    }
}

/// Why `path` (canonical) cannot be added, checked in kimi-cli's order.
fn refusal(path: &Path, work_dir: &Path, added: &[PathBuf]) -> Option<String> {
    let shown = path.display();
    if !path.exists() {
        return Some(format!("Directory does not exist: {shown}"));
    }
    if !path.is_dir() {
        return Some(format!("Not a directory: {shown}"));
    }
    if added.iter().any(|d| d == path) {
        return Some(format!("Directory already in workspace: {shown}"));
    }
    if path.starts_with(work_dir) {
        return Some(format!(
            "Directory is already within the working directory: {shown}"
        ));
    }
    added.iter().find(|d| path.starts_with(d)).map(|d| {
        format!(
            "Directory is already within an added directory `{}`: {shown}",
            d.display()
        )
    })
}

/// Run `/add-dir <args>`.
pub fn add_dir(soul: &mut Soul, args: &str, wire: &Wire) -> Result<(), TurnError> {
    let arg = sanitize_cli_path(args);
    let added = soul.workspace.additional_dirs();
    if arg.is_empty() {
        if added.is_empty() {
            send_text(wire, "No additional directories. Usage: /add-dir <path>");
        } else {
            let mut lines = vec!["Additional directories:".to_string()];
            lines.extend(added.iter().map(|d| format!("  - {}", d.display())));
            send_text(wire, &lines.join("\n"));
        }
        return Ok(());
    }
    // relative to the work dir, which is the oracle's current directory while it serves
    let path = canonical_in(Path::new(&expand_user(arg)), &soul.work_dir);
    if let Some(text) = refusal(&path, &soul.work_dir, &added) {
        send_text(wire, &text);
        return Ok(());
    }
    // readable, or nothing changes
    let listing = match try_list_directory(&path) {
        Ok(l) => l,
        Err(e) => {
            send_text(
                wire,
                &format!(
                    "Cannot read directory: {} ({})",
                    path.display(),
                    kagent_base::py::oserror::os_error(&e, &path)
                ),
            );
            return Ok(());
        }
    };
    soul.workspace.add(path.clone());
    let text = path.display().to_string();
    soul.update_state(|s| {
        let mut saved = s.additional_dir_strings();
        saved.push(text.clone());
        s.set_additional_dirs(&saved);
    })?;
    let note = format!(
        "The user has added an additional directory to the workspace: `{text}`\n\n\
         Directory listing:\n```\n{listing}\n```\n\n\
         You can now read, write, search, and glob files in this directory as if it were part of the working directory."
    );
    soul.context
        .append(&[Message::new(Role::User, vec![system_text(&note)])])?;
    send_text(wire, &format!("Added directory to workspace: {text}"));
    kagent_base::logging::info(&format!("Added additional directory: {text}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_one_pair_of_matching_quotes() {
        assert_eq!(sanitize_cli_path("  '/a b'  "), "/a b");
        assert_eq!(sanitize_cli_path("\"x\""), "x");
        assert_eq!(sanitize_cli_path("'x\""), "'x\"");
        assert_eq!(sanitize_cli_path("'"), "'");
        assert_eq!(sanitize_cli_path("''"), "");
    }

    #[test]
    fn refusals_in_order() {
        let tmp = std::env::temp_dir().join(format!("kagent-adddir-{}", std::process::id()));
        let (work, extra) = (tmp.join("work"), tmp.join("extra"));
        std::fs::create_dir_all(work.join("sub")).unwrap();
        std::fs::create_dir_all(extra.join("in")).unwrap();
        std::fs::write(extra.join("f"), "").unwrap();
        let added = vec![extra.clone()];
        let r = |p: &Path| refusal(p, &work, &added);
        assert!(r(&tmp.join("nope"))
            .unwrap()
            .starts_with("Directory does not exist: "));
        assert!(r(&extra.join("f"))
            .unwrap()
            .starts_with("Not a directory: "));
        assert!(r(&extra)
            .unwrap()
            .starts_with("Directory already in workspace: "));
        assert!(r(&work.join("sub"))
            .unwrap()
            .contains("within the working directory"));
        assert!(r(&extra.join("in"))
            .unwrap()
            .contains("within an added directory `"));
        assert_eq!(r(&tmp), None);
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
