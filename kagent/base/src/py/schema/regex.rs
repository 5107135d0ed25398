//! Python's `re.search(pattern, s)` for the `pattern` and `patternProperties` keywords (and
//! `re.compile` for the metaschemas' `format: regex`, which `check_schema` asserts).
//!
//! A pattern is parsed with Python 3.13's `re` syntax (sre_parse's rules: a `{` that starts
//! no valid `{m,n}` is a literal, `{,n}` and `{,}` are repeats but `{}` a literal, comments are
//! transparent to a following repeat, global flags only at the very start, `(?P<name>...)` but
//! not `(?<name>...)`, octal versus group-reference escapes, "bad escape" for an unknown
//! ASCII-letter escape, fixed-width lookbehinds, ...), so what Python refuses is refused. The
//! tree is then written for `regex-automata` (kagent's regex engine, already in Cargo.lock)
//! with Python's meanings spelled out: every literal as `\x{..}`; `\d` is `\p{Nd}` (as Python),
//! `\w` is `[\p{L}\p{N}_]` (Python's `str.isalnum` or `_`; Rust's `\w` has marks and connector
//! punctuation), `\s` is the characters of `str.isspace` (Rust's lacks U+001C..U+001F); with
//! `(?a)` they are ASCII; `^` without `(?m)` is `\A`; `\Z` is `\z`; `$` without `(?m)` (the end,
//! or before a final `\n`) is `(?:\n?\z)`; verbose `(?x)` whitespace and comments are dropped
//! here, never handed to Rust (whose `x` also ignores whitespace inside classes); class items
//! are escaped, so Rust's class set operations (`&&`, `--`, nested `[`) never apply.
//!
//! Patterns regex-automata cannot run go to kagent's backtracking matcher (`backtrack.rs`):
//! lookahead and lookbehind, backreferences (`\1`, `(?P=n)`), conditionals `(?(1)a|b)`,
//! atomic groups `(?>...)`, possessive repeats `a*+`, `\b`/`\B` (Python's word characters, and
//! `\B` never matches the empty string in 3.13), and a `$` that something consuming follows.
//!
//! Still different from Python: `(?i)` folds with Rust's simple case folding (Python's differs
//! for a few characters, and `(?ai)` folds ASCII only in Python); `\N{NAME}` (kagent has no
//! Unicode name table) makes the pattern [`Regex::Unsupported`], as does a backtracking search
//! given up (over a million steps, or a long string under a repeat): Python compiles the
//! pattern, kagent cannot answer, and treats every string as matching (so the value goes
//! through to the MCP server), logging a warning.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A compiled `pattern`.
#[derive(Clone)]
pub enum Regex {
    /// Python can compile it and so can kagent.
    Rust(Arc<regex_automata::meta::Regex>),
    /// Lookaround, backreferences, conditionals, atomic groups, possessive repeats: run by
    /// kagent's own backtracking matcher.
    Backtrack(Arc<super::backtrack::Program>),
    /// Python can compile it; kagent has no engine for it (see the module doc).
    Unsupported,
}

impl Regex {
    /// `re.search(pattern, s) is not None`; `true` for an [`Regex::Unsupported`] pattern.
    pub fn search(&self, s: &str) -> bool {
        match self {
            Regex::Rust(re) => re.is_match(s),
            Regex::Backtrack(p) => p.search(s),
            Regex::Unsupported => true,
        }
    }
}

/// What `re.compile` makes of a pattern: a [`Regex`], `Err(None)` for `re.error`, `Err(Some(text))`
/// for another exception.
pub type Compiled = Result<Regex, Option<String>>;

/// `re.compile(pattern)`: `Err(None)` when Python raises `re.error`, `Err(Some(text))` when it
/// raises another exception (`ValueError: ASCII and UNICODE flags are incompatible` for
/// `(?a)(?u)`, which `format: regex` does not catch). Compiled patterns are cached.
pub fn compile(pattern: &str) -> Compiled {
    static CACHE: OnceLock<Mutex<HashMap<String, Compiled>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = crate::sync::lock(cache).get(pattern) {
        return hit.clone();
    }
    let compiled = match translate(pattern) {
        Err(Fail::Invalid) => Err(None),
        Err(Fail::Raises(text)) => Err(Some(text.to_string())),
        Ok(node) if node.rust().is_none() => match super::backtrack::Program::new(&node) {
            Some(program) => Ok(Regex::Backtrack(Arc::new(program))),
            None => {
                crate::logging::warn(&format!(
                    "JSON Schema pattern kagent cannot search with; treated as matching: {pattern:?}"
                ));
                Ok(Regex::Unsupported)
            }
        },
        Err(Fail::Unsupported) => {
            crate::logging::warn(&format!(
                "JSON Schema pattern uses Python regex features kagent cannot search with; treated as matching: {pattern:?}"
            ));
            Ok(Regex::Unsupported)
        }
        Ok(node) => match regex_automata::meta::Regex::new(&node.rust().unwrap_or_default()) {
            Ok(re) => Ok(Regex::Rust(Arc::new(re))),
            Err(e) => {
                crate::logging::warn(&format!(
                    "JSON Schema pattern {pattern:?} does not compile in kagent ({e}); treated as matching"
                ));
                Ok(Regex::Unsupported)
            }
        },
    };
    let mut map = crate::sync::lock(cache);
    if map.len() > 512 {
        map.clear();
    }
    map.insert(pattern.to_string(), compiled.clone());
    compiled
}

