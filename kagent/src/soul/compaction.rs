//! Context compaction: when the context nears the model's window (or on `/compact`), the older
//! part of the history is summarized by the model and replaced by that summary, keeping the
//! last two user/assistant messages. Emits CompactionBegin/CompactionEnd around the work.

use super::{retry, Soul, TurnError};
use crate::llm::{ChatProviderError, StreamedPart};
use crate::wire::types::WireMessage;
use crate::wire::Wire;
use kagent_base::message::{system_text, ContentPart, Message, Role};

use crate::config::profile::{self, Text};

/// First text of the summary message that replaces the compacted history.
pub fn output_prefix() -> &'static str {
    profile::active().text(Text::CompactionOutputPrefix)
}

const PRESERVED: usize = 2;

/// Whether the context should be compacted before the next LLM call.
pub fn should_auto_compact(tokens: i64, max_context: i64, ratio: f64, reserved: i64) -> bool {
    max_context > 0
        && (tokens as f64 >= max_context as f64 * ratio || tokens + reserved >= max_context)
}

/// Split the history: (message asking for a summary of the older part, messages kept verbatim).
pub fn prepare(history: &[Message], custom: &str) -> (Option<Message>, Vec<Message>) {
    let mut start = history.len();
    let mut kept = 0;
    for (i, m) in history.iter().enumerate().rev() {
        if matches!(m.role, Role::User | Role::Assistant) {
            kept += 1;
            if kept == PRESERVED {
                start = i;
                break;
            }
        }
    }
    if kept < PRESERVED || start == 0 {
        return (None, history.to_vec());
    }
    let mut parts = vec![];
    for (i, m) in history[..start].iter().enumerate() {
        parts.push(ContentPart::Text(format!(
            "## Message {}\nRole: {}\nContent:\n",
            i + 1,
            m.role.as_str()
        )));
        parts.extend(
            m.content
                .iter()
                .filter(|p| matches!(p, ContentPart::Text(_)))
                .cloned(),
        );
    }
    let mut prompt = format!("\n{}", profile::active().text(Text::Compact));
    if !custom.is_empty() {
        prompt.push_str(&profile::active().compaction_custom(custom));
    }
    parts.push(ContentPart::Text(prompt));
    (
        Some(Message::new(Role::User, parts)),
        history[start..].to_vec(),
    )
}

impl Soul {
    /// Compact the context (auto or `/compact`).
    /// Compact the context; `manual` for `/compact` (hooks see the trigger).
    pub async fn compact_context(
        &mut self,
        wire: &Wire,
        custom: &str,
        manual: bool,
    ) -> Result<(), TurnError> {
        let Some(llm) = &self.llm else {
            return Err(TurnError::LlmNotSet);
        };
        let provider = llm.provider.clone();
        let trigger = crate::soul::turn_hooks::compaction_trigger(manual, custom);
        crate::soul::turn_hooks::pre_compact(
            &self.hooks,
            trigger,
            self.context.token_count(),
            wire,
        )
        .await;
        wire.send(WireMessage::CompactionBegin);
        let (request, preserved) = prepare(self.context.history(), custom);
        let mut messages = vec![];
        let mut summary_tokens = None;
        if let Some(request) = request {
            // Kimi clamps the summary's completion budget with the size of the context the
            // agent will continue with as the input floor (as kimi-cli does).
            let mut after = vec![Message::new(Role::User, vec![system_text(output_prefix())])];
            after.extend(preserved.iter().cloned());
            after.extend(self.active_tasks_message());
            provider.set_context_tokens(crate::llm::estimate::request_tokens(
                &self.system_prompt,
                &self.toolset.definitions(),
                &after,
            ));
            let max_attempts = self.loop_control.max_retries_per_step.max(1);
            let mut attempt = 1;
            let summary = loop {
                match summarize(provider.as_ref(), &request).await {
                    Ok((s, usage)) => {
                        summary_tokens = usage.map(|u| u.output);
                        break s;
                    }
                    Err(e) if e.is_retryable() && attempt < max_attempts => {
                        let wait = retry::backoff_seconds(attempt as u32);
                        kagent_base::logging::warn(&format!(
                            "Retrying compaction (last error: {}: {e}). Waiting {wait} seconds.",
                            e.type_name()
                        ));
                        tokio::time::sleep(std::time::Duration::from_secs_f64(wait)).await;
                        attempt += 1;
                    }
                    Err(e) => return Err(e.into()),
                }
            };
            let mut content = vec![system_text(output_prefix())];
            content.extend(summary);
            messages.push(Message::new(Role::User, content));
        }
        messages.extend(preserved);
        self.context.clear()?;
        self.checkpoint()?;
        self.context.append(&messages)?;
        // the summary's real size when the provider reported usage, the rest estimated
        let mut tokens = match summary_tokens {
            Some(out) if !messages.is_empty() => out + text_estimate(&messages[1..]),
            _ => text_estimate(&messages),
        };
        // what still runs, so the model knows after the summary (kimi-cli: the root agent)
        if let Some(active) = self.active_tasks_message() {
            let active = std::slice::from_ref(&active);
            self.context.append(active)?;
            tokens += text_estimate(active);
        }
        self.context.update_token_count(tokens)?;
        self.injections.on_context_compacted();
        wire.send(WireMessage::CompactionEnd);
        crate::soul::turn_hooks::post_compact(&self.hooks, trigger, tokens, wire);
        Ok(())
    }
}

