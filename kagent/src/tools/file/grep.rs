//! `Grep`: ripgrep semantics built on the `ignore` walker and the `grep` searcher crates.
//!
//! Like kimi-cli's `rg` invocation: hidden files are searched, ignore files are honoured
//! (unless `include_ignored`), VCS directories are skipped, binary files are skipped. Output
//! lines have rg's shape (`path:line:text`, `path-line-text` for context, `--` between
//! groups, `path:count`), then the post-processing: newest-first for file lists, paths made
//! relative, sensitive files filtered, offset / head_limit pagination.

use std::path::{Path, PathBuf};

use grep_matcher::Matcher;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkMatch};
use serde_json::{json, Value};

use crate::tools::args::{self, Field, Get, Kind, STR};
use crate::tools::util::{is_sensitive_file, msg, sensitive_file_warning, ResultBuilder};
use crate::tools::{Tool, ToolContext, ToolReturnValue};
use kagent_base::paths::expand_user;
use kagent_base::BoxFuture;

const OPT_INT: Kind = Kind::Optional(&args::INT);

fn fields() -> Vec<Field> {
    vec![
        Field::required("pattern", STR),
        Field::optional("path", STR, || json!(".")),
        Field::optional("glob", Kind::Optional(&STR), args::null),
        Field::optional("output_mode", STR, || json!("files_with_matches")),
        Field::optional("-B", OPT_INT, args::null),
        Field::optional("-A", OPT_INT, args::null),
        Field::optional("-C", OPT_INT, args::null),
        Field::optional("-n", Kind::Bool, args::true_),
        Field::optional("-i", Kind::Bool, args::false_),
        Field::optional("type", Kind::Optional(&STR), args::null),
        Field::optional(
            "head_limit",
            Kind::Optional(&Kind::Int {
                ge: Some(0),
                le: None,
            }),
            || json!(250),
        ),
        Field::optional(
            "offset",
            Kind::Int {
                ge: Some(0),
                le: None,
            },
            || json!(0),
        ),
        Field::optional("multiline", Kind::Bool, args::false_),
        Field::optional("include_ignored", Kind::Bool, args::false_),
    ]
}

/// Parsed `Grep` parameters.
#[derive(Debug, Clone)]
pub struct GrepParams {
    pub pattern: String,
    pub path: String,
    pub glob: Option<String>,
    pub output_mode: String,
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub context: Option<i64>,
    pub line_number: bool,
    pub ignore_case: bool,
    pub file_type: Option<String>,
    pub head_limit: Option<i64>,
    pub offset: i64,
    pub multiline: bool,
    pub include_ignored: bool,
}

pub struct Grep {
    work_dir: PathBuf,
}

impl Grep {
    pub fn new(work_dir: PathBuf) -> Self {
        Grep { work_dir }
    }
}

impl Tool for Grep {
    fn name(&self) -> &str {
        "Grep"
    }

    fn description(&self) -> &str {
        "Search file contents with regular expressions (ripgrep syntax and semantics).\n\n\
         - Prefer this tool over running grep or rg through Shell.\n\
         - `output_mode`: `files_with_matches` (default; newest files first), `content` (matching lines, with `-n`, `-A`, `-B`, `-C`), or `count_matches`.\n\
         - Filter files with `glob` (e.g. `*.{ts,tsx}`) or `type` (e.g. `py`, `rust`).\n\
         - Hidden files are searched; files ignored by `.gitignore` and similar are skipped unless `include_ignored` is true. Files that may hold secrets are never shown.\n\
         - Results are limited by `head_limit` (default 250, 0 for no limit); page with `offset`.\n\
         - Patterns match within a line unless `multiline` is true."
    }

