//! `Glob`: pathlib-style glob (`*`, `?`, `[...]`, `**` for any depth) under a workspace
//! directory. Patterns starting with `**` are refused with a listing of the work dir.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::session::workspace::Workspace;
use crate::tools::args::{self, Field, Get, Kind, STR};
use crate::tools::util::{is_within, msg};
use crate::tools::{Tool, ToolContext, ToolOutput, ToolReturnValue};
use kagent_base::paths::{canonical_in, expand_user};
use kagent_base::BoxFuture;

pub const MAX_MATCHES: usize = 1000;

const FIELDS: &[Field] = &[
    Field::required("pattern", STR),
    Field::optional("directory", Kind::Optional(&STR), args::null),
    Field::optional("include_dirs", Kind::Bool, args::true_),
];

pub struct Glob {
    ws: Workspace,
    /// Skills roots outside the workspace, searchable too (as in kimi-cli).
    skills_dirs: Vec<PathBuf>,
}

impl Glob {
    pub fn new(ws: impl Into<Workspace>, skills_dirs: Vec<PathBuf>) -> Self {
        Glob {
            ws: ws.into(),
            skills_dirs,
        }
    }
}

/// A compact two-level tree of `dir` (kimi-cli's `list_directory`); "(empty directory)" when
/// it cannot be read either.
pub fn list_directory(dir: &Path) -> String {
    try_list_directory(dir).unwrap_or_else(|_| "(empty directory)".into())
}

/// [`list_directory`], failing when `dir` itself cannot be read (a subdirectory that cannot
/// be read shows as `[not readable]`).
pub fn try_list_directory(dir: &Path) -> std::io::Result<String> {
    fn entries(dir: &Path, width: usize) -> std::io::Result<(Vec<(String, bool)>, usize)> {
        // an entry that cannot be read fails the listing, as Python's `os.listdir` does
        let mut all: Vec<(String, bool)> = std::fs::read_dir(dir)?
            .map(|e| {
                let e = e?;
                let is_dir = std::fs::metadata(e.path())
                    .map(|m| m.is_dir())
                    .unwrap_or(false);
                Ok((e.file_name().to_string_lossy().into_owned(), is_dir))
            })
            .collect::<std::io::Result<_>>()?;
        all.sort_by(|a, b| (!a.1, &a.0).cmp(&(!b.1, &b.0)));
        let total = all.len();
        all.truncate(width);
        Ok((all, total))
    }
    let mut lines = vec![];
    let (top, total) = entries(dir, 30)?;
    let remaining = total - top.len();
    for (i, (name, is_dir)) in top.iter().enumerate() {
        let last = i == top.len() - 1 && remaining == 0;
        let connector = if last { "└── " } else { "├── " };
        if !is_dir {
            lines.push(format!("{connector}{name}"));
            continue;
        }
        lines.push(format!("{connector}{name}/"));
        let prefix = if last { "    " } else { "│   " };
        match entries(&dir.join(name), 10) {
            Err(_) => lines.push(format!("{prefix}└── [not readable]")),
            Ok((kids, kid_total)) => {
                let kid_remaining = kid_total - kids.len();
                for (j, (kname, kdir)) in kids.iter().enumerate() {
                    let klast = j == kids.len() - 1 && kid_remaining == 0;
                    lines.push(format!(
                        "{prefix}{}{kname}{}",
                        if klast { "└── " } else { "├── " },
                        if *kdir { "/" } else { "" }
                    ));
                }
                if kid_remaining > 0 {
                    lines.push(format!("{prefix}└── ... and {kid_remaining} more"));
                }
            }
        }
    }
    if remaining > 0 {
        lines.push(format!("└── ... and {remaining} more entries"));
    }
    Ok(if lines.is_empty() {
        "(empty directory)".into()
    } else {
        lines.join("\n")
    })
}

impl Tool for Glob {
    fn name(&self) -> &str {
        "Glob"
    }

    fn description(&self) -> &str {
        "Find files and directories whose paths match a glob pattern.\n\n\
         - Supports `*`, `?`, `[abc]` and `**` (any number of directories), e.g. `*.py`, `src/**/*.rs`.\n\
         - Patterns must not start with `**`; search from a more specific directory instead.\n\
         - `directory` must be an absolute path inside the workspace; it defaults to the working directory.\n\
         - Results are sorted paths relative to the searched directory, at most 1000 of them."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "pattern": {"description": "Pattern the file or directory paths must match.", "type": "string"},
                "directory": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": null,
                    "description": "Absolute path of the directory to search (the working directory if left out)."
                },
                "include_dirs": {
                    "default": true,
                    "description": "Also list matching directories, not only files.",
                    "type": "boolean"
                }
            },
            "required": ["pattern"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, _ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let ws = self.ws.clone();
        let skills_dirs = self.skills_dirs.clone();
        Box::pin(async move {
            let p = match args::validate(&arguments, FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            let pattern = p.str_of("pattern");
            let dir = p.opt_str("directory").filter(|d| !d.is_empty());
            let include_dirs = p.bool_of("include_dirs");
            tokio::task::spawn_blocking(move || run(&ws, &skills_dirs, &pattern, dir, include_dirs))
                .await
                .unwrap_or_else(|e| {
                    ToolReturnValue::error(format!("Failed to search. Error: {e}"), "Glob failed")
                })
        })
    }
}

