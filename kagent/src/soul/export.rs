//! `/export` and `/import` (kimi-cli's `utils/export.py`): the session as a markdown file,
//! and a text file or another session of the work dir brought into the context.
//!
//! The markdown layout, the import transcript and every message are kimi-cli's, byte for
//! byte. One difference by design: times are UTC (the export's `exported_at` and default file
//! name), as in kagent's system prompt, where kimi-cli uses the local time zone.

use std::path::{Path, PathBuf};

use super::workspace::sanitize_cli_path;
use super::{send_text, shorten, Soul, TurnError};
use crate::session::Session;
use crate::soul::context::Context;
use crate::wire::Wire;
use kagent_base::message::{system_text, ContentPart, Message, Role, ToolCall};
use kagent_base::paths::{expand_user, home_dir};

/// Largest file (or session transcript) `/import` takes, in bytes.
const MAX_IMPORT_SIZE: u64 = 10 * 1024 * 1024;
/// [`MAX_IMPORT_SIZE`] in MB, as the import messages name it.
const MAX_IMPORT_MB: &str = "10";

/// A fixed text of /export or /import (the profile's `messages`), placeholders filled.
fn msg(key: &str, values: &[(&str, &str)]) -> String {
    crate::config::profile::active().message_with(key, values)
}

/// Argument keys whose values make a good one-line hint for a tool call (in this order).
const HINT_KEYS: [&str; 7] = [
    "path",
    "file_path",
    "command",
    "query",
    "url",
    "name",
    "pattern",
];

/// Extensions `/import` accepts (kimi-cli's `_IMPORTABLE_EXTENSIONS`); no extension is fine too.
const IMPORTABLE_EXTENSIONS: &[&str] = &[
    ".md",
    ".markdown",
    ".txt",
    ".text",
    ".rst",
    ".json",
    ".jsonl",
    ".yaml",
    ".yml",
    ".toml",
    ".ini",
    ".cfg",
    ".conf",
    ".csv",
    ".tsv",
    ".xml",
    ".env",
    ".properties",
    ".py",
    ".js",
    ".ts",
    ".jsx",
    ".tsx",
    ".java",
    ".kt",
    ".go",
    ".rs",
    ".c",
    ".cpp",
    ".h",
    ".hpp",
    ".cs",
    ".rb",
    ".php",
    ".swift",
    ".scala",
    ".sh",
    ".bash",
    ".zsh",
    ".fish",
    ".ps1",
    ".bat",
    ".cmd",
    ".r",
    ".lua",
    ".pl",
    ".pm",
    ".ex",
    ".exs",
    ".erl",
    ".hs",
    ".ml",
    ".sql",
    ".graphql",
    ".proto",
    ".html",
    ".htm",
    ".css",
    ".scss",
    ".sass",
    ".less",
    ".svg",
    ".log",
    ".tex",
    ".bib",
    ".org",
    ".adoc",
    ".wiki",
];

/// File-name substrings that suggest secrets (kimi-cli's `_SENSITIVE_FILE_PATTERNS`).
const SENSITIVE_PATTERNS: &[&str] = &[
    ".env",
    "credentials",
    "secrets",
    ".pem",
    ".key",
    ".p12",
    ".pfx",
    ".keystore",
];

// ----------------------------------------------------------------------------- helpers

fn single_text(m: &Message) -> Option<&str> {
    match (m.role, m.content.as_slice()) {
        (Role::User, [ContentPart::Text(t)]) => Some(t),
        _ => None,
    }
}

/// Bookkeeping user messages (checkpoint markers, system reminders, notifications) are not
/// part of the conversation an export or import shows.
fn is_internal(m: &Message) -> bool {
    single_text(m).is_some_and(|t| {
        let t = t.trim();
        t.starts_with("<system>CHECKPOINT")
            || t.starts_with("<system-reminder>")
            || t.starts_with("<notification ")
    })
}

/// Python's `len()` of a string.
fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `json.loads(arguments or "{}", strict=False)`.
fn parse_arguments(call: &ToolCall) -> (String, Option<serde_json::Value>) {
    let raw = call
        .arguments
        .clone()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "{}".into());
    let parsed = kagent_base::py::loads::loads(&raw).ok();
    (raw, parsed)
}

