//! Agent specs, the kimi-cli profile, the Ralph loop and `initialize`'s identity, end to end:
//! the real `kagent` binary, a profile file and agent specs on disk, and (for what the model
//! is sent) a chat-completions server on 127.0.0.1 that records each request body.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{events, read_json_request, read_lines, Env};
use serde_json::{json, Value};

/// Answers every request with one short streamed text; returns the base URL and the bodies.
fn serve_text() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let bodies = Arc::new(Mutex::new(vec![]));
    let log = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let body = read_json_request(&stream).expect("a request with a JSON body");
            log.lock().unwrap().push(body);
            let sse = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"done\"}}]}\n\n\
                       data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{sse}"
                )
                .as_bytes(),
            );
        }
    });
    (format!("http://{addr}"), bodies)
}

const TEXT_KEYS: &[&str] = &[
    "init",
    "compact",
    "compaction_system",
    "compaction_output_prefix",
    "plan_mode.full_new",
    "plan_mode.full_exists",
    "plan_mode.sparse",
    "plan_mode.reentry",
    "afk_mode",
    "afk_disabled",
    "repeat.same_call",
    "repeat.many_times",
    "repeat.stop",
    "ralph.decision",
    "background.started",
    "background.output_hint",
    "background.no_output_hint",
];

/// A kimi-cli-like install: agents (default with an include and subagent, okabe extending it
/// with its own tool list) and a profile naming them, with marked tool definitions.
fn write_profile(root: &Path) -> PathBuf {
    let agents = root.join("kc").join("agents");
    let skills = root.join("kc").join("skills");
    std::fs::create_dir_all(agents.join("default").join("parts")).unwrap();
    std::fs::create_dir_all(agents.join("okabe")).unwrap();
    std::fs::create_dir_all(&skills).unwrap();
    std::fs::write(
        agents.join("default").join("agent.yaml"),
        "version: 1\nagent:\n  name: \"\"\n  system_prompt_path: ./system.md\n  system_prompt_args:\n    ROLE_ADDITIONAL: \"\"\n  tools:\n\
         \x20   - \"kimi_cli.tools.agent:Agent\"\n    - \"kimi_cli.tools.shell:Shell\"\n    - \"kimi_cli.tools.file:ReadFile\"\n\
         \x20   - \"kimi_cli.tools.file:Glob\"\n    - \"kimi_cli.tools.web:FetchURL\"\n  subagents:\n    coder:\n      path: ./coder.yaml\n      description: Codes.\n",
    )
    .unwrap();
    std::fs::write(
        agents.join("default").join("coder.yaml"),
        "version: 1\nagent:\n  extend: ./agent.yaml\n  allowed_tools: [\"kimi_cli.tools.shell:Shell\"]\n",
    )
    .unwrap();
    std::fs::write(
        agents.join("default").join("system.md"),
        "\n\nPROFILE PROMPT for ${KIMI_OS}${ROLE_ADDITIONAL}.\n{% include 'parts/tail.md' %}\n\n",
    )
    .unwrap();
    std::fs::write(
        agents.join("default").join("parts").join("tail.md"),
        "Work dir: ${KIMI_WORK_DIR}\n",
    )
    .unwrap();
    std::fs::write(
        agents.join("okabe").join("agent.yaml"),
        "version: 1\nagent:\n  extend: default\n  system_prompt_args:\n    ROLE_ADDITIONAL: \" (okabe)\"\n  tools:\n\
         \x20   - \"kimi_cli.tools.dmail:SendDMail\"\n    - \"kimi_cli.tools.file:Glob\"\n    - \"kimi_cli.tools.shell:Shell\"\n\
         \x20   - \"kimi_cli.tools.file:ReadFile\"\n  exclude_tools: [\"kimi_cli.tools.file:ReadFile\"]\n",
    )
    .unwrap();
    let def = |name: &str| {
        json!({"name": name, "description": format!("PROFILE {name}"),
               "parameters": {"type": "object", "properties": {"z": {"type": "string"}, "a": {"type": "integer"}}}})
    };
    let texts: serde_json::Map<String, Value> = TEXT_KEYS
        .iter()
        .map(|k| (k.to_string(), json!(format!("PROFILE TEXT {k}"))))
        .collect();
    // every key of kagent's own messages (the profile must carry them all)
    let messages: serde_json::Map<String, Value> =
        include_str!("../src/config/builtin/messages.txt")
            .lines()
            .filter_map(|l| l.strip_prefix("=== ")?.strip_suffix(" ==="))
            .map(|k| (k.to_string(), json!(format!("PROFILE MESSAGE {k}"))))
            .collect();
    let profile = json!({
        "format": 1,
        "source": "kimi-cli 9.9.9",
        "kimi_cli_version": "9.9.9",
        "agents_dir": agents.display().to_string(),
        "skills_dir": skills.display().to_string(),
        "tools": {
            "kimi_cli.tools.shell:Shell": def("Shell"),
            "kimi_cli.tools.file:ReadFile": def("ReadFile"),
            "kimi_cli.tools.file:Glob": def("Glob"),
            "kimi_cli.tools.web:FetchURL": def("FetchURL"),
            "kimi_cli.tools.dmail:SendDMail": def("SendDMail"),
        },
        "texts": texts,
        "messages": messages,
        "plan_slug_words": ["alpha"],
    });
    let path = root.join("profile.json");
    std::fs::write(&path, profile.to_string()).unwrap();
    path
}