fn run(
    ws: &Workspace,
    skills_dirs: &[PathBuf],
    pattern: &str,
    dir: Option<String>,
    include_dirs: bool,
) -> ToolReturnValue {
    let work_dir = ws.work_dir();
    if pattern.starts_with("**") {
        return ToolReturnValue {
            output: ToolOutput::Text(list_directory(work_dir)),
            ..ToolReturnValue::error(
                msg("glob.unsafe_pattern", &[("{pattern}", pattern)]),
                "Unsafe pattern",
            )
        };
    }
    let shown = dir.clone().unwrap_or_default();
    let dir_path = match &dir {
        Some(d) => PathBuf::from(expand_user(d)),
        None => work_dir.to_path_buf(),
    };
    if !dir_path.is_absolute() {
        return ToolReturnValue::error(
            msg("glob.not_absolute", &[("{dir}", &shown)]),
            "Invalid directory",
        );
    }
    let user_dir = dir_path.clone();
    let dir_path = canonical_in(&dir_path, work_dir);
    if !ws.contains(&dir_path) && !skills_dirs.iter().any(|d| is_within(&dir_path, d)) {
        return ToolReturnValue::error(
            msg(
                "glob.outside_workspace",
                &[("{dir}", &user_dir.display().to_string())],
            ),
            &msg("glob.outside_workspace.brief", &[]),
        );
    }
    if !dir_path.exists() {
        return ToolReturnValue::error(
            msg("glob.missing", &[("{dir}", &shown)]),
            "Directory not found",
        );
    }
    if !dir_path.is_dir() {
        return ToolReturnValue::error(
            msg("glob.not_a_dir", &[("{dir}", &shown)]),
            "Invalid directory",
        );
    }
    let fail = |e: &dyn std::fmt::Display| {
        ToolReturnValue::error(
            msg(
                "glob.failed",
                &[("{pattern}", pattern), ("{error}", &e.to_string())],
            ),
            "Glob failed",
        )
    };
    let matcher = match globset::GlobBuilder::new(pattern.trim_end_matches('/'))
        .literal_separator(true)
        .case_insensitive(cfg!(windows))
        .backslash_escape(!cfg!(windows))
        .build()
    {
        Ok(g) => g.compile_matcher(),
        Err(e) => return fail(&e),
    };
    let recursive = pattern.contains("**");
    let depth = pattern.trim_end_matches('/').split('/').count();
    let mut walker = ignore::WalkBuilder::new(&dir_path);
    // As kimi-cli's glob: a pattern's literal and `*` parts go through symlinked directories;
    // `**` does not recurse into them.
    walker.standard_filters(false).follow_links(!recursive);
    if !recursive {
        walker.max_depth(Some(depth));
    }
    let only_dirs = pattern.ends_with('/');
    let mut matches: Vec<(Vec<String>, bool)> = vec![];
    for entry in walker.build().filter_map(Result::ok) {
        if entry.depth() == 0 {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(&dir_path) else {
            continue;
        };
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if !matcher.is_match(parts.join("/")) {
            continue;
        }
        let is_dir = entry.path().is_dir();
        if only_dirs && !is_dir {
            continue;
        }
        matches.push((parts, is_dir));
    }
    if !include_dirs {
        matches.retain(|(_, d)| !d);
    }
    matches.sort();
    let mut message = if matches.is_empty() {
        msg("glob.no_matches", &[("{pattern}", pattern)])
    } else {
        msg(
            "glob.found",
            &[
                ("{count}", &matches.len().to_string()),
                ("{pattern}", pattern),
            ],
        )
    };
    if matches.len() > MAX_MATCHES {
        matches.truncate(MAX_MATCHES);
        message.push_str(&msg(
            "glob.capped",
            &[("{max_matches}", &MAX_MATCHES.to_string())],
        ));
    }
    let sep = std::path::MAIN_SEPARATOR_STR;
    let output: Vec<String> = matches.iter().map(|(p, _)| p.join(sep)).collect();
    ToolReturnValue::ok(output.join("\n"), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_relative_sorted() {
        let d = std::env::temp_dir().join(format!("kagent-glob-{}", std::process::id()));
        std::fs::create_dir_all(d.join("src/sub")).unwrap();
        std::fs::write(d.join("a.txt"), "").unwrap();
        std::fs::write(d.join("src/b.rs"), "").unwrap();
        std::fs::write(d.join("src/sub/c.rs"), "").unwrap();
        let d = Workspace::from(d);
        let r = run(&d, &[], "*.txt", None, true);
        assert_eq!(r.output, ToolOutput::Text("a.txt".into()));
        let r = run(&d, &[], "src/**/*.rs", None, true);
        assert_eq!(r.output, ToolOutput::Text("src/b.rs\nsrc/sub/c.rs".into()));
        assert_eq!(r.message, "2 paths match `src/**/*.rs`.");
        let r = run(&d, &[], "**/*.rs", None, true);
        assert!(r.is_error && r.message == msg("glob.unsafe_pattern", &[("{pattern}", "**/*.rs")]));
        let r = run(&d, &[], "*", Some("/".into()), true);
        assert!(r.is_error && r.message == msg("glob.outside_workspace", &[("{dir}", "/")]));
        // an added directory can be searched
        let other = d.work_dir().join("src");
        let ws = Workspace::new(d.work_dir().join("a.txt"), vec![other.clone()]);
        let r = run(&ws, &[], "*.rs", Some(other.display().to_string()), true);
        assert_eq!(r.output, ToolOutput::Text("b.rs".into()));
        // a skills root outside the workspace is searchable
        let root = d.work_dir().to_path_buf();
        let ws = Workspace::from(root.join("src"));
        let r = run(
            &ws,
            std::slice::from_ref(&root),
            "*.txt",
            Some(root.display().to_string()),
            true,
        );
        assert_eq!(r.output, ToolOutput::Text("a.txt".into()));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
