//! `SKILL.md` frontmatter: the `---`-delimited block at the top of the file, read as YAML the
//! way kimi-cli reads it (PyYAML `safe_load`, YAML 1.1 scalar resolution).
//!
//! Not a full YAML parser: it reads what skill files use — a block mapping of plain,
//! single/double-quoted and block (`|`, `>`) scalars, nested block mappings and sequences,
//! flow collections (`[a, b]`, `{k: v}`), comments, anchors and aliases, `!!str` tags — and
//! reports the common mistakes PyYAML rejects (e.g. `description: use this: for x`), since
//! kimi-cli then skips the skill. Other `!!` tags give opaque non-string values; complex
//! (`? `) keys and directives are not read (the skill is skipped).
//!
//! Nesting is bounded: PyYAML's composer recurses in Python and raises `RecursionError`
//! (`maximum recursion depth exceeded`) about 490 levels deep, which kimi-cli reports as an
//! invalid skill and skips. Past [`MAX_DEPTH`] nested collections the parser returns that
//! error instead of overflowing the stack (a flow collection 30,000 deep used to abort kagent).

use super::strings::{is_line_break, splitlines};

/// A YAML node, reduced to what skill discovery looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    Null,
    Bool(bool),
    /// int or float; `zero` keeps Python's truthiness.
    Number {
        zero: bool,
    },
    Str(String),
    Seq(Vec<Yaml>),
    Map(Vec<(Yaml, Yaml)>),
    /// A value of another type (timestamp, alias, `!!binary`...): truthy, not a string.
    Other,
}

impl Yaml {
    /// Python truthiness of the constructed value.
    pub fn truthy(&self) -> bool {
        match self {
            Yaml::Null => false,
            Yaml::Bool(b) => *b,
            Yaml::Number { zero } => !zero,
            Yaml::Str(s) => !s.is_empty(),
            Yaml::Seq(v) => !v.is_empty(),
            Yaml::Map(v) => !v.is_empty(),
            Yaml::Other => true,
        }
    }

    /// `mapping.get(key)` for a string key (the last duplicate wins, as in PyYAML).
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| matches!(k, Yaml::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why a frontmatter block is not usable (kimi-cli: `ValueError`, the skill is skipped).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrontmatterError {
    #[error("Invalid frontmatter YAML: {0}")]
    Yaml(String),
    /// (kagent-base's own wording; kagent says the profile's `frontmatter.not_mapping`)
    #[error("the frontmatter is no YAML mapping")]
    NotMapping,
}

pub use super::strings::{is_py_space, py_strip};

/// kimi-cli's `parse_frontmatter`: `Ok(None)` when there is no (or an empty or unclosed)
/// block, the mapping when there is one, an error when the YAML is invalid or not a mapping.
pub fn parse_frontmatter(text: &str) -> Result<Option<Yaml>, FrontmatterError> {
    let lines = splitlines(text);
    if lines.first().map(|l| py_strip(l)) != Some("---") {
        return Ok(None);
    }
    let Some(end) = lines[1..].iter().position(|l| py_strip(l) == "---") else {
        return Ok(None);
    };
    let block = lines[1..1 + end].join("\n");
    let block = py_strip(&block);
    if block.is_empty() {
        return Ok(None);
    }
    match parse_yaml(block).map_err(FrontmatterError::Yaml)? {
        m @ Yaml::Map(_) => Ok(Some(m)),
        _ => Err(FrontmatterError::NotMapping),
    }
}

/// kimi-cli's `strip_frontmatter`: the text after the closing `---`, or all of it.
pub fn strip_frontmatter(text: &str) -> &str {
    let mut offset = 0;
    let mut first = true;
    for line in split_keepends(text) {
        let content = line.trim_end_matches([
            '\n', '\r', '\u{0b}', '\u{0c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}',
            '\u{2029}',
        ]);
        offset += line.len();
        if first {
            if py_strip(content) != "---" {
                return text;
            }
            first = false;
        } else if py_strip(content) == "---" {
            return &text[offset..];
        }
    }
    text
}

fn split_keepends(text: &str) -> Vec<&str> {
    let mut out = vec![];
    let mut rest = text;
    for line in splitlines(text) {
        // `splitlines` hands back slices of `text`: the break follows each line
        let start = line.as_ptr() as usize - rest.as_ptr() as usize;
        let after = &rest[start + line.len()..];
        let brk = match after.chars().next() {
            Some('\r') if after[1..].starts_with('\n') => 2,
            Some(c) if is_line_break(c) => c.len_utf8(),
            _ => 0,
        };
        let end = start + line.len() + brk;
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

type R<T> = Result<T, String>;

/// The deepest nesting of collections (block or flow) parsed; PyYAML gives up near 490 and
/// less when called deeper in kimi-cli's stack.
pub const MAX_DEPTH: usize = 400;

/// `str()` of the `RecursionError` PyYAML raises for deeper input.
const TOO_DEEP: &str = "maximum recursion depth exceeded";

/// Parse one YAML document (the frontmatter block).
pub fn parse_yaml(text: &str) -> R<Yaml> {
    // YAML's own line breaks (PyYAML: \r\n, \r, \n, NEL, LS, PS)
    let normalized = text
        .replace("\r\n", "\n")
        .replace(['\r', '\u{85}', '\u{2028}', '\u{2029}'], "\n");
    let lines: Vec<String> = normalized.split('\n').map(str::to_owned).collect();
    let mut p = Parser {
        lines,
        pos: 0,
        anchors: Default::default(),
        depth: 0,
    };
    p.skip_blank();
    let Some(line) = p.line() else {
        return Ok(Yaml::Null);
    };
    let ind = indent(line);
    let content = line[ind..].to_string();
    let value = if content.starts_with('[') || content.starts_with('{') {
        let v = p.flow_value(ind)?;
        p.skip_blank();
        if p.line().is_some() {
            return Err("expected a single document".into());
        }
        v
    } else if is_seq_entry(&content) {
        p.block_seq(ind)?
    } else if split_key(&content)?.is_some() {
        p.block_map(ind)?
    } else {
        // a lone scalar: valid YAML, but not a mapping
        return Ok(Yaml::Str(content));
    };
    p.skip_blank();
    if p.line().is_some() {
        return Err("expected <block end>".into());
    }
    Ok(value)
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start_matches([' ', '\t']);
    t.is_empty() || t.starts_with('#')
}

fn is_seq_entry(content: &str) -> bool {
    content == "-" || content.starts_with("- ") || content.starts_with("-\t")
}

/// Where a plain scalar ends on this line in block context: before ` #` or at `: `/`:` EOL
/// (`Err` when a `: ` appears, which PyYAML rejects inside a value).
fn plain_line_end(s: &str, in_value: bool) -> R<usize> {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'#' && i > 0 && (b[i - 1] == b' ' || b[i - 1] == b'\t') {
            return Ok(i);
        }
        if b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ' || b[i + 1] == b'\t') {
            if in_value {
                return Err("mapping values are not allowed here".into());
            }
            return Ok(i);
        }
    }
    Ok(b.len())
}

/// `key: rest` on a line (key plain or quoted), `None` when the line is not a mapping entry.
fn split_key(content: &str) -> R<Option<(Yaml, String)>> {
    if content.starts_with('"') || content.starts_with('\'') {
        let quote = content.as_bytes()[0] as char;
        let (text, used) = match quoted_one_line(&content[1..], quote) {
            Some(x) => x,
            None => return Ok(None),
        };
        let after = content[1 + used..].trim_start_matches([' ', '\t']);
        if let Some(rest) = after.strip_prefix(':') {
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                return Ok(Some((Yaml::Str(text), rest.to_string())));
            }
        }
        return Ok(None);
    }
    if content.starts_with("? ") {
        return Err("complex mapping keys are not supported".into());
    }
    let end = plain_line_end(content, false)?;
    if end < content.len() && content.as_bytes()[end] == b':' {
        let key = content[..end].trim_end_matches([' ', '\t']);
        let rest = &content[end + 1..];
        let key = if key.is_empty() {
            Yaml::Null
        } else {
            resolve_plain(key)?
        };
        return Ok(Some((key, rest.to_string())));
    }
    Ok(None)
}

/// A quoted scalar closed on this line: its text and the bytes used (closing quote included).
fn quoted_one_line(s: &str, quote: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if quote == '\'' && chars.peek().map(|x| x.1) == Some('\'') {
                chars.next();
                out.push('\'');
                continue;
            }
            // `i` indexes `s` (after the opening quote): the closing quote ends at i + 1
            return Some((out, i + c.len_utf8()));
        }
        if c == '\\' && quote == '"' {
            let (_, e) = chars.next()?;
            out.push(simple_escape(e)?);
            continue;
        }
        out.push(c);
    }
    None
}

