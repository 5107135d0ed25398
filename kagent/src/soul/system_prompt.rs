//! The system prompt of new sessions: the agent spec's template (`system_prompt_path`),
//! rendered as kimi-cli renders it. Jinja (minijinja) configured like kimi-cli's environment:
//! `${ ... }` variables, `trim_blocks`, `lstrip_blocks`, `keep_trailing_newline`, strict
//! undefined, includes relative to the template's directory, the template text `.strip()`ped
//! first; the arguments are kimi-cli's builtin ones (OS and shell, current time, work directory
//! and its two-level listing, the merged `AGENTS.md` files, additional workspace directories,
//! the skills list) and then the spec's `system_prompt_args`.
//!
//! The skills section is filled in by the caller (`crate::skills::format_for_prompt`).
//! Differences, by design: the time is given in UTC (`+00:00`, the same instant kimi-cli
//! gives in local time); the shell is the one kagent's `Shell` tool runs.

use std::path::{Path, PathBuf};

use crate::skills::project_root;
use crate::tools::file::glob::{list_directory, try_list_directory};
use crate::tools::shell::ShellKind;
use crate::tools::util::msg;

/// Upper bound for the merged `AGENTS.md` text, in bytes (annotations included).
const AGENTS_MD_MAX_BYTES: usize = 32 * 1024;

/// A template that cannot be rendered, in kimi-cli's words (`SystemPromptTemplateError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SystemPromptError(pub String);

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

