//! End-to-end tests of `kagent --wire` against expectations recorded from kimi-cli 1.51
//! (see ORACLE-NOTES.md).

mod common;

use common::{events, message, read_lines, types, Env};
use serde_json::json;

#[test]
fn initialize_reports_protocol_and_capabilities() {
    let env = Env::new(&[]);
    let mut k = env.spawn(&[]);
    let r = k.initialize();
    let res = &r["result"];
    assert_eq!(res["protocol_version"], "1.10");
    assert_eq!(
        res["server"],
        json!({"name": "Kimi Code CLI", "version": "1.51.0"})
    );
    let keys: Vec<&String> = res.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "protocol_version",
            "server",
            "slash_commands",
            "hooks",
            "capabilities"
        ]
    );
    assert_eq!(res["capabilities"], json!({"supports_question": true}));
    assert!(res["slash_commands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "clear" && c["aliases"] == json!(["reset"])));
    assert_eq!(
        res["hooks"]["supported_events"].as_array().unwrap().len(),
        13
    );
    assert!(res.get("external_tools").is_none());
    let (status, _) = k.close();
    assert!(status.success());
}

#[test]
fn multi_step_turn_with_unknown_tool_matches_oracle_sequence() {
    let env = Env::new(&[
        "id: m1\nthink: hmm\ntext: Hello\nusage: input_other=5 output=3",
        "tool_call: {\"id\": \"c1\", \"name\": \"Nope\", \"arguments\": \"{\\\"a\\\":\"}\ntool_call_part: 1}\nusage: input_other=10 output=2",
        "text: done",
    ]);
    let mut k = env.spawn(&[]);
    k.initialize();
    k.request("p1", "prompt", json!({"user_input": "hi"}));
    let (msgs, resp) = k.response("p1");
    assert_eq!(resp["result"], json!({"status": "finished"}));
    assert_eq!(
        types(&msgs),
        [
            "TurnBegin",
            "StepBegin",
            "ContentPart",
            "ContentPart",
            "StatusUpdate",
            "TurnEnd"
        ]
    );
    let ev = events(&msgs);
    assert_eq!(
        ev[2].1,
        json!({"type": "think", "think": "hmm", "encrypted": null})
    );
    assert_eq!(ev[4].1["context_tokens"], 5);
    assert_eq!(ev[4].1["message_id"], "m1");
    assert_eq!(ev[4].1["mcp_status"], json!(null));

    k.request("p2", "prompt", json!({"user_input": "go"}));
    let (msgs, _) = k.response("p2");
    assert_eq!(
        types(&msgs),
        [
            "TurnBegin",
            "StepBegin",
            "ToolCall",
            "ToolCallPart",
            "ToolResult",
            "StatusUpdate",
            "StepBegin",
            "ContentPart",
            "StatusUpdate",
            "TurnEnd"
        ]
    );
    let ev = events(&msgs);
    assert_eq!(ev[4].1["return_value"]["message"], "Tool `Nope` not found");
    assert_eq!(ev[4].1["return_value"]["is_error"], true);
    k.close();

    let dir = env.session_dir();
    let ctx = std::fs::read_to_string(dir.join("context.jsonl")).unwrap();
    assert!(ctx.contains(r#"{"role":"tool","content":"<system>ERROR: Tool `Nope` not found</system>","tool_call_id":"c1"}"#));
    assert!(ctx.contains(r#""function":{"name":"Nope","arguments":"{\"a\":1}"}"#));
    let wire = read_lines(&dir.join("wire.jsonl"));
    assert_eq!(
        wire[0],
        json!({"type": "metadata", "protocol_version": "1.10"})
    );
    // the wire file stores merged messages: no ToolCallPart
    assert!(wire.iter().all(|r| r["message"]["type"] != "ToolCallPart"));
    let state = common::read_json(&dir.join("state.json"));
    assert_eq!(state["custom_title"], "hi");
}

#[test]
fn retries_emit_step_retry_then_succeed() {
    let env = Env::new(&["error: 503 busy", "error: connection", "text: ok"]);
    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "x"}));
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "finished");
    let ev = events(&msgs);
    let retries: Vec<_> = ev.iter().filter(|(t, _)| t == "StepRetry").collect();
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[0].1["error_type"], "APIStatusError");
    assert_eq!(retries[0].1["status_code"], 503);
    assert_eq!(retries[0].1["next_attempt"], 2);
    assert_eq!(retries[0].1["max_attempts"], 3);
    assert_eq!(retries[1].1["error_type"], "APIConnectionError");
    assert_eq!(retries[1].1["status_code"], json!(null));
    let w = retries[1].1["wait_s"].as_f64().unwrap();
    assert!((0.6..1.1).contains(&w), "{w}");
    k.close();
}

