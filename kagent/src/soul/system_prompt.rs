//! The system prompt of new sessions: kimi-cli's default agent prompt (shipped as the data
//! file `data/system_prompt.md`, see its header), filled in like kimi-cli fills it: OS and
//! shell, current time, work directory and its two-level listing, the merged `AGENTS.md`
//! files, additional workspace directories, and the skills list.
//!
//! The skills section is filled in by the caller (`crate::skills::format_for_prompt`).
//! Differences, by design: the time is given in UTC (`+00:00`, the same instant kimi-cli
//! gives in local time); the shell is the one kagent's `Shell` tool runs.

use std::path::{Path, PathBuf};

use crate::skills::project_root;
use crate::tools::file::glob::{list_directory, try_list_directory};
use crate::tools::shell::ShellKind;

const TEMPLATE_FILE: &str = include_str!("data/system_prompt.md");

/// Upper bound for the merged `AGENTS.md` text, in bytes (annotations included).
const AGENTS_MD_MAX_BYTES: usize = 32 * 1024;

/// The template proper (after the attribution header).
fn template() -> &'static str {
    match TEMPLATE_FILE.find("\n-->\n") {
        Some(i) => &TEMPLATE_FILE[i + "\n-->\n".len()..],
        None => TEMPLATE_FILE,
    }
}

/// Keep (`on`) or drop each `{{#name}}...{{/name}}` span.
fn conditional(text: &str, name: &str, on: bool) -> String {
    let (open, close) = (format!("{{{{#{name}}}}}"), format!("{{{{/{name}}}}}"));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        out.push_str(&rest[..start]);
        let inner = &rest[start + open.len()..];
        let Some(end) = inner.find(&close) else {
            out.push_str(&rest[start..]);
            return out;
        };
        if on {
            out.push_str(&inner[..end]);
        }
        rest = &inner[end + close.len()..];
    }
    out.push_str(rest);
    out
}

