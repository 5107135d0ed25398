//! Issue 19 (kagent never dies of its input), at the process level: the exact hostile input
//! goes to a real `kagent --wire`, which answers with a clear error and goes on serving.

mod common;

use common::{message, types, Env};
use serde_json::{json, Value};

/// A scripted `tool_call` line whose arguments are `arguments` (a JSON string of them).
fn tool_call(id: &str, name: &str, arguments: &str) -> String {
    format!(
        "tool_call: {}",
        json!({"id": id, "name": name, "arguments": arguments})
    )
}

#[test]
fn deeply_nested_tool_arguments_fail_the_turn_like_python_and_kagent_goes_on() {
    // ~40 KB of `[[[…` used to overflow kagent's stack mid-turn
    let deep = format!("{{\"command\": {}", "[".repeat(20_000));
    let env = Env::new(&[&tool_call("c1", "Shell", &deep), "text: still alive"]);
    let mut k = env.spawn(&[]);
    k.request("p1", "prompt", json!({"user_input": "go"}));
    let (msgs, resp) = k.response("p1");
    assert_eq!(resp["error"]["code"], -32603, "{resp}");
    assert_eq!(
        resp["error"]["message"],
        "RecursionError: maximum recursion depth exceeded while decoding a JSON array from a unicode string"
    );
    assert!(!types(&msgs).contains(&"ToolResult".to_string()));
    k.request("p2", "prompt", json!({"user_input": "again"}));
    let (_, resp) = k.response("p2");
    assert_eq!(resp["result"], json!({"status": "finished"}));
    let (status, _) = k.close();
    assert!(status.success());
}

#[test]
fn a_skill_with_a_quoted_scalar_line_or_deep_flow_is_skipped_and_a_quoted_key_is_read() {
    let env = Env::new(&["text: ok"]);
    let skills = env.work.join(".kimi/skills");
    let write = |name: &str, text: &str| {
        let dir = skills.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("SKILL.md"), text).unwrap();
    };
    // each of these used to abort kagent at start-up
    write("scalar", "---\n\"d\"\n---\nbody\n");
    write("scalar2", "---\n\"a\"é\n---\nbody\n");
    write(
        "deep",
        &format!(
            "---\nname: deep\ndescription: {}\n---\n",
            "[".repeat(30_000)
        ),
    );
    // and this one used to vanish: its quoted key was never read
    write(
        "quoted",
        "---\n\"description\": Quoted key skill\n---\nbody\n",
    );
    let mut k = env.spawn(&[]);
    let init: Value = k.initialize();
    let listed = init.to_string();
    assert!(listed.contains("Quoted key skill"), "{listed}");
    assert!(!listed.contains("\"deep\""), "{listed}");
    k.request("p", "prompt", json!({"user_input": "hi"}));
    let (_, resp) = k.response("p");
    assert_eq!(resp["result"], json!({"status": "finished"}));
    k.close();
}

