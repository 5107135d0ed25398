//! D2 diagrams, the subset kimi-cli 1.51 reads (`kimi_cli.skill.flow.d2`): top-level
//! `id: label` node statements and `a -> b -> c: label` edge chains (the label goes on the
//! last edge), `'`/`"` quoted labels with backslash escapes, `# comments`, `\` line
//! continuations, `|md ... |` markdown blocks as multi-line labels. `{ ... }` blocks (containers,
//! style maps) are skipped with everything inside, and statements on property paths
//! (`a.shape: diamond`, `a.style.fill`) are ignored.

use std::collections::HashMap;

use super::{add_edge, line_error, py_strip, Flow, FlowEdge, FlowError, NodeTable};

/// Path segments that make `a.<segment>` a property, not a node (kimi-cli's list).
const PROPERTY_SEGMENTS: &[&str] = &[
    "shape",
    "style",
    "label",
    "link",
    "icon",
    "near",
    "width",
    "height",
    "direction",
    "grid-rows",
    "grid-columns",
    "grid-gap",
    "font-size",
    "font-family",
    "font-color",
    "stroke",
    "fill",
    "opacity",
    "padding",
    "border-radius",
    "shadow",
    "sketch",
    "animated",
    "multiple",
    "constraint",
    "tooltip",
];

pub fn parse_d2_flowchart(text: &str) -> Result<Flow, FlowError> {
    let text = normalize_markdown_blocks(text)?;
    let mut nodes = NodeTable::default();
    let mut outgoing: HashMap<String, Vec<FlowEdge>> = HashMap::new();

    // kimi-cli tokenizes lazily: statements before a tokenizer error are parsed (and may
    // fail) first.
    let (statements, tokenizer_error) = top_level_statements(&text);
    for (line_no, statement) in statements {
        if split_on_token(&statement, "->")?.len() > 1 {
            parse_edge_statement(&statement, line_no, &mut nodes, &mut outgoing)?;
        } else {
            parse_node_statement(&statement, line_no, &mut nodes)?;
        }
    }
    if let Some(e) = tokenizer_error {
        return Err(e);
    }
    nodes.into_flow(outgoing)
}

/// Rewrite every `id: |md` ... `|` block as a quoted multi-line label (dedented, `\` and `"`
/// escaped), keeping the line count so later errors name the right line.
fn normalize_markdown_blocks(text: &str) -> Result<String, FlowError> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = vec![];
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let (prefix, suffix) = split_unquoted_once(line, ':');
        let starts_block = suffix.is_some_and(|s| py_strip(&strip_unquoted_comment(&s)) == "|md");
        if !starts_block {
            out.push(line.to_string());
            i += 1;
            continue;
        }
        let start_line = i + 1;
        i += 1;
        let body_start = i;
        while i < lines.len() && py_strip(lines[i]) != "|" {
            i += 1;
        }
        if i >= lines.len() {
            return Err(line_error(start_line, "Unclosed markdown block"));
        }
        let block = dedent(&lines[body_start..i]);
        if block.is_empty() {
            out.push(format!("{prefix}: \"\""));
            out.push(String::new());
        } else {
            let escaped: Vec<String> = block
                .iter()
                .map(|l| l.replace('\\', "\\\\").replace('"', "\\\""))
                .collect();
            out.push(format!("{prefix}: \"{}", escaped[0]));
            out.extend(escaped[1..].iter().cloned());
            if let Some(last) = out.last_mut() {
                last.push('"');
            }
            out.extend([String::new(), String::new()]);
        }
        i += 1;
    }
    Ok(out.join("\n"))
}

/// Cut an unquoted `# comment` off.
fn strip_unquoted_comment(text: &str) -> String {
    let mut q = Quotes::default();
    for (idx, ch) in text.char_indices() {
        if q.step_skipping(ch) && ch == '#' {
            return text[..idx].to_string();
        }
    }
    text.to_string()
}

/// Remove the smallest indentation (spaces/tabs) of the non-blank lines.
fn dedent(lines: &[&str]) -> Vec<String> {
    let indent = lines
        .iter()
        .filter(|l| !py_strip(l).is_empty())
        .map(|l| l.chars().count() - l.trim_start_matches([' ', '\t']).chars().count())
        .min();
    let Some(indent) = indent else {
        return vec![String::new(); lines.len()];
    };
    lines
        .iter()
        .map(|l| l.chars().skip(indent).collect())
        .collect()
}

/// Quote tracking shared by the splitters: `'` and `"` quote, a backslash inside quotes
/// escapes the next char.
#[derive(Default)]
struct Quotes {
    single: bool,
    double: bool,
    escape: bool,
}

impl Quotes {
    fn quoted(&self) -> bool {
        self.single || self.double
    }

