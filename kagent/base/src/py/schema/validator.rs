//! The keywords of python-jsonschema 4.26's validator classes (Draft4, 6, 7, 2019-09,
//! 2020-12), reimplemented from their documented behaviour and observed output: which
//! keywords each draft knows, the order errors come in (the schema's key order), every
//! message text, the error's keyword / schema / instance / paths (`$ref` and `if` add no step to
//! the schema path; a `false` subschema's error gets no path step at all, and names keyword
//! `None`), and where python-jsonschema is lazy: a validity check (`not`, `if`, `contains`,
//! `oneOf`'s second pass, the unevaluated* searches) stops at the first error, so a later
//! unresolvable `$ref` raises only where Python's generators would reach it. Numbers compare
//! exactly between integers and floats, as Python's do; `multipleOf` divides as Python does
//! (float quotient for a float divisor, exact remainder for an integer one, and the exact
//! fraction when the float quotient overflows).

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::refs::{Dialect, Registry, Scope};
use super::regex;
use crate::py::repr::{repr_str, repr_value};

/// A step of an instance or schema path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Index(usize),
    Key(String),
}

impl Seg {
    pub fn index_repr(&self) -> String {
        match self {
            Seg::Index(i) => format!("[{i}]"),
            Seg::Key(k) => format!("[{}]", repr_str(k)),
        }
    }
}

/// `ValidationError.validator`: not yet set, `None` (a `false` schema), or a keyword.
#[derive(Debug, Clone, PartialEq)]
pub enum Kw {
    Unset,
    None,
    Name(String),
}

#[derive(Debug, Clone)]
pub struct VError {
    pub message: String,
    pub keyword: Kw,
    pub instance: Option<Value>,
    /// The schema holding the keyword.
    pub schema: Option<Value>,
    pub path: Vec<Seg>,
    pub schema_path: Vec<Seg>,
    pub context: Vec<VError>,
    /// The draft whose type checker `_matches_type` uses.
    pub dialect: Dialect,
}

impl VError {
    fn new(message: String) -> VError {
        VError {
            message,
            keyword: Kw::Unset,
            instance: None,
            schema: None,
            path: vec![],
            schema_path: vec![],
            context: vec![],
            dialect: Dialect::D202012,
        }
    }

    fn matches_type(&self) -> bool {
        let Some(instance) = &self.instance else {
            return false;
        };
        match self.schema.as_ref().and_then(|s| s.get("type")) {
            Some(Value::String(t)) => is_type(instance, t, self.dialect),
            Some(Value::Array(ts)) => ts.iter().any(|t| {
                t.as_str()
                    .is_some_and(|t| is_type(instance, t, self.dialect))
            }),
            _ => false,
        }
    }

    /// jsonschema's `relevance` key: shallower, later path, not anyOf/oneOf, matching type.
    pub fn relevance(&self) -> (isize, Vec<Seg>, bool, bool, bool) {
        let weak = matches!(&self.keyword, Kw::Name(k) if k == "anyOf" || k == "oneOf");
        (
            -(self.path.len() as isize),
            self.path.clone(),
            !weak,
            false,
            !self.matches_type(),
        )
    }
}

/// An exception other than a validation error (its `str()`, with the class name where
/// python-jsonschema's wrapper adds it).
pub type Raised = String;
type Res<T> = Result<T, Raised>;

pub fn is_type(v: &Value, t: &str, d: Dialect) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => true,
            Value::Number(n) => d != Dialect::D4 && n.as_f64().is_some_and(|f| f.fract() == 0.0),
            _ => false,
        },
        _ => false,
    }
}

/// A JSON number as Python holds it.
#[derive(Clone, Copy, Debug)]
enum Num {
    I(i128),
    F(f64),
}

fn num(v: &Value) -> Option<Num> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        Some(Num::I(i.into()))
    } else if let Some(u) = n.as_u64() {
        Some(Num::I(u.into()))
    } else {
        n.as_f64().map(Num::F)
    }
}

fn cmp_int_float(i: i128, f: f64) -> Ordering {
    if f.is_nan() {
        return Ordering::Equal;
    }
    if f >= 1.7e38 {
        return Ordering::Less;
    }
    if f <= -1.7e38 {
        return Ordering::Greater;
    }
    let t = f.trunc();
    match i.cmp(&(t as i128)) {
        Ordering::Equal if f > t => Ordering::Less,
        Ordering::Equal if f < t => Ordering::Greater,
        o => o,
    }
}

