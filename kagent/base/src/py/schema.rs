//! Checking an external tool's `parameters` against the JSON Schema 2020-12 metaschema, with
//! the error text kimi-cli's `jsonschema.validate` produces (its `best_match` error, with
//! the failing keyword's schema and the instance pretty-printed).
//!
//! Only the keywords the metaschema itself uses are implemented, which is all a check of a
//! schema against it needs; formats are not asserted (as `jsonschema.validate` does not).
//! `metaschema/*.json` are the published JSON Schema 2020-12 metaschema and vocabulary
//! documents, unchanged.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde_json::Value;

use super::repr::{repr_str, repr_value};

const BASE: &str = "https://json-schema.org/draft/2020-12/";

fn documents() -> &'static Vec<(String, Value)> {
    static DOCS: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    DOCS.get_or_init(|| {
        [
            include_str!("metaschema/schema.json"),
            include_str!("metaschema/core.json"),
            include_str!("metaschema/applicator.json"),
            include_str!("metaschema/unevaluated.json"),
            include_str!("metaschema/validation.json"),
            include_str!("metaschema/meta-data.json"),
            include_str!("metaschema/format-annotation.json"),
            include_str!("metaschema/content.json"),
        ]
        .iter()
        .map(|text| {
            let v: Value = serde_json::from_str(text).expect("bundled metaschema is JSON");
            let id = v["$id"].as_str().unwrap_or_default().to_string();
            (id, v)
        })
        .collect()
    })
}

fn document(id: &str) -> Option<&'static Value> {
    documents().iter().find(|(i, _)| i == id).map(|(_, v)| v)
}

/// A step of an instance or schema path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    Index(usize),
    Key(String),
}

impl Seg {
    fn index_repr(&self) -> String {
        match self {
            Seg::Index(i) => format!("[{i}]"),
            Seg::Key(k) => format!("[{}]", repr_str(k)),
        }
    }
}

#[derive(Debug, Clone)]
struct VError {
    message: String,
    keyword: String,
    instance: Value,
    /// The schema object holding the keyword.
    schema: Value,
    path: Vec<Seg>,
    schema_path: Vec<Seg>,
    context: Vec<VError>,
}

impl VError {
    fn new(message: String, instance: &Value) -> VError {
        VError {
            message,
            keyword: String::new(),
            instance: instance.clone(),
            schema: Value::Null,
            path: vec![],
            schema_path: vec![],
            context: vec![],
        }
    }

    fn matches_type(&self) -> bool {
        match self.schema.get("type") {
            Some(Value::String(t)) => is_type(&self.instance, t),
            Some(Value::Array(ts)) => ts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| is_type(&self.instance, t))),
            _ => false,
        }
    }

    /// jsonschema's `relevance` key: shallower, later path, not anyOf/oneOf, matching type.
    fn relevance(&self) -> (isize, Vec<Seg>, bool, bool, bool) {
        (
            -(self.path.len() as isize),
            self.path.clone(),
            !matches!(self.keyword.as_str(), "anyOf" | "oneOf"),
            false,
            !self.matches_type(),
        )
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => match v {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => false,
    }
}

/// Python equality of JSON values (`True != 1` as jsonschema compares them).
fn py_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| py_equal(v, w)))
        }
        _ => a == b,
    }
}

struct Validator<'a> {
    /// The resource (`$id`) the current schema belongs to; empty for [`Validator::local`].
    base: String,
    /// The schema being checked against when it is not the metaschema (a tool's input
    /// schema): the document its own `#/...` references resolve in.
    local: Option<&'a Value>,
}

