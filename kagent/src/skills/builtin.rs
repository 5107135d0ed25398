//! The built-in skills (copies of kimi-cli's, see `data/README.md`), written out as real
//! files so the paths the system prompt names can be read.

use std::path::{Path, PathBuf};

/// `(name, SKILL.md text)` of each built-in skill.
pub const BUILTIN_SKILLS: &[(&str, &str)] = &[
    ("kimi-cli-help", include_str!("data/kimi-cli-help/SKILL.md")),
    ("skill-creator", include_str!("data/skill-creator/SKILL.md")),
];

/// Where this kagent version keeps its built-in skills under the share directory.
pub fn default_dir(share: &Path) -> PathBuf {
    share
        .join("kagent")
        .join("builtin-skills")
        .join(env!("CARGO_PKG_VERSION"))
}

/// Write every built-in skill under `dir` (`<dir>/<name>/SKILL.md`), leaving files that
/// already hold the right text alone. Each file is replaced atomically (temp file + rename),
/// so a concurrent kagent never reads half a file.
pub fn materialize(dir: &Path) -> std::io::Result<()> {
    for (name, text) in BUILTIN_SKILLS {
        let sub = dir.join(name);
        let file = sub.join("SKILL.md");
        if std::fs::read(&file).is_ok_and(|b| b == text.as_bytes()) {
            continue;
        }
        std::fs::create_dir_all(&sub)?;
        let tmp = sub.join(format!(".SKILL.md.{}.tmp", std::process::id()));
        let result = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &file));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_and_repairs() {
        let dir = std::env::temp_dir().join(format!("kagent-builtin-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        materialize(&dir).unwrap();
        let file = dir.join("skill-creator").join("SKILL.md");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), BUILTIN_SKILLS[1].1);
        std::fs::write(&file, "damaged").unwrap();
        materialize(&dir).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), BUILTIN_SKILLS[1].1);
        let names: Vec<_> = std::fs::read_dir(dir.join("skill-creator"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("SKILL.md")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_blocked_directory_is_an_error() {
        let base = std::env::temp_dir().join(format!("kagent-builtin-f-{}", std::process::id()));
        std::fs::write(&base, "a file, not a directory").unwrap();
        assert!(materialize(&base.join("x")).is_err());
        std::fs::remove_file(&base).unwrap();
    }
}
