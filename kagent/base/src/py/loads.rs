//! Parsing JSON the way Python's `json.loads(text, strict=False)` does, with its error
//! messages (`Expecting value: line 1 column 13 (char 12)`), so tool-call arguments the model
//! got wrong produce the same error text as kimi-cli.
//!
//! Differences from a strict RFC 8259 parser that Python has and we keep: control characters
//! are allowed inside strings (`strict=False`), `NaN` / `Infinity` / `-Infinity` are accepted
//! (they have no `serde_json` form and become `null`), duplicate keys keep the last value and
//! positions count characters, not bytes.
//!
//! Nesting is bounded: Python's C scanner raises `RecursionError` once arrays and objects nest
//! too deep (kosong lets it escape, so kimi-cli fails the turn with `RecursionError: maximum
//! recursion depth exceeded while decoding a JSON array from a unicode string`); [`loads`]
//! returns [`LoadsError::Recursion`] with that text past [`MAX_DEPTH`] (lower than Python's
//! limit, see there) instead of overflowing the stack.

// No panic reachable from input (kagent/README.md): enforced here by clippy.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::cell::Cell;

use serde_json::{Map, Number, Value};

/// The deepest nesting decoded; one container more is Python's `RecursionError`. Python 3.13's
/// C scanner goes to 9998 levels, but every consumer of a `serde_json::Value` recurses too
/// (repr in validation errors, `dumps`, equality, even `Drop`), and at a few KiB per level in a
/// debug build 9998 levels overflow a 2 MiB thread. 1000 (Python's own default recursion
/// limit) keeps every consumer safe; no model writes arguments nested deeper.
pub const MAX_DEPTH: usize = 1000;

/// Why `loads` failed: Python's `JSONDecodeError`, or its `RecursionError` for input nested
/// deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadsError {
    #[error("{0}")]
    Decode(DecodeError),
    /// The container being decoded when the limit was hit: `array` or `object`.
    #[error("maximum recursion depth exceeded while decoding a JSON {0} from a unicode string")]
    Recursion(&'static str),
}

/// A decode error: Python's `JSONDecodeError` message and character position.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub msg: &'static str,
    pub pos: usize,
    line: usize,
    column: usize,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: line {} column {} (char {})",
            self.msg, self.line, self.column, self.pos
        )
    }
}

/// Nesting up to this depth is decoded on the caller's stack (a debug build's frames take a
/// few KiB per level; a test thread has 2 MiB).
const SHALLOW_DEPTH: usize = 64;

/// The stack for decoding deeper input (reserved, touched only as deep as the input goes:
/// [`MAX_DEPTH`] levels of a debug build stay well inside it).
const DEEP_STACK_BYTES: usize = 256 << 20;

/// Parse `text` like `json.loads(text, strict=False)`.
pub fn loads(text: &str) -> Result<Value, LoadsError> {
    let p = Parser {
        s: text.chars().collect(),
        depth: Cell::new(0),
    };
    if bracket_depth(&p.s) <= SHALLOW_DEPTH {
        return p.decode();
    }
    // Deep input: decode it on a thread whose stack fits MAX_DEPTH levels.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("json-loads".into())
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, move || p.decode())
            .ok()
            .and_then(|handle| handle.join().ok())
            // no thread to be had: refuse as too deep rather than risk the caller's stack
            .unwrap_or(Err(LoadsError::Recursion("array")))
    })
}

