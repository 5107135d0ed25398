//! Background tasks (kimi-cli's background task manager): `Shell(run_in_background=true)`
//! starts one, `TaskList`/`TaskOutput`/`TaskStop` look at and stop them, and a task that
//! reaches a terminal state becomes a notification: a user message the model gets at the
//! start of its next step, and a `Notification` wire event.
//!
//! State lives in kimi-cli's files ([`store`], [`notify`]) so a session continues on either
//! kernel. Unlike kimi-cli, which runs each command under a separate worker process, kagent
//! runs it itself: the command (its own process group) writes into `output.log`, a tokio task
//! waits for it, enforces the timeout, follows stop requests and writes `runtime.json` (with
//! a heartbeat, so kimi-cli does not take a live task for lost). When kagent exits, every
//! task still running is stopped (kimi-cli's default `keep_alive_on_exit = false`).
//!
//! What runs is a [`TaskWork`]: [`ShellWork`], or the `Agent` tool's background subagent
//! (soul::subagent's `AgentWork`), which runs inside kagent as kimi-cli runs it inside its event
//! loop: no worker pid, no heartbeat, marked `killed` as soon as its stop is asked.

pub mod notify;
pub mod store;
pub mod tools;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kagent_base::BoxFuture;
use serde_json::Value;
use tokio::sync::watch;

pub use store::{is_terminal, TaskSpec, TaskStore, TaskView};

use crate::config::BackgroundConfig;

/// How often a running task's `heartbeat_at` is written (kimi-cli's worker default; kimi-cli
/// takes a task whose heartbeat is 15 s old for lost).
pub const HEARTBEAT: Duration = Duration::from_millis(5_000);
/// How often `TaskOutput(block=true)` looks again at a task another kernel runs.
const WAIT_POLL: Duration = Duration::from_millis(100);

/// The kinds of task (kimi-cli's `TaskKind`): the id prefix and `spec.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Bash,
    Agent,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Bash => "bash",
            TaskKind::Agent => "agent",
        }
    }
}

/// How a task's work ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkEnd {
    /// It finished by itself (`exit_code` 0 for a command that succeeded).
    Exited { exit_code: Option<i64>, ok: bool },
    /// Its timeout ended it (`reason`: the work's own words, else the command's).
    TimedOut {
        exit_code: Option<i64>,
        reason: Option<String>,
    },
    /// A stop request ended it.
    Stopped { exit_code: Option<i64> },
    /// It could not run.
    Failed(String),
}

/// What a background task runs. `run` gets the output file (append) and a stop signal
/// (`Some(reason)` once a stop is requested); it reports pids through `started` as soon as
/// it has them and resolves when the work is over.
pub trait TaskWork: Send + 'static {
    fn kind(&self) -> TaskKind;
    /// Fields of `spec.json` that describe the work (command, shell, cwd, `kind_payload`);
    /// `spec.id` is the new task's id.
    fn describe(&mut self, spec: &mut TaskSpec);
    /// `grace`: how long a stopped task may take to end before it is killed.
    fn run(
        self: Box<Self>,
        output: std::fs::File,
        stop: watch::Receiver<Option<String>>,
        started: Box<dyn FnOnce(Option<i64>) + Send>,
        grace: Duration,
    ) -> BoxFuture<'static, WorkEnd>;
}

/// A task running in this process.
struct Live {
    stop: watch::Sender<Option<String>>,
    done: watch::Receiver<bool>,
    pgid: Option<i64>,
}

#[derive(Default)]
struct State {
    config: BackgroundConfig,
    store: Option<TaskStore>,
    notifications: Option<notify::NotificationStore>,
    session_id: String,
    session_dir: Option<PathBuf>,
    live: HashMap<String, Live>,
    /// Tasks this process runs, from before their files exist until they end: recover()
    /// leaves them alone.
    owned: HashSet<String>,
}

/// The session's background tasks (shared by the tools and the soul).
#[derive(Clone, Default)]
pub struct TaskManager {
    state: Arc<Mutex<State>>,
}

/// Why a task could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("Background tasks are not available without a session.")]
    NoSession,
    #[error("{}", crate::config::profile::active().message("task.too_many"))]
    TooMany,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn new_task_id(kind: TaskKind) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let suffix: String = bytes[..8]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{suffix}", kind.as_str())
}

impl TaskManager {
    /// Use the `[background]` configuration.
    pub fn configure(&self, config: BackgroundConfig) {
        kagent_base::sync::lock(&self.state).config = config;
    }

    fn config(&self) -> BackgroundConfig {
        kagent_base::sync::lock(&self.state).config.clone()
    }

    fn kill_grace(&self) -> Duration {
        Duration::from_millis(self.config().kill_grace_period_ms.max(0) as u64)
    }

