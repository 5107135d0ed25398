//! `TaskStop` on a background agent, end to end: the real `kagent` binary and a
//! chat-completions server on 127.0.0.1 that answers each request by what it holds, so the
//! parent can stop the task whose id it was given (a scripted model cannot: task ids are
//! random). The differential suite compares every other background-agent path with kimi-cli;
//! here the expectations are kimi-cli 1.51's (`BackgroundTaskManager.kill` marks an agent
//! task killed with TaskStop's reason at once, and the runner, cancelled, marks the instance
//! killed and its output `[stage] cancelled`).

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{read_json, read_json_request, Env};
use serde_json::{json, Value};

const SUB_PROMPT: &str = "sleep for a while";
/// The agent's command: a duration no other test uses, so `ps` finds only this one.
const COMMAND: &str = "sleep 37.25";

fn sse_text(text: &str) -> String {
    let delta = json!({"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]});
    let end = json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
    format!("data: {delta}\n\ndata: {end}\n\ndata: [DONE]\n\n")
}

fn sse_call(id: &str, name: &str, arguments: Value) -> String {
    let call = json!({"index": 0, "id": id, "type": "function",
                      "function": {"name": name, "arguments": arguments.to_string()}});
    let delta = json!({"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}}]});
    let end =
        json!({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]});
    format!("data: {delta}\n\ndata: {end}\n\ndata: [DONE]\n\n")
}

/// The answer to one request: the subagent runs a long command; the parent launches the
/// agent, stops the task named in the launch answer, then ends its turn.
fn answer(body: &Value, command_sent: &AtomicBool) -> String {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let text = |m: &Value| match &m["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    };
    let is_sub = messages
        .iter()
        .any(|m| m["role"] == "user" && text(m) == SUB_PROMPT);
    let tools: Vec<&Value> = messages.iter().filter(|m| m["role"] == "tool").collect();
    if is_sub {
        return if tools.is_empty() {
            command_sent.store(true, Ordering::SeqCst);
            sse_call("s1", "Shell", json!({"command": COMMAND}))
        } else {
            sse_text("slept")
        };
    }
    match tools.as_slice() {
        [] => sse_call(
            "c1",
            "Agent",
            json!({"description": "nap", "prompt": SUB_PROMPT, "run_in_background": true}),
        ),
        // the launch answer names the task; it is stopped once the agent runs its command
        [launch] => {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while !command_sent.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
            let launch = text(launch);
            let id = launch
                .split("task_id: ")
                .nth(1)
                .and_then(|rest| rest.lines().next())
                .unwrap_or("no-task-id");
            sse_call("c2", "TaskStop", json!({"task_id": id}))
        }
        _ => sse_text("stopped"),
    }
}

/// A server answering by [`answer`]; returns its base URL.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let command_sent = Arc::new(AtomicBool::new(false));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let command_sent = command_sent.clone();
            std::thread::spawn(move || {
                let Some(body) = read_json_request(&stream) else {
                    return;
                };
                let sse = answer(&body, &command_sent);
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{sse}"
                    )
                    .as_bytes(),
                );
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn task_stop_kills_a_running_background_agent_and_its_command() {
    let env = Env::new(&[]);
    let base_url = serve();
    env.use_model_server(&base_url);
    let mut kagent = env.spawn(&["--yolo"]);
    kagent.initialize();
    // wait until the agent runs its command, then the parent's turn
    kagent.request("p1", "prompt", json!({"user_input": "go"}));
    let (events, _) = kagent.response("p1");
    let stop_result = events
        .iter()
        .find(|e| {
            e["params"]["type"] == "ToolResult" && e["params"]["payload"]["tool_call_id"] == "c2"
        })
        .unwrap_or_else(|| panic!("no TaskStop result: {events:#?}"));
    let output = stop_result["params"]["payload"]["return_value"]["output"]
        .as_str()
        .unwrap();
    assert!(output.contains("status: killed"), "{stop_result}");
    let session = env.session_dir();
    let tasks: Vec<_> = std::fs::read_dir(session.join("tasks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let task = &tasks[0];
    let runtime = read_json(&task.join("runtime.json"));
    assert_eq!(runtime["status"], "killed", "{runtime}");
    assert_eq!(runtime["interrupted"], true);
    assert!(runtime["failure_reason"].is_string(), "{runtime}");
    assert_eq!(runtime["worker_pid"], Value::Null);
    // the run ends once cancelled: the instance killed, its transcript says so
    let agent_id = read_json(&task.join("spec.json"))["kind_payload"]["agent_id"]
        .as_str()
        .unwrap()
        .to_string();
    let instance = session.join("subagents").join(&agent_id);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while read_json(&instance.join("meta.json"))["status"] != "killed" {
        assert!(
            std::time::Instant::now() < deadline,
            "the instance was not killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let transcript = std::fs::read_to_string(instance.join("output")).unwrap();
    assert!(
        transcript.contains("[tool] Shell\n") && transcript.ends_with("[stage] cancelled\n"),
        "{transcript}"
    );
    assert_eq!(
        std::fs::read_to_string(task.join("output.log")).unwrap(),
        transcript
    );
    // the agent's command went with it
    let (status, _) = kagent.close();
    assert_eq!(status.code(), Some(0));
    let ps = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .unwrap();
    let left = String::from_utf8_lossy(&ps.stdout)
        .lines()
        .filter(|l| l.trim() == COMMAND)
        .count();
    assert_eq!(left, 0, "the background agent's command outlived it");
}