fn simple_escape(e: char) -> Option<char> {
    Some(match e {
        '0' => '\0',
        'a' => '\u{07}',
        'b' => '\u{08}',
        't' | '\t' => '\t',
        'n' => '\n',
        'v' => '\u{0b}',
        'f' => '\u{0c}',
        'r' => '\r',
        'e' => '\u{1b}',
        ' ' => ' ',
        '"' => '"',
        '/' => '/',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        _ => return None,
    })
}

/// YAML 1.1 implicit resolution of a plain scalar (PyYAML's resolver and constructors; also
/// [`super::yaml`]'s).
pub(crate) fn resolve_plain(s: &str) -> R<Yaml> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Yaml::Null),
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Ok(Yaml::Bool(true))
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Ok(Yaml::Bool(false))
        }
        // tags without a safe constructor
        "=" | "<<" => return Err(format!("could not determine a constructor for {s:?}")),
        _ => {}
    }
    if let Some(zero) = int_zero(s).or_else(|| float_zero(s)) {
        return Ok(Yaml::Number { zero });
    }
    if is_timestamp(s)? {
        return Ok(Yaml::Other);
    }
    Ok(Yaml::Str(s.to_string()))
}

fn digits(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    !s.is_empty() && s.bytes().all(|b| ok(b) || b == b'_')
}

fn sexagesimal(s: &str) -> bool {
    // [1-9][0-9_]*(:[0-5]?[0-9])+
    let mut parts = s.split(':');
    let head = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && head
            .as_bytes()
            .first()
            .is_some_and(|b| (b'1'..=b'9').contains(b))
        && digits(head, |b| b.is_ascii_digit())
        && rest.iter().all(|p| {
            let b = p.as_bytes();
            match b.len() {
                1 => b[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                _ => false,
            }
        })
}

/// Whether the plain scalar `s` resolves to an int (else, if a number, to a float).
pub(crate) fn is_int(s: &str) -> bool {
    int_zero(s).is_some()
}

/// `Some(is_zero)` when `s` resolves to an int.
fn int_zero(s: &str) -> Option<bool> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let all_zero = |d: &str| d.bytes().all(|b| b == b'0' || b == b'_');
    if let Some(d) = body.strip_prefix("0b") {
        return digits(d, |b| b == b'0' || b == b'1').then(|| all_zero(d));
    }
    if let Some(d) = body.strip_prefix("0x") {
        return digits(d, |b| b.is_ascii_hexdigit()).then(|| all_zero(d));
    }
    if body == "0" {
        return Some(true);
    }
    if let Some(d) = body.strip_prefix('0') {
        return digits(d, |b| (b'0'..=b'7').contains(&b)).then(|| all_zero(d));
    }
    if body
        .as_bytes()
        .first()
        .is_some_and(|b| (b'1'..=b'9').contains(b))
    {
        if digits(body, |b| b.is_ascii_digit()) {
            return Some(false);
        }
        if sexagesimal(body) {
            return Some(false);
        }
    }
    None
}