/// An upper bound of the nesting `decode` will reach: the deepest run of `[`/`{` outside
/// strings (unbalanced or invalid text only stops the decoder earlier).
fn bracket_depth(s: &[char]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &c in s {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Why a value could not start at a position (Python's `StopIteration(idx)`).
enum Scan {
    NoValue(usize),
    Error(&'static str, usize),
    /// Nested deeper than [`MAX_DEPTH`] (in an `array` or `object`).
    TooDeep(&'static str),
}

struct Parser {
    s: Vec<char>,
    /// Containers open around the current position.
    depth: Cell<usize>,
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

impl Parser {
    fn error(&self, msg: &'static str, pos: usize) -> DecodeError {
        let before = self.s.get(..pos.min(self.s.len())).unwrap_or(&[]);
        let line = before.iter().filter(|c| **c == '\n').count() + 1;
        let column = match before.iter().rposition(|c| *c == '\n') {
            Some(nl) => pos - nl,
            None => pos + 1,
        };
        DecodeError {
            msg,
            pos,
            line,
            column,
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.s.get(i).copied()
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(is_ws) {
            i += 1;
        }
        i
    }

    fn decode(&self) -> Result<Value, LoadsError> {
        let start = self.skip_ws(0);
        let (value, end) = self.scan(start).map_err(|e| self.lift(e))?;
        let end = self.skip_ws(end);
        if end != self.s.len() {
            return Err(LoadsError::Decode(self.error("Extra data", end)));
        }
        Ok(value)
    }

    fn lift(&self, e: Scan) -> LoadsError {
        match e {
            Scan::NoValue(i) => LoadsError::Decode(self.error("Expecting value", i)),
            Scan::Error(m, i) => LoadsError::Decode(self.error(m, i)),
            Scan::TooDeep(kind) => LoadsError::Recursion(kind),
        }
    }

    /// Decode one container (`kind` names it in the error) one level deeper.
    fn nested(
        &self,
        kind: &'static str,
        body: impl FnOnce() -> Result<(Value, usize), Scan>,
    ) -> Result<(Value, usize), Scan> {
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH {
            return Err(Scan::TooDeep(kind));
        }
        self.depth.set(depth);
        let result = body();
        self.depth.set(depth - 1);
        result
    }

    fn starts_with(&self, i: usize, word: &str) -> bool {
        (i..).zip(word.chars()).all(|(k, c)| self.at(k) == Some(c))
    }

    /// One value starting exactly at `i`.
    fn scan(&self, i: usize) -> Result<(Value, usize), Scan> {
        let Some(c) = self.at(i) else {
            return Err(Scan::NoValue(i));
        };
        match c {
            '"' => {
                let (s, end) = self.string(i + 1)?;
                Ok((Value::String(s), end))
            }
            '{' => self.nested("object", || self.object(i + 1)),
            '[' => self.nested("array", || self.array(i + 1)),
            'n' if self.starts_with(i, "null") => Ok((Value::Null, i + 4)),
            't' if self.starts_with(i, "true") => Ok((Value::Bool(true), i + 4)),
            'f' if self.starts_with(i, "false") => Ok((Value::Bool(false), i + 5)),
            'N' if self.starts_with(i, "NaN") => Ok((Value::Null, i + 3)),
            'I' if self.starts_with(i, "Infinity") => Ok((Value::Null, i + 8)),
            '-' if self.starts_with(i, "-Infinity") => Ok((Value::Null, i + 9)),
            _ => match self.number(i) {
                Some(r) => Ok(r),
                None => Err(Scan::NoValue(i)),
            },
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`
    fn number(&self, i: usize) -> Option<(Value, usize)> {
        let digits = |mut k: usize| {
            let from = k;
            while self.at(k).is_some_and(|c| c.is_ascii_digit()) {
                k += 1;
            }
            (k, k - from)
        };
        let mut k = i;
        if self.at(k) == Some('-') {
            k += 1;
        }
        match self.at(k) {
            Some('0') => k += 1,
            Some('1'..='9') => k = digits(k).0,
            _ => return None,
        }
        let mut is_float = false;
        if self.at(k) == Some('.') {
            let (e, n) = digits(k + 1);
            if n > 0 {
                k = e;
                is_float = true;
            }
        }
        if matches!(self.at(k), Some('e' | 'E')) {
            let mut j = k + 1;
            if matches!(self.at(j), Some('+' | '-')) {
                j += 1;
            }
            let (e, n) = digits(j);
            if n > 0 {
                k = e;
                is_float = true;
            }
        }
        let text: String = self.s.get(i..k).unwrap_or(&[]).iter().collect();
        let value = if is_float {
            text.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number)
        } else if let Ok(n) = text.parse::<i64>() {
            Value::Number(n.into())
        } else if let Ok(n) = text.parse::<u64>() {
            Value::Number(n.into())
        } else {
            // Python keeps big ints exact; the closest we have is a float.
            text.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number)
        };
        Some((value, k))
    }

    /// The body of a string; `i` is just after the opening quote.
    fn string(&self, mut i: usize) -> Result<(String, usize), Scan> {
        let begin = i - 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.at(i) else {
                return Err(Scan::Error("Unterminated string starting at", begin));
            };
            i += 1;
            match c {
                '"' => return Ok((out, i)),
                '\\' => {
                    let Some(esc) = self.at(i) else {
                        return Err(Scan::Error("Unterminated string starting at", begin));
                    };
                    let simple = match esc {
                        '"' => Some('"'),
                        '\\' => Some('\\'),
                        '/' => Some('/'),
                        'b' => Some('\u{8}'),
                        'f' => Some('\u{c}'),
                        'n' => Some('\n'),
                        'r' => Some('\r'),
                        't' => Some('\t'),
                        'u' => None,
                        _ => return Err(Scan::Error("Invalid \\escape", i - 1)),
                    };
                    if let Some(ch) = simple {
                        out.push(ch);
                        i += 1;
                        continue;
                    }
                    let mut code = self.hex4(i)?;
                    i += 5;
                    if (0xd800..=0xdbff).contains(&code)
                        && self.at(i) == Some('\\')
                        && self.at(i + 1) == Some('u')
                    {
                        let low = self.hex4(i + 1)?;
                        if (0xdc00..=0xdfff).contains(&low) {
                            code = 0x10000 + (((code - 0xd800) << 10) | (low - 0xdc00));
                            i += 6;
                        }
                    }
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                _ => out.push(c),
            }
        }
    }

    /// The four hex digits after the `u` at `u_pos`; the error points at the `u`.
    fn hex4(&self, u_pos: usize) -> Result<u32, Scan> {
        let digits: Option<String> = (1..=4).map(|k| self.at(u_pos + k)).collect();
        digits
            .filter(|d| d.chars().all(|c| c.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(&d, 16).ok())
            .ok_or(Scan::Error("Invalid \\uXXXX escape", u_pos))
    }

    /// An object; `i` is just after `{`.
    fn object(&self, i: usize) -> Result<(Value, usize), Scan> {
        let mut map = Map::new();
        let mut end = self.skip_ws(i);
        match self.at(end) {
            Some('}') => return Ok((Value::Object(map), end + 1)),
            Some('"') => {}
            _ => {
                return Err(Scan::Error(
                    "Expecting property name enclosed in double quotes",
                    end,
                ))
            }
        }
        end += 1;
        loop {
            let (key, after_key) = self.string(end)?;
            end = self.skip_ws(after_key);
            if self.at(end) != Some(':') {
                return Err(Scan::Error("Expecting ':' delimiter", end));
            }
            end = self.skip_ws(end + 1);
            let (value, after_value) = match self.scan(end) {
                Ok(r) => r,
                Err(Scan::NoValue(p)) => return Err(Scan::Error("Expecting value", p)),
                Err(e) => return Err(e),
            };
            map.insert(key, value);
            end = self.skip_ws(after_value);
            match self.at(end) {
                Some('}') => return Ok((Value::Object(map), end + 1)),
                Some(',') => {}
                _ => return Err(Scan::Error("Expecting ',' delimiter", end)),
            }
            let comma = end;
            end = self.skip_ws(end + 1);
            match self.at(end) {
                Some('"') => end += 1,
                Some('}') => {
                    return Err(Scan::Error(
                        "Illegal trailing comma before end of object",
                        comma,
                    ))
                }
                _ => {
                    return Err(Scan::Error(
                        "Expecting property name enclosed in double quotes",
                        end,
                    ))
                }
            }
        }
    }

    /// An array; `i` is just after `[`.
    fn array(&self, i: usize) -> Result<(Value, usize), Scan> {
        let mut items = vec![];
        let mut end = self.skip_ws(i);
        if self.at(end) == Some(']') {
            return Ok((Value::Array(items), end + 1));
        }
        loop {
            let (value, after) = match self.scan(end) {
                Ok(r) => r,
                Err(Scan::NoValue(p)) => return Err(Scan::Error("Expecting value", p)),
                Err(e) => return Err(e),
            };
            items.push(value);
            end = self.skip_ws(after);
            match self.at(end) {
                Some(']') => return Ok((Value::Array(items), end + 1)),
                Some(',') => {}
                _ => return Err(Scan::Error("Expecting ',' delimiter", end)),
            }
            let comma = end;
            end = self.skip_ws(end + 1);
            if self.at(end) == Some(']') {
                return Err(Scan::Error(
                    "Illegal trailing comma before end of array",
                    comma,
                ));
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(text: &str) -> String {
        loads(text).unwrap_err().to_string()
    }

    #[test]
    fn nesting_deeper_than_python_is_its_recursion_error() {
        // issue 19: ~20,000 `[` used to overflow the stack; Python raises RecursionError
        let deep = "[".repeat(20_000);
        assert_eq!(loads(&deep), Err(LoadsError::Recursion("array")));
        assert_eq!(
            err(&deep),
            "maximum recursion depth exceeded while decoding a JSON array from a unicode string"
        );
        // the container that crosses the limit names the error
        let mixed = format!("{}{{\"a\": 1}}", "[".repeat(MAX_DEPTH));
        assert_eq!(loads(&mixed), Err(LoadsError::Recursion("object")));
        // one level less still decodes, on this (2 MiB) test thread too
        let text = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let value = loads(&text).expect("MAX_DEPTH decodes");
        // serde_json's Drop recurses too: dismantle it level by level
        let mut v = value;
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn error_messages_match_python() {
        // Expected texts are Python 3.13's `json.loads(text, strict=False)` errors.
        let cases = [
            ("", "Expecting value: line 1 column 1 (char 0)"),
            (" ", "Expecting value: line 1 column 2 (char 1)"),
            (
                "{\"command\": ",
                "Expecting value: line 1 column 13 (char 12)",
            ),
            (
                "{",
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
            (
                "{\"a\"",
                "Expecting ':' delimiter: line 1 column 5 (char 4)",
            ),
            ("{\"a\":", "Expecting value: line 1 column 6 (char 5)"),
            (
                "{\"a\":1",
                "Expecting ',' delimiter: line 1 column 7 (char 6)",
            ),
            (
                "{\"a\":1,",
                "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)",
            ),
            (
                "{\"a\":1,}",
                "Illegal trailing comma before end of object: line 1 column 7 (char 6)",
            ),
            (
                "[1,]",
                "Illegal trailing comma before end of array: line 1 column 3 (char 2)",
            ),
            ("[1", "Expecting ',' delimiter: line 1 column 3 (char 2)"),
            ("[", "Expecting value: line 1 column 2 (char 1)"),
            (
                "{\"a\" 1}",
                "Expecting ':' delimiter: line 1 column 6 (char 5)",
            ),
            (
                "{\"a\":1 \"b\":2}",
                "Expecting ',' delimiter: line 1 column 8 (char 7)",
            ),
            (
                "{a:1}",
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
            (
                "\"abc",
                "Unterminated string starting at: line 1 column 1 (char 0)",
            ),
            ("\"a\\x\"", "Invalid \\escape: line 1 column 3 (char 2)"),
            (
                "\"\\u12\"",
                "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            ),
            (
                "\"\\uZZZZ\"",
                "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            ),
            ("{\"a\":1}x", "Extra data: line 1 column 8 (char 7)"),
            ("nul", "Expecting value: line 1 column 1 (char 0)"),
            ("-", "Expecting value: line 1 column 1 (char 0)"),
            ("1.", "Extra data: line 1 column 2 (char 1)"),
            ("1e", "Extra data: line 1 column 2 (char 1)"),
            ("01", "Extra data: line 1 column 2 (char 1)"),
            ("[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"),
            (
                "\n\n  {\"a\": }",
                "Expecting value: line 3 column 9 (char 10)",
            ),
            (
                "{\"\u{e9}\": x}",
                "Expecting value: line 1 column 7 (char 6)",
            ),
            ("[1,,2]", "Expecting value: line 1 column 4 (char 3)"),
            (
                "{,}",
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
            (
                "{\"a\":1,,}",
                "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)",
            ),
            (
                "\"\\",
                "Unterminated string starting at: line 1 column 1 (char 0)",
            ),
            (
                "[1, ]",
                "Illegal trailing comma before end of array: line 1 column 3 (char 2)",
            ),
            (
                "{\"a\":1 , }",
                "Illegal trailing comma before end of object: line 1 column 8 (char 7)",
            ),
            ("1 2", "Extra data: line 1 column 3 (char 2)"),
            ("[]]", "Extra data: line 1 column 3 (char 2)"),
            (
                "{\"x\": [1, {\"y\": tru}]}",
                "Expecting value: line 1 column 17 (char 16)",
            ),
            (
                "\"ab\\u12\"",
                "Invalid \\uXXXX escape: line 1 column 5 (char 4)",
            ),
            ("\"ab\\q\"", "Invalid \\escape: line 1 column 4 (char 3)"),
            (
                "\"\\ud83d\\u12\"",
                "Invalid \\uXXXX escape: line 1 column 9 (char 8)",
            ),
            (
                "\"ab\\u",
                "Invalid \\uXXXX escape: line 1 column 5 (char 4)",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(err(text), want, "input {text:?}");
        }
    }

    #[test]
    fn accepts_what_python_accepts() {
        assert_eq!(loads("{\"a\":1} ").unwrap(), json!({"a": 1}));
        assert_eq!(loads("{\"a\":\"\u{1}\"}").unwrap(), json!({"a": "\u{1}"}));
        assert_eq!(
            loads("{\"a\":\"line\nbreak\"}").unwrap(),
            json!({"a": "line\nbreak"})
        );
        assert_eq!(loads("{\"a\":1,\"a\":2}").unwrap(), json!({"a": 2}));
        assert_eq!(loads("\"\\ud83d\\ude00\"").unwrap(), json!("\u{1F600}"));
        assert_eq!(
            loads("[1.5, -2, 3e2, true, null]").unwrap(),
            json!([1.5, -2, 300.0, true, null])
        );
        assert_eq!(loads("[-Infinity, NaN]").unwrap(), json!([null, null]));
    }
}
