//! One entry function per fuzz target: each feeds arbitrary bytes to a parser or decoder of
//! kagent that reads outside input (the wire, a model's reply, a repository's files, a config
//! file) and must come back with a value or an error, never a panic or a stack overflow.
//!
//! This file is compiled twice: by the `kagent-fuzz` crate (the cargo-fuzz targets) and, via
//! `#[path]`, by kagent's `tests/fuzz_regressions.rs`, which replays the committed inputs in
//! `fuzz/regressions/<target>/` through the same function. [`TARGETS`] names them all.

use kagent_base::py::args::{self, Field, Kind};

/// A fuzz entry: takes any bytes, must return (not panic, not overflow the stack).
pub type Entry = fn(&[u8]);

/// Every target: (name, entry function). The names are the cargo-fuzz binaries' names and
/// the folders of `fuzz/regressions/`.
pub const TARGETS: &[(&str, Entry)] = &[
    ("wire_classify", wire_classify),
    ("pyloads", pyloads),
    ("skill_md", skill_md),
    ("yaml", yaml),
    ("spec_yaml", spec_yaml),
    ("mermaid", mermaid),
    ("d2", d2),
    ("echo_dsl", echo_dsl),
    ("sse", sse),
    ("tool_args", tool_args),
    ("schema_check", schema_check),
    ("schema_validate", schema_validate),
    ("config", config),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A stdin line of the Wire server (JSON-RPC 2.0 classification).
pub fn wire_classify(data: &[u8]) {
    if let Some(line) = text(data) {
        let _ = kagent::wire::jsonrpc::classify(line.trim());
    }
}

/// A model's tool-call arguments (`json.loads(strict=False)`).
pub fn pyloads(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = kagent_base::py::loads::loads(s);
    }
}

/// A whole `SKILL.md`: its frontmatter, its body, its flow diagram.
pub fn skill_md(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = kagent_base::py::frontmatter::parse_frontmatter(s);
        let body = kagent_base::py::frontmatter::strip_frontmatter(s);
        let _ = kagent::skills::flow::parse_flow_from_skill(body);
    }
}

/// A YAML document (the frontmatter parser without the `---` fences).
pub fn yaml(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = kagent_base::py::frontmatter::parse_yaml(s);
    }
}

/// A whole agent spec file, read as PyYAML's `safe_load` reads it.
pub fn spec_yaml(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = kagent_base::py::yaml::safe_load(s);
    }
}

/// A mermaid flowchart of a flow skill.
pub fn mermaid(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = kagent::skills::flow::mermaid::parse_mermaid_flowchart(s);
    }
}

/// A d2 flowchart of a flow skill.
pub fn d2(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = kagent::skills::flow::d2::parse_d2_flowchart(s);
    }
}

/// A script of the `_echo` / `_scripted_echo` providers (the echo DSL).
pub fn echo_dsl(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = kagent::llm::dsl::parse_script(s);
    }
}

/// A provider's `text/event-stream` body, delivered in two pieces (the first byte picks the
/// split), then ended.
pub fn sse(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let cut = usize::from(first).min(rest.len());
    let (a, b) = rest.split_at(cut);
    let mut decoder = kagent::llm::sse::SseDecoder::new();
    let _ = decoder.feed(a);
    let _ = decoder.feed(b);
    let _ = decoder.finish();
}

fn non_empty(s: &str) -> Result<(), String> {
    if s.is_empty() {
        Err("must not be empty".to_string())
    } else {
        Ok(())
    }
}

const OPTIONAL_INT: Kind = Kind::Int {
    ge: Some(0),
    le: Some(100),
};
const ITEM_FIELDS: &[Field] = &[
    Field::required("title", Kind::Str { min_len: Some(1) }),
    Field::required("status", Kind::Literal(&["pending", "done"])),
];
/// One field of every kind the built-in tools use.
const TOOL_FIELDS: &[Field] = &[
    Field::required("command", args::STR),
    Field::optional(
        "timeout",
        Kind::Int {
            ge: Some(1),
            le: Some(300),
        },
        args::null,
    ),
    Field::optional("all", Kind::Bool, args::false_),
    Field::optional("path", Kind::CheckedStr(non_empty), args::empty_str),
    Field::optional("mode", Kind::Literal(&["overwrite", "append"]), args::null),
    Field::optional("n_lines", Kind::Optional(&OPTIONAL_INT), args::null),
    Field::optional(
        "todos",
        Kind::ListOf {
            model: "Todo",
            fields: ITEM_FIELDS,
            min: Some(1),
            max: Some(4),
        },
        args::null,
    ),
    Field::optional(
        "edit",
        Kind::ModelOrList {
            model: "Edit",
            fields: ITEM_FIELDS,
        },
        args::null,
    ),
    Field::optional("extra", Kind::Any, args::null),
];

/// A model's tool-call arguments, parsed and then checked against tool parameters (pydantic
/// lax mode and its error text).
pub fn tool_args(data: &[u8]) {
    if let Some(s) = text(data) {
        if let Ok(value) = kagent_base::py::loads::loads(s) {
            let _ = args::validate(&value, TOOL_FIELDS);
        }
    }
}

/// An external tool's `parameters` from the client, checked against the JSON Schema
/// metaschema.
pub fn schema_check(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = kagent_base::py::schema::check(&value);
    }
}

/// An MCP tool's input schema from a server and a model's arguments for it (the input is
/// the JSON array `[schema, arguments]`; any other JSON is the schema, with `null` as
/// arguments): `$ref` cycles, deep nesting and Python regex syntax in `pattern`.
pub fn schema_validate(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let (schema, arguments) = match value.as_array().map(Vec::as_slice) {
            Some([schema, arguments]) => (schema, arguments),
            _ => (&value, &serde_json::Value::Null),
        };
        let _ = kagent_base::py::schema::validate(arguments, schema);
    }
}

/// Inline configuration (`--config`): JSON first, then TOML, then validated.
pub fn config(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ = kagent::config::load_config_text(s);
    }
}
