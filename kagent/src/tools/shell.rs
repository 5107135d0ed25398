//! `Shell`: run a command (bash on Unix; bash if present, else PowerShell, on Windows) in the
//! work dir after approval. Output (stdout and stderr interleaved by line) goes through the
//! standard output limits; a timeout kills the process.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use super::approval::Approval;
use super::args::{self, false_, Field, Get, Kind, STR};
use super::background::{self, TaskManager};
use super::util::{block, msg, ResultBuilder};
use super::{Tool, ToolContext, ToolReturnValue};
use kagent_base::BoxFuture;

pub const MAX_FOREGROUND_TIMEOUT: i64 = 5 * 60;
pub const MAX_BACKGROUND_TIMEOUT: i64 = 24 * 60 * 60;

const FIELDS: &[Field] = &[
    Field::required("command", STR),
    Field::optional(
        "timeout",
        Kind::Int {
            ge: Some(1),
            le: Some(MAX_BACKGROUND_TIMEOUT),
        },
        || json!(60),
    ),
    Field::optional("run_in_background", Kind::Bool, false_),
    Field::optional("description", STR, args::empty_str),
];

/// Which shell runs commands.
#[derive(Debug, Clone)]
pub struct ShellKind {
    pub name: String,
    pub path: PathBuf,
    pub powershell: bool,
}

impl ShellKind {
    pub fn detect() -> ShellKind {
        if cfg!(windows) {
            if let Some(bash) = find_on_path("bash.exe") {
                return ShellKind {
                    name: "bash".into(),
                    path: bash,
                    powershell: false,
                };
            }
            return ShellKind {
                name: "Windows PowerShell".into(),
                path: PathBuf::from("powershell.exe"),
                powershell: true,
            };
        }
        let bash = PathBuf::from("/bin/bash");
        if bash.exists() {
            ShellKind {
                name: "bash".into(),
                path: bash,
                powershell: false,
            }
        } else {
            ShellKind {
                name: "sh".into(),
                path: PathBuf::from("/bin/sh"),
                powershell: false,
            }
        }
    }

    fn args(&self, command: &str) -> Vec<String> {
        if self.powershell {
            vec!["-NoProfile".into(), "-Command".into(), command.into()]
        } else {
            vec!["-c".into(), command.into()]
        }
    }
}

fn find_on_path(exe: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(exe))
            .find(|p| p.is_file())
    })
}

pub struct Shell {
    approval: Approval,
    tasks: TaskManager,
    shell: ShellKind,
    description: String,
}

impl Shell {
    pub fn new(approval: Approval, tasks: TaskManager) -> Shell {
        let shell = ShellKind::detect();
        let description = format!(
            "Execute a {} (`{}`) command in the working directory and return its combined stdout and stderr.\n\n\
             - Every call runs in a fresh shell process; `cd` and environment changes do not persist between calls. Chain commands with `&&` or `;` when they depend on each other.\n\
             - Stdin is closed, so interactive commands get EOF instead of waiting for input.\n\
             - `timeout` (seconds, default 60, at most {MAX_FOREGROUND_TIMEOUT} in the foreground) kills commands that run too long.\n\
             - Output is limited to 50000 characters and 2000 characters per line; longer output is truncated.\n\
             - Prefer the dedicated file tools (ReadFile, WriteFile, StrReplaceFile, Glob, Grep) over shell commands for reading, writing and searching files.\n\
             - The user must approve each command unless auto-approval is on.",
            shell.name,
            shell.path.display()
        );
        Shell {
            approval,
            tasks,
            shell,
            description,
        }
    }
}