/// A short hint from a tool call's arguments: a well-known key, else the first short string.
fn tool_call_hint(call: &ToolCall) -> String {
    let (_, parsed) = parse_arguments(call);
    let Some(serde_json::Value::Object(args)) = parsed else {
        return String::new();
    };
    for key in HINT_KEYS {
        if let Some(serde_json::Value::String(v)) = args.get(key) {
            if !v.trim().is_empty() {
                return shorten(v, 60);
            }
        }
    }
    args.values()
        .find_map(|v| match v {
            serde_json::Value::String(s) if (1..=80).contains(&char_len(s)) => Some(shorten(s, 60)),
            _ => None,
        })
        .unwrap_or_default()
}

// ------------------------------------------------------------------------------ export

fn part_md(part: &ContentPart) -> String {
    match part {
        ContentPart::Text(t) => t.clone(),
        ContentPart::Think { think, .. } if think.trim().is_empty() => String::new(),
        ContentPart::Think { think, .. } => msg("export.thinking", &[("{think}", think)]),
        ContentPart::ImageUrl(_) => "[image]".into(),
        ContentPart::AudioUrl(_) => "[audio]".into(),
        ContentPart::VideoUrl(_) => "[video]".into(),
    }
}

fn push_parts_md(lines: &mut Vec<String>, parts: &[ContentPart]) {
    for part in parts {
        let text = part_md(part);
        if !text.trim().is_empty() {
            lines.push(text);
            lines.push(String::new());
        }
    }
}

fn tool_call_md(call: &ToolCall, hint: &str) -> String {
    let mut title = format!("#### Tool Call: {}", call.name);
    if !hint.is_empty() {
        title.push_str(&format!(" (`{hint}`)"));
    }
    let (raw, parsed) = parse_arguments(call);
    let args = match parsed {
        Some(v) => kagent_base::py::json::dumps_indented(&v, 2),
        None => raw,
    };
    format!(
        "{title}\n<!-- call_id: {} -->\n```json\n{args}\n```",
        call.id
    )
}

fn tool_result_md(m: &Message, name: &str, hint: &str) -> String {
    let call_id = m.tool_call_id.as_deref().unwrap_or("unknown");
    let result: Vec<String> = m
        .content
        .iter()
        .map(part_md)
        .filter(|t| !t.trim().is_empty())
        .collect();
    let mut summary = format!("Tool Result: {name}");
    if !hint.is_empty() {
        summary.push_str(&format!(" (`{hint}`)"));
    }
    format!(
        "<details><summary>{summary}</summary>\n\n<!-- call_id: {call_id} -->\n{}\n\n</details>",
        result.join("\n")
    )
}

/// Logical turns, each starting at a real user message (bookkeeping messages left out).
fn group_into_turns(history: &[Message]) -> Vec<Vec<&Message>> {
    let mut turns: Vec<Vec<&Message>> = vec![];
    for m in history.iter().filter(|m| !is_internal(m)) {
        if m.role == Role::User || turns.is_empty() {
            turns.push(vec![]);
        }
        if let Some(turn) = turns.last_mut() {
            turn.push(m);
        }
    }
    turns
}

fn turn_md(messages: &[&Message], number: usize) -> String {
    let mut lines = vec![format!("## Turn {number}"), String::new()];
    let mut calls: Vec<(String, String, String)> = vec![]; // (id, name, hint)
    let mut assistant_header = false;
    for m in messages {
        match m.role {
            Role::User => {
                lines.push("### User".into());
                lines.push(String::new());
                push_parts_md(&mut lines, &m.content);
            }
            Role::Assistant => {
                if !assistant_header {
                    lines.push("### Assistant".into());
                    lines.push(String::new());
                    assistant_header = true;
                }
                push_parts_md(&mut lines, &m.content);
                for call in m.tool_calls.iter().flatten() {
                    let hint = tool_call_hint(call);
                    lines.push(tool_call_md(call, &hint));
                    lines.push(String::new());
                    calls.push((call.id.clone(), call.name.clone(), hint));
                }
            }
            Role::Tool => {
                let id = m.tool_call_id.as_deref().unwrap_or("");
                // the latest call with that id wins, as in a dict
                let (name, hint) = calls
                    .iter()
                    .rev()
                    .find(|(i, _, _)| i == id)
                    .map(|(_, n, h)| (n.as_str(), h.as_str()))
                    .unwrap_or(("unknown", ""));
                lines.push(tool_result_md(m, name, hint));
                lines.push(String::new());
            }
            Role::System => {
                let role = m.role.as_str();
                let mut title = role[..1].to_uppercase();
                title.push_str(&role[1..]);
                lines.push(format!("### {title}"));
                lines.push(String::new());
                push_parts_md(&mut lines, &m.content);
            }
        }
    }
    lines.join("\n")
}

