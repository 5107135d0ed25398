//! The layer rule of the `kagent` crate, checked on its sources: a module may use only its
//! own folder, the folders of lower layers and `kagent_base`. The order, lowest first, is
//! [`LAYERS`]; it matches `src/lib.rs`. Every `crate::<folder>` path (in `use` lines, grouped
//! `use crate::{a, b}` included, and in code) and every `super::` path that leaves its folder
//! is checked; a reference to a higher layer fails the test with its file and line, unless it
//! is one of at most two [`ALLOWED`] exceptions, each marked `// layer-exception: <why>` at the
//! import. `kagent-base` is below them all: its manifest may not name a kagent crate (and
//! cargo refuses a dependency cycle between the two crates anyway).

use std::path::{Path, PathBuf};

/// The folders of `src/`, lowest layer first.
const LAYERS: &[&str] = &[
    "config", "session", "wire", "llm", "tools", "mcp", "hooks", "skills", "soul", "server", "app",
];

/// Files of `src/` that are the crate's roots, not a layer.
const ROOTS: &[&str] = &["lib.rs", "main.rs"];

/// Upward references that are allowed: (file under `src/`, referenced folder). At most two.
const ALLOWED: &[(&str, &str)] = &[];

const EXCEPTION_MARK: &str = "// layer-exception:";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: layer `{}` uses the higher layer `{}`",
            self.file, self.line, self.from, self.to
        )
    }
}

fn rank(folder: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == folder)
}

/// The module path of a file under `src/`: `tools/file/grep.rs` → `[tools, file, grep]`,
/// `tools/mod.rs` → `[tools]`.
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len());
    &s[..end]
}

/// The top-level names of a grouped `crate::{...}` starting at `body` (just after the `{`):
/// `a, b::c, d::{e, f}}` → `[a, b, d]`.
fn group_heads(body: &str) -> Vec<String> {
    let mut heads = vec![];
    let mut depth = 0usize;
    let mut expect = true;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expect = true,
            c if expect && depth == 0 && is_ident_char(c) => {
                heads.push(ident_at(&body[i..]).to_string());
                expect = false;
            }
            _ => {}
        }
    }
    heads
}

/// The folders a piece of code refers to through `crate::` (plain and grouped), with the
/// byte offset of each reference.
fn crate_refs(code: &str) -> Vec<(usize, String)> {
    let mut out = vec![];
    let mut from = 0;
    while let Some(pos) = code[from..].find("crate::") {
        let at = from + pos;
        from = at + "crate::".len();
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| is_ident_char(c) || c == ':') {
            continue; // `kagent_base::...crate::`, `$crate::` and the like are not ours
        }
        let rest = &code[from..];
        if let Some(body) = rest.strip_prefix('{') {
            out.extend(group_heads(body).into_iter().map(|h| (at, h)));
        } else {
            out.push((at, ident_at(rest).to_string()));
        }
    }
    out
}

/// The folders `super::` paths in `code` reach outside `module`: `super::super::x` from
/// `[wire, a, b]` is `[wire]` + `x` (inside), from `[wire, b]` it is the root's `x`.
fn super_refs(code: &str, module: &[String]) -> Vec<(usize, String)> {
    let mut out = vec![];
    let mut from = 0;
    while let Some(pos) = code[from..].find("super::") {
        let at = from + pos;
        let before = code[..at].chars().next_back();
        let mut rest = &code[at..];
        from = at + "super::".len();
        if before.is_some_and(|c| is_ident_char(c) || c == ':') {
            continue; // counted with the first `super::` of the chain
        }
        let mut ups = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            ups += 1;
            rest = r;
        }
        if ups < module.len() {
            continue; // still inside the file's own folder
        }
        let targets = match rest.strip_prefix('{') {
            Some(body) => group_heads(body),
            None => vec![ident_at(rest).to_string()],
        };
        out.extend(targets.into_iter().map(|t| (at, t)));
    }
    out
}

/// Check sources given as (path under `src/`, text) against the layer order; `allowed` are
/// the permitted (file, folder) exceptions, which must carry [`EXCEPTION_MARK`].
fn check_sources(files: &[(String, String)], allowed: &[(&str, &str)]) -> Vec<String> {
    let mut problems = vec![];
    for (rel, text) in files {
        let top = rel.split('/').next().unwrap_or_default();
        if ROOTS.contains(&top) {
            continue;
        }
        let layer = top.trim_end_matches(".rs");
        let Some(own) = rank(layer) else {
            problems.push(format!(
                "{rel}: `{layer}` is not a layer: add it to LAYERS in tests/layers.rs and src/lib.rs"
            ));
            continue;
        };
        let module = module_path(rel);
        let lines: Vec<&str> = text.lines().collect();
        // grouped uses can span lines: scan statements that start on a line, joined until
        // their braces close
        let mut i = 0;
        while i < lines.len() {
            let start = i;
            let mut code = strip_comment(lines[i]).to_string();
            let mut depth = brace_balance(&code);
            while depth > 0 && (code.contains("crate::{") || code.contains("super::{")) {
                i += 1;
                if i >= lines.len() {
                    break;
                }
                let next = strip_comment(lines[i]);
                depth += brace_balance(next);
                code.push(' ');
                code.push_str(next);
            }
            let refs = crate_refs(&code)
                .into_iter()
                .chain(super_refs(&code, &module));
            for (_, target) in refs {
                let Some(theirs) = rank(&target) else {
                    continue; // an item of the root, `kagent_base`, or not a folder
                };
                if theirs <= own {
                    continue;
                }
                let v = Violation {
                    file: rel.clone(),
                    line: start + 1,
                    from: layer.to_string(),
                    to: target.clone(),
                };
                let marked = lines[start].contains(EXCEPTION_MARK)
                    || start > 0 && lines[start - 1].contains(EXCEPTION_MARK);
                let listed = allowed.iter().any(|(f, t)| *f == rel && *t == target);
                if listed && marked {
                    continue;
                }
                if listed {
                    problems.push(format!(
                        "{v} (allowed, but the line lacks `{EXCEPTION_MARK} <why>`)"
                    ));
                } else {
                    problems.push(v.to_string());
                }
            }
            i += 1;
        }
    }
    problems
}

