//! The session's subagent instances, stored as kimi-cli 1.51 stores them (its
//! `SubagentStore`): `<session>/subagents/<agent_id>/` holds `meta.json` (the instance record,
//! written atomically with `indent=2`), `context.jsonl` and `wire.jsonl` (the instance's own
//! context and wire, same formats as the session's), `prompt.txt` (the last prompt sent) and
//! `output` (a human-readable transcript). Same files and fields, so a session continues on
//! either kernel with its subagents intact.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{atomic_json_write, SessionError};

/// The statuses kimi-cli accepts in `meta.json`.
pub const STATUSES: &[&str] = &[
    "idle",
    "running_foreground",
    "running_background",
    "completed",
    "failed",
    "killed",
];

/// How an instance was launched (kimi-cli's `AgentLaunchSpec`).
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchSpec {
    pub agent_id: String,
    pub subagent_type: String,
    pub model_override: Option<String>,
    pub effective_model: Option<String>,
    pub created_at: f64,
}

/// One instance's `meta.json` (kimi-cli's `AgentInstanceRecord`).
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRecord {
    pub agent_id: String,
    pub subagent_type: String,
    pub status: String,
    pub description: String,
    pub created_at: f64,
    pub updated_at: f64,
    pub last_task_id: Option<String>,
    pub launch_spec: LaunchSpec,
}

impl InstanceRecord {
    /// The `meta.json` object, keys in kimi-cli's order (`dataclasses.asdict`).
    pub fn to_json(&self) -> Value {
        let l = &self.launch_spec;
        json!({
            "agent_id": self.agent_id,
            "subagent_type": self.subagent_type,
            "status": self.status,
            "description": self.description,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "last_task_id": self.last_task_id,
            "launch_spec": {
                "agent_id": l.agent_id,
                "subagent_type": l.subagent_type,
                "model_override": l.model_override,
                "effective_model": l.effective_model,
                "created_at": l.created_at,
            },
        })
    }

    /// Read a `meta.json` object; `None` for what kimi-cli skips as invalid metadata.
    pub fn from_json(v: &Value) -> Option<InstanceRecord> {
        let s = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        let opt = |o: &Value, k: &str| -> Option<Option<String>> {
            match o.get(k) {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(x)) => Some(Some(x.clone())),
                Some(_) => None,
            }
        };
        let f = |o: &Value, k: &str| o.get(k).and_then(Value::as_f64);
        let l = v.get("launch_spec")?;
        let status = s(v, "status")?;
        if !STATUSES.contains(&status.as_str()) {
            return None;
        }
        Some(InstanceRecord {
            agent_id: s(v, "agent_id")?,
            subagent_type: s(v, "subagent_type")?,
            status,
            description: s(v, "description")?,
            created_at: f(v, "created_at")?,
            updated_at: f(v, "updated_at")?,
            last_task_id: opt(v, "last_task_id")?,
            launch_spec: LaunchSpec {
                agent_id: s(l, "agent_id")?,
                subagent_type: s(l, "subagent_type")?,
                // required keys in kimi-cli's payload model (null allowed)
                model_override: l.get("model_override").and(opt(l, "model_override"))?,
                effective_model: l.get("effective_model").and(opt(l, "effective_model"))?,
                created_at: f(l, "created_at")?,
            },
        })
    }
}

/// Seconds since the epoch (kimi-cli's `time.time()`).
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The store under one session directory.
#[derive(Debug, Clone)]
pub struct SubagentStore {
    root: PathBuf,
}

impl SubagentStore {
    pub fn new(session_dir: &Path) -> SubagentStore {
        SubagentStore {
            root: session_dir.join("subagents"),
        }
    }

    pub fn instance_dir(&self, agent_id: &str) -> PathBuf {
        self.root.join(agent_id)
    }

    pub fn context_path(&self, agent_id: &str) -> PathBuf {
        self.instance_dir(agent_id).join("context.jsonl")
    }

    pub fn wire_path(&self, agent_id: &str) -> PathBuf {
        self.instance_dir(agent_id).join("wire.jsonl")
    }

    pub fn prompt_path(&self, agent_id: &str) -> PathBuf {
        self.instance_dir(agent_id).join("prompt.txt")
    }

    pub fn output_path(&self, agent_id: &str) -> PathBuf {
        self.instance_dir(agent_id).join("output")
    }

    fn meta_path(&self, agent_id: &str) -> PathBuf {
        self.instance_dir(agent_id).join("meta.json")
    }

