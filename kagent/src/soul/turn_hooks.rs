//! Turn-level hooks: UserPromptSubmit (before TurnBegin), Stop (after the last step) and
//! StopFailure (a step failed).

use std::sync::Arc;

use crate::hooks::{events, first_block, HookEngine};
use crate::soul::TurnError;
use crate::wire::Wire;
use kagent_base::message::UserInput;

/// Run UserPromptSubmit; `Some(text to show)` when a hook blocked the prompt. The target
/// and `prompt` are the input text only when the input is a plain string.
pub async fn prompt_blocked(
    engine: &Arc<HookEngine>,
    input: &UserInput,
    wire: &Wire,
) -> Option<String> {
    let text = match input {
        UserInput::Text(s) => s.as_str(),
        UserInput::Parts(_) => "",
    };
    let payload = events::user_prompt_submit(engine.session_id(), &events::process_cwd(), text);
    let results = engine
        .trigger("UserPromptSubmit", text, payload, Some(wire))
        .await;
    first_block(&results).map(|b| {
        if b.reason.is_empty() {
            crate::config::profile::active()
                .message("hooks.prompt_blocked")
                .to_string()
        } else {
            b.reason.clone()
        }
    })
}

/// Run Stop; `Some(reason)` when a hook blocked with a reason (the turn goes on with it).
pub async fn stop_blocked(engine: &Arc<HookEngine>, wire: &Wire) -> Option<String> {
    let payload = events::stop(engine.session_id(), &events::process_cwd(), false);
    let results = engine.trigger("Stop", "", payload, Some(wire)).await;
    results
        .iter()
        .find(|r| r.action == crate::hooks::Action::Block && !r.reason.is_empty())
        .map(|r| r.reason.clone())
}

/// Fire StopFailure in the background for a failed step.
pub fn stop_failure(engine: &Arc<HookEngine>, error: &TurnError, wire: &Wire) {
    let error_type = match error {
        TurnError::Provider(e) => e.type_name(),
        TurnError::LlmNotSet => "LLMNotSet",
        TurnError::LlmNotSupported(_) => "LLMNotSupported",
        TurnError::MaxStepsReached(_) => "MaxStepsReached",
        TurnError::Cancelled => "CancelledError",
        TurnError::Internal(_) => "Exception",
    };
    let payload = events::stop_failure(
        engine.session_id(),
        &events::process_cwd(),
        error_type,
        &error.to_string(),
    );
    engine.fire_and_forget("StopFailure", error_type, payload, Some(wire));
}

/// kimi-cli's compaction trigger names.
pub fn compaction_trigger(manual: bool, custom: &str) -> &'static str {
    match (manual, custom.is_empty()) {
        (false, _) => "auto",
        (true, false) => "manual-with-prompt",
        (true, true) => "manual",
    }
}

/// PreCompact (awaited; its answer does not stop the compaction).
pub async fn pre_compact(engine: &Arc<HookEngine>, trigger: &str, token_count: i64, wire: &Wire) {
    let payload = events::pre_compact(
        engine.session_id(),
        &events::process_cwd(),
        trigger,
        token_count,
    );
    engine
        .trigger("PreCompact", trigger, payload, Some(wire))
        .await;
}

/// PostCompact (in the background).
pub fn post_compact(engine: &Arc<HookEngine>, trigger: &str, estimated: i64, wire: &Wire) {
    let payload = events::post_compact(
        engine.session_id(),
        &events::process_cwd(),
        trigger,
        estimated,
    );
    engine.fire_and_forget("PostCompact", trigger, payload, Some(wire));
}

/// Notification (in the background), for a notification the model gets; matched on its type.
pub fn notification(
    engine: &Arc<HookEngine>,
    n: &crate::tools::background::notify::Notification,
    wire: &Wire,
) {
    let payload = events::notification(
        engine.session_id(),
        &events::process_cwd(),
        "llm",
        &n.kind,
        &n.title,
        &n.body,
        &n.severity,
    );
    engine.fire_and_forget("Notification", &n.kind, payload, Some(wire));
}