/// `re.search(pattern, s)` with an invalid pattern counting as no match (callers check the
/// pattern with [`compile`] first where Python would raise).
pub fn search(pattern: &str, s: &str) -> bool {
    compile(pattern).is_ok_and(|re| re.search(s))
}

#[derive(Debug, PartialEq, Eq)]
enum Fail {
    /// Python's `re.compile` raises.
    Invalid,
    /// Valid Python, no regex-automata equivalent.
    Unsupported,
    /// `re.compile` raises something other than `re.error`, with this text.
    Raises(&'static str),
}

/// A parsed pattern: what Python's sre_parse makes of it, enough to write it for
/// regex-automata or to run it with [`super::backtrack`].
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// One character out of a set, in regex-automata syntax (a literal, `.`, a class).
    Atom(String),
    Anchor(Anchor),
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    /// A group: capturing (its number) or not.
    Group(Option<usize>, Box<Node>),
    Repeat {
        node: Box<Node>,
        min: u64,
        max: Option<u64>,
        lazy: bool,
        possessive: bool,
    },
    Look {
        behind: bool,
        negate: bool,
        node: Box<Node>,
    },
    Backref(usize, bool),
    Atomic(Box<Node>),
    Cond(usize, Box<Node>, Box<Node>),
}

/// The zero-width assertions (`$` without `(?m)`: at the end or before a final `\n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    Start,
    End,
    Dollar,
    LineStart,
    LineEnd,
    Word { ascii: bool },
    NotWord { ascii: bool },
}

impl Node {
    /// The pattern in regex-automata syntax; `None` when it needs a feature that engine lacks.
    fn rust(&self) -> Option<String> {
        Some(match self {
            Node::Atom(a) => a.clone(),
            Node::Anchor(a) => match a {
                Anchor::Start => r"\A".into(),
                Anchor::End => r"\z".into(),
                Anchor::Dollar => r"(?:\n?\z)".into(),
                Anchor::LineStart => "(?m:^)".into(),
                Anchor::LineEnd => "(?m:$)".into(),
                // Python's word characters are not Rust's (and `\B` never matches ""): the
                // backtracking matcher has Python's
                Anchor::Word { .. } | Anchor::NotWord { .. } => return None,
            },
            Node::Seq(items) => {
                // `$` as `(?:\n?\z)` consumes the final `\n`: exact only when nothing that
                // consumes characters follows it
                let dollar = items
                    .iter()
                    .position(|n| matches!(n, Node::Anchor(Anchor::Dollar)));
                if let Some(d) = dollar {
                    if items.iter().skip(d + 1).any(|n| n.width() != Some(0)) {
                        return None;
                    }
                }
                items.iter().map(Node::rust).collect::<Option<String>>()?
            }
            Node::Alt(branches) => branches
                .iter()
                .map(Node::rust)
                .collect::<Option<Vec<String>>>()?
                .join("|"),
            Node::Group(Some(_), inner) => format!("({})", inner.rust()?),
            Node::Group(None, inner) => format!("(?:{})", inner.rust()?),
            Node::Repeat {
                node,
                min,
                max,
                lazy,
                possessive: false,
            } => {
                // Python's MAXREPEAT; Rust's engine refuses far smaller counts anyway
                if *min >= u64::from(u32::MAX) || max.is_some_and(|m| m >= u64::from(u32::MAX)) {
                    return None;
                }
                let q = match max {
                    Some(m) if m == min => format!("{{{min}}}"),
                    Some(m) => format!("{{{min},{m}}}"),
                    None => format!("{{{min},}}"),
                };
                format!("(?:{}){q}{}", node.rust()?, if *lazy { "?" } else { "" })
            }
            Node::Repeat { .. }
            | Node::Look { .. }
            | Node::Backref(..)
            | Node::Atomic(_)
            | Node::Cond(..) => return None,
        })
    }