fn float_zero(s: &str) -> Option<bool> {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return Some(false);
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return Some(false);
    }
    let zero = |d: &str| d.bytes().all(|b| !b.is_ascii_digit() || b == b'0');
    // [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?  and  \.[0-9][0-9_]*([eE][-+][0-9]+)? (unsigned)
    let (mantissa, exp_ok) = match body.find(['e', 'E']) {
        Some(i) => {
            let e = &body[i + 1..];
            let ok = e.len() > 1
                && e.starts_with(['-', '+'])
                && e[1..].bytes().all(|b| b.is_ascii_digit());
            (&body[..i], ok)
        }
        None => (body, true),
    };
    if exp_ok {
        if let Some((int, frac)) = mantissa.split_once('.') {
            let first_digit = int.as_bytes().first().is_some_and(u8::is_ascii_digit);
            if first_digit
                && digits(int, |b| b.is_ascii_digit())
                && (frac.is_empty() || digits(frac, |b| b.is_ascii_digit()))
            {
                return Some(zero(mantissa));
            }
            if int.is_empty()
                && body.len() == s.len()
                && frac.as_bytes().first().is_some_and(u8::is_ascii_digit)
                && digits(frac, |b| b.is_ascii_digit())
            {
                return Some(zero(mantissa));
            }
        }
    }
    // sexagesimal float: [1-9]...(:[0-5]?[0-9])+\.[0-9_]*  (PyYAML allows a leading 0 too)
    if let Some((head, frac)) = body.rsplit_once('.') {
        if (frac.is_empty() || digits(frac, |b| b.is_ascii_digit())) && head.contains(':') {
            let mut parts = head.split(':');
            let first = parts.next().unwrap_or("");
            let first_ok = first.as_bytes().first().is_some_and(u8::is_ascii_digit)
                && digits(first, |b| b.is_ascii_digit());
            if first_ok && sexagesimal(&format!("1{}", &head[first.len()..])) {
                return Some(zero(head) && zero(frac));
            }
        }
    }
    None
}

/// PyYAML's timestamp pattern; an impossible date fails like its constructor does.
fn is_timestamp(s: &str) -> R<bool> {
    let b = s.as_bytes();
    let num = |r: &[u8]| r.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    let date_only = b.len() == 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..].iter().all(u8::is_ascii_digit);
    if date_only {
        let (y, m, d) = (num(&b[..4]), num(&b[5..7]), num(&b[8..]));
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        };
        if y == 0 || d == 0 || d > days {
            return Err(format!("invalid date {s:?}"));
        }
        return Ok(true);
    }
    // date and time: YYYY-M-D(T| )H:MM:SS...; treated as a valid timestamp
    if b.len() > 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        let rest = &s[5..];
        let has_time =
            rest.contains(':') && (rest.contains('T') || rest.contains('t') || rest.contains(' '));
        let shape = rest
            .bytes()
            .all(|c| c.is_ascii_digit() || b"-:.TtZ+ \t".contains(&c));
        return Ok(has_time && shape);
    }
    Ok(false)
}

struct Parser {
    lines: Vec<String>,
    pos: usize,
    /// `&name` anchors seen so far, for `*name` aliases.
    anchors: std::collections::HashMap<String, Yaml>,
    /// Collections open around the current line.
    depth: usize,
}

impl Parser {
    fn line(&self) -> Option<&str> {
        self.lines.get(self.pos).map(String::as_str)
    }

    fn skip_blank(&mut self) {
        while self.line().is_some_and(is_blank_or_comment) {
            self.pos += 1;
        }
    }

    /// The next content line's indent, after blank and comment lines.
    fn peek_indent(&mut self) -> Option<usize> {
        self.skip_blank();
        self.line().map(indent)
    }

    /// Parse one nested collection with `body`, refusing past [`MAX_DEPTH`].
    fn nested(&mut self, body: impl FnOnce(&mut Self) -> R<Yaml>) -> R<Yaml> {
        if self.depth >= MAX_DEPTH {
            return Err(TOO_DEEP.into());
        }
        self.depth += 1;
        let result = body(self);
        self.depth -= 1;
        result
    }

    fn block_map(&mut self, n: usize) -> R<Yaml> {
        self.nested(|p| p.block_map_entries(n))
    }

    fn block_map_entries(&mut self, n: usize) -> R<Yaml> {
        let mut entries: Vec<(Yaml, Yaml)> = vec![];
        while let Some(i) = self.peek_indent() {
            if i < n {
                break;
            }
            if i > n {
                return Err("bad indentation of a mapping entry".into());
            }
            let content = self.lines[self.pos][n..].to_string();
            if content.starts_with('\t') {
                return Err("found a tab character that cannot start any token".into());
            }
            let Some((key, rest)) = split_key(&content)? else {
                return Err("could not find expected ':'".into());
            };
            let value_col = n + content.len() - rest.len();
            let value = self.value(&rest, value_col, n, true)?;
            entries.push((key, value));
        }
        Ok(Yaml::Map(entries))
    }