/// kimi-cli's `message_stringify`.
fn stringify_message(m: &Message) -> String {
    m.content
        .iter()
        .map(|p| match p {
            ContentPart::Text(t) => t.clone(),
            ContentPart::ImageUrl(_) => "[image]".into(),
            ContentPart::AudioUrl(a) => match &a.id {
                Some(id) if !id.is_empty() => format!("[audio:{id}]"),
                _ => "[audio]".into(),
            },
            ContentPart::VideoUrl(_) => "[video]".into(),
            ContentPart::Think { .. } => "[think]".into(),
        })
        .collect()
}

/// `1234567` -> `1,234,567` (Python's `{:,}`).
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

fn overview_md(history: &[Message], turns: usize, token_count: i64) -> String {
    let topic = history
        .iter()
        .find(|m| m.role == Role::User && !is_internal(m))
        .map(|m| shorten(&stringify_message(m), 80))
        .unwrap_or_default();
    let tool_calls: usize = history
        .iter()
        .map(|m| m.tool_calls.as_ref().map_or(0, Vec::len))
        .sum();
    [
        "## Overview".to_string(),
        String::new(),
        if topic.is_empty() {
            msg("export.topic_empty", &[])
        } else {
            format!("- **Topic**: {topic}")
        },
        format!(
            "- **Conversation**: {turns} turns | {tool_calls} tool calls | {} tokens",
            thousands(token_count)
        ),
        String::new(),
        "---".to_string(),
    ]
    .join("\n")
}

/// The whole export document. `exported_at` is an ISO time to the second.
pub fn export_markdown(
    session_id: &str,
    work_dir: &str,
    history: &[Message],
    token_count: i64,
    exported_at: &str,
) -> String {
    let mut lines = vec![
        "---".to_string(),
        format!("session_id: {session_id}"),
        format!("exported_at: {exported_at}"),
        format!("work_dir: {work_dir}"),
        format!("message_count: {}", history.len()),
        format!("token_count: {token_count}"),
        "---".to_string(),
        String::new(),
        msg("export.title", &[]),
        String::new(),
    ];
    let turns = group_into_turns(history);
    lines.push(overview_md(history, turns.len(), token_count));
    lines.push(String::new());
    for (i, turn) in turns.iter().enumerate() {
        lines.push(turn_md(turn, i + 1));
    }
    lines.join("\n")
}

/// `Path.mkdir(parents=True, exist_ok=True)`, failing where Python fails, with the path
/// Python names in its error.
fn make_dirs(dir: &Path) -> Result<(), (std::io::Error, PathBuf)> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match dir.parent() {
            Some(parent) if parent != dir => {
                make_dirs(parent)?;
                match std::fs::create_dir(dir) {
                    Err(e) if !dir.is_dir() => Err((e, dir.to_path_buf())),
                    _ => Ok(()),
                }
            }
            _ => Err((e, dir.to_path_buf())),
        },
        Err(_) if dir.is_dir() => Ok(()),
        Err(e) => Err((e, dir.to_path_buf())),
    }
}

/// `~/...` for paths under the home directory (kimi-cli's `shorten_home`).
fn shorten_home(path: &Path) -> String {
    if let Some(rel) = home_dir().and_then(|h| path.strip_prefix(h).ok().map(Path::to_path_buf)) {
        if rel.as_os_str().is_empty() {
            return "~".into();
        }
        return Path::new("~").join(rel).display().to_string();
    }
    path.display().to_string()
}