    fn parameters(&self) -> Value {
        let opt_int = |d: &str| json!({"anyOf": [{"type": "integer"}, {"type": "null"}], "default": null, "description": d});
        json!({
            "properties": {
                "pattern": {"description": "Regular expression to look for in the files' contents", "type": "string"},
                "path": {"default": ".", "description": "Absolute path of a file or directory to search; the working directory by default.", "type": "string"},
                "glob": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "description": "Only search files whose names match this glob (e.g. `*.py`, `*.{c,h}`); all files by default."},
                "output_mode": {"default": "files_with_matches", "description": "What to return: `content` the matching lines (with `-A`, `-B`, `-C`, `-n`, `head_limit`), `files_with_matches` the paths of matching files (with `head_limit`), `count_matches` the number of matches. Default `files_with_matches`.", "type": "string"},
                "-B": opt_int("Lines of context before each match (`-B`); only with `output_mode` `content`."),
                "-A": opt_int("Lines of context after each match (`-A`); only with `output_mode` `content`."),
                "-C": opt_int("Lines of context on both sides of each match (`-C`); only with `output_mode` `content`."),
                "-n": {"default": true, "description": "Prefix lines with their line numbers (`-n`); only with `output_mode` `content`. On by default.", "type": "boolean"},
                "-i": {"default": false, "description": "Ignore letter case (`-i`).", "type": "boolean"},
                "type": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "description": "Only search files of this type (py, rust, js, ts, go, java, ...); quicker than `glob` for common types."},
                "head_limit": {"anyOf": [{"minimum": 0, "type": "integer"}, {"type": "null"}], "default": 250, "description": "Return at most this many lines or entries, whatever the output mode (like `| head -N`); 250 by default, 0 for no limit (only when really needed, output can get large)."},
                "offset": {"default": 0, "description": "Skip this many lines or entries first, then apply head_limit (like `| tail -n +N | head -N`); 0 by default.", "minimum": 0, "type": "integer"},
                "multiline": {"default": false, "description": "Let patterns span lines and `.` match newlines (`-U --multiline-dotall`); off by default.", "type": "boolean"},
                "include_ignored": {"default": false, "description": "Also search files that `.gitignore`, `.ignore` and similar rules exclude, such as build output (`dist/`, `build/`) or `node_modules`. Sensitive files such as `.env` stay excluded. Off by default.", "type": "boolean"}
            },
            "required": ["pattern"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, _ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let work_dir = self.work_dir.clone();
        Box::pin(async move {
            let p = match args::validate(&arguments, &fields()) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            let params = GrepParams {
                pattern: p.str_of("pattern"),
                path: p.str_of("path"),
                glob: p.opt_str("glob"),
                output_mode: p.str_of("output_mode"),
                before: p.opt_int("-B"),
                after: p.opt_int("-A"),
                context: p.opt_int("-C"),
                line_number: p.bool_of("-n"),
                ignore_case: p.bool_of("-i"),
                file_type: p.opt_str("type"),
                head_limit: p.opt_int("head_limit"),
                offset: p.int_of("offset"),
                multiline: p.bool_of("multiline"),
                include_ignored: p.bool_of("include_ignored"),
            };
            tokio::task::spawn_blocking(move || grep(&work_dir, &params))
                .await
                .unwrap_or_else(|e| {
                    ToolReturnValue::error(
                        msg("grep.failed", &[("{error}", &e.to_string())]),
                        "Failed to grep",
                    )
                })
        })
    }
}

fn failed(stderr: &str) -> ToolReturnValue {
    ToolReturnValue::error(msg("grep.failed", &[("{error}", stderr)]), "Failed to grep")
}

/// Collects rg-style output lines for one file.
struct Collect<'a> {
    prefix: Option<String>,
    line_number: bool,
    out: &'a mut Vec<String>,
    matcher: &'a RegexMatcher,
    count: u64,
    count_only: bool,
}

impl Collect<'_> {
    fn push(&mut self, sep: char, line_no: Option<u64>, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        let mut s = String::new();
        if let Some(p) = &self.prefix {
            s.push_str(p);
            s.push(sep);
        }
        if let (true, Some(n)) = (self.line_number, line_no) {
            s.push_str(&n.to_string());
            s.push(sep);
        }
        s.push_str(text);
        self.out.push(s);
    }
}

impl Sink for Collect<'_> {
    type Error = std::io::Error;

    fn matched(&mut self, _s: &Searcher, m: &SinkMatch<'_>) -> Result<bool, Self::Error> {
        if self.count_only {
            let mut n = 0u64;
            let _ = self.matcher.find_iter(m.bytes(), |_| {
                n += 1;
                true
            });
            self.count += n.max(1);
            return Ok(true);
        }
        let start = m.line_number();
        for (i, line) in m.lines().enumerate() {
            self.push(':', start.map(|s| s + i as u64), line);
        }
        Ok(true)
    }

    fn context(&mut self, _s: &Searcher, c: &SinkContext<'_>) -> Result<bool, Self::Error> {
        if !self.count_only {
            self.push('-', c.line_number(), c.bytes());
        }
        Ok(true)
    }

    fn context_break(&mut self, _s: &Searcher) -> Result<bool, Self::Error> {
        if !self.count_only {
            self.out.push("--".into());
        }
        Ok(true)
    }
}