impl Soul {
    /// The message naming the background tasks still active, for a root agent that has any.
    fn active_tasks_message(&self) -> Option<Message> {
        self.subagent_setup.as_ref()?;
        let snapshot = crate::tools::background::tools::active_task_snapshot(self.toolset.tasks())?;
        Some(Message::new(
            Role::User,
            vec![
                system_text(profile::active().message("compaction.active_tasks")),
                ContentPart::text(snapshot),
            ],
        ))
    }
}

/// kimi-cli's post-compaction estimate: characters of text parts / 4.
fn text_estimate(messages: &[Message]) -> i64 {
    let chars: usize = messages
        .iter()
        .flat_map(|m| m.content.iter())
        .map(|p| match p {
            ContentPart::Text(t) => t.chars().count(),
            _ => 0,
        })
        .sum();
    (chars / 4) as i64
}

async fn summarize(
    provider: &dyn crate::llm::ChatProvider,
    request: &Message,
) -> Result<(Vec<ContentPart>, Option<kagent_base::message::TokenUsage>), ChatProviderError> {
    let mut stream = provider
        .generate(
            profile::active().text(Text::CompactionSystem),
            &[],
            std::slice::from_ref(request),
        )
        .await?;
    let mut out: Vec<ContentPart> = vec![];
    while let Some(part) = stream.next_part().await {
        if let StreamedPart::Content(c) = part? {
            if matches!(c, ContentPart::Think { .. }) {
                continue;
            }
            let merged = out.last_mut().is_some_and(|last| last.merge(&c));
            if !merged {
                out.push(c);
            }
        }
    }
    Ok((out, stream.usage()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_and_prepare() {
        assert!(should_auto_compact(85, 100, 0.85, 10));
        assert!(should_auto_compact(60, 100, 0.85, 50));
        assert!(!should_auto_compact(10, 100_000, 0.85, 50_000));
        let h: Vec<Message> = ["a", "b", "c"]
            .iter()
            .map(|t| Message::new(Role::User, vec![ContentPart::text(*t)]))
            .collect();
        let (req, kept) = prepare(&h, "");
        assert_eq!(kept.len(), 2);
        let req = req.unwrap();
        assert!(req
            .extract_text("")
            .contains("## Message 1\nRole: user\nContent:\na"));
        let (none, all) = prepare(&h[..1], "");
        assert!(none.is_none() && all.len() == 1);
        // the instruction, then the user's focus
        let (req, _) = prepare(&h, "keep the db notes");
        let ContentPart::Text(last) = req.unwrap().content.last().cloned().unwrap() else {
            panic!("the instruction is text");
        };
        let compact = profile::active().text(Text::Compact);
        assert_eq!(
            last,
            format!(
                "\n{compact}\n\nThe user asked this compaction to focus on the following; \
                 give it priority over the points above:\nkeep the db notes"
            )
        );
    }
}