#[test]
fn provider_errors_map_to_32003_with_oracle_wording() {
    let env = Env::new(&["error: 400 bad thing", "bad line", "error: 503"]);
    let mut k = env.spawn(&["--max-retries-per-step", "1"]);
    for (id, want) in [
        ("a", "bad thing"),
        ("b", "Invalid echo DSL at line 1: 'bad line'"),
        ("c", "Simulated 503 error"),
        ("d", "ScriptedEchoChatProvider exhausted at turn 4."),
    ] {
        k.request(id, "prompt", json!({"user_input": "x"}));
        let (msgs, resp) = k.response(id);
        assert_eq!(resp["error"]["code"], -32003, "{id}");
        assert_eq!(resp["error"]["message"], want);
        assert_eq!(
            types(&msgs),
            ["TurnBegin", "StepBegin", "StepInterrupted", "TurnEnd"]
        );
    }
    k.close();
}

#[test]
fn max_steps_reached() {
    let env = Env::new(&[
        "tool_call: {\"id\":\"a\",\"name\":\"X\"}",
        "tool_call: {\"id\":\"b\",\"name\":\"X\"}",
    ]);
    let mut k = env.spawn(&["--max-steps-per-turn", "2"]);
    k.request("p", "prompt", json!({"user_input": "x"}));
    let (msgs, resp) = k.response("p");
    assert_eq!(
        resp["result"],
        json!({"status": "max_steps_reached", "steps": 2})
    );
    // without usage the ToolResult follows the StatusUpdate (as in kimi-cli)
    assert_eq!(
        types(&msgs),
        [
            "TurnBegin",
            "StepBegin",
            "ToolCall",
            "StatusUpdate",
            "ToolResult",
            "StepBegin",
            "ToolCall",
            "StatusUpdate",
            "ToolResult",
            "TurnEnd"
        ]
    );
    k.close();
}

#[test]
fn cancel_during_retry_backoff_then_next_prompt_works_and_replay() {
    let env = Env::new(&["error: 503", "text: later"]);
    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "x"}));
    k.until(|v| v["params"]["type"] == "StepRetry");
    k.request("c", "cancel", json!({}));
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"], json!({"status": "cancelled"}));
    assert!(msgs
        .iter()
        .any(|m| m["id"] == "c" && m["result"] == json!({})));
    assert_eq!(types(&msgs), ["TurnEnd"]);

    k.request("c2", "cancel", json!({}));
    let (_, resp) = k.response("c2");
    assert_eq!(resp["error"]["code"], -32000);
    assert_eq!(resp["error"]["message"], message("wire.no_turn", &[]));

    k.request("p2", "prompt", json!({"user_input": "y"}));
    let (msgs, resp) = k.response("p2");
    assert_eq!(resp["result"]["status"], "finished");
    assert_eq!(events(&msgs)[2].1["text"], "later");

    k.request("r", "replay", json!({}));
    let (msgs, resp) = k.response("r");
    assert_eq!(
        resp["result"],
        json!({"status": "finished", "events": 9, "requests": 0})
    );
    assert_eq!(
        types(&msgs),
        [
            "TurnBegin",
            "StepBegin",
            "StepRetry",
            "TurnEnd",
            "TurnBegin",
            "StepBegin",
            "ContentPart",
            "StatusUpdate",
            "TurnEnd"
        ]
    );
    k.close();
    let ctx = std::fs::read_to_string(env.session_dir().join("context.jsonl")).unwrap();
    let roles: Vec<String> = ctx
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["role"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        roles,
        [
            "_system_prompt",
            "_checkpoint",
            "user",
            "_checkpoint",
            "_checkpoint",
            "user",
            "_checkpoint",
            "assistant"
        ]
    );
}

#[test]
fn steer_is_injected_after_the_step() {
    let env = Env::new(&["error: 503", "text: first", "text: after steer"]);
    let mut k = env.spawn(&[]);
    k.request("s0", "steer", json!({"user_input": "early"}));
    assert_eq!(k.response("s0").1["error"]["code"], -32000);
    k.request("p", "prompt", json!({"user_input": "x"}));
    k.until(|v| v["params"]["type"] == "StepRetry");
    k.request("s", "steer", json!({"user_input": "use python"}));
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "finished");
    assert!(msgs
        .iter()
        .any(|m| m["id"] == "s" && m["result"] == json!({"status": "steered"})));
    let t = types(&msgs);
    let steer_at = t.iter().position(|x| x == "SteerInput").unwrap();
    assert_eq!(t[steer_at + 1], "StepBegin");
    assert_eq!(
        events(&msgs)[steer_at].1,
        json!({"user_input": "use python"})
    );
    k.close();
}

