//! Notifications of ended background tasks, kept as kimi-cli keeps them:
//! `<session>/notifications/<id>/event.json` (what happened) and `delivery.json` (per sink —
//! `llm`, `wire`, `shell` — whether it was delivered). One notification per task and terminal
//! reason (its `dedupe_key`), whichever kernel wrote it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::store::{now, TaskView};
use crate::session::atomic_json_write;

const EVENT_FILE: &str = "event.json";
const DELIVERY_FILE: &str = "delivery.json";
const SINKS: [&str; 3] = ["llm", "wire", "shell"];

/// `event.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    #[serde(default = "one")]
    pub version: i64,
    pub id: String,
    pub category: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub source_kind: String,
    pub source_id: String,
    pub title: String,
    pub body: String,
    #[serde(default = "info")]
    pub severity: String,
    #[serde(default)]
    pub created_at: f64,
    #[serde(default)]
    pub payload: Map<String, Value>,
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub dedupe_key: Option<String>,
}

fn one() -> i64 {
    1
}

fn info() -> String {
    "info".into()
}

impl Notification {
    /// The payload of the `Notification` wire event.
    pub fn wire_payload(&self) -> Value {
        json!({
            "id": self.id,
            "category": self.category,
            "type": self.kind,
            "source_kind": self.source_kind,
            "source_id": self.source_id,
            "title": self.title,
            "body": self.body,
            "severity": self.severity,
            "created_at": self.created_at,
            "payload": self.payload,
        })
    }
}

/// The session's `notifications` directory.
#[derive(Debug, Clone)]
pub struct NotificationStore {
    root: PathBuf,
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn write_json(value: &Value, path: &Path) {
    if let Err(e) = atomic_json_write(value, path) {
        kagent_base::logging::error(&format!("writing {} failed: {e}", path.display()));
    }
}

impl NotificationStore {
    pub fn new(root: PathBuf) -> NotificationStore {
        NotificationStore { root }
    }

    /// Every notification with its delivery state, newest first.
    fn list(&self) -> Vec<(Notification, Value)> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return vec![];
        };
        let mut dirs: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        dirs.sort();
        let mut out: Vec<(Notification, Value)> = dirs
            .iter()
            .filter_map(|d| {
                let event: Notification =
                    serde_json::from_value(read_json(&d.join(EVENT_FILE))?).ok()?;
                let delivery =
                    read_json(&d.join(DELIVERY_FILE)).unwrap_or_else(|| json!({"sinks": {}}));
                Some((event, delivery))
            })
            .collect();
        out.sort_by(|a, b| b.0.created_at.total_cmp(&a.0.created_at));
        out
    }

    fn create(&self, event: &Notification) {
        let dir = self.root.join(&event.id);
        let sinks: Map<String, Value> = event
            .targets
            .iter()
            .map(|s| {
                (
                    s.clone(),
                    json!({"status": "pending", "claimed_at": null, "acked_at": null}),
                )
            })
            .collect();
        write_json(
            &serde_json::to_value(event).unwrap_or(Value::Null),
            &dir.join(EVENT_FILE),
        );
        write_json(&json!({"sinks": sinks}), &dir.join(DELIVERY_FILE));
    }

    /// The notification of an ended task, unless it has one already (kimi-cli's
    /// `publish_terminal_notifications`, for one task).
    pub fn publish_task(&self, view: &TaskView) {
        let status = view.runtime.status.as_str();
        let reason = view.terminal_reason().to_string();
        let dedupe_key = format!("background_task:{}:{reason}", view.spec.id);
        if self
            .list()
            .iter()
            .any(|(n, _)| n.dedupe_key.as_deref() == Some(dedupe_key.as_str()))
        {
            return;
        }
        let d = &view.spec.description;
        let (severity, key) = match reason.as_str() {
            "completed" => ("success", "task.notify.completed"),
            "timed_out" => ("error", "task.notify.timed_out"),
            "failed" => ("error", "task.notify.failed"),
            "killed" => ("warning", "task.notify.stopped"),
            "lost" => ("warning", "task.notify.lost"),
            _ => ("info", "task.notify.updated"),
        };
        let title = crate::tools::util::msg(key, &[("{description}", d)]);
        let (finished, started) = (view.runtime.finished_at, view.runtime.started_at);
        let duration = match (finished, started) {
            (Some(f), Some(s)) => Some((f - s).max(0.0)),
            _ => None,
        };
        let mut details = vec![];
        if let Some(f) = finished {
            let label = if reason == "completed" {
                "Completed at"
            } else {
                "Finished at"
            };
            let (y, mo, da, h, mi, s) = kagent_base::time::utc_civil(f.floor() as i64);
            details.push(format!(
                "{label}: {y:04}-{mo:02}-{da:02} {h:02}:{mi:02}:{s:02}"
            ));
        }
        if let Some(secs) = duration {
            details.push(format!("Duration: {}", format_elapsed(secs)));
        }
        let mut status_line = format!("Status: {status}");
        if !details.is_empty() {
            status_line = format!("{status_line} ({})", details.join(", "));
        }
        let mut body = vec![format!("Task ID: {}", view.spec.id), status_line];
        body.push(format!("Description: {d}"));
        if reason != status {
            body.push(format!("Terminal reason: {reason}"));
        }
        if let Some(c) = view.runtime.exit_code {
            body.push(format!("Exit code: {c}"));
        }
        if let Some(r) = view
            .runtime
            .failure_reason
            .as_deref()
            .filter(|r| !r.is_empty())
        {
            body.push(format!("Failure reason: {r}"));
        }
        let payload = json!({
            "task_id": view.spec.id,
            "task_kind": view.spec.kind,
            "status": status,
            "description": d,
            "exit_code": view.runtime.exit_code,
            "interrupted": view.runtime.interrupted,
            "timed_out": view.runtime.timed_out,
            "terminal_reason": reason,
            "failure_reason": view.runtime.failure_reason,
            "finished_at": finished,
            "duration_s": duration,
        });
        let event = Notification {
            version: 1,
            id: format!("n{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            category: "task".into(),
            kind: format!("task.{reason}"),
            source_kind: "background_task".into(),
            source_id: view.spec.id.clone(),
            title,
            body: body.join("\n"),
            severity: severity.into(),
            created_at: now(),
            payload: payload.as_object().cloned().unwrap_or_default(),
            targets: SINKS.iter().map(|s| s.to_string()).collect(),
            dedupe_key: Some(dedupe_key),
        };
        self.create(&event);
    }

    /// Up to `limit` notifications not yet delivered to `sink`, oldest first, marked
    /// delivered (kimi-cli's claim and ack).
    pub fn deliver(&self, sink: &str, limit: usize) -> Vec<Notification> {
        let mut out = vec![];
        for (event, mut delivery) in self.list().into_iter().rev() {
            let Some(state) = delivery
                .get_mut("sinks")
                .and_then(|s| s.get_mut(sink))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            if state.get("status").and_then(Value::as_str) != Some("pending") {
                continue;
            }
            state.insert("status".into(), json!("acked"));
            state.insert("claimed_at".into(), Value::Null);
            state.insert("acked_at".into(), json!(now()));
            write_json(&delivery, &self.root.join(&event.id).join(DELIVERY_FILE));
            out.push(event);
            if out.len() >= limit {
                break;
            }
        }
        out
    }
}

