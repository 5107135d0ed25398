//! PyYAML's `yaml.safe_load` of a whole file (kimi-cli reads agent specs with it), on
//! yaml-rust2's parser.
//!
//! yaml-rust2 is a YAML 1.2 parser; PyYAML is YAML 1.1 with rules of its own, and which of
//! them applies decides whether kimi-cli loads a spec and what its fields hold. Here:
//! plain scalars resolve as YAML 1.1 (`yes` a bool, `0x1F` and `1:30` ints, `2001-12-14` a
//! date: frontmatter's resolver, shared), `!!` tags build what SafeConstructor builds and any
//! other tag is refused, a duplicate key keeps its first place and takes the last value, `<<`
//! merges mappings, a key that is a list or mapping is refused, a second document is refused,
//! and a tab outside quoted and block scalars and comments is refused (PyYAML never skips
//! tabs between tokens). What the texts of those errors say is kagent's; kimi-cli's exact
//! wording reaches kagent from kimi-cli itself (the profile's `agent_spec_checker`).
//!
//! Nesting is bounded as in [`frontmatter`]: past its `MAX_DEPTH` collections PyYAML's composer
//! has hit Python's recursion limit, and the document is refused (nor can a deep one overflow
//! kagent's stack when dropped).
//!
//! Values PyYAML builds that JSON-like values cannot hold (dates, timestamps, `!!binary`,
//! `!!set`, `!!omap`) are `Yaml::BadValue`: they are never a valid field of a spec.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, Scanner, TScalarStyle, TokenType};
use yaml_rust2::yaml::Hash;
use yaml_rust2::Yaml;

use super::frontmatter::{self, Yaml as Resolved};
use super::json::float_repr;

/// Why a document does not load (kagent's words; see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct YamlError(pub String);

const CORE: &str = "tag:yaml.org,2002:";

/// `yaml.safe_load(text)`: `Yaml::Null` for an empty stream.
pub fn safe_load(text: &str) -> Result<Yaml, YamlError> {
    check_tabs(text)?;
    let mut loader = Loader::default();
    Parser::new_from_str(text)
        .load(&mut loader, true)
        .map_err(|e| YamlError(e.to_string()))?;
    if let Some(e) = loader.error {
        return Err(YamlError(e));
    }
    if loader.docs.len() > 1 {
        return Err(YamlError(
            "expected a single document in the stream, but found another document".into(),
        ));
    }
    Ok(loader.docs.pop().unwrap_or(Yaml::Null))
}

/// A tab where PyYAML's scanner meets it between tokens: anywhere but inside a quoted or a
/// block scalar or a comment.
fn check_tabs(text: &str) -> Result<(), YamlError> {
    if !text.contains('\t') {
        return Ok(());
    }
    let tokens: Vec<(Marker, TokenType)> = Scanner::new(text.chars()).map(|t| (t.0, t.1)).collect();
    // byte ranges where a tab is text; the scanner's markers count chars
    let byte_at: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let at = |m: &Marker| byte_at.get(m.index()).copied().unwrap_or(text.len());
    let mut allowed: Vec<(usize, usize)> = vec![];
    for (i, (mark, kind)) in tokens.iter().enumerate() {
        let TokenType::Scalar(style, _) = kind else {
            continue;
        };
        let start = at(mark);
        let end = match style {
            TScalarStyle::SingleQuoted => closing_quote(text, start, '\''),
            TScalarStyle::DoubleQuoted => closing_quote(text, start, '"'),
            TScalarStyle::Literal | TScalarStyle::Folded => {
                tokens.get(i + 1).map_or(text.len(), |(next, _)| at(next))
            }
            _ => continue,
        };
        allowed.push((start, end));
    }
    let inside = |p: usize| allowed.iter().any(|&(s, e)| s <= p && p < e);
    let (mut line, mut column, mut comment) = (1usize, 0usize, false);
    let mut prev = '\n';
    for (p, c) in text.char_indices() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            comment = false;
        } else if c == '#' && !comment && !inside(p) && matches!(prev, ' ' | '\t' | '\n' | '\r') {
            comment = true;
        } else if c == '\t' && !comment && !inside(p) {
            return Err(YamlError(format!(
                "a tab at line {line}, column {column}: YAML allows tabs only inside quoted or \
                 block scalars and comments; indent and separate with spaces"
            )));
        }
        prev = c;
    }
    Ok(())
}