fn tools_seen(body: &Value) -> Vec<(String, String)> {
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["function"]["name"].as_str().unwrap().to_string(),
                t["function"]["description"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn profile_agent_spec_reaches_the_model_exactly() {
    let env = Env::new(&[]);
    let profile = write_profile(&env.root);
    let (url, bodies) = serve_text();
    env.use_model_server(&url);
    let profile_arg = profile.display().to_string();
    // okabe has SendDMail: its injected text must be in the profile
    let (status, stderr) = env
        .spawn(&["--profile", &profile_arg, "--agent", "okabe"])
        .close();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with(&format!(
        "kimi-cli profile {profile_arg}: missing key \"texts\".\"dmail.injection\" (the agent uses SendDMail); \
         rewrite it with `kimi-kernel profile --refresh`\n"
    )), "{stderr}");
    let mut data: Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    data["texts"]["dmail.injection"] = json!("PROFILE DMAIL {message}");
    std::fs::write(&profile, data.to_string()).unwrap();
    let mut k = env.spawn(&["--profile", &profile_arg, "--agent", "okabe"]);
    let init = k.initialize_with_kernel_info();
    assert_eq!(
        init["result"]["server"],
        json!({"name": "Kimi Code CLI", "version": "9.9.9"})
    );
    assert_eq!(init["result"]["kernel"]["profile"], "kimi-cli 9.9.9");
    // the slash commands' descriptions are the profile's messages
    let plan = init["result"]["slash_commands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "plan")
        .cloned();
    assert_eq!(
        plan,
        Some(json!({"name": "plan", "description": "PROFILE MESSAGE slash.plan", "aliases": []}))
    );
    k.request("p", "prompt", json!({"user_input": "hi"}));
    let (_, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "finished", "{resp}");
    let (status, stderr) = k.close();
    assert!(status.success(), "{stderr}");

    let body = bodies.lock().unwrap()[0].clone();
    // okabe's own order, ReadFile excluded; the profile's definitions exactly, key order of
    // the schema kept
    assert_eq!(
        tools_seen(&body),
        [
            ("SendDMail".to_string(), "PROFILE SendDMail".to_string()),
            ("Glob".into(), "PROFILE Glob".into()),
            ("Shell".into(), "PROFILE Shell".into()),
        ]
    );
    assert_eq!(
        serde_json::to_string(&body["tools"][0]["function"]["parameters"]).unwrap(),
        r#"{"type":"object","properties":{"z":{"type":"string"},"a":{"type":"integer"}}}"#
    );
    let work = std::fs::canonicalize(&env.work).unwrap();
    let want_prompt = format!(
        "PROFILE PROMPT for Linux (okabe).\nWork dir: {}\n",
        work.display()
    );
    assert_eq!(body["messages"][0]["content"], want_prompt.as_str());
    let context = read_lines(&env.session_dir().join("context.jsonl"));
    assert_eq!(context[0]["content"], want_prompt.as_str());
    let log = std::fs::read_to_string(env.share.join("logs").join("kagent.log")).unwrap();
    assert!(
        log.contains(&format!("profile: kimi-cli 9.9.9 ({profile_arg})")),
        "{log}"
    );
    // with SendDMail, checkpoints are announced to the model
    // (consecutive user messages are sent merged)
    assert_eq!(
        body["messages"][1]["content"],
        json!([
            {"type": "text", "text": "<system>CHECKPOINT 0</system>"},
            {"type": "text", "text": "hi"},
            {"type": "text", "text": "<system>CHECKPOINT 1</system>"},
        ])
    );
}

#[test]
fn agent_file_extending_default_with_exclude_tools() {
    let env = Env::new(&[]);
    let (url, bodies) = serve_text();
    env.use_model_server(&url);
    let spec = env.root.join("specs").join("agent.yaml");
    std::fs::create_dir_all(spec.parent().unwrap()).unwrap();
    std::fs::write(
        &spec,
        "version: 1\nagent:\n  extend: default\n  exclude_tools:\n    - \"kimi_cli.tools.shell:Shell\"\n    - \"kimi_cli.tools.todo:SetTodoList\"\n",
    )
    .unwrap();
    let spec_arg = spec.display().to_string();
    let mut k = env.spawn(&["--agent-file", &spec_arg]);
    k.initialize();
    k.request("p", "prompt", json!({"user_input": "hi"}));
    k.response("p");
    let (status, stderr) = k.close();
    assert!(status.success(), "{stderr}");
    let body = bodies.lock().unwrap()[0].clone();
    let tools = tools_seen(&body);
    let names: Vec<&str> = tools.iter().map(|(n, _)| n.as_str()).collect();
    // kagent's own default agent minus the excluded; no plan tools and no AskUserQuestion
    // for a client that did not declare support for them, no SearchWeb without a search
    // service, no ReadMediaFile for a model without media input
    assert_eq!(
        names,
        [
            "Agent",
            "ReadFile",
            "Glob",
            "Grep",
            "WriteFile",
            "StrReplaceFile",
            "FetchURL",
            "TaskList",
            "TaskOutput",
            "TaskStop"
        ]
    );
    // kagent's own Agent description, listing the inherited subagent types
    let agent = &tools[0].1;
    assert!(
        agent.contains("- `coder`: Works on a software task"),
        "{agent}"
    );
    assert!(
        agent.contains("- `explore`: Looks through the code base"),
        "{agent}"
    );
    assert!(!agent.contains("{builtin_agent_types}"), "{agent}");
    let prompt = body["messages"][0]["content"].as_str().unwrap();
    assert!(prompt.starts_with("You are a coding agent working in a terminal"));
    let log = std::fs::read_to_string(env.share.join("logs").join("kagent.log")).unwrap();
    assert!(log.contains("profile: kagent built-in (no kimi-cli profile)"));
}

#[test]
fn bad_profiles_specs_and_templates_stop_the_start_with_kimi_clis_words() {
    let env = Env::new(&["text: never"]);
    let profile = write_profile(&env.root);
    let specs = env.root.join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    let write = |name: &str, text: &str| {
        let p = specs.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let v2 = write("v2.yaml", "version: 2\nagent:\n  name: x\n");
    let notools = write(
        "notools.yaml",
        "agent:\n  name: a\n  system_prompt_path: p.md\n",
    );
    let badtool = write(
        "badtool.yaml",
        "agent:\n  extend: default\n  tools: [\"my.tools:Nope\", \"kimi_cli.tools.shell:Shell\"]\n",
    );
    std::fs::write(specs.join("missing_arg.md"), "Hello ${NOBODY}").unwrap();
    let missing_arg = write(
        "missing_arg.yaml",
        "agent:\n  extend: default\n  system_prompt_path: ./missing_arg.md\n",
    );
    std::fs::write(specs.join("syntax.md"), "Hello {% if %}").unwrap();
    let syntax = write(
        "syntax.yaml",
        "agent:\n  extend: default\n  system_prompt_path: ./syntax.md\n",
    );
    let broken_profile = env.root.join("broken.json");
    std::fs::write(&broken_profile, "{\"format\": 2}").unwrap();
    let broken_arg = broken_profile.display().to_string();
    let profile_arg = profile.display().to_string();
    let gone = env.root.join("gone.yaml").display().to_string();

    let cases: Vec<(Vec<&str>, i32, String)> = vec![
        (
            vec!["--profile", &broken_arg],
            1,
            format!(
                "kimi-cli profile {broken_arg}: unknown format 2 (this kagent reads format 1); \
                 rewrite it with `kimi-kernel profile --refresh`\n"
            ),
        ),
        (
            vec!["--agent-file", &v2],
            1,
            "This kagent reads agent specs of version 1, not 2\n".into(),
        ),
        (
            vec!["--agent-file", &notools],
            1,
            "Tools are required\n".into(),
        ),
        (
            vec!["--agent-file", &badtool],
            1,
            "Invalid tools: ['my.tools:Nope']\n".into(),
        ),
        (
            vec!["--agent-file", &missing_arg],
            1,
            format!(
                "The system prompt {} uses an argument that has no value: 'NOBODY' is undefined\n",
                specs.join("missing_arg.md").display()
            ),
        ),
        (
            vec!["--agent-file", &syntax],
            1,
            format!(
                "The system prompt {} is not a valid template: ",
                specs.join("syntax.md").display()
            ),
        ),
        (
            vec!["--agent-file", &gone],
            2,
            "Usage: kagent [OPTIONS]".into(),
        ),
        // the same with a profile (its default agent extended)
        (
            vec!["--profile", &profile_arg, "--agent-file", &badtool],
            1,
            "Invalid tools: ['my.tools:Nope']\n".into(),
        ),
    ];
    for (args, code, want) in cases {
        let (status, stderr) = env.spawn(&args).close();
        assert_eq!(status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.starts_with(&want), "{args:?}: {stderr}");
    }
    let (_, stderr) = env.spawn(&["--agent-file", &gone]).close();
    assert!(
        stderr.contains(&format!(
            "Invalid value for '--agent-file': File '{gone}' does not exist."
        )),
        "{stderr}"
    );
    // no bad start left a session behind
    let sessions = env.share.join("sessions");
    let left = std::fs::read_dir(&sessions)
        .map(|d| {
            d.flat_map(|w| std::fs::read_dir(w.unwrap().path()).unwrap())
                .count()
        })
        .unwrap_or(0);
    assert_eq!(left, 0);
}

#[test]
fn ralph_loop_runs_until_stop_or_the_iteration_limit() {
    let env = Env::new(&[
        "text: worked",
        "text: not yet <choice>CONTINUE</choice>",
        "text: all done <choice>STOP</choice>",
    ]);
    let mut k = env.spawn(&["--max-ralph-iterations", "5"]);
    k.initialize();
    k.request("p", "prompt", json!({"user_input": "fix it"}));
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "finished", "{resp}");
    let begins: Vec<Value> = events(&msgs)
        .into_iter()
        .filter(|(t, _)| t == "TurnBegin")
        .map(|(_, p)| p["user_input"].clone())
        .collect();
    let decision = "fix it. (This prompt is repeated to you in a loop. Answer STOP only once the task \
                    is completely done; that ends the loop. When in any doubt, answer CONTINUE.)\n\n\
                    Choose one of these branches:\n- CONTINUE\n- STOP\n\nAnswer with your choice inside <choice>...</choice>.";
    assert_eq!(
        begins,
        [
            json!("fix it"),
            json!([{"type": "text", "text": "fix it"}]),
            json!(decision),
            json!(decision),
        ]
    );
    k.close();

    // `[loop_control] max_ralph_iterations = 1`: one decision, then a CONTINUE runs out
    let env = Env::new(&[
        "text: worked",
        "text: <choice>CONTINUE</choice>",
        "text: never",
    ]);
    let cfg = std::fs::read_to_string(&env.cfg).unwrap();
    std::fs::write(
        &env.cfg,
        format!("{cfg}[loop_control]\nmax_ralph_iterations = 1\n"),
    )
    .unwrap();
    let mut k = env.spawn(&[]);
    k.initialize();
    k.request("p", "prompt", json!({"user_input": "fix it"}));
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "max_steps_reached", "{resp}");
    let turns = events(&msgs)
        .iter()
        .filter(|(t, _)| t == "TurnBegin")
        .count();
    assert_eq!(turns, 3);
    k.close();

    // out of range, as kimi-cli's `min=-1`
    let (status, _) = env.spawn(&["--max-ralph-iterations", "-2"]).close();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn send_dmail_reverts_the_context_to_a_checkpoint() {
    let env = Env::new(&[
        r#"tool_call: {"id": "c1", "name": "SendDMail", "arguments": "{\"message\": \" found it \", \"checkpoint_id\": 0}"}"#,
        r#"tool_call: {"id": "c2", "name": "SendDMail", "arguments": "{\"message\": \"x\", \"checkpoint_id\": 9}"}"#,
        "text: done",
    ]);
    let spec = env.root.join("dmail.yaml");
    std::fs::write(
        &spec,
        "agent:\n  extend: default\n  tools: [\"kimi_cli.tools.dmail:SendDMail\", \"kimi_cli.tools.file:Glob\"]\n",
    )
    .unwrap();
    let spec_arg = spec.display().to_string();
    let mut k = env.spawn(&["--agent-file", &spec_arg]);
    k.initialize();
    k.request("p", "prompt", json!({"user_input": "go"}));
    let (msgs, resp) = k.response("p");
    assert_eq!(resp["result"]["status"], "finished", "{resp}");
    let results: Vec<Value> = events(&msgs)
        .into_iter()
        .filter(|(t, _)| t == "ToolResult")
        .map(|(_, p)| p["return_value"]["message"].clone())
        .collect();
    assert_eq!(
        results,
        [
            json!("This result means the D-Mail did not go back in time, for instance because another tool call in the same step was rejected."),
            json!("The D-Mail could not be sent: No checkpoint has that checkpoint_id"),
        ]
    );
    k.close();
    let dir = env.session_dir();
    let context = read_lines(&dir.join("context.jsonl"));
    let roles: Vec<String> = context
        .iter()
        .map(|r| match r["role"].as_str().unwrap() {
            "_checkpoint" => format!("_checkpoint {}", r["id"]),
            "user" => format!(
                "user {}",
                r["content"]
                    .as_str()
                    .map_or_else(|| r["content"][0]["text"].to_string(), str::to_string)
            ),
            other => other.to_string(),
        })
        .filter(|r| !r.starts_with("_usage"))
        .collect();
    let injection = "<system>A message from your own future reached you: you already went further in this \
                     conversation and came back to this point. Some work in the working directory may \
                     already be done. Read the message below and decide how to go on; do not tell the user \
                     about it. The message:\n\nfound it</system>";
    assert_eq!(
        roles,
        [
            "_system_prompt".to_string(),
            "_checkpoint 0".into(),
            "user <system>CHECKPOINT 0</system>".into(),
            format!("user {injection}"),
            "_checkpoint 1".into(),
            "user <system>CHECKPOINT 1</system>".into(),
            "assistant".into(),
            "tool".into(),
            "_checkpoint 2".into(),
            "user <system>CHECKPOINT 2</system>".into(),
            "assistant".into(),
        ]
    );
    // the reverted-from file is kept, rotated
    let old = read_lines(&dir.join("context_1.jsonl"));
    assert!(old.iter().any(|r| r["content"] == "go"));
}

#[test]
fn a_profile_without_the_agent_tool_texts_is_refused_for_an_agent_with_agent() {
    let env = Env::new(&[]);
    let profile = write_profile(&env.root);
    let profile_arg = profile.display().to_string();
    let mut data: Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    data["texts"]
        .as_object_mut()
        .unwrap()
        .remove("agent.type_line");
    std::fs::write(&profile, data.to_string()).unwrap();
    let before = std::fs::read_to_string(&profile).unwrap();
    // the default agent lists kimi_cli.tools.agent:Agent
    let (status, stderr) = env.spawn(&["--profile", &profile_arg]).close();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "kimi-cli profile {profile_arg}: missing key \"texts\".\"agent.type_line\" (the agent uses Agent); \
             rewrite it with `kimi-kernel profile --refresh`\n"
        )),
        "{stderr}"
    );
    // nothing was lost: the profile is as it was
    assert_eq!(std::fs::read_to_string(&profile).unwrap(), before);
}

