//! Argument validation with pydantic's (lax mode) rules and error wording.
//!
//! kimi-cli validates tool arguments with pydantic models and hands `str(ValidationError)`
//! to the model; the model sees e.g.
//! `1 validation error for Params\ncommand\n  Field required [type=missing, ...]`.
//! Tools describe their fields with [`Field`] and get coerced values back.

// No panic reachable from input (kagent/README.md): enforced here by clippy.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Map, Value};

use super::repr::{repr_value, type_name};

const DOCS: &str = "https://errors.pydantic.dev/2.12/v/";

/// What a field accepts.
#[derive(Debug, Clone)]
pub enum Kind {
    Str {
        min_len: Option<usize>,
    },
    Int {
        ge: Option<i64>,
        le: Option<i64>,
    },
    Bool,
    /// A string with a pydantic `field_validator`: `Err(message)` becomes `Value error, ...`.
    CheckedStr(fn(&str) -> Result<(), String>),
    Literal(&'static [&'static str]),
    /// `T | None`
    Optional(&'static Kind),
    /// `list[Model]` with pydantic's `min_length` / `max_length`
    ListOf {
        model: &'static str,
        fields: &'static [Field],
        min: Option<usize>,
        max: Option<usize>,
    },
    /// `Model | list[Model]` (pydantic's smart union: when both fail, the errors of each
    /// member under `loc.Model` and `loc.list[Model]`)
    ModelOrList {
        model: &'static str,
        fields: &'static [Field],
    },
    /// `list[T]`
    List(&'static Kind),
    /// `set[T]` (a JSON array)
    Set(&'static Kind),
    /// `dict[str, T]`
    Dict(&'static Kind),
    /// `float`
    Float,
    /// `datetime.timedelta`: a number of seconds, or a string as pydantic's speedate reads it
    TimeDelta,
    /// `isinstance` of a Python class no JSON value is (`httpx.Auth`): always an error.
    Instance(&'static str),
    /// pydantic's smart union of plain types: the value when a member accepts it, else each
    /// member's errors under `loc.<label>` (labels as pydantic writes them: `str`,
    /// `literal['oauth']`, `is-instance[Auth]`)
    Union(&'static [(&'static str, Kind)]),
    /// Anything (validated by the tool itself).
    Any,
}

/// One model field; `required: false` fields take `default` when absent.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub default: Option<fn() -> Value>,
}

impl Field {
    pub const fn required(name: &'static str, kind: Kind) -> Field {
        Field {
            name,
            kind,
            default: None,
        }
    }
    pub const fn optional(name: &'static str, kind: Kind, default: fn() -> Value) -> Field {
        Field {
            name,
            kind,
            default: Some(default),
        }
    }
}

pub const STR: Kind = Kind::Str { min_len: None };
pub const INT: Kind = Kind::Int { ge: None, le: None };

pub fn null() -> Value {
    Value::Null
}
pub fn false_() -> Value {
    Value::Bool(false)
}
pub fn true_() -> Value {
    Value::Bool(true)
}
pub fn empty_str() -> Value {
    Value::String(String::new())
}

/// One pydantic error line group.
#[derive(Debug, Clone)]
pub struct ErrorItem {
    pub loc: String,
    pub msg: String,
    pub kind: &'static str,
    pub input: Value,
}

/// Format errors like `str(pydantic.ValidationError)` for model `Params`.
pub fn format_errors(model: &str, errors: &[ErrorItem]) -> String {
    let mut out = format!(
        "{} validation error{} for {model}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for e in errors {
        out.push('\n');
        if !e.loc.is_empty() {
            out.push_str(&e.loc);
            out.push('\n');
        }
        out.push_str(&format!(
            "  {} [type={}, input_value={}, input_type={}]\n    For further information visit {DOCS}{}",
            e.msg,
            e.kind,
            truncated_repr(&e.input),
            type_name(&e.input),
            e.kind
        ));
    }
    out
}

/// pydantic-core's `input_value`: a repr longer than 50 bytes keeps its first 25 and last
/// 24 bytes (widened to whole characters) around `...`.
fn truncated_repr(v: &Value) -> String {
    let r = repr_value(v);
    if r.len() <= 50 {
        return r;
    }
    let mut head = 25;
    while !r.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = r.len() - 24;
    while !r.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}...{}", &r[..head], &r[tail..])
}

