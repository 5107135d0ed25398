//! Python's `pprint.pformat(value, width=72, sort_dicts=False)` of JSON values, as
//! jsonschema prints the failing schema and instance in an error's text.

use serde_json::Value;

use crate::py::repr::{repr_str, repr_value};

const WIDTH: usize = 72;

pub(super) fn pformat(v: &Value) -> String {
    let mut out = String::new();
    format_value(v, &mut out, 0, 0, 1);
    out
}

fn format_value(v: &Value, out: &mut String, indent: usize, allowance: usize, level: usize) {
    let rep = repr_value(v);
    let max_width = WIDTH.saturating_sub(indent + allowance);
    if rep.chars().count() > max_width {
        match v {
            Value::Object(o) if !o.is_empty() => {
                out.push('{');
                let indent = indent + 1;
                let last = o.len() - 1;
                for (i, (k, x)) in o.iter().enumerate() {
                    let key = repr_str(k);
                    out.push_str(&key);
                    out.push_str(": ");
                    let a = if i == last { allowance + 1 } else { 1 };
                    format_value(x, out, indent + key.chars().count() + 2, a, level + 1);
                    if i != last {
                        out.push_str(",\n");
                        out.push_str(&" ".repeat(indent));
                    }
                }
                out.push('}');
                return;
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('[');
                let indent = indent + 1;
                let last = a.len() - 1;
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(",\n");
                        out.push_str(&" ".repeat(indent));
                    }
                    let al = if i == last { allowance + 1 } else { 1 };
                    format_value(x, out, indent, al, level + 1);
                }
                out.push(']');
                return;
            }
            Value::String(s) if !s.is_empty() => {
                format_str(s, out, indent, allowance, level);
                return;
            }
            _ => {}
        }
    }
    out.push_str(&rep);
}

/// pprint's long-string splitting into adjacent literals.
fn format_str(s: &str, out: &mut String, mut indent: usize, mut allowance: usize, level: usize) {
    let lines: Vec<&str> = s.split_inclusive('\n').collect();
    if level == 1 {
        indent += 1;
        allowance += 1;
    }
    let max_width = WIDTH.saturating_sub(indent);
    let mut max_width1 = max_width;
    let mut chunks: Vec<String> = vec![];
    let mut last_rep = String::new();
    for (i, line) in lines.iter().enumerate() {
        let rep = repr_str(line);
        last_rep = rep.clone();
        if i == lines.len() - 1 {
            max_width1 = max_width1.saturating_sub(allowance);
        }
        if rep.chars().count() <= max_width1 {
            chunks.push(rep);
            continue;
        }
        // alternating runs of non-space then space characters
        let mut parts: Vec<String> = vec![];
        let mut cur = String::new();
        let mut in_space = false;
        for c in line.chars() {
            let space = c.is_whitespace();
            if in_space && !space {
                parts.push(std::mem::take(&mut cur));
                in_space = false;
            }
            if space {
                in_space = true;
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            parts.push(cur);
        }
        let mut max_width2 = max_width;
        let mut current = String::new();
        for (j, part) in parts.iter().enumerate() {
            let candidate = format!("{current}{part}");
            if j == parts.len() - 1 && i == lines.len() - 1 {
                max_width2 = max_width2.saturating_sub(allowance);
            }
            if repr_str(&candidate).chars().count() > max_width2 {
                if !current.is_empty() {
                    chunks.push(repr_str(&current));
                }
                current = part.clone();
            } else {
                current = candidate;
            }
        }
        if !current.is_empty() {
            chunks.push(repr_str(&current));
        }
    }
    if chunks.len() == 1 {
        out.push_str(&last_rep);
        return;
    }
    if level == 1 {
        out.push('(');
    }
    for (i, c) in chunks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(c);
    }
    if level == 1 {
        out.push(')');
    }
}