/// kimi-cli's `format_elapsed`.
pub fn format_elapsed(seconds: f64) -> String {
    if seconds < 1.0 {
        return "<1s".into();
    }
    let total = seconds as i64;
    if total < 60 {
        return format!("{total}s");
    }
    let (hours, rest) = (total / 3600, total % 3600);
    let (minutes, secs) = (rest / 60, rest % 60);
    let mut parts = vec![];
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    parts.push(format!("{minutes}m"));
    parts.push(format!("{secs}s"));
    parts.join(" ")
}

/// The user message of a notification (kimi-cli's `build_notification_message`): the event,
/// and for a task its state and the tail of its output.
pub fn llm_text(n: &Notification, task: Option<&TaskView>, tail: &str) -> String {
    let mut lines = vec![
        format!(
            "<notification id=\"{}\" category=\"{}\" type=\"{}\" source_kind=\"{}\" source_id=\"{}\">",
            n.id, n.category, n.kind, n.source_kind, n.source_id
        ),
        format!("Title: {}", n.title),
        format!("Severity: {}", n.severity),
        n.body.clone(),
    ];
    if let Some(v) = task {
        lines.push("<task-notification>".into());
        lines.push(format!("Task ID: {}", v.spec.id));
        lines.push(format!("Task Type: {}", v.spec.kind));
        lines.push(format!("Description: {}", v.spec.description));
        lines.push(format!("Status: {}", v.runtime.status));
        if let Some(c) = v.runtime.exit_code {
            lines.push(format!("Exit code: {c}"));
        }
        if let Some(r) = v
            .runtime
            .failure_reason
            .as_deref()
            .filter(|r| !r.is_empty())
        {
            lines.push(format!("Failure reason: {r}"));
        }
        if !tail.is_empty() {
            lines.push("Output tail:".into());
            lines.push(tail.into());
        }
        lines.push("</task-notification>".into());
    }
    lines.push("</notification>".into());
    lines.join("\n")
}
