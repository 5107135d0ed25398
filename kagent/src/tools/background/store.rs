//! The files of a background task, as kimi-cli keeps them (so a session continues on either
//! kernel): `<session>/tasks/<task id>/` holds `spec.json` (what runs), `runtime.json` (its
//! state), `control.json` (a stop request), `consumer.json` (what `TaskOutput` last showed)
//! and `output.log` (stdout and stderr of the command, appended as they come). Field names
//! and order are kimi-cli's; a missing or unreadable state file reads as its defaults.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::session::atomic_json_write;

pub const SPEC_FILE: &str = "spec.json";
pub const RUNTIME_FILE: &str = "runtime.json";
pub const CONTROL_FILE: &str = "control.json";
pub const CONSUMER_FILE: &str = "consumer.json";
pub const OUTPUT_FILE: &str = "output.log";

/// States after which a task never changes again.
pub const TERMINAL: &[&str] = &["completed", "failed", "killed", "lost"];

pub fn is_terminal(status: &str) -> bool {
    TERMINAL.contains(&status)
}

/// `spec.json`: what the task runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskSpec {
    #[serde(default = "one")]
    pub version: i64,
    pub id: String,
    pub kind: String,
    pub session_id: String,
    pub description: String,
    pub tool_call_id: String,
    #[serde(default = "root")]
    pub owner_role: String,
    #[serde(default)]
    pub created_at: f64,
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub shell_name: Option<String>,
    #[serde(default)]
    pub shell_path: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub timeout_s: Option<i64>,
    #[serde(default)]
    pub kind_payload: Option<Value>,
}

fn one() -> i64 {
    1
}

fn root() -> String {
    "root".into()
}

fn created() -> String {
    "created".into()
}

/// `runtime.json`: where the task is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRuntime {
    #[serde(default = "created")]
    pub status: String,
    #[serde(default)]
    pub worker_pid: Option<i64>,
    #[serde(default)]
    pub child_pid: Option<i64>,
    #[serde(default)]
    pub child_pgid: Option<i64>,
    #[serde(default)]
    pub started_at: Option<f64>,
    #[serde(default)]
    pub heartbeat_at: Option<f64>,
    #[serde(default)]
    pub updated_at: f64,
    #[serde(default)]
    pub finished_at: Option<f64>,
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub interrupted: bool,
    #[serde(default)]
    pub timed_out: bool,
    #[serde(default)]
    pub failure_reason: Option<String>,
}

impl TaskRuntime {
    pub fn new(now: f64) -> TaskRuntime {
        TaskRuntime {
            status: created(),
            worker_pid: None,
            child_pid: None,
            child_pgid: None,
            started_at: None,
            heartbeat_at: None,
            updated_at: now,
            finished_at: None,
            exit_code: None,
            interrupted: false,
            timed_out: false,
            failure_reason: None,
        }
    }
}

/// `control.json`: a stop request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TaskControl {
    #[serde(default)]
    pub kill_requested_at: Option<f64>,
    #[serde(default)]
    pub kill_reason: Option<String>,
    #[serde(default)]
    pub force: bool,
}

/// `consumer.json`: what `TaskOutput` showed last.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TaskConsumer {
    #[serde(default)]
    pub last_seen_output_size: u64,
    #[serde(default)]
    pub last_viewed_at: Option<f64>,
}

/// All four files of one task.
#[derive(Debug, Clone)]
pub struct TaskView {
    pub spec: TaskSpec,
    pub runtime: TaskRuntime,
    pub control: TaskControl,
    pub consumer: TaskConsumer,
}

impl TaskView {
    /// `timed_out` when the timeout ended it, else the status.
    pub fn terminal_reason(&self) -> &str {
        if self.runtime.timed_out {
            "timed_out"
        } else {
            &self.runtime.status
        }
    }
}

