//! `--fallback-argv`: the command that serves the Wire client in kagent's place when this
//! kagent cannot start its session.
//!
//! kimi-kernel hands a `--wire` client to kagent by exec. Under its `auto` kernel a session
//! kagent cannot run (a provider it lacks, say) must still reach the Python kernel, which an
//! exec'd kagent alone could not arrange; asking a second kagent first (`--check-start`) cost a
//! whole extra process start on every launch. With a fallback the one kagent checks what a
//! start checks and, on a failure before its session, logs the reason and becomes the fallback
//! command (exec on Unix, so the client keeps its pid and pipes; on Windows a child on the same
//! stdio whose exit code kagent returns). Past that point (the session is opened) the fallback
//! is disarmed: later errors are kagent's to report.
//!
//! The value is JSON: `{"argv": ["prog", "arg", ...], "env": {"NAME": "value", ...}}`; `env`
//! is set for the fallback command only.

use std::collections::BTreeMap;
use std::sync::Mutex;

use kagent_base::logging;

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    argv: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
}

static ARMED: Mutex<Option<Fallback>> = Mutex::new(None);

/// The `--fallback-argv` value, or what is wrong with it.
pub fn parse(text: &str) -> Result<Fallback, String> {
    let fallback: Fallback = serde_json::from_str(text).map_err(|e| {
        format!(
            "--fallback-argv: {e}; expected JSON like {{\"argv\": [\"prog\", \"arg\"], \"env\": {{}}}}"
        )
    })?;
    if fallback.argv.first().is_none_or(|p| p.is_empty()) {
        return Err(
            "--fallback-argv: \"argv\" must name a program (a non-empty first item)".into(),
        );
    }
    Ok(fallback)
}

/// From now on a start failure runs `fallback` instead of ending kagent.
pub fn arm(fallback: Fallback) {
    *kagent_base::sync::lock(&ARMED) = Some(fallback);
}

/// The session is being opened: failures from here on are kagent's to report.
pub fn disarm() {
    kagent_base::sync::lock(&ARMED).take();
}

/// Hand the client to the fallback command because kagent cannot start (`reason`). Unix:
/// does not return when the exec succeeds. Returns the exit code kagent should end with
/// (Windows: the fallback's), or None when there is no fallback or it could not be run (the
/// caller then reports `reason` itself).
pub fn take_over(reason: &str) -> Option<u8> {
    let fallback = kagent_base::sync::lock(&ARMED).take()?;
    logging::warn(&format!(
        "kagent cannot start this session ({reason}); the fallback command serves the client: {}",
        fallback.argv[0]
    ));
    let mut command = std::process::Command::new(&fallback.argv[0]);
    command.args(&fallback.argv[1..]).envs(&fallback.env);
    run(command, &fallback.argv[0])
}

#[cfg(unix)]
fn run(mut command: std::process::Command, program: &str) -> Option<u8> {
    use std::os::unix::process::CommandExt as _;
    let error = command.exec();
    logging::error(&format!(
        "the fallback command {program} could not be run: {error}"
    ));
    None
}

#[cfg(not(unix))]
fn run(mut command: std::process::Command, program: &str) -> Option<u8> {
    match command.status() {
        Ok(status) => Some(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1))),
        Err(error) => {
            logging::error(&format!(
                "the fallback command {program} could not be run: {error}"
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_argv_and_env() {
        let f = parse(r#"{"argv": ["/usr/bin/python3", "-m", "x"], "env": {"A": "1"}}"#).unwrap();
        assert_eq!(f.argv, ["/usr/bin/python3", "-m", "x"]);
        assert_eq!(f.env.get("A").map(String::as_str), Some("1"));
        assert!(parse(r#"{"argv": ["p"]}"#).unwrap().env.is_empty());
    }

    #[test]
    fn bad_values_name_the_problem_and_the_shape() {
        let e = parse("[1]").unwrap_err();
        assert!(
            e.starts_with("--fallback-argv: ") && e.contains("expected JSON like"),
            "{e}"
        );
        let e = parse(r#"{"argv": []}"#).unwrap_err();
        assert!(e.contains("must name a program"), "{e}");
        let e = parse(r#"{"argv": ["p"], "envs": {}}"#).unwrap_err();
        assert!(e.contains("unknown field `envs`"), "{e}");
    }
}