/// A `model_validator(mode="after")` failure (`Value error, ...`).
pub fn value_error(model: &str, input: &Value, message: &str) -> String {
    format_errors(
        model,
        &[ErrorItem {
            loc: String::new(),
            msg: format!("Value error, {message}"),
            kind: "value_error",
            input: input.clone(),
        }],
    )
}

fn join_loc(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn err(loc: &str, msg: impl Into<String>, kind: &'static str, input: &Value) -> ErrorItem {
    ErrorItem {
        loc: loc.to_string(),
        msg: msg.into(),
        kind,
        input: input.clone(),
    }
}

fn literal_msg(options: &[&str]) -> String {
    let quoted: Vec<String> = options.iter().map(|o| format!("'{o}'")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => format!("Input should be {one}"),
        [rest @ .., last] => format!("Input should be {} or {last}", rest.join(", ")),
    }
}

/// Validate one value; returns the coerced value or pushes errors.
fn check(kind: &Kind, v: &Value, loc: &str, errors: &mut Vec<ErrorItem>) -> Option<Value> {
    match kind {
        Kind::Any => Some(v.clone()),
        Kind::Optional(inner) => {
            if v.is_null() {
                Some(Value::Null)
            } else {
                check(inner, v, loc, errors)
            }
        }
        Kind::Str { min_len } => match v {
            Value::String(s) => {
                if let Some(m) = min_len {
                    if s.chars().count() < *m {
                        errors.push(err(
                            loc,
                            format!(
                                "String should have at least {m} character{}",
                                if *m == 1 { "" } else { "s" }
                            ),
                            "string_too_short",
                            v,
                        ));
                        return None;
                    }
                }
                Some(v.clone())
            }
            _ => {
                errors.push(err(loc, "Input should be a valid string", "string_type", v));
                None
            }
        },
        Kind::Int { ge, le } => {
            let n: i64 = match v {
                Value::Bool(b) => i64::from(*b),
                Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        i
                    } else {
                        let f = n.as_f64().unwrap_or(f64::NAN);
                        if !f.is_finite() {
                            errors.push(err(
                                loc,
                                "Input should be a finite number",
                                "finite_number",
                                v,
                            ));
                            return None;
                        }
                        if f.fract() != 0.0 {
                            errors.push(err(
                                loc,
                                "Input should be a valid integer, got a number with a fractional part",
                                "int_from_float",
                                v,
                            ));
                            return None;
                        }
                        f as i64
                    }
                }
                Value::String(s) => match s.trim().parse::<i64>() {
                    Ok(i) => i,
                    Err(_) => {
                        errors.push(err(
                            loc,
                            "Input should be a valid integer, unable to parse string as an integer",
                            "int_parsing",
                            v,
                        ));
                        return None;
                    }
                },
                _ => {
                    errors.push(err(loc, "Input should be a valid integer", "int_type", v));
                    return None;
                }
            };
            if let Some(g) = ge {
                if n < *g {
                    errors.push(err(
                        loc,
                        format!("Input should be greater than or equal to {g}"),
                        "greater_than_equal",
                        v,
                    ));
                    return None;
                }
            }
            if let Some(l) = le {
                if n > *l {
                    errors.push(err(
                        loc,
                        format!("Input should be less than or equal to {l}"),
                        "less_than_equal",
                        v,
                    ));
                    return None;
                }
            }
            Some(Value::from(n))
        }
        Kind::Bool => {
            let b = match v {
                Value::Bool(b) => Some(*b),
                Value::Number(n) if n.as_f64() == Some(1.0) => Some(true),
                Value::Number(n) if n.as_f64() == Some(0.0) => Some(false),
                Value::String(s) => match s.to_lowercase().as_str() {
                    "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
                    "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
                    _ => None,
                },
                Value::Number(n) if n.is_i64() || n.is_u64() => None,
                _ => {
                    errors.push(err(loc, "Input should be a valid boolean", "bool_type", v));
                    return None;
                }
            };
            match b {
                Some(b) => Some(Value::Bool(b)),
                None => {
                    errors.push(err(
                        loc,
                        "Input should be a valid boolean, unable to interpret input",
                        "bool_parsing",
                        v,
                    ));
                    None
                }
            }
        }
        Kind::CheckedStr(validator) => match v {
            Value::String(s) => match validator(s) {
                Ok(()) => Some(v.clone()),
                Err(m) => {
                    errors.push(err(loc, format!("Value error, {m}"), "value_error", v));
                    None
                }
            },
            _ => {
                errors.push(err(loc, "Input should be a valid string", "string_type", v));
                None
            }
        },
        Kind::Literal(options) => match v {
            Value::String(s) if options.contains(&s.as_str()) => Some(v.clone()),
            _ => {
                errors.push(err(loc, literal_msg(options), "literal_error", v));
                None
            }
        },
        Kind::ListOf {
            model,
            fields,
            min,
            max,
        } => match v {
            Value::Array(items) => {
                if let Some(m) = min {
                    if items.len() < *m {
                        errors.push(err(
                            loc,
                            format!(
                                "List should have at least {m} item{} after validation, not {}",
                                if *m == 1 { "" } else { "s" },
                                items.len()
                            ),
                            "too_short",
                            v,
                        ));
                        return None;
                    }
                }
                if let Some(m) = max {
                    if items.len() > *m {
                        errors.push(err(
                            loc,
                            format!(
                                "List should have at most {m} item{} after validation, not {}",
                                if *m == 1 { "" } else { "s" },
                                items.len()
                            ),
                            "too_long",
                            v,
                        ));
                        return None;
                    }
                }
                let mut out = vec![];
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let l = join_loc(loc, &i.to_string());
                    match check_model(fields, item, &l, errors, Some(model)) {
                        Some(m) => out.push(Value::Object(m)),
                        None => ok = false,
                    }
                }
                ok.then_some(Value::Array(out))
            }
            _ => {
                errors.push(err(loc, "Input should be a valid list", "list_type", v));
                None
            }
        },
        Kind::List(item) | Kind::Set(item) => {
            let Value::Array(items) = v else {
                let (msg, kind) = if matches!(kind, Kind::Set(_)) {
                    ("Input should be a valid set", "set_type")
                } else {
                    ("Input should be a valid list", "list_type")
                };
                errors.push(err(loc, msg, kind, v));
                return None;
            };
            let before = errors.len();
            let out: Vec<Value> = items
                .iter()
                .enumerate()
                .filter_map(|(i, x)| check(item, x, &join_loc(loc, &i.to_string()), errors))
                .collect();
            (errors.len() == before).then_some(Value::Array(out))
        }
        Kind::Dict(value) => {
            let Value::Object(m) = v else {
                errors.push(err(
                    loc,
                    "Input should be a valid dictionary",
                    "dict_type",
                    v,
                ));
                return None;
            };
            let before = errors.len();
            let out: Map<String, Value> = m
                .iter()
                .filter_map(|(k, x)| Some((k.clone(), check(value, x, &join_loc(loc, k), errors)?)))
                .collect();
            (errors.len() == before).then_some(Value::Object(out))
        }
        Kind::Float => match v {
            Value::Number(_) => Some(v.clone()),
            Value::Bool(b) => Some(Value::from(f64::from(u8::from(*b)))),
            Value::String(s) => match float_of_str(s) {
                Some(f) => Some(Value::from(f)),
                None => {
                    errors.push(err(
                        loc,
                        "Input should be a valid number, unable to parse string as a number",
                        "float_parsing",
                        v,
                    ));
                    None
                }
            },
            _ => {
                errors.push(err(loc, "Input should be a valid number", "float_type", v));
                None
            }
        },
        Kind::TimeDelta => match timedelta_problem(v) {
            None => Some(v.clone()),
            Some(Ok(())) => {
                errors.push(err(
                    loc,
                    "Input should be a valid timedelta",
                    "time_delta_type",
                    v,
                ));
                None
            }
            Some(Err(why)) => {
                errors.push(err(
                    loc,
                    format!("Input should be a valid timedelta, {why}"),
                    "time_delta_parsing",
                    v,
                ));
                None
            }
        },
        Kind::Instance(class) => {
            errors.push(err(
                loc,
                format!("Input should be an instance of {class}"),
                "is_instance_of",
                v,
            ));
            None
        }
        Kind::Union(members) => {
            let mut all = vec![];
            for (label, member) in *members {
                let mut these = vec![];
                if let Some(x) = check(member, v, &join_loc(loc, label), &mut these) {
                    return Some(x);
                }
                all.extend(these);
            }
            errors.extend(all);
            None
        }
        Kind::ModelOrList { model, fields } => {
            let mut as_model = vec![];
            if let Some(m) =
                check_model(fields, v, &join_loc(loc, model), &mut as_model, Some(model))
            {
                return Some(Value::Object(m));
            }
            let list = Kind::ListOf {
                model,
                fields,
                min: None,
                max: None,
            };
            let mut as_list = vec![];
            let list_loc = join_loc(loc, &format!("list[{model}]"));
            if let Some(items) = check(&list, v, &list_loc, &mut as_list) {
                return Some(items);
            }
            errors.extend(as_model);
            errors.extend(as_list);
            None
        }
    }
}