    /// Keep tasks in `<session_dir>/tasks` and notifications in `<session_dir>/notifications`.
    /// The first bind reconciles (kimi-cli does at the session's start): tasks no process runs
    /// any more end as lost, ended tasks get their notifications.
    pub fn bind(&self, session_dir: &Path) {
        let first = {
            let st = kagent_base::sync::lock(&self.state);
            st.store.is_none()
        };
        self.bind_stores(session_dir);
        if first {
            self.reconcile();
        }
    }

    fn bind_stores(&self, session_dir: &Path) {
        let mut st = kagent_base::sync::lock(&self.state);
        st.session_dir = Some(session_dir.to_path_buf());
        st.store = Some(TaskStore::new(session_dir.join("tasks")));
        st.notifications = Some(notify::NotificationStore::new(
            session_dir.join("notifications"),
        ));
        st.session_id = session_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
    }

    pub fn store(&self) -> Option<TaskStore> {
        kagent_base::sync::lock(&self.state).store.clone()
    }

    pub fn notifications(&self) -> Option<notify::NotificationStore> {
        kagent_base::sync::lock(&self.state).notifications.clone()
    }

    /// `[background] agent_task_timeout_s`.
    pub fn agent_task_timeout_s(&self) -> i64 {
        self.config().agent_task_timeout_s
    }

    /// A running agent task waits for an approval (`Some(description)`) or no longer does
    /// (kimi-cli's `_mark_task_awaiting_approval` and `_mark_task_running`).
    pub fn set_awaiting_approval(&self, id: &str, waiting: Option<&str>) {
        let Some(store) = self.store() else { return };
        let mut rt = store.read_runtime(id);
        if is_terminal(&rt.status) {
            return;
        }
        rt.updated_at = store::now();
        match waiting {
            Some(description) => {
                rt.status = "awaiting_approval".into();
                rt.failure_reason = Some(description.into());
            }
            None => {
                rt.status = "running".into();
                rt.heartbeat_at = Some(rt.updated_at);
                rt.failure_reason = None;
            }
        }
        store.write_runtime(id, &rt);
    }

    pub fn view(&self, id: &str) -> Option<TaskView> {
        self.store()?.view(id)
    }

    /// Start `work` as a new task; the view right after it started.
    pub fn start(
        &self,
        work: Box<dyn TaskWork>,
        description: &str,
        tool_call_id: &str,
        timeout_s: Option<i64>,
    ) -> Result<TaskView, StartError> {
        let (store, session_id) = {
            let st = kagent_base::sync::lock(&self.state);
            (
                st.store.clone().ok_or(StartError::NoSession)?,
                st.session_id.clone(),
            )
        };
        let active = store
            .list()
            .iter()
            .filter(|v| !is_terminal(&v.runtime.status))
            .count();
        if active as i64 >= self.config().max_running_tasks {
            return Err(StartError::TooMany);
        }
        let id = new_task_id(work.kind());
        kagent_base::sync::lock(&self.state)
            .owned
            .insert(id.clone());
        let mut spec = TaskSpec {
            version: 1,
            id: id.clone(),
            kind: work.kind().as_str().into(),
            session_id,
            description: description.into(),
            tool_call_id: tool_call_id.into(),
            owner_role: "root".into(),
            created_at: store::now(),
            command: None,
            shell_name: None,
            shell_path: None,
            cwd: None,
            timeout_s,
            kind_payload: None,
        };
        let kind = work.kind();
        let mut work = work;
        work.describe(&mut spec);
        if let Err(e) = store.create(&spec) {
            kagent_base::sync::lock(&self.state).owned.remove(&id);
            return Err(e.into());
        }
        let output = std::fs::OpenOptions::new()
            .append(true)
            .open(store.output_path(&id))?;
        // kagent is the task's worker
        let mut runtime = store.read_runtime(&id);
        let t = store::now();
        runtime.status = "starting".into();
        runtime.updated_at = t;
        if kind == TaskKind::Bash {
            // kagent is the command's worker; an agent task has none (kimi-cli runs it in its
            // own event loop, and writes no pid, start or heartbeat for it)
            runtime.worker_pid = Some(i64::from(std::process::id()));
            runtime.started_at = Some(t);
            runtime.heartbeat_at = Some(t);
        }
        store.write_runtime(&id, &runtime);

        let (stop_tx, stop_rx) = watch::channel(None);
        let (done_tx, done_rx) = watch::channel(false);
        let pgid = Arc::new(Mutex::new(None));
        let started = {
            let (store, id, pgid) = (store.clone(), id.clone(), pgid.clone());
            Box::new(move |pid: Option<i64>| {
                *kagent_base::sync::lock(&pgid) = pid;
                let mut rt = store.read_runtime(&id);
                if is_terminal(&rt.status) {
                    return;
                }
                rt.status = "running".into();
                rt.child_pid = pid;
                rt.child_pgid = if cfg!(unix) { pid } else { None };
                rt.updated_at = store::now();
                rt.heartbeat_at = Some(rt.updated_at);
                store.write_runtime(&id, &rt);
            }) as Box<dyn FnOnce(Option<i64>) + Send>
        };
        let fut = work.run(output, stop_rx, started, self.kill_grace());
        let manager = self.clone();
        let task_id = id.clone();
        let store2 = store.clone();
        tokio::spawn(async move {
            let end = if kind == TaskKind::Bash {
                with_heartbeat(fut, &store2, &task_id, timeout_s).await
            } else {
                fut.await
            };
            finish(&store2, &task_id, &end);
            {
                let mut st = kagent_base::sync::lock(&manager.state);
                st.live.remove(&task_id);
                st.owned.remove(&task_id);
            }
            let _ = done_tx.send(true);
        });
        let live_pgid = *kagent_base::sync::lock(&pgid);
        kagent_base::sync::lock(&self.state).live.insert(
            id.clone(),
            Live {
                stop: stop_tx,
                done: done_rx,
                pgid: live_pgid,
            },
        );
        store
            .view(&id)
            .ok_or_else(|| StartError::Io(std::io::Error::other(format!("task {id} vanished"))))
    }