/// kimi-cli's task ids: a kind prefix, `-`, 8 of `[0-9a-z]`; anything else names no task.
pub fn valid_task_id(id: &str) -> bool {
    let b = id.as_bytes();
    (2..=25).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// The `tasks` directory of a session.
#[derive(Debug, Clone)]
pub struct TaskStore {
    root: PathBuf,
}

fn write<T: Serialize>(value: &T, path: &Path) {
    let v = serde_json::to_value(value).unwrap_or(Value::Null);
    if let Err(e) = atomic_json_write(&v, path) {
        kagent_base::logging::error(&format!("writing {} failed: {e}", path.display()));
    }
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            kagent_base::logging::warn(&format!(
                "Failed to read {}; using defaults: {e}",
                path.display()
            ));
            None
        }
    }
}

impl TaskStore {
    pub fn new(root: PathBuf) -> TaskStore {
        TaskStore { root }
    }

    pub fn dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    pub fn output_path(&self, id: &str) -> PathBuf {
        self.dir(id).join(OUTPUT_FILE)
    }

    /// The files of a new task (state `created`, no output yet).
    pub fn create(&self, spec: &TaskSpec) -> std::io::Result<()> {
        let dir = self.dir(&spec.id);
        std::fs::create_dir_all(&dir)?;
        write(spec, &dir.join(SPEC_FILE));
        write(&TaskRuntime::new(now()), &dir.join(RUNTIME_FILE));
        write(&TaskControl::default(), &dir.join(CONTROL_FILE));
        write(&TaskConsumer::default(), &dir.join(CONSUMER_FILE));
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(OUTPUT_FILE))?;
        Ok(())
    }

    pub fn read_runtime(&self, id: &str) -> TaskRuntime {
        let path = self.dir(id).join(RUNTIME_FILE);
        if !path.exists() {
            return TaskRuntime::new(now());
        }
        read(&path).unwrap_or_else(|| TaskRuntime::new(0.0))
    }

    pub fn write_runtime(&self, id: &str, runtime: &TaskRuntime) {
        write(runtime, &self.dir(id).join(RUNTIME_FILE));
    }

    pub fn read_control(&self, id: &str) -> TaskControl {
        read(&self.dir(id).join(CONTROL_FILE)).unwrap_or_default()
    }

    pub fn write_control(&self, id: &str, control: &TaskControl) {
        write(control, &self.dir(id).join(CONTROL_FILE));
    }

    pub fn write_consumer(&self, id: &str, consumer: &TaskConsumer) {
        write(consumer, &self.dir(id).join(CONSUMER_FILE));
    }

    /// The task's files, if `id` names a task of this session.
    pub fn view(&self, id: &str) -> Option<TaskView> {
        if !valid_task_id(id) {
            return None;
        }
        let dir = self.dir(id);
        let spec: TaskSpec = read(&dir.join(SPEC_FILE))?;
        Some(TaskView {
            spec,
            runtime: self.read_runtime(id),
            control: self.read_control(id),
            consumer: read(&dir.join(CONSUMER_FILE)).unwrap_or_default(),
        })
    }

    /// Every task, most recently updated first (kimi-cli's order).
    pub fn list(&self) -> Vec<TaskView> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return vec![];
        };
        let mut ids: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().join(SPEC_FILE).is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        ids.sort();
        let mut views: Vec<TaskView> = ids.iter().filter_map(|id| self.view(id)).collect();
        views.sort_by(|a, b| {
            let ka = if a.runtime.updated_at != 0.0 {
                a.runtime.updated_at
            } else {
                a.spec.created_at
            };
            let kb = if b.runtime.updated_at != 0.0 {
                b.runtime.updated_at
            } else {
                b.spec.created_at
            };
            kb.total_cmp(&ka)
        });
        views
    }

    /// The last `max_bytes` of the output, at most `max_lines` lines (notifications).
    pub fn tail(&self, id: &str, max_bytes: u64, max_lines: usize) -> String {
        let Ok(bytes) = std::fs::read(self.output_path(id)) else {
            return String::new();
        };
        let start = bytes.len().saturating_sub(max_bytes as usize);
        let text = String::from_utf8_lossy(&bytes[start..]).into_owned();
        let lines = kagent_base::py::strings::splitlines(&text);
        let from = lines.len().saturating_sub(max_lines);
        lines[from..].join("\n")
    }
}

/// Python's `time.time()`.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