#[test]
fn two_external_calls_with_one_tool_call_id_both_get_their_results() {
    let step = format!(
        "{}\n{}",
        tool_call("dup", "open_in_ide", "{\"path\": \"a\"}"),
        tool_call("dup", "open_in_ide", "{\"path\": \"b\"}")
    );
    let env = Env::new(&[&step, "text: both opened"]);
    let mut k = env.spawn(&[]);
    k.request(
        "i",
        "initialize",
        json!({"protocol_version": "1.10", "external_tools": [
            {"name": "open_in_ide", "description": "Open", "parameters": {"type": "object"}}
        ]}),
    );
    k.response("i");
    k.request("p", "prompt", json!({"user_input": "open both"}));
    for _ in 0..2 {
        let req = k.until(|v| v["method"] == "request").pop().unwrap();
        assert_eq!(req["id"], "dup");
        let path = req["params"]["payload"]["arguments"]
            .as_str()
            .unwrap()
            .to_string();
        k.send(json!({"jsonrpc": "2.0", "id": "dup", "result": {"tool_call_id": "dup",
            "return_value": {"is_error": false, "output": format!("opened {path}"), "message": "", "display": []}}}));
    }
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "finished");
    let outputs: Vec<String> = common::events(&msgs)
        .iter()
        .filter(|(t, _)| t == "ToolResult")
        .map(|(_, p)| {
            p["return_value"]["output"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    // not the closed-connection error (wire.closed_before_tool_result)
    assert_eq!(outputs.len(), 2, "{outputs:?}");
    assert!(
        outputs[0].contains("\"a\"") && outputs[1].contains("\"b\""),
        "{outputs:?}"
    );
    k.close();
}

/// Peak resident memory of a live process (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

#[test]
fn a_one_gib_stdin_line_is_discarded_with_an_error_in_bounded_memory() {
    use std::io::Write;
    let env = Env::new(&["text: still alive"]);
    let mut k = env.spawn(&[]);
    {
        let stdin = k.stdin.as_mut().unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..1024 {
            stdin.write_all(&chunk).unwrap();
        }
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }
    let err = k.until(|v| v["error"].is_object()).pop().unwrap();
    assert_eq!(err["id"], Value::Null);
    assert_eq!(err["error"]["code"], -32600);
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "Invalid request: a line of 1073741825 bytes exceeds the limit of 104857600 bytes"
        ),
        "{msg}"
    );
    let peak = peak_rss_mib(k.child.id());
    assert!(peak < 400, "kagent peaked at {peak} MiB for a 1 GiB line");
    k.request("p", "prompt", json!({"user_input": "hi"}));
    let (_, resp) = k.response("p");
    assert_eq!(resp["result"], json!({"status": "finished"}));
    k.close();
}

#[test]
fn past_a_file_size_limit_writes_fail_with_file_too_large_and_kagent_goes_on() {
    let env = Env::new(&["text: small", "text: after"]);
    // 256 blocks: 128 KiB (dash counts 512-byte blocks) or 256 KiB (bash, 1 KiB blocks)
    let limit = ["sh", "-c", "ulimit -f 256 && exec \"$0\" \"$@\""];
    let mut k = env.spawn_via(&limit, &[]);
    let big = "x".repeat(400_000);
    k.request("p1", "prompt", json!({"user_input": big}));
    let (_, resp) = k.response("p1");
    assert_eq!(resp["error"]["code"], -32603, "{resp}");
    let msg = resp["error"]["message"].as_str().unwrap();
    assert!(msg.contains("File too large (os error 27)"), "{msg}");
    // still serving (no SIGXFSZ death); the failed append left no torn line behind
    k.request("c", "cancel", json!({}));
    let (_, resp) = k.response("c");
    assert_eq!(resp["error"]["message"], message("wire.no_turn", &[]));
    let (status, _) = k.close();
    assert!(status.success(), "{status:?}");
    let context = std::fs::read_to_string(env.session_dir().join("context.jsonl")).unwrap();
    assert!(
        context.is_empty() || context.ends_with('\n'),
        "{context:.200}"
    );
}

#[test]
fn a_torn_last_jsonl_line_does_not_swallow_the_next_record() {
    let env = Env::new(&["text: one", "text: two"]);
    let mut k = env.spawn(&[]);
    k.request("p1", "prompt", json!({"user_input": "first"}));
    k.response("p1");
    k.close();
    let dir = env.session_dir();
    // what a full disk leaves behind (kimi-cli too): the last record without its newline
    for name in ["context.jsonl", "wire.jsonl"] {
        let path = dir.join(name);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"role\": \"user\", \"content\": \"to");
        std::fs::write(&path, text).unwrap();
    }
    let mut k = env.spawn(&["--continue"]);
    k.request("p2", "prompt", json!({"user_input": "second"}));
    let (_, resp) = k.response("p2");
    assert_eq!(resp["result"], json!({"status": "finished"}));
    k.close();
    for name in ["context.jsonl", "wire.jsonl"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let torn = lines
            .iter()
            .position(|l| l.ends_with("\"to"))
            .unwrap_or_else(|| panic!("{name}: the torn line is kept alone: {text}"));
        // every record after the torn line is whole, and the new prompt is among them
        let after: Vec<Value> = lines[torn + 1..]
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}")))
            .collect();
        assert!(
            after.iter().any(|v| v.to_string().contains("second")),
            "{name}: {text}"
        );
    }
}

