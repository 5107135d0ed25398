//! Mermaid flowcharts, the subset kimi-cli 1.51 reads (`kimi_cli.skill.flow.mermaid`): one
//! node or one edge per line, `[...]`, `(...)`, `([...])`, `{...}` node shapes with plain or
//! quoted labels, `-->`/`---`/`-.->`/`==>` arrows, `-->|label|` and `-- label -->` edge labels.
//! `%%` comments, headers, style and subgraph lines are skipped. A line that is neither a
//! node nor an edge is ignored, as kimi-cli does; so is everything between an edge's source
//! and its last `>` (`A --> B --> C` is one edge A to C).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_automata::meta::Regex;

use super::{add_edge, py_isspace, py_splitlines, py_strip, Flow, FlowEdge, FlowError, NodeTable};

/// A node as written: id and the label, if a shape gave one.
struct NodeSpec {
    id: String,
    label: Option<String>,
}

fn regexes() -> &'static (Regex, Regex, Regex) {
    static RE: OnceLock<(Regex, Regex, Regex)> = OnceLock::new();
    RE.get_or_init(|| {
        // kimi-cli's `_PIPE_LABEL_RE`, `_EDGE_LABEL_RE`, `_ARROW_RE`.
        let build = |p: &str| Regex::new(p).expect("static regex");
        (
            build(r"\|([^|]*)\|"),
            build(r"--\s*([^>-][^>]*)\s*-->"),
            build(r"[-.=]+>"),
        )
    })
}

pub fn parse_mermaid_flowchart(text: &str) -> Result<Flow, FlowError> {
    let mut nodes = NodeTable::default();
    let mut outgoing: HashMap<String, Vec<FlowEdge>> = HashMap::new();

    for (idx, raw) in py_splitlines(text).into_iter().enumerate() {
        let line_no = idx + 1;
        let without_comment = raw.split("%%").next().unwrap_or("");
        let line = py_strip(without_comment);
        if line.is_empty() || is_header(line) || is_style_line(line) {
            continue;
        }
        let line = strip_style_tokens(line);
        let chars: Vec<char> = line.chars().collect();

        if let Some((src, label, dst)) = parse_edge_line(&chars) {
            let src = nodes.add(&src.id, src.label.as_deref(), line_no)?;
            let dst = nodes.add(&dst.id, dst.label.as_deref(), line_no)?;
            add_edge(
                &mut outgoing,
                FlowEdge {
                    src: src.id,
                    dst: dst.id,
                    label,
                },
            );
            continue;
        }
        if let Some((spec, _)) = parse_node_token(&chars, 0) {
            nodes.add(&spec.id, spec.label.as_deref(), line_no)?;
        }
    }
    nodes.into_flow(outgoing)
}