/// Replace `${NAME}` by its value in one pass (values are not scanned again).
fn substitute(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find('}')
            .and_then(|end| value(&after[..end]).map(|v| (end, v)))
        {
            Some((end, v)) => {
                out.push_str(&v);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What the prompt says about the machine and the workspace.
#[derive(Debug, Clone)]
pub struct PromptArgs {
    pub os: String,
    pub shell: String,
    pub now: String,
    pub work_dir: String,
    pub work_dir_ls: String,
    pub agents_md: String,
    pub additional_dirs_info: String,
    pub skills: String,
}

impl PromptArgs {
    /// Look at the machine and at `work_dir` (and the session's additional directories).
    pub fn detect(work_dir: &Path, additional_dirs: &[PathBuf]) -> PromptArgs {
        let shell = ShellKind::detect();
        PromptArgs {
            os: os_kind(),
            shell: format!("{} (`{}`)", shell.name, shell.path.display()),
            now: iso_now_utc(),
            work_dir: work_dir.display().to_string(),
            work_dir_ls: list_directory(work_dir),
            agents_md: load_agents_md(work_dir).unwrap_or_default(),
            additional_dirs_info: additional_dirs_info(additional_dirs),
            skills: "No skills found.".into(),
        }
    }
}

/// Render the prompt.
pub fn render(args: &PromptArgs) -> String {
    let text = conditional(template(), "windows", args.os == "Windows");
    let text = conditional(
        &text,
        "additional_dirs",
        !args.additional_dirs_info.is_empty(),
    );
    substitute(&text, |name| {
        Some(match name {
            "KIMI_OS" => args.os.clone(),
            "KIMI_SHELL" => args.shell.clone(),
            "KIMI_NOW" => args.now.clone(),
            "KIMI_WORK_DIR" => args.work_dir.clone(),
            "KIMI_WORK_DIR_LS" => args.work_dir_ls.clone(),
            "KIMI_AGENTS_MD" => args.agents_md.clone(),
            "KIMI_ADDITIONAL_DIRS_INFO" => args.additional_dirs_info.clone(),
            "KIMI_SKILLS" => args.skills.clone(),
            _ => return None,
        })
    })
}

fn os_kind() -> String {
    match std::env::consts::OS {
        "macos" => "macOS".into(),
        "windows" => "Windows".into(),
        "linux" => "Linux".into(),
        other => other.into(),
    }
}

use kagent_base::time::iso_now_utc;

/// kimi-cli's `AGENTS.md` merge: from the project root down to `work_dir`, each directory's
/// `.kimi/AGENTS.md` and then `AGENTS.md` (or else `agents.md`), annotated with their paths,
/// joined by blank lines; the byte budget goes to the deepest files first.
pub fn load_agents_md(work_dir: &Path) -> Option<String> {
    let root = project_root(work_dir);
    let mut dirs: Vec<&Path> = vec![];
    for d in work_dir.ancestors() {
        dirs.push(d);
        if d == root {
            break;
        }
    }
    dirs.reverse();
    let mut found: Vec<(PathBuf, String)> = vec![];
    for d in dirs {
        let mut candidates = vec![];
        let kimi = d.join(".kimi").join("AGENTS.md");
        if kimi.is_file() {
            candidates.push(kimi);
        }
        if let Some(p) = ["AGENTS.md", "agents.md"]
            .iter()
            .map(|n| d.join(n))
            .find(|p| p.is_file())
        {
            candidates.push(p);
        }
        for p in candidates {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            if !text.is_empty() {
                found.push((p, text));
            }
        }
    }
    if found.is_empty() {
        return None;
    }
    let mut remaining = AGENTS_MD_MAX_BYTES as i64;
    let n = found.len();
    let mut budgeted: Vec<(String, String)> = vec![(String::new(), String::new()); n];
    for i in (0..n).rev() {
        let (path, text) = &found[i];
        let annotation = format!("<!-- From: {} -->\n", path.display());
        let separator = if i < n - 1 { 2 } else { 0 };
        remaining -= (annotation.len() + separator) as i64;
        if remaining <= 0 {
            remaining = 0;
            budgeted[i] = (annotation, String::new());
            continue;
        }
        let mut text = text.clone();
        if text.len() as i64 > remaining {
            let cut = &text.as_bytes()[..remaining as usize];
            // drop a character cut in half, like `decode(errors="ignore")`
            let valid = match std::str::from_utf8(cut) {
                Ok(s) => s,
                Err(e) => &text[..e.valid_up_to()],
            };
            text = valid.trim().to_string();
            kagent_base::logging::warn(&format!(
                "AGENTS.md truncated due to size limit: {}",
                path.display()
            ));
        }
        remaining -= text.len() as i64;
        budgeted[i] = (annotation, text);
    }
    let parts: Vec<String> = budgeted
        .into_iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|(a, t)| format!("{a}{t}"))
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// The `## Additional Directories` body: each directory and its listing.
fn additional_dirs_info(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .filter(|d| d.is_dir())
        .map(|d| {
            let ls = try_list_directory(d).unwrap_or_else(|_| "[directory not readable]".into());
            format!("### `{}`\n\n```\n{ls}\n```", d.display())
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> PromptArgs {
        PromptArgs {
            os: "Linux".into(),
            shell: "bash (`/bin/bash`)".into(),
            now: "2026-01-01T00:00:00+00:00".into(),
            work_dir: "/w".into(),
            work_dir_ls: "(empty directory)".into(),
            agents_md: "note ${KIMI_OS}".into(),
            additional_dirs_info: String::new(),
            skills: "No skills found.".into(),
        }
    }

    #[test]
    fn renders_the_template() {
        let p = render(&args());
        assert!(p.starts_with(
            "You are Kimi Code CLI, an interactive general AI agent running on a user's computer.\n"
        ));
        assert!(p.contains("You are running on **Linux**. The Shell tool executes commands using **bash (`/bin/bash`)**.\n"));
        assert!(p.contains("The current working directory is `/w`."));
        assert!(p.contains("`````````\nnote ${KIMI_OS}\n`````````"));
        assert!(!p.contains("{{") && !p.contains("Additional Directories"));
        assert!(p.ends_with("actually writing it to the file system."));
        let mut a = args();
        a.os = "Windows".into();
        a.additional_dirs_info = "### `/x`".into();
        let p = render(&a);
        assert!(p.contains("**. Use Unix shell syntax inside Shell commands"));
        assert!(p.contains("## Additional Directories\n\nThe following directories"));
    }

    #[test]
    fn agents_md_root_to_leaf() {
        let tmp = std::env::temp_dir().join(format!("kagent-agentsmd-{}", std::process::id()));
        let sub = tmp.join("a");
        std::fs::create_dir_all(sub.join(".kimi")).unwrap();
        std::fs::create_dir_all(tmp.join(".git")).unwrap();
        std::fs::write(tmp.join("agents.md"), " root \n").unwrap();
        std::fs::write(sub.join(".kimi").join("AGENTS.md"), "kimi").unwrap();
        std::fs::write(sub.join("AGENTS.md"), "leaf").unwrap();
        let got = load_agents_md(&sub).unwrap();
        let want = format!(
            "<!-- From: {} -->\nroot\n\n<!-- From: {} -->\nkimi\n\n<!-- From: {} -->\nleaf",
            tmp.join("agents.md").display(),
            sub.join(".kimi").join("AGENTS.md").display(),
            sub.join("AGENTS.md").display()
        );
        assert_eq!(got, want);
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
