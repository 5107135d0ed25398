//! python-jsonschema 4.26 (kimi-cli 1.51's) as kosong uses it, with its exact texts:
//!
//! - [`validate`]: `jsonschema.validate(arguments, input_schema)`, kosong's check of an MCP
//!   tool call's arguments before the call. `$schema` picks the draft (4, 6, 7, 2019-09,
//!   2020-12; an unknown or missing one is 2020-12, as `validator_for` does with its
//!   DeprecationWarning); the schema is first checked against that draft's metaschema with
//!   the draft's format checker — of the metaschemas' formats only `regex` is asserted there
//!   (`uri`/`uri-reference` need packages kimi-cli's environment lacks), and python-jsonschema
//!   raises the *first* error as `SchemaError`; then the arguments are validated without a
//!   format checker (formats are never asserted) and the `best_match` error is the
//!   `ValidationError`. A `SchemaError` or an unresolvable `$ref` is not a `ValidationError`:
//!   kosong lets it through and kimi-cli reports it as a tool runtime error ([`Failure::Raised`]).
//! - [`check`]: `jsonschema.validate(parameters, Draft202012Validator.META_SCHEMA)`, kosong's
//!   check of a tool definition (kimi-cli rejects an external tool with its text).
//!
//! `validator.rs` has the keywords, `refs.rs` drafts and references, `regex.rs` Python's `re`
//! (and where kagent's regex engine differs), `backtrack.rs` the matcher for what regex-automata
//! cannot run, `pprint.rs` the printing of schema and instance.
//! `metaschema/` holds the published metaschema and vocabulary documents of 2020-12 (top),
//! 2019-09 (`draft2019-09/`), draft-07, -06 and -04, unchanged (as `jsonschema_specifications`
//! ships them).
//!
//! Not mirrored: draft 3 (a draft-03 `$schema` counts as unknown, so 2020-12, where
//! python-jsonschema uses its Draft3Validator: `disallow`, `extends`, `divisibleBy` are ignored
//! here; a boolean `required` fails the 2020-12 metaschema, so kimi-cli drops such a server
//! anyway); the order python-jsonschema visits several extra properties of an object
//! `additionalProperties` in (a Python `set`, hash-randomized per process, so the first error
//! can differ between two kimi-cli runs; kagent goes in instance order); Python `TypeError`s of
//! malformed schemas the metaschema lets through (`items: true` next to `additionalItems` in
//! 2019-09); integers beyond 64 bits (JSON values here hold them as floats); the regex differences
//! `regex.rs` lists; remote `$ref`s (python-jsonschema downloads them; kagent reports them
//! unresolvable).

mod backtrack;
#[cfg(test)]
mod corpus_tests;
mod pprint;
pub mod refs;
pub mod regex;
mod validator;

use serde_json::Value;

use self::pprint::pformat;
use self::refs::{Dialect, Registry, Scope};
use self::validator::{Kw, Seg, VError, Validator};
use crate::py::repr::repr_str;

/// Why arguments were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A `jsonschema.ValidationError`: `str(best_match error)`; kosong's `ToolValidateError`.
    Invalid(String),
    /// Any other exception python-jsonschema raises (`SchemaError`, an unresolvable `$ref`):
    /// its `str()`; kimi-cli's `ToolRuntimeError`.
    Raised(String),
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
        if ctx.len() >= 2 && ctx.first().map(VError::relevance) == ctx.get(1).map(VError::relevance)
        {
            best.context = ctx;
            return Some(best);
        }
        best = ctx.swap_remove(0);
    }
    Some(best)
}

/// `str(error)`: `ValidationError` (`schema`, `instance`) or `SchemaError` (`metaschema`,
/// `schema`).
fn render(e: &VError, schema_word: &str, instance_word: &str) -> String {
    let schema_path: String = e
        .schema_path
        .iter()
        .take(e.schema_path.len().saturating_sub(1))
        .map(Seg::index_repr)
        .collect();
    let instance_path: String = e.path.iter().map(Seg::index_repr).collect();
    let indent = |text: String| text.replace('\n', "\n    ");
    let keyword = match &e.keyword {
        Kw::Name(k) => repr_str(k),
        _ => "None".to_string(),
    };
    format!(
        "{}\n\nFailed validating {keyword} in {schema_word}{schema_path}:\n    {}\n\nOn {instance_word}{instance_path}:\n    {}",
        e.message,
        indent(pformat(e.schema.as_ref().unwrap_or(&Value::Null))),
        indent(pformat(e.instance.as_ref().unwrap_or(&Value::Null))),
    )
}