    /// Ask a task to stop (kimi-cli's `kill`): the view as it is right after the request.
    pub fn stop(&self, id: &str, reason: &str) -> Option<TaskView> {
        let store = self.store()?;
        let view = store.view(id)?;
        if is_terminal(&view.runtime.status) {
            return Some(view);
        }
        if view.spec.kind == TaskKind::Agent.as_str() {
            // kimi-cli marks an agent task killed when asked (its run is then cancelled)
            let mut rt = view.runtime.clone();
            let t = store::now();
            rt.status = "killed".into();
            rt.updated_at = t;
            rt.finished_at = Some(t);
            rt.interrupted = true;
            rt.failure_reason = Some(reason.into());
            store.write_runtime(id, &rt);
            if let Some(live) = kagent_base::sync::lock(&self.state).live.get(id) {
                let _ = live.stop.send(Some(reason.into()));
            }
            return store.view(id);
        }
        let control = store::TaskControl {
            kill_requested_at: Some(store::now()),
            kill_reason: Some(reason.into()),
            force: false,
        };
        store.write_control(id, &control);
        let after = store.view(id);
        let st = kagent_base::sync::lock(&self.state);
        match st.live.get(id) {
            Some(live) => {
                let _ = live.stop.send(Some(reason.into()));
            }
            // a task of another kernel process: signal its group, as kimi-cli does
            None => signal_group(view.runtime.child_pgid, false),
        }
        after
    }

