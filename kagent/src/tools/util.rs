//! Helpers shared by the built-in tools: output limits, path handling, sensitive files.

use kagent_base::paths::{canonical_in, expand_user};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{DisplayBlock, ToolOutput, ToolReturnValue};

pub const DEFAULT_MAX_CHARS: usize = 50_000;
pub const DEFAULT_MAX_LINE_LENGTH: usize = 2000;
const MARKER: &str = "[...truncated]";

/// A fixed text of the tools (the profile's `messages`), placeholders filled.
pub fn msg(key: &str, values: &[(&str, &str)]) -> String {
    crate::config::profile::active().message_with(key, values)
}

/// What a tool result whose output was cut says (the profile's `tool.output_truncated`).
fn truncation_msg() -> &'static str {
    crate::config::profile::active().message("tool.output_truncated")
}

/// Cut `line` to `max_length` characters, keeping its line break and adding `marker`.
pub fn truncate_line(line: &str, max_length: usize, marker: &str) -> String {
    let n = line.chars().count();
    if n <= max_length {
        return line.to_string();
    }
    let body = line.trim_end_matches(['\r', '\n']);
    let linebreak = &line[body.len()..];
    let end = format!("{marker}{linebreak}");
    let end_len = end.chars().count();
    let max_length = max_length.max(end_len);
    let head: String = line.chars().take(max_length - end_len).collect();
    head + &end
}

/// Python's `str.splitlines(keepends=True)` for the separators tools meet in practice.
pub fn split_lines_keepends(text: &str) -> Vec<&str> {
    let mut out = vec![];
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push(&text[start..=i]);
                start = i + 1;
            }
            b'\r' => {
                let end = if i + 1 < bytes.len() && bytes[i + 1] == b'\n' {
                    i + 1
                } else {
                    i
                };
                out.push(&text[start..=end]);
                start = end + 1;
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// kimi-cli's `ToolResultBuilder`: output capped at `max_chars`, lines at `max_line_length`.
pub struct ResultBuilder {
    max_chars: usize,
    max_line_length: Option<usize>,
    buffer: Vec<String>,
    n_chars: usize,
    truncated: bool,
    display: Vec<DisplayBlock>,
}

impl Default for ResultBuilder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_CHARS, Some(DEFAULT_MAX_LINE_LENGTH))
    }
}

impl ResultBuilder {
    pub fn new(max_chars: usize, max_line_length: Option<usize>) -> Self {
        ResultBuilder {
            max_chars,
            max_line_length,
            buffer: vec![],
            n_chars: 0,
            truncated: false,
            display: vec![],
        }
    }

    pub fn is_full(&self) -> bool {
        self.n_chars >= self.max_chars
    }

    pub fn write(&mut self, text: &str) {
        for line in split_lines_keepends(text) {
            if self.is_full() {
                break;
            }
            let remaining = self.max_chars - self.n_chars;
            let limit = match self.max_line_length {
                Some(m) => remaining.min(m),
                None => remaining,
            };
            let cut = truncate_line(line, limit, MARKER);
            if cut != line {
                self.truncated = true;
            }
            self.n_chars += cut.chars().count();
            self.buffer.push(cut);
        }
    }

    /// The last non-empty lines (for error briefs).
    pub fn tail(&self, max_lines: usize, max_line_len: usize) -> String {
        let mut collected: Vec<String> = vec![];
        'outer: for chunk in self.buffer.iter().rev() {
            for line in chunk.lines().rev() {
                let stripped = line.trim_end();
                if stripped.trim().is_empty() {
                    continue;
                }
                let s = if stripped.chars().count() > max_line_len {
                    format!(
                        "{}...",
                        stripped.chars().take(max_line_len).collect::<String>()
                    )
                } else {
                    stripped.to_string()
                };
                collected.push(s);
                if collected.len() >= max_lines {
                    break 'outer;
                }
            }
        }
        collected.reverse();
        collected.join("\n")
    }

    pub fn display(&mut self, block: DisplayBlock) {
        self.display.push(block);
    }

    fn output(&self) -> String {
        self.buffer.concat()
    }

    fn display_with(&self, brief: &str) -> Vec<DisplayBlock> {
        let mut d = vec![];
        if !brief.is_empty() {
            d.push(DisplayBlock::brief(brief));
        }
        d.extend(self.display.iter().cloned());
        d
    }

    pub fn ok(&self, message: &str, brief: &str) -> ToolReturnValue {
        let mut msg = message.to_string();
        if !msg.is_empty() && !msg.ends_with('.') {
            msg.push('.');
        }
        if self.truncated {
            if msg.is_empty() {
                msg = truncation_msg().into();
            } else {
                msg = format!("{msg} {}", truncation_msg());
            }
        }
        ToolReturnValue {
            is_error: false,
            output: ToolOutput::Text(self.output()),
            message: msg,
            display: self.display_with(brief),
            extras: None,
            rejection: None,
        }
    }

    pub fn error(&self, message: &str, brief: &str) -> ToolReturnValue {
        let mut msg = message.to_string();
        if self.truncated {
            if msg.is_empty() {
                msg = truncation_msg().into();
            } else {
                msg = format!("{msg} {}", truncation_msg());
            }
        }
        ToolReturnValue {
            is_error: true,
            output: ToolOutput::Text(self.output()),
            message: msg,
            display: self.display_with(brief),
            extras: None,
            rejection: None,
        }
    }
}