    fn block_seq(&mut self, s: usize) -> R<Yaml> {
        self.nested(|p| p.block_seq_items(s))
    }

    fn block_seq_items(&mut self, s: usize) -> R<Yaml> {
        let mut items = vec![];
        while let Some(i) = self.peek_indent() {
            if i < s {
                break;
            }
            let content = self.lines[self.pos][s..].to_string();
            if i > s || !is_seq_entry(&content) {
                // the entries of a sequence at a mapping's own indent end at its next key
                break;
            }
            let rest = &content[1..];
            let after = rest.trim_start_matches([' ', '\t']);
            let col = s + content.len() - after.len();
            if !after.is_empty() && !after.starts_with('#') && !is_seq_entry(after) {
                if let Some((key, value_rest)) = split_key(after)? {
                    // `- key: value` opens a mapping at the key's column
                    let value_col = col + after.len() - value_rest.len();
                    let first = self.value(&value_rest, value_col, col, true)?;
                    let mut map = match self.block_map(col)? {
                        Yaml::Map(m) => m,
                        _ => vec![],
                    };
                    map.insert(0, (key, first));
                    items.push(Yaml::Map(map));
                    continue;
                }
            }
            if is_seq_entry(after) {
                // `- - a`: a nested sequence starting on this line
                self.lines[self.pos] = format!("{}{}", " ".repeat(col), after);
                items.push(self.block_seq(col)?);
                continue;
            }
            items.push(self.value(rest, s + 1, s, false)?);
        }
        Ok(Yaml::Seq(items))
    }

    /// The value after a key (or `-`) on the current line: `rest` starts at column `col`,
    /// the entry's block sits at indent `n`. Consumes the lines of the value.
    fn value(&mut self, rest: &str, col: usize, n: usize, in_map: bool) -> R<Yaml> {
        let mut rest = rest.trim_start_matches([' ', '\t']).to_string();
        let mut col = col;
        let mut force_str = false;
        let mut opaque = false;
        let mut anchor = None;
        // anchors and tags before the node
        loop {
            if let Some(r) = rest.strip_prefix('&') {
                let name_len = r.find([' ', '\t']).unwrap_or(r.len());
                anchor = Some(r[..name_len].to_string());
                let skipped = 1 + name_len;
                let trimmed = rest[skipped..].trim_start_matches([' ', '\t']).to_string();
                col += rest.len() - trimmed.len();
                rest = trimmed;
                continue;
            }
            if let Some(r) = rest.strip_prefix('!') {
                let name_len = r.find([' ', '\t']).unwrap_or(r.len());
                let tag = &r[..name_len];
                match tag {
                    "!str" => force_str = true,
                    t if t.starts_with('!') => opaque = true,
                    _ => {
                        return Err(format!(
                            "could not determine a constructor for the tag !{tag}"
                        ))
                    }
                }
                let trimmed = rest[1 + name_len..]
                    .trim_start_matches([' ', '\t'])
                    .to_string();
                col += rest.len() - trimmed.len();
                rest = trimmed;
                continue;
            }
            break;
        }
        let node = self.untagged_value(&rest, col, n, in_map)?;
        let node = if opaque {
            Yaml::Other
        } else if force_str {
            match node {
                Yaml::Null => Yaml::Str(String::new()),
                Yaml::Str(s) => Yaml::Str(s),
                // `!!str 12`: the plain scalar's own text
                _ => {
                    let end = plain_line_end(&rest, true).unwrap_or(rest.len());
                    Yaml::Str(rest[..end].trim_end_matches([' ', '\t']).to_string())
                }
            }
        } else {
            node
        };
        if let Some(name) = anchor {
            self.anchors.insert(name, node.clone());
        }
        Ok(node)
    }

    fn untagged_value(&mut self, rest: &str, _col: usize, n: usize, in_map: bool) -> R<Yaml> {
        if rest.is_empty() || rest.starts_with('#') {
            self.pos += 1;
            let Some(i) = self.peek_indent() else {
                return Ok(Yaml::Null);
            };
            let content = self.lines[self.pos][i..].to_string();
            if i > n {
                if is_seq_entry(&content) {
                    return self.block_seq(i);
                }
                if content.starts_with('[') || content.starts_with('{') {
                    return self.value_on_own_line(i, n);
                }
                if content.starts_with(['"', '\'', '|', '>']) {
                    return self.value_on_own_line(i, n);
                }
                if split_key(&content)?.is_some() {
                    return self.block_map(i);
                }
                return self.value_on_own_line(i, n);
            }
            if i == n && in_map && is_seq_entry(&content) {
                return self.block_seq(i);
            }
            return Ok(Yaml::Null);
        }
        let first = rest.chars().next().unwrap_or(' ');
        match first {
            '|' | '>' => self.block_scalar(rest, n),
            '"' | '\'' | '[' | '{' => {
                // re-read from the bracket's column, which may be mid-line
                let line = self.lines[self.pos].clone();
                let start = line.len() - rest.len();
                self.lines[self.pos] = format!("{}{}", " ".repeat(start), &line[start..]);
                let v = self.flow_value(start)?;
                self.no_deeper_content(n)?;
                Ok(v)
            }
            '*' => {
                let end = rest.find([' ', '\t']).unwrap_or(rest.len());
                let tail = rest[end..].trim_start_matches([' ', '\t']);
                if !tail.is_empty() && !tail.starts_with('#') {
                    return Err("expected <block end> after an alias".into());
                }
                let node = self
                    .anchors
                    .get(&rest[1..end])
                    .cloned()
                    .ok_or_else(|| format!("found undefined alias {:?}", &rest[1..end]))?;
                self.pos += 1;
                self.no_deeper_content(n)?;
                Ok(node)
            }
            '-' | '?' | ':' if rest.len() == 1 || rest[1..].starts_with([' ', '\t']) => {
                Err(format!("block entries are not allowed here ('{first}')"))
            }
            ',' | ']' | '}' | '%' | '@' | '`' => Err(format!(
                "found character '{first}' that cannot start any token"
            )),
            _ => self.plain(rest, n),
        }
    }