    /// Wait until the task is terminal or `timeout` passed; its view then.
    pub async fn wait(&self, id: &str, timeout: Duration) -> Option<TaskView> {
        let deadline = tokio::time::Instant::now() + timeout;
        let done = kagent_base::sync::lock(&self.state)
            .live
            .get(id)
            .map(|l| l.done.clone());
        if let Some(mut done) = done {
            let _ = tokio::time::timeout_at(deadline, done.wait_for(|d| *d)).await;
            return self.view(id);
        }
        loop {
            let view = self.view(id)?;
            if is_terminal(&view.runtime.status) || tokio::time::Instant::now() >= deadline {
                return Some(view);
            }
            tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + WAIT_POLL)).await;
        }
    }

    /// Stop every task still running (kagent exits): a stop request, the grace period for
    /// them to end, then SIGKILL to any group left.
    pub async fn shutdown(&self) {
        let Some(store) = self.store() else { return };
        if self.config().keep_alive_on_exit {
            return;
        }
        let grace = self.kill_grace();
        let mut waits = vec![];
        for view in store.list() {
            if is_terminal(&view.runtime.status) {
                continue;
            }
            kagent_base::logging::info(&format!(
                "Stopping background task {} (session ends)",
                view.spec.id
            ));
            self.stop(&view.spec.id, "CLI session ended");
            if let Some(l) = kagent_base::sync::lock(&self.state).live.get(&view.spec.id) {
                waits.push((l.done.clone(), l.pgid.or(view.runtime.child_pgid)));
            }
        }
        if waits.is_empty() {
            return;
        }
        for (mut done, pgid) in waits {
            if tokio::time::timeout(grace + Duration::from_millis(500), done.wait_for(|d| *d))
                .await
                .is_err()
            {
                signal_group(pgid, true);
            }
        }
        // as kimi-cli's shutdown: the ended tasks get their notifications
        self.reconcile();
    }

    /// kimi-cli's `reconcile`: [`recover`](Self::recover), then notifications for tasks that
    /// ended and have none yet.
    pub fn reconcile(&self) {
        self.recover();
        let (Some(store), Some(notes)) = (self.store(), self.notifications()) else {
            return;
        };
        for view in store.list() {
            if is_terminal(&view.runtime.status) {
                notes.publish_task(&view);
            }
        }
    }

    /// kimi-cli's `recover`: a task that has not ended but no process runs any more ends as
    /// `lost` (`killed` when its stop was asked). An agent task runs inside the process that
    /// started it, so one this kagent does not run is gone (its instance, if still
    /// `running_background`, becomes `failed`); a command task is gone when its heartbeat is
    /// older than `[background] worker_stale_after_ms`. Tasks of this process are left alone.
    pub fn recover(&self) {
        let (store, owned, stale_after, session_dir) = {
            let st = kagent_base::sync::lock(&self.state);
            let Some(store) = st.store.clone() else {
                return;
            };
            (
                store,
                st.owned.clone(),
                st.config.worker_stale_after_ms as f64 / 1000.0,
                st.session_dir.clone(),
            )
        };
        let now = store::now();
        for view in store.list() {
            if is_terminal(&view.runtime.status) || owned.contains(&view.spec.id) {
                continue;
            }
            let id = &view.spec.id;
            if view.spec.kind == TaskKind::Agent.as_str() {
                let mut rt = view.runtime.clone();
                rt.finished_at = Some(now);
                rt.updated_at = now;
                rt.status = "lost".into();
                rt.failure_reason = Some(crate::tools::util::msg("task.recover.agent_gone", &[]));
                store.write_runtime(id, &rt);
                let agent_id = view
                    .spec
                    .kind_payload
                    .as_ref()
                    .and_then(|p| p.get("agent_id"))
                    .and_then(Value::as_str);
                if let (Some(agent_id), Some(dir)) = (agent_id, &session_dir) {
                    let instances = crate::session::subagents::SubagentStore::new(dir);
                    if instances
                        .get_instance(agent_id)
                        .is_some_and(|r| r.status == "running_background")
                    {
                        if let Err(e) = instances.update_instance(agent_id, "failed", None) {
                            kagent_base::logging::error(&format!(
                                "cannot mark subagent {agent_id} failed: {e}"
                            ));
                        }
                    }
                }
                continue;
            }
            let progress = |rt: &store::TaskRuntime| {
                rt.heartbeat_at
                    .or(rt.started_at)
                    .unwrap_or(if rt.updated_at > 0.0 {
                        rt.updated_at
                    } else {
                        view.spec.created_at
                    })
            };
            if now - progress(&view.runtime) <= stale_after {
                continue;
            }
            // read again: its worker (another kernel's) may just have written
            let mut rt = store.read_runtime(id);
            if is_terminal(&rt.status) || now - progress(&rt) <= stale_after {
                continue;
            }
            let never_beat = rt.heartbeat_at.is_none();
            rt.finished_at = Some(now);
            rt.updated_at = now;
            let control = store.read_control(id);
            if control.kill_requested_at.is_some() {
                rt.status = "killed".into();
                rt.interrupted = true;
                rt.failure_reason = Some(
                    control
                        .kill_reason
                        .unwrap_or_else(|| crate::tools::util::msg("task.recover.killed", &[])),
                );
            } else {
                rt.status = "lost".into();
                rt.failure_reason = Some(crate::tools::util::msg(
                    if never_beat {
                        "task.recover.never_heartbeat"
                    } else {
                        "task.recover.heartbeat_expired"
                    },
                    &[],
                ));
            }
            store.write_runtime(id, &rt);
        }
    }

    /// Claim up to `limit` pending notifications for `sink` (`llm` or `wire`), oldest
    /// first, and mark them delivered.
    pub fn deliver(&self, sink: &str, limit: usize) -> Vec<notify::Notification> {
        self.reconcile();
        let Some(notes) = self.notifications() else {
            return vec![];
        };
        notes.deliver(sink, limit)
    }

    /// The user message the model gets for a notification (kimi-cli's
    /// `build_notification_message`).
    pub fn notification_message(&self, n: &notify::Notification) -> String {
        let view = if n.category == "task" && n.source_kind == "background_task" {
            self.view(&n.source_id)
        } else {
            None
        };
        let cfg = self.config();
        let tail = view.as_ref().map(|v| {
            self.store()
                .map(|s| {
                    s.tail(
                        &v.spec.id,
                        cfg.notification_tail_chars.max(0) as u64,
                        cfg.notification_tail_lines.max(0) as usize,
                    )
                })
                .unwrap_or_default()
        });
        notify::llm_text(n, view.as_ref(), tail.as_deref().unwrap_or(""))
    }
}