impl PromptArgs {
    /// kimi-cli's `BuiltinSystemPromptArgs`, by name.
    fn builtin(&self) -> [(&'static str, &str); 8] {
        [
            ("KIMI_NOW", &self.now),
            ("KIMI_WORK_DIR", &self.work_dir),
            ("KIMI_WORK_DIR_LS", &self.work_dir_ls),
            ("KIMI_AGENTS_MD", &self.agents_md),
            ("KIMI_SKILLS", &self.skills),
            ("KIMI_ADDITIONAL_DIRS_INFO", &self.additional_dirs_info),
            ("KIMI_OS", &self.os),
            ("KIMI_SHELL", &self.shell),
        ]
    }
}

/// Render the template at `path` with the builtin arguments and the spec's (which win).
pub fn render(
    path: &Path,
    spec_args: &[(String, String)],
    args: &PromptArgs,
) -> Result<String, SystemPromptError> {
    kagent_base::logging::info(&msg(
        "system_prompt.loading.log",
        &[("{path}", &path.display().to_string())],
    ));
    let text = std::fs::read_to_string(path)
        .map_err(|e| SystemPromptError(kagent_base::py::oserror::os_error(&e, path)))?;
    render_text(
        kagent_base::py::strings::py_strip(&text),
        path,
        spec_args,
        args,
    )
}

fn render_text(
    text: &str,
    path: &Path,
    spec_args: &[(String, String)],
    args: &PromptArgs,
) -> Result<String, SystemPromptError> {
    use minijinja::syntax::SyntaxConfig;
    let invalid = |e: &dyn std::fmt::Display| {
        SystemPromptError(msg(
            "system_prompt.invalid_template",
            &[
                ("{path}", &path.display().to_string()),
                ("{error}", &e.to_string()),
            ],
        ))
    };
    let mut env = minijinja::Environment::new();
    let syntax = SyntaxConfig::builder()
        .variable_delimiters("${", "}")
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| invalid(&e))?;
    env.set_syntax(syntax);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    if let Some(dir) = path.parent() {
        env.set_loader(minijinja::path_loader(dir));
    }
    let mut ctx: std::collections::BTreeMap<String, minijinja::Value> = args
        .builtin()
        .into_iter()
        .map(|(k, v)| (k.to_string(), minijinja::Value::from(v)))
        .collect();
    for (k, v) in spec_args {
        ctx.insert(k.clone(), minijinja::Value::from(v.as_str()));
    }
    let names: std::collections::BTreeSet<String> = ctx.keys().cloned().collect();
    let template = env.template_from_str(text).map_err(|e| invalid(&e))?;
    template
        .render(minijinja::Value::from_object(ctx))
        .map_err(|e| {
            if e.kind() != minijinja::ErrorKind::UndefinedError {
                return invalid(&e);
            }
            // name the missing argument as Jinja does (the first one the template uses)
            let missing = template
                .undeclared_variables(false)
                .into_iter()
                .filter(|n| !names.contains(n))
                .min_by_key(|n| text.find(n.as_str()).unwrap_or(usize::MAX));
            let detail = match missing {
                Some(name) => format!("'{name}' is undefined"),
                None => e.to_string(),
            };
            SystemPromptError(msg(
                "system_prompt.missing_arg",
                &[
                    ("{path}", &path.display().to_string()),
                    ("{error}", &detail),
                ],
            ))
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
            kagent_base::logging::warn(&msg(
                "agents_md.truncated.log",
                &[("{path}", &path.display().to_string())],
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
            let ls = try_list_directory(d).unwrap_or_else(|_| {
                crate::config::profile::active()
                    .message("add_dir.listing_unreadable")
                    .to_string()
            });
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

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kagent-prompt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("parts")).unwrap();
        d
    }

    #[test]
    fn renders_like_kimi_clis_jinja() {
        let d = tmp("render");
        std::fs::write(d.join("parts/os.md"), "OS is ${KIMI_OS}\n").unwrap();
        let path = d.join("system.md");
        std::fs::write(
            &path,
            "\n  Role: ${ROLE}.\n{% include 'parts/os.md' %}\n    {% if KIMI_ADDITIONAL_DIRS_INFO %}\nextra\n    {% endif %}\nMD: ${KIMI_AGENTS_MD} <b>${KIMI_NOW}</b>\n\n",
        )
        .unwrap();
        let spec = [("ROLE".to_string(), "tester".to_string())];
        let p = render(&path, &spec, &args()).unwrap();
        // stripped first, blocks trimmed, values not re-rendered nor escaped
        assert_eq!(
            p,
            "Role: tester.\nOS is Linux\nMD: note ${KIMI_OS} <b>2026-01-01T00:00:00+00:00</b>"
        );
        // spec arguments win over builtin ones
        let spec = [
            ("ROLE".to_string(), "r".to_string()),
            ("KIMI_OS".to_string(), "Plan9".to_string()),
        ];
        assert!(render(&path, &spec, &args())
            .unwrap()
            .contains("OS is Plan9\n"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn errors_are_worded_as_kimi_cli_words_them() {
        let d = tmp("errors");
        let path = d.join("system.md");
        std::fs::write(&path, "Hi ${KIMI_OS} ${ROLE_ADDITIONAL} ${OTHER}").unwrap();
        let shown = path.display().to_string();
        assert_eq!(
            render(&path, &[], &args()).unwrap_err().0,
            msg(
                "system_prompt.missing_arg",
                &[
                    ("{path}", &shown),
                    ("{error}", "'ROLE_ADDITIONAL' is undefined")
                ]
            )
        );
        let invalid = msg(
            "system_prompt.invalid_template",
            &[("{path}", &shown), ("{error}", "")],
        );
        std::fs::write(&path, "Hi {% if %}").unwrap();
        let e = render(&path, &[], &args()).unwrap_err().0;
        assert!(e.starts_with(&invalid), "{e}");
        std::fs::write(&path, "{% include 'parts/none.md' %}").unwrap();
        let e = render(&path, &[], &args()).unwrap_err().0;
        assert!(e.starts_with(&invalid), "{e}");
        let gone = d.join("gone.md");
        let e = render(&gone, &[], &args()).unwrap_err().0;
        assert!(e.contains("No such file or directory"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn builtin_default_prompt_renders() {
        let d = tmp("builtin");
        let dir = crate::config::agentspec::builtin_agents_dir(&d).unwrap();
        let path = dir.join("default/system.md");
        let spec = [("ROLE_ADDITIONAL".to_string(), String::new())];
        let p = render(&path, &spec, &args()).unwrap();
        assert!(p.starts_with("You are a coding agent working in a terminal"));
        assert!(p.contains("Operating system: **Linux**. The Shell tool runs commands with **bash (`/bin/bash`)**.\n"));
        assert!(p.contains("The working directory is `/w`."));
        assert!(p.contains("`````````\nnote ${KIMI_OS}\n`````````"));
        assert!(!p.contains("{%") && !p.contains("Additional directories"));
        assert!(p.ends_with("No skills found."));
        let mut a = args();
        a.os = "Windows".into();
        a.additional_dirs_info = "### `/x`".into();
        let p = render(&path, &spec, &a).unwrap();
        assert!(p.contains("**. Write Unix shell syntax in Shell commands"));
        assert!(p.contains("## Additional directories\n\nThese directories"));
        std::fs::remove_dir_all(&d).unwrap();
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
