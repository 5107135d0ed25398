//! The soul: one agent turn = TurnBegin, steps (LLM call + tool calls) until the model stops
//! calling tools, TurnEnd. Mirrors kimi-cli's `KimiSoul.run` / `_agent_loop` / `_step`.
//!
//! Cancellation: the whole turn future is raced against a [`CancelToken`]; every await point
//! is a cancellation point. Context records are written synchronously between awaits, so a
//! cancelled turn leaves `context.jsonl` with whole records only (user message and
//! checkpoints, never half an assistant step), and the next prompt works.

pub mod cancel;
pub mod compaction;
pub mod context;
pub mod export;
pub mod flow_runner;
pub mod git_context;
pub mod init;
pub mod injection;
pub mod notifications;
pub use kagent_base::message;
pub mod plan;
pub mod retry;
pub mod slash;
pub mod subagent;
pub mod system_prompt;
pub mod turn_hooks;
pub mod workspace;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::config::LoopControl;
use crate::llm::{ChatProvider, ChatProviderError, StreamedPart};
use crate::session::{Session, SessionError, SessionState};
use crate::tools::{Dispatch, Rejection, ToolOutput, ToolResult, Toolset};
use crate::wire::types::{StatusUpdate, StepRetry, WireMessage};
use crate::wire::Wire;
use cancel::CancelToken;
use context::Context;
use message::{system_text, ContentPart, Message, Role, UserInput};

/// Why a turn did not finish normally.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error("LLM is not set")]
    LlmNotSet,
    #[error("{0}")]
    LlmNotSupported(String),
    #[error(transparent)]
    Provider(#[from] ChatProviderError),
    #[error("{}", crate::tools::util::msg("soul.max_steps", &[("{steps}", &.0.to_string())]))]
    MaxStepsReached(i64),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Internal(String),
}

impl From<SessionError> for TurnError {
    fn from(e: SessionError) -> Self {
        TurnError::Internal(format!("SessionError: {e}"))
    }
}

/// The configured model.
#[derive(Clone)]
pub struct Llm {
    pub provider: Arc<dyn ChatProvider>,
    pub max_context_size: i64,
    pub capabilities: Vec<String>,
}

/// Agent state that lives across turns.
pub struct Soul {
    pub llm: Option<Llm>,
    pub context: Context,
    pub toolset: Toolset,
    pub loop_control: LoopControl,
    pub session: Session,
    /// Session state shared with the server (plan mode can change while a turn runs).
    pub state: Arc<Mutex<SessionState>>,
    pub system_prompt: String,
    pub work_dir: PathBuf,
    /// The work dir and the additional directories (shared with the file tools).
    pub workspace: crate::session::workspace::Workspace,
    /// Steers queued by the server while a turn runs.
    pub steer_queue: Arc<Mutex<VecDeque<UserInput>>>,
    /// State of the dynamic injections (plan-mode and afk reminders).
    pub injections: injection::Injections,
    /// Configured hooks and client hook subscriptions.
    pub hooks: Arc<crate::hooks::HookEngine>,
    /// The session's skills (`/skill:<name>` commands).
    pub skills: Arc<crate::skills::Skills>,
    /// The engine of the tool hooks (PreToolUse, ...) when it is not `hooks`: a nested soul
    /// (`/init`) has no turn hooks, but its tools are the agent's and keep theirs.
    pub tool_hooks: Option<Arc<crate::hooks::HookEngine>>,
    /// The `/flow:<name>` commands (flow skills with a valid diagram).
    pub flows: Vec<crate::skills::flow::FlowCommand>,
    /// The agent spec it runs (and its subagents' specs, kept for the `Agent` tool).
    pub agent: Arc<crate::config::agentspec::LoadedAgent>,
    /// The configured MCP servers, if any (their tools join `toolset` before the first turn).
    pub mcp: Option<crate::mcp::McpSession>,
    /// `[services]` of the configuration (the web tools' services).
    pub services: crate::config::Services,
    /// What the `Agent` tool of a root agent needs (`None`: a subagent or a nested soul).
    pub subagent_setup: Option<Arc<subagent::SubagentSetup>>,
}

/// Why a step ended the turn (kimi-cli's `StepStopReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    NoToolCalls,
    /// A tool call was rejected without feedback: the user takes over.
    ToolRejected,
    /// The same tool call over and over.
    ToolCallRepeat,
}

/// How a turn's agent loop ended (kimi-cli's `TurnOutcome`).
#[derive(Debug, Clone)]
pub struct TurnOutcome {
    pub stop_reason: StopReason,
    /// The last assistant message, when the model stopped by itself.
    pub final_message: Option<Message>,
    pub step_count: i64,
}

