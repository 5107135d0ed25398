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

/// A fixed text of /add-dir (the profile's `messages`), placeholders filled.
fn msg(key: &str, values: &[(&str, &str)]) -> String {
    crate::config::profile::active().message_with(key, values)
}

/// Why `path` (canonical) cannot be added, checked in kimi-cli's order.
fn refusal(path: &Path, work_dir: &Path, added: &[PathBuf]) -> Option<String> {
    let shown = path.display().to_string();
    let said = |key: &str| Some(msg(key, &[("{path}", &shown)]));
    if !path.exists() {
        return said("add_dir.missing");
    }
    if !path.is_dir() {
        return said("add_dir.not_a_dir");
    }
    if added.iter().any(|d| d == path) {
        return said("add_dir.already_added");
    }
    if path.starts_with(work_dir) {
        return said("add_dir.in_work_dir");
    }
    added.iter().find(|d| path.starts_with(d)).map(|d| {
        msg(
            "add_dir.in_added_dir",
            &[("{existing}", &d.display().to_string()), ("{path}", &shown)],
        )
    })
}

/// Run `/add-dir <args>`.
pub fn add_dir(soul: &mut Soul, args: &str, wire: &Wire) -> Result<(), TurnError> {
    let arg = sanitize_cli_path(args);
    let added = soul.workspace.additional_dirs();
    if arg.is_empty() {
        if added.is_empty() {
            send_text(wire, &msg("add_dir.none", &[]));
        } else {
            let mut lines = vec![msg("add_dir.list_header", &[])];
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
                &msg(
                    "add_dir.unreadable",
                    &[
                        ("{path}", &path.display().to_string()),
                        ("{error}", &kagent_base::py::oserror::os_error(&e, &path)),
                    ],
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
    let note = msg(
        "add_dir.context_note",
        &[("{path}", &text), ("{listing}", &listing)],
    );
    soul.context
        .append(&[Message::new(Role::User, vec![system_text(&note)])])?;
    send_text(wire, &msg("add_dir.done", &[("{path}", &text)]));
    kagent_base::logging::info(&msg("add_dir.done.log", &[("{path}", &text)]));
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
        let said = |key: &str, p: &Path| msg(key, &[("{path}", &p.display().to_string())]);
        let nope = tmp.join("nope");
        assert_eq!(r(&nope), Some(said("add_dir.missing", &nope)));
        let file = extra.join("f");
        assert_eq!(r(&file), Some(said("add_dir.not_a_dir", &file)));
        assert_eq!(r(&extra), Some(said("add_dir.already_added", &extra)));
        let sub = work.join("sub");
        assert_eq!(r(&sub), Some(said("add_dir.in_work_dir", &sub)));
        let inner = extra.join("in");
        let shown = extra.display().to_string();
        assert!(r(&inner).unwrap().contains(&format!("`{shown}`")));
        assert_eq!(r(&tmp), None);
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