    /// A scalar or flow node that starts on its own (more indented) line.
    fn value_on_own_line(&mut self, i: usize, n: usize) -> R<Yaml> {
        let line = self.lines[self.pos].clone();
        let content = &line[i..];
        // present it as the rest of a line so the same readers apply
        match content.chars().next() {
            Some('[') | Some('{') | Some('"') | Some('\'') => {
                let v = self.flow_value(i)?;
                self.no_deeper_content(n)?;
                Ok(v)
            }
            Some('|') | Some('>') => self.block_scalar(content, n),
            _ => self.plain(content, n),
        }
    }

    /// After a complete value: the next content line must not be more indented than `n`.
    fn no_deeper_content(&mut self, n: usize) -> R<()> {
        match self.peek_indent() {
            Some(i) if i > n => Err("expected <block end>, but found another scalar".into()),
            _ => Ok(()),
        }
    }

    fn plain(&mut self, first: &str, n: usize) -> R<Yaml> {
        let end = plain_line_end(first, true)?;
        let mut text = first[..end].trim_end_matches([' ', '\t']).to_string();
        let mut ended_by_comment = end < first.len();
        self.pos += 1;
        let mut breaks = 0usize;
        while !ended_by_comment {
            let Some(line) = self.line() else { break };
            let t = line.trim_start_matches([' ', '\t']);
            if t.is_empty() {
                breaks += 1;
                self.pos += 1;
                continue;
            }
            if indent(line) <= n || t.starts_with('#') {
                break;
            }
            let end = plain_line_end(t, true)?;
            let piece = t[..end].trim_end_matches([' ', '\t']);
            if breaks == 0 {
                text.push(' ');
            } else {
                text.push_str(&"\n".repeat(breaks));
            }
            breaks = 0;
            text.push_str(piece);
            ended_by_comment = end < t.len();
            self.pos += 1;
        }
        self.no_deeper_content(n)?;
        resolve_plain(&text)
    }

    /// `|` / `>` block scalar; `header` is the indicator's line tail, `n` the parent indent.
    fn block_scalar(&mut self, header: &str, n: usize) -> R<Yaml> {
        let folded = header.starts_with('>');
        let mut chomp: Option<bool> = None; // None clip, Some(false) strip, Some(true) keep
        let mut increment: Option<usize> = None;
        let mut rest = &header[1..];
        for _ in 0..2 {
            match rest.chars().next() {
                Some('+') if chomp.is_none() => chomp = Some(true),
                Some('-') if chomp.is_none() => chomp = Some(false),
                Some(d @ '1'..='9') if increment.is_none() => {
                    increment = Some(d as usize - '0' as usize)
                }
                Some('0') => return Err("expected indentation indicator in the range 1-9".into()),
                _ => break,
            }
            rest = &rest[1..];
        }
        let tail = rest.trim_start_matches([' ', '\t']);
        let comment_ok = tail.starts_with('#') && tail.len() < rest.len();
        if !tail.is_empty() && !comment_ok {
            return Err("expected a comment or a line break after a block scalar indicator".into());
        }
        self.pos += 1;
        let last = self.lines.len().saturating_sub(1);
        let min_indent = n + 1;
        let (ind, mut breaks) = match increment {
            Some(k) => (n + k, self.block_breaks(n + k)),
            None => {
                let (mut max, mut breaks) = (0, 0);
                while let Some(l) = self.line() {
                    let sp = indent(l);
                    max = max.max(sp);
                    if sp == l.len() && self.pos < last {
                        breaks += 1;
                        self.pos += 1;
                        continue;
                    }
                    break;
                }
                (max.max(min_indent), breaks)
            }
        };
        let mut chunks = String::new();
        let mut line_break = "";
        while let Some(l) = self.line().filter(|l| indent(l) >= ind && l.len() > ind) {
            chunks.push_str(&"\n".repeat(breaks));
            let body = l[ind..].to_string();
            let leading_non_space = !body.starts_with([' ', '\t']);
            chunks.push_str(&body);
            // the block's last line may end the (stripped) frontmatter without a break
            line_break = if self.pos < last { "\n" } else { "" };
            self.pos += 1;
            breaks = self.block_breaks(ind);
            match self.line().filter(|l| indent(l) >= ind && l.len() > ind) {
                Some(next) => {
                    let next_plain = !next[ind..].starts_with([' ', '\t']);
                    if folded && line_break == "\n" && leading_non_space && next_plain {
                        if breaks == 0 {
                            chunks.push(' ');
                        }
                    } else {
                        chunks.push_str(line_break);
                    }
                }
                None => break,
            }
        }
        if chomp != Some(false) {
            chunks.push_str(line_break);
        }
        if chomp == Some(true) {
            chunks.push_str(&"\n".repeat(breaks));
        }
        self.no_deeper_content(n)?;
        Ok(Yaml::Str(chunks))
    }

