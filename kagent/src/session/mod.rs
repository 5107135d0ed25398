//! Sessions on disk, laid out exactly as kimi-cli lays them out:
//!
//! ```text
//! <share>/kimi.json                                  work dirs + last session per work dir
//! <share>/sessions/<md5(work_dir)>/<session-id>/context.jsonl
//! <share>/sessions/<md5(work_dir)>/<session-id>/wire.jsonl
//! <share>/sessions/<md5(work_dir)>/<session-id>/state.json
//! ```
//!
//! JSON files are written atomically (tmp file + rename); JSONL files are appended one record
//! per write, so a killed process can only lose the record being written.

pub mod plan;
pub mod state;
pub mod subagents;
pub mod workspace;

pub use kagent_base::paths::canonical;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

pub use state::SessionState;

/// Session store failures.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("No previous session found for the working directory")]
    NoPrevious,
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SessionError + '_ {
    move |source| SessionError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Write JSON atomically with `indent=2, ensure_ascii=False` formatting.
pub fn atomic_json_write(value: &Value, path: &Path) -> Result<(), SessionError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        uuid::Uuid::new_v4().simple()
    ));
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(path)(e)
    })
}

/// Append one line (a complete record) to a JSONL file.
///
/// A record never glues onto a torn one (issue 19): when the file does not end with `\n` (a
/// full disk or file-size limit cut the last append short, here or in kimi-cli), the record
/// starts on a new line, leaving the torn line alone for the readers to skip. A failed write
/// is cut back to the length before it, so it leaves no torn line either where it can.
pub fn append_line(path: &Path, line: &str) -> Result<(), SessionError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .map_err(io_err(path))?;
    let len = f.metadata().map_err(io_err(path))?.len();
    let torn = len > 0 && {
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(len - 1))
            .and_then(|_| f.read_exact(&mut last))
            .map_err(io_err(path))?;
        last[0] != b'\n'
    };
    let mut buf = String::with_capacity(line.len() + 2);
    if torn {
        buf.push('\n');
    }
    buf.push_str(line);
    buf.push('\n');
    f.write_all(buf.as_bytes()).map_err(|e| {
        let _ = f.set_len(len);
        io_err(path)(e)
    })
}

/// `<share>/kimi.json`, kept as a JSON value so unknown fields survive a rewrite.
pub struct Metadata {
    path: PathBuf,
    data: Map<String, Value>,
}

impl Metadata {
    pub fn load(share: &Path) -> Metadata {
        let path = share.join("kimi.json");
        let data = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        Metadata { path, data }
    }

    fn work_dirs(&mut self) -> &mut Vec<Value> {
        let entry = self
            .data
            .entry("work_dirs")
            .or_insert_with(|| Value::Array(vec![]));
        if !entry.is_array() {
            *entry = Value::Array(vec![]);
        }
        match entry {
            Value::Array(a) => a,
            _ => unreachable!("normalized to an array above"),
        }
    }

    /// Ensure the work dir has an entry.
    pub fn ensure_work_dir(&mut self, work_dir: &str) {
        let dirs = self.work_dirs();
        let exists = dirs.iter().any(|d| {
            d.get("path").and_then(Value::as_str) == Some(work_dir)
                && d.get("kaos").and_then(Value::as_str).unwrap_or("local") == "local"
        });
        if !exists {
            dirs.push(json!({"path": work_dir, "kaos": "local", "last_session_id": null}));
        }
    }

    pub fn last_session_id(&mut self, work_dir: &str) -> Option<String> {
        self.work_dirs()
            .iter()
            .find(|d| {
                d.get("path").and_then(Value::as_str) == Some(work_dir)
                    && d.get("kaos").and_then(Value::as_str).unwrap_or("local") == "local"
            })
            .and_then(|d| d.get("last_session_id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    pub fn set_last_session_id(&mut self, work_dir: &str, id: Option<&str>) {
        self.ensure_work_dir(work_dir);
        for d in self.work_dirs().iter_mut() {
            if d.get("path").and_then(Value::as_str) == Some(work_dir) {
                if let Some(o) = d.as_object_mut() {
                    o.insert("last_session_id".into(), json!(id));
                }
            }
        }
    }

    pub fn save(&self) -> Result<(), SessionError> {
        atomic_json_write(&Value::Object(self.data.clone()), &self.path)
    }
}

/// The sessions directory of a work dir: `<share>/sessions/<md5(path)>`.
pub fn sessions_dir(share: &Path, work_dir: &str) -> PathBuf {
    share
        .join("sessions")
        .join(format!("{:x}", md5::compute(work_dir.as_bytes())))
}

/// An open session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    /// Canonical work dir as a string (the key in `kimi.json`).
    pub work_dir: String,
    pub dir: PathBuf,
    pub share: PathBuf,
    pub context_file: PathBuf,
    pub wire_file: PathBuf,
    /// Whether an existing session with history was opened.
    pub resumed: bool,
}

impl Session {
    fn at(share: &Path, work_dir: &str, id: &str) -> Session {
        let dir = sessions_dir(share, work_dir).join(id);
        Session {
            id: id.to_string(),
            work_dir: work_dir.to_string(),
            context_file: dir.join("context.jsonl"),
            wire_file: dir.join("wire.jsonl"),
            share: share.to_path_buf(),
            dir,
            resumed: false,
        }
    }