/// Run a search; `Err` is the message rg would print to stderr.
pub fn search(work_dir: &Path, p: &GrepParams) -> Result<(Vec<String>, PathBuf), String> {
    let arg = expand_user(&p.path);
    let arg_path = PathBuf::from(&arg);
    let abs = if arg_path.is_absolute() {
        arg_path.clone()
    } else {
        work_dir.join(&arg_path)
    };
    let matcher = RegexMatcherBuilder::new()
        .case_insensitive(p.ignore_case)
        .multi_line(true)
        .dot_matches_new_line(p.multiline)
        .line_terminator(if p.multiline { None } else { Some(b'\n') })
        .build(&p.pattern)
        .map_err(|e| format!("rg: {e}\n"))?;
    if !abs.exists() {
        return Err(format!(
            "rg: {arg}: IO error for operation on {arg}: No such file or directory (os error 2)\n"
        ));
    }
    let content = p.output_mode == "content";
    let (mut before, mut after) = (0usize, 0usize);
    if content {
        if let Some(c) = p.context {
            before = c.max(0) as usize;
            after = c.max(0) as usize;
        }
        if let Some(b) = p.before {
            before = b.max(0) as usize;
        }
        if let Some(a) = p.after {
            after = a.max(0) as usize;
        }
    }
    let single_file = abs.is_file();
    let mut searcher = SearcherBuilder::new()
        .line_number(true)
        .multi_line(p.multiline)
        .before_context(before)
        .after_context(after)
        .binary_detection(if single_file {
            BinaryDetection::convert(b'\0')
        } else {
            BinaryDetection::quit(b'\0')
        })
        .build();

    let mut walker = ignore::WalkBuilder::new(&abs);
    walker
        .hidden(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .ignore(!p.include_ignored)
        .git_ignore(!p.include_ignored)
        .git_global(!p.include_ignored)
        .git_exclude(!p.include_ignored)
        .parents(!p.include_ignored)
        .require_git(false);
    let mut ob = ignore::overrides::OverrideBuilder::new(&abs);
    for vcs in [".git", ".svn", ".hg", ".bzr", ".jj", ".sl"] {
        ob.add(&format!("!{vcs}"))
            .map_err(|e| format!("rg: {e}\n"))?;
    }
    if let Some(g) = &p.glob {
        ob.add(g).map_err(|e| format!("rg: {e}\n"))?;
    }
    walker.overrides(ob.build().map_err(|e| format!("rg: {e}\n"))?);
    if let Some(t) = &p.file_type {
        let mut tb = ignore::types::TypesBuilder::new();
        tb.add_defaults();
        tb.select(t);
        let types = tb.build().map_err(|e| format!("rg: {e}\n"))?;
        walker.types(types);
    }
    let mut out = vec![];
    let mut any_group = false;
    for entry in walker.build() {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = entry.path().strip_prefix(&abs).unwrap_or(entry.path());
        let shown = if single_file {
            arg.clone()
        } else if arg == "." || arg == "./" {
            format!("./{}", rel.display())
        } else {
            arg_path.join(rel).display().to_string()
        };
        let mut lines = vec![];
        let mut sink = Collect {
            prefix: (!single_file).then(|| shown.clone()),
            line_number: p.line_number,
            out: &mut lines,
            matcher: &matcher,
            count: 0,
            count_only: !content,
        };
        if searcher
            .search_path(&matcher, entry.path(), &mut sink)
            .is_err()
        {
            continue;
        }
        let count = sink.count;
        match p.output_mode.as_str() {
            "content" => {
                if lines.is_empty() {
                    continue;
                }
                if any_group && (before > 0 || after > 0) {
                    out.push("--".into());
                }
                any_group = true;
                out.extend(lines);
            }
            "count_matches" => {
                if count > 0 {
                    out.push(if single_file {
                        count.to_string()
                    } else {
                        format!("{shown}:{count}")
                    });
                }
            }
            _ => {
                if count > 0 {
                    out.push(shown);
                }
            }
        }
    }
    Ok((out, abs))
}

fn grep(work_dir: &Path, p: &GrepParams) -> ToolReturnValue {
    let (lines, abs) = match search(work_dir, p) {
        Ok(x) => x,
        Err(stderr) => return failed(&stderr),
    };
    let mut message = String::new();
    let mut lines = lines;
    if p.output_mode == "files_with_matches" {
        let mtime = |s: &String| {
            let path = PathBuf::from(s);
            let path = if path.is_absolute() {
                path
            } else {
                work_dir.join(path)
            };
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default())
                .unwrap_or_default()
        };
        lines.sort_by_key(|l| std::cmp::Reverse(mtime(l)));
    }
    let base = if abs.is_file() {
        abs.parent().map(Path::to_path_buf).unwrap_or(abs.clone())
    } else {
        abs.clone()
    };
    let prefix = format!(
        "{}{}",
        base.display().to_string().trim_end_matches(['/', '\\']),
        std::path::MAIN_SEPARATOR
    );
    let lines: Vec<String> = lines
        .into_iter()
        .map(|l| l.strip_prefix(&prefix).map(str::to_string).unwrap_or(l))
        .collect();
    // sensitive files
    let mut kept = vec![];
    let mut filtered: Vec<String> = vec![];
    for line in lines {
        let file = match p.output_mode.as_str() {
            "content" => {
                if line == "--" {
                    kept.push(line);
                    continue;
                }
                rg_line_path(&line).unwrap_or(&line).to_string()
            }
            "count_matches" => match line.rfind(':') {
                Some(i) if i > 0 => line[..i].to_string(),
                _ => line.clone(),
            },
            _ => line.clone(),
        };
        if !file.is_empty() && is_sensitive_file(&file) {
            if !filtered.contains(&file) {
                filtered.push(file);
            }
        } else {
            kept.push(line);
        }
    }
    if !filtered.is_empty() {
        while kept.last().is_some_and(|l| l == "--") {
            kept.pop();
        }
        message = sensitive_file_warning(&filtered);
    }
    let mut lines = kept;
    if p.output_mode == "count_matches" {
        let (mut total, mut files) = (0i64, 0i64);
        for l in &lines {
            if let Some(i) = l.rfind(':').filter(|i| *i > 0) {
                if let Ok(n) = l[i + 1..].parse::<i64>() {
                    total += n;
                    files += 1;
                }
            }
        }
        let summary = msg(
            "grep.count_summary",
            &[
                ("{total}", &total.to_string()),
                ("{files}", &files.to_string()),
            ],
        );
        message = if message.is_empty() {
            summary
        } else {
            format!("{message} {summary}")
        };
    }
    if p.offset > 0 {
        lines = lines.split_off((p.offset as usize).min(lines.len()));
    }
    let output = match p.head_limit {
        Some(limit) if limit > 0 && lines.len() > limit as usize => {
            let total = lines.len() as i64 + p.offset;
            lines.truncate(limit as usize);
            let t = msg(
                "grep.truncated",
                &[
                    ("{limit}", &limit.to_string()),
                    ("{total}", &total.to_string()),
                    ("{next_offset}", &(p.offset + limit).to_string()),
                ],
            );
            message = if message.is_empty() {
                t
            } else {
                format!("{message} {t}")
            };
            lines.join("\n")
        }
        _ => lines.join("\n"),
    };
    let builder_out = ResultBuilder::default();
    if output.is_empty() {
        let m = if message.is_empty() {
            "No matches found".to_string()
        } else {
            format!("No matches found. {message}")
        };
        return builder_out.ok(&m, "");
    }
    let mut b = builder_out;
    b.write(&output);
    b.ok(&message, "")
}