/// Runs `f` on a thread of its own with a large stack: validation recurses once per
/// subschema (up to `validator::MAX_DEPTH`, where a `$ref` cycle becomes Python's
/// `RecursionError`), deeper than a tokio worker's 2 MiB allow in debug builds. Inline if
/// no thread can be started.
fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let job = std::sync::Mutex::new(Some(f));
    std::thread::scope(|s| {
        let run = || crate::sync::lock(&job).take().map(|f| f());
        let spawned = std::thread::Builder::new()
            .name("jsonschema".into())
            .stack_size(64 << 20)
            .spawn_scoped(s, run);
        let done = match spawned {
            Ok(h) => match h.join() {
                Ok(out) => out,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(_) => None,
        };
        match done {
            Some(out) => out,
            None => match crate::sync::lock(&job).take() {
                Some(f) => f(),
                None => std::process::abort(),
            },
        }
    })
}

/// Check `parameters` against the 2020-12 metaschema: `Err` is jsonschema's error text.
pub fn check(parameters: &Value) -> Result<(), String> {
    on_big_stack(|| check_here(parameters).map_err(|(_, text)| text))
}

/// `repr()` of the exception kosong's metaschema check raises for `parameters` (a
/// `ValidationError`: `<ValidationError: 'message'>`), or `None` when they pass. kimi-cli
/// builds an MCP server's tools with that check, so one such tool fails the whole server.
pub fn check_error_repr(parameters: &Value) -> Option<String> {
    let (message, text) = on_big_stack(|| check_here(parameters)).err()?;
    Some(match message {
        Some(m) => format!("<ValidationError: {}>", super::repr::repr_str(&m)),
        None => text,
    })
}

/// `Err((best error's message, str(error)))`; no message when the check raised instead.
fn check_here(parameters: &Value) -> Result<(), (Option<String>, String)> {
    let Some(root) = refs::metaschema(Dialect::D202012) else {
        return Ok(());
    };
    let (reg, base) = Registry::for_root(root, Dialect::D202012);
    let v = Validator {
        reg: &reg,
        formats: false,
        depth: Default::default(),
    };
    let scope = Scope {
        dialect: Dialect::D202012,
        base,
        previous: vec![],
    };
    match v.iter_errors(parameters, root, &scope, false) {
        Ok(errors) => match best_match(errors) {
            None => Ok(()),
            Some(e) => Err((Some(e.message.clone()), render(&e, "schema", "instance"))),
        },
        Err(raised) => Err((None, raised)),
    }
}

/// Check a tool call's `arguments` against the tool's input `schema` as kosong's
/// `jsonschema.validate` does before the call (see the module doc).
pub fn validate(arguments: &Value, schema: &Value) -> Result<(), Failure> {
    on_big_stack(|| validate_here(arguments, schema))
}

fn validate_here(arguments: &Value, schema: &Value) -> Result<(), Failure> {
    let dialect = Dialect::of(schema, Dialect::D202012);
    // check_schema: the draft's metaschema, `format: regex` asserted, the first error raised
    if let Some(meta) = refs::metaschema(dialect) {
        let (reg, base) = Registry::for_root(meta, dialect);
        let v = Validator {
            reg: &reg,
            formats: true,
            depth: Default::default(),
        };
        let scope = Scope {
            dialect,
            base,
            previous: vec![],
        };
        match v.iter_errors(schema, meta, &scope, true) {
            Ok(errors) => {
                if let Some(e) = errors.first() {
                    return Err(Failure::Raised(render(e, "metaschema", "schema")));
                }
            }
            Err(raised) => return Err(Failure::Raised(raised)),
        }
    }
    let (reg, base) = Registry::for_root(schema, dialect);
    let v = Validator {
        reg: &reg,
        formats: false,
        depth: Default::default(),
    };
    let scope = Scope {
        dialect,
        base,
        previous: vec![],
    };
    match v.iter_errors(arguments, schema, &scope, false) {
        Ok(errors) => match best_match(errors) {
            None => Ok(()),
            Some(e) => Err(Failure::Invalid(render(&e, "schema", "instance"))),
        },
        Err(raised) => Err(Failure::Raised(raised)),
    }
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
            let got = match validate(&args, schema) {
                Ok(()) => None,
                Err(Failure::Invalid(t)) => Some(t),
                Err(Failure::Raised(t)) => panic!("raised {t}"),
            };
            assert_eq!(got.as_deref(), *want, "{args}");
        }
    }
}