#[test]
fn the_profiles_agent_spec_checker_words_a_failed_spec_and_its_own_failures_leave_kagents_words() {
    let env = Env::new(&["text: done"]);
    let profile = write_profile(&env.root);
    // the checker does what the file `mode` says and leaves its arguments in `called`
    let checker = env.root.join("checker.sh");
    std::fs::write(
        &checker,
        format!(
            "#!/bin/sh\necho \"$@\" > {root}/called\ncase $(cat {root}/mode) in\n\
             word) printf 'KIMI-CLI SAYS: %s\\nsecond line\\n' \"$2\"; exit 0;;\n\
             loads) exit 3;;\n\
             *) echo 'checker broke' >&2; exit 1;;\nesac\n",
            root = env.root.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", &checker.display().to_string()])
        .status()
        .unwrap();
    let with_checker = |name: &str, argv: Value| {
        let mut p: Value =
            serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
        p["agent_spec_checker"] = argv;
        let path = env.root.join(name);
        std::fs::write(&path, p.to_string()).unwrap();
        path.display().to_string()
    };
    let bad = env.root.join("bad.yaml");
    std::fs::write(&bad, "version: 1\nagent: [unclosed\n").unwrap();
    let bad_arg = bad.display().to_string();
    // this profile's wording of a YAML error
    let own = "PROFILE MESSAGE agentspec.invalid_yaml\nSee logs: ";
    let run = |profile: &str, mode: &str, file: &str| {
        std::fs::write(env.root.join("mode"), mode).unwrap();
        let _ = std::fs::remove_file(env.root.join("called"));
        let (status, stderr) = env
            .spawn(&["--profile", profile, "--agent-file", file])
            .close();
        let called = std::fs::read_to_string(env.root.join("called")).ok();
        (status.code(), stderr, called)
    };

    let checked = with_checker("checked.json", json!([checker.display().to_string()]));
    let (code, stderr, called) = run(&checked, "word", &bad_arg);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "KIMI-CLI SAYS: {bad_arg}\nsecond line\nSee logs: "
        )),
        "{stderr}"
    );
    let called = called.expect("the checker ran");
    assert!(
        called.starts_with(&format!("--agent-file {bad_arg} --work-dir ")),
        "{called}"
    );
    // the log says whose words they are
    let log = std::fs::read_to_string(env.share.join("logs").join("kagent.log")).unwrap();
    assert!(log.contains("the error as kimi-cli words it"), "{log}");

    // kimi-cli loads it, the checker fails, or cannot start: kagent's own words, and why
    let missing = with_checker(
        "missing.json",
        json!([env.root.join("no-such-checker").display().to_string()]),
    );
    for (profile, mode, why) in [
        (&checked, "loads", "kimi-cli loads this spec"),
        (&checked, "break", "exit 1: checker broke"),
        (&missing, "word", "cannot start"),
    ] {
        let (code, stderr, _) = run(profile, mode, &bad_arg);
        assert_eq!(code, Some(1), "{mode}: {stderr}");
        assert!(!stderr.contains("KIMI-CLI SAYS"), "{mode}: {stderr}");
        assert!(stderr.starts_with(own), "{mode}: {stderr}");
        let log = std::fs::read_to_string(env.share.join("logs").join("kagent.log")).unwrap();
        assert!(log.contains(why), "{mode}: {log}");
    }

    // a spec that loads never runs the checker
    let good = env.root.join("good.yaml");
    std::fs::write(
        &good,
        "version: 1\nagent:\n  name: solo\n  system_prompt_path: ./solo.md\n  tools: [\"kimi_cli.tools.shell:Shell\"]\n",
    )
    .unwrap();
    std::fs::write(env.root.join("solo.md"), "Solo.").unwrap();
    std::fs::write(env.root.join("mode"), "word").unwrap();
    let _ = std::fs::remove_file(env.root.join("called"));
    let mut kagent = env.spawn(&[
        "--profile",
        &checked,
        "--agent-file",
        &good.display().to_string(),
    ]);
    kagent.initialize();
    let (status, _) = kagent.close();
    assert_eq!(status.code(), Some(0));
    assert!(!env.root.join("called").exists());
}