/// The path part of `path:12:text` / `path-12-text`.
fn rg_line_path(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if c != b':' && c != b'-' {
            continue;
        }
        let rest = &bytes[i + 1..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && rest.get(digits) == Some(&c) {
            return Some(&line[..i]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pattern: &str, mode: &str) -> GrepParams {
        GrepParams {
            pattern: pattern.into(),
            path: ".".into(),
            glob: None,
            output_mode: mode.into(),
            before: None,
            after: None,
            context: None,
            line_number: true,
            ignore_case: false,
            file_type: None,
            head_limit: Some(250),
            offset: 0,
            multiline: false,
            include_ignored: false,
        }
    }

    #[test]
    fn content_counts_and_files() {
        let d = std::env::temp_dir().join(format!("kagent-grep-{}", std::process::id()));
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("a.txt"), "alpha\nbeta\nalpha beta alpha\n").unwrap();
        std::fs::write(d.join("sub/b.txt"), "gamma\n").unwrap();
        std::fs::write(d.join(".env"), "alpha=secret\n").unwrap();
        std::fs::write(d.join("bin.dat"), b"alpha\0\0").unwrap();
        let r = grep(&d, &params("alpha", "content"));
        assert_eq!(
            r.output,
            crate::tools::ToolOutput::Text("./a.txt:1:alpha\n./a.txt:3:alpha beta alpha".into())
        );
        assert!(
            r.message
                .contains("Left out 1 file(s) that look like they hold secrets (.env)"),
            "{}",
            r.message
        );
        let r = grep(&d, &params("alpha", "count_matches"));
        assert!(r.message.contains("3 matches in 1 files."), "{}", r.message);
        let r = grep(&d, &params("(", "content"));
        assert!(r.is_error && r.message.starts_with("grep failed: rg: regex parse error"));
        let r = grep(&d, &params("nothing-here", "files_with_matches"));
        assert_eq!(r.message, "No matches found.");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn rg_line_paths() {
        assert_eq!(rg_line_path("a-b.txt:12:x"), Some("a-b.txt"));
        assert_eq!(rg_line_path("a.txt-3-ctx"), Some("a.txt"));
    }
}