/// The work, with heartbeats written while it runs and its timeout.
async fn with_heartbeat(
    fut: BoxFuture<'static, WorkEnd>,
    store: &TaskStore,
    id: &str,
    _timeout_s: Option<i64>,
) -> WorkEnd {
    tokio::pin!(fut);
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.tick().await;
    loop {
        tokio::select! {
            end = &mut fut => return end,
            _ = beat.tick() => {
                let mut rt = store.read_runtime(id);
                if rt.finished_at.is_some() {
                    continue;
                }
                rt.heartbeat_at = Some(store::now());
                rt.updated_at = rt.heartbeat_at.unwrap_or_default();
                store.write_runtime(id, &rt);
            }
        }
    }
}

/// Write the terminal state (kimi-cli's worker, after its command ended).
fn finish(store: &TaskStore, id: &str, end: &WorkEnd) {
    let mut rt = store.read_runtime(id);
    if is_terminal(&rt.status) {
        // already ended (an agent task is marked killed when its stop is asked, as kimi-cli
        // does): the first end stands
        return;
    }
    let control = store.read_control(id);
    let t = store::now();
    rt.finished_at = Some(t);
    rt.updated_at = t;
    rt.heartbeat_at = Some(t);
    match end {
        WorkEnd::TimedOut { exit_code, reason } => {
            rt.exit_code = *exit_code;
            rt.status = "failed".into();
            rt.interrupted = true;
            rt.timed_out = true;
            let timeout = store.view(id).and_then(|v| v.spec.timeout_s).unwrap_or(0);
            rt.failure_reason = Some(reason.clone().unwrap_or_else(|| {
                crate::tools::util::msg(
                    "task.timed_out_reason",
                    &[("{timeout}", &timeout.to_string())],
                )
            }));
        }
        WorkEnd::Stopped { exit_code } => {
            rt.exit_code = *exit_code;
            rt.status = "killed".into();
            rt.interrupted = true;
            rt.failure_reason = Some(control.kill_reason.unwrap_or_else(|| "Killed".into()));
        }
        WorkEnd::Exited { exit_code, .. } if control.kill_requested_at.is_some() => {
            rt.exit_code = *exit_code;
            rt.status = "killed".into();
            rt.interrupted = true;
            rt.failure_reason = Some(control.kill_reason.unwrap_or_else(|| "Killed".into()));
        }
        WorkEnd::Exited { exit_code, ok } => {
            rt.exit_code = *exit_code;
            if *ok {
                rt.status = "completed".into();
                rt.failure_reason = None;
            } else {
                rt.status = "failed".into();
                rt.failure_reason = Some(crate::tools::util::msg(
                    "task.failed_reason",
                    &[("{code}", &exit_code.unwrap_or(-1).to_string())],
                ));
            }
        }
        WorkEnd::Failed(reason) => {
            rt.status = "failed".into();
            rt.failure_reason = Some(reason.clone());
        }
    }
    store.write_runtime(id, &rt);
}

/// SIGTERM (or SIGKILL with `force`) to a process group.
fn signal_group(pgid: Option<i64>, force: bool) {
    #[cfg(unix)]
    if let Some(pid) = pgid
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        let sig = if force {
            rustix::process::Signal::KILL
        } else {
            rustix::process::Signal::TERM
        };
        let _ = rustix::process::kill_process_group(pid, sig);
    }
    #[cfg(not(unix))]
    let _ = (pgid, force);
}

/// A shell command run in the background (kimi-cli's `bash` task).
pub struct ShellWork {
    pub command: String,
    pub shell_name: String,
    pub shell_path: PathBuf,
    pub shell_args: Vec<String>,
    pub cwd: PathBuf,
    pub timeout_s: i64,
}

impl TaskWork for ShellWork {
    fn kind(&self) -> TaskKind {
        TaskKind::Bash
    }

    fn describe(&mut self, spec: &mut TaskSpec) {
        spec.command = Some(self.command.clone());
        spec.shell_name = Some(self.shell_name.clone());
        spec.shell_path = Some(self.shell_path.display().to_string());
        spec.cwd = Some(self.cwd.display().to_string());
    }