/// Run `/export [path]`.
pub fn export(soul: &Soul, args: &str, wire: &Wire) -> Result<(), TurnError> {
    let history = soul.context.history();
    if history.is_empty() {
        send_text(wire, &msg("export.empty", &[]));
        return Ok(());
    }
    let (y, mo, d, h, mi, s) = kagent_base::time::utc_civil(kagent_base::time::unix_now());
    let short_id: String = soul.session.id.chars().take(8).collect();
    let default_name = format!("kimi-export-{short_id}-{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}.md");
    let exported_at = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+00:00");
    let default_dir = Path::new(&soul.session.work_dir);
    let cleaned = sanitize_cli_path(args);
    let output = if cleaned.is_empty() {
        default_dir.join(&default_name)
    } else {
        // a trailing separator means "a directory", even one that does not exist yet
        let directory_hint = cleaned.ends_with('/') || cleaned.ends_with('\\');
        let joined = default_dir.join(expand_user(cleaned));
        // pathlib's normal form: no `.` components, no repeated or trailing separators
        let path: PathBuf = joined.components().collect();
        if directory_hint || path.is_dir() {
            path.join(&default_name)
        } else {
            path
        }
    };
    let content = export_markdown(
        &soul.session.id,
        &soul.session.work_dir,
        history,
        soul.context.token_count(),
        &exported_at,
    );
    let written = match output.parent() {
        Some(parent) => make_dirs(parent),
        None => Ok(()),
    }
    .and_then(|()| std::fs::write(&output, content).map_err(|e| (e, output.clone())));
    if let Err((e, path)) = written {
        send_text(
            wire,
            &msg(
                "export.write_failed",
                &[("{error}", &kagent_base::py::oserror::os_error(&e, &path))],
            ),
        );
        return Ok(());
    }
    send_text(
        wire,
        &msg(
            "export.done",
            &[
                ("{count}", &history.len().to_string()),
                ("{path}", &shorten_home(&output)),
            ],
        ),
    );
    send_text(wire, &msg("export.sensitive_note", &[]));
    Ok(())
}

// ------------------------------------------------------------------------------ import

fn stringify_parts(parts: &[ContentPart]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            ContentPart::Text(t) if t.trim().is_empty() => None,
            ContentPart::Text(t) => Some(t.clone()),
            ContentPart::Think { think, .. } if think.trim().is_empty() => None,
            ContentPart::Think { think, .. } => Some(format!("<thinking>\n{think}\n</thinking>")),
            ContentPart::ImageUrl(_) => Some("[image]".into()),
            ContentPart::AudioUrl(_) => Some("[audio]".into()),
            ContentPart::VideoUrl(_) => Some("[video]".into()),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn stringify_tool_calls(calls: &[ToolCall]) -> String {
    calls
        .iter()
        .map(|c| {
            let (raw, parsed) = parse_arguments(c);
            let args = parsed.map_or(raw, |v| kagent_base::py::json::dumps_utf8(&v));
            format!("Tool Call: {}({args})", c.name)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A session's history as a readable transcript (kimi-cli's `stringify_context_history`).
pub fn stringify_history(history: &[Message]) -> String {
    let mut parts = vec![];
    for m in history.iter().filter(|m| !is_internal(m)) {
        let mut segments = vec![];
        let text = stringify_parts(&m.content);
        if !text.trim().is_empty() {
            segments.push(text);
        }
        if let Some(calls) = m.tool_calls.as_ref().filter(|c| !c.is_empty()) {
            segments.push(stringify_tool_calls(calls));
        }
        if segments.is_empty() {
            continue;
        }
        let role = m.role.as_str().to_uppercase();
        let header = match (&m.role, &m.tool_call_id) {
            (Role::Tool, Some(id)) if !id.is_empty() => format!("[{role}] (call_id: {id})"),
            _ => format!("[{role}]"),
        };
        parts.push(format!("{header}\n{}", segments.join("\n")));
    }
    parts.join("\n\n")
}

/// pathlib's `suffix`: from the last dot of the name, unless it starts or ends the name.
fn suffix(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if i > 0 && i < name.len() - 1 => &name[i..],
        _ => "",
    }
}

fn is_importable(name: &str) -> bool {
    let ext = suffix(name).to_lowercase();
    ext.is_empty() || IMPORTABLE_EXTENSIONS.contains(&ext.as_str())
}

/// A file name that suggests secrets (kimi-cli's `is_sensitive_file` of `utils/export.py`).
pub fn is_sensitive_name(name: &str) -> bool {
    let name = name.to_lowercase();
    SENSITIVE_PATTERNS.iter().any(|p| name.contains(p))
}

fn size_mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1024.0 / 1024.0)
}

