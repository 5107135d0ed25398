//! The conversation context, backed by `context.jsonl`.
//!
//! Records (one per line, appended and flushed one at a time):
//! `{"role": "_system_prompt", "content": ...}`, `{"role": "_checkpoint", "id": N}`,
//! `{"role": "_usage", "token_count": N}` and messages (`{"role":"user","content":...}`).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::session::{append_line, SessionError};
use kagent_base::message::Message;
use kagent_base::py::json as pyjson;

#[derive(Debug)]
pub struct Context {
    file: PathBuf,
    history: Vec<Message>,
    token_count: i64,
    pending_estimate: i64,
    next_checkpoint_id: i64,
    system_prompt: Option<String>,
}

/// Rough token estimate (about 4 characters per token), used between usage reports.
pub fn estimate_tokens(messages: &[Message]) -> i64 {
    let chars: usize = messages
        .iter()
        .map(|m| {
            m.extract_text("").chars().count()
                + m.tool_calls
                    .iter()
                    .flatten()
                    .map(|c| c.name.len() + c.arguments.as_deref().map_or(0, str::len))
                    .sum::<usize>()
        })
        .sum();
    (chars / 4) as i64
}

impl Context {
    pub fn new(file: &Path) -> Context {
        Context {
            file: file.to_path_buf(),
            history: vec![],
            token_count: 0,
            pending_estimate: 0,
            next_checkpoint_id: 0,
            system_prompt: None,
        }
    }

