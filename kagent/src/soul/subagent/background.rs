//! `Agent(run_in_background=true)`: the subagent runs as a task of the session's background
//! task manager, as kimi-cli 1.51's `BackgroundAgentRunner` runs it.
//!
//! The call answers at once with the task's id and how to follow it. The instance (new, or
//! resumed by `agent_id`) is `running_background` until the run ends: `idle` after a summary,
//! `failed`, or `killed` by `TaskStop` or the session's end. Its transcript goes to the
//! instance's `output` and to the task's `output.log`; its events only to the instance's own
//! wire file (kimi-cli shows the client no events of a background agent); its approvals go to
//! the root's client with `source_kind: background_agent` and the task id as `source_id`,
//! the task being `awaiting_approval` while one waits. When the task ends, the background
//! task manager makes it a notification like any task's. No Subagent hooks fire (kimi-cli
//! fires them around foreground runs only).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;

use super::{find_type, new_instance, prepare, Host, Output, Request, RunWires};
use crate::session::subagents::InstanceRecord;
use crate::tools::background::{StartError, TaskKind, TaskSpec, TaskWork, WorkEnd};
use crate::tools::util::msg;
use crate::tools::ToolReturnValue;
use kagent_base::BoxFuture;

/// Start the request in the background (kimi-cli's `AgentTool._run_in_background`).
pub(super) fn launch(host: Arc<Host>, req: Request, timeout: Option<i64>) -> ToolReturnValue {
    let store = &host.store;
    let (record, resumed) = match &req.resume {
        Some(id) => {
            let Some(record) = store.get_instance(id) else {
                return ToolReturnValue::error(
                    msg("subagent.instance_not_found", &[("{id}", id)]),
                    &msg("subagent.background.not_found.brief", &[]),
                );
            };
            if record.status == "running_foreground" || record.status == "running_background" {
                return ToolReturnValue::error(
                    msg(
                        "subagent.background.busy",
                        &[("{id}", &record.agent_id), ("{status}", &record.status)],
                    ),
                    &msg("subagent.background.busy.brief", &[]),
                );
            }
            // the model the instance was made with may have left the configuration
            if req.model.is_none() {
                let spec = match find_type(&host, &record.subagent_type) {
                    Ok((_, _, spec)) => spec,
                    Err(e) => {
                        return ToolReturnValue::error(
                            e,
                            &msg("subagent.background.bad_type.brief", &[]),
                        )
                    }
                };
                let effective = record.launch_spec.effective_model.clone().or(spec.model);
                if let Some(alias) = effective {
                    if (host.setup.models)(&alias).is_none() {
                        return ToolReturnValue::error(
                            msg("subagent.background.unknown_model", &[("{model}", &alias)]),
                            "Invalid model alias",
                        );
                    }
                }
            }
            (record, true)
        }
        None => match new_instance(
            &host,
            &req.requested_type,
            req.model.clone(),
            &req.description,
        ) {
            Ok(record) => (record, false),
            Err(e) => {
                return ToolReturnValue::error(e, &msg("subagent.background.bad_type.brief", &[]))
            }
        },
    };
    let agent_id = record.agent_id.clone();
    let actual_type = record.subagent_type.clone();
    // before the task exists, so that a resume asked meanwhile finds the instance busy
    if let Err(e) = store.update_instance(&agent_id, "running_background", None) {
        return ToolReturnValue::error(
            e.to_string(),
            &msg("subagent.background_failed.brief", &[]),
        );
    }
    let timeout_s = timeout.unwrap_or_else(|| host.tasks.agent_task_timeout_s());
    let work = AgentWork {
        host: host.clone(),
        record,
        resumed,
        model: req.model.clone(),
        prompt: req.prompt.clone(),
        timeout_s,
        task_id: String::new(),
    };
    let view = match host.tasks.start(
        Box::new(work),
        req.description.trim(),
        &req.parent_tool_call_id,
        Some(timeout_s),
    ) {
        Ok(view) => view,
        Err(e) => {
            let _ = store.update_instance(&agent_id, "idle", None);
            if !resumed {
                store.delete_instance(&agent_id);
            }
            let message = match e {
                StartError::TooMany => msg("task.too_many_agents", &[]),
                other => other.to_string(),
            };
            return ToolReturnValue::error(message, &msg("subagent.background_failed.brief", &[]));
        }
    };
    let lines = [
        format!("task_id: {}", view.spec.id),
        format!("kind: {}", view.spec.kind),
        format!("status: {}", view.runtime.status),
        format!("description: {}", view.spec.description),
        format!("agent_id: {agent_id}"),
        format!("actual_subagent_type: {actual_type}"),
        msg("subagent.background.notified", &[]),
        msg("subagent.background.next_notified", &[]),
        msg("subagent.background.next_output", &[]),
        msg(
            "subagent.background.resume_hint",
            &[("{agent_id}", &agent_id)],
        ),
    ];
    ToolReturnValue::ok(lines.join("\n"), msg("subagent.background.started", &[]))
}