/// The byte index just past the quote closing the scalar that opens at `start`.
fn closing_quote(text: &str, start: usize, quote: char) -> usize {
    let mut chars = text[start..].char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
            } else {
                return start + i + 1;
            }
        }
    }
    text.len()
}

enum Frame {
    Seq(Vec<Yaml>, usize),
    /// entries in order (`true`: a `<<` merge), the key waiting for its value, the anchor
    Map(Vec<(Yaml, Yaml, bool)>, Option<(Yaml, bool)>, usize),
}

#[derive(Default)]
struct Loader {
    docs: Vec<Yaml>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Yaml>,
    error: Option<String>,
}

impl Loader {
    fn fail(&mut self, e: String) {
        self.error.get_or_insert(e);
    }

    fn in_key_position(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map(_, None, _)))
    }

    /// A finished node: into its parent, or a document.
    fn push(&mut self, node: Yaml, merge: bool) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(entries, key, _)) => match key.take() {
                None => {
                    let unhashable = matches!(node, Yaml::Array(_) | Yaml::Hash(_));
                    *key = Some((node, merge));
                    if unhashable {
                        self.fail("found unhashable key (a list or mapping as a key)".into());
                    }
                }
                Some((k, is_merge)) => entries.push((k, node, is_merge)),
            },
        }
    }

    fn anchor(&mut self, id: usize, node: &Yaml) {
        if id > 0 {
            self.anchors.insert(id, node.clone());
        }
    }

    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        tag: Option<Tag>,
    ) -> Result<Yaml, String> {
        let Some(tag) = tag else {
            if style != TScalarStyle::Plain {
                return Ok(Yaml::String(value));
            }
            return resolve_plain(&value);
        };
        if tag.handle == "!" && tag.suffix.is_empty() {
            return Ok(Yaml::String(value));
        }
        let full = format!("{}{}", tag.handle, tag.suffix);
        let Some(kind) = full.strip_prefix(CORE) else {
            return Err(format!(
                "could not determine a constructor for the tag '{full}'"
            ));
        };
        match kind {
            "str" => Ok(Yaml::String(value)),
            "null" => Ok(Yaml::Null),
            "bool" => match value.to_lowercase().as_str() {
                "yes" | "true" | "on" => Ok(Yaml::Boolean(true)),
                "no" | "false" | "off" => Ok(Yaml::Boolean(false)),
                _ => Err(format!("{value:?} is not a YAML 1.1 bool (!!bool)")),
            },
            "int" => int_value(&value).ok_or_else(|| format!("{value:?} is not an int (!!int)")),
            "float" => {
                float_value(&value).ok_or_else(|| format!("{value:?} is not a float (!!float)"))
            }
            "timestamp" | "binary" => Ok(Yaml::BadValue),
            _ => Err(format!(
                "could not determine a constructor for the tag '{full}'"
            )),
        }
    }

    fn end_mapping(entries: Vec<(Yaml, Yaml, bool)>) -> Result<Yaml, String> {
        // PyYAML's flatten_mapping: merged pairs first (of a list of mappings, the last
        // first), then the mapping's own; a later pair replaces an earlier one's value
        let mut merged: Vec<(Yaml, Yaml)> = vec![];
        let mut own: Vec<(Yaml, Yaml)> = vec![];
        let pairs = |h: &Hash| {
            h.iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        let not_mergeable = "expected a mapping or list of mappings for merging (<<)";
        for (k, v, is_merge) in entries {
            if !is_merge {
                own.push((k, v));
                continue;
            }
            match &v {
                Yaml::Hash(h) => merged.extend(pairs(h)),
                Yaml::Array(items) => {
                    let mut parts = vec![];
                    for item in items {
                        let Yaml::Hash(h) = item else {
                            return Err(not_mergeable.into());
                        };
                        parts.push(pairs(h));
                    }
                    for part in parts.into_iter().rev() {
                        merged.extend(part);
                    }
                }
                _ => return Err(not_mergeable.into()),
            }
        }
        let mut hash = Hash::new();
        for (k, v) in merged.into_iter().chain(own) {
            match hash.get_mut(&k) {
                Some(slot) => *slot = v,
                None => {
                    hash.insert(k, v);
                }
            }
        }
        Ok(Yaml::Hash(hash))
    }
}

