//! INTERIM, to be replaced by the skill registry (branch wt-skills): just enough discovery
//! to run flow skills end to end before that registry exists. Reads
//! `<work_dir>/.kimi/skills/<dir>/SKILL.md` only, with a line-based frontmatter reader
//! (`name`, `description`, `type`). Once the registry is merged, build the commands with
//! [`super::FlowCommand::from_skill`] from its flow-type skills and delete this file.

use std::path::Path;

use super::FlowCommand;

/// The `/flow:` commands of the work dir's `.kimi/skills`, sorted by directory name.
pub fn discover(work_dir: &Path) -> Vec<FlowCommand> {
    let root = work_dir.join(".kimi").join("skills");
    let Ok(entries) = std::fs::read_dir(&root) else {
        return vec![];
    };
    let mut dirs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    let mut commands: Vec<FlowCommand> = vec![];
    for dir in dirs {
        let Ok(text) = std::fs::read_to_string(dir.join("SKILL.md")) else {
            continue;
        };
        let field = |key: &str| frontmatter_field(&text, key).filter(|v| !v.is_empty());
        let name = field("name").unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        if field("type").as_deref() != Some("flow") {
            continue;
        }
        let description = field("description")
            .or_else(|| first_body_line(&text))
            .unwrap_or_else(|| "No description provided.".into());
        if let Some(cmd) = FlowCommand::from_skill(&name, &description, &text) {
            if !commands.iter().any(|c| c.name == cmd.name) {
                commands.push(cmd);
            }
        }
    }
    commands
}

fn frontmatter_field(text: &str, key: &str) -> Option<String> {
    let mut lines = text.lines();
    if lines.next()?.trim() != "---" {
        return None;
    }
    lines
        .take_while(|l| l.trim() != "---")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_string())
}

/// The first non-empty body line after the frontmatter (kimi-cli's description fallback,
/// without its 240-char truncation).
fn first_body_line(text: &str) -> Option<String> {
    let mut lines = text.lines().peekable();
    if lines.peek().is_some_and(|l| l.trim() == "---") {
        lines.next();
        for l in lines.by_ref() {
            if l.trim() == "---" {
                break;
            }
        }
    }
    lines
        .map(str::trim)
        .find(|l| !l.is_empty() && *l != "---")
        .map(str::to_string)
}