    /// Feed `ch`; returns whether it is an unquoted, unescaped char that is no quote
    /// (kimi-cli's `_split_unquoted_once`/`_strip_unquoted_comment` loop).
    fn step_skipping(&mut self, ch: char) -> bool {
        if self.escape {
            self.escape = false;
            return false;
        }
        match ch {
            '\\' if self.quoted() => self.escape = true,
            '\'' if !self.double => self.single = !self.single,
            '"' if !self.single => self.double = !self.double,
            _ => return !self.quoted(),
        }
        false
    }
}

/// Split at the first unquoted `token`: both sides trimmed; `None` if there is none.
fn split_unquoted_once(text: &str, token: char) -> (String, Option<String>) {
    let mut q = Quotes::default();
    for (idx, ch) in text.char_indices() {
        if q.step_skipping(ch) && ch == token {
            return (
                py_strip(&text[..idx]).to_string(),
                Some(py_strip(&text[idx + ch.len_utf8()..]).to_string()),
            );
        }
    }
    (py_strip(text).to_string(), None)
}

/// Split at every unquoted `token`, parts trimmed.
fn split_on_token(text: &str, token: &str) -> Result<Vec<String>, FlowError> {
    let mut parts = vec![];
    let mut buf = String::new();
    let mut q = Quotes::default();
    let mut rest = text;
    while let Some(ch) = rest.chars().next() {
        if !q.quoted() && rest.starts_with(token) {
            parts.push(py_strip(&buf).to_string());
            buf.clear();
            rest = &rest[token.len()..];
            continue;
        }
        if q.escape {
            q.escape = false;
        } else if ch == '\\' && q.quoted() {
            q.escape = true;
        } else if ch == '\'' && !q.double {
            q.single = !q.single;
        } else if ch == '"' && !q.single {
            q.double = !q.double;
        }
        buf.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    if q.quoted() {
        return Err(FlowError::Parse("Unclosed string in statement".into()));
    }
    parts.push(py_strip(&buf).to_string());
    Ok(parts)
}

/// The top-level statements with their first line: one per line (quoted strings may span
/// lines, `\` joins lines), `{ ... }` blocks dropped (the text before `{` is a statement, the
/// rest of the line after the block is not), comments cut. Returns what was read before a
/// tokenizer error together with the error.
fn top_level_statements(text: &str) -> (Vec<(usize, String)>, Option<FlowError>) {
    let text: Vec<char> = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .collect();
    let mut out = vec![];
    let mut depth = 0usize;
    let mut q = Quotes::default();
    let mut drop_line = false;
    let mut buf = String::new();
    let mut line_no = 1;
    let mut stmt_line = 1;
    let mut i = 0;
    let flush = |buf: &str, line: usize, out: &mut Vec<(usize, String)>| {
        let stmt = py_strip(buf);
        if !stmt.is_empty() {
            out.push((line, stmt.to_string()));
        }
    };

    while i < text.len() {
        let ch = text[i];
        if ch == '\\' && text.get(i + 1) == Some(&'\n') {
            i += 2;
            line_no += 1;
            continue;
        }
        if ch == '\n' {
            // newlines inside quoted strings belong to the label (markdown blocks)
            if q.quoted() && depth == 0 && !drop_line {
                buf.push('\n');
                line_no += 1;
                i += 1;
                continue;
            }
            if depth == 0 && !q.quoted() && !drop_line {
                flush(&buf, stmt_line, &mut out);
            }
            buf.clear();
            drop_line = false;
            stmt_line = line_no + 1;
            line_no += 1;
            i += 1;
            continue;
        }
        if !q.quoted() {
            match ch {
                '#' => {
                    while i < text.len() && text[i] != '\n' {
                        i += 1;
                    }
                    continue;
                }
                '{' => {
                    if depth == 0 {
                        flush(&buf, stmt_line, &mut out);
                        drop_line = true;
                        buf.clear();
                    }
                    depth += 1;
                    i += 1;
                    continue;
                }
                '}' if depth > 0 => {
                    depth -= 1;
                    i += 1;
                    continue;
                }
                '}' => return (out, Some(line_error(line_no, "Unmatched '}'"))),
                _ => {}
            }
        }
        // quotes toggle unless escaped; the escape is consumed by the next char
        if ch == '\'' && !q.double && !q.escape {
            q.single = !q.single;
        } else if ch == '"' && !q.single && !q.escape {
            q.double = !q.double;
        }
        if q.escape {
            q.escape = false;
        } else if ch == '\\' && q.quoted() {
            q.escape = true;
        }
        if depth == 0 && !drop_line {
            buf.push(ch);
        }
        i += 1;
    }
    if depth != 0 {
        return (out, Some(line_error(line_no, "Unclosed '{' block")));
    }
    if q.quoted() {
        return (out, Some(line_error(line_no, "Unclosed string")));
    }
    flush(&buf, stmt_line, &mut out);
    (out, None)
}

fn parse_edge_statement(
    statement: &str,
    line_no: usize,
    nodes: &mut NodeTable,
    outgoing: &mut HashMap<String, Vec<FlowEdge>>,
) -> Result<(), FlowError> {
    let mut parts = split_on_token(statement, "->")?;
    if parts.len() < 2 {
        return Err(line_error(line_no, "Expected edge arrow"));
    }
    let (target, edge_label) = split_unquoted_once(parts.last().map_or("", String::as_str), ':');
    let last = parts.len() - 1;
    parts[last] = target;

    let ids = parts
        .iter()
        .enumerate()
        .map(|(idx, part)| parse_node_id(part, line_no, idx < last))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.iter().any(|id| is_property_path(id) == Some(true)) {
        return Ok(());
    }
    let label = edge_label.map(|l| parse_label(&l, line_no)).transpose()?;
    for (idx, pair) in ids.windows(2).enumerate() {
        add_edge(
            outgoing,
            FlowEdge {
                src: pair[0].clone(),
                dst: pair[1].clone(),
                label: if idx + 2 == ids.len() {
                    label.clone()
                } else {
                    None
                },
            },
        );
    }
    for id in &ids {
        nodes.add(id, None, line_no)?;
    }
    Ok(())
}

fn parse_node_statement(
    statement: &str,
    line_no: usize,
    nodes: &mut NodeTable,
) -> Result<(), FlowError> {
    let (node_text, label_text) = split_unquoted_once(statement, ':');
    if label_text.is_some() {
        match is_property_path(&node_text) {
            Some(true) => return Ok(()),
            Some(false) => {}
            // kimi-cli indexes an empty list here (`.: x`) and crashes with an IndexError
            None => return Err(FlowError::Crash("list index out of range".into())),
        }
    }
    let id = parse_node_id(&node_text, line_no, false)?;
    let label = match label_text {
        // `id: { ... }` (a container) or a dangling `id:` defines nothing
        Some(l) if py_strip(&l).is_empty() => return Ok(()),
        Some(l) => Some(parse_label(&l, line_no)?),
        None => None,
    };
    nodes.add(&id, label.as_deref(), line_no)?;
    Ok(())
}

/// A node id (`[A-Za-z0-9_][A-Za-z0-9_./-]*`); in a chain, all but the last part may carry
/// an inline `: label`, which is dropped.
fn parse_node_id(
    text: &str,
    line_no: usize,
    allow_inline_label: bool,
) -> Result<String, FlowError> {
    let mut cleaned = py_strip(text).to_string();
    if allow_inline_label && cleaned.contains(':') {
        cleaned = py_strip(&split_unquoted_once(&cleaned, ':').0).to_string();
    }
    if cleaned.is_empty() {
        return Err(line_error(line_no, "Expected node id"));
    }
    let mut chars = cleaned.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c));
    if !valid {
        return Err(line_error(
            line_no,
            &format!("Invalid node id \"{cleaned}\""),
        ));
    }
    Ok(cleaned)
}