impl MarkedEventReceiver for Loader {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let merge = tag.is_none()
                    && style == TScalarStyle::Plain
                    && value == "<<"
                    && self.in_key_position();
                let node = if merge {
                    Ok(Yaml::String(value))
                } else {
                    self.scalar(value, style, tag)
                };
                match node {
                    Ok(node) => {
                        self.anchor(anchor, &node);
                        self.push(node, merge);
                    }
                    Err(e) => self.fail(e),
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.push(node, false),
                None => self.fail("found an undefined alias".into()),
            },
            Event::SequenceStart(..) | Event::MappingStart(..)
                if self.stack.len() >= frontmatter::MAX_DEPTH =>
            {
                self.fail("maximum recursion depth exceeded (nested too deeply)".into())
            }
            Event::SequenceStart(anchor, tag) => {
                if let Some(e) = collection_tag(tag, "seq") {
                    return self.fail(e);
                }
                self.stack.push(Frame::Seq(vec![], anchor));
            }
            Event::MappingStart(anchor, tag) => {
                if let Some(e) = collection_tag(tag, "map") {
                    return self.fail(e);
                }
                self.stack.push(Frame::Map(vec![], None, anchor));
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items, anchor)) = self.stack.pop() {
                    let node = Yaml::Array(items);
                    self.anchor(anchor, &node);
                    self.push(node, false);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(entries, _, anchor)) = self.stack.pop() {
                    match Loader::end_mapping(entries) {
                        Ok(node) => {
                            self.anchor(anchor, &node);
                            self.push(node, false);
                        }
                        Err(e) => self.fail(e),
                    }
                }
            }
            _ => {}
        }
    }
}

/// `Some(error)` for a collection tag SafeConstructor has no constructor for (`!!set`,
/// `!!omap` and `!!pairs` build values no spec field takes: refused as such later).
fn collection_tag(tag: Option<Tag>, kind: &str) -> Option<String> {
    let tag = tag?;
    let full = format!("{}{}", tag.handle, tag.suffix);
    match full.strip_prefix(CORE) {
        Some(k) if k == kind || matches!(k, "set" | "omap" | "pairs") => None,
        _ if tag.handle == "!" && tag.suffix.is_empty() => None,
        _ => Some(format!(
            "could not determine a constructor for the tag '{full}'"
        )),
    }
}

/// A plain scalar as PyYAML's resolver and SafeConstructor make it.
fn resolve_plain(s: &str) -> Result<Yaml, String> {
    Ok(match frontmatter::resolve_plain(s)? {
        Resolved::Null => Yaml::Null,
        Resolved::Bool(b) => Yaml::Boolean(b),
        Resolved::Number { .. } => int_value(s)
            .or_else(|| float_value(s))
            .unwrap_or_else(|| Yaml::String(s.to_string())),
        Resolved::Str(text) => Yaml::String(text),
        Resolved::Seq(_) | Resolved::Map(_) | Resolved::Other => Yaml::BadValue,
    })
}

/// SafeConstructor's int: `_` dropped, a sign, `0b`, `0x`, a leading `0` (octal), `:`
/// (base 60). `None` when `s` is not one.
fn int_value(s: &str) -> Option<Yaml> {
    if !frontmatter::is_int(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (negative, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean).to_string()),
    };
    let magnitude: i128 = if let Some(d) = body.strip_prefix("0b") {
        i128::from_str_radix(d, 2).ok()?
    } else if let Some(d) = body.strip_prefix("0x") {
        i128::from_str_radix(d, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        i128::from_str_radix(&body[1..], 8).ok()?
    } else if body.contains(':') {
        body.split(':').try_fold(0i128, |acc, part| {
            Some(acc * 60 + part.parse::<i128>().ok()?)
        })?
    } else {
        body.parse().ok()?
    };
    let value = if negative { -magnitude } else { magnitude };
    Some(match i64::try_from(value) {
        Ok(v) => Yaml::Integer(v),
        // Python's int has no bound; beyond i64 it is kept as its decimal text
        Err(_) => Yaml::Real(value.to_string()),
    })
}