impl<'a> Validator<'a> {
    fn at(&self, base: String) -> Validator<'a> {
        Validator {
            base,
            local: self.local,
        }
    }

    fn is_valid(&self, instance: &Value, schema: &Value) -> bool {
        self.iter_errors(instance, schema).is_empty()
    }

    fn resolve(&self, reference: &str) -> Option<(String, &'a Value)> {
        let (doc_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let doc_id = if doc_part.is_empty() {
            self.base.clone()
        } else if doc_part.starts_with("http") {
            doc_part.to_string()
        } else {
            format!("{BASE}{doc_part}")
        };
        let mut node: &'a Value = match self.local {
            Some(root) if doc_id.is_empty() => root,
            _ => document(&doc_id)?,
        };
        for token in fragment.split('/').filter(|t| !t.is_empty()) {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match node {
                Value::Object(o) => o.get(&token)?,
                Value::Array(a) => a.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some((doc_id, node))
    }

    fn descend(
        &self,
        instance: &Value,
        schema: &Value,
        path: Option<Seg>,
        schema_path: Option<Seg>,
    ) -> Vec<VError> {
        let mut errors = self.iter_errors(instance, schema);
        for e in &mut errors {
            if let Some(p) = &path {
                e.path.insert(0, p.clone());
            }
            if let Some(s) = &schema_path {
                e.schema_path.insert(0, s.clone());
            }
        }
        errors
    }

    fn iter_errors(&self, instance: &Value, schema: &Value) -> Vec<VError> {
        let obj = match schema {
            Value::Bool(true) => return vec![],
            Value::Bool(false) => {
                let mut e = VError::new(
                    format!("False schema does not allow {}", repr_value(instance)),
                    instance,
                );
                e.schema = schema.clone();
                return vec![e];
            }
            Value::Object(o) => o,
            _ => return vec![],
        };
        let scoped;
        let this = match obj.get("$id").and_then(Value::as_str) {
            Some(id) if id != self.base => {
                scoped = self.at(id.to_string());
                &scoped
            }
            _ => self,
        };
        let mut out = vec![];
        for (k, v) in obj {
            let mut errors = this.keyword(k, v, instance, obj);
            for e in &mut errors {
                if e.keyword.is_empty() {
                    e.keyword = k.clone();
                    e.schema = schema.clone();
                }
                if k != "$ref" {
                    e.schema_path.insert(0, Seg::Key(k.clone()));
                }
            }
            out.extend(errors);
        }
        out
    }

    fn keyword(
        &self,
        k: &str,
        v: &Value,
        instance: &Value,
        schema: &serde_json::Map<String, Value>,
    ) -> Vec<VError> {
        let one = |m: String| vec![VError::new(m, instance)];
        match k {
            "$ref" => {
                let Some((base, target)) = v.as_str().and_then(|r| self.resolve(r)) else {
                    return vec![];
                };
                self.at(base).descend(instance, target, None, None)
            }
            // the only dynamic anchor in play is the metaschema's own `meta`
            "$dynamicRef" => match document(&format!("{BASE}schema")) {
                Some(root) => self
                    .at(format!("{BASE}schema"))
                    .descend(instance, root, None, None),
                None => vec![],
            },
            "allOf" => v
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .flat_map(|(i, s)| self.descend(instance, s, None, Some(Seg::Index(i))))
                .collect(),
            "anyOf" => {
                let mut all = vec![];
                for (i, s) in v.as_array().into_iter().flatten().enumerate() {
                    let errs = self.descend(instance, s, None, Some(Seg::Index(i)));
                    if errs.is_empty() {
                        return vec![];
                    }
                    all.extend(errs);
                }
                let mut e = VError::new(
                    format!(
                        "{} is not valid under any of the given schemas",
                        repr_value(instance)
                    ),
                    instance,
                );
                e.context = all;
                vec![e]
            }
            "type" => {
                let types: Vec<&str> = match v {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => return vec![],
                };
                if types.iter().any(|t| is_type(instance, t)) {
                    return vec![];
                }
                let reprs: Vec<String> = types.iter().map(|t| repr_str(t)).collect();
                one(format!(
                    "{} is not of type {}",
                    repr_value(instance),
                    reprs.join(", ")
                ))
            }
            "enum" => {
                let options = v.as_array().cloned().unwrap_or_default();
                if options.iter().any(|o| py_equal(o, instance)) {
                    return vec![];
                }
                one(format!(
                    "{} is not one of {}",
                    repr_value(instance),
                    repr_value(v)
                ))
            }
            "properties" => {
                let (Some(inst), Some(props)) = (instance.as_object(), v.as_object()) else {
                    return vec![];
                };
                let mut out = vec![];
                for (name, sub) in props {
                    if let Some(x) = inst.get(name) {
                        out.extend(self.descend(
                            x,
                            sub,
                            Some(Seg::Key(name.clone())),
                            Some(Seg::Key(name.clone())),
                        ));
                    }
                }
                out
            }
            "additionalProperties" => {
                let Some(inst) = instance.as_object() else {
                    return vec![];
                };
                let known: HashSet<&String> = schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|p| p.keys().collect())
                    .unwrap_or_default();
                let extras: Vec<&String> = inst.keys().filter(|k| !known.contains(k)).collect();
                match v {
                    Value::Object(_) | Value::Bool(true) => extras
                        .into_iter()
                        .flat_map(|x| self.descend(&inst[x], v, Some(Seg::Key(x.clone())), None))
                        .collect(),
                    _ if extras.is_empty() => vec![],
                    _ => {
                        let names: Vec<String> = extras.iter().map(|x| repr_str(x)).collect();
                        one(format!(
                            "Additional properties are not allowed ({} {} unexpected)",
                            names.join(", "),
                            if names.len() == 1 { "was" } else { "were" }
                        ))
                    }
                }
            }
            "propertyNames" => match instance.as_object() {
                Some(inst) => inst
                    .keys()
                    .flat_map(|k| self.descend(&Value::String(k.clone()), v, None, None))
                    .collect(),
                None => vec![],
            },
            "items" => {
                let Some(items) = instance.as_array() else {
                    return vec![];
                };
                let prefix = schema
                    .get("prefixItems")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let extra = items.len().saturating_sub(prefix);
                if extra == 0 {
                    return vec![];
                }
                if v == &Value::Bool(false) {
                    let rest = if extra == 1 {
                        items[prefix].clone()
                    } else {
                        Value::Array(items[prefix..].to_vec())
                    };
                    return one(format!(
                        "Expected at most {prefix} {} but found {extra} extra: {}",
                        if prefix == 1 { "item" } else { "items" },
                        repr_value(&rest)
                    ));
                }
                items
                    .iter()
                    .enumerate()
                    .skip(prefix)
                    .flat_map(|(i, x)| self.descend(x, v, Some(Seg::Index(i)), None))
                    .collect()
            }
            "prefixItems" => match instance.as_array() {
                Some(items) => items
                    .iter()
                    .zip(v.as_array().into_iter().flatten())
                    .enumerate()
                    .flat_map(|(i, (x, s))| {
                        self.descend(x, s, Some(Seg::Index(i)), Some(Seg::Index(i)))
                    })
                    .collect(),
                None => vec![],
            },
            "required" => match instance.as_object() {
                Some(inst) => v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p.as_str().is_none_or(|p| !inst.contains_key(p)))
                    .map(|p| {
                        VError::new(
                            format!("{} is a required property", repr_value(p)),
                            instance,
                        )
                    })
                    .collect(),
                None => vec![],
            },
            "const" if !py_equal(v, instance) => one(format!("{} was expected", repr_value(v))),
            "not" if self.is_valid(instance, v) => one(format!(
                "{} should not be valid under {}",
                repr_value(instance),
                repr_value(v)
            )),
            "oneOf" => {
                let subs: Vec<&Value> = v.as_array().into_iter().flatten().collect();
                let mut all = vec![];
                let mut first_valid = None;
                for (i, s) in subs.iter().enumerate() {
                    let errs = self.descend(instance, s, None, Some(Seg::Index(i)));
                    if errs.is_empty() {
                        first_valid = Some(i);
                        break;
                    }
                    all.extend(errs);
                }
                let Some(first) = first_valid else {
                    let mut e = VError::new(
                        format!(
                            "{} is not valid under any of the given schemas",
                            repr_value(instance)
                        ),
                        instance,
                    );
                    e.context = all;
                    return vec![e];
                };
                let mut valid: Vec<&Value> = subs[first + 1..]
                    .iter()
                    .copied()
                    .filter(|s| self.is_valid(instance, s))
                    .collect();
                if valid.is_empty() {
                    return vec![];
                }
                valid.push(subs[first]);
                let reprs: Vec<String> = valid.iter().map(|s| repr_value(s)).collect();
                one(format!(
                    "{} is valid under each of {}",
                    repr_value(instance),
                    reprs.join(", ")
                ))
            }
            "maximum" => match (instance, v.as_f64()) {
                (Value::Number(n), Some(max)) if n.as_f64().is_some_and(|x| x > max) => {
                    one(format!(
                        "{} is greater than the maximum of {}",
                        repr_value(instance),
                        repr_value(v)
                    ))
                }
                _ => vec![],
            },
            "exclusiveMaximum" => match (instance, v.as_f64()) {
                (Value::Number(n), Some(max)) if n.as_f64().is_some_and(|x| x >= max) => {
                    one(format!(
                        "{} is greater than or equal to the maximum of {}",
                        repr_value(instance),
                        repr_value(v)
                    ))
                }
                _ => vec![],
            },
            "maxItems" => above_max(
                instance,
                instance.as_array().map(|x| x.len()),
                v.as_u64(),
                "is too long",
            )
            .map(&one)
            .unwrap_or_default(),
            "minLength" => below_min(
                instance,
                instance.as_str().map(|x| x.chars().count()),
                v.as_u64(),
                "is too short",
            )
            .map(&one)
            .unwrap_or_default(),
            "maxLength" => above_max(
                instance,
                instance.as_str().map(|x| x.chars().count()),
                v.as_u64(),
                "is too long",
            )
            .map(&one)
            .unwrap_or_default(),
            "minProperties" => below_min(
                instance,
                instance.as_object().map(|x| x.len()),
                v.as_u64(),
                "does not have enough properties",
            )
            .map(&one)
            .unwrap_or_default(),
            "maxProperties" => above_max(
                instance,
                instance.as_object().map(|x| x.len()),
                v.as_u64(),
                "has too many properties",
            )
            .map(&one)
            .unwrap_or_default(),
            "minItems" => below_min(
                instance,
                instance.as_array().map(|x| x.len()),
                v.as_u64(),
                "is too short",
            )
            .map(&one)
            .unwrap_or_default(),
            "uniqueItems" => match instance.as_array() {
                Some(items) if v.as_bool() == Some(true) => {
                    let dup = items
                        .iter()
                        .enumerate()
                        .any(|(i, a)| items[i + 1..].iter().any(|b| py_equal(a, b)));
                    if dup {
                        one(format!("{} has non-unique elements", repr_value(instance)))
                    } else {
                        vec![]
                    }
                }
                _ => vec![],
            },
            "minimum" => match (instance, v.as_f64()) {
                (Value::Number(n), Some(min)) if n.as_f64().is_some_and(|x| x < min) => {
                    one(format!(
                        "{} is less than the minimum of {}",
                        repr_value(instance),
                        repr_value(v)
                    ))
                }
                _ => vec![],
            },
            "exclusiveMinimum" => match (instance, v.as_f64()) {
                (Value::Number(n), Some(min)) if n.as_f64().is_some_and(|x| x <= min) => {
                    one(format!(
                        "{} is less than or equal to the minimum of {}",
                        repr_value(instance),
                        repr_value(v)
                    ))
                }
                _ => vec![],
            },
            "pattern" => match (instance.as_str(), v.as_str()) {
                (Some(s), Some(p)) if !pattern_matches(p, s) => one(format!(
                    "{} does not match {}",
                    repr_value(instance),
                    repr_str(p)
                )),
                _ => vec![],
            },
            _ => vec![],
        }
    }
}