    /// Empty lines (at most `ind` spaces, then a break) inside or after a block scalar.
    fn block_breaks(&mut self, ind: usize) -> usize {
        let last = self.lines.len().saturating_sub(1);
        let mut count = 0;
        while let Some(l) = self.line() {
            if indent(l).min(ind) == l.len() && self.pos < last {
                count += 1;
                self.pos += 1;
                continue;
            }
            break;
        }
        count
    }

    /// A flow collection starting at column `start` of the current line.
    fn flow_value(&mut self, start: usize) -> R<Yaml> {
        let mut text = String::new();
        for l in &self.lines[self.pos..] {
            text.push_str(l);
            text.push('\n');
        }
        let chars: Vec<char> = text.chars().collect();
        let skip: usize = self.lines[self.pos][..start].chars().count();
        let mut f = Flow {
            c: &chars,
            i: skip,
            depth: self.depth,
        };
        let v = f.node()?;
        // the rest of the last line: blanks or a comment
        let consumed: String = chars[..f.i].iter().collect();
        let lines_used = consumed.matches('\n').count();
        let tail: String = chars[f.i..].iter().take_while(|c| **c != '\n').collect();
        let tail = tail.trim_start_matches([' ', '\t']);
        if !tail.is_empty() && !tail.starts_with('#') {
            return Err("expected <block end> after a flow collection".into());
        }
        self.pos += lines_used + 1;
        Ok(v)
    }
}

struct Flow<'a> {
    c: &'a [char],
    i: usize,
    /// Collections open around the current node (block ones included).
    depth: usize,
}