    /// The fixed number of characters the node matches (Python requires one in a lookbehind).
    pub(super) fn width(&self) -> Option<usize> {
        match self {
            Node::Atom(_) => Some(1),
            Node::Anchor(_) | Node::Look { .. } => Some(0),
            Node::Seq(items) => items.iter().map(Node::width).sum(),
            Node::Alt(branches) => {
                let w = branches.first().map_or(Some(0), Node::width)?;
                branches.iter().all(|b| b.width() == Some(w)).then_some(w)
            }
            Node::Group(_, inner) | Node::Atomic(inner) => inner.width(),
            Node::Repeat { node, min, max, .. } if *max == Some(*min) => {
                usize::try_from(*min).ok()?.checked_mul(node.width()?)
            }
            Node::Cond(_, yes, no) => {
                let w = yes.width()?;
                (no.width() == Some(w)).then_some(w)
            }
            Node::Repeat { .. } | Node::Backref(..) => None,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Flags {
    i: bool,
    m: bool,
    s: bool,
    x: bool,
    a: bool,
}

/// A repeat: (min, max, lazy, possessive).
type Quant = (u64, Option<u64>, bool, bool);

const MAX_DEPTH: usize = 200;

struct Parser {
    chars: Vec<char>,
    pos: usize,
    /// Capturing groups opened so far, and which of them are closed.
    groups: usize,
    closed: Vec<bool>,
    names: Vec<(String, usize)>,
    unsupported: bool,
    depth: usize,
    /// Global `(?a)` and `(?u)` seen (each alone is fine, together a `ValueError`).
    global_a: bool,
    global_u: bool,
}

/// Python `re` syntax → regex-automata syntax with the same matches (see the module doc).
fn translate(pattern: &str) -> Result<Node, Fail> {
    let mut p = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
        groups: 0,
        closed: vec![],
        names: vec![],
        unsupported: false,
        depth: 0,
        global_a: false,
        global_u: false,
    };
    let out = p.alternation(Flags::default(), true)?;
    if p.pos < p.chars.len() {
        // a `)` without its `(`
        return Err(Fail::Invalid);
    }
    if p.global_a && p.global_u {
        return Err(Fail::Raises("ASCII and UNICODE flags are incompatible"));
    }
    if p.unsupported {
        return Err(Fail::Unsupported);
    }
    Ok(out)
}

fn lit(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else {
        format!("\\x{{{:X}}}", c as u32)
    }
}

fn space_items(ascii: bool) -> &'static str {
    if ascii {
        r"\t\n\x0B\x0C\r\x20"
    } else {
        r"\t\n\x0B\x0C\r\x1C-\x20\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"
    }
}

/// The class items (no brackets) of `\d`, `\s`, `\w`.
fn category_items(c: char, ascii: bool) -> String {
    match (c.to_ascii_lowercase(), ascii) {
        ('d', false) => r"\p{Nd}".into(),
        ('d', true) => "0-9".into(),
        ('w', false) => r"\p{L}\p{N}_".into(),
        ('w', true) => "0-9A-Za-z_".into(),
        _ => space_items(ascii).into(),
    }
}

/// A `\d`-like escape as one class (negated for the upper-case letter).
fn category_class(c: char, ascii: bool) -> String {
    let neg = if c.is_ascii_uppercase() { "^" } else { "" };
    format!("[{neg}{}]", category_items(c, ascii))
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.pos + k).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Verbose mode: whitespace and `#` comments between items are not part of the pattern.
    fn skip_verbose(&mut self, flags: Flags) {
        if !flags.x {
            return;
        }
        while let Some(c) = self.peek() {
            if c == '#' {
                while let Some(c) = self.next() {
                    if c == '\n' {
                        break;
                    }
                }
            } else if " \t\n\r\x0b\x0c".contains(c) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn alternation(&mut self, flags: Flags, top: bool) -> Result<Node, Fail> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Fail::Unsupported);
        }
        let mut flags = flags;
        let mut branches = vec![];
        loop {
            let first = top && branches.is_empty();
            branches.push(self.sequence(&mut flags, first)?);
            if !self.eat('|') {
                break;
            }
        }
        self.depth -= 1;
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Seq(vec![]))
        } else {
            Node::Alt(branches)
        })
    }

    /// One branch, up to `|`, `)` or the end; `flags` may gain the global flags (first branch).
    fn sequence(&mut self, flags: &mut Flags, first: bool) -> Result<Node, Fail> {
        let mut out: Vec<Node> = vec![];
        // what a repeat would apply to: the last atom (its start in `out`), a repeat
        // ("multiple repeat"), or nothing / an anchor ("nothing to repeat"); comments and
        // verbose whitespace in between do not count, as in sre_parse
        let mut last = false;
        let mut repeated = false;
        loop {
            self.skip_verbose(*flags);
            let Some(c) = self.peek() else { break };
            if c == '|' || c == ')' {
                break;
            }
            let is_repeat = matches!(c, '*' | '+' | '?')
                || (c == '{' && {
                    self.pos += 1;
                    let valid = self.repeat_bounds().is_some();
                    self.pos -= 1;
                    valid
                });
            if is_repeat {
                if repeated {
                    return Err(Fail::Invalid); // multiple repeat
                }
                let (true, Some(atom)) = (last, out.pop()) else {
                    return Err(Fail::Invalid); // nothing to repeat
                };
                let (min, max, lazy, possessive) = self.quantifier()?.ok_or(Fail::Invalid)?;
                out.push(Node::Repeat {
                    node: Box::new(atom),
                    min,
                    max,
                    lazy,
                    possessive,
                });
                repeated = true;
                continue;
            }
            self.pos += 1;
            let f = *flags;
            let atom: Node = match c {
                '(' => match self.group(flags, first && out.is_empty())? {
                    Some(g) => g,
                    None => continue, // a comment or global flags: no item
                },
                '[' => Node::Atom(self.class(f)?),
                '.' => Node::Atom(if f.s { "(?s:.)" } else { "." }.into()),
                '^' | '$' => {
                    out.push(Node::Anchor(match (c, f.m) {
                        ('^', true) => Anchor::LineStart,
                        ('^', false) => Anchor::Start,
                        (_, true) => Anchor::LineEnd,
                        (_, false) => Anchor::Dollar,
                    }));
                    (last, repeated) = (false, false);
                    continue;
                }
                '\\' => match self.escape(f)? {
                    Esc::Anchor(a) => {
                        out.push(Node::Anchor(a));
                        (last, repeated) = (false, false);
                        continue;
                    }
                    Esc::Atom(a) => a,
                },
                other => {
                    let l = lit(other);
                    Node::Atom(if f.i { format!("(?i:{l})") } else { l })
                }
            };
            last = true;
            repeated = false;
            out.push(atom);
        }
        Ok(Node::Seq(out))
    }

    /// `{m}`, `{m,}`, `{,n}`, `{m,n}`, `{,}` at the current position (just after `{`), without
    /// consuming; `None` when the `{` is a literal.
    fn repeat_bounds(&self) -> Option<(usize, Option<u64>, Option<u64>)> {
        let mut k = self.pos;
        let digits = |k: &mut usize| {
            let s = *k;
            while self.chars.get(*k).is_some_and(char::is_ascii_digit) {
                *k += 1;
            }
            self.chars
                .get(s..*k)
                .unwrap_or_default()
                .iter()
                .collect::<String>()
        };
        let lo = digits(&mut k);
        let hi = if self.chars.get(k) == Some(&',') {
            k += 1;
            Some(digits(&mut k))
        } else {
            None
        };
        if self.chars.get(k) != Some(&'}') || (lo.is_empty() && hi.is_none()) {
            return None; // `{}` is a literal too
        }
        let parse = |d: &str| {
            if d.is_empty() {
                None
            } else {
                Some(d.parse::<u64>().unwrap_or(u64::MAX))
            }
        };
        let lo_n = parse(&lo);
        let hi_n = match &hi {
            None => lo_n,
            Some(h) => parse(h),
        };
        Some((
            k + 1,
            lo_n,
            if hi.is_none() && lo.is_empty() {
                None
            } else {
                hi_n
            },
        ))
    }

    /// A repeat operator at the current position (consumed), as Rust syntax.
    /// A repeat operator at the current position (consumed): (min, max, lazy, possessive).
    fn quantifier(&mut self) -> Result<Option<Quant>, Fail> {
        let (min, max) = match self.peek() {
            Some(c @ ('*' | '+' | '?')) => {
                self.pos += 1;
                match c {
                    '*' => (0, None),
                    '+' => (1, None),
                    _ => (0, Some(1)),
                }
            }
            Some('{') => {
                self.pos += 1;
                let Some((end, lo, hi)) = self.repeat_bounds() else {
                    self.pos -= 1;
                    return Ok(None);
                };
                self.pos = end;
                let lo = lo.unwrap_or(0);
                if let Some(h) = hi {
                    if h < lo {
                        return Err(Fail::Invalid); // min repeat greater than max repeat
                    }
                }
                if lo >= u64::from(u32::MAX) || hi.is_some_and(|h| h >= u64::from(u32::MAX)) {
                    self.unsupported = true; // Python: OverflowError
                }
                (lo, hi)
            }
            _ => return Ok(None),
        };
        if self.eat('?') {
            return Ok(Some((min, max, true, false)));
        }
        let possessive = self.eat('+');
        Ok(Some((min, max, false, possessive)))
    }

    fn group_name(&mut self, end: char) -> Result<String, Fail> {
        let mut name = String::new();
        loop {
            match self.next() {
                None => return Err(Fail::Invalid),
                Some(c) if c == end => break,
                Some(c) => name.push(c),
            }
        }
        let mut cs = name.chars();
        let ok = cs.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && cs.all(|c| c.is_alphanumeric() || c == '_');
        if ok {
            Ok(name)
        } else {
            Err(Fail::Invalid)
        }
    }

    fn close(&mut self) -> Result<(), Fail> {
        if self.eat(')') {
            Ok(())
        } else {
            Err(Fail::Invalid) // missing ), unterminated subpattern
        }
    }

    /// After `(`: the group as Rust syntax, or `None` for a comment / global flags.
    fn group(&mut self, flags: &mut Flags, at_start: bool) -> Result<Option<Node>, Fail> {
        let f = *flags;
        if !self.eat('?') {
            self.groups += 1;
            let n = self.groups;
            self.closed.push(false);
            let inner = self.alternation(f, false)?;
            self.close()?;
            if let Some(c) = self.closed.get_mut(n - 1) {
                *c = true;
            }
            return Ok(Some(Node::Group(Some(n), Box::new(inner))));
        }
        match self.next() {
            Some(':') => {
                let inner = self.alternation(f, false)?;
                self.close()?;
                Ok(Some(Node::Group(None, Box::new(inner))))
            }
            Some('P') => match self.next() {
                Some('<') => {
                    let name = self.group_name('>')?;
                    if self.names.iter().any(|(n, _)| *n == name) {
                        return Err(Fail::Invalid); // redefinition of group name
                    }
                    self.groups += 1;
                    let n = self.groups;
                    self.names.push((name, n));
                    self.closed.push(false);
                    let inner = self.alternation(f, false)?;
                    self.close()?;
                    if let Some(c) = self.closed.get_mut(n - 1) {
                        *c = true;
                    }
                    Ok(Some(Node::Group(Some(n), Box::new(inner))))
                }
                Some('=') => {
                    let name = self.group_name(')')?;
                    let Some(&(_, n)) = self.names.iter().find(|(g, _)| *g == name) else {
                        return Err(Fail::Invalid); // unknown group name
                    };
                    if !self.closed.get(n - 1).copied().unwrap_or(false) {
                        return Err(Fail::Invalid); // cannot refer to an open group
                    }
                    Ok(Some(Node::Backref(n, f.i)))
                }
                _ => Err(Fail::Invalid),
            },
            Some('#') => {
                loop {
                    match self.next() {
                        None => return Err(Fail::Invalid),
                        Some(')') => break,
                        Some(_) => {}
                    }
                }
                Ok(None)
            }
            Some(c @ ('=' | '!')) => {
                let inner = self.alternation(f, false)?;
                self.close()?;
                Ok(Some(Node::Look {
                    behind: false,
                    negate: c == '!',
                    node: Box::new(inner),
                }))
            }
            Some('<') => match self.next() {
                Some(c @ ('=' | '!')) => {
                    let inner = self.alternation(f, false)?;
                    self.close()?;
                    if inner.width().is_none() {
                        return Err(Fail::Invalid); // look-behind requires fixed-width pattern
                    }
                    Ok(Some(Node::Look {
                        behind: true,
                        negate: c == '!',
                        node: Box::new(inner),
                    }))
                }
                _ => Err(Fail::Invalid), // unknown extension ?<x (no `(?<name>...)` in Python)
            },
            Some('>') => {
                let inner = self.alternation(f, false)?;
                self.close()?;
                Ok(Some(Node::Atomic(Box::new(inner))))
            }
            Some('(') => {
                // conditional: a group number or name, then yes|no
                let mut cond = String::new();
                loop {
                    match self.next() {
                        None => return Err(Fail::Invalid),
                        Some(')') => break,
                        Some(c) => cond.push(c),
                    }
                }
                let group = match cond.parse::<usize>() {
                    Ok(n) if n >= 1 && n <= self.groups => n,
                    Ok(_) => return Err(Fail::Invalid),
                    Err(_) => match self.names.iter().find(|(g, _)| *g == cond) {
                        Some(&(_, n)) => n,
                        None => return Err(Fail::Invalid),
                    },
                };
                let inner = self.alternation(f, false)?;
                self.close()?;
                let (yes, no) = match inner {
                    Node::Alt(mut b) if b.len() == 2 => {
                        let no = b.pop().unwrap_or(Node::Seq(vec![]));
                        (b.pop().unwrap_or(Node::Seq(vec![])), no)
                    }
                    Node::Alt(_) => return Err(Fail::Invalid), // more than two branches
                    one => (one, Node::Seq(vec![])),
                };
                Ok(Some(Node::Cond(group, Box::new(yes), Box::new(no))))
            }
            Some(c) if "aiLmsux-".contains(c) => {
                self.pos -= 1;
                let mut on = String::new();
                while let Some(c) = self.peek().filter(|c| "aiLmsux".contains(*c)) {
                    on.push(c);
                    self.pos += 1;
                }
                let mut off = None;
                if self.eat('-') {
                    let mut o = String::new();
                    while let Some(c) = self.peek().filter(|c| "aiLmsux".contains(*c)) {
                        o.push(c);
                        self.pos += 1;
                    }
                    if o.is_empty() || o.contains(['a', 'u', 'L']) {
                        return Err(Fail::Invalid);
                    }
                    off = Some(o);
                }
                if on.contains('L') || (on.contains('a') && on.contains('u')) {
                    return Err(Fail::Invalid);
                }
                let apply = |mut g: Flags, set: &str, v: bool| {
                    for c in set.chars() {
                        match c {
                            'i' => g.i = v,
                            'm' => g.m = v,
                            's' => g.s = v,
                            'x' => g.x = v,
                            'a' => g.a = v,
                            'u' => g.a = false,
                            _ => {}
                        }
                    }
                    g
                };
                match self.next() {
                    Some(')') if off.is_none() && !on.is_empty() => {
                        if !at_start {
                            return Err(Fail::Invalid); // global flags not at the start
                        }
                        *flags = apply(f, &on, true);
                        self.global_a |= on.contains('a');
                        self.global_u |= on.contains('u');
                        Ok(None)
                    }
                    Some(':') => {
                        let g = apply(apply(f, &on, true), off.as_deref().unwrap_or(""), false);
                        let inner = self.alternation(g, false)?;
                        self.close()?;
                        Ok(Some(Node::Group(None, Box::new(inner))))
                    }
                    _ => Err(Fail::Invalid),
                }
            }
            _ => Err(Fail::Invalid),
        }
    }

    fn hex(&mut self, n: usize) -> Result<u32, Fail> {
        let mut v = 0u32;
        for _ in 0..n {
            let d = self
                .next()
                .and_then(|c| c.to_digit(16))
                .ok_or(Fail::Invalid)?;
            v = v.saturating_mul(16).saturating_add(d);
        }
        Ok(v)
    }

    fn code_point(&mut self, v: u32) -> Result<char, Fail> {
        if v > 0x10FFFF {
            return Err(Fail::Invalid);
        }
        // a lone surrogate: Python matches it, a Rust string never holds one
        char::from_u32(v).ok_or_else(|| {
            self.unsupported = true;
            Fail::Unsupported
        })
    }

    /// The escapes shared by classes and the rest: a literal code point, when `c` is one.
    fn literal_escape(&mut self, c: char) -> Result<Option<char>, Fail> {
        let v = match c {
            'a' => 7,
            'f' => 0x0c,
            'n' => 0x0a,
            'r' => 0x0d,
            't' => 0x09,
            'v' => 0x0b,
            'x' => self.hex(2)?,
            'u' => self.hex(4)?,
            'U' => self.hex(8)?,
            '0' => {
                let mut v = 0;
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                v
            }
            _ => return Ok(None),
        };
        match self.code_point(v) {
            Ok(ch) => Ok(Some(ch)),
            Err(Fail::Unsupported) => Ok(Some('\u{FFFD}')),
            Err(e) => Err(e),
        }
    }

    fn escape(&mut self, f: Flags) -> Result<Esc, Fail> {
        let Some(c) = self.next() else {
            return Err(Fail::Invalid); // bad escape (end of pattern)
        };
        let atom = |s: String| {
            Ok(Esc::Atom(Node::Atom(if f.i {
                format!("(?i:{s})")
            } else {
                s
            })))
        };
        match c {
            'A' => return Ok(Esc::Anchor(Anchor::Start)),
            'Z' => return Ok(Esc::Anchor(Anchor::End)),
            'b' => return Ok(Esc::Anchor(Anchor::Word { ascii: f.a })),
            'B' => return Ok(Esc::Anchor(Anchor::NotWord { ascii: f.a })),
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
                return Ok(Esc::Atom(Node::Atom(category_class(c, f.a))))
            }
            'N' => {
                if !self.eat('{') {
                    return Err(Fail::Invalid);
                }
                let mut closed = false;
                while let Some(c) = self.next() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(Fail::Invalid);
                }
                self.unsupported = true;
                return Ok(Esc::Atom(Node::Seq(vec![])));
            }
            '1'..='9' => {
                let mut digits = c.to_string();
                if let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.pos += 1;
                    digits.push(d);
                    let third = self.peek().filter(|d| d.is_digit(8));
                    if c.is_digit(8) && d.is_digit(8) && third.is_some() {
                        self.pos += 1;
                        if let Some(t) = third {
                            digits.push(t);
                        }
                        let v = u32::from_str_radix(&digits, 8).map_err(|_| Fail::Invalid)?;
                        if v > 0o377 {
                            return Err(Fail::Invalid);
                        }
                        let ch = self.code_point(v)?;
                        return atom(lit(ch));
                    }
                }
                let n: usize = digits.parse().map_err(|_| Fail::Invalid)?;
                if n > self.groups || !self.closed.get(n - 1).copied().unwrap_or(false) {
                    return Err(Fail::Invalid); // invalid group reference / open group
                }
                return Ok(Esc::Atom(Node::Backref(n, f.i)));
            }
            _ => {}
        }
        if let Some(ch) = self.literal_escape(c)? {
            return atom(lit(ch));
        }
        if c.is_ascii_alphabetic() {
            return Err(Fail::Invalid); // bad escape
        }
        atom(lit(c))
    }

    /// After `[`: the class as Rust syntax.
    fn class(&mut self, f: Flags) -> Result<String, Fail> {
        let negate = self.eat('^');
        let mut items = String::new();
        let mut first = true;
        loop {
            let Some(c) = self.next() else {
                return Err(Fail::Invalid); // unterminated character set
            };
            if c == ']' && !first {
                break;
            }
            first = false;
            let start = self.class_item(c, f)?;
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|n| n != ']') {
                self.pos += 1;
                let Some(e) = self.next() else {
                    return Err(Fail::Invalid);
                };
                let end = self.class_item(e, f)?;
                match (start, end) {
                    (ClassItem::Char(a), ClassItem::Char(b)) if a <= b => {
                        items.push_str(&format!("{}-{}", lit(a), lit(b)));
                    }
                    _ => return Err(Fail::Invalid), // bad character range
                }
                continue;
            }
            if self.peek() == Some('-') && self.peek_at(1).is_none() {
                return Err(Fail::Invalid);
            }
            match start {
                ClassItem::Char(a) => items.push_str(&lit(a)),
                ClassItem::Set(s) => items.push_str(&s),
            }
        }
        let class = format!("[{}{items}]", if negate { "^" } else { "" });
        Ok(if f.i { format!("(?i:{class})") } else { class })
    }

    fn class_item(&mut self, c: char, f: Flags) -> Result<ClassItem, Fail> {
        if c != '\\' {
            return Ok(ClassItem::Char(c));
        }
        let Some(e) = self.next() else {
            return Err(Fail::Invalid);
        };
        match e {
            'd' | 's' | 'w' => Ok(ClassItem::Set(category_items(e, f.a))),
            'D' | 'S' | 'W' => Ok(ClassItem::Set(category_class(e, f.a))),
            'b' => Ok(ClassItem::Char('\u{8}')),
            'N' => {
                self.escape_n()?;
                Ok(ClassItem::Char('\u{FFFD}'))
            }
            '1'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                if v > 0o377 {
                    return Err(Fail::Invalid);
                }
                Ok(ClassItem::Char(self.code_point(v)?))
            }
            '8' | '9' => Err(Fail::Invalid),
            _ => {
                if let Some(ch) = self.literal_escape(e)? {
                    return Ok(ClassItem::Char(ch));
                }
                if e.is_ascii_alphabetic() {
                    return Err(Fail::Invalid);
                }
                Ok(ClassItem::Char(e))
            }
        }
    }

    fn escape_n(&mut self) -> Result<(), Fail> {
        if !self.eat('{') {
            return Err(Fail::Invalid);
        }
        while let Some(c) = self.next() {
            if c == '}' {
                self.unsupported = true;
                return Ok(());
            }
        }
        Err(Fail::Invalid)
    }
}