/// The metaschema's two patterns (`$id` without a non-empty fragment, anchor names).
fn pattern_matches(pattern: &str, s: &str) -> bool {
    match pattern {
        "^[^#]*#?$" => match s.find('#') {
            None => true,
            Some(i) => i == s.len() - 1,
        },
        "^[A-Za-z_][-A-Za-z0-9._]*$" => {
            let mut chars = s.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        }
        _ => true,
    }
}

/// jsonschema's `best_match`.
fn best_match(errors: Vec<VError>) -> Option<VError> {
    let mut best: Option<VError> = None;
    for e in errors {
        let better = match &best {
            None => true,
            Some(b) => e.relevance() > b.relevance(),
        };
        if better {
            best = Some(e);
        }
    }
    let mut best = best?;
    while !best.context.is_empty() {
        let mut ctx = std::mem::take(&mut best.context);
        // stable sort: nsmallest keeps the first of equal keys
        ctx.sort_by_key(VError::relevance);
        if ctx.len() >= 2 && ctx[0].relevance() == ctx[1].relevance() {
            best.context = ctx;
            return Some(best);
        }
        best = ctx.swap_remove(0);
    }
    Some(best)
}

/// `str(ValidationError)`.
fn render(e: &VError) -> String {
    let schema_path: String = e.schema_path[..e.schema_path.len().saturating_sub(1)]
        .iter()
        .map(Seg::index_repr)
        .collect();
    let instance_path: String = e.path.iter().map(Seg::index_repr).collect();
    let indent = |text: String| text.replace('\n', "\n    ");
    format!(
        "{}\n\nFailed validating {} in schema{}:\n    {}\n\nOn instance{}:\n    {}",
        e.message,
        repr_str(&e.keyword),
        schema_path,
        indent(pformat(&e.schema)),
        instance_path,
        indent(pformat(&e.instance)),
    )
}