    fn run(
        self: Box<Self>,
        output: std::fs::File,
        mut stop: watch::Receiver<Option<String>>,
        started: Box<dyn FnOnce(Option<i64>) + Send>,
        grace: Duration,
    ) -> BoxFuture<'static, WorkEnd> {
        Box::pin(async move {
            let err = match output.try_clone() {
                Ok(f) => f,
                Err(e) => return WorkEnd::Failed(e.to_string()),
            };
            let mut cmd = tokio::process::Command::new(&self.shell_path);
            cmd.args(&self.shell_args)
                .current_dir(&self.cwd)
                .env("SHELL", &self.shell_path)
                .stdin(std::process::Stdio::null())
                .stdout(output)
                .stderr(err);
            // its own group, so stopping it stops what it started
            #[cfg(unix)]
            cmd.process_group(0);
            let mut child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => return WorkEnd::Failed(e.to_string()),
            };
            let pid = child.id().map(i64::from);
            started(pid);
            let code = |s: std::io::Result<std::process::ExitStatus>| {
                s.ok().map(|s| super::shell::exit_code(&s))
            };
            let limit = Duration::from_secs(self.timeout_s.max(1) as u64);
            let stopping = async {
                let _ = stop.wait_for(Option::is_some).await;
            };
            enum Why {
                Timeout,
                Stop,
            }
            let why = tokio::select! {
                s = child.wait() => {
                    let exit_code = code(s);
                    return WorkEnd::Exited { exit_code, ok: exit_code == Some(0) };
                }
                _ = tokio::time::sleep(limit) => Why::Timeout,
                _ = stopping => Why::Stop,
            };
            // SIGTERM to the group, SIGKILL after the grace period (elsewhere: the process)
            signal_group(pid, false);
            #[cfg(not(unix))]
            let _ = child.start_kill();
            let exit_code = match tokio::time::timeout(grace, child.wait()).await {
                Ok(s) => code(s),
                Err(_) => {
                    signal_group(pid, true);
                    code(child.wait().await)
                }
            };
            match why {
                Why::Timeout => WorkEnd::TimedOut {
                    exit_code,
                    reason: None,
                },
                Why::Stop => WorkEnd::Stopped { exit_code },
            }
        })
    }
}

/// kimi-cli's `format_task`.
pub fn format_task(view: &TaskView, include_command: bool) -> String {
    let mut lines = vec![
        format!("task_id: {}", view.spec.id),
        format!("kind: {}", view.spec.kind),
        format!("status: {}", view.runtime.status),
        format!("description: {}", view.spec.description),
    ];
    agent_lines(view, &mut lines);
    if include_command {
        if let Some(c) = view.spec.command.as_deref().filter(|c| !c.is_empty()) {
            lines.push(format!("command: {c}"));
        }
    }
    end_lines(view, &mut lines);
    lines.join("\n")
}

/// The agent id and type lines of an agent task.
/// A task's `exit_code` and `reason` lines, where it has them (kimi-cli's task views end so).
pub fn end_lines(view: &TaskView, lines: &mut Vec<String>) {
    if let Some(c) = view.runtime.exit_code {
        lines.push(format!("exit_code: {c}"));
    }
    if let Some(r) = view
        .runtime
        .failure_reason
        .as_deref()
        .filter(|r| !r.is_empty())
    {
        lines.push(format!("reason: {r}"));
    }
}

pub fn agent_lines(view: &TaskView, lines: &mut Vec<String>) {
    if view.spec.kind != "agent" {
        return;
    }
    let Some(p) = view.spec.kind_payload.as_ref() else {
        return;
    };
    for key in ["agent_id", "subagent_type"] {
        if let Some(v) = p.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()) {
            lines.push(format!("{key}: {v}"));
        }
    }
}