    /// kimi-cli's start-up cleanup (`_cleanup_stale_foreground_subagents`): an instance left
    /// `running_foreground` ran in a process that is gone, so it becomes `failed` (it could
    /// not be resumed otherwise). Returns the ids.
    pub fn fail_stale_foreground(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return vec![];
        };
        let mut ids: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|id| {
                self.get_instance(id)
                    .is_some_and(|r| r.status == "running_foreground")
            })
            .collect();
        ids.sort();
        for id in &ids {
            kagent_base::logging::info(&format!(
                "marking the stale foreground subagent instance {id} failed"
            ));
            if let Err(e) = self.update_instance(id, "failed", None) {
                kagent_base::logging::error(&format!("cannot mark subagent {id} failed: {e}"));
            }
        }
        ids
    }

    /// Remove an instance and its files (a background launch that could not start).
    pub fn delete_instance(&self, agent_id: &str) {
        let _ = std::fs::remove_dir_all(self.instance_dir(agent_id));
    }

    /// A new idle instance with its (empty) files.
    pub fn create_instance(
        &self,
        description: &str,
        launch_spec: LaunchSpec,
    ) -> Result<InstanceRecord, SessionError> {
        let id = launch_spec.agent_id.clone();
        let dir = self.instance_dir(&id);
        std::fs::create_dir_all(&dir).map_err(super::io_err(&dir))?;
        for name in ["context.jsonl", "wire.jsonl", "prompt.txt", "output"] {
            let path = dir.join(name);
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(super::io_err(&path))?;
        }
        let record = InstanceRecord {
            agent_id: id,
            subagent_type: launch_spec.subagent_type.clone(),
            status: "idle".into(),
            description: description.to_string(),
            created_at: launch_spec.created_at,
            updated_at: launch_spec.created_at,
            last_task_id: None,
            launch_spec,
        };
        self.write_instance(&record)?;
        Ok(record)
    }

    pub fn write_instance(&self, record: &InstanceRecord) -> Result<(), SessionError> {
        atomic_json_write(&record.to_json(), &self.meta_path(&record.agent_id))
    }

    /// The instance `agent_id`, if its `meta.json` exists and is valid.
    pub fn get_instance(&self, agent_id: &str) -> Option<InstanceRecord> {
        let text = std::fs::read_to_string(self.meta_path(agent_id)).ok()?;
        let value: Value = serde_json::from_str(&text).ok()?;
        let record = InstanceRecord::from_json(&value);
        if record.is_none() {
            kagent_base::logging::warn(&crate::config::profile::active().message_with(
                "subagent.bad_metadata.log",
                &[
                    ("{path}", &self.meta_path(agent_id).display().to_string()),
                    ("{error}", "not an instance record"),
                ],
            ));
        }
        record
    }

    /// Change an instance's status (and description), stamping `updated_at`.
    pub fn update_instance(
        &self,
        agent_id: &str,
        status: &str,
        description: Option<&str>,
    ) -> Result<(), SessionError> {
        let Some(mut record) = self.get_instance(agent_id) else {
            return Ok(());
        };
        record.status = status.to_string();
        if let Some(d) = description {
            record.description = d.to_string();
        }
        record.updated_at = now();
        self.write_instance(&record)
    }

    /// Append to the instance's `output` transcript.
    pub fn append_output(&self, agent_id: &str, text: &str) {
        use std::io::Write;
        let path = self.output_path(agent_id);
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            kagent_base::logging::error(&format!("cannot write {}: {e}", path.display()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_foreground_instances_fail_and_only_they() {
        let dir = std::env::temp_dir().join(format!("kagent-subagents-{}", uuid::Uuid::new_v4()));
        let store = SubagentStore::new(&dir);
        assert!(store.fail_stale_foreground().is_empty()); // no subagents dir yet
        for (id, status) in [
            ("afore", "running_foreground"),
            ("aback", "running_background"),
            ("aidle", "idle"),
        ] {
            let spec = LaunchSpec {
                agent_id: id.into(),
                subagent_type: "coder".into(),
                model_override: None,
                effective_model: None,
                created_at: 1.0,
            };
            store.create_instance(id, spec).unwrap();
            store.update_instance(id, status, None).unwrap();
        }
        assert_eq!(store.fail_stale_foreground(), ["afore"]);
        let status = |id: &str| store.get_instance(id).unwrap().status;
        assert_eq!(
            [status("afore"), status("aback"), status("aidle")],
            ["failed", "running_background", "idle"]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn records_round_trip_in_kimi_clis_key_order() {
        let dir = std::env::temp_dir().join(format!("kagent-subagents-{}", uuid::Uuid::new_v4()));
        let store = SubagentStore::new(&dir);
        let spec = LaunchSpec {
            agent_id: "a1234abcd".into(),
            subagent_type: "coder".into(),
            model_override: None,
            effective_model: None,
            created_at: 1.5,
        };
        let rec = store.create_instance("fix it", spec).unwrap();
        for f in ["context.jsonl", "wire.jsonl", "prompt.txt", "output"] {
            assert!(store.instance_dir("a1234abcd").join(f).is_file(), "{f}");
        }
        let text = std::fs::read_to_string(store.meta_path("a1234abcd")).unwrap();
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  \""))
            .map(|l| l.trim().split('"').nth(1).unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "agent_id",
                "subagent_type",
                "status",
                "description",
                "created_at",
                "updated_at",
                "last_task_id",
                "launch_spec"
            ]
        );
        assert_eq!(store.get_instance("a1234abcd"), Some(rec));
        store.update_instance("a1234abcd", "killed", None).unwrap();
        assert_eq!(store.get_instance("a1234abcd").unwrap().status, "killed");
        let mut bad = store.get_instance("a1234abcd").unwrap().to_json();
        bad["status"] = json!("sleeping");
        assert_eq!(InstanceRecord::from_json(&bad), None);
        assert_eq!(store.get_instance("nope"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