/// Check `parameters` against the metaschema: `Err` is jsonschema's error text.
pub fn check(parameters: &Value) -> Result<(), String> {
    let root = document(&format!("{BASE}schema")).expect("bundled metaschema");
    let v = Validator {
        base: format!("{BASE}schema"),
        local: None,
    };
    match best_match(v.iter_errors(parameters, root)) {
        None => Ok(()),
        Some(e) => Err(render(&e)),
    }
}

/// Check a tool call's `arguments` against the tool's input `schema`, as kosong's
/// `jsonschema.validate` does before the call: `Err` is jsonschema's error text. The keywords
/// of JSON Schema 2020-12 that tool schemas use are checked (types, properties, required,
/// additionalProperties, items/prefixItems, enum/const, anyOf/oneOf/allOf/not, numeric and
/// length bounds, local `$ref`s); `pattern` only for the metaschema's own patterns, `format`
/// never (as `jsonschema.validate` does not assert formats).
pub fn validate(arguments: &Value, schema: &Value) -> Result<(), String> {
    let v = Validator {
        base: String::new(),
        local: Some(schema),
    };
    match best_match(v.iter_errors(arguments, schema)) {
        None => Ok(()),
        Some(e) => Err(render(&e)),
    }
}

// ---------------------------------------------------------------- pprint (width 72)

