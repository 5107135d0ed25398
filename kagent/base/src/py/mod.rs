//! Python-exact behaviours. kagent is checked byte for byte against kimi-cli 1.51 (a Python
//! program): wherever a Python library function decides a byte that reaches the wire, a
//! session file or the model, kagent reproduces that function here, once, instead of
//! approximating it at each use. Why each one exists:
//!
//! - [`json`] — `json.dumps` (default `", "`/`": "` separators, `ensure_ascii=True`, float
//!   `repr`) and pydantic's `model_dump_json()` (compact, raw UTF-8). kimi-cli writes
//!   `context.jsonl`, `wire.jsonl` and `state.json` with them and stringifies tool arguments and
//!   hook payloads with `json.dumps`; the differential suites compare those files and the
//!   wire frames byte for byte, so key order, spacing, escapes and `1.0` vs `1` must match.
//! - [`loads`] — `json.loads(text, strict=False)`, with its error messages (`Expecting value:
//!   line 1 column 13 (char 12)`). A model's malformed tool-call arguments come back to the
//!   model as kimi-cli's error text, and Python accepts what RFC 8259 refuses (control
//!   characters in strings, `NaN`), so a strict parser would change both results and text.
//! - [`strings`] — `str.splitlines()` (eight more line breaks than `\n`) and `str.isspace` /
//!   `str.strip()` (Unicode whitespace plus U+001C..U+001F). The frontmatter, flow (mermaid,
//!   d2) parsers and the echo DSL split and strip with these in kimi-cli; `str::lines` and
//!   `str::trim` disagree on `\x0b`, `\x1c`, U+2028 and others, which decides what a skill's
//!   description or a flow node's label is.
//! - [`repr`] — `repr()` of strings and JSON values (quote choice, escapes, `True`/`None`).
//!   kosong and pydantic put `repr` of the offending value into tool errors and validation
//!   messages the model reads (and the oracle's tool results record).
//! - [`oserror`] — `str(OSError)`: `[Errno 13] Permission denied: '/x'`. kimi-cli's file tools
//!   and `/export` report OS failures with that text; Rust's `Display` words them differently.
//! - [`frontmatter`] — PyYAML `safe_load` of a `SKILL.md` frontmatter (YAML 1.1 scalars:
//!   `yes` is a bool, `1_000` an int, a `: ` inside a plain scalar an error). Whether a skill
//!   is listed at all, and its name and description in the system prompt, depend on it.
//! - [`yaml`] — PyYAML `safe_load` of a whole file (agent specs): YAML 1.1 scalars, tags,
//!   duplicate and merge keys, one document, no tabs between tokens. Whether kimi-cli loads a
//!   spec, and what its fields hold (`name: yes` is a bool it refuses), depend on it.
//! - [`args`] — pydantic's lax-mode argument validation of tool parameters and the text of
//!   `str(ValidationError)` (`1 validation error for Params\ncommand\n  Field required
//!   [type=missing, ...]`). kimi-cli hands that text to the model as the tool result.
//! - [`schema`] — python-jsonschema as kosong calls it: `jsonschema.validate` of an external
//!   tool's `parameters` against the JSON Schema 2020-12 metaschema (kimi-cli returns the
//!   error text to the client that registered the tool), and of an MCP tool call's arguments
//!   against the tool's input schema (drafts 4 to 2020-12 by `$schema`, Python `re` patterns,
//!   `best_match`; the text is the tool result the model reads); `schema/metaschema/` holds
//!   the published documents, unchanged.

pub mod args;
pub mod frontmatter;
pub mod json;
pub mod loads;
pub mod oserror;
pub mod repr;
pub mod schema;
pub mod strings;
pub mod yaml;
