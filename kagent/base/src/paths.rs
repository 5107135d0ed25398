//! Paths: the home and share directories, `~` expansion and `canonical` (normalized, absolute,
//! symlinks not resolved), in one place.
//!
//! Two flavours of home lookup exist on purpose, because kimi-cli itself uses two: its config
//! and plan-file code take `Path.home()` (which never fails: `HOME`, then `USERPROFILE`, here
//! `.` as the last resort), while its tools call `os.path.expanduser`, which leaves `~` alone
//! when there is no usable home. Merging them would change what kagent does without `HOME`.

use std::path::{Component, Path, PathBuf};

/// The user's home as kimi-cli's tools see it: `HOME` (`USERPROFILE` on Windows), if set and
/// not empty.
pub fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The user's home as kimi-cli's `Path.home()` gives it: `HOME`, else `USERPROFILE`, else `.`.
pub fn home_dir_or_dot() -> PathBuf {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The share directory: `$KIMI_SHARE_DIR` or `~/.kimi` (created if missing).
pub fn share_dir() -> PathBuf {
    let dir = match std::env::var("KIMI_SHARE_DIR") {
        Ok(s) if !s.is_empty() => PathBuf::from(s),
        _ => home_dir_or_dot().join(".kimi"),
    };
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// `~` expansion of a string as `os.path.expanduser` does it (the tools' arguments); without a
/// home the text is returned as is.
pub fn expand_user(raw: &str) -> String {
    if raw == "~" || raw.starts_with("~/") || (cfg!(windows) && raw.starts_with("~\\")) {
        if let Some(home) = home_dir() {
            return format!("{}{}", home.display(), &raw[1..]);
        }
    }
    raw.to_string()
}

/// `~` expansion like Python's `Path.expanduser()` on a configured path (config files, skill
/// dirs, scripts), against [`home_dir_or_dot`].
pub fn expand_user_path(p: &str) -> PathBuf {
    if p == "~" {
        return home_dir_or_dot();
    }
    if let Some(rest) = p.strip_prefix("~/") {
        return home_dir_or_dot().join(rest);
    }
    PathBuf::from(p)
}

/// Absolute, `.`/`..`-normalized path against the current directory, symlinks not resolved
/// (kaos `canonical()`).
pub fn canonical(p: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    canonical_in(p, &cwd)
}

/// `normpath` of `path` made absolute against `base`; symlinks are not resolved (kaos'
/// `canonical`). `..` at the root stays at the root.
pub fn canonical_in(path: &Path, base: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Where `path` (absolute) really lands: symlinks resolved (`realpath`) in its longest
/// existing prefix, the rest (what a write would create) appended as is. kimi-cli decides
/// "inside the work dir" and "sensitive file" on the pure path; kagent also checks this one,
/// so a repository's `notes -> ~/.bashrc` or `config -> .env` is seen for what it is.
pub fn real_path(path: &Path) -> PathBuf {
    let mut rest = vec![];
    let mut prefix = path;
    loop {
        if let Ok(real) = std::fs::canonicalize(prefix) {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (prefix.parent(), prefix.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                prefix = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn real_path_resolves_links_in_the_existing_prefix() {
        let dir = std::env::temp_dir().join(format!("kagent-real-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("outside")).unwrap();
        std::fs::create_dir_all(dir.join("work")).unwrap();
        std::os::unix::fs::symlink(dir.join("outside"), dir.join("work/link")).unwrap();
        let base = std::fs::canonicalize(&dir).unwrap();
        assert_eq!(
            real_path(&dir.join("work/link/new/file")),
            base.join("outside/new/file")
        );
        assert_eq!(real_path(&dir.join("work/plain")), base.join("work/plain"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn canonical_normalizes_without_leaving_the_root() {
        let base = Path::new("/a/b");
        assert_eq!(
            canonical_in(Path::new("../c/./d"), base),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(
            canonical_in(Path::new("/../../x"), base),
            PathBuf::from("/x")
        );
        assert_eq!(canonical(Path::new("/p/q/..")), PathBuf::from("/p"));
    }
}