impl Tool for Shell {
    fn name(&self) -> &str {
        "Shell"
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "command": {"description": "Shell command line to run.", "type": "string"},
                "timeout": {
                    "default": 60,
                    "description": "Seconds the command may run before it is stopped.",
                    "maximum": MAX_BACKGROUND_TIMEOUT,
                    "minimum": 1,
                    "type": "integer"
                },
                "run_in_background": {
                    "default": false,
                    "description": "Run the command in the background instead of waiting for it.",
                    "type": "boolean"
                },
                "description": {
                    "default": "",
                    "description": "What the background command does, in a few words (needed with run_in_background=true).",
                    "type": "string"
                }
            },
            "required": ["command"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let approval = self.approval.clone();
        let shell = self.shell.clone();
        let tasks = self.tasks.clone();
        Box::pin(async move {
            let p = match args::validate(&arguments, FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            let (command, timeout) = (p.str_of("command"), p.int_of("timeout"));
            let background = p.bool_of("run_in_background");
            if background && p.str_of("description").trim().is_empty() {
                return args::validate_error(&args::value_error(
                    "Params",
                    &arguments,
                    &msg("shell.description_required", &[]),
                ));
            }
            if !background && timeout > MAX_FOREGROUND_TIMEOUT {
                return args::validate_error(&args::value_error(
                    "Params",
                    &arguments,
                    &msg(
                        "shell.timeout_too_long",
                        &[
                            ("{max_foreground}", &MAX_FOREGROUND_TIMEOUT.to_string()),
                            ("{max_background}", &MAX_BACKGROUND_TIMEOUT.to_string()),
                        ],
                    ),
                ));
            }
            let builder = ResultBuilder::default();
            if command.is_empty() {
                return builder.error(&msg("shell.empty", &[]), "Empty command");
            }
            let (action, what) = if background {
                (
                    crate::config::profile::active().message("shell.action.background"),
                    "shell.approval.background",
                )
            } else {
                ("run command", "shell.approval")
            };
            let decision = approval
                .request(
                    &ctx.tool_call_id,
                    "Shell",
                    action,
                    &msg(what, &[("{command}", &command)]),
                    vec![block(
                        json!({"type": "shell", "language": "bash", "command": command}),
                    )],
                )
                .await;
            if !decision.approved() {
                return decision.rejection();
            }
            if background {
                return start_background(
                    &tasks,
                    &shell,
                    &command,
                    p.str_of("description").trim(),
                    timeout,
                    &ctx,
                    builder,
                );
            }
            run(&shell, &command, timeout, &ctx.work_dir, builder).await
        })
    }
}

/// Start the command as a background task; the model is told its id and what to do next.
fn start_background(
    tasks: &TaskManager,
    shell: &ShellKind,
    command: &str,
    description: &str,
    timeout: i64,
    ctx: &ToolContext,
    mut builder: ResultBuilder,
) -> ToolReturnValue {
    let work = background::ShellWork {
        command: command.into(),
        shell_name: shell.name.clone(),
        shell_path: shell.path.clone(),
        shell_args: shell.args(command),
        cwd: ctx.work_dir.clone(),
        timeout_s: timeout,
    };
    let view = match tasks.start(
        Box::new(work),
        description,
        &ctx.tool_call_id,
        Some(timeout),
    ) {
        Ok(v) => v,
        Err(e) => {
            kagent_base::logging::error(&msg(
                "shell.background_failed.log",
                &[("{command}", command), ("{error}", &e.to_string())],
            ));
            return builder.error(
                &msg("shell.background_failed", &[("{error}", &e.to_string())]),
                "Start failed",
            );
        }
    };
    let guidance = crate::config::profile::active()
        .text(crate::config::profile::Text::BackgroundStarted)
        .to_string();
    builder.write(&format!(
        "{}\n{guidance}",
        background::format_task(&view, true)
    ));
    builder.display(background::display_block(&view));
    builder.ok(
        &msg("shell.background_started", &[]),
        &format!("Started {}", view.spec.id),
    )
}

async fn run(
    shell: &ShellKind,
    command: &str,
    timeout: i64,
    work_dir: &std::path::Path,
    mut builder: ResultBuilder,
) -> ToolReturnValue {
    let mut cmd = tokio::process::Command::new(&shell.path);
    cmd.args(shell.args(command))
        .current_dir(work_dir)
        .env("SHELL", &shell.path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group, so that ending the command ends what it started too (see
    // `GroupGuard`).
    #[cfg(unix)]
    cmd.process_group(0);
    if std::env::var_os("GIT_TERMINAL_PROMPT").is_none() {
        cmd.env("GIT_TERMINAL_PROMPT", "0");
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            kagent_base::logging::error(&msg(
                "shell.exec_failed.log",
                &[("{command}", command), ("{error}", &e.to_string())],
            ));
            return builder.error(
                &msg("shell.exec_failed", &[("{error}", &e.to_string())]),
                "Execution failed",
            );
        }
    };
    let group = GroupGuard::of(&child);
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return builder.error(
            &msg("shell.exec_failed", &[("{error}", "no pipes")]),
            "Execution failed",
        );
    };
    let read_all = async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
        let a = tokio::spawn(pump(out, tx.clone()));
        let b = tokio::spawn(pump(err, tx));
        while let Some(line) = rx.recv().await {
            builder.write(&String::from_utf8_lossy(&line));
        }
        let _ = a.await;
        let _ = b.await;
        child.wait().await
    };
    let limit = Duration::from_secs(timeout.max(1) as u64);
    match tokio::time::timeout(limit, read_all).await {
        Err(_) => {
            group.kill();
            let _ = child.start_kill();
            let _ = child.wait().await;
            let secs = [("{timeout}", timeout.to_string())];
            let secs = [(secs[0].0, secs[0].1.as_str())];
            builder.error(
                &msg("shell.timeout", &secs),
                &msg("shell.timeout.brief", &secs),
            )
        }
        Ok(Err(e)) => builder.error(
            &msg("shell.exec_failed", &[("{error}", &e.to_string())]),
            "Execution failed",
        ),
        Ok(Ok(status)) => {
            group.disarm();
            let code = exit_code(&status);
            if code == 0 {
                builder.ok(&msg("shell.ok", &[]), "")
            } else {
                let code = code.to_string();
                let mut brief = msg("shell.failed.brief", &[("{code}", &code)]);
                let tail = builder.tail(5, 200);
                if !tail.is_empty() {
                    brief.push('\n');
                    brief.push_str(&tail);
                }
                builder.error(&msg("shell.failed", &[("{code}", &code)]), &brief)
            }
        }
    }
}