/// Read a text file the way Python's `open(encoding="utf-8")` does: strict UTF-8, universal
/// newlines.
fn read_text_file(path: &Path, name: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        msg(
            "import.read_failed",
            &[("{error}", &kagent_base::py::oserror::os_error(&e, path))],
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| msg("import.not_utf8", &[("{name}", name)]))?;
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// The content to import and its description (`file 'x'`, `session 'id'`), or the message
/// saying why not.
fn resolve_source(soul: &Soul, target: &str) -> Result<(String, String), String> {
    let path = Path::new(&soul.session.work_dir).join(expand_user(target));
    if path.is_dir() {
        return Err(msg("import.directory", &[]));
    }
    if path.is_file() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !is_importable(&name) {
            return Err(msg(
                "import.unsupported_type",
                &[("{suffix}", suffix(&name))],
            ));
        }
        let size = std::fs::metadata(&path)
            .map_err(|e| {
                msg(
                    "import.read_failed",
                    &[("{error}", &kagent_base::py::oserror::os_error(&e, &path))],
                )
            })?
            .len();
        if size > MAX_IMPORT_SIZE {
            return Err(msg(
                "import.file_too_large",
                &[("{size_mb}", &size_mb(size)), ("{limit_mb}", MAX_IMPORT_MB)],
            ));
        }
        let content = read_text_file(&path, &name)?;
        if content.trim().is_empty() {
            return Err(msg("import.file_empty", &[]));
        }
        return Ok((content, format!("file '{name}'")));
    }
    // not a file: a session of this work dir?
    if target == soul.session.id {
        return Err(msg("import.same_session", &[]));
    }
    let Some(source) = Session::find(
        &soul.session.share,
        Path::new(&soul.session.work_dir),
        target,
    ) else {
        return Err(msg("import.not_found", &[("{target}", target)]));
    };
    let mut context = Context::new(&source.context_file);
    if !context.restore() || context.history().is_empty() {
        return Err(msg("import.session_empty", &[]));
    }
    let content = stringify_history(context.history());
    if content.len() as u64 > MAX_IMPORT_SIZE {
        return Err(msg(
            "import.session_too_large",
            &[
                ("{size_mb}", &size_mb(content.len() as u64)),
                ("{limit_mb}", MAX_IMPORT_MB),
            ],
        ));
    }
    Ok((content, format!("session '{target}'")))
}

/// The user message an import adds to the context.
pub fn import_message(content: &str, source: &str) -> Message {
    Message::new(
        Role::User,
        vec![
            system_text(&msg("import.context_note", &[("{source}", source)])),
            ContentPart::Text(msg(
                "import.wrapper",
                &[("{source}", source), ("{content}", content)],
            )),
        ],
    )
}

/// kimi-cli's `estimate_text_tokens`: text parts only, about four characters a token.
fn estimate_text_tokens(m: &Message) -> i64 {
    let chars: usize = m
        .content
        .iter()
        .map(|p| match p {
            ContentPart::Text(t) => char_len(t),
            _ => 0,
        })
        .sum();
    (chars / 4) as i64
}