/// Python's `float(str)` as pydantic applies it: surrounding whitespace allowed, `inf`,
/// `nan`, `1_0` and exponents accepted.
fn float_of_str(s: &str) -> Option<f64> {
    let t = s.trim();
    let plain = t.replace('_', "");
    if t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    let lower = plain.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "inf" | "infinity" | "nan") {
        return plain.parse::<f64>().ok().or(Some(f64::NAN));
    }
    plain.parse::<f64>().ok()
}

/// Why `v` is not a `timedelta` for pydantic: `None` when it is one, `Some(Ok(()))` for a
/// value of another type, `Some(Err(why))` for a string or number it cannot read (speedate's
/// own words).
fn timedelta_problem(v: &Value) -> Option<Result<(), String>> {
    use strum::EnumMessage;
    // speedate refuses durations beyond 999,999,999 days, for numbers too
    const MAX_SECONDS: f64 = 999_999_999.0 * 86_400.0;
    let too_large = || speedate::ParseError::DurationDaysTooLarge.get_documentation();
    match v {
        Value::Bool(_) => None,
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() && f.abs() <= MAX_SECONDS => None,
            _ => Some(Err(too_large().unwrap_or_default().to_string())),
        },
        Value::String(s) => match speedate::Duration::parse_str(s) {
            Ok(_) => None,
            Err(e) => Some(Err(e.get_documentation().unwrap_or_default().to_string())),
        },
        _ => Some(Ok(())),
    }
}