/// Kills a command's process group when the command is killed (timeout) or abandoned (the
/// tool call dropped: turn cancelled, kagent ending on SIGTERM or stdin EOF). kimi-cli kills
/// only the shell, so its grandchildren (`sleep 1000 &`, a dev server) outlive it; kagent
/// does better (issue 19). A command that exits by itself keeps what it left running
/// (`nohup … &` on purpose), as in kimi-cli.
struct GroupGuard {
    /// The group id (the shell's pid); `None` once the command finished by itself.
    #[cfg(unix)]
    pgid: std::sync::Mutex<Option<rustix::process::Pid>>,
}

impl GroupGuard {
    fn of(child: &tokio::process::Child) -> GroupGuard {
        GroupGuard {
            #[cfg(unix)]
            pgid: std::sync::Mutex::new(
                child
                    .id()
                    .and_then(|id| i32::try_from(id).ok())
                    .and_then(rustix::process::Pid::from_raw),
            ),
        }
    }

    /// SIGKILL to every process of the group.
    fn kill(&self) {
        #[cfg(unix)]
        if let Some(pgid) = kagent_base::sync::lock(&self.pgid).take() {
            let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
        }
    }

    /// The command exited by itself: leave its group alone.
    fn disarm(&self) {
        #[cfg(unix)]
        kagent_base::sync::lock(&self.pgid).take();
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// asyncio's return code: the exit status, or minus the signal number.
pub fn exit_code(status: &std::process::ExitStatus) -> i64 {
    if let Some(c) = status.code() {
        return i64::from(c);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(s) = status.signal() {
            return -i64::from(s);
        }
    }
    -1
}

async fn pump(stream: impl AsyncRead + Unpin, tx: tokio::sync::mpsc::UnboundedSender<Vec<u8>>) {
    let mut r = BufReader::new(stream);
    loop {
        let mut buf = vec![];
        match r.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if tx.send(buf).is_err() {
                    break;
                }
            }
        }
    }
}
