//! Running one configured hook command: `sh -c <command>` in the work dir, the event JSON on
//! stdin. Fail-open: a command that cannot start, crashes or times out allows.
//! Exit code 2 blocks (stderr is the reason); exit 0 with a JSON object on stdout whose
//! `hookSpecificOutput.permissionDecision` is `"deny"` blocks too.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::{HookError, HookResult};

/// Run `command` with `input` on stdin; at most `timeout_s` seconds.
pub async fn run_command(
    command: &str,
    input: &str,
    timeout_s: u64,
    cwd: &Path,
) -> Result<HookResult, HookError> {
    let mut cmd = shell_command(command);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if cwd.is_dir() {
        cmd.current_dir(cwd);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            kagent_base::logging::warn(&format!("Hook failed: {command}: {e}"));
            return Ok(HookResult::allow());
        }
    };
    let stdin = child.stdin.take();
    let input = input.as_bytes().to_vec();
    let run = async move {
        if let Some(mut stdin) = stdin {
            // a command that does not read its stdin is fine
            let _ = stdin.write_all(&input).await;
            drop(stdin);
        }
        child.wait_with_output().await
    };
    let output = match tokio::time::timeout(Duration::from_secs(timeout_s), run).await {
        Err(_) => {
            // dropping the child kills it (kill_on_drop)
            kagent_base::logging::warn(&crate::tools::util::msg(
                "hooks.timeout.log",
                &[
                    ("{timeout}", &timeout_s.to_string()),
                    ("{command}", command),
                ],
            ));
            return Ok(HookResult {
                timed_out: true,
                ..HookResult::allow()
            });
        }
        Ok(Err(e)) => {
            kagent_base::logging::warn(&format!("Hook failed: {command}: {e}"));
            return Ok(HookResult::allow());
        }
        Ok(Ok(o)) => o,
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    // killed by a signal counts as 0 (Python's `returncode or 0` sees a negative number)
    let exit_code = output.status.code().unwrap_or(-1);
    decide(exit_code, &stdout, &stderr)
}

fn shell_command(command: &str) -> tokio::process::Command {
    #[cfg(unix)]
    {
        let mut c = tokio::process::Command::new("/bin/sh");
        c.arg("-c").arg(command);
        c
    }
    #[cfg(not(unix))]
    {
        let mut c = tokio::process::Command::new("cmd");
        c.arg("/C").arg(command);
        c
    }
}

/// The decision of a finished command.
pub fn decide(exit_code: i32, stdout: &str, stderr: &str) -> Result<HookResult, HookError> {
    if exit_code == 2 {
        return Ok(HookResult::block(stderr.trim()));
    }
    if exit_code == 0 && !stdout.trim().is_empty() {
        if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(stdout) {
            match obj.get("hookSpecificOutput") {
                Some(Value::Object(out))
                    if out.get("permissionDecision").and_then(Value::as_str) == Some("deny") =>
                {
                    let reason = match out.get("permissionDecisionReason") {
                        None => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => kagent_base::py::repr::repr_value(v),
                    };
                    return Ok(HookResult::block(&reason));
                }
                None | Some(Value::Object(_)) => {}
                // kimi-cli calls `.get` on it and fails the whole batch (fail-open)
                Some(other) => {
                    return Err(HookError::BadOutput(format!(
                        "hookSpecificOutput is not an object: {other}"
                    )))
                }
            }
        }
    }
    Ok(HookResult::allow())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::Action;

    #[test]
    fn exit_codes_and_json_decisions() {
        assert_eq!(decide(2, "", " no \n").unwrap(), HookResult::block("no"));
        assert_eq!(decide(1, "", "x").unwrap().action, Action::Allow);
        let deny = r#"{"hookSpecificOutput": {"permissionDecision": "deny", "permissionDecisionReason": "r"}}"#;
        assert_eq!(decide(0, deny, "").unwrap(), HookResult::block("r"));
        assert_eq!(decide(0, "not json", "").unwrap().action, Action::Allow);
        assert!(decide(0, r#"{"hookSpecificOutput": 1}"#, "").is_err());
    }

    #[tokio::test]
    async fn runs_commands_with_stdin_and_timeout() {
        let dir = std::env::temp_dir();
        let r = run_command("cat >&2; exit 2", "{\"a\": 1}", 5, &dir)
            .await
            .unwrap();
        assert_eq!(r, HookResult::block("{\"a\": 1}"));
        let r = run_command("sleep 5", "", 1, &dir).await.unwrap();
        assert!(r.timed_out);
        assert_eq!(r.action, Action::Allow);
    }
}