fn check_model(
    fields: &[Field],
    v: &Value,
    loc: &str,
    errors: &mut Vec<ErrorItem>,
    model_name: Option<&str>,
) -> Option<Map<String, Value>> {
    let Some(obj) = v.as_object() else {
        let msg = match model_name {
            Some(m) => format!("Input should be a valid dictionary or instance of {m}"),
            None => "Input should be a valid dictionary".to_string(),
        };
        errors.push(err(
            loc,
            msg,
            if model_name.is_some() {
                "model_type"
            } else {
                "dict_type"
            },
            v,
        ));
        return None;
    };
    let before = errors.len();
    let mut out = Map::new();
    for f in fields {
        let l = join_loc(loc, f.name);
        match obj.get(f.name) {
            None => match f.default {
                Some(d) => {
                    out.insert(f.name.to_string(), d());
                }
                None => errors.push(err(&l, "Field required", "missing", v)),
            },
            Some(x) => {
                if let Some(c) = check(&f.kind, x, &l, errors) {
                    out.insert(f.name.to_string(), c);
                }
            }
        }
    }
    (errors.len() == before).then_some(out)
}

/// The fields of one model in a larger document (pydantic's errors under `loc`): the
/// coerced fields, or every error. Extra keys are kept out of the result.
pub fn validate_fields(
    fields: &[Field],
    v: &Value,
    loc: &str,
    model: &str,
) -> Result<Map<String, Value>, Vec<ErrorItem>> {
    let mut errors = vec![];
    check_model(fields, v, loc, &mut errors, Some(model)).ok_or(errors)
}