impl Flow<'_> {
    /// After a line break inside a quoted scalar: skip the next lines' indentation and count
    /// the empty lines.
    fn fold_breaks(&mut self) -> usize {
        let mut breaks = 0;
        loop {
            while matches!(self.peek(), Some(' ') | Some('\t')) {
                self.i += 1;
            }
            if self.peek() == Some('\n') {
                breaks += 1;
                self.i += 1;
                continue;
            }
            return breaks;
        }
    }

    fn hex(&mut self, n: usize) -> R<char> {
        let mut v = 0u32;
        for _ in 0..n {
            let d = self
                .peek()
                .and_then(|c| c.to_digit(16))
                .ok_or("expected escape sequence of hexadecimal numbers")?;
            self.i += 1;
            v = v * 16 + d;
        }
        char::from_u32(v).ok_or_else(|| "invalid escape code point".to_string())
    }

    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(ch) = self.peek() {
            if ch == ' ' || ch == '\t' || ch == '\n' {
                self.i += 1;
            } else if ch == '#' && (self.i == 0 || matches!(self.c[self.i - 1], ' ' | '\t' | '\n'))
            {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
            } else {
                break;
            }
        }
    }

    /// One node, one level deeper (refused past [`MAX_DEPTH`]).
    fn node(&mut self) -> R<Yaml> {
        if self.depth >= MAX_DEPTH {
            return Err(TOO_DEEP.into());
        }
        self.depth += 1;
        let result = self.node_at_depth();
        self.depth -= 1;
        result
    }

    fn node_at_depth(&mut self) -> R<Yaml> {
        self.ws();
        match self.peek() {
            Some('[') => {
                self.i += 1;
                let mut items = vec![];
                loop {
                    self.ws();
                    match self.peek() {
                        Some(']') => {
                            self.i += 1;
                            return Ok(Yaml::Seq(items));
                        }
                        None => return Err("unexpected end of a flow sequence".into()),
                        _ => {}
                    }
                    let item = self.node()?;
                    self.ws();
                    if self.peek() == Some(':') {
                        self.i += 1;
                        let v = self.node()?;
                        items.push(Yaml::Map(vec![(item, v)]));
                        self.ws();
                    } else {
                        items.push(item);
                    }
                    match self.peek() {
                        Some(',') => self.i += 1,
                        Some(']') => {}
                        _ => return Err("expected ',' or ']' in a flow sequence".into()),
                    }
                }
            }
            Some('{') => {
                self.i += 1;
                let mut entries = vec![];
                loop {
                    self.ws();
                    match self.peek() {
                        Some('}') => {
                            self.i += 1;
                            return Ok(Yaml::Map(entries));
                        }
                        None => return Err("unexpected end of a flow mapping".into()),
                        _ => {}
                    }
                    let k = self.node()?;
                    self.ws();
                    let v = if self.peek() == Some(':') {
                        self.i += 1;
                        self.ws();
                        if matches!(self.peek(), Some(',') | Some('}')) {
                            Yaml::Null
                        } else {
                            self.node()?
                        }
                    } else {
                        Yaml::Null
                    };
                    entries.push((k, v));
                    self.ws();
                    match self.peek() {
                        Some(',') => self.i += 1,
                        Some('}') => {}
                        _ => return Err("expected ',' or '}' in a flow mapping".into()),
                    }
                }
            }
            Some(q @ ('"' | '\'')) => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    let Some(ch) = self.peek() else {
                        return Err("unexpected end of a quoted scalar".into());
                    };
                    self.i += 1;
                    if ch == q {
                        if q == '\'' && self.peek() == Some('\'') {
                            self.i += 1;
                            out.push('\'');
                            continue;
                        }
                        return Ok(Yaml::Str(out));
                    }
                    if ch == '\\' && q == '"' {
                        let e = self.peek().ok_or("unexpected end of a quoted scalar")?;
                        self.i += 1;
                        match e {
                            '\n' => {
                                // an escaped break joins the lines without a space
                                let breaks = self.fold_breaks();
                                out.push_str(&"\n".repeat(breaks));
                            }
                            'x' => out.push(self.hex(2)?),
                            'u' => out.push(self.hex(4)?),
                            'U' => out.push(self.hex(8)?),
                            e => {
                                out.push(simple_escape(e).ok_or_else(|| {
                                    format!("found unknown escape character {e:?}")
                                })?)
                            }
                        }
                        continue;
                    }
                    if ch == '\n' {
                        let trimmed = out.trim_end_matches([' ', '\t']).len();
                        out.truncate(trimmed);
                        let breaks = self.fold_breaks();
                        if breaks == 0 {
                            out.push(' ');
                        } else {
                            out.push_str(&"\n".repeat(breaks));
                        }
                        continue;
                    }
                    out.push(ch);
                }
            }
            Some(',') | Some(']') | Some('}') => Ok(Yaml::Null),
            None => Err("unexpected end of a flow collection".into()),
            Some(_) => {
                let mut s = String::new();
                while let Some(ch) = self.peek() {
                    if matches!(ch, ',' | '[' | ']' | '{' | '}') {
                        break;
                    }
                    if ch == ':'
                        && self.c.get(self.i + 1).is_none_or(|n| {
                            matches!(n, ' ' | '\t' | '\n' | ',' | '[' | ']' | '{' | '}')
                        })
                    {
                        break;
                    }
                    if ch == '#' && s.ends_with([' ', '\t', '\n']) {
                        break;
                    }
                    s.push(if ch == '\n' { ' ' } else { ch });
                    self.i += 1;
                }
                let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
                resolve_plain(&folded)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fm(text: &str) -> Result<Option<Yaml>, FrontmatterError> {
        parse_frontmatter(text)
    }

    fn get(text: &str, key: &str) -> Yaml {
        fm(text)
            .unwrap()
            .unwrap()
            .get(key)
            .cloned()
            .unwrap_or(Yaml::Null)
    }

    #[test]
    fn plain_quoted_and_block_scalars() {
        let t = "---\nname: pdf\ndescription: Read PDFs # a comment\n---\nbody";
        assert_eq!(get(t, "name"), Yaml::Str("pdf".into()));
        assert_eq!(get(t, "description"), Yaml::Str("Read PDFs".into()));
        let t = "---\nname: \"a \\\"b\\\" \\u00e9\"\ndescription: 'it''s'\n---\n";
        assert_eq!(get(t, "name"), Yaml::Str("a \"b\" é".into()));
        assert_eq!(get(t, "description"), Yaml::Str("it's".into()));
        let t = "---\ndescription: |\n  line one\n  line two\n\nname: x\n---\n";
        assert_eq!(
            get(t, "description"),
            Yaml::Str("line one\nline two\n".into())
        );
        let t = "---\ndescription: >-\n  folded\n  text\n\n  para\nname: x\n---\n";
        assert_eq!(get(t, "description"), Yaml::Str("folded text\npara".into()));
        let t = "---\ndescription: first\n  second\n\n  third\n---\n";
        assert_eq!(
            get(t, "description"),
            Yaml::Str("first second\nthird".into())
        );
        let t = "---\ndescription: \"one\n  two\"\n---\n";
        assert_eq!(get(t, "description"), Yaml::Str("one two".into()));
    }

    #[test]
    fn yaml_1_1_resolution() {
        assert_eq!(get("---\nname: yes\n---", "name"), Yaml::Bool(true));
        assert_eq!(
            get("---\nname: 0\n---", "name"),
            Yaml::Number { zero: true }
        );
        assert_eq!(
            get("---\nname: 12\n---", "name"),
            Yaml::Number { zero: false }
        );
        assert_eq!(
            get("---\nname: 1.5\n---", "name"),
            Yaml::Number { zero: false }
        );
        assert_eq!(get("---\nname: ~\n---", "name"), Yaml::Null);
        assert_eq!(get("---\nname: 2024-01-02\n---", "name"), Yaml::Other);
        assert_eq!(get("---\nname: 1e5\n---", "name"), Yaml::Str("1e5".into()));
        assert_eq!(get("---\nname: 09\n---", "name"), Yaml::Str("09".into()));
    }

    #[test]
    fn nested_and_flow_values() {
        let t = "---\nname: x\nmetadata:\n  author: me\n  tags: [a, b]\nallowed-tools:\n- Read\n- Write\nlist:\n  - a: 1\n    b: 2\n  - c\ndescription: d\n---\n";
        assert_eq!(get(t, "description"), Yaml::Str("d".into()));
        assert_eq!(
            get(t, "allowed-tools"),
            Yaml::Seq(vec![Yaml::Str("Read".into()), Yaml::Str("Write".into())])
        );
        assert!(matches!(get(t, "metadata"), Yaml::Map(m) if m.len() == 2));
        assert!(matches!(get(t, "list"), Yaml::Seq(v) if v.len() == 2));
        let t = "---\nx: {a: 1,\n  b: [2, 3]}\nname: n\n---\n";
        assert_eq!(get(t, "name"), Yaml::Str("n".into()));
    }

    #[test]
    fn quoted_scalar_lines_and_quoted_keys() {
        // issue 19 item 1: these lines used to index past the end and abort kagent
        assert_eq!(fm("---\n\"d\"\n---\n"), Err(FrontmatterError::NotMapping));
        assert!(fm("---\n\"a\"é\n---\n").is_err());
        assert!(fm("---\n'd'\n---\n").is_err());
        // and a quoted key is read (it used to be skipped over, losing the skill)
        assert_eq!(
            get("---\n\"description\": x\n---\n", "description"),
            Yaml::Str("x".into())
        );
        assert_eq!(
            get("---\n'name': \"n\"\n---\n", "name"),
            Yaml::Str("n".into())
        );
    }

    #[test]
    fn nesting_past_the_limit_is_pyyaml_recursion_error() {
        // issue 19 item 2: a flow collection 30,000 deep used to overflow the stack
        let deep = format!("a: {}{}", "[".repeat(30_000), "]".repeat(30_000));
        assert_eq!(parse_yaml(&deep), Err(TOO_DEEP.to_string()));
        let flow_map = format!("a: {}1{}", "{b: ".repeat(30_000), "}".repeat(30_000));
        assert_eq!(parse_yaml(&flow_map), Err(TOO_DEEP.to_string()));
        let levels = MAX_DEPTH + 10;
        let block: String = (0..levels)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert_eq!(parse_yaml(&block), Err(TOO_DEEP.to_string()));
        let seq = format!("{}x", "- ".repeat(levels));
        assert_eq!(parse_yaml(&seq), Err(TOO_DEEP.to_string()));
        // within the limit (block and flow levels add up) it parses
        let ok = format!(
            "a:\n  b: {}{}",
            "[".repeat(MAX_DEPTH - 2),
            "]".repeat(MAX_DEPTH - 2)
        );
        assert!(parse_yaml(&ok).is_ok());
    }

    #[test]
    fn invalid_or_absent() {
        assert_eq!(fm("no frontmatter"), Ok(None));
        assert_eq!(fm("---\nname: x\n"), Ok(None));
        assert_eq!(fm("---\n\n---\nbody"), Ok(None));
        assert!(matches!(
            fm("---\ndescription: use: this\n---\n"),
            Err(FrontmatterError::Yaml(_))
        ));
        assert!(matches!(
            fm("---\nname: x\n  bad: y\n---\n"),
            Err(FrontmatterError::Yaml(_))
        ));
        assert!(matches!(
            fm("---\nname: \"x\" y\n---\n"),
            Err(FrontmatterError::Yaml(_))
        ));
        assert_eq!(
            fm("---\njust text\n---\n"),
            Err(FrontmatterError::NotMapping)
        );
        assert_eq!(fm("---\n- a\n---\n"), Err(FrontmatterError::NotMapping));
        assert_eq!(
            fm("---\n# only a comment\n---\n"),
            Err(FrontmatterError::NotMapping)
        );
    }

    /// Each case checked against PyYAML 6.0.3 `safe_load` (`None`: it raises).
    #[test]
    fn agrees_with_pyyaml() {
        let s = |v: &str| Some(Yaml::Str(v.into()));
        let n = |zero: bool| Some(Yaml::Number { zero });
        let cases: &[(&str, Option<Yaml>)] = &[
            ("d: a: b", None),
            ("d: b\n  c: d", None),
            ("d: |\n  hello", s("hello")),
            ("d: |\n  hello\n\nn: x", s("hello\n")),
            ("d: >\n  a\n  b\n\n  c\n   d\n  e", s("a b\nc\n d\ne")),
            ("d: first\n  second\n\n  third", s("first second\nthird")),
            ("d: \"one\n  two\"", s("one two")),
            ("d: 'x'y", None),
            ("d: x\n# c\n  y", None),
            ("d:\n  text here\n  more", s("text here more")),
            ("d: foo #c\n  bar", None),
            ("d: - a", None),
            ("d: x\n\tn: y", None),
            ("d: |+\n  a\n\n", s("a\n\n")),
            ("d: |-\n  a\n\n", s("a")),
            ("d: >\n  a\n    b\n  c", s("a\n  b\nc")),
            ("d: a #b: c", s("a")),
            ("d: a:b", s("a:b")),
            ("d: [a, b", None),
            ("d: =", None),
            ("d: !foo x", None),
            ("d: 0_0", n(true)),
            ("d: 1:30", n(false)),
            ("d: 190:20:30.15", n(false)),
            ("d: .5", n(false)),
            ("d: -.inf", n(false)),
            ("d: 2024-13-01", None),
            ("d: 2001-12-14t21:59:43.10-05:00", Some(Yaml::Other)),
            ("d: '''a'''", s("'a'")),
            ("d: \"a\\\n   b\"", s("ab")),
            ("d: |2\n   x\n  y", s(" x\ny")),
            ("d: @x", None),
            ("d: x\n  - y", s("x - y")),
            ("d: |\n\n  a\n", s("\na\n")),
            ("d: >\n a\n b", s("a b")),
            ("e: &a x\nd: *a", s("x")),
            ("d: *nowhere", None),
            ("d: !!str 12", s("12")),
        ];
        for (text, want) in cases {
            let got = parse_yaml(text)
                .ok()
                .map(|v| v.get("d").cloned().unwrap_or(Yaml::Null));
            assert_eq!(&got, want, "{text:?}");
        }
        let d = parse_yaml("d: {a: 1, b}").unwrap();
        assert_eq!(
            d.get("d"),
            Some(&Yaml::Map(vec![
                (Yaml::Str("a".into()), Yaml::Number { zero: false }),
                (Yaml::Str("b".into()), Yaml::Null)
            ]))
        );
    }

    #[test]
    fn strips_like_kimi() {
        assert_eq!(strip_frontmatter("---\na: b\n---\nbody\n"), "body\n");
        assert_eq!(strip_frontmatter("---\na: b\nbody\n"), "---\na: b\nbody\n");
        assert_eq!(strip_frontmatter("plain"), "plain");
    }
}
