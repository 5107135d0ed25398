"""(schema, arguments) pairs for kagent's copy of kosong's `jsonschema.validate` check
(kagent/base/src/py/schema/): every keyword of drafts 2020-12, 2019-09, 7, 6 and 4 that
python-jsonschema knows, failing and passing, `best_match` choices, draft selection by
`$schema`, references (local, anchors, `$id`-scoped, unresolvable), Python `re` patterns,
and schemas python-jsonschema itself refuses (`SchemaError`). test_schema_corpus.py serves
each schema as an MCP tool and compares kagent's tool result with python-jsonschema's text,
computed at test time.
"""

from __future__ import annotations

from typing import Any

D7 = "http://json-schema.org/draft-07/schema#"
D6 = "http://json-schema.org/draft-06/schema#"
D4 = "http://json-schema.org/draft-04/schema#"
D2019 = "https://json-schema.org/draft/2019-09/schema"


ZOD_EMAIL = "^(?!\\.)(?!.*\\.\\.)([A-Z0-9_'+\\-\\.]*)[A-Z0-9_+-]@([A-Z0-9][A-Z0-9\\-]*\\.)+[A-Z]{2,}$"

# the shapes TypeScript MCP servers (zod-to-json-schema) list
ZOD_FETCH: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "format": "uri"},
        "max_length": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1000000, "default": 5000},
        "raw": {"type": "boolean", "default": False},
    },
    "required": ["url"],
    "additionalProperties": False,
    "$schema": D7,
}
ZOD_UNION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "op": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"kind": {"type": "string", "const": "move"}, "to": {"type": "integer"}},
                    "required": ["kind", "to"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": ["delete"]},
                        "path": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    },
                    "required": ["kind", "path"],
                    "additionalProperties": False,
                },
            ]
        }
    },
    "required": ["op"],
    "additionalProperties": False,
    "$schema": D7,
}


def obj(props: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, **more}