/// Validate tool arguments against the fields of model `Params` (extra keys are ignored,
/// as pydantic does by default). `Err` is the full `str(ValidationError)`.
pub fn validate(args: &Value, fields: &[Field]) -> Result<Map<String, Value>, String> {
    validate_as("Params", args, fields)
}

/// [`validate`] for a parameter model named `model` (most of kimi-cli's tools call theirs
/// `Params`; the task tools do not).
pub fn validate_as(
    model: &str,
    args: &Value,
    fields: &[Field],
) -> Result<Map<String, Value>, String> {
    // nested list items are named after their model in kimi-cli; callers only use ListOf for
    // `Todo`, whose non-dict items say "valid dictionary or instance of Todo".
    let mut errors = vec![];
    match check_model(fields, args, "", &mut errors, Some(model)) {
        Some(m) => Ok(m),
        None => Err(format_errors(model, &errors)),
    }
}

/// Validate `v` as pydantic's `model(**v)` does for a model with `fields` (used for
/// service responses). `Err` is the full `str(ValidationError)`.
pub fn validate_model(
    v: &Value,
    fields: &[Field],
    model: &str,
) -> Result<Map<String, Value>, String> {
    let mut errors = vec![];
    match check_model(fields, v, "", &mut errors, Some(model)) {
        Some(m) => Ok(m),
        None => Err(format_errors(model, &errors)),
    }
}

/// Typed accessors for validated maps.
pub trait Get {
    fn str_of(&self, k: &str) -> String;
    fn opt_str(&self, k: &str) -> Option<String>;
    fn int_of(&self, k: &str) -> i64;
    fn opt_int(&self, k: &str) -> Option<i64>;
    fn bool_of(&self, k: &str) -> bool;
}

impl Get for Map<String, Value> {
    fn str_of(&self, k: &str) -> String {
        self.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }
    fn opt_str(&self, k: &str) -> Option<String> {
        self.get(k).and_then(Value::as_str).map(str::to_string)
    }
    fn int_of(&self, k: &str) -> i64 {
        self.get(k).and_then(Value::as_i64).unwrap_or_default()
    }
    fn opt_int(&self, k: &str) -> Option<i64> {
        self.get(k).and_then(Value::as_i64)
    }
    fn bool_of(&self, k: &str) -> bool {
        self.get(k).and_then(Value::as_bool).unwrap_or_default()
    }
}

