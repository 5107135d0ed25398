//! kimi-cli's own wording of an agent spec that does not load.
//!
//! kagent parses agent specs with Rust's YAML and Jinja engines, whose error texts are not
//! PyYAML's or Jinja2's; kimi-cli prints those libraries' texts (`Invalid YAML in agent spec
//! file: while parsing a flow sequence\n  in "a.yaml", line 2, column 8 ...`). Those texts can
//! only come from those libraries, so when a spec fails to load at start-up and the kimi-cli
//! profile names an `agent_spec_checker` (kimi-kernel's, run by the interpreter that has the
//! profile's kimi-cli), kagent runs it on the same file and shows kimi-cli's text instead of its
//! own. That costs a Python start, on the error path only. Without a checker, or when it fails,
//! times out, or loads the spec without an error (a case where kagent is stricter than
//! kimi-cli), kagent's own text stands and the log says why.
//!
//! The checker's protocol: `<argv...> --agent-file FILE --work-dir DIR`, run in kagent's
//! working directory (relative paths resolve as kagent's did); exit 0 with kimi-cli's error on
//! stdout; exit 3: kimi-cli loads the spec; anything else: the checker failed.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kagent_base::logging;

/// A Python start that imports kimi-cli's agent loader; generous for a loaded machine.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Exit status of a checker for which kimi-cli loads the spec.
const LOADS: i32 = 3;

/// kimi-cli's error for the spec `file` (as the user named it), or `None` (logged) when it
/// cannot be had.
pub fn kimi_cli_error(checker: &[String], file: &Path, work_dir: &Path) -> Option<String> {
    let (program, args) = checker.split_first()?;
    let mut child = match Command::new(program)
        .args(args)
        .arg("--agent-file")
        .arg(file)
        .arg("--work-dir")
        .arg(work_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            logging::warn(&format!(
                "agent spec checker {program}: cannot start ({e}); kagent's own wording of the error"
            ));
            return None;
        }
    };
    // read both pipes while waiting, so a chatty checker cannot block on a full pipe
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = reader(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = reader(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < TIMEOUT => {
                std::thread::sleep(Duration::from_millis(10))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let why = match status.and_then(|s| s.code()) {
        Some(0) if !stdout.trim().is_empty() => {
            logging::info(&format!(
                "agent spec {}: the error as kimi-cli words it (by {program})",
                file.display()
            ));
            return Some(stdout.strip_suffix('\n').unwrap_or(&stdout).to_string());
        }
        Some(LOADS) => "kimi-cli loads this spec".to_string(),
        Some(code) => format!("exit {code}: {}", stderr.trim()),
        None if status.is_none() => format!("no answer in {} s", TIMEOUT.as_secs()),
        None => "killed by a signal".to_string(),
    };
    logging::warn(&format!(
        "agent spec checker {program} on {}: {why}; kagent's own wording of the error",
        file.display()
    ));
    None
}