/// `a.shape`, `a.style.fill`, ...: a property of `a`, not a node. `None` for a path of dots
/// only, where kimi-cli crashes.
fn is_property_path(id: &str) -> Option<bool> {
    if !id.contains('.') {
        return Some(false);
    }
    let parts: Vec<&str> = id.split('.').filter(|p| !p.is_empty()).collect();
    let is_prop = |p: &str| PROPERTY_SEGMENTS.contains(&p);
    if parts
        .iter()
        .skip(1)
        .any(|p| is_prop(p) || p.starts_with("style"))
    {
        return Some(true);
    }
    parts.last().map(|last| is_prop(last))
}

/// A label: trimmed, non-empty; a quoted one is unquoted (escapes resolved) and must end
/// the text.
fn parse_label(text: &str, line_no: usize) -> Result<String, FlowError> {
    let label = py_strip(text);
    let Some(quote) = label.chars().next() else {
        return Err(line_error(line_no, "Label cannot be empty"));
    };
    if quote != '\'' && quote != '"' {
        return Ok(label.to_string());
    }
    let mut buf = String::new();
    let mut escape = false;
    for (idx, ch) in label.char_indices().skip(1) {
        if escape {
            buf.push(ch);
            escape = false;
        } else if ch == '\\' {
            escape = true;
        } else if ch == quote {
            if !py_strip(&label[idx + 1..]).is_empty() {
                return Err(line_error(line_no, "Unexpected trailing content"));
            }
            return Ok(buf);
        } else {
            buf.push(ch);
        }
    }
    Err(line_error(line_no, "Unclosed quoted label"))
}
