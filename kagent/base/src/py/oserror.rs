//! Python's wording of OS errors, for messages kimi-cli builds from an `OSError`.

use std::path::Path;

use super::repr::repr_str;

/// `str(OSError)` for an error about `path`: `[Errno 13] Permission denied: '/x'`.
/// Errors without an OS code are shown as Rust words them.
pub fn os_error(e: &std::io::Error, path: &Path) -> String {
    let Some(code) = e.raw_os_error() else {
        return e.to_string();
    };
    // std words it "<strerror> (os error N)": keep the strerror part, as Python does
    let text = e.to_string();
    let strerror = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    format!(
        "[Errno {code}] {strerror}: {}",
        repr_str(&path.to_string_lossy())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_strerror_and_repr_path() {
        let e = std::fs::read_dir("/definitely/not/here").unwrap_err();
        assert_eq!(
            os_error(&e, Path::new("/definitely/not/here")),
            "[Errno 2] No such file or directory: '/definitely/not/here'"
        );
        let e = std::io::Error::from_raw_os_error(13);
        assert_eq!(
            os_error(&e, Path::new("it's")),
            "[Errno 13] Permission denied: \"it's\""
        );
    }
}