enum StepOutcome {
    Stop(StopReason, Message),
    Continue,
    /// `SendDMail` sent the context back to a checkpoint.
    BackToTheFuture(crate::tools::dmail::DMail),
}

impl Soul {
    pub fn plan_mode(&self) -> bool {
        kagent_base::sync::lock(&self.state).plan_mode()
    }

    /// Switch plan mode from a manual entry point (slash command, wire request, `--plan`).
    pub fn set_plan_mode(&mut self, on: bool) -> Result<bool, SessionError> {
        crate::session::plan::set_plan_mode(&self.state, &self.session.dir, on, true)
    }

    /// The plan file of the current plan session, if any.
    pub fn plan_file_path(&self) -> Option<PathBuf> {
        crate::session::plan::plan_file_path(&self.state)
    }

    /// A checkpoint of the context; with `SendDMail` among the tools it is announced to the
    /// model as a `CHECKPOINT <id>` user message (kimi-cli's `_checkpoint`).
    pub fn checkpoint(&mut self) -> Result<(), SessionError> {
        let id = self.context.checkpoint()?;
        if self.toolset.has_dmail() {
            let text = kagent_base::message::system_text(&format!("CHECKPOINT {id}"));
            self.context
                .append(&[Message::new(Role::User, vec![text])])?;
        }
        Ok(())
    }

    /// Change the shared state and persist it (re-reading the title from disk first).
    pub fn update_state(&self, f: impl FnOnce(&mut SessionState)) -> Result<(), SessionError> {
        update_state(&self.state, &self.session, f)
    }