/// A background run: the work of an `agent` task.
struct AgentWork {
    host: Arc<Host>,
    record: InstanceRecord,
    resumed: bool,
    model: Option<String>,
    prompt: String,
    timeout_s: i64,
    /// The task's id, known once the task is described.
    task_id: String,
}

impl TaskWork for AgentWork {
    fn kind(&self) -> TaskKind {
        TaskKind::Agent
    }

    fn describe(&mut self, spec: &mut TaskSpec) {
        self.task_id = spec.id.clone();
        spec.kind_payload = Some(json!({
            "agent_id": self.record.agent_id,
            "subagent_type": self.record.subagent_type,
            "prompt": self.prompt,
            "model_override": self.model,
            "launch_mode": "background",
        }));
    }

    fn run(
        self: Box<Self>,
        output: std::fs::File,
        mut stop: watch::Receiver<Option<String>>,
        started: Box<dyn FnOnce(Option<i64>) + Send>,
        _grace: Duration,
    ) -> BoxFuture<'static, WorkEnd> {
        Box::pin(async move {
            let this = *self;
            let store = this.host.store.clone();
            let agent_id = this.record.agent_id.clone();
            let out = Output {
                store: store.clone(),
                agent_id: agent_id.clone(),
                task_log: Some(Arc::new(Mutex::new(output))),
            };
            started(None);
            let timeout = Duration::from_secs(this.timeout_s.max(0) as u64);
            let stopped = async {
                let _ = stop.wait_for(Option::is_some).await;
            };
            tokio::select! {
                end = tokio::time::timeout(timeout, run_core(&this, &out)) => match end {
                    Ok(end) => end,
                    Err(_) => {
                        let reason = msg(
                            "subagent.background.timed_out",
                            &[("{timeout}", &this.timeout_s.to_string())],
                        );
                        let _ = store.update_instance(&agent_id, "failed", None);
                        out.error(&reason);
                        WorkEnd::TimedOut { exit_code: None, reason: Some(reason) }
                    }
                },
                () = stopped => {
                    // the run is dropped here, its tools with it
                    let _ = store.update_instance(&agent_id, "killed", None);
                    out.stage("cancelled");
                    WorkEnd::Stopped { exit_code: None }
                }
            }
        })
    }
}

/// The run itself (kimi-cli's `_run_core`), and how it ended.
async fn run_core(work: &AgentWork, out: &Output) -> WorkEnd {
    let host = &work.host;
    let store = &host.store;
    let agent_id = &work.record.agent_id;
    let subagent_type = &work.record.subagent_type;
    let tasks = host.tasks.clone();
    let task_id = work.task_id.clone();
    let approval = host.approval.for_background(
        agent_id,
        subagent_type,
        &work.task_id,
        Arc::new(move |waiting| tasks.set_awaiting_approval(&task_id, waiting)),
    );
    let failed = |message: String| {
        let _ = store.update_instance(agent_id, "failed", None);
        out.error(&message);
        WorkEnd::Failed(message)
    };
    let (mut soul, prompt) = match prepare(
        host,
        &work.record,
        work.resumed,
        work.model.as_ref(),
        &work.prompt,
        approval,
        out,
    )
    .await
    {
        Ok(prepared) => prepared,
        Err(e) => return failed(e),
    };
    out.stage("run_soul_start");
    let runs = RunWires {
        parent: None,
        store: store.clone(),
        output: out.clone(),
        agent_id: agent_id.clone(),
        subagent_type: subagent_type.clone(),
        parent_tool_call_id: String::new(),
    };
    match runs.run_with_summary(&mut soul, prompt).await {
        Err(f) => {
            let _ = store.update_instance(agent_id, "failed", None);
            out.stage(&format!("failed: {}", f.brief));
            WorkEnd::Failed(f.message)
        }
        Ok(summary) => {
            out.stage("run_soul_finished");
            out.summary(&summary);
            let _ = store.update_instance(agent_id, "idle", None);
            WorkEnd::Exited {
                exit_code: None,
                ok: true,
            }
        }
    }
}