#[test]
fn prompt_during_turn_is_rejected() {
    let env = Env::new(&["error: 503", "text: ok"]);
    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "x"}));
    k.until(|v| v["params"]["type"] == "StepRetry");
    k.request("p2", "prompt", json!({"user_input": "y"}));
    let (_, resp) = k.response("p2");
    assert_eq!(resp["error"]["code"], -32000);
    assert_eq!(
        resp["error"]["message"],
        message("wire.turn_in_progress", &[])
    );
    assert_eq!(k.response("p").1["result"]["status"], "finished");
    k.close();
}

#[test]
fn set_plan_mode_emits_status_and_persists() {
    let env = Env::new(&[]);
    let mut k = env.spawn(&[]);
    k.request("m", "set_plan_mode", json!({"enabled": true}));
    let (msgs, resp) = k.response("m");
    assert_eq!(resp["result"], json!({"status": "ok", "plan_mode": true}));
    assert_eq!(events(&msgs)[0].1["plan_mode"], true);
    k.close();
    let state = common::read_json(&env.session_dir().join("state.json"));
    assert_eq!(state["plan_mode"], true);
}

#[test]
fn silent_set_plan_mode_adopts_the_clients_saved_plan_session() {
    // kimi-kernel's proxy: kimi-cli switched plan mode, saved state.json and recorded the
    // StatusUpdate itself; kagent must take that plan session and report nothing.
    let env = Env::new(&[]);
    let mut k = env.spawn(&[]);
    k.request("i", "initialize", json!({"protocol_version": "1.10"}));
    k.response("i");
    let dir = env.session_dir();
    let mut state = std::fs::read_to_string(dir.join("state.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .unwrap_or_else(|| json!({}));
    state["plan_mode"] = json!(true);
    state["plan_session_id"] = json!("0123456789abcdef0123456789abcdef");
    state["plan_slug"] = json!("client-made-slug");
    std::fs::write(dir.join("state.json"), state.to_string()).unwrap();
    k.request(
        "m",
        "set_plan_mode",
        json!({"enabled": true, "silent": true}),
    );
    let (msgs, resp) = k.response("m");
    assert_eq!(resp["result"], json!({"status": "ok", "plan_mode": true}));
    assert!(
        events(&msgs).is_empty(),
        "silent set_plan_mode sent {msgs:?}"
    );
    k.request("p", "prompt", json!({"user_input": "/plan on"}));
    let (msgs, _) = k.response("p");
    let text = events(&msgs)
        .into_iter()
        .find(|(t, _)| t == "ContentPart")
        .map(|(_, p)| p["text"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    assert!(text.contains("client-made-slug.md"), "{text}");
    k.close();
    let wire = std::fs::read_to_string(dir.join("wire.jsonl")).unwrap_or_default();
    let before_turn = wire.split("TurnBegin").next().unwrap_or_default();
    assert!(!before_turn.contains("StatusUpdate"), "{wire}");
}

#[test]
fn initialize_with_report_hooks_false_runs_hooks_without_reporting_them() {
    // kimi-kernel's handshake for kimi-cli's shell and print UIs, which show no hook activity
    for (report, expected) in [(false, false), (true, true)] {
        let env = Env::new(&["text: hi"]);
        let mut cfg = std::fs::read_to_string(&env.cfg).unwrap();
        cfg.push_str("[[hooks]]\nevent = \"Stop\"\ncommand = \"true\"\n");
        std::fs::write(&env.cfg, cfg).unwrap();
        let mut k = env.spawn(&[]);
        k.request(
            "i",
            "initialize",
            json!({"protocol_version": "1.10", "report_hooks": report}),
        );
        k.response("i");
        k.request("p", "prompt", json!({"user_input": "x"}));
        let (msgs, resp) = k.response("p");
        assert_eq!(resp["result"]["status"], "finished");
        let reported = types(&msgs).iter().any(|t| t == "HookTriggered");
        assert_eq!(reported, expected, "report_hooks={report}: {msgs:?}");
        k.close();
    }
}

#[test]
fn slash_commands_and_llm_capability_errors() {
    let env = Env::new(&[]);
    let mut k = env.spawn(&[]);
    k.request("a", "prompt", json!({"user_input": "/nosuch arg"}));
    let (msgs, resp) = k.response("a");
    assert_eq!(resp["result"]["status"], "finished");
    assert_eq!(
        events(&msgs)[1].1["text"],
        "There is no slash command \"/nosuch\"." // kagent's own text (no profile here)
    );
    k.request("b", "prompt", json!({"user_input": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "data:x"}}]}));
    let (msgs, resp) = k.response("b");
    assert_eq!(resp["error"]["code"], -32002);
    assert_eq!(
        resp["error"]["message"],
        "The model 'scripted_echo' lacks the capability this input needs: image_in."
    );
    assert_eq!(types(&msgs), ["TurnBegin", "TurnEnd"]);
    k.close();
}

#[test]
fn no_model_configured_gives_llm_not_set() {
    let env = Env::new(&[]);
    std::fs::write(&env.cfg, "default_model = \"\"\n").unwrap();
    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "x"}));
    let (msgs, resp) = k.response("p");
    assert_eq!(
        resp["error"],
        json!({"code": -32001, "message": "LLM is not set", "data": null})
    );
    assert_eq!(types(&msgs), ["TurnBegin", "TurnEnd"]);
    k.close();
}