    /// Run a turn. TurnBegin is always followed by TurnEnd, whatever the outcome.
    pub async fn run(
        &mut self,
        input: UserInput,
        wire: &Wire,
        cancel: &CancelToken,
    ) -> Result<(), TurnError> {
        let blocked = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(TurnError::Cancelled),
            b = crate::soul::turn_hooks::prompt_blocked(&self.hooks, &input, wire) => b,
        };
        if let Some(reason) = blocked {
            wire.send(WireMessage::TurnBegin { user_input: input });
            send_text(wire, &reason);
            wire.send(WireMessage::TurnEnd);
            wire.close();
            return Ok(());
        }
        // The prompt reaches context.jsonl before TurnBegin reaches the client (issue 19: a
        // kernel killed right after TurnBegin lost it, and an empty session was deleted).
        let persisted = self.persist_prompt(&input);
        wire.send(WireMessage::TurnBegin {
            user_input: input.clone(),
        });
        // the client hears of tasks that ended before the turn first (as in kimi-cli, whose
        // notification pump runs as soon as the turn yields)
        let tasks = self.toolset.tasks().clone();
        notifications::to_wire(&tasks, wire);
        // A close (stdin EOF) is polled after the body, so the body first runs on as far as
        // the closing unblocked it (see `cancel`).
        let result = tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(TurnError::Cancelled),
            r = async {
                if persisted? {
                    self.agent_loop(wire, cancel).await?;
                } else {
                    self.turn_body(input.clone(), wire, cancel).await?;
                }
                self.stop_hook(wire, cancel).await
            } => r,
            _ = cancel.closed_and_settled() => Err(TurnError::Cancelled),
            never = notifications::pump(&tasks, wire) => match never {},
        };
        wire.send(WireMessage::TurnEnd);
        // as kimi-cli, what ended meanwhile reaches the client after the turn too
        notifications::to_wire(&tasks, wire);
        wire.close();
        if result.is_ok() {
            self.auto_title(&input);
        }
        result
    }

    fn auto_title(&mut self, input: &UserInput) {
        let text = input.extract_text(" ");
        if slash::parse(text.trim()).is_some() {
            return;
        }
        let fresh = SessionState::load(&self.session.dir);
        if fresh.custom_title().is_some() {
            return;
        }
        let title = shorten(&text, 50);
        if title.is_empty() {
            return;
        }
        if let Err(e) = self.update_state(|s| s.set_custom_title(&title)) {
            kagent_base::logging::error(&format!("saving session state failed: {e}"));
        }
    }

    /// A plain prompt (not a slash command): what `user_turn` does before the agent loop —
    /// checks, checkpoint, the user message appended. `Ok(false)`: not a plain prompt.
    /// Ralph prompts are not plain: their flow writes the prompt itself.
    fn persist_prompt(&mut self, input: &UserInput) -> Result<bool, TurnError> {
        if slash::parse(input.extract_text(" ").trim()).is_some()
            || self.loop_control.max_ralph_iterations != 0
        {
            return Ok(false);
        }
        if self.llm.is_none() {
            return Err(TurnError::LlmNotSet);
        }
        let parts = input.clone().into_parts();
        self.check_capabilities(&parts)?;
        // the soul's checkpoint, as user_turn's (with SendDMail it also tells the model)
        self.checkpoint()?;
        self.context.append(&[Message::new(Role::User, parts)])?;
        Ok(true)
    }

    async fn turn_body(
        &mut self,
        input: UserInput,
        wire: &Wire,
        cancel: &CancelToken,
    ) -> Result<(), TurnError> {
        let text = input.extract_text(" ");
        if let Some((name, args)) = slash::parse(text.trim()) {
            // kimi-cli's command order: built-ins, `skill:<name>`, `flow:<name>` (the
            // prefixes keep the names apart)
            if let Some(skill) = self.skills.by_command(&name).cloned() {
                return self.run_skill(&skill, &args, wire, cancel).await;
            }
            if let Some(flow) = self.flow_command(&name) {
                return crate::soul::flow_runner::run_flow(
                    self, &flow.flow, &flow.name, &args, wire, cancel,
                )
                .await;
            }
            return slash::run(self, &name, &args, wire, cancel).await;
        }
        let iterations = self.loop_control.max_ralph_iterations;
        if iterations != 0 {
            return crate::soul::flow_runner::run_ralph(self, input, iterations, wire, cancel)
                .await;
        }
        self.user_turn(input.into_parts(), wire, cancel).await
    }

    /// `/skill:<name> args`: a turn whose user message is the skill file's text (read now),
    /// plus the request when there is one.
    async fn run_skill(
        &mut self,
        skill: &crate::skills::Skill,
        args: &str,
        wire: &Wire,
        cancel: &CancelToken,
    ) -> Result<(), TurnError> {
        let Some(text) = crate::skills::read_skill_text(skill) else {
            send_text(
                wire,
                &crate::tools::util::msg(
                    "soul.skill_load_failed",
                    &[
                        ("{prefix}", crate::skills::SKILL_COMMAND_PREFIX),
                        ("{name}", &skill.name),
                    ],
                ),
            );
            return Ok(());
        };
        let prompt = crate::skills::skill_prompt(&text, args);
        self.user_turn(vec![ContentPart::text(prompt)], wire, cancel)
            .await
    }

    /// kimi-cli's `_turn`: one user message, then the agent loop.
    async fn user_turn(
        &mut self,
        parts: Vec<ContentPart>,
        wire: &Wire,
        cancel: &CancelToken,
    ) -> Result<(), TurnError> {
        if self.llm.is_none() {
            return Err(TurnError::LlmNotSet);
        }
        self.check_capabilities(&parts)?;
        self.checkpoint()?;
        self.context.append(&[Message::new(Role::User, parts)])?;
        self.agent_loop(wire, cancel).await.map(drop)
    }

    /// One user message through the agent loop, as its own TurnBegin/TurnEnd inside the
    /// current turn (kimi-cli's `FlowRunner._flow_turn`). On an error no TurnEnd is sent, as
    /// in kimi-cli; the enclosing turn still ends.
    pub async fn nested_turn(
        &mut self,
        prompt: &str,
        wire: &Wire,
        cancel: &CancelToken,
    ) -> Result<TurnOutcome, TurnError> {
        self.nested_turn_input(UserInput::Text(prompt.to_string()), wire, cancel)
            .await
    }

    /// [`Soul::nested_turn`] with any user input (text or content parts).
    pub async fn nested_turn_input(
        &mut self,
        input: UserInput,
        wire: &Wire,
        cancel: &CancelToken,
    ) -> Result<TurnOutcome, TurnError> {
        wire.send(WireMessage::TurnBegin {
            user_input: input.clone(),
        });
        if self.llm.is_none() {
            return Err(TurnError::LlmNotSet);
        }
        let parts = input.into_parts();
        self.check_capabilities(&parts)?;
        self.checkpoint()?;
        self.context.append(&[Message::new(Role::User, parts)])?;
        let outcome = self.agent_loop(wire, cancel).await?;
        wire.send(WireMessage::TurnEnd);
        Ok(outcome)
    }

    /// The flow command called `name` (`flow:<skill>`), if any.
    fn flow_command(&self, name: &str) -> Option<crate::skills::flow::FlowCommand> {
        let skill = name.strip_prefix(crate::soul::flow_runner::COMMAND_PREFIX)?;
        self.flows.iter().find(|f| f.name == skill).cloned()
    }

    /// The Stop hook: a block with a reason runs one more turn with the reason as input.
    async fn stop_hook(&mut self, wire: &Wire, cancel: &CancelToken) -> Result<(), TurnError> {
        let Some(reason) = crate::soul::turn_hooks::stop_blocked(&self.hooks, wire).await else {
            return Ok(());
        };
        self.checkpoint()?;
        self.context
            .append(&[Message::new(Role::User, vec![ContentPart::text(reason)])])?;
        self.agent_loop(wire, cancel).await.map(drop)
    }

    fn check_capabilities(&self, parts: &[ContentPart]) -> Result<(), TurnError> {
        let Some(llm) = &self.llm else {
            return Err(TurnError::LlmNotSet);
        };
        let mut missing = vec![];
        for p in parts {
            let need = match p {
                ContentPart::ImageUrl(_) => "image_in",
                ContentPart::VideoUrl(_) => "video_in",
                ContentPart::Think { .. } => "thinking",
                _ => continue,
            };
            if !llm.capabilities.iter().any(|c| c == need) && !missing.contains(&need) {
                missing.push(need);
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(TurnError::LlmNotSupported(crate::tools::util::msg(
                "soul.llm_not_supported",
                &[
                    ("{model}", llm.provider.model_name()),
                    (
                        "{what}",
                        if missing.len() == 1 {
                            "capability"
                        } else {
                            "capabilities"
                        },
                    ),
                    ("{capabilities}", &missing.join(", ")),
                ],
            )))
        }
    }

    async fn agent_loop(
        &mut self,
        wire: &Wire,
        cancel: &CancelToken,
    ) -> Result<TurnOutcome, TurnError> {
        if let Some(mcp) = self.mcp.clone() {
            tokio::select! {
                r = mcp.before_turn(&mut self.toolset, wire) => r.map_err(TurnError::Internal)?,
                _ = cancel.cancelled() => return Err(TurnError::Cancelled),
            }
        }
        self.toolset.begin_turn();
        kagent_base::sync::lock(&self.steer_queue).clear();
        let max_steps = self.loop_control.max_steps_per_turn;
        let mut step_no: i64 = 0;
        loop {
            if cancel.is_stopping() {
                return Err(TurnError::Cancelled);
            }
            step_no += 1;
            if step_no > max_steps {
                return Err(TurnError::MaxStepsReached(max_steps));
            }
            wire.send(WireMessage::StepBegin { n: step_no });
            let outcome = async {
                if let Some(llm) = &self.llm {
                    let lc = &self.loop_control;
                    if compaction::should_auto_compact(
                        self.context.token_count_with_pending(),
                        llm.max_context_size,
                        lc.compaction_trigger_ratio,
                        lc.reserved_context_size,
                    ) {
                        kagent_base::logging::info(
                            crate::config::profile::active().message("soul.compacting.log"),
                        );
                        self.compact_context(wire, "", false).await?;
                    }
                }
                self.checkpoint()?;
                let n = self.context.n_checkpoints();
                kagent_base::sync::lock(self.toolset.denwa()).set_n_checkpoints(n);
                self.step(step_no, wire).await
            }
            .await;
            let outcome = match outcome {
                Ok(o) => o,
                Err(e) => {
                    kagent_base::logging::error(&format!("Agent step {step_no} failed: {e}"));
                    wire.send(WireMessage::StepInterrupted);
                    crate::soul::turn_hooks::stop_failure(&self.hooks, &e, wire);
                    return Err(e);
                }
            };
            if let StepOutcome::BackToTheFuture(dmail) = outcome {
                // back to the checkpoint, the D-Mail added after it; the next step starts
                // with a clean repeated-call state
                self.context.revert_to(dmail.checkpoint_id)?;
                self.toolset.begin_turn();
                self.checkpoint()?;
                let text = crate::config::profile::fill(
                    crate::config::profile::active()
                        .dmail_injection
                        .as_deref()
                        .unwrap_or_default(),
                    &[("{message}", dmail.message.trim())],
                );
                self.context.append(&[Message::new(
                    Role::User,
                    vec![kagent_base::message::system_text(&text)],
                )])?;
                self.consume_steers(wire)?;
                continue;
            }
            let steered = self.consume_steers(wire)?;
            match outcome {
                StepOutcome::Stop(..) if !steered && cancel.is_stopping() => {
                    return Err(TurnError::Cancelled)
                }
                StepOutcome::Stop(stop_reason, message) if !steered => {
                    return Ok(TurnOutcome {
                        stop_reason,
                        final_message: (stop_reason == StopReason::NoToolCalls).then_some(message),
                        step_count: step_no,
                    })
                }
                _ => continue,
            }
        }
    }

    fn consume_steers(&mut self, wire: &Wire) -> Result<bool, TurnError> {
        let mut any = false;
        loop {
            let next = kagent_base::sync::lock(&self.steer_queue).pop_front();
            let Some(input) = next else { break };
            let parts = input.clone().into_parts();
            self.check_capabilities(&parts)?;
            self.context.append(&[Message::new(Role::User, parts)])?;
            wire.send(WireMessage::SteerInput { user_input: input });
            any = true;
        }
        Ok(any)
    }

    async fn step(&mut self, step_no: i64, wire: &Wire) -> Result<StepOutcome, TurnError> {
        let (provider, max_context) = match &self.llm {
            Some(l) => (l.provider.clone(), l.max_context_size),
            None => return Err(TurnError::LlmNotSet),
        };
        let max_attempts = self.loop_control.max_retries_per_step.max(1);
        // Ended background tasks: one user message each (before the injections).
        for (note, text) in notifications::for_model(self.toolset.tasks()) {
            self.context
                .append(&[Message::new(Role::User, vec![ContentPart::text(text)])])?;
            crate::soul::turn_hooks::notification(&self.hooks, &note, wire);
        }
        // Dynamic injection: one user message with every provider's reminder.
        let reminders = self.injections.collect(&self.state, self.context.history());
        if !reminders.is_empty() {
            let combined: Vec<String> = reminders
                .iter()
                .map(|r| format!("<system-reminder>\n{r}\n</system-reminder>"))
                .collect();
            let part = ContentPart::text(combined.join("\n"));
            self.context
                .append(&[Message::new(Role::User, vec![part])])?;
        }
        let tools = self.toolset.definitions();
        let history = normalize_history(self.context.history());
        let mut attempt: i64 = 1;
        provider.set_context_tokens(self.context.token_count_with_pending());
        let generated = loop {
            let mut result = self
                .generate_once(provider.as_ref(), &tools, &history, wire)
                .await;
            // kimi-cli's connection recovery: a connection error or timeout of an HTTP provider
            // is retried once at once (no StepRetry); a second one in a row is not retried.
            let mut recovery_exhausted = false;
            if let Err(e @ (ChatProviderError::Connection(_) | ChatProviderError::Timeout(_))) =
                &result
            {
                if provider.recovers_connections() {
                    kagent_base::logging::info(&crate::tools::util::msg(
                        "soul.recovered.log",
                        &[
                            ("{name}", "step"),
                            ("{error_type}", &format!("{}: {e}", e.type_name())),
                        ],
                    ));
                    result = self
                        .generate_once(provider.as_ref(), &tools, &history, wire)
                        .await;
                    recovery_exhausted = matches!(
                        result,
                        Err(ChatProviderError::Connection(_) | ChatProviderError::Timeout(_))
                    );
                }
            }
            match result {
                Ok(g) => break g,
                Err(e) if e.is_retryable() && !recovery_exhausted && attempt < max_attempts => {
                    let wait_s = retry::backoff_seconds(attempt as u32);
                    kagent_base::logging::warn(&format!(
                        "Retrying step for the {attempt} time (last error: {}: {e}). Waiting {wait_s} seconds.",
                        e.type_name()
                    ));
                    wire.send(WireMessage::StepRetry(StepRetry {
                        n: step_no,
                        next_attempt: attempt + 1,
                        max_attempts,
                        wait_s,
                        error_type: e.type_name().to_string(),
                        status_code: e.status_code(),
                    }));
                    tokio::time::sleep(std::time::Duration::from_secs_f64(wait_s)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        };

        let Generated {
            message,
            id,
            usage,
            dispatched,
        } = generated;
        // A call that could not be dispatched fails the whole step, as kimi-cli's escaping
        // exception does: nothing of it reaches the context.
        if let Some(fatal) = dispatched.iter().find_map(|d| match d {
            Dispatch::Fatal(m) => Some(m.clone()),
            _ => None,
        }) {
            return Err(TurnError::Internal(fatal));
        }
        let calls = message.tool_calls.clone().unwrap_or_default();
        let mut status = StatusUpdate {
            token_usage: usage,
            message_id: id,
            plan_mode: Some(self.plan_mode()),
            ..StatusUpdate::default()
        };
        // kimi-cli's tool calls start (and already-known results reach the wire) at the step's
        // next real await. With usage that is the `_usage` write, before the StatusUpdate, so
        // an external tool's ToolCallRequest comes first; without usage they come after it.
        let mut results: Vec<ToolResult> = vec![];
        let mut pending: Vec<kagent_base::BoxFuture<'static, ToolResult>> = vec![];
        let tool_hooks = self.tool_hooks.as_ref().unwrap_or(&self.hooks);
        // Plan mode as the tools found it once the StatusUpdate was out (kimi-cli's
        // `plan_mode_before_tools`): tools started before then may have switched it already.
        let plan_mode_before_tools;
        if let Some(u) = usage {
            self.context.update_token_count(u.input())?;
            let dispatched =
                crate::hooks::tools::guard_dispatched(tool_hooks, dispatched, &calls, wire);
            start_tools(
                dispatched,
                &calls,
                &self.toolset,
                wire,
                &mut results,
                &mut pending,
            );
            let tokens = self.context.token_count();
            status.context_tokens = Some(tokens);
            status.max_context_tokens = Some(max_context);
            status.context_usage = Some(if max_context > 0 {
                tokens as f64 / max_context as f64
            } else {
                0.0
            });
            wire.send(WireMessage::StatusUpdate(status));
            plan_mode_before_tools = self.plan_mode();
        } else {
            wire.send(WireMessage::StatusUpdate(status));
            plan_mode_before_tools = self.plan_mode();
            let dispatched =
                crate::hooks::tools::guard_dispatched(tool_hooks, dispatched, &calls, wire);
            start_tools(
                dispatched,
                &calls,
                &self.toolset,
                wire,
                &mut results,
                &mut pending,
            );
        }

        // Await running tools; each reports its result as soon as it finishes.
        let mut handles = vec![];
        for fut in pending {
            let w = wire.clone();
            handles.push(tokio::spawn(async move {
                let r = fut.await;
                w.send(WireMessage::ToolResult(r.clone()));
                r
            }));
        }
        let guard = AbortOnDrop(handles.iter().map(|h| h.abort_handle()).collect());
        for h in handles {
            match h.await {
                Ok(r) => results.push(r),
                Err(e) => return Err(TurnError::Internal(format!("tool task failed: {e}"))),
            }
        }
        drop(guard);
        // EnterPlanMode / ExitPlanMode switched plan mode: tell the client.
        let plan_mode = self.plan_mode();
        if plan_mode != plan_mode_before_tools {
            wire.send(WireMessage::StatusUpdate(StatusUpdate {
                plan_mode: Some(plan_mode),
                ..StatusUpdate::default()
            }));
        }
        // Tool messages in call order.
        let order: Vec<String> = message
            .tool_calls
            .iter()
            .flatten()
            .map(|c| c.id.clone())
            .collect();
        results.sort_by_key(|r| {
            order
                .iter()
                .position(|id| *id == r.tool_call_id)
                .unwrap_or(usize::MAX)
        });

        // Grow the context.
        let has_tool_calls = message.tool_calls.as_ref().is_some_and(|c| !c.is_empty());
        let tool_messages: Vec<Message> = results.iter().map(tool_result_to_message).collect();
        // as kimi-cli: a tool result the model cannot take (an MCP image for a model without
        // `image_in`) ends the turn before the step joins the context
        for tm in &tool_messages {
            self.check_capabilities(&tm.content)?;
        }
        self.context.append(std::slice::from_ref(&message))?;
        if let Some(u) = usage {
            self.context.update_token_count(u.total())?;
        }
        self.context.append(&tool_messages)?;

        self.toolset.end_step();
        // A plain rejection (no feedback) stops the turn: the user wants to take over.
        let rejections: Vec<_> = results
            .iter()
            .filter_map(|r| r.return_value.rejection)
            .collect();
        if !rejections.is_empty() && !rejections.contains(&Rejection::WithFeedback) {
            let _ = kagent_base::sync::lock(self.toolset.denwa()).take_pending();
            return Ok(StepOutcome::Stop(StopReason::ToolRejected, message));
        }
        if let Some(dmail) = kagent_base::sync::lock(self.toolset.denwa()).take_pending() {
            return Ok(StepOutcome::BackToTheFuture(dmail));
        }
        // The same call over and over: stop the turn (kimi-cli's `tool_call_repeat`).
        if self.toolset.force_stop_turn() {
            return Ok(StepOutcome::Stop(StopReason::ToolCallRepeat, message));
        }
        Ok(if has_tool_calls {
            StepOutcome::Continue
        } else {
            StepOutcome::Stop(StopReason::NoToolCalls, message)
        })
    }

    /// One LLM call: stream parts to the wire, assemble the message, dispatch tool calls.
    async fn generate_once(
        &self,
        provider: &dyn ChatProvider,
        tools: &[kagent_base::tool::ToolDefinition],
        history: &[Message],
        wire: &Wire,
    ) -> Result<Generated, ChatProviderError> {
        self.toolset.begin_step();
        let mut stream = provider
            .generate(&self.system_prompt, tools, history)
            .await?;
        let mut message = Message::new(Role::Assistant, vec![]);
        let mut pending_part: Option<StreamedPart> = None;
        let mut dispatched = vec![];
        while let Some(part) = stream.next_part().await {
            let part = part?;
            wire.send(match &part {
                StreamedPart::Content(c) => WireMessage::ContentPart(c.clone()),
                StreamedPart::ToolCall(c) => WireMessage::ToolCall(c.clone()),
                StreamedPart::ToolCallPart(p) => WireMessage::ToolCallPart(p.clone()),
            });
            let merged = match (&mut pending_part, &part) {
                (None, _) => false,
                (Some(StreamedPart::Content(a)), StreamedPart::Content(b)) => a.merge(b),
                (Some(StreamedPart::ToolCall(a)), StreamedPart::ToolCallPart(b)) => {
                    a.merge_part(b);
                    true
                }
                (Some(StreamedPart::ToolCallPart(a)), StreamedPart::ToolCallPart(b)) => {
                    if let Some(extra) = &b.arguments_part {
                        a.arguments_part
                            .get_or_insert_with(String::new)
                            .push_str(extra);
                    }
                    true
                }
                _ => false,
            };
            if !merged {
                if let Some(done) = pending_part.take() {
                    self.finish_part(done, &mut message, &mut dispatched, wire);
                }
                pending_part = Some(part);
            }
        }
        if let Some(done) = pending_part.take() {
            self.finish_part(done, &mut message, &mut dispatched, wire);
        }
        let has_calls = message.tool_calls.as_ref().is_some_and(|c| !c.is_empty());
        if message.content.is_empty() && !has_calls {
            return Err(ChatProviderError::EmptyResponse(
                "The API returned an empty response.".into(),
            ));
        }
        let has_think = message
            .content
            .iter()
            .any(|p| matches!(p, ContentPart::Think { .. }));
        let has_text = message
            .content
            .iter()
            .any(|p| matches!(p, ContentPart::Text(t) if !t.trim().is_empty()));
        if has_think && !has_text && !has_calls {
            return Err(ChatProviderError::EmptyResponse(
                "The API returned a response containing only thinking content without any text or tool calls. This usually indicates the stream was interrupted or the output token budget was exhausted during reasoning.".into(),
            ));
        }
        Ok(Generated {
            message,
            id: stream.id(),
            usage: stream.usage(),
            dispatched,
        })
    }

    fn finish_part(
        &self,
        part: StreamedPart,
        message: &mut Message,
        dispatched: &mut Vec<Dispatch>,
        wire: &Wire,
    ) {
        match part {
            StreamedPart::Content(c) => message.content.push(c),
            StreamedPart::ToolCall(call) => {
                dispatched.push(self.toolset.handle(&call, &self.work_dir, Some(wire)));
                message.tool_calls.get_or_insert_with(Vec::new).push(call);
            }
            // A stray argument fragment with no tool call to attach to is dropped (as kosong does).
            StreamedPart::ToolCallPart(_) => {}
        }
    }
}

struct Generated {
    message: Message,
    id: Option<String>,
    usage: Option<message::TokenUsage>,
    /// The step's tool calls as dispatched, in call order.
    dispatched: Vec<Dispatch>,
}

/// Start the step's tool calls in call order: known results go to the wire, running tools
/// are polled once so whatever they do first (asking the client) happens now. A tool done
/// by then reports with the others, after the StatusUpdate, unless it is one whose kimi-cli
/// implementation never awaited on the way ([`crate::tools::Tool::reports_at_once`]).
fn start_tools(
    dispatched: Vec<Dispatch>,
    calls: &[message::ToolCall],
    toolset: &Toolset,
    wire: &Wire,
    results: &mut Vec<ToolResult>,
    pending: &mut Vec<kagent_base::BoxFuture<'static, ToolResult>>,
) {
    let mut done_at_start = vec![];
    for (idx, d) in dispatched.into_iter().enumerate() {
        match d {
            Dispatch::Immediate(r) => {
                wire.send(WireMessage::ToolResult(r.clone()));
                results.push(r);
            }
            // `step` returned before starting any tool of a step with a fatal call
            Dispatch::Fatal(_) => {}
            Dispatch::Pending(mut fut) => {
                let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
                match fut.as_mut().poll(&mut cx) {
                    std::task::Poll::Ready(r) => {
                        let at_once = calls
                            .get(idx)
                            .and_then(|c| toolset.find(&c.name))
                            .is_some_and(|t| t.reports_at_once());
                        if at_once {
                            wire.send(WireMessage::ToolResult(r.clone()));
                            results.push(r);
                        } else {
                            done_at_start.push(r);
                        }
                    }
                    std::task::Poll::Pending => pending.push(fut),
                }
            }
        }
    }
    // reported once the caller has sent its StatusUpdate (spawned tools report later still)
    let ready: Vec<_> = done_at_start
        .into_iter()
        .map(|r| Box::pin(std::future::ready(r)) as kagent_base::BoxFuture<'static, ToolResult>)
        .collect();
    pending.splice(0..0, ready);
}

/// Aborts spawned tool tasks if the step is cancelled while awaiting them.
struct AbortOnDrop(Vec<tokio::task::AbortHandle>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for h in &self.0 {
            h.abort();
        }
    }
}

/// Persist a state change: fields other kernels/UIs may edit (title) are re-read first.
pub fn update_state(
    state: &Mutex<SessionState>,
    session: &Session,
    f: impl FnOnce(&mut SessionState),
) -> Result<(), SessionError> {
    let mut g = kagent_base::sync::lock(state);
    let fresh = SessionState::load(&session.dir);
    if let Some(t) = fresh.custom_title() {
        g.set_custom_title(t);
    }
    f(&mut g);
    g.save(&session.dir)
}

/// The history as sent to the model: adjacent user messages merged into one (kimi-cli's
/// `normalize_history`; e.g. the compaction summary and the next prompt).
pub fn normalize_history(history: &[Message]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(history.len());
    for m in history {
        match out.last_mut() {
            Some(last) if last.role == Role::User && m.role == Role::User => {
                let mut content = std::mem::take(&mut last.content);
                content.extend(m.content.iter().cloned());
                *last = Message::new(Role::User, content);
            }
            _ => out.push(m.clone()),
        }
    }
    out
}

/// kimi-cli's `tool_result_to_message`.
pub fn tool_result_to_message(r: &ToolResult) -> Message {
    let rv = &r.return_value;
    let output_parts = |out: &ToolOutput| -> Vec<ContentPart> {
        match out {
            ToolOutput::Text(s) if s.is_empty() => vec![],
            ToolOutput::Text(s) => vec![ContentPart::Text(s.clone())],
            ToolOutput::Parts(p) => p.clone(),
        }
    };
    let mut content = vec![];
    if rv.is_error {
        // kosong's ToolRuntimeError (a tool that raised): its message and brief say which
        let runtime_error = crate::hooks::tools::raised_error(rv).is_some();
        let note = if runtime_error {
            crate::config::profile::active().message("soul.tool_error.runtime_note")
        } else {
            ""
        };
        content.push(system_text(&format!("ERROR: {}{note}", rv.message)));
        content.extend(output_parts(&rv.output));
    } else {
        if !rv.message.is_empty() {
            content.push(system_text(&rv.message));
        }
        content.extend(output_parts(&rv.output));
        if content.is_empty() {
            content.push(system_text(
                crate::config::profile::active().message("soul.tool_output.empty"),
            ));
        } else if !content.iter().any(|p| matches!(p, ContentPart::Text(_))) {
            content.insert(
                0,
                system_text(crate::config::profile::active().message("soul.tool_output.non_text")),
            );
        }
    }
    let mut m = Message::new(Role::Tool, content);
    m.tool_call_id = Some(r.tool_call_id.clone());
    m
}

/// kimi-cli's `shorten`: normalize whitespace, cut at a word boundary near `width`, add "…".
pub fn shorten(text: &str, width: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text;
    }
    let mut cut = width - 1;
    if let Some(space) = chars[..(cut + 1).min(chars.len())]
        .iter()
        .rposition(|c| *c == ' ')
    {
        if space > 0 {
            cut = space;
        }
    }
    let head: String = chars[..cut].iter().collect();
    format!("{}\u{2026}", head.trim_end())
}

/// Send a text part (slash command output).
pub fn send_text(wire: &Wire, text: &str) {
    wire.send(WireMessage::ContentPart(ContentPart::text(text)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_like_kimi() {
        assert_eq!(shorten("hi  there", 50), "hi there");
        let long = "word ".repeat(20);
        let s = shorten(&long, 50);
        assert!(s.chars().count() <= 50 && s.ends_with('\u{2026}'));
    }

    #[test]
    fn error_tool_result_message() {
        let r = ToolResult {
            tool_call_id: "c1".into(),
            return_value: crate::tools::ToolReturnValue::error("Tool `Nope` not found", "x"),
        };
        assert_eq!(
            kagent_base::py::json::compact(&tool_result_to_message(&r).to_json()),
            r#"{"role":"tool","content":"<system>ERROR: Tool `Nope` not found</system>","tool_call_id":"c1"}"#
        );
    }
}
