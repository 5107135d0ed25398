//! Minimal logger: lines appended to `<share>/logs/kagent.log` (stdout is reserved for the
//! protocol). Before `init` (or if the file cannot be opened) messages go to stderr.

use std::io::Write;
use std::sync::Mutex;

static SINK: Mutex<Option<std::fs::File>> = Mutex::new(None);

/// Open the log file under `<share>/logs/`.
pub fn init(share_dir: &std::path::Path) {
    let dir = share_dir.join("logs");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("kagent.log"))
    {
        *crate::sync::lock(&SINK) = Some(f);
    }
}

/// A log line's time: UTC, readable, to the millisecond (`2026-12-02 05:46:04.123Z`).
pub fn timestamp(since_epoch: std::time::Duration) -> String {
    let (year, month, day, h, m, s) = crate::time::utc_civil(since_epoch.as_secs() as i64);
    let millis = since_epoch.subsec_millis();
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}.{millis:03}Z")
}

fn write(level: &str, msg: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let line = format!("{} | {level:<7} | {msg}\n", timestamp(now));
    let mut guard = crate::sync::lock(&SINK);
    match guard.as_mut() {
        Some(f) => {
            let _ = f.write_all(line.as_bytes());
        }
        None => {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }
}

pub fn info(msg: &str) {
    write("INFO", msg);
}
pub fn warn(msg: &str) {
    write("WARNING", msg);
}
pub fn error(msg: &str) {
    write("ERROR", msg);
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_readable_utc() {
        let t = std::time::Duration::from_millis(1_709_251_199_007);
        assert_eq!(super::timestamp(t), "2024-02-29 23:59:59.007Z");
    }
}