/// `flowchart ...` / `graph ...` (any case, word boundary after).
fn is_header(line: &str) -> bool {
    ["flowchart", "graph"].iter().any(|kw| {
        line.get(..kw.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(kw))
            && !line[kw.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    })
}

fn is_style_line(line: &str) -> bool {
    let lowered = line.to_lowercase();
    lowered == "end"
        || [
            "classdef ",
            "class ",
            "style ",
            "linkstyle ",
            "click ",
            "subgraph ",
            "direction ",
        ]
        .iter()
        .any(|p| lowered.starts_with(p))
}

/// Drop `:::className` annotations.
fn strip_style_tokens(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find(":::") {
        let after = &rest[pos + 3..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        if name_len == 0 {
            out.push_str(&rest[..pos + 1]);
            rest = &rest[pos + 1..];
            continue;
        }
        out.push_str(&rest[..pos]);
        rest = &after[name_len..];
    }
    out.push_str(rest);
    out
}

/// An edge line: source node token, then (after the labels are cut out and arrows
/// normalized) the node token after the last `>`. `None` if the line is no edge.
fn parse_edge_line(line: &[char]) -> Option<(NodeSpec, Option<String>, NodeSpec)> {
    let (src, idx) = parse_node_token(line, 0)?;
    let (mut normalized, label) = normalize_edge_line(line);
    // kimi-cli reuses the source token's end offset (taken in the original line) here
    let idx = skip_ws(&normalized, idx);
    let tail: String = normalized.get(idx..).unwrap_or(&[]).iter().collect();
    if !tail.contains('>') {
        if !tail.contains("---") {
            return None;
        }
        let mut head: Vec<char> = normalized[..idx].to_vec();
        head.extend(tail.replacen("---", "-->", 1).chars());
        normalized = head;
    }
    let normalized: Vec<char> = {
        let s: String = normalized.iter().collect();
        replace_all(&regexes().2, &s, |_| "-->".to_string())
            .chars()
            .collect()
    };
    let arrow = normalized.iter().rposition(|c| *c == '>')?;
    let dst_start = skip_ws(&normalized, arrow + 1);
    let (dst, _) = parse_node_token(&normalized, dst_start)?;
    Some((src, label, dst))
}

/// Cut the edge label out: `|label|` first, else `-- label -->` (replaced by `-->`).
fn normalize_edge_line(line: &[char]) -> (Vec<char>, Option<String>) {
    let text: String = line.iter().collect();
    let (pipe, edge, _) = regexes();
    let non_blank = |s: &str| Some(py_strip(s).to_string()).filter(|s| !s.is_empty());
    let mut normalized = text.clone();
    let mut label = None;
    if let Some(caps) = captures(pipe, &text) {
        label = non_blank(&text[caps.1.clone()]);
        normalized = format!("{}{}", &text[..caps.0.start], &text[caps.0.end..]);
    }
    if label.is_none() {
        if let Some(caps) = captures(edge, &normalized) {
            label = non_blank(&normalized[caps.1.clone()]);
            normalized = format!(
                "{}-->{}",
                &normalized[..caps.0.start],
                &normalized[caps.0.end..]
            );
        }
    }
    (normalized.chars().collect(), label)
}

/// The whole match and group 1 of the leftmost match (byte ranges).
fn captures(re: &Regex, text: &str) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let mut caps = re.create_captures();
    re.captures(text, &mut caps);
    Some((caps.get_match()?.range(), caps.get_group(1)?.range()))
}

fn replace_all(re: &Regex, text: &str, with: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in re.find_iter(text) {
        out.push_str(&text[last..m.start()]);
        out.push_str(&with(&text[m.range()]));
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

fn skip_ws(line: &[char], mut idx: usize) -> usize {
    while idx < line.len() && py_isspace(line[idx]) {
        idx += 1;
    }
    idx
}

/// A node token at `idx`: an id (`[A-Za-z0-9_][A-Za-z0-9_-]*`), optionally a shape with a
/// label. Returns the spec and the index after it; `None` where kimi-cli raises (its
/// callers discard those errors).
fn parse_node_token(line: &[char], idx: usize) -> Option<(NodeSpec, usize)> {
    let is_id =
        |c: char, first: bool| c.is_ascii_alphanumeric() || c == '_' || (!first && c == '-');
    if !line.get(idx).is_some_and(|c| is_id(*c, true)) {
        return None;
    }
    let mut end = idx + 1;
    while end < line.len() && is_id(line[end], false) {
        end += 1;
    }
    let id: String = line[idx..end].iter().collect();
    let close = match line.get(end) {
        Some('[') => ']',
        Some('(') => ')',
        Some('{') => '}',
        _ => return Some((NodeSpec { id, label: None }, end)),
    };
    let (label, after) = parse_label(line, end + 1, close)?;
    Some((
        NodeSpec {
            id,
            label: Some(label),
        },
        after,
    ))
}

/// A shape's label up to `close`: quoted (backslash escapes, may be empty) or plain
/// (trimmed, must not be empty); `([...])` (stadium) nests a `[...]` label in parentheses.
fn parse_label(line: &[char], mut idx: usize, close: char) -> Option<(String, usize)> {
    let first = *line.get(idx)?;
    if close == ')' && first == '[' {
        let (label, after) = parse_label(line, idx + 1, ']')?;
        let after = skip_ws(line, after);
        return (line.get(after) == Some(&')')).then_some((label, after + 1));
    }
    if first == '"' {
        idx += 1;
        let mut buf = String::new();
        while idx < line.len() {
            match line[idx] {
                '"' => {
                    let after = skip_ws(line, idx + 1);
                    return (line.get(after) == Some(&close)).then_some((buf, after + 1));
                }
                '\\' if idx + 1 < line.len() => {
                    buf.push(line[idx + 1]);
                    idx += 2;
                }
                c => {
                    buf.push(c);
                    idx += 1;
                }
            }
        }
        return None;
    }
    let end = idx + line[idx..].iter().position(|c| *c == close)?;
    let label: String = line[idx..end].iter().collect();
    let label = py_strip(&label);
    (!label.is_empty()).then(|| (label.to_string(), end + 1))
}