const WIDTH: usize = 72;

fn pformat(v: &Value) -> String {
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

/// jsonschema's message for a `min*` keyword the instance's `size` falls short of (`None`:
/// the keyword does not apply to this instance); a minimum of 1 reads "should be non-empty".
fn below_min(
    instance: &Value,
    size: Option<usize>,
    min: Option<u64>,
    what: &str,
) -> Option<String> {
    let (size, min) = (size?, min?);
    ((size as u64) < min).then(|| {
        let what = if min == 1 {
            "should be non-empty"
        } else {
            what
        };
        format!("{} {what}", repr_value(instance))
    })
}

/// As [`below_min`] for a `max*` keyword; a maximum of 0 reads "is expected to be empty".
fn above_max(
    instance: &Value,
    size: Option<usize>,
    max: Option<u64>,
    what: &str,
) -> Option<String> {
    let (size, max) = (size?, max?);
    ((size as u64) > max).then(|| {
        let what = if max == 0 {
            "is expected to be empty"
        } else {
            what
        };
        format!("{} {what}", repr_value(instance))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_schemas_pass() {
        assert!(check(&json!({"type": "object", "properties": {"q": {"type": "string"}}})).is_ok());
        assert!(check(&json!({})).is_ok());
        assert!(check(&json!({"type": ["string", "null"], "enum": ["a", null]})).is_ok());
    }

    #[test]
    fn errors_read_like_jsonschema() {
        // texts from jsonschema 4.26 (`jsonschema.validate(x, Draft202012Validator.META_SCHEMA)`)
        assert_eq!(
            check(&json!({"type": 12})).unwrap_err(),
            "12 is not valid under any of the given schemas\n\nFailed validating 'anyOf' in schema['allOf'][3]['properties']['type']:\n    {'anyOf': [{'$ref': '#/$defs/simpleTypes'},\n               {'type': 'array',\n                'items': {'$ref': '#/$defs/simpleTypes'},\n                'minItems': 1,\n                'uniqueItems': True}]}\n\nOn instance['type']:\n    12"
        );
        assert_eq!(
            check(&json!({"minItems": -1})).unwrap_err(),
            "-1 is less than the minimum of 0\n\nFailed validating 'minimum' in schema['allOf'][3]['properties']['minItems']:\n    {'type': 'integer', 'minimum': 0}\n\nOn instance['minItems']:\n    -1"
        );
        assert_eq!(
            check(&json!({"type": ["string", "string"]})).unwrap_err(),
            "['string', 'string'] has non-unique elements\n\nFailed validating 'uniqueItems' in schema[1]:\n    {'type': 'array',\n     'items': {'$ref': '#/$defs/simpleTypes'},\n     'minItems': 1,\n     'uniqueItems': True}\n\nOn instance:\n    ['string', 'string']"
        );
        let e = check(&json!({"properties": {"a": {"type": 5}}})).unwrap_err();
        assert!(e.contains("in schema['allOf'][1]['properties']['properties']['additionalProperties']['$dynamicRef']['allOf'][3]['properties']['type']:\n"), "{e}");
        assert!(
            e.ends_with("On instance['properties']['a']['type']:\n    5"),
            "{e}"
        );
        let e = check(&json!([])).unwrap_err();
        assert!(e.starts_with("[] is not of type 'object', 'boolean'\n\nFailed validating 'type' in schema['allOf'][0]:\n    {'$schema': 'https://json-schema.org/draft/2020-12/schema',\n     '$id': 'https://json-schema.org/draft/2020-12/meta/core',\n"), "{e}");
    }

    /// Tool arguments against tool schemas: the texts are what jsonschema 4.26 (kimi-cli's) printed.
    #[test]
    fn arguments_are_validated_as_jsonschema_does() {
        let s1: Value = serde_json::from_str(r#"{"properties":{"text":{"title":"Text","type":"string"}},"required":["text"],"type":"object"}"#).unwrap();
        let s2: Value = serde_json::from_str(r##"{"type":"object","$defs":{"P":{"type":"object","properties":{"x":{"type":"integer","maximum":10}},"required":["x"]}},"properties":{"p":{"$ref":"#/$defs/P"},"tag":{"anyOf":[{"type":"string","minLength":2},{"type":"null"}]},"pair":{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false},"mode":{"oneOf":[{"type":"integer"},{"type":"number"}]},"k":{"const":"on"},"n":{"not":{"type":"string"}}},"additionalProperties":false}"##).unwrap();
        let cases: &[(bool, &str, Option<&str>)] = &[
            (true, r#"{}"#, Some("'text' is a required property\n\nFailed validating 'required' in schema:\n    {'properties': {'text': {'title': 'Text', 'type': 'string'}},\n     'required': ['text'],\n     'type': 'object'}\n\nOn instance:\n    {}")),
            (true, r#"{"text": 3}"#, Some("3 is not of type 'string'\n\nFailed validating 'type' in schema['properties']['text']:\n    {'title': 'Text', 'type': 'string'}\n\nOn instance['text']:\n    3")),
            (false, r#"{"p": {"x": 11}}"#, Some("11 is greater than the maximum of 10\n\nFailed validating 'maximum' in schema['properties']['p']['properties']['x']:\n    {'type': 'integer', 'maximum': 10}\n\nOn instance['p']['x']:\n    11")),
            (false, r#"{"p": {}}"#, Some("'x' is a required property\n\nFailed validating 'required' in schema['properties']['p']:\n    {'type': 'object',\n     'properties': {'x': {'type': 'integer', 'maximum': 10}},\n     'required': ['x']}\n\nOn instance['p']:\n    {}")),
            (false, r#"{"tag": "a"}"#, Some("'a' is too short\n\nFailed validating 'minLength' in schema[0]:\n    {'type': 'string', 'minLength': 2}\n\nOn instance:\n    'a'")),
            (false, r#"{"pair": ["a", 1, 2, 3]}"#, Some("Expected at most 2 items but found 2 extra: [2, 3]\n\nFailed validating 'items' in schema['properties']['pair']:\n    {'type': 'array',\n     'prefixItems': [{'type': 'string'}, {'type': 'number'}],\n     'items': False}\n\nOn instance['pair']:\n    ['a', 1, 2, 3]")),
            (false, r#"{"mode": 3}"#, Some("3 is valid under each of {'type': 'number'}, {'type': 'integer'}\n\nFailed validating 'oneOf' in schema['properties']['mode']:\n    {'oneOf': [{'type': 'integer'}, {'type': 'number'}]}\n\nOn instance['mode']:\n    3")),
            (false, r#"{"k": "off"}"#, Some("'on' was expected\n\nFailed validating 'const' in schema['properties']['k']:\n    {'const': 'on'}\n\nOn instance['k']:\n    'off'")),
            (false, r#"{"n": "s"}"#, Some("'s' should not be valid under {'type': 'string'}\n\nFailed validating 'not' in schema['properties']['n']:\n    {'not': {'type': 'string'}}\n\nOn instance['n']:\n    's'")),
            (false, r#"{"zz": 1}"#, Some("Additional properties are not allowed ('zz' was unexpected)\n\nFailed validating 'additionalProperties' in schema:\n    {'type': 'object',\n     '$defs': {'P': {'type': 'object',\n                     'properties': {'x': {'type': 'integer',\n                                          'maximum': 10}},\n                     'required': ['x']}},\n     'properties': {'p': {'$ref': '#/$defs/P'},\n                    'tag': {'anyOf': [{'type': 'string', 'minLength': 2},\n                                      {'type': 'null'}]},\n                    'pair': {'type': 'array',\n                             'prefixItems': [{'type': 'string'},\n                                             {'type': 'number'}],\n                             'items': False},\n                    'mode': {'oneOf': [{'type': 'integer'},\n                                       {'type': 'number'}]},\n                    'k': {'const': 'on'},\n                    'n': {'not': {'type': 'string'}}},\n     'additionalProperties': False}\n\nOn instance:\n    {'zz': 1}")),
            (false, r#"{"p": {"x": 1}, "tag": null, "pair": ["a", 2.5], "mode": 2.5, "k": "on", "n": 1}"#, None),
        ];
        for (first, args, want) in cases {
            let args: Value = serde_json::from_str(args).unwrap();
            let schema = if *first { &s1 } else { &s2 };
            assert_eq!(validate(&args, schema).err().as_deref(), *want, "{args}");
        }
    }
}