/// kosong's `ToolValidateError`.
pub fn validate_error(message: &str) -> crate::tool::ToolReturnValue {
    crate::tool::ToolReturnValue::error(
        format!("Error validating JSON arguments: {message}"),
        "Invalid arguments",
    )
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

    #[test]
    fn long_input_reprs_are_cut_like_pydantic() {
        assert_eq!(
            truncated_repr(&json!("a".repeat(48))),
            format!("'{}'", "a".repeat(48))
        );
        assert_eq!(
            truncated_repr(&json!("a".repeat(60))),
            format!("'{}...{}'", "a".repeat(24), "a".repeat(23))
        );
        assert_eq!(
            truncated_repr(&json!("é".repeat(60))),
            format!("'{}...{}'", "é".repeat(12), "é".repeat(11))
        );
        let ints: Vec<i64> = (0..30).collect();
        assert_eq!(
            truncated_repr(&json!(ints)),
            "[0, 1, 2, 3, 4, 5, 6, 7, ... 24, 25, 26, 27, 28, 29]"
        );
    }

    const SHELLISH: &[Field] = &[
        Field::required("command", STR),
        Field::optional(
            "timeout",
            Kind::Int {
                ge: Some(1),
                le: Some(86400),
            },
            || json!(60),
        ),
        Field::optional("run_in_background", Kind::Bool, false_),
    ];

    #[test]
    fn missing_field_like_pydantic() {
        assert_eq!(
            validate(&json!({}), SHELLISH).unwrap_err(),
            "1 validation error for Params\ncommand\n  Field required [type=missing, input_value={}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.12/v/missing"
        );
    }

    #[test]
    fn two_errors_and_coercion() {
        let e = validate(
            &json!({"command": "x", "timeout": 2.5, "run_in_background": "maybe"}),
            SHELLISH,
        )
        .unwrap_err();
        assert!(e.starts_with("2 validation errors for Params\ntimeout\n  Input should be a valid integer, got a number with a fractional part [type=int_from_float, input_value=2.5, input_type=float]"));
        assert!(e.contains("run_in_background\n  Input should be a valid boolean, unable to interpret input [type=bool_parsing, input_value='maybe', input_type=str]"));
        let ok = validate(&json!({"command": "x", "timeout": "5"}), SHELLISH).unwrap();
        assert_eq!(ok.int_of("timeout"), 5);
        assert!(!ok.bool_of("run_in_background"));
    }

    #[test]
    fn model_or_list_union_errors() {
        const EDIT: &[Field] = &[Field::required("old", STR), Field::required("new", STR)];
        const P: &[Field] = &[
            Field::required("path", STR),
            Field::required(
                "edit",
                Kind::ModelOrList {
                    model: "Edit",
                    fields: EDIT,
                },
            ),
        ];
        // texts from pydantic 2.12 (`edit: Edit | list[Edit]`)
        let e = validate(&json!({"edit": "a"}), P).unwrap_err();
        assert!(
            e.starts_with("3 validation errors for Params\npath\n  Field required"),
            "{e}"
        );
        assert!(e.contains("\nedit.Edit\n  Input should be a valid dictionary or instance of Edit [type=model_type, input_value='a', input_type=str]"), "{e}");
        assert!(e.contains("\nedit.list[Edit]\n  Input should be a valid list [type=list_type, input_value='a', input_type=str]"), "{e}");
        let e = validate(
            &json!({"path": "p", "edit": [{"old": "a", "new": "b"}, {"new": 3}]}),
            P,
        )
        .unwrap_err();
        assert!(
            e.starts_with("3 validation errors for Params\nedit.Edit\n"),
            "{e}"
        );
        assert!(e.contains("\nedit.list[Edit].1.old\n  Field required [type=missing, input_value={'new': 3}, input_type=dict]"), "{e}");
        assert!(
            e.contains("\nedit.list[Edit].1.new\n  Input should be a valid string"),
            "{e}"
        );
        let ok = validate(&json!({"path": "p", "edit": []}), P).unwrap();
        assert_eq!(ok["edit"], json!([]));
    }

    #[test]
    fn non_object_and_literal() {
        assert!(validate(&json!([1]), SHELLISH)
            .unwrap_err()
            .contains("\n  Input should be a valid dictionary or instance of Params [type=model_type, input_value=[1], input_type=list]"));
        let f = [Field::required(
            "mode",
            Kind::Literal(&["pending", "in_progress", "done"]),
        )];
        assert!(validate(&json!({"mode": "z"}), &f)
            .unwrap_err()
            .contains("Input should be 'pending', 'in_progress' or 'done' [type=literal_error"));
    }
}