enum Esc {
    Anchor(Anchor),
    Atom(Node),
}

enum ClassItem {
    Char(char),
    Set(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(p: &str) -> bool {
        compile(p).is_ok()
    }

    #[test]
    fn python_syntax_errors_are_invalid() {
        for p in [
            "[",
            "(",
            ")",
            "a)",
            "*a",
            "a**",
            "a{2}{3}",
            "x{2,1}",
            "(?<n>a)",
            r"\q",
            r"\1",
            "(a)\\2",
            "a|(?i)b",
            "(?L)a",
            "[b-a]",
            r"[\d-z]",
            "(?P<1>a)",
            "(?P<a>x)(?P<a>y)",
            "(?P=nope)",
            r"\x4",
            "a\\",
            "(?#open",
            "^*",
            r"\b+",
            "(?i",
            "[a-",
        ] {
            assert!(!valid(p), "{p:?} should be invalid");
        }
    }

    #[test]
    fn python_semantics() {
        let cases: &[(&str, &str, bool)] = &[
            ("^a", "ba", false),
            ("a", "ba", true), // search, not match
            ("a$", "a\n", true),
            ("a$", "a\nb", false),
            (r"a\Z", "a\n", false),
            ("a{", "a{", true),
            ("{foo}", "x{foo}", true),
            ("a{,2}b", "aab", true),
            ("a{}", "a", false),
            ("a{}", "xa{}", true),
            ("a{,}", "", true),
            (r"\s", "\u{1c}", true),
            (r"\w", "\u{0301}", false), // a combining mark is not alnum in Python
            (r"\w", "\u{00bd}", true),  // No: numeric
            (r"(?a)\w", "é", false),
            (r"\d", "٣", true),
            ("[[a]", "[", true),
            ("[a&&b]", "&", true),
            ("[]a]", "]", true),
            ("(?i)abc", "ABC", true),
            ("(?i:a)b", "Ab", true),
            ("(?i:a)b", "AB", false),
            ("(?x) a b # c", "ab", true),
            ("(?s).", "\n", true),
            (".", "\n", false),
            ("(?m)^b", "a\nb", true),
            (r"\x41\u0042\U00000043\101", "ABCA", true),
            (r"[\x41-\x43]+", "ABC", true),
            ("(?P<y>[0-9]{4})-", "2024-", true),
            (r"\.", "a", false),
            ("a|b", "b", true),
        ];
        for (p, s, want) in cases {
            assert_eq!(search(p, s), *want, "re.search({p:?}, {s:?})");
        }
    }

    #[test]
    fn comments_are_transparent_and_flag_clashes_raise() {
        assert!(search("a(?#c){2}", "aa") && !search("a(?#c){2}", "a"));
        assert!(!valid("a*(?#c)*"));
        assert_eq!(
            compile("(?a)(?u)x").err(),
            Some(Some("ASCII and UNICODE flags are incompatible".to_string()))
        );
        assert_eq!(compile("(?au)x").err(), Some(None));
    }

    /// What Python 3.13's `re.search` answered for these (regex-automata has no engine for
    /// them: kagent's backtracking matcher runs them).
    #[test]
    fn features_without_regex_automata_are_backtracked() {
        let cases: &[(&str, &str, bool)] = &[
            ("(?=a)b", "ab", false),
            ("(?=.*[A-Z])(?=.*\\d).{8,}", "abcdefg1", false),
            ("^(?=.*[A-Z])(?=.*\\d).{8,}$", "abcdefG1", true),
            (
                "^(?!\\.)(?!.*\\.\\.)[A-Z0-9_.+-]+@[A-Z0-9-]+\\.[A-Z]{2,}$",
                "A..B@X.IO",
                false,
            ),
            (
                "(?i)^(?!\\.)(?!.*\\.\\.)[A-Z0-9_.+-]+@[A-Z0-9-]+\\.[A-Z]{2,}$",
                "a.b@x.io",
                true,
            ),
            ("(?<=ab)c", "abc", true),
            ("(?<!a)b", "ab", false),
            ("(a)\\1", "aa", true),
            ("(?P<n>ab)x(?P=n)", "abxab", true),
            ("(?i)(a)\\1", "aA", true),
            ("(?>a*)a", "aaa", false),
            ("a*+a", "aaa", false),
            ("a*+b", "aaab", true),
            ("(a)?(?(1)b|c)", "c", true),
            ("^(a)?(?(1)b|c)$", "ab", true),
            ("^(a)?(?(1)b|c)$", "ac", false),
            ("(?=a)*b", "b", true),
            ("\\B", "", false),
            ("\\bé", "é", true),
            ("a\\b", "a\u{301}", true),
            ("a$\\n", "a\n", true),
            ("x$(?<=x)", "x\n", true),
            ("\\N{DIGIT ONE}", "1", true),
        ];
        for (p, s, want) in cases {
            assert!(
                matches!(compile(p), Ok(Regex::Backtrack(_)) | Ok(Regex::Unsupported)),
                "{p:?}"
            );
            if p.contains("\\N") {
                assert!(
                    search(p, s),
                    "an unknown character name is treated as matching"
                );
                continue;
            }
            assert_eq!(search(p, s), *want, "re.search({p:?}, {s:?})");
        }
        // a variable-width lookbehind is Python's re.error
        assert!(!valid("(?<=a+)b"));
        // a search that would take too long (exponential here) is given up: counted as a match
        assert!(search("(?=a)(a|aa)*c", &"a".repeat(60)));
    }
}
