//! The parsers against kimi-cli's own parse of the same inputs: `testdata/cases.json` is
//! written by `tests/differential/flow_cases.py` from the oracle (and checked against it by
//! `tests/differential/test_flow_parsers.py`).

use serde_json::{json, Value};

use super::*;

fn kind_name(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Begin => "begin",
        NodeKind::End => "end",
        NodeKind::Task => "task",
        NodeKind::Decision => "decision",
    }
}

/// kagent's result in the shape the oracle script records.
fn outcome(parser: &str, input: &str) -> Value {
    let parsed = match parser {
        "mermaid" => mermaid::parse_mermaid_flowchart(input),
        "d2" => d2::parse_d2_flowchart(input),
        "skill" => parse_flow_from_skill(input),
        other => panic!("unknown parser {other}"),
    };
    match parsed {
        Ok(flow) => {
            let mut edges = serde_json::Map::new();
            for node in &flow.nodes {
                let list: Vec<Value> = flow
                    .edges(&node.id)
                    .iter()
                    .map(|e| json!([e.dst, e.label]))
                    .collect();
                edges.insert(node.id.clone(), Value::Array(list));
            }
            assert_eq!(
                flow.outgoing.len(),
                flow.nodes.len(),
                "every node and only nodes have an outgoing list"
            );
            json!({
                "nodes": flow.nodes.iter().map(|n| json!([n.id, n.label, kind_name(n.kind)])).collect::<Vec<_>>(),
                "edges": edges,
                "begin": flow.begin_id,
                "end": flow.end_id,
            })
        }
        Err(e @ FlowError::Crash(_)) => {
            assert!(e.skips_skill());
            json!({ "crash": "IndexError" })
        }
        Err(e) => {
            assert!(!e.skips_skill());
            json!({ "error": e.to_string() })
        }
    }
}

#[test]
fn parsers_match_the_oracle_on_every_case() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/skills/flow/testdata/cases.json"
    );
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("cases.json")).unwrap();
    assert!(cases.len() >= 60, "the case file lost cases");
    let mut failures = vec![];
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let got = outcome(
            case["parser"].as_str().unwrap(),
            case["input"].as_str().unwrap(),
        );
        let mut want = case.as_object().unwrap().clone();
        for k in ["name", "parser", "input"] {
            want.remove(k);
        }
        // the oracle's dict order is not part of the result
        let want = Value::Object(want);
        if got != want {
            failures.push(format!("{name}:\n  kagent: {got}\n  oracle: {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn choice_is_the_last_complete_tag_trimmed() {
    assert_eq!(parse_choice("<choice> yes </choice>"), Some("yes".into()));
    assert_eq!(
        parse_choice("<choice>a</choice> then <choice>b</choice>"),
        Some("b".into())
    );
    assert_eq!(parse_choice("<choice>a<b</choice> <choice>c</choice"), None);
    assert_eq!(parse_choice("<choice><choice>x</choice>"), Some("x".into()));
    assert_eq!(parse_choice("<choice></choice>"), Some(String::new()));
    assert_eq!(parse_choice("no tag"), None);
    assert_eq!(parse_choice("<choice>é ✓</choice>"), Some("é ✓".into()));
}

#[test]
fn python_strip() {
    assert_eq!(py_strip("\u{1f} x \u{a0}"), "x");
}
