//! The workspace: the work directory plus the additional directories (`--add-dir`, `/add-dir`,
//! the session's saved `additional_dirs`). File tools treat a path inside any of them as
//! inside the workspace (kimi-cli's `is_within_workspace`): relative paths may reach them,
//! edits there are plain "edit file" approvals, Glob may search them.
//!
//! The list is shared by every tool and the soul, so a `/add-dir` takes effect at once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::session::SessionState;
use kagent_base::paths::canonical;

#[derive(Debug, Clone)]
pub struct Workspace {
    work_dir: PathBuf,
    additional: Arc<RwLock<Vec<PathBuf>>>,
}

impl From<PathBuf> for Workspace {
    fn from(work_dir: PathBuf) -> Self {
        Workspace::new(work_dir, vec![])
    }
}

impl Workspace {
    pub fn new(work_dir: PathBuf, additional: Vec<PathBuf>) -> Self {
        Workspace {
            work_dir,
            additional: Arc::new(RwLock::new(additional)),
        }
    }

    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// The additional directories, in the order they were added.
    pub fn additional_dirs(&self) -> Vec<PathBuf> {
        self.additional
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn add(&self, dir: PathBuf) {
        self.additional
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(dir);
    }

    /// `path` (canonical) lies in the work dir or in an additional directory (pure path
    /// semantics, like kimi-cli: no symlink resolution).
    /// [`Workspace::contains`] for where `path` really lands (symlinks resolved on both
    /// sides): a link inside the work dir that leads out of it is not contained.
    pub fn contains_real(&self, path: &Path) -> bool {
        use kagent_base::paths::real_path;
        let real = real_path(path);
        let mut dirs = vec![self.work_dir.clone()];
        dirs.extend(
            self.additional
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned(),
        );
        dirs.iter().any(|d| real.starts_with(real_path(d)))
    }

    pub fn contains(&self, path: &Path) -> bool {
        path.starts_with(&self.work_dir)
            || self
                .additional
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .any(|d| path.starts_with(d))
    }
}

/// `--add-dir` at startup (already validated as existing directories): each one, made
/// absolute and normalized, joins the session's `additional_dirs` unless it lies in the work
/// dir or is there already. Returns whether the state changed (and must be saved).
pub fn add_cli_dirs(state: &mut SessionState, work_dir: &Path, dirs: &[PathBuf]) -> bool {
    let mut saved = state.additional_dir_strings();
    let mut changed = false;
    for d in dirs {
        let dir = canonical(d);
        if dir.starts_with(work_dir) {
            kagent_base::logging::info(&format!(
                "Skipping --add-dir {}: already within working directory",
                dir.display()
            ));
            continue;
        }
        let text = dir.display().to_string();
        if !saved.contains(&text) {
            saved.push(text);
            changed = true;
        }
    }
    if changed {
        state.set_additional_dirs(&saved);
    }
    changed
}

/// The additional directories of a session as the workspace starts with them: entries that
/// are no longer directories are dropped from the state (returns whether it changed).
pub fn restore_dirs(state: &mut SessionState) -> (Vec<PathBuf>, bool) {
    let mut dirs = vec![];
    let mut kept = vec![];
    let mut pruned = false;
    for text in state.additional_dir_strings() {
        let dir = canonical(Path::new(&text));
        if dir.is_dir() {
            dirs.push(dir);
            kept.push(text);
        } else {
            kagent_base::logging::warn(
                &crate::config::profile::active()
                    .message_with("add_dir.pruned.log", &[("{dir}", &text)]),
            );
            pruned = true;
        }
    }
    if pruned {
        state.set_additional_dirs(&kept);
    }
    (dirs, pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_work_dir_and_added_dirs() {
        let ws = Workspace::new(PathBuf::from("/w/project"), vec![]);
        assert!(ws.contains(Path::new("/w/project/a/b")));
        assert!(!ws.contains(Path::new("/w/projectx/a")));
        assert!(!ws.contains(Path::new("/w/other/a")));
        let shared = ws.clone();
        shared.add(PathBuf::from("/w/other"));
        assert!(ws.contains(Path::new("/w/other/a")));
        assert_eq!(ws.additional_dirs(), vec![PathBuf::from("/w/other")]);
    }

    #[test]
    fn cli_dirs_skip_work_dir_and_duplicates_and_prune_later() {
        let tmp = std::env::temp_dir().join(format!("kagent-ws-{}", std::process::id()));
        let (work, extra) = (tmp.join("work"), tmp.join("extra"));
        std::fs::create_dir_all(work.join("sub")).unwrap();
        std::fs::create_dir_all(&extra).unwrap();
        let mut st = SessionState::default();
        let dirs = [work.join("sub"), extra.join("."), extra.clone()];
        assert!(add_cli_dirs(&mut st, &work, &dirs));
        assert_eq!(
            st.additional_dir_strings(),
            vec![extra.display().to_string()]
        );
        assert!(!add_cli_dirs(&mut st, &work, std::slice::from_ref(&extra)));
        let (restored, pruned) = restore_dirs(&mut st);
        assert_eq!((restored, pruned), (vec![extra.clone()], false));
        std::fs::remove_dir_all(&extra).unwrap();
        let (restored, pruned) = restore_dirs(&mut st);
        assert!(restored.is_empty() && pruned);
        assert!(st.additional_dir_strings().is_empty());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
