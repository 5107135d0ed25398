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

fn write(level: &str, msg: &str) {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let line = format!("{ts:.3} | {level:<7} | {msg}\n");
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