CASES: list[tuple[dict[str, Any], Any]] = [
    # ------------------------------------------------------------------ types and enums
    (obj({"a": {"type": "integer"}}), {"a": 1.5}),
    (obj({"a": {"type": "integer"}}), {"a": 2.0}),
    (obj({"a": {"type": "integer"}}), {"a": True}),
    (obj({"a": {"type": ["string", "null"]}}), {"a": 3}),
    (obj({"a": {"type": "number"}}), {"a": False}),
    (obj({"a": {"enum": [1, "x", None]}}), {"a": True}),
    (obj({"a": {"enum": [1, "x", None]}}), {"a": 1.0}),
    (obj({"a": {"const": {"k": [1, 2]}}}), {"a": {"k": [1, 2.0]}}),
    (obj({"a": {"const": False}}), {"a": 0}),
    # ------------------------------------------------------------------ numbers
    (obj({"a": {"multipleOf": 0.1}}), {"a": 0.3}),
    (obj({"a": {"multipleOf": 0.5}}), {"a": 2.5}),
    (obj({"a": {"multipleOf": 3}}), {"a": 7.5}),
    (obj({"a": {"multipleOf": 3}}), {"a": 9}),
    (obj({"a": {"multipleOf": 3}}), {"a": 10}),
    (obj({"a": {"multipleOf": 1e-300}}), {"a": 1e300}),
    (obj({"a": {"minimum": 1.5}}), {"a": 1}),
    (obj({"a": {"maximum": 3}}), {"a": 3.0000001}),
    (obj({"a": {"exclusiveMinimum": 0}}), {"a": 0}),
    (obj({"a": {"exclusiveMaximum": 10}}), {"a": 10.0}),
    (obj({"a": {"minimum": 9007199254740993}}), {"a": 9007199254740992.0}),
    # ------------------------------------------------------------------ strings
    (obj({"a": {"minLength": 2}}), {"a": "é"}),
    (obj({"a": {"minLength": 1}}), {"a": ""}),
    (obj({"a": {"maxLength": 0}}), {"a": "x"}),
    (obj({"a": {"maxLength": 3}}), {"a": "abcd"}),
    (obj({"a": {"pattern": "^[a-z]+$"}}), {"a": "abc\n"}),
    (obj({"a": {"pattern": "^[a-z]+$"}}), {"a": "ab1"}),
    (obj({"a": {"pattern": "\\d{3}"}}), {"a": "x12y"}),
    (obj({"a": {"pattern": "^\\w+$"}}), {"a": "naïve_1"}),
    (obj({"a": {"pattern": "(?i)^abc"}}), {"a": "ABCdef"}),
    (obj({"a": {"pattern": "a{,2}b{"}}), {"a": "ab{"}),
    (obj({"a": {"pattern": "^(?P<y>\\d{4})-(?P<m>\\d\\d)$"}}), {"a": "2024-1"}),
    (obj({"a": {"pattern": "^\\s*$"}}), {"a": "\u001c "}),
    (obj({"a": {"pattern": "^a{}$"}}), {"a": "a{}"}),
    (obj({"a": {"pattern": "^a(?#one or two){1,2}$"}}), {"a": "aaa"}),
    (obj({"a": {"pattern": "(?x) ^ \\d+ \\s* $  # digits"}}), {"a": "12 x"}),
    (obj({"a": {"pattern": "[\\w.-]+@[\\w-]+\\.\\w{2,}"}}), {"a": "me@host"}),
    # zod's email pattern (lookaheads) and a password rule (lookaheads, a backreference)
    (obj({"a": {"pattern": ZOD_EMAIL}}), {"a": "john..doe@example.com"}),
    (obj({"a": {"pattern": ZOD_EMAIL}}), {"a": "john.doe@example.com"}),
    (obj({"a": {"pattern": "^(?=.*[A-Z])(?=.*\\d)(?!.*(.)\\1).{8,}$"}}), {"a": "Passw0rdd"}),
    (obj({"a": {"pattern": "\\bcat\\b"}}), {"a": "concatenate"}),
    (obj({"a": {"format": "email"}}), {"a": "not an email"}),
    (obj({"a": {"format": "date-time"}}), {"a": "yesterday"}),
    # ------------------------------------------------------------------ arrays
    (obj({"a": {"minItems": 2}}), {"a": [1]}),
    (obj({"a": {"minItems": 1}}), {"a": []}),
    (obj({"a": {"maxItems": 0}}), {"a": [1]}),
    (obj({"a": {"maxItems": 1}}), {"a": [1, 2]}),
    (obj({"a": {"uniqueItems": True}}), {"a": [1, True, 1.0]}),
    (obj({"a": {"uniqueItems": True}}), {"a": [{"x": 1}, {"x": 1.0}]}),
    (obj({"a": {"uniqueItems": True}}), {"a": [0, False]}),
    (obj({"a": {"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}}), {"a": ["x", 1, "y"]}),
    (obj({"a": {"prefixItems": [{"type": "string"}], "items": False}}), {"a": ["x", 1]}),
    (obj({"a": {"items": False}}), {"a": [1, 2]}),
    (obj({"a": {"contains": {"type": "string"}}}), {"a": [1, 2]}),
    (obj({"a": {"contains": {"type": "string"}, "minContains": 2}}), {"a": ["x", 2]}),
    (obj({"a": {"contains": {"type": "string"}, "maxContains": 1}}), {"a": ["x", "y", 3]}),
    (obj({"a": {"contains": {"type": "string"}, "minContains": 0}}), {"a": [1]}),
    (obj({"a": {"unevaluatedItems": False, "prefixItems": [{"type": "integer"}]}}), {"a": [1, 2, 3]}),
    (obj({"a": {"unevaluatedItems": {"type": "string"}, "prefixItems": [{}]}}), {"a": [1, "x", 2]}),
    (
        obj({"a": {"allOf": [{"prefixItems": [True]}], "unevaluatedItems": False}}),
        {"a": [1, 2]},
    ),
    # ------------------------------------------------------------------ objects
    ({"type": "object", "required": ["a", "b"]}, {"b": 1}),
    ({"type": "object", "minProperties": 1}, {}),
    ({"type": "object", "minProperties": 2}, {"a": 1}),
    ({"type": "object", "maxProperties": 0}, {"a": 1}),
    ({"type": "object", "maxProperties": 1}, {"a": 1, "b": 2}),
    (obj({"a": {}}, additionalProperties=False), {"a": 1, "z": 2, "b": 3}),
    (obj({"a": {}}, additionalProperties={"type": "string"}), {"a": 1, "z": 2}),
    (
        {"type": "object", "patternProperties": {"^x_": {"type": "integer"}}, "additionalProperties": False},
        {"x_a": 1, "y": 2},
    ),
    ({"type": "object", "patternProperties": {"^x_": {"type": "integer"}}}, {"x_a": "s"}),
    ({"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}}, {"ok": 1, "Bad": 2}),
    ({"type": "object", "propertyNames": {"maxLength": 2}}, {"abc": 1}),
    ({"type": "object", "dependentRequired": {"a": ["b", "c"]}}, {"a": 1, "c": 2}),
    ({"type": "object", "dependentSchemas": {"a": {"required": ["b"]}}}, {"a": 1}),
    (
        {"type": "object", "properties": {"a": {}}, "unevaluatedProperties": False},
        {"a": 1, "z": 2, "b": 3},
    ),
    (
        {"type": "object", "allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": False},
        {"a": 1, "b": 2},
    ),
    ({"type": "object", "unevaluatedProperties": {"type": "string", "minLength": 3}}, {"a": 1, "b": "x"}),
    (
        {
            "type": "object",
            "if": {"properties": {"kind": {"const": "a"}}},
            "then": {"properties": {"kind": True, "x": True}},
            "unevaluatedProperties": False,
        },
        {"kind": "a", "x": 1, "y": 2},
    ),
    # ------------------------------------------------------------------ applicators
    (
        {"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}, "else": {"required": ["c"]}},
        {"a": 1},
    ),
    (
        {"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}, "else": {"required": ["c"]}},
        {"a": 2},
    ),
    (obj({"a": {"not": {"type": "string"}}}), {"a": "s"}),
    (obj({"a": {"allOf": [{"minimum": 1}, {"maximum": 2}]}}), {"a": 3}),
    (obj({"a": {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5}]}}), {"a": 1}),
    (obj({"a": {"anyOf": [{"type": "string", "minLength": 3}, {"type": "integer"}]}}), {"a": "x"}),
    (obj({"a": {"oneOf": [{"type": "integer"}, {"minimum": 0}]}}), {"a": 3}),
    (obj({"a": {"oneOf": [{"type": "string"}, {"type": "boolean"}]}}), {"a": 3}),
    (obj({"a": False}), {"a": 1}),
    (obj({"a": {"properties": {"b": False}}}), {"a": {"b": 1}}),
    (
        obj({"items": {"type": "array", "items": {"type": "object", "required": ["id"]}}}),
        {"items": [{"id": 1}, {}]},
    ),
    # ------------------------------------------------------------------ references
    (obj({"p": {"$ref": "#/$defs/P"}}, **{"$defs": {"P": {"type": "integer"}}}), {"p": "x"}),
    (obj({"p": {"$ref": "#/$defs/P", "maximum": 5}}, **{"$defs": {"P": {"type": "integer"}}}), {"p": 7}),
    (obj({"p": {"$ref": "#node"}}, **{"$defs": {"N": {"$anchor": "node", "type": "string"}}}), {"p": 1}),
    (obj({"p": {"$ref": "#/$defs/missing"}}), {"p": 1}),
    (obj({"p": {"$ref": "#nowhere"}}), {"p": 1}),
    (obj({"p": {"$ref": "other.json"}}), {"p": 1}),
    (obj({"p": {"$ref": "#/$defs/a~1b"}}, **{"$defs": {"a/b": {"type": "string"}}}), {"p": 1}),
    (
        {
            "$id": "https://example.com/root.json",
            "type": "object",
            "properties": {"p": {"$ref": "item.json"}},
            "$defs": {"i": {"$id": "item.json", "type": "string"}},
        },
        {"p": 2},
    ),
    (obj({"p": {"$ref": "#"}}, required=["q"]), {"q": 1, "p": {}}),
    (obj({"p": {"$ref": "http://json-schema.org/draft-07/schema#"}}), {"p": {"type": 3}}),
    # ------------------------------------------------------------------ drafts by $schema
    (
        {
            "$schema": D7,
            "type": "object",
            "properties": {"t": {"items": [{"type": "string"}], "additionalItems": False}},
        },
        {"t": ["a", 1]},
    ),
    ({"$schema": D7, "properties": {"t": {"items": [{"type": "string"}]}}}, {"t": [1, "x"]}),
    ({"$schema": D7, "properties": {"t": {"items": {"type": "string"}}}}, {"t": ["x", 2]}),
    ({"$schema": D7, "dependencies": {"a": ["b"], "c": {"required": ["d"]}}}, {"a": 1, "c": 1}),
    (
        {
            "$schema": D7,
            "properties": {"p": {"$ref": "#/definitions/P", "type": "string"}},
            "definitions": {"P": {"minimum": 3}},
        },
        {"p": 1},
    ),
    ({"$schema": D7, "properties": {"p": {"contains": {"const": 1}}}}, {"p": [2, 3]}),
    ({"$schema": D7, "if": {"required": ["a"]}, "then": {"required": ["b"]}}, {"a": 1}),
    ({"$schema": D7, "dependentRequired": {"a": ["b"]}, "unevaluatedProperties": False}, {"a": 1}),
    (
        {
            "$schema": D7,
            "properties": {"p": {"$ref": "#x"}},
            "definitions": {"X": {"$id": "#x", "type": "null"}},
        },
        {"p": 1},
    ),
    ({"$schema": D6, "if": {"required": ["a"]}, "then": {"required": ["b"]}}, {"a": 1}),
    ({"$schema": D6, "properties": {"n": {"exclusiveMaximum": 3}}}, {"n": 3}),
    ({"$schema": D4, "properties": {"n": {"type": "integer"}}}, {"n": 1.0}),
    ({"$schema": D4, "properties": {"n": {"maximum": 3, "exclusiveMaximum": True}}}, {"n": 3}),
    ({"$schema": D4, "properties": {"n": {"minimum": 3, "exclusiveMinimum": True}}}, {"n": 3}),
    ({"$schema": D4, "properties": {"n": {"const": 3}}}, {"n": 4}),
    (
        {
            "$schema": D2019,
            "properties": {"t": {"items": [{"type": "string"}], "additionalItems": {"type": "integer"}}},
        },
        {"t": ["a", "b"]},
    ),
    ({"$schema": D2019, "properties": {"a": {}}, "unevaluatedProperties": False}, {"a": 1, "b": 2}),
    ({"$schema": D2019, "dependentRequired": {"a": ["b"]}}, {"a": 1}),
    ({"$schema": D2019, "properties": {"p": {"prefixItems": [{"type": "string"}]}}}, {"p": [1]}),
    ({"$schema": "http://example.com/unknown-dialect", "type": "object", "required": ["x"]}, {}),
    (
        {
            "$schema": "http://json-schema.org/draft-07/schema",
            "properties": {"p": {"items": [{"type": "integer"}]}},
        },
        {"p": ["s"]},
    ),
    # ------------------------------------------------------------------ schemas jsonschema refuses
    ({"type": "object", "properties": {"a": {"pattern": "["}}}, {"a": "x"}),
    ({"type": "object", "properties": {"a": {"pattern": "(?<name>x)"}}}, {"a": "x"}),
    ({"type": "object", "patternProperties": {"*": {}}}, {"a": 1}),
    ({"type": "object", "properties": {"a": {"pattern": "(?a)(?u)x"}}}, {"a": "x"}),
    ({"$schema": D7, "properties": {"a": {"minimum": "1"}}}, {"a": 2}),
    ({"$schema": D7, "properties": {"a": {"type": "strin"}}}, {"a": 2}),
    # ------------------------------------------------------------------ as zod-to-json-schema writes them
    (ZOD_FETCH, {"url": "https://example.com", "max_length": 0}),
    (ZOD_FETCH, {"url": "https://example.com", "raw": "yes", "extra": 1}),
    (ZOD_FETCH, {"max_length": 10}),
    (ZOD_FETCH, {"url": 5, "max_length": 1e7}),
    (ZOD_UNION, {"op": {"kind": "move", "to": "x"}}),
    (ZOD_UNION, {"op": {"kind": "copy"}}),
    (ZOD_UNION, {"op": {"kind": "delete", "path": ["a", 3]}}),
    # ------------------------------------------------------------------ valid arguments
    (
        obj({"a": {"type": "integer", "multipleOf": 2}, "b": {"pattern": "^x"}}, required=["a"]),
        {"a": 4, "b": "xy"},
    ),
    (
        {"$schema": D7, "properties": {"t": {"items": [{"type": "string"}], "additionalItems": True}}},
        {"t": ["a", 1]},
    ),
]