/// SafeConstructor's float (`Yaml::Real` holds Python's `repr`).
fn float_value(s: &str) -> Option<Yaml> {
    let clean: String = s
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_lowercase();
    let (sign, body) = match clean.strip_prefix('-') {
        Some(b) => (-1.0, b.to_string()),
        None => (1.0, clean.strip_prefix('+').unwrap_or(&clean).to_string()),
    };
    let value: f64 = match body.as_str() {
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        b if b.contains(':') => b.split(':').try_fold(0f64, |acc, part| {
            Some(acc * 60.0 + part.parse::<f64>().ok()?)
        })?,
        b => b.parse().ok()?,
    };
    let value = sign * value;
    // repr(), which json's float_repr is but for the specials
    Some(Yaml::Real(if value.is_nan() {
        "nan".into()
    } else if value.is_infinite() {
        (if value > 0.0 { "inf" } else { "-inf" }).into()
    } else {
        float_repr(value)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Yaml {
        safe_load(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn value(text: &str) -> Yaml {
        load(&format!("v: {text}\n"))["v"].clone()
    }

    #[test]
    fn plain_scalars_resolve_as_yaml_1_1() {
        // each checked against PyYAML 6's safe_load
        assert_eq!(value("yes"), Yaml::Boolean(true));
        assert_eq!(value("Off"), Yaml::Boolean(false));
        assert_eq!(value("0x1F"), Yaml::Integer(31));
        assert_eq!(value("012"), Yaml::Integer(10));
        assert_eq!(value("0b101"), Yaml::Integer(5));
        assert_eq!(value("1:30"), Yaml::Integer(90));
        assert_eq!(value("-1_000"), Yaml::Integer(-1000));
        assert_eq!(value(".5"), Yaml::Real("0.5".into()));
        assert_eq!(value("1:30.5"), Yaml::Real("90.5".into()));
        assert_eq!(value("-.inf"), Yaml::Real("-inf".into()));
        assert_eq!(value("1e3"), Yaml::String("1e3".into()));
        assert_eq!(value("~"), Yaml::Null);
        assert_eq!(value("2001-12-14"), Yaml::BadValue);
        assert_eq!(value("'yes'"), Yaml::String("yes".into()));
        assert_eq!(value("!!str 12"), Yaml::String("12".into()));
        assert_eq!(value("!!int '7'"), Yaml::Integer(7));
        assert_eq!(
            value("99999999999999999999"),
            Yaml::Real("99999999999999999999".into())
        );
    }

    #[test]
    fn keys_merges_and_documents_follow_pyyaml() {
        let doc = load("a: 1\nb: 2\na: 3\n");
        let keys: Vec<_> = doc
            .as_hash()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(
            keys,
            vec![
                (Yaml::String("a".into()), Yaml::Integer(3)),
                (Yaml::String("b".into()), Yaml::Integer(2))
            ]
        );
        let doc = load("x: &x {a: 1, b: 2}\ny: &y {b: 3, c: 4}\nz:\n  <<: [*x, *y]\n  c: 5\n");
        let z: Vec<_> = doc["z"]
            .as_hash()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_string(), v.as_i64().unwrap()))
            .collect();
        // {'b': 2, 'c': 5, 'a': 1} in PyYAML
        assert_eq!(z, vec![("b".into(), 2), ("c".into(), 5), ("a".into(), 1)]);
        assert_eq!(load(""), Yaml::Null);
        assert_eq!(load("# only a comment\n"), Yaml::Null);
        for bad in [
            "a: 1\n---\nb: 2\n",
            "a: !!python/object:os.system x\n",
            "a: !local x\n",
            "[1]: x\n",
            "a: <<\n",
            "x:\n  <<: 3\n",
            "a: !!bool maybe\n",
        ] {
            assert!(safe_load(bad).is_err(), "{bad:?} loads");
        }
    }

    #[test]
    fn tabs_are_refused_where_pyyaml_refuses_them() {
        for bad in [
            "a:\tb\n",
            "a: b\t\n",
            "a: x\ty\n",
            "\ta: b\n",
            "a: [x,\ty]\n",
            "a: b\n\t\nc: d\n",
        ] {
            assert!(safe_load(bad).is_err(), "{bad:?} loads");
        }
        assert_eq!(load("a: b # c\td\n")["a"], Yaml::String("b".into()));
        assert_eq!(load("a: \"x\ty\"\n")["a"], Yaml::String("x\ty".into()));
        assert_eq!(load("a: 'x\t''y'\n")["a"], Yaml::String("x\t'y".into()));
        assert_eq!(
            load("a: |\n  x\ty\nb: 1\n")["a"],
            Yaml::String("x\ty\n".into())
        );
        assert_eq!(load("#\tcomment\na: 1\n")["a"], Yaml::Integer(1));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(safe_load(&deep).is_err());
        let ok = format!("{}{}", "[".repeat(50), "]".repeat(50));
        assert!(safe_load(&ok).is_ok());
    }
}