/// Python's exact comparison of two numbers.
fn cmp(a: Num, b: Num) -> Ordering {
    match (a, b) {
        (Num::I(x), Num::I(y)) => x.cmp(&y),
        (Num::F(x), Num::F(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Num::I(x), Num::F(y)) => cmp_int_float(x, y),
        (Num::F(x), Num::I(y)) => cmp_int_float(y, x).reverse(),
    }
}

/// `len(x) <op> limit` for a size and a schema number.
fn size_cmp(size: usize, limit: &Value) -> Option<Ordering> {
    num(limit).map(|l| cmp(Num::I(size as i128), l))
}

fn is_num(limit: &Value, n: i128) -> bool {
    num(limit).is_some_and(|l| cmp(l, Num::I(n)) == Ordering::Equal)
}

/// (odd part, power of two) of a non-zero finite number's exact value.
fn odd_and_exp(n: Num) -> Option<(i128, i64)> {
    let (mut m, mut e): (i128, i64) = match n {
        Num::I(0) => return None,
        Num::I(i) => (i, 0),
        Num::F(f) if f == 0.0 || !f.is_finite() => return None,
        Num::F(f) => {
            let bits = f.to_bits();
            let sign = if bits >> 63 == 1 { -1 } else { 1 };
            let exp = ((bits >> 52) & 0x7ff) as i64;
            let frac = (bits & ((1u64 << 52) - 1)) as i128;
            if exp == 0 {
                (sign * frac, -1074)
            } else {
                (sign * (frac | (1i128 << 52)), exp - 1075)
            }
        }
    };
    while m % 2 == 0 {
        m /= 2;
        e += 1;
    }
    Some((m, e))
}

/// `Fraction(x) / Fraction(d)` has denominator 1.
fn exact_ratio_is_integer(x: Num, d: Num) -> bool {
    let Some((dm, de)) = odd_and_exp(d) else {
        return false;
    };
    match odd_and_exp(x) {
        None => true,
        Some((xm, xe)) => xm % dm == 0 && xe >= de,
    }
}

/// `multipleOf`'s failure test, as python-jsonschema computes it.
fn not_multiple(instance: Num, divisor: &Value) -> bool {
    let Some(d) = num(divisor) else {
        return false;
    };
    match d {
        Num::F(df) => {
            let x = match instance {
                Num::I(i) => i as f64,
                Num::F(f) => f,
            };
            let q = x / df;
            if q.is_finite() {
                q.trunc() != q
            } else if q.is_nan() {
                true
            } else {
                !exact_ratio_is_integer(instance, d)
            }
        }
        Num::I(0) => false,
        Num::I(di) => match instance {
            Num::I(i) => i % di != 0,
            Num::F(f) => f % (di as f64) != 0.0,
        },
    }
}

/// Python equality of JSON values as jsonschema's `equal` has it (`True != 1`, `1 == 1.0`).
pub fn py_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => match (num(a), num(b)) {
            (Some(x), Some(y)) => cmp(x, y) == Ordering::Equal,
            _ => false,
        },
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

/// `"%s %s unexpected" % extras_msg(extras)`'s two parts.
fn extras_msg(reprs: &[String]) -> (String, &'static str) {
    (
        reprs.join(", "),
        if reprs.len() == 1 { "was" } else { "were" },
    )
}

fn sorted_keys(keys: &[String]) -> Vec<String> {
    let mut k = keys.to_vec();
    k.sort();
    k
}

pub struct Validator<'r, 'a> {
    pub reg: &'r Registry<'a>,
    /// `format: regex` asserted (`check_schema` passes the draft's format checker).
    pub formats: bool,
    /// Subschemas entered and not yet left (a `$ref` cycle on one instance never ends: Python
    /// raises `RecursionError`).
    pub depth: std::cell::Cell<usize>,
}

/// How deep validation may nest before it is Python's `RecursionError` (Python's 1000 frames
/// are a few hundred schema levels; JSON documents here nest at most 128 levels, so only a
/// reference cycle gets this far).
const MAX_DEPTH: usize = 100;

fn one(message: String) -> Res<Vec<VError>> {
    Ok(vec![VError::new(message)])
}

fn false_error(instance: &Value) -> VError {
    let mut e = VError::new(format!(
        "False schema does not allow {}",
        repr_value(instance)
    ));
    e.keyword = Kw::None;
    e.instance = Some(instance.clone());
    e.schema = Some(Value::Bool(false));
    e
}

impl<'r, 'a> Validator<'r, 'a> {
    /// `Validator(schema).iter_errors(instance)` for the validator `scope` describes (an
    /// evolved one: its own draft decides whether `$ref` siblings count). `limit`: stop at the
    /// first error, as `is_valid` does.
    pub fn iter_errors(
        &self,
        instance: &Value,
        schema: &'a Value,
        scope: &Scope,
        limit: bool,
    ) -> Res<Vec<VError>> {
        let d = Dialect::of(schema, scope.dialect);
        let mut here = scope.clone();
        here.dialect = d;
        self.apply(instance, schema, &here, d, limit)
    }

    /// `evolve(schema=..).is_valid(instance)` (same resolver, no subresource step).
    fn is_valid(&self, instance: &Value, schema: &'a Value, scope: &Scope) -> Res<bool> {
        Ok(self.iter_errors(instance, schema, scope, true)?.is_empty())
    }

    /// `descend(instance, schema, path, schema_path, resolver)`.
    #[allow(clippy::too_many_arguments)]
    fn descend(
        &self,
        instance: &Value,
        schema: &'a Value,
        path: Option<Seg>,
        schema_path: Option<Seg>,
        scope: &Scope,
        resolved: Option<Scope>,
        limit: bool,
    ) -> Res<Vec<VError>> {
        let d = Dialect::of(schema, scope.dialect);
        let mut here = match resolved {
            Some(s) => s,
            None => scope.in_subresource(schema, scope.dialect),
        };
        here.dialect = d;
        let rule = scope.dialect;
        let mut errors = self.apply(instance, schema, &here, rule, limit)?;
        if schema.is_object() {
            for e in &mut errors {
                if let Some(p) = &path {
                    e.path.insert(0, p.clone());
                }
                if let Some(s) = &schema_path {
                    e.schema_path.insert(0, s.clone());
                }
            }
        }
        Ok(errors)
    }

    fn apply(
        &self,
        instance: &Value,
        schema: &'a Value,
        scope: &Scope,
        rule: Dialect,
        limit: bool,
    ) -> Res<Vec<VError>> {
        self.nested(|| self.apply_keywords(instance, schema, scope, rule, limit))
    }

    /// `f` one level deeper, or Python's `RecursionError` past [`MAX_DEPTH`].
    fn nested<T>(&self, f: impl FnOnce() -> Res<T>) -> Res<T> {
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            return Err("maximum recursion depth exceeded".into());
        }
        self.depth.set(depth + 1);
        let out = f();
        self.depth.set(depth);
        out
    }

    fn apply_keywords(
        &self,
        instance: &Value,
        schema: &'a Value,
        scope: &Scope,
        rule: Dialect,
        limit: bool,
    ) -> Res<Vec<VError>> {
        let obj = match schema {
            Value::Bool(true) => return Ok(vec![]),
            Value::Bool(false) => return Ok(vec![false_error(instance)]),
            Value::Object(o) => o,
            _ => return Ok(vec![]),
        };
        let keywords: Vec<(&String, &'a Value)> = match obj.get_key_value("$ref") {
            Some(kv) if rule.ignores_ref_siblings() => vec![kv],
            _ => obj.iter().collect(),
        };
        let mut out = vec![];
        for (k, v) in keywords {
            let mut errors = self.keyword(k, v, instance, (schema, obj), scope, limit)?;
            for e in &mut errors {
                if e.keyword == Kw::Unset {
                    e.keyword = Kw::Name(k.clone());
                }
                if e.instance.is_none() {
                    e.instance = Some(instance.clone());
                }
                if e.schema.is_none() {
                    e.schema = Some(schema.clone());
                    e.dialect = scope.dialect;
                }
                if k != "if" && k != "$ref" {
                    e.schema_path.insert(0, Seg::Key(k.clone()));
                }
            }
            out.extend(errors);
            if limit && !out.is_empty() {
                break;
            }
        }
        Ok(out)
    }

    /// Whether the draft has a validator function for keyword `k`.
    fn knows(d: Dialect, k: &str) -> bool {
        use Dialect::*;
        match k {
            "$ref"
            | "additionalProperties"
            | "allOf"
            | "anyOf"
            | "enum"
            | "format"
            | "items"
            | "maxItems"
            | "maxLength"
            | "maxProperties"
            | "maximum"
            | "minItems"
            | "minLength"
            | "minProperties"
            | "minimum"
            | "multipleOf"
            | "not"
            | "oneOf"
            | "pattern"
            | "patternProperties"
            | "properties"
            | "required"
            | "type"
            | "uniqueItems" => true,
            "additionalItems" => d != D202012,
            "dependencies" => matches!(d, D4 | D6 | D7),
            "const" | "contains" | "exclusiveMaximum" | "exclusiveMinimum" | "propertyNames" => {
                d != D4
            }
            "if" => !matches!(d, D4 | D6),
            "dependentRequired"
            | "dependentSchemas"
            | "unevaluatedItems"
            | "unevaluatedProperties" => matches!(d, D201909 | D202012),
            "$recursiveRef" => d == D201909,
            "$dynamicRef" | "prefixItems" => d == D202012,
            _ => false,
        }
    }

    fn reference(
        &self,
        reference: &str,
        instance: &Value,
        scope: &Scope,
        limit: bool,
    ) -> Res<Vec<VError>> {
        let (target, resolved) = self.reg.lookup(reference, scope)?;
        self.descend(instance, target, None, None, scope, Some(resolved), limit)
    }

    /// `lookup_recursive_ref`: `#`, or the outermost `$recursiveAnchor` resource around it.
    fn recursive_target(&self, scope: &Scope) -> Res<(&'a Value, Scope)> {
        let mut resolved = self.reg.lookup("#", scope)?;
        if resolved.0.get("$recursiveAnchor") == Some(&Value::Bool(true)) {
            for uri in &scope.previous {
                let next = self.reg.lookup(uri, scope)?;
                if next.0.get("$recursiveAnchor") != Some(&Value::Bool(true)) {
                    break;
                }
                resolved = next;
            }
        }
        Ok(resolved)
    }

    #[allow(clippy::too_many_lines)]
    fn keyword(
        &self,
        k: &str,
        v: &'a Value,
        instance: &Value,
        (whole, schema): (&'a Value, &'a Map<String, Value>),
        scope: &Scope,
        limit: bool,
    ) -> Res<Vec<VError>> {
        let d = scope.dialect;
        if !Self::knows(d, k) {
            return Ok(vec![]);
        }
        let none = Ok(vec![]);
        match k {
            "$ref" | "$dynamicRef" => match v.as_str() {
                Some(r) => self.reference(r, instance, scope, limit),
                None => none,
            },
            "$recursiveRef" => {
                let (target, resolved) = self.recursive_target(scope)?;
                self.descend(instance, target, None, None, scope, Some(resolved), limit)
            }
            "allOf" => {
                let mut out = vec![];
                for (i, s) in v.as_array().into_iter().flatten().enumerate() {
                    out.extend(self.descend(
                        instance,
                        s,
                        None,
                        Some(Seg::Index(i)),
                        scope,
                        None,
                        limit,
                    )?);
                    if limit && !out.is_empty() {
                        break;
                    }
                }
                Ok(out)
            }
            "anyOf" => {
                let mut all = vec![];
                for (i, s) in v.as_array().into_iter().flatten().enumerate() {
                    let errs =
                        self.descend(instance, s, None, Some(Seg::Index(i)), scope, None, false)?;
                    if errs.is_empty() {
                        return none;
                    }
                    all.extend(errs);
                }
                let mut e = VError::new(format!(
                    "{} is not valid under any of the given schemas",
                    repr_value(instance)
                ));
                e.context = all;
                Ok(vec![e])
            }
            "oneOf" => {
                let subs: Vec<&'a Value> = v.as_array().into_iter().flatten().collect();
                let mut all = vec![];
                let mut first_valid = None;
                for (i, s) in subs.iter().enumerate() {
                    let errs =
                        self.descend(instance, s, None, Some(Seg::Index(i)), scope, None, false)?;
                    if errs.is_empty() {
                        first_valid = Some(i);
                        break;
                    }
                    all.extend(errs);
                }
                let Some(first) = first_valid else {
                    let mut e = VError::new(format!(
                        "{} is not valid under any of the given schemas",
                        repr_value(instance)
                    ));
                    e.context = all;
                    return Ok(vec![e]);
                };
                let mut valid = vec![];
                for s in subs.iter().skip(first + 1) {
                    if self.is_valid(instance, s, scope)? {
                        valid.push(*s);
                    }
                }
                if valid.is_empty() {
                    return none;
                }
                valid.extend(subs.get(first).copied());
                let reprs: Vec<String> = valid.iter().map(|s| repr_value(s)).collect();
                one(format!(
                    "{} is valid under each of {}",
                    repr_value(instance),
                    reprs.join(", ")
                ))
            }
            "not" => {
                if self.is_valid(instance, v, scope)? {
                    one(format!(
                        "{} should not be valid under {}",
                        repr_value(instance),
                        repr_value(v)
                    ))
                } else {
                    none
                }
            }
            "if" => {
                if self.is_valid(instance, v, scope)? {
                    match schema.get("then") {
                        Some(t) => self.descend(
                            instance,
                            t,
                            None,
                            Some(Seg::Key("then".into())),
                            scope,
                            None,
                            limit,
                        ),
                        None => none,
                    }
                } else {
                    match schema.get("else") {
                        Some(e) => self.descend(
                            instance,
                            e,
                            None,
                            Some(Seg::Key("else".into())),
                            scope,
                            None,
                            limit,
                        ),
                        None => none,
                    }
                }
            }
            "type" => {
                let types: Vec<&str> = match v {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => return none,
                };
                if types.iter().any(|t| is_type(instance, t, d)) {
                    return none;
                }
                let reprs: Vec<String> = types.iter().map(|t| repr_str(t)).collect();
                one(format!(
                    "{} is not of type {}",
                    repr_value(instance),
                    reprs.join(", ")
                ))
            }
            "enum" => {
                let options = v.as_array().map(Vec::as_slice).unwrap_or_default();
                if options.iter().any(|o| py_equal(o, instance)) {
                    return none;
                }
                one(format!(
                    "{} is not one of {}",
                    repr_value(instance),
                    repr_value(v)
                ))
            }
            "const" => {
                if py_equal(instance, v) {
                    none
                } else {
                    one(format!("{} was expected", repr_value(v)))
                }
            }
            "properties" => {
                let (Some(inst), Some(props)) = (instance.as_object(), v.as_object()) else {
                    return none;
                };
                let mut out = vec![];
                for (name, sub) in props {
                    if let Some(x) = inst.get(name) {
                        out.extend(self.descend(
                            x,
                            sub,
                            Some(Seg::Key(name.clone())),
                            Some(Seg::Key(name.clone())),
                            scope,
                            None,
                            limit,
                        )?);
                        if limit && !out.is_empty() {
                            break;
                        }
                    }
                }
                Ok(out)
            }
            "patternProperties" => {
                let (Some(inst), Some(pats)) = (instance.as_object(), v.as_object()) else {
                    return none;
                };
                let mut out = vec![];
                for (pattern, sub) in pats {
                    for (key, x) in inst {
                        if regex::search(pattern, key) {
                            out.extend(self.descend(
                                x,
                                sub,
                                Some(Seg::Key(key.clone())),
                                Some(Seg::Key(pattern.clone())),
                                scope,
                                None,
                                limit,
                            )?);
                            if limit && !out.is_empty() {
                                return Ok(out);
                            }
                        }
                    }
                }
                Ok(out)
            }
            "additionalProperties" => {
                let Some(inst) = instance.as_object() else {
                    return none;
                };
                let extras = additional_properties(inst, schema);
                match v {
                    Value::Object(_) => {
                        let mut out = vec![];
                        for x in &extras {
                            if let Some(val) = inst.get(x) {
                                out.extend(self.descend(
                                    val,
                                    v,
                                    Some(Seg::Key(x.clone())),
                                    None,
                                    scope,
                                    None,
                                    limit,
                                )?);
                                if limit && !out.is_empty() {
                                    break;
                                }
                            }
                        }
                        Ok(out)
                    }
                    Value::Bool(false) if !extras.is_empty() => {
                        let sorted = sorted_keys(&extras);
                        let reprs: Vec<String> = sorted.iter().map(|x| repr_str(x)).collect();
                        if let Some(Value::Object(pp)) = schema.get("patternProperties") {
                            let pats: Vec<String> =
                                sorted_keys(&pp.keys().cloned().collect::<Vec<_>>())
                                    .iter()
                                    .map(|p| repr_str(p))
                                    .collect();
                            let verb = if extras.len() == 1 { "does" } else { "do" };
                            one(format!(
                                "{} {verb} not match any of the regexes: {}",
                                reprs.join(", "),
                                pats.join(", ")
                            ))
                        } else {
                            let (names, verb) = extras_msg(&reprs);
                            one(format!(
                                "Additional properties are not allowed ({names} {verb} unexpected)"
                            ))
                        }
                    }
                    _ => none,
                }
            }
            "propertyNames" => {
                let Some(inst) = instance.as_object() else {
                    return none;
                };
                let mut out = vec![];
                for key in inst.keys() {
                    out.extend(self.descend(
                        &Value::String(key.clone()),
                        v,
                        None,
                        None,
                        scope,
                        None,
                        limit,
                    )?);
                    if limit && !out.is_empty() {
                        break;
                    }
                }
                Ok(out)
            }
            "required" => {
                let (Some(inst), Some(req)) = (instance.as_object(), v.as_array()) else {
                    return none;
                };
                let mut out = vec![];
                for p in req {
                    if p.as_str().is_none_or(|p| !inst.contains_key(p)) {
                        out.push(VError::new(format!(
                            "{} is a required property",
                            repr_value(p)
                        )));
                    }
                }
                Ok(out)
            }
            "dependentRequired" => {
                let (Some(inst), Some(deps)) = (instance.as_object(), v.as_object()) else {
                    return none;
                };
                let mut out = vec![];
                for (prop, dep) in deps {
                    if !inst.contains_key(prop) {
                        continue;
                    }
                    for each in dep.as_array().into_iter().flatten() {
                        if each.as_str().is_none_or(|e| !inst.contains_key(e)) {
                            out.push(VError::new(format!(
                                "{} is a dependency of {}",
                                repr_value(each),
                                repr_str(prop)
                            )));
                        }
                    }
                }
                Ok(out)
            }
            "dependentSchemas" => {
                let (Some(inst), Some(deps)) = (instance.as_object(), v.as_object()) else {
                    return none;
                };
                let mut out = vec![];
                for (prop, dep) in deps {
                    if inst.contains_key(prop) {
                        out.extend(self.descend(
                            instance,
                            dep,
                            None,
                            Some(Seg::Key(prop.clone())),
                            scope,
                            None,
                            limit,
                        )?);
                        if limit && !out.is_empty() {
                            break;
                        }
                    }
                }
                Ok(out)
            }
            "dependencies" => {
                let (Some(inst), Some(deps)) = (instance.as_object(), v.as_object()) else {
                    return none;
                };
                let mut out = vec![];
                for (prop, dep) in deps {
                    if !inst.contains_key(prop) {
                        continue;
                    }
                    if let Value::Array(names) = dep {
                        for each in names {
                            if each.as_str().is_none_or(|e| !inst.contains_key(e)) {
                                out.push(VError::new(format!(
                                    "{} is a dependency of {}",
                                    repr_value(each),
                                    repr_str(prop)
                                )));
                            }
                        }
                    } else {
                        out.extend(self.descend(
                            instance,
                            dep,
                            None,
                            Some(Seg::Key(prop.clone())),
                            scope,
                            None,
                            limit,
                        )?);
                    }
                    if limit && !out.is_empty() {
                        break;
                    }
                }
                Ok(out)
            }
            "items" => self.items(v, instance, schema, scope, limit),
            "prefixItems" => {
                let (Some(items), Some(subs)) = (instance.as_array(), v.as_array()) else {
                    return none;
                };
                let mut out = vec![];
                for (i, (x, s)) in items.iter().zip(subs).enumerate() {
                    out.extend(self.descend(
                        x,
                        s,
                        Some(Seg::Index(i)),
                        Some(Seg::Index(i)),
                        scope,
                        None,
                        limit,
                    )?);
                    if limit && !out.is_empty() {
                        break;
                    }
                }
                Ok(out)
            }
            "additionalItems" => {
                let Some(items) = instance.as_array() else {
                    return none;
                };
                let n = match schema.get("items") {
                    None | Some(Value::Object(_)) | Some(Value::Bool(_)) => return none,
                    Some(Value::Array(a)) => a.len(),
                    Some(_) => return none,
                };
                match v {
                    Value::Object(_) => {
                        let mut out = vec![];
                        for (i, x) in items.iter().enumerate().skip(n) {
                            out.extend(self.descend(
                                x,
                                v,
                                Some(Seg::Index(i)),
                                None,
                                scope,
                                None,
                                limit,
                            )?);
                            if limit && !out.is_empty() {
                                break;
                            }
                        }
                        Ok(out)
                    }
                    Value::Bool(false) if items.len() > n => {
                        let reprs: Vec<String> = items.iter().skip(n).map(repr_value).collect();
                        let (extra, verb) = extras_msg(&reprs);
                        one(format!(
                            "Additional items are not allowed ({extra} {verb} unexpected)"
                        ))
                    }
                    _ => none,
                }
            }
            "contains" => {
                let Some(items) = instance.as_array() else {
                    return none;
                };
                if matches!(d, Dialect::D6 | Dialect::D7) {
                    for x in items {
                        if self.is_valid(x, v, scope)? {
                            return none;
                        }
                    }
                    return one(format!(
                        "None of {} are valid under the given schema",
                        repr_value(instance)
                    ));
                }
                let min = schema.get("minContains").cloned().unwrap_or(Value::from(1));
                let max = schema
                    .get("maxContains")
                    .cloned()
                    .unwrap_or(Value::from(items.len()));
                let mut matches = 0usize;
                for x in items {
                    if self.is_valid(x, v, scope)? {
                        matches += 1;
                        if size_cmp(matches, &max) == Some(Ordering::Greater) {
                            let mut e = VError::new(format!(
                                "Too many items match the given schema (expected at most {})",
                                repr_value(&max)
                            ));
                            e.keyword = Kw::Name("maxContains".into());
                            return Ok(vec![e]);
                        }
                    }
                }
                if size_cmp(matches, &min) == Some(Ordering::Less) {
                    if matches == 0 {
                        return one(format!(
                            "{} does not contain items matching the given schema",
                            repr_value(instance)
                        ));
                    }
                    let mut e = VError::new(format!(
                        "Too few items match the given schema (expected at least {} but only {matches} matched)",
                        repr_value(&min)
                    ));
                    e.keyword = Kw::Name("minContains".into());
                    return Ok(vec![e]);
                }
                none
            }
            "unevaluatedItems" => {
                let Some(items) = instance.as_array() else {
                    return none;
                };
                let evaluated = self.evaluated_items(items, instance, whole, scope)?;
                let rest: Vec<String> = items
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !evaluated.contains(i))
                    .map(|(_, x)| repr_value(x))
                    .collect();
                if rest.is_empty() {
                    return none;
                }
                let (extra, verb) = extras_msg(&rest);
                one(format!(
                    "Unevaluated items are not allowed ({extra} {verb} unexpected)"
                ))
            }
            "unevaluatedProperties" => {
                let Some(inst) = instance.as_object() else {
                    return none;
                };
                let evaluated = self.evaluated_keys(inst, instance, whole, scope)?;
                let mut bad: Vec<String> = vec![];
                for (key, x) in inst {
                    if evaluated.contains(key) {
                        continue;
                    }
                    let errs = self.descend(
                        x,
                        v,
                        Some(Seg::Key(key.clone())),
                        Some(Seg::Key(key.clone())),
                        scope,
                        None,
                        false,
                    )?;
                    bad.extend(errs.iter().map(|_| key.clone()));
                }
                if bad.is_empty() {
                    return none;
                }
                if v == &Value::Bool(false) {
                    let reprs: Vec<String> =
                        sorted_keys(&bad).iter().map(|x| repr_str(x)).collect();
                    let (names, verb) = extras_msg(&reprs);
                    one(format!(
                        "Unevaluated properties are not allowed ({names} {verb} unexpected)"
                    ))
                } else {
                    let reprs: Vec<String> = bad.iter().map(|x| repr_str(x)).collect();
                    let (names, verb) = extras_msg(&reprs);
                    one(format!("Unevaluated properties are not valid under the given schema ({names} {verb} unevaluated and invalid)"))
                }
            }
            "maximum" | "minimum" => {
                let (Some(x), Some(limit_n)) =
                    (num(instance).filter(|_| !instance.is_boolean()), num(v))
                else {
                    return none;
                };
                let max = k == "maximum";
                let exclusive = d == Dialect::D4
                    && schema
                        .get(if max {
                            "exclusiveMaximum"
                        } else {
                            "exclusiveMinimum"
                        })
                        .is_some_and(truthy);
                let o = cmp(x, limit_n);
                let failed = match (max, exclusive) {
                    (true, false) => o == Ordering::Greater,
                    (true, true) => o != Ordering::Less,
                    (false, false) => o == Ordering::Less,
                    (false, true) => o != Ordering::Greater,
                };
                if !failed {
                    return none;
                }
                let word = match (max, exclusive) {
                    (true, false) => "greater than",
                    (true, true) => "greater than or equal to",
                    (false, false) => "less than",
                    (false, true) => "less than or equal to",
                };
                let bound = if max { "maximum" } else { "minimum" };
                one(format!(
                    "{} is {word} the {bound} of {}",
                    repr_value(instance),
                    repr_value(v)
                ))
            }
            "exclusiveMaximum" | "exclusiveMinimum" => {
                let (Some(x), Some(limit_n)) = (num(instance), num(v)) else {
                    return none;
                };
                let o = cmp(x, limit_n);
                if k == "exclusiveMaximum" && o != Ordering::Less {
                    one(format!(
                        "{} is greater than or equal to the maximum of {}",
                        repr_value(instance),
                        repr_value(v)
                    ))
                } else if k == "exclusiveMinimum" && o != Ordering::Greater {
                    one(format!(
                        "{} is less than or equal to the minimum of {}",
                        repr_value(instance),
                        repr_value(v)
                    ))
                } else {
                    none
                }
            }
            "multipleOf" => match num(instance) {
                Some(x) if not_multiple(x, v) => one(format!(
                    "{} is not a multiple of {}",
                    repr_value(instance),
                    repr_value(v)
                )),
                _ => none,
            },
            "minItems" | "maxItems" | "minLength" | "maxLength" | "minProperties"
            | "maxProperties" => {
                let size = match k {
                    "minItems" | "maxItems" => instance.as_array().map(Vec::len),
                    "minLength" | "maxLength" => instance.as_str().map(|s| s.chars().count()),
                    _ => instance.as_object().map(Map::len),
                };
                let Some(size) = size else { return none };
                let min = k.starts_with("min");
                let failed = size_cmp(size, v)
                    == Some(if min {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    });
                if !failed {
                    return none;
                }
                let what = if min && is_num(v, 1) {
                    "should be non-empty"
                } else if !min && is_num(v, 0) {
                    "is expected to be empty"
                } else {
                    match k {
                        "minProperties" => "does not have enough properties",
                        "maxProperties" => "has too many properties",
                        _ if min => "is too short",
                        _ => "is too long",
                    }
                };
                one(format!("{} {what}", repr_value(instance)))
            }
            "uniqueItems" => match instance.as_array() {
                Some(items) if truthy(v) => {
                    let dup = items
                        .iter()
                        .enumerate()
                        .any(|(i, a)| items.iter().skip(i + 1).any(|b| py_equal(a, b)));
                    if dup {
                        one(format!("{} has non-unique elements", repr_value(instance)))
                    } else {
                        none
                    }
                }
                _ => none,
            },
            "pattern" => match (instance.as_str(), v.as_str()) {
                (Some(s), Some(p)) if !regex::search(p, s) => one(format!(
                    "{} does not match {}",
                    repr_value(instance),
                    repr_str(p)
                )),
                _ => none,
            },
            "format" => match (instance.as_str(), v.as_str()) {
                (Some(s), Some("regex")) if self.formats => match regex::compile(s) {
                    Ok(_) => none,
                    Err(None) => one(format!("{} is not a 'regex'", repr_value(instance))),
                    Err(Some(raised)) => Err(raised),
                },
                _ => none,
            },
            _ => none,
        }
    }

    fn items(
        &self,
        v: &'a Value,
        instance: &Value,
        schema: &'a Map<String, Value>,
        scope: &Scope,
        limit: bool,
    ) -> Res<Vec<VError>> {
        let Some(items) = instance.as_array() else {
            return Ok(vec![]);
        };
        let d = scope.dialect;
        let mut out = vec![];
        if d != Dialect::D202012 {
            // drafts 4-2019-09: an array of schemas pairs with the items, else one for all
            if let Value::Array(subs) = v {
                for (i, (x, s)) in items.iter().zip(subs).enumerate() {
                    out.extend(self.descend(
                        x,
                        s,
                        Some(Seg::Index(i)),
                        Some(Seg::Index(i)),
                        scope,
                        None,
                        limit,
                    )?);
                    if limit && !out.is_empty() {
                        break;
                    }
                }
            } else {
                for (i, x) in items.iter().enumerate() {
                    out.extend(self.descend(
                        x,
                        v,
                        Some(Seg::Index(i)),
                        None,
                        scope,
                        None,
                        limit,
                    )?);
                    if limit && !out.is_empty() {
                        break;
                    }
                }
            }
            return Ok(out);
        }
        let prefix = schema
            .get("prefixItems")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let extra = items.len().saturating_sub(prefix);
        if extra == 0 {
            return Ok(out);
        }
        if v == &Value::Bool(false) {
            let rest = if extra == 1 {
                items.get(prefix).cloned().unwrap_or(Value::Null)
            } else {
                Value::Array(items.iter().skip(prefix).cloned().collect())
            };
            return one(format!(
                "Expected at most {prefix} {} but found {extra} extra: {}",
                if prefix == 1 { "item" } else { "items" },
                repr_value(&rest)
            ));
        }
        for (i, x) in items.iter().enumerate().skip(prefix) {
            out.extend(self.descend(x, v, Some(Seg::Index(i)), None, scope, None, limit)?);
            if limit && !out.is_empty() {
                break;
            }
        }
        Ok(out)
    }

    /// `next(descend(instance, sub)) is None`.
    fn descend_valid(&self, instance: &Value, sub: &'a Value, scope: &Scope) -> Res<bool> {
        Ok(self
            .descend(instance, sub, None, None, scope, None, true)?
            .is_empty())
    }

    /// The schemas `obj` refers to, in the order both `find_evaluated_*` functions follow
    /// them: `$ref`, then `$dynamicRef` (2020-12) or `$recursiveRef` (2019-09).
    fn referenced(&self, obj: &Map<String, Value>, scope: &Scope) -> Res<Vec<(&'a Value, Scope)>> {
        let d = scope.dialect;
        let mut out = vec![];
        let mut refs: Vec<&str> = vec![];
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            refs.push(r);
        }
        if d == Dialect::D202012 {
            if let Some(r) = obj.get("$dynamicRef").and_then(Value::as_str) {
                refs.push(r);
            }
        }
        for r in refs {
            out.push(self.reg.lookup(r, scope)?);
        }
        if d == Dialect::D201909 && obj.contains_key("$recursiveRef") {
            out.push(self.recursive_target(scope)?);
        }
        for (target, s) in &mut out {
            s.dialect = Dialect::of(target, d);
        }
        Ok(out)
    }

    /// `find_evaluated_item_indexes_by_schema` (2020-12's, or the 2019-09 one).
    fn evaluated_items(
        &self,
        items: &[Value],
        instance: &Value,
        schema: &'a Value,
        scope: &Scope,
    ) -> Res<Vec<usize>> {
        self.nested(|| self.evaluated_items_in(items, instance, schema, scope))
    }

    fn evaluated_items_in(
        &self,
        items: &[Value],
        instance: &Value,
        schema: &'a Value,
        scope: &Scope,
    ) -> Res<Vec<usize>> {
        let Some(obj) = schema.as_object() else {
            return Ok(vec![]);
        };
        let d = scope.dialect;
        let all = || (0..items.len()).collect::<Vec<_>>();
        let mut out = vec![];
        if d == Dialect::D202012 && obj.contains_key("items") {
            return Ok(all());
        }
        for (target, s) in self.referenced(obj, scope)? {
            out.extend(self.evaluated_items(items, instance, target, &s)?);
        }
        if d == Dialect::D201909 {
            if let Some(it) = obj.get("items") {
                if obj.contains_key("additionalItems") || !it.is_array() {
                    return Ok(all());
                }
                out.extend(0..it.as_array().map_or(0, Vec::len));
            }
        }
        if d == Dialect::D202012 {
            if let Some(Value::Array(p)) = obj.get("prefixItems") {
                out.extend(0..p.len());
            }
        }
        if let Some(cond) = obj.get("if") {
            if self.is_valid(instance, cond, scope)? {
                out.extend(self.evaluated_items(items, instance, cond, scope)?);
                if let Some(t) = obj.get("then") {
                    out.extend(self.evaluated_items(items, instance, t, scope)?);
                }
            } else if let Some(e) = obj.get("else") {
                out.extend(self.evaluated_items(items, instance, e, scope)?);
            }
        }
        for kw in ["contains", "unevaluatedItems"] {
            if let Some(sub) = obj.get(kw) {
                for (i, x) in items.iter().enumerate() {
                    if self.is_valid(x, sub, scope)? {
                        out.push(i);
                    }
                }
            }
        }
        for kw in ["allOf", "oneOf", "anyOf"] {
            for sub in obj.get(kw).and_then(Value::as_array).into_iter().flatten() {
                if self.descend_valid(instance, sub, scope)? {
                    out.extend(self.evaluated_items(items, instance, sub, scope)?);
                }
            }
        }
        Ok(out)
    }

    /// `find_evaluated_property_keys_by_schema` (2020-12's, or the 2019-09 one).
    fn evaluated_keys(
        &self,
        inst: &Map<String, Value>,
        instance: &Value,
        schema: &'a Value,
        scope: &Scope,
    ) -> Res<Vec<String>> {
        self.nested(|| self.evaluated_keys_in(inst, instance, schema, scope))
    }

    fn evaluated_keys_in(
        &self,
        inst: &Map<String, Value>,
        instance: &Value,
        schema: &'a Value,
        scope: &Scope,
    ) -> Res<Vec<String>> {
        let Some(obj) = schema.as_object() else {
            return Ok(vec![]);
        };
        let d = scope.dialect;
        let mut out: Vec<String> = vec![];
        for (target, s) in self.referenced(obj, scope)? {
            out.extend(self.evaluated_keys(inst, instance, target, &s)?);
        }
        if d == Dialect::D201909 {
            for kw in [
                "properties",
                "additionalProperties",
                "unevaluatedProperties",
            ] {
                match obj.get(kw) {
                    Some(Value::Bool(true)) => out.extend(inst.keys().cloned()),
                    Some(Value::Object(m)) => {
                        out.extend(m.keys().filter(|p| inst.contains_key(*p)).cloned());
                    }
                    _ => {}
                }
            }
        } else {
            if let Some(Value::Object(props)) = obj.get("properties") {
                out.extend(props.keys().filter(|p| inst.contains_key(*p)).cloned());
            }
            for kw in ["additionalProperties", "unevaluatedProperties"] {
                if let Some(sub) = obj.get(kw) {
                    for (key, x) in inst {
                        if self.descend_valid(x, sub, scope)? {
                            out.push(key.clone());
                        }
                    }
                }
            }
        }
        if let Some(Value::Object(pats)) = obj.get("patternProperties") {
            for key in inst.keys() {
                for p in pats.keys() {
                    if regex::search(p, key) {
                        out.push(key.clone());
                    }
                }
            }
        }
        if let Some(Value::Object(deps)) = obj.get("dependentSchemas") {
            for (prop, sub) in deps {
                if inst.contains_key(prop) {
                    out.extend(self.evaluated_keys(inst, instance, sub, scope)?);
                }
            }
        }
        for kw in ["allOf", "oneOf", "anyOf"] {
            for sub in obj.get(kw).and_then(Value::as_array).into_iter().flatten() {
                if self.descend_valid(instance, sub, scope)? {
                    out.extend(self.evaluated_keys(inst, instance, sub, scope)?);
                }
            }
        }
        if let Some(cond) = obj.get("if") {
            if self.is_valid(instance, cond, scope)? {
                out.extend(self.evaluated_keys(inst, instance, cond, scope)?);
                if let Some(t) = obj.get("then") {
                    out.extend(self.evaluated_keys(inst, instance, t, scope)?);
                }
            } else if let Some(e) = obj.get("else") {
                out.extend(self.evaluated_keys(inst, instance, e, scope)?);
            }
        }
        Ok(out)
    }
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(_) => num(v).is_some_and(|n| cmp(n, Num::I(0)) != Ordering::Equal),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `find_additional_properties`: the instance's keys neither `properties` nor any of the
/// `patternProperties` (searched as one `|`-joined pattern, as Python does) cover.
fn additional_properties(inst: &Map<String, Value>, schema: &Map<String, Value>) -> Vec<String> {
    let props = schema.get("properties").and_then(Value::as_object);
    let pats: Vec<&String> = schema
        .get("patternProperties")
        .and_then(Value::as_object)
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    let joined = pats
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join("|");
    let joined_re = (!joined.is_empty())
        .then(|| regex::compile(&joined).ok())
        .flatten();
    inst.keys()
        .filter(|k| !props.is_some_and(|p| p.contains_key(*k)))
        .filter(|k| {
            if joined.is_empty() {
                return true;
            }
            let hit = match &joined_re {
                Some(re) => re.search(k),
                // Python would raise re.error here; kagent searches each pattern
                None => pats.iter().any(|p| regex::search(p, k)),
            };
            !hit
        })
        .cloned()
        .collect()
}