/// A successful result with output, message and display blocks.
pub fn ok_with(
    output: impl Into<String>,
    message: &str,
    display: Vec<DisplayBlock>,
) -> ToolReturnValue {
    ToolReturnValue {
        is_error: false,
        output: ToolOutput::Text(output.into()),
        message: message.into(),
        display,
        extras: None,
        rejection: None,
    }
}

/// Pure-path containment (both sides canonical).
pub fn is_within(path: &Path, dir: &Path) -> bool {
    path.starts_with(dir)
}

/// kimi-cli's high-confidence sensitive file patterns.
pub fn is_sensitive_file(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if [".env.example", ".env.sample", ".env.template"].contains(&name) {
        return false;
    }
    if name == ".env"
        || name.starts_with(".env.")
        || ["id_rsa", "id_ed25519", "id_ecdsa", "credentials"].contains(&name)
    {
        return true;
    }
    for p in [".aws/credentials", ".gcp/credentials"] {
        if path.ends_with(p) || path.contains(&format!("/{p}")) {
            return true;
        }
    }
    false
}

pub fn sensitive_file_warning(paths: &[String]) -> String {
    let mut names: Vec<String> = paths
        .iter()
        .map(|p| p.rsplit(['/', '\\']).next().unwrap_or(p).to_string())
        .collect();
    names.sort();
    names.dedup();
    let mut list = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 5 {
        list.push_str(&format!(", ... ({} files total)", names.len()));
    }
    msg(
        "tool.sensitive_skipped",
        &[("{count}", &paths.len().to_string()), ("{files}", &list)],
    )
}

/// Display string of a path (Python `str(path)`).
pub fn show(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A JSON display block.
pub fn block(v: Value) -> DisplayBlock {
    DisplayBlock(v)
}

/// Open a file for kimi-cli's read tools (ReadFile, ReadMediaFile): the path resolves against
/// the work dir, a relative path may not leave it, `block_sensitive` refuses files that look
/// like secrets; the error is the tool result to return.
pub fn read_tool_file(
    ws: &crate::session::workspace::Workspace,
    raw: &str,
    block_sensitive: bool,
) -> Result<(PathBuf, Vec<u8>), Box<super::ToolReturnValue>> {
    let path = check_tool_file(ws, raw, block_sensitive)?;
    match std::fs::read(&path) {
        Ok(d) => Ok((path, d)),
        Err(e) => Err(read_failed(raw, &e)),
    }
}

/// The "Failed to read" tool error.
pub fn read_failed(raw: &str, e: &dyn std::fmt::Display) -> Box<super::ToolReturnValue> {
    Box::new(super::ToolReturnValue::error(
        format!("Failed to read {raw}. Error: {e}"),
        "Failed to read file",
    ))
}

/// The error of the file tools for an empty `path` argument.
pub fn empty_path_error() -> super::ToolReturnValue {
    super::ToolReturnValue::error(
        crate::config::profile::active().message("file.path_empty"),
        "Empty file path",
    )
}

/// [`read_tool_file`]'s checks without reading: the path of an existing, readable-looking
/// regular file (for tools that stream it).
pub fn check_tool_file(
    ws: &crate::session::workspace::Workspace,
    raw: &str,
    block_sensitive: bool,
) -> Result<PathBuf, Box<super::ToolReturnValue>> {
    use super::ToolReturnValue;
    if raw.is_empty() {
        return Err(Box::new(empty_path_error()));
    }
    let user = PathBuf::from(expand_user(raw));
    let path = canonical_in(&user, ws.work_dir());
    if !ws.contains(&path) && !user.is_absolute() {
        return Err(Box::new(ToolReturnValue::error(
            msg(
                "read.not_absolute",
                &[("{path}", &user.display().to_string())],
            ),
            "Invalid path",
        )));
    }
    // the real path too: `notes -> .env` is as secret as `.env` (issue 19)
    let real = kagent_base::paths::real_path(&path);
    if block_sensitive
        && (is_sensitive_file(&path.to_string_lossy())
            || is_sensitive_file(&real.to_string_lossy()))
    {
        return Err(Box::new(ToolReturnValue::error(
            msg("read.sensitive", &[("{path}", raw)]),
            "Sensitive file",
        )));
    }
    if !path.exists() {
        return Err(Box::new(ToolReturnValue::error(
            format!("`{raw}` does not exist."),
            "File not found",
        )));
    }
    if !path.is_file() {
        return Err(Box::new(ToolReturnValue::error(
            format!("`{raw}` is not a file."),
            "Invalid path",
        )));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_like_kimi() {
        assert_eq!(truncate_line("abcdef\n", 5, "..."), "a...\n");
        assert_eq!(truncate_line("abc\n", 10, "..."), "abc\n");
        let mut b = ResultBuilder::new(10, Some(100));
        b.write("0123456789abc\nxyz\n");
        let r = b.ok("Done", "");
        assert_eq!(r.message, "Done. The output was cut short to fit.");
    }

    #[test]
    fn canonical_is_lexical() {
        let base = Path::new("/w/x");
        assert_eq!(
            canonical_in(Path::new("../y/./z"), base),
            Path::new("/w/y/z")
        );
        assert!(is_within(&canonical_in(Path::new("a"), base), base));
        assert!(!is_within(&canonical_in(Path::new("../xy"), base), base));
    }

    #[test]
    fn sensitive_files() {
        assert!(is_sensitive_file("/a/.env"));
        assert!(is_sensitive_file("x/.aws/credentials"));
        assert!(!is_sensitive_file(".env.example"));
        assert!(!is_sensitive_file("main.rs"));
    }
}