/// The code of a line without a `//` comment (a `//` inside a string literal, as in a URL,
/// is kept: only a `//` outside quotes starts a comment).
fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    let mut prev = '\0';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '/' if !in_str && prev == '/' => return &line[..i - 1],
            _ => {}
        }
        prev = if prev == '\\' && c == '\\' { '\0' } else { c };
    }
    line
}

fn brace_balance(code: &str) -> i64 {
    code.chars()
        .map(|c| match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn crate_sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p).unwrap();
            (rel, text)
        })
        .collect()
}

#[test]
fn no_module_uses_a_higher_layer() {
    assert!(
        ALLOWED.len() <= 2,
        "at most two upward imports may be allowed"
    );
    let files = crate_sources();
    assert!(files.len() > 50, "the sources were not found");
    let problems = check_sources(&files, ALLOWED);
    assert!(
        problems.is_empty(),
        "layer violations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_layer_is_a_folder_of_src_and_listed_in_lib_rs() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    for layer in LAYERS {
        assert!(
            src.join(layer).join("mod.rs").is_file(),
            "src/{layer}/mod.rs is missing"
        );
        assert!(
            lib.contains(&format!("pub mod {layer};")),
            "src/lib.rs lacks `pub mod {layer};`"
        );
        assert!(
            lib.contains(&format!("[`{layer}`]")),
            "src/lib.rs's layer map lacks `{layer}`"
        );
    }
}

#[test]
fn the_base_crate_depends_on_no_kagent_crate() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("base");
    let manifest = std::fs::read_to_string(base.join("Cargo.toml")).unwrap();
    let deps: toml::Table = toml::from_str::<toml::Table>(&manifest).unwrap()["dependencies"]
        .as_table()
        .cloned()
        .unwrap_or_default();
    let own: Vec<&String> = deps.keys().filter(|k| k.starts_with("kagent")).collect();
    assert!(own.is_empty(), "kagent-base must not depend on {own:?}");
    let mut files = vec![];
    rust_files(&base.join("src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains("kagent::"),
            "{} names the kagent crate",
            f.display()
        );
    }
}

// The checker itself, on made-up sources.

fn src(rel: &str, text: &str) -> (String, String) {
    (rel.to_string(), text.to_string())
}

#[test]
fn the_checker_reports_upward_uses_with_file_and_line() {
    let files = vec![
        src("wire/mod.rs", "//! doc\nuse crate::soul::Soul;\nuse crate::session::Session;\n"),
        src(
            "llm/x.rs",
            "use crate::{\n    config::Config,\n    tools::{Tool, Toolset},\n};\nfn f() { crate::hooks::run(); }\n",
        ),
        src("config/a/b.rs", "use super::super::super::app::run;\nuse super::super::x;\n"),
        src("tools/mod.rs", "// crate::app::nothing in a comment\nlet u = \"https://x\"; // crate::app\n"),
    ];
    let got = check_sources(&files, &[]);
    assert_eq!(
        got,
        vec![
            "wire/mod.rs:2: layer `wire` uses the higher layer `soul`",
            "llm/x.rs:1: layer `llm` uses the higher layer `tools`",
            "llm/x.rs:5: layer `llm` uses the higher layer `hooks`",
            "config/a/b.rs:1: layer `config` uses the higher layer `app`",
        ]
    );
}

#[test]
fn the_checker_accepts_only_marked_allowed_exceptions_and_known_folders() {
    let marked = src(
        "wire/a.rs",
        "// layer-exception: the reason\nuse crate::soul::Soul;\n",
    );
    assert!(check_sources(std::slice::from_ref(&marked), &[("wire/a.rs", "soul")]).is_empty());
    let unmarked = src("wire/a.rs", "use crate::soul::Soul;\n");
    let got = check_sources(&[unmarked], &[("wire/a.rs", "soul")]);
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("lacks `// layer-exception:"), "{got:?}");
    let stray = src("newthing/mod.rs", "");
    assert!(check_sources(&[stray], &[])[0].contains("is not a layer"));
}