#[test]
fn the_prompt_is_in_context_jsonl_before_turn_begin_reaches_the_client() {
    // a provider that errors first keeps the turn open (retry back-off) after TurnBegin
    let env = Env::new(&["error: 503", "text: never"]);
    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "keep me"}));
    k.until(|v| v["params"]["type"] == "TurnBegin");
    let context = std::fs::read_to_string(env.session_dir().join("context.jsonl")).unwrap();
    assert!(context.contains("keep me"), "{context}");
    // killed right after TurnBegin: the message survives and the session is not empty
    k.child.kill().unwrap();
    k.child.wait().unwrap();
    let context = std::fs::read_to_string(env.session_dir().join("context.jsonl")).unwrap();
    assert!(context.contains("keep me"), "{context}");
}

/// The pids of processes whose command line contains `pattern` (`pgrep -f`).
fn pgrep(pattern: &str) -> Vec<String> {
    let out = std::process::Command::new("pgrep")
        .args(["-f", pattern])
        .output()
        .expect("run pgrep");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Waits up to 10 s for `pattern`'s processes to be gone; returns those left.
fn gone(pattern: &str) -> Vec<String> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left = pgrep(pattern);
        if left.is_empty() || std::time::Instant::now() > until {
            return left;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn a_shell_commands_grandchildren_end_with_it_on_cancel_sigterm_and_stdin_close() {
    for (n, how) in ["cancel", "sigterm", "stdin-close", "timeout"]
        .iter()
        .enumerate()
    {
        // a unique sleep length marks this run's processes
        let secs = format!("{}{}", 900 + n, std::process::id() % 1000);
        let mut args = json!({"command": format!("sleep {secs}1 & sleep {secs}2; echo done")});
        if *how == "timeout" {
            args["timeout"] = json!(1);
        }
        let env = Env::new(&[&tool_call("c1", "Shell", &args.to_string()), "text: end"]);
        let mut k = env.spawn(&["--yolo"]);
        k.request("p", "prompt", json!({"user_input": "run"}));
        k.until(|v| v["params"]["type"] == "ToolCall");
        let pattern = format!("sleep {secs}");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        // the shell's own command line matches too: shell + two sleeps
        while pgrep(&pattern).len() < 3 && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(pgrep(&pattern).len(), 3, "{how}: both sleeps started");
        match *how {
            "cancel" => {
                k.request("c", "cancel", json!({}));
                let (_, resp) = k.response("p");
                assert_eq!(resp["result"]["status"], "cancelled", "{resp}");
            }
            "sigterm" => {
                let pid = k.child.id().to_string();
                std::process::Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .unwrap();
                k.child.wait().unwrap();
            }
            "stdin-close" => drop(k.stdin.take()),
            _ => {
                let (msgs, _) = k.response("p");
                let text = msgs.iter().map(Value::to_string).collect::<String>();
                assert!(text.contains("past its 1s timeout"), "{text}");
            }
        }
        assert_eq!(
            gone(&pattern),
            Vec::<String>::new(),
            "{how}: grandchildren left"
        );
        let _ = k.child.kill();
        let _ = k.child.wait();
    }
}

#[cfg(unix)]
#[test]
fn a_write_through_a_symlink_leaving_the_work_dir_is_asked_and_a_link_to_env_is_secret() {
    let outside = {
        let env_root = std::env::temp_dir().join(format!("kagent-outside-{}", std::process::id()));
        std::fs::create_dir_all(&env_root).unwrap();
        env_root
    };
    let bashrc = outside.join("bashrc");
    std::fs::write(&bashrc, "original\n").unwrap();
    let write = |id: &str, path: &str| {
        tool_call(
            id,
            "WriteFile",
            &json!({"path": path, "content": "pwned\n"}).to_string(),
        )
    };
    let env = Env::new(&[
        &write("w1", "a.txt"),
        &write("w2", "notes"),
        &tool_call("r1", "ReadFile", &json!({"path": "config"}).to_string()),
        "text: done",
    ]);
    // what a hostile repository can ship
    std::os::unix::fs::symlink(&bashrc, env.work.join("notes")).unwrap();
    std::fs::write(env.work.join(".env"), "TOKEN=secret\n").unwrap();
    std::os::unix::fs::symlink(env.work.join(".env"), env.work.join("config")).unwrap();
    let mut k = env.spawn(&[]);
    k.request("p", "prompt", json!({"user_input": "edit"}));
    // the first, plain edit: approved for the session
    let req = k.until(|v| v["method"] == "request").pop().unwrap();
    assert_eq!(req["params"]["payload"]["action"], "edit file", "{req}");
    let rid = req["params"]["payload"]["id"].clone();
    k.send(json!({"jsonrpc": "2.0", "id": req["id"], "result": {"request_id": rid, "response": "approve_for_session"}}));
    // the write through `notes -> ~/.bashrc` is asked again, as an outside edit
    let req = k.until(|v| v["method"] == "request").pop().unwrap();
    assert_eq!(
        req["params"]["payload"]["action"], "edit a file outside the workspace",
        "{req}"
    );
    let rid = req["params"]["payload"]["id"].clone();
    k.send(json!({"jsonrpc": "2.0", "id": req["id"], "result": {"request_id": rid, "response": "reject"}}));
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "finished", "{resp}");
    assert_eq!(std::fs::read_to_string(&bashrc).unwrap(), "original\n");
    assert_eq!(
        std::fs::read_to_string(env.work.join("a.txt")).unwrap(),
        "pwned\n"
    );
    let _ = msgs;
    // (the rejection ended that turn) ReadFile of `config -> .env` is refused like `.env`
    k.request("p2", "prompt", json!({"user_input": "read"}));
    let (msgs, _) = k.response("p2");
    let read = common::events(&msgs)
        .into_iter()
        .find(|(t, p)| t == "ToolResult" && p["tool_call_id"] == "r1")
        .unwrap()
        .1;
    let text = read.to_string();
    assert!(text.contains("looks like a file of secrets"), "{text}");
    k.close();
    let _ = std::fs::remove_dir_all(&outside);
}

#[test]
fn read_file_streams_a_big_log_and_refuses_a_big_binary_in_bounded_memory() {
    use std::io::Write;
    let env = Env::new(&[
        &tool_call(
            "r1",
            "ReadFile",
            &json!({"path": "big.log", "n_lines": 5}).to_string(),
        ),
        &tool_call("r2", "ReadFile", &json!({"path": "big.bin"}).to_string()),
        "text: done",
    ]);
    // 256 MiB of text lines (1 KiB each) and a sparse 2 GiB binary
    let mut log = std::io::BufWriter::new(std::fs::File::create(env.work.join("big.log")).unwrap());
    let line = format!("{}\n", "x".repeat(1023));
    for _ in 0..(256 * 1024) {
        log.write_all(line.as_bytes()).unwrap();
    }
    log.flush().unwrap();
    drop(log);
    std::fs::File::create(env.work.join("big.bin"))
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let mut k = env.spawn(&["--yolo"]);
    k.request("p", "prompt", json!({"user_input": "read"}));
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "finished", "{resp}");
    let results: Vec<Value> = common::events(&msgs)
        .into_iter()
        .filter(|(t, _)| t == "ToolResult")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(
        results[0]["return_value"]["message"],
        "Read 5 lines, from line 1 on. The file has 262144 lines." // kagent's own text
    );
    assert!(results[1]["return_value"]["message"]
        .as_str()
        .unwrap()
        .contains("is not text ReadFile can show"));
    let peak = peak_rss_mib(k.child.id());
    assert!(
        peak < 64,
        "kagent peaked at {peak} MiB reading a 256 MiB log"
    );
    k.close();
}
