//! JSON text in the exact shapes the Python kernel writes, so files stay byte-compatible.
//!
//! * [`dumps`] mimics Python's `json.dumps(obj)` defaults: `", "` / `": "` separators,
//!   `ensure_ascii=True` and Python's float `repr`.
//! * [`compact`] mimics pydantic's `model_dump_json()`: no spaces, raw UTF-8.

use serde_json::Value;
use std::fmt::Write;

/// Python `json.dumps(value)` with default arguments.
pub fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, Style::Python { ascii: true });
    out
}

/// Python `json.dumps(value, ensure_ascii=False)`.
pub fn dumps_utf8(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, Style::Python { ascii: false });
    out
}

/// Python `json.dumps(value, indent=indent, ensure_ascii=False)`.
pub fn dumps_indented(value: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_indented(&mut out, value, indent, 0);
    out
}

fn write_indented(out: &mut String, value: &Value, indent: usize, level: usize) {
    let (open, close, items): (char, char, Vec<(Option<&String>, &Value)>) = match value {
        Value::Array(a) if !a.is_empty() => ('[', ']', a.iter().map(|v| (None, v)).collect()),
        Value::Object(m) if !m.is_empty() => {
            ('{', '}', m.iter().map(|(k, v)| (Some(k), v)).collect())
        }
        // scalars and empty containers print as without indent
        other => {
            write_value(out, other, Style::Python { ascii: false });
            return;
        }
    };
    let pad = " ".repeat(indent * (level + 1));
    out.push(open);
    for (i, (key, item)) in items.into_iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&pad);
        if let Some(k) = key {
            write_str(out, k, false);
            out.push_str(": ");
        }
        write_indented(out, item, indent, level + 1);
    }
    out.push('\n');
    out.push_str(&" ".repeat(indent * level));
    out.push(close);
}

#[derive(Clone, Copy)]
enum Style {
    Python { ascii: bool },
    Compact,
}

/// pydantic-style compact JSON (`{"a":1}`), non-ASCII kept as UTF-8.
pub fn compact(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, Style::Compact);
    out
}

fn write_value(out: &mut String, value: &Value, style: Style) {
    let python = matches!(style, Style::Python { .. });
    let ascii = matches!(style, Style::Python { ascii: true });
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                out.push_str(&float_repr(f));
            } else {
                let _ = write!(out, "{n}");
            }
        }
        Value::String(s) => write_str(out, s, ascii),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(if python { ", " } else { "," });
                }
                write_value(out, item, style);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(if python { ", " } else { "," });
                }
                write_str(out, k, ascii);
                out.push_str(if python { ": " } else { ":" });
                write_value(out, v, style);
            }
            out.push('}');
        }
    }
}

fn write_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ensure_ascii && (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{:04x}", unit);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form outside 1e-4..1e16.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{:e}", f); // e.g. "-1.2345e-5"
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let point = exp + 1; // position of decimal point within digits
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        let esign = if exp < 0 { "-" } else { "+" };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indented_like_python() {
        let v = json!({"a": [1, {"b": []}, {}], "c": "\u{e9}", "d": 1.5});
        assert_eq!(
            dumps_indented(&v, 2),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    },\n    {}\n  ],\n  \"c\": \"\u{e9}\",\n  \"d\": 1.5\n}"
        );
        assert_eq!(dumps_indented(&json!("x"), 2), "\"x\"");
    }

    #[test]
    fn floats_like_python() {
        assert_eq!(float_repr(5e-05), "5e-05");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(1795373603.585584), "1795373603.585584");
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(123.5), "123.5");
    }

    #[test]
    fn dumps_like_python() {
        let v = json!({"role": "_checkpoint", "id": 0, "s": "a\u{2014}b\u{1F600}"});
        assert_eq!(
            dumps(&v),
            r#"{"role": "_checkpoint", "id": 0, "s": "a\u2014b\ud83d\ude00"}"#
        );
        assert_eq!(compact(&json!({"a": [1, "é"]})), r#"{"a":[1,"é"]}"#);
    }
}
