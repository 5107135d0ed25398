//! Test harness: runs the real `kagent` binary with a scripted echo provider in a temp share.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub struct Env {
    pub root: PathBuf,
    pub share: PathBuf,
    pub work: PathBuf,
    pub cfg: PathBuf,
}

impl Env {
    pub fn new(scripts: &[&str]) -> Env {
        let root = std::env::temp_dir().join(format!("kagent-it-{}", uuid::Uuid::new_v4()));
        let share = root.join("share");
        let work = root.join("work");
        std::fs::create_dir_all(&work).unwrap();
        let env = Env {
            cfg: root.join("cfg.toml"),
            root,
            share,
            work,
        };
        env.set_scripts(scripts);
        let scripts_path = env.root.join("scripts.json");
        std::fs::write(
            &env.cfg,
            format!(
                "default_model=\"echo\"\n[models.echo]\nprovider=\"scripted\"\nmodel=\"echo\"\nmax_context_size=100000\n\
                 [providers.scripted]\ntype=\"_scripted_echo\"\nbase_url=\"\"\napi_key=\"\"\n\
                 [providers.scripted.env]\nKIMI_SCRIPTED_ECHO_SCRIPTS={}\n",
                Value::String(scripts_path.display().to_string())
            ),
        )
        .unwrap();
        env
    }

    /// Point the configuration at a chat-completions server at `base_url` (model `m`).
    pub fn use_model_server(&self, base_url: &str) {
        std::fs::write(
            &self.cfg,
            format!(
                "default_model=\"m\"\n[models.m]\nprovider=\"p\"\nmodel=\"m1\"\nmax_context_size=100000\n\
                 [providers.p]\ntype=\"openai_legacy\"\nbase_url=\"{base_url}\"\napi_key=\"k\"\n"
            ),
        )
        .unwrap();
    }

    pub fn set_scripts(&self, scripts: &[&str]) {
        std::fs::write(self.root.join("scripts.json"), json!(scripts).to_string()).unwrap();
    }

    pub fn spawn(&self, extra: &[&str]) -> Kagent {
        self.spawn_via(&[], extra)
    }

    /// [`Env::spawn`] through a launcher: `prefix` is a program and its arguments, which
    /// get kagent's path and arguments after them (e.g. `sh -c 'ulimit -f 100; exec "$0" "$@"'`).
    pub fn spawn_via(&self, prefix: &[&str], extra: &[&str]) -> Kagent {
        let mut command = match prefix.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(env!("CARGO_BIN_EXE_kagent"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_kagent")),
        };
        let mut child = command
            .args(["--wire", "--config-file"])
            .arg(&self.cfg)
            .arg("-w")
            .arg(&self.work)
            .args(extra)
            .env("KIMI_SHARE_DIR", &self.share)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kagent");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Kagent {
            stdin: child.stdin.take(),
            child,
            rx,
            seen: vec![],
        }
    }

    /// The only session directory.
    pub fn session_dir(&self) -> PathBuf {
        let sessions = self.share.join("sessions");
        let wd = std::fs::read_dir(&sessions)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(wd)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        dirs.pop().unwrap()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub struct Kagent {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    pub seen: Vec<Value>,
}

impl Kagent {
    pub fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    pub fn send(&mut self, v: Value) {
        self.send_raw(&v.to_string());
    }

    pub fn request(&mut self, id: &str, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    }

    /// Read messages until one satisfies `pred`; returns everything read (including it).
    pub fn until(&mut self, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut got = vec![];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("timed out; got so far: {got:#?}"));
            self.seen.push(v.clone());
            got.push(v.clone());
            if pred(&v) {
                return got;
            }
        }
    }

    /// Read until the response with `id`; returns (messages before it, the response).
    pub fn response(&mut self, id: &str) -> (Vec<Value>, Value) {
        let mut msgs = self.until(|v| v["id"] == id && v.get("method").is_none());
        let resp = msgs.pop().unwrap();
        (msgs, resp)
    }

    pub fn initialize(&mut self) -> Value {
        self.request("init", "initialize", json!({"protocol_version": "1.10"}));
        self.response("init").1
    }

    /// `initialize` as kimi-kernel sends it, asking for kagent's own identity (`kernel`).
    pub fn initialize_with_kernel_info(&mut self) -> Value {
        let params = json!({"protocol_version": "1.10", "kernel_info": true});
        self.request("init", "initialize", params);
        self.response("init").1
    }

    pub fn close(mut self) -> (std::process::ExitStatus, String) {
        drop(self.stdin.take());
        let out = self.child.wait_with_output().unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// `[(type, payload)]` of the event notifications in `msgs`.
pub fn events(msgs: &[Value]) -> Vec<(String, Value)> {
    msgs.iter()
        .filter(|m| m["method"] == "event")
        .map(|m| {
            (
                m["params"]["type"].as_str().unwrap().to_string(),
                m["params"]["payload"].clone(),
            )
        })
        .collect()
}

pub fn types(msgs: &[Value]) -> Vec<String> {
    events(msgs).into_iter().map(|(t, _)| t).collect()
}

pub fn read_lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// kagent's own text `key` (a section of `builtin/messages.txt`, what kagent says without a
/// profile) with its placeholders filled.
pub fn message(key: &str, values: &[(&str, &str)]) -> String {
    let file = include_str!("../../src/config/builtin/messages.txt");
    let marker = format!("=== {key} ===\n");
    let start = file.find(&marker).expect("a message key") + marker.len();
    let rest = &file[start..];
    let mut text = rest[..rest.find("\n=== ").unwrap_or(rest.len())].to_string();
    for (k, v) in values {
        text = text.replace(k, v);
    }
    text
}

/// The JSON body of one HTTP request read from `stream` (a model server's; `None` when the
/// peer closed before a whole header).
pub fn read_json_request(stream: &std::net::TcpStream) -> Option<Value> {
    use std::io::Read;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        let line = line.trim_end().to_ascii_lowercase();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}