    /// Load records from the file. Unparsable lines (e.g. a record cut by a kill) are skipped.
    pub fn restore(&mut self) -> bool {
        let Ok(text) = std::fs::read_to_string(&self.file) else {
            return false;
        };
        if text.is_empty() {
            return false;
        }
        let mut after_usage: Vec<Message> = vec![];
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                kagent_base::logging::warn(&format!(
                    "skipping unparsable line {} of {}",
                    i + 1,
                    self.file.display()
                ));
                continue;
            };
            match v.get("role").and_then(Value::as_str) {
                Some("_system_prompt") => {
                    self.system_prompt = v.get("content").and_then(Value::as_str).map(str::to_owned)
                }
                Some("_checkpoint") => {
                    let id = v.get("id").and_then(Value::as_i64).unwrap_or(0);
                    self.next_checkpoint_id = id + 1;
                }
                Some("_usage") => {
                    self.token_count = v.get("token_count").and_then(Value::as_i64).unwrap_or(0);
                    after_usage.clear();
                }
                Some(r) if r.starts_with('_') => {}
                _ => match Message::from_json(&v) {
                    Ok(m) => {
                        after_usage.push(m.clone());
                        self.history.push(m);
                    }
                    Err(e) => kagent_base::logging::warn(&format!(
                        "skipping invalid message at line {} of {}: {e}",
                        i + 1,
                        self.file.display()
                    )),
                },
            }
        }
        self.pending_estimate = estimate_tokens(&after_usage);
        true
    }

    pub fn history(&self) -> &[Message] {
        &self.history
    }
    pub fn token_count(&self) -> i64 {
        self.token_count
    }
    pub fn token_count_with_pending(&self) -> i64 {
        self.token_count + self.pending_estimate
    }
    pub fn system_prompt(&self) -> Option<&str> {
        self.system_prompt.as_deref()
    }

    /// Write the system prompt record (only when the file has none yet).
    pub fn write_system_prompt(&mut self, prompt: &str) -> Result<(), SessionError> {
        let line = pyjson::dumps(&json!({"role": "_system_prompt", "content": prompt}));
        let existing = std::fs::read_to_string(&self.file).unwrap_or_default();
        if existing.is_empty() {
            append_line(&self.file, &line)?;
        } else {
            let tmp = self.file.with_extension("tmp");
            std::fs::write(&tmp, format!("{line}\n{existing}")).map_err(|source| {
                SessionError::Io {
                    path: tmp.display().to_string(),
                    source,
                }
            })?;
            std::fs::rename(&tmp, &self.file).map_err(|source| SessionError::Io {
                path: self.file.display().to_string(),
                source,
            })?;
        }
        self.system_prompt = Some(prompt.to_string());
        Ok(())
    }

    /// Record a checkpoint; returns its id.
    pub fn checkpoint(&mut self) -> Result<i64, SessionError> {
        let id = self.next_checkpoint_id;
        self.next_checkpoint_id += 1;
        append_line(
            &self.file,
            &pyjson::dumps(&json!({"role": "_checkpoint", "id": id})),
        )?;
        Ok(id)
    }

    /// How many checkpoints the context has.
    pub fn n_checkpoints(&self) -> i64 {
        self.next_checkpoint_id
    }

    /// Go back to checkpoint `id`: the file is rotated away and rewritten up to (not
    /// including) that checkpoint's record, the state rebuilt from it (kimi-cli's `revert_to`).
    pub fn revert_to(&mut self, id: i64) -> Result<(), SessionError> {
        if id >= self.next_checkpoint_id {
            return Err(SessionError::Io {
                path: self.file.display().to_string(),
                source: std::io::Error::other(format!("Checkpoint {id} does not exist")),
            });
        }
        let rotated = self.rotate()?;
        let old = std::fs::read_to_string(&rotated).unwrap_or_default();
        let mut kept = String::new();
        for line in old.lines() {
            if line.trim().is_empty() {
                continue;
            }
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if v.get("role").and_then(Value::as_str) == Some("_checkpoint")
                    && v.get("id").and_then(Value::as_i64) == Some(id)
                {
                    break;
                }
            }
            kept.push_str(line);
            kept.push('\n');
        }
        std::fs::write(&self.file, kept).map_err(|source| SessionError::Io {
            path: self.file.display().to_string(),
            source,
        })?;
        self.history.clear();
        self.token_count = 0;
        self.pending_estimate = 0;
        self.next_checkpoint_id = 0;
        self.system_prompt = None;
        self.restore();
        Ok(())
    }

    /// Move the file to the next free `<stem>_<n>.jsonl` (kimi-cli's rotation).
    fn rotate(&self) -> Result<PathBuf, SessionError> {
        let mut n = 1;
        let rotated = loop {
            let candidate = self.file.with_file_name(format!(
                "{}_{n}.jsonl",
                self.file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("context")
            ));
            if !candidate.exists() {
                break candidate;
            }
            n += 1;
        };
        std::fs::rename(&self.file, &rotated).map_err(|source| SessionError::Io {
            path: self.file.display().to_string(),
            source,
        })?;
        Ok(rotated)
    }

    pub fn append(&mut self, messages: &[Message]) -> Result<(), SessionError> {
        self.history.extend_from_slice(messages);
        self.pending_estimate += estimate_tokens(messages);
        for m in messages {
            append_line(&self.file, &pyjson::compact(&m.to_json()))?;
        }
        Ok(())
    }

    pub fn update_token_count(&mut self, count: i64) -> Result<(), SessionError> {
        self.token_count = count;
        self.pending_estimate = 0;
        append_line(
            &self.file,
            &pyjson::dumps(&json!({"role": "_usage", "token_count": count})),
        )
    }

    /// `/clear`: rotate the file away and start empty (keeping the system prompt).
    pub fn clear(&mut self) -> Result<(), SessionError> {
        self.rotate()?;
        std::fs::File::create(&self.file).map_err(|source| SessionError::Io {
            path: self.file.display().to_string(),
            source,
        })?;
        self.history.clear();
        self.token_count = 0;
        self.pending_estimate = 0;
        self.next_checkpoint_id = 0;
        if let Some(p) = self.system_prompt.take() {
            self.write_system_prompt(&p)?;
        }
        Ok(())
    }
}