/// Run `/import <file or session id>`.
pub fn import(soul: &mut Soul, args: &str, wire: &Wire) -> Result<(), TurnError> {
    let target = sanitize_cli_path(args);
    if target.is_empty() {
        send_text(wire, &msg("import.usage", &[]));
        return Ok(());
    }
    let (content, source) = match resolve_source(soul, target) {
        Ok(found) => found,
        Err(text) => {
            send_text(wire, &text);
            return Ok(());
        }
    };
    let message = import_message(&content, &source);
    let estimated = estimate_text_tokens(&message);
    let current = soul.context.token_count();
    let limit = soul
        .llm
        .as_ref()
        .map(|l| l.max_context_size)
        .filter(|n| *n > 0);
    if let Some(limit) = limit.filter(|l| current + estimated > *l) {
        send_text(
            wire,
            &msg(
                "import.over_budget",
                &[
                    ("{import_tokens}", &thousands(estimated)),
                    ("{current_tokens}", &thousands(current)),
                    ("{total_tokens}", &thousands(current + estimated)),
                    ("{limit_tokens}", &thousands(limit)),
                ],
            ),
        );
        return Ok(());
    }
    soul.context.append(std::slice::from_ref(&message))?;
    soul.context.update_token_count(current + estimated)?;
    send_text(
        wire,
        &msg(
            "import.done",
            &[
                ("{source}", &source),
                ("{chars}", &char_len(&content).to_string()),
            ],
        ),
    );
    let name = Path::new(target)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if source.starts_with("file") && is_sensitive_name(&name) {
        send_text(wire, &msg("import.secrets_warning", &[]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(role: Role, t: &str) -> Message {
        Message::new(role, vec![ContentPart::text(t)])
    }

    fn call(id: &str, name: &str, args: &str) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: Some(args.into()),
            extras: None,
        }
    }

    #[test]
    fn hints_prefer_known_keys_then_short_strings() {
        assert_eq!(
            tool_call_hint(&call("c", "X", r#"{"a": "zz", "path": "/p"}"#)),
            "/p"
        );
        assert_eq!(
            tool_call_hint(&call("c", "X", r#"{"n": 1, "a": "zz"}"#)),
            "zz"
        );
        assert_eq!(tool_call_hint(&call("c", "X", r#"{"path": "  "}"#)), "");
        assert_eq!(tool_call_hint(&call("c", "X", "not json")), "");
        assert_eq!(tool_call_hint(&call("c", "X", "[1]")), "");
    }

    #[test]
    fn turns_and_transcript() {
        let mut assistant = Message::new(
            Role::Assistant,
            vec![ContentPart::Think {
                think: "hmm".into(),
                encrypted: None,
            }],
        );
        assistant.tool_calls = Some(vec![call("c1", "Shell", r#"{"command": "ls"}"#)]);
        let mut tool = text(Role::Tool, "out");
        tool.tool_call_id = Some("c1".into());
        let history = vec![
            text(Role::User, "<system-reminder>\nskip me\n</system-reminder>"),
            text(Role::User, "hello"),
            assistant,
            tool,
            text(Role::User, "again"),
        ];
        let turns = group_into_turns(&history);
        assert_eq!(turns.len(), 2);
        let md = turn_md(&turns[0], 1);
        assert!(md.contains("#### Tool Call: Shell (`ls`)\n<!-- call_id: c1 -->\n```json\n{\n  \"command\": \"ls\"\n}\n```"));
        assert!(md.contains("<details><summary>Tool Result: Shell (`ls`)</summary>\n\n<!-- call_id: c1 -->\nout\n\n</details>"));
        assert_eq!(
            stringify_history(&history),
            "[USER]\nhello\n\n[ASSISTANT]\n<thinking>\nhmm\n</thinking>\nTool Call: Shell({\"command\": \"ls\"})\n\n[TOOL] (call_id: c1)\nout\n\n[USER]\nagain"
        );
    }

    #[test]
    fn python_formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(suffix("a.tar.gz"), ".gz");
        assert_eq!(suffix(".env"), "");
        assert_eq!(suffix("a.."), "");
        assert!(is_importable("Makefile") && is_importable("x.PY") && !is_importable("x.png"));
        assert!(is_sensitive_name("Prod.KEY") && !is_sensitive_name("notes.md"));
        assert_eq!(size_mb(10 * 1024 * 1024 + 1), "10.0");
    }

    #[test]
    fn mkdir_errors_name_the_failing_directory() {
        let tmp = std::env::temp_dir().join(format!("kagent-export-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        std::fs::write(tmp.join("file"), "").unwrap();
        assert!(make_dirs(&tmp.join("a/b/c")).is_ok() && tmp.join("a/b/c").is_dir());
        let (e, p) = make_dirs(&tmp.join("file")).unwrap_err();
        assert_eq!((e.raw_os_error(), p), (Some(17), tmp.join("file")));
        let (e, p) = make_dirs(&tmp.join("file/sub")).unwrap_err();
        assert_eq!((e.raw_os_error(), p), (Some(20), tmp.join("file/sub")));
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