#[test]
fn external_tool_round_trip() {
    let env = Env::new(&[
        "tool_call: {\"id\":\"t1\",\"name\":\"open_in_ide\",\"arguments\":\"{\\\"path\\\":\\\"a\\\"}\"}",
        "text: opened",
    ]);
    let mut k = env.spawn(&[]);
    k.request(
        "i",
        "initialize",
        json!({"protocol_version": "1.10", "external_tools": [
            {"name": "open_in_ide", "description": "Open", "parameters": {"type": "object"}},
            {"name": "Shell", "description": "x", "parameters": {}}
        ]}),
    );
    let (_, init) = k.response("i");
    assert_eq!(
        init["result"]["external_tools"],
        json!({"accepted": ["open_in_ide"], "rejected": [{"name": "Shell", "reason": message("wire.tool_conflicts", &[])}]})
    );
    k.request("p", "prompt", json!({"user_input": "open a"}));
    let req = k.until(|v| v["method"] == "request").pop().unwrap();
    assert_eq!(req["id"], "t1");
    assert_eq!(req["params"]["type"], "ToolCallRequest");
    assert_eq!(req["params"]["payload"]["name"], "open_in_ide");
    k.send(json!({"jsonrpc": "2.0", "id": "t1", "result": {"tool_call_id": "t1", "return_value": {"is_error": false, "output": "Opened", "message": "ok", "display": []}}}));
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "finished");
    let ev = events(&msgs);
    let result = ev.iter().find(|(t, _)| t == "ToolResult").unwrap();
    assert_eq!(result.1["return_value"]["output"], "Opened");
    k.close();
}

#[test]
fn initialize_adds_kagents_identity_only_when_asked() {
    // kimi-kernel asks (`kernel_info: true`); a Wire client that does not gets kimi-cli's
    // result unchanged (the test above pins its keys)
    let env = Env::new(&[]);
    let mut k = env.spawn(&[]);
    let r = k.initialize_with_kernel_info();
    let res = &r["result"];
    let kernel = &res["kernel"];
    assert_eq!(kernel["name"], "kagent");
    assert_eq!(kernel["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(kernel["profile"], "kagent built-in");
    assert!(kernel["agent_file"]
        .as_str()
        .unwrap()
        .ends_with("/default/agent.yaml"));
    assert_eq!(
        kernel["capabilities"],
        json!([
            "profile",
            "agent_specs",
            "ralph_loop",
            "report_hooks",
            "silent_set_plan_mode",
            "provider_error_data",
            "kernel_info",
            "mcp_status"
        ])
    );
    let keys: Vec<&String> = res.as_object().unwrap().keys().collect();
    assert_eq!(keys.last().map(|k| k.as_str()), Some("kernel"));
}

#[test]
fn mcp_status_request_reports_the_start_up_and_waits_for_it() {
    let env = Env::new(&[]);
    // no server configured: null
    let mut k = env.spawn(&[]);
    k.request("s0", "mcp_status", json!({}));
    let (_, resp) = k.response("s0");
    assert_eq!(resp["result"], json!({"mcp_status": null}), "{resp}");
    k.close();

    // a "server" that exits after a second without speaking MCP: connecting, then failed
    let conf = json!({"mcpServers": {"slow": {"command": "sh", "args": ["-c", "sleep 1"]}}});
    let mut k = env.spawn(&["--mcp-config", &conf.to_string()]);
    k.request("s1", "mcp_status", json!({"wait": false}));
    let now = k.response("s1").1["result"]["mcp_status"].clone();
    assert_eq!(now["loading"], json!(true), "{now}");
    assert_eq!(now["total"], json!(1));
    assert!(
        ["pending", "connecting"].contains(&now["servers"][0]["status"].as_str().unwrap()),
        "{now}"
    );
    k.request("s2", "mcp_status", json!({"wait": true}));
    let done = k.response("s2").1["result"]["mcp_status"].clone();
    assert_eq!(
        done,
        json!({"loading": false, "connected": 0, "total": 1, "tools": 0,
               "servers": [{"name": "slow", "status": "failed", "tools": []}]})
    );
    k.request("s3", "mcp_status", json!({"wait": "maybe"}));
    assert_eq!(k.response("s3").1["error"]["code"], json!(-32602));
    let (status, _) = k.close();
    assert!(status.success());
}