    /// Start a session (a fresh uuid4 unless `id` is given).
    pub fn create(
        share: &Path,
        work_dir: &Path,
        id: Option<&str>,
    ) -> Result<Session, SessionError> {
        let wd = canonical(work_dir).to_string_lossy().into_owned();
        let mut meta = Metadata::load(share);
        meta.ensure_work_dir(&wd);
        let id = id
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let s = Session::at(share, &wd, &id);
        std::fs::create_dir_all(&s.dir).map_err(io_err(&s.dir))?;
        if s.context_file.exists() {
            let _ = std::fs::remove_file(&s.context_file);
        }
        std::fs::File::create(&s.context_file).map_err(io_err(&s.context_file))?;
        meta.save()?;
        Ok(s)
    }

    /// Open an existing session of the work dir, `None` if it does not exist.
    pub fn find(share: &Path, work_dir: &Path, id: &str) -> Option<Session> {
        let wd = canonical(work_dir).to_string_lossy().into_owned();
        let mut meta = Metadata::load(share);
        // kimi-cli only knows sessions of work dirs listed in kimi.json.
        let known = {
            let dirs = meta.work_dirs();
            dirs.iter()
                .any(|d| d.get("path").and_then(Value::as_str) == Some(wd.as_str()))
        };
        if !known || id.is_empty() || id.contains(['/', '\\']) {
            return None;
        }
        let mut s = Session::at(share, &wd, id);
        let legacy = sessions_dir(share, &wd).join(format!("{id}.jsonl"));
        if legacy.exists() && !s.context_file.exists() {
            let _ = std::fs::create_dir_all(&s.dir);
            let _ = std::fs::rename(&legacy, &s.context_file);
        }
        if !s.dir.is_dir() || !s.context_file.exists() {
            return None;
        }
        s.resumed = !wire_is_empty(&s.wire_file);
        Some(s)
    }

    /// The last session of the work dir (`--continue`).
    pub fn continue_last(share: &Path, work_dir: &Path) -> Result<Session, SessionError> {
        let wd = canonical(work_dir).to_string_lossy().into_owned();
        let id = Metadata::load(share)
            .last_session_id(&wd)
            .ok_or(SessionError::NoPrevious)?;
        let mut s = Session::find(share, work_dir, &id).ok_or(SessionError::NoPrevious)?;
        s.resumed = true;
        Ok(s)
    }

    /// No history, no custom title, empty wire file.
    pub fn is_empty(&self) -> bool {
        if SessionState::load(&self.dir).custom_title().is_some() {
            return false;
        }
        if !wire_is_empty(&self.wire_file) {
            return false;
        }
        let Ok(text) = std::fs::read_to_string(&self.context_file) else {
            return true;
        };
        !text.lines().any(|l| {
            serde_json::from_str::<Value>(l.trim())
                .ok()
                .and_then(|v| v.get("role").and_then(Value::as_str).map(str::to_owned))
                .is_some_and(|r| !r.starts_with('_'))
        })
    }

    /// What kimi-cli does when the process ends: delete an empty session, otherwise record it
    /// as the work dir's last session.
    pub fn finish(&self) -> Result<(), SessionError> {
        let mut meta = Metadata::load(&self.share);
        if self.is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
            if meta.last_session_id(&self.work_dir).as_deref() == Some(self.id.as_str()) {
                meta.set_last_session_id(&self.work_dir, None);
                meta.save()?;
            }
        } else {
            meta.set_last_session_id(&self.work_dir, Some(&self.id));
            meta.save()?;
        }
        Ok(())
    }
}

/// A wire file with no records (missing, empty, or header only).
pub fn wire_is_empty(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return true;
    };
    !text.lines().any(|l| {
        let l = l.trim();
        !l.is_empty()
            && serde_json::from_str::<Value>(l)
                .map(|v| v.get("type").and_then(Value::as_str) != Some("metadata"))
                .unwrap_or(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kagent-test-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn layout_matches_python() {
        let share = tmp("share");
        let s = Session::create(&share, Path::new("/tmp/o1/work"), None).unwrap();
        assert!(s
            .dir
            .starts_with(share.join("sessions/625b8d6d139372f6782806feb5a50d2a")));
        assert!(s.context_file.exists());
        assert!(s.is_empty());
        append_line(&s.context_file, r#"{"role":"user","content":"hi"}"#).unwrap();
        assert!(!s.is_empty());
        s.finish().unwrap();
        let again = Session::continue_last(&share, Path::new("/tmp/o1/./work")).unwrap();
        assert_eq!(again.id, s.id);
        assert_eq!(canonical(Path::new("/a/b/../c/.")), Path::new("/a/c"));
    }

    #[test]
    fn a_record_never_glues_onto_a_torn_last_line() {
        let dir = tmp("torn");
        let file = dir.join("context.jsonl");
        // what a full disk leaves: the last record without its newline
        std::fs::write(&file, "{\"a\":1}\n{\"role\":\"us").unwrap();
        append_line(&file, "{\"b\":2}").unwrap();
        append_line(&file, "{\"c\":3}").unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "{\"a\":1}\n{\"role\":\"us\n{\"b\":2}\n{\"c\":3}\n"
        );
    }

    #[test]
    fn empty_session_is_deleted_on_finish() {
        let share = tmp("share2");
        let s = Session::create(&share, Path::new("/w"), None).unwrap();
        s.finish().unwrap();
        assert!(!s.dir.exists());
        assert!(matches!(
            Session::continue_last(&share, Path::new("/w")),
            Err(SessionError::NoPrevious)
        ));
    }
}