/// kimi-cli's `BackgroundTaskDisplayBlock`.
pub fn display_block(view: &TaskView) -> kagent_base::tool::DisplayBlock {
    kagent_base::tool::DisplayBlock(serde_json::json!({
        "type": "background_task",
        "task_id": view.spec.id,
        "kind": view.spec.kind,
        "status": view.runtime.status,
        "description": view.spec.description,
    }))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn shell(command: &str, timeout_s: i64, cwd: &Path) -> Box<ShellWork> {
        Box::new(ShellWork {
            command: command.into(),
            shell_name: "bash".into(),
            shell_path: "/bin/bash".into(),
            shell_args: vec!["-c".into(), command.into()],
            cwd: cwd.to_path_buf(),
            timeout_s,
        })
    }

    /// Whether the group still has a process, after its killed members had time to be
    /// reaped (by whoever inherited them).
    async fn group_alive(pgid: i64) -> bool {
        let pid = rustix::process::Pid::from_raw(pgid as i32).expect("a pid");
        for _ in 0..100 {
            if rustix::process::test_kill_process_group(pid).is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    async fn running(tasks: &TaskManager, id: &str) -> TaskView {
        for _ in 0..200 {
            let v = tasks.view(id).expect("the task");
            if v.runtime.status == "running" {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("task {id} never ran");
    }

    fn manager() -> (TaskManager, PathBuf) {
        let dir = std::env::temp_dir().join(format!("kagent-bg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let tasks = TaskManager::default();
        tasks.bind(&dir);
        (tasks, dir)
    }

    /// A task as another process left it: its spec, `runtime`, and `kill_asked`.
    fn left_behind(
        store: &TaskStore,
        id: &str,
        kind: TaskKind,
        runtime: store::TaskRuntime,
        kill_asked: bool,
        payload: Option<Value>,
    ) {
        let spec = TaskSpec {
            version: 1,
            id: id.into(),
            kind: kind.as_str().into(),
            session_id: "s".into(),
            description: id.into(),
            tool_call_id: "tc".into(),
            owner_role: "root".into(),
            created_at: store::now() - 60.0,
            command: None,
            shell_name: None,
            shell_path: None,
            cwd: None,
            timeout_s: None,
            kind_payload: payload,
        };
        store.create(&spec).unwrap();
        store.write_runtime(id, &runtime);
        if kill_asked {
            let control = store::TaskControl {
                kill_requested_at: Some(store::now() - 30.0),
                kill_reason: Some("asked to stop".into()),
                ..Default::default()
            };
            store.write_control(id, &control);
        }
    }

    /// Work of kind Agent that runs until it is stopped (as a background subagent does).
    struct Waits;

    impl TaskWork for Waits {
        fn kind(&self) -> TaskKind {
            TaskKind::Agent
        }
        fn describe(&mut self, _spec: &mut TaskSpec) {}
        fn run(
            self: Box<Self>,
            _output: std::fs::File,
            mut stop: watch::Receiver<Option<String>>,
            started: Box<dyn FnOnce(Option<i64>) + Send>,
            _grace: Duration,
        ) -> BoxFuture<'static, WorkEnd> {
            Box::pin(async move {
                started(None);
                let _ = stop.wait_for(Option::is_some).await;
                WorkEnd::Stopped { exit_code: None }
            })
        }
    }

    #[tokio::test]
    async fn recover_ends_the_tasks_no_process_runs() {
        let (tasks, dir) = manager();
        let store = tasks.store().unwrap();
        let old = store::now() - 20.0;
        let beat = |status: &str, heartbeat: Option<f64>| store::TaskRuntime {
            status: status.into(),
            started_at: Some(old),
            heartbeat_at: heartbeat,
            updated_at: old,
            ..store::TaskRuntime::new(old)
        };
        let instances = crate::session::subagents::SubagentStore::new(&dir);
        let launch = crate::session::subagents::LaunchSpec {
            agent_id: "a1".into(),
            subagent_type: "coder".into(),
            model_override: None,
            effective_model: None,
            created_at: old,
        };
        instances.create_instance("gone", launch).unwrap();
        instances
            .update_instance("a1", "running_background", None)
            .unwrap();
        // this process's own agent task (no heartbeat, as kimi-cli writes none for one)
        let mine = tasks
            .start(Box::new(Waits), "mine", "tc-m", None)
            .unwrap()
            .spec
            .id;
        let payload = Some(serde_json::json!({"agent_id": "a1"}));
        left_behind(
            &store,
            "agent-gone",
            TaskKind::Agent,
            beat("running", None),
            false,
            payload,
        );
        left_behind(
            &store,
            "bash-expired",
            TaskKind::Bash,
            beat("running", Some(old)),
            false,
            None,
        );
        left_behind(
            &store,
            "bash-never",
            TaskKind::Bash,
            beat("starting", None),
            false,
            None,
        );
        left_behind(
            &store,
            "bash-stopped",
            TaskKind::Bash,
            beat("running", Some(old)),
            true,
            None,
        );
        let fresh = Some(store::now() - 2.0);
        left_behind(
            &store,
            "bash-fresh",
            TaskKind::Bash,
            beat("running", fresh),
            false,
            None,
        );
        left_behind(
            &store,
            "bash-done",
            TaskKind::Bash,
            beat("completed", Some(old)),
            false,
            None,
        );

        tasks.recover();
        let status = |id: &str| {
            let rt = store.read_runtime(id);
            (rt.status, rt.failure_reason)
        };
        let says = |key: &str| Some(crate::tools::util::msg(key, &[]));
        assert_eq!(
            status("agent-gone"),
            ("lost".into(), says("task.recover.agent_gone"))
        );
        assert_eq!(instances.get_instance("a1").unwrap().status, "failed");
        assert_eq!(
            status("bash-expired"),
            ("lost".into(), says("task.recover.heartbeat_expired"))
        );
        assert_eq!(
            status("bash-never"),
            ("lost".into(), says("task.recover.never_heartbeat"))
        );
        assert_eq!(
            status("bash-stopped"),
            ("killed".into(), Some("asked to stop".into()))
        );
        assert_eq!(status("bash-fresh").0, "running");
        assert_eq!(status("bash-done").0, "completed");
        assert!(!is_terminal(&store.read_runtime(&mine).status));
        assert!(store.read_runtime("agent-gone").finished_at.is_some());

        // a second kagent on the session (a resume): the first bind reconciles, so the task
        // this one ran is gone too, and every lost task has its notification
        let again = TaskManager::default();
        again.bind(&dir);
        assert_eq!(status(&mine).0, "lost");
        let notes = again.deliver("llm", 20);
        assert!(
            notes.iter().any(|n| n.source_id == "agent-gone"),
            "{notes:?}"
        );
        tasks.stop(&mine, "done");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn stop_ends_the_whole_group() {
        let (tasks, dir) = manager();
        let v = tasks
            .start(
                shell("sleep 30 & sleep 30; wait", 60, &dir),
                "d",
                "c1",
                Some(60),
            )
            .unwrap();
        assert_eq!(v.runtime.status, "starting");
        let pgid = running(&tasks, &v.spec.id)
            .await
            .runtime
            .child_pgid
            .unwrap();
        assert!(rustix::process::test_kill_process_group(
            rustix::process::Pid::from_raw(pgid as i32).unwrap()
        )
        .is_ok());
        let asked = tasks.stop(&v.spec.id, "no longer needed").unwrap();
        assert_eq!(asked.runtime.status, "running");
        assert!(asked.control.kill_requested_at.is_some());
        let end = tasks
            .wait(&v.spec.id, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(end.runtime.status, "killed");
        assert_eq!(
            end.runtime.failure_reason.as_deref(),
            Some("no longer needed")
        );
        assert_eq!(end.runtime.exit_code, Some(-15));
        assert!(
            !group_alive(pgid).await,
            "the background sleep outlived the stop"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn timeout_output_and_one_notification() {
        let (tasks, dir) = manager();
        let v = tasks
            .start(
                shell("echo first; sleep 30", 1, &dir),
                "slow",
                "c1",
                Some(1),
            )
            .unwrap();
        // not ended within the wait: the view as it is
        let early = tasks
            .wait(&v.spec.id, Duration::from_millis(200))
            .await
            .unwrap();
        assert!(!is_terminal(&early.runtime.status));
        let end = tasks
            .wait(&v.spec.id, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(end.runtime.status, "failed");
        assert!(end.runtime.timed_out && end.runtime.interrupted);
        assert_eq!(
            end.runtime.failure_reason.as_deref(),
            Some("Ran past its 1s timeout")
        );
        assert_eq!(end.runtime.exit_code, Some(-15));
        assert!(!group_alive(end.runtime.child_pgid.unwrap()).await);
        let store = tasks.store().unwrap();
        assert_eq!(store.tail(&v.spec.id, 3000, 20), "first");
        let notes = tasks.deliver("llm", 4);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].title, "Background task ran out of time: slow");
        assert_eq!(notes[0].kind, "task.timed_out");
        let text = tasks.notification_message(&notes[0]);
        assert!(text.ends_with("Output tail:\nfirst\n</task-notification>\n</notification>"));
        // delivered once per sink; the wire still has it
        assert!(tasks.deliver("llm", 4).is_empty());
        assert_eq!(tasks.deliver("wire", 8).len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn configured_limit_and_keep_alive() {
        let (tasks, dir) = manager();
        tasks.configure(BackgroundConfig {
            max_running_tasks: 1,
            keep_alive_on_exit: true,
            ..BackgroundConfig::default()
        });
        let v = tasks
            .start(shell("sleep 30", 60, &dir), "one", "c1", Some(60))
            .unwrap();
        let e = tasks
            .start(shell("sleep 30", 60, &dir), "two", "c2", Some(60))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            crate::config::profile::active().message("task.too_many")
        );
        let pgid = running(&tasks, &v.spec.id)
            .await
            .runtime
            .child_pgid
            .unwrap();
        // kept alive on exit: still running, then stopped by hand
        tasks.shutdown().await;
        assert_eq!(tasks.view(&v.spec.id).unwrap().runtime.status, "running");
        tasks.stop(&v.spec.id, "test over");
        tasks
            .wait(&v.spec.id, Duration::from_secs(10))
            .await
            .unwrap();
        assert!(!group_alive(pgid).await);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn shutdown_stops_what_runs() {
        let (tasks, dir) = manager();
        let v = tasks
            .start(
                shell("trap '' TERM; echo trapped; sleep 30", 60, &dir),
                "stubborn",
                "c1",
                Some(60),
            )
            .unwrap();
        let pgid = running(&tasks, &v.spec.id)
            .await
            .runtime
            .child_pgid
            .unwrap();
        // "running" comes with the pid, before the shell has set its trap: wait for the trap
        let store = tasks.store().unwrap();
        for _ in 0..500 {
            if store.tail(&v.spec.id, 3000, 20) == "trapped" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(store.tail(&v.spec.id, 3000, 20), "trapped");
        tasks.shutdown().await;
        let end = tasks.view(&v.spec.id).unwrap();
        assert_eq!(end.runtime.status, "killed");
        assert_eq!(
            end.runtime.failure_reason.as_deref(),
            Some("CLI session ended")
        );
        // the shell ignored SIGTERM: SIGKILL after the grace period
        assert_eq!(end.runtime.exit_code, Some(-9));
        assert!(!group_alive(pgid).await);
        assert_eq!(tasks.deliver("wire", 8).len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}
