//! Bad input never panics, gets the oracle's error, and the process keeps serving.

mod common;

use common::{message, types, Env};
use serde_json::json;

#[test]
fn bad_input_matrix() {
    let env = Env::new(&["text: still alive"]);
    let mut k = env.spawn(&[]);
    let cases: &[(&str, serde_json::Value)] = &[
        (
            "{",
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Invalid JSON format", "data": null}}),
        ),
        (
            "[1,2]",
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid request", "data": null}}),
        ),
        (
            "\"str\"",
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid request", "data": null}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"cancel"}"#,
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid request", "data": null}}),
        ),
        (
            r#"{"jsonrpc":"1.0","id":"x","method":"cancel"}"#,
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid request", "data": null}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a5","method":"nope"}"#,
            json!({"jsonrpc": "2.0", "id": "a5", "error": {"code": -32601, "message": message("wire.unexpected_method", &[("{method}", "nope")]), "data": null}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a6","method":"prompt","params":{"user_input":5}}"#,
            json!({"jsonrpc": "2.0", "id": "a6", "error": {"code": -32602, "message": message("wire.invalid_params", &[("{method}", "prompt")]), "data": null}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a7","method":"prompt"}"#,
            json!({"jsonrpc": "2.0", "id": "a7", "error": {"code": -32602, "message": message("wire.invalid_params", &[("{method}", "prompt")]), "data": null}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a8","method":"initialize","params":{}}"#,
            json!({"jsonrpc": "2.0", "id": "a8", "error": {"code": -32602, "message": message("wire.invalid_params", &[("{method}", "initialize")]), "data": null}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a9","method":"set_plan_mode","params":{"enabled":[]}}"#,
            json!({"jsonrpc": "2.0", "id": "a9", "error": {"code": -32602, "message": message("wire.invalid_params", &[("{method}", "set_plan_mode")]), "data": null}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a10","method":"prompt","params":{"user_input":[{"type":"bogus"}]}}"#,
            json!({"jsonrpc": "2.0", "id": "a10", "error": {"code": -32602, "message": message("wire.invalid_params", &[("{method}", "prompt")]), "data": null}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a12","error":{"code":1}}"#,
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid request", "data": null}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a11","method":"cancel"}"#,
            json!({"jsonrpc": "2.0", "id": "a11", "error": {"code": -32000, "message": message("wire.no_turn", &[]), "data": null}}),
        ),
    ];
    for (line, want) in cases {
        k.send_raw(line);
        let got = k.until(|_| true).pop().unwrap();
        assert_eq!(&got, want, "input: {line}");
    }
    // Silently ignored: notifications, a response to an unknown id, a 1 MB line of garbage.
    k.send_raw(r#"{"jsonrpc":"2.0","method":"cancel"}"#);
    k.send_raw(r#"{"jsonrpc":"2.0","id":"zz","result":{"x":1}}"#);
    let big = format!("{{\"jsonrpc\":\"2.0\",\"id\":\"big\",\"method\":\"prompt\",\"params\":{{\"user_input\":\"{}\"}}}}", "a".repeat(1 << 20));
    k.send_raw(&big);
    let (msgs, resp) = k.response("big");
    assert_eq!(resp["result"]["status"], "finished");
    assert_eq!(types(&msgs)[0], "TurnBegin");
    // still serving
    k.request("last", "cancel", json!({}));
    assert_eq!(k.response("last").1["error"]["code"], -32000);
    let (status, stderr) = k.close();
    assert!(status.success(), "exit {status:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn unknown_flag_exits_2_with_usage() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kagent"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: kagent"));
}

#[test]
fn invalid_config_is_reported() {
    let env = Env::new(&[]);
    std::fs::write(&env.cfg, "default_model = \"nope\"\n").unwrap();
    let k = env.spawn(&[]);
    let (status, stderr) = k.close();
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("The configuration file "), "{stderr}");
    assert!(
        stderr.contains("the default model nope is not among the models"),
        "{stderr}"
    );
}

#[test]
fn agent_specs_run_and_okabe_needs_a_profile() {
    let env = Env::new(&["text: never"]);
    let spec = env.work.join("agent.yaml");
    std::fs::write(&spec, "version: 1\nagent:\n  extend: default\n").unwrap();
    let spec_arg = spec.to_string_lossy().into_owned();
    // kimi-cli's okabe is read from the installed kimi-cli: without a profile it is an error
    let (status, stderr) = env.spawn(&["--agent", "okabe"]).close();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "the agent \"okabe\" (--agent okabe) is kimi-cli's and is read from the installed kimi-cli, \
             but kagent runs without a kimi-cli profile; run it under kimi-kernel, or pass --profile PATH"
        ),
        "{stderr}"
    );
    // a spec extending kagent's built-in default runs, and so does the default named
    for args in [&["--agent-file", &spec_arg][..], &["--agent", "default"]] {
        let (status, stderr) = env.spawn(args).close();
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn stdin_closed_mid_turn_finishes_session_files() {
    let env = Env::new(&["error: 503", "text: never"]);
    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "x"}));
    k.until(|v| v["params"]["type"] == "StepRetry");
    let (status, _) = k.close();
    assert!(status.success());
    let wire = std::fs::read_to_string(env.session_dir().join("wire.jsonl")).unwrap();
    assert!(wire.lines().last().unwrap().contains("\"TurnEnd\""));
}

#[cfg(unix)]
#[test]
fn sigterm_mid_turn_leaves_complete_files() {
    let env = Env::new(&["error: 503", "text: never"]);
    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "x"}));
    k.until(|v| v["params"]["type"] == "StepRetry");
    let pid = k.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = k.child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    let dir = env.session_dir();
    for f in ["wire.jsonl", "context.jsonl"] {
        for line in std::fs::read_to_string(dir.join(f)).unwrap().lines() {
            serde_json::from_str::<serde_json::Value>(line).expect("every line is whole JSON");
        }
    }
    let wire = std::fs::read_to_string(dir.join("wire.jsonl")).unwrap();
    assert!(wire.lines().last().unwrap().contains("\"TurnEnd\""));
}

#[cfg(unix)]
#[test]
fn sigkill_never_corrupts_earlier_lines_and_session_continues() {
    let env = Env::new(&["text: one", "error: 503", "text: two"]);
    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "first"}));
    k.response("p");
    k.request("p2", "prompt", json!({"user_input": "second"}));
    k.until(|v| v["params"]["type"] == "StepRetry");
    k.child.kill().unwrap();
    k.child.wait().unwrap();
    let dir = env.session_dir();
    let id = dir.file_name().unwrap().to_str().unwrap().to_string();
    for f in ["wire.jsonl", "context.jsonl"] {
        for line in std::fs::read_to_string(dir.join(f)).unwrap().lines() {
            serde_json::from_str::<serde_json::Value>(line).expect("whole JSON lines only");
        }
    }
    // reopen the killed session by id and keep going
    env.set_scripts(&["text: three"]);
    let mut k = env.spawn(&["-S", &id]);
    k.request("p3", "prompt", json!({"user_input": "third"}));
    assert_eq!(k.response("p3").1["result"]["status"], "finished");
    k.request("r", "replay", json!({}));
    let (msgs, _) = k.response("r");
    let begins = types(&msgs).iter().filter(|t| *t == "TurnBegin").count();
    assert_eq!(begins, 3);
    k.close();
    let ctx = std::fs::read_to_string(dir.join("context.jsonl")).unwrap();
    assert!(ctx.contains(r#"{"role":"assistant","content":"one"}"#));
    assert!(ctx.contains(r#"{"role":"assistant","content":"three"}"#));
}

#[test]
fn continue_picks_last_session() {
    let env = Env::new(&["text: a"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kagent"))
        .args(["--wire", "-C", "--config-file"])
        .arg(&env.cfg)
        .arg("-w")
        .arg(&env.work)
        .env("KIMI_SHARE_DIR", &env.share)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No previous session found"));

    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "remember me"}));
    k.response("p");
    k.close();
    let first = env.session_dir();
    env.set_scripts(&["text: b"]);
    let mut k = env.spawn(&["-C"]);
    k.request("r", "replay", json!({}));
    let (msgs, resp) = k.response("r");
    assert!(resp["result"]["events"].as_u64().unwrap() > 0);
    assert_eq!(common::events(&msgs)[0].1["user_input"], "remember me");
    k.close();
    assert_eq!(env.session_dir(), first);
}

#[test]
fn check_start_checks_without_a_session_and_reports_what_a_start_would() {
    let env = Env::new(&["text: hi"]);
    let (status, stderr) = env.spawn(&["--check-start"]).close();
    assert!(status.success(), "{stderr}");
    assert!(
        !env.share.join("sessions").exists(),
        "--check-start must not create a session"
    );
    // a provider kagent cannot run fails the check as it fails a start
    std::fs::write(
        &env.cfg,
        "default_model=\"g\"\n[models.g]\nprovider=\"g\"\nmodel=\"g\"\nmax_context_size=1000\n\
         [providers.g]\ntype=\"gemini\"\nbase_url=\"http://127.0.0.1:9\"\napi_key=\"k\"\n",
    )
    .unwrap();
    let (status, stderr) = env.spawn(&["--check-start"]).close();
    assert!(!status.success());
    assert!(stderr.contains("gemini"), "{stderr}");
}

/// kagent with `--fallback-argv` naming a shell that answers one line with its pid and an env
/// value: (stdout, stderr, exit status, kagent's pid).
fn run_with_fallback(env: &Env, extra: &[&str]) -> (String, String, std::process::ExitStatus, u32) {
    use std::io::Write as _;
    let fallback = json!({
        "argv": ["sh", "-c", "read line; echo \"fallback pid=$$ env=$KK_FALLBACK_MARK got=$line\""],
        "env": {"KK_FALLBACK_MARK": "set"},
    });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kagent"))
        .args(["--wire", "--config-file"])
        .arg(&env.cfg)
        .arg("-w")
        .arg(&env.work)
        .args(extra)
        .args(["--fallback-argv", &fallback.to_string()])
        .env("KIMI_SHARE_DIR", &env.share)
        .env_remove("KK_FALLBACK_MARK")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status,
        pid,
    )
}

#[test]
#[cfg(unix)]
fn a_start_failure_with_a_fallback_becomes_the_fallback_on_the_same_pid_and_pipes() {
    let env = Env::new(&["text: hi"]);
    std::fs::write(
        &env.cfg,
        "default_model=\"g\"\n[models.g]\nprovider=\"g\"\nmodel=\"g\"\nmax_context_size=1000\n\
         [providers.g]\ntype=\"gemini\"\nbase_url=\"http://127.0.0.1:9\"\napi_key=\"k\"\n",
    )
    .unwrap();
    let (stdout, stderr, status, pid) = run_with_fallback(&env, &[]);
    assert!(status.success(), "{stdout}\n{stderr}");
    // exec: the fallback has kagent's pid, its stdin (the line sent) and its own env value
    assert_eq!(
        stdout.trim(),
        format!("fallback pid={pid} env=set got=hello")
    );
    assert!(
        !stderr.contains("gemini"),
        "the reason is logged, not printed: {stderr}"
    );
    let log = std::fs::read_to_string(env.share.join("logs").join("kagent.log")).unwrap();
    assert!(
        log.contains("kagent cannot start this session (Unsupported provider type `gemini`"),
        "{log}"
    );
    assert!(
        !env.share.join("sessions").exists(),
        "no session for a start that failed"
    );

    // a flag this kagent does not take is a start failure too
    let (stdout, _, status, _) = run_with_fallback(&env, &["--flag-of-a-newer-kimi-kernel"]);
    assert!(status.success());
    assert!(stdout.starts_with("fallback pid="), "{stdout}");
}

#[test]
fn a_start_that_works_ignores_the_fallback_and_later_errors_are_kagents_own() {
    let env = Env::new(&["text: hi"]);
    let (stdout, stderr, status, _) = run_with_fallback(&env, &[]);
    // "hello" is not JSON-RPC: kagent itself answers it
    assert!(!stdout.contains("fallback"), "{stdout}\n{stderr}");
    assert!(stdout.contains("\"jsonrpc\""), "{stdout}\n{stderr}");
    assert!(status.success(), "{stderr}");
    // past the checks (the session is being opened) the fallback is disarmed
    let (stdout, stderr, status, _) = run_with_fallback(&Env::new(&[]), &["--continue"]);
    assert!(!stdout.contains("fallback"), "{stdout}");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--continue"), "{stderr}");
}

#[test]
fn a_bad_fallback_value_is_a_usage_error_naming_the_shape() {
    let env = Env::new(&[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kagent"))
        .args(["--wire", "--fallback-argv", "[\"sh\"]"])
        .env("KIMI_SHARE_DIR", &env.share)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--fallback-argv: ") && stderr.contains("expected JSON like"),
        "{stderr}"
    );
}
