//! `AskUserQuestion`: structured multiple-choice questions sent to the client as a
//! `QuestionRequest`. Offered only to clients that declared `supports_question`; in afk mode
//! the question is dismissed without asking.

use serde_json::{json, Map, Value};

use super::approval::{Approval, Client, Reply};
use super::args::{self, false_, Field, Kind, STR};
use super::{DisplayBlock, Tool, ToolContext, ToolReturnValue};
use kagent_base::BoxFuture;

pub const NAME: &str = "AskUserQuestion";

const OPTION_FIELDS: &[Field] = &[
    Field::required("label", STR),
    Field::optional("description", STR, args::empty_str),
];

const QUESTION_FIELDS: &[Field] = &[
    Field::required("question", STR),
    Field::optional("header", STR, args::empty_str),
    Field::required(
        "options",
        Kind::ListOf {
            model: "QuestionOptionParam",
            fields: OPTION_FIELDS,
            min: Some(2),
            max: Some(4),
        },
    ),
    Field::optional("multi_select", Kind::Bool, false_),
];

const FIELDS: &[Field] = &[Field::required(
    "questions",
    Kind::ListOf {
        model: "QuestionParam",
        fields: QUESTION_FIELDS,
        min: Some(1),
        max: Some(4),
    },
)];

pub struct AskUserQuestion {
    approval: Approval,
}

impl AskUserQuestion {
    pub fn new(approval: Approval) -> Self {
        AskUserQuestion { approval }
    }
}

/// A fixed text of the profile (`messages`, `ask.*`).
fn msg(key: &str) -> &'static str {
    crate::config::profile::active().message(key)
}

fn result(output: &str, message: &str, brief: &str) -> ToolReturnValue {
    ToolReturnValue {
        is_error: false,
        output: super::ToolOutput::Text(output.into()),
        message: message.into(),
        display: vec![DisplayBlock::brief(brief)],
        extras: None,
        rejection: None,
    }
}

/// `QuestionResponse.answers`, or `None` when the response is not a valid one.
fn parse_answers(v: &Value) -> Option<Map<String, Value>> {
    let obj = v.as_object()?;
    if !obj.get("request_id")?.is_string() {
        return None;
    }
    let answers = obj.get("answers")?.as_object()?;
    if !answers.values().all(Value::is_string) {
        return None;
    }
    Some(answers.clone())
}

/// The client cannot answer questions (it did not declare `supports_question`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

/// Ask the client `questions` (wire `QuestionItem`s) for tool call `ctx.tool_call_id` and
/// return the answers, empty when the user dismissed them, the client answered with an
/// error or an invalid response, or the connection closed.
pub async fn ask(
    client: &Client,
    ctx: &ToolContext,
    questions: Vec<Value>,
) -> Result<Map<String, Value>, Unsupported> {
    let id = uuid::Uuid::new_v4().to_string();
    let payload = json!({"id": id, "tool_call_id": ctx.tool_call_id, "questions": questions});
    // Recorded like any soul-side request; only then is the client's capability checked
    // (kimi-cli's wire server refuses it on the client's behalf).
    if let Some(w) = &ctx.wire {
        w.record_request("QuestionRequest", payload.clone());
    }
    if !client.supports_question() {
        return Err(Unsupported);
    }
    Ok(
        match client.request(&id, "QuestionRequest", payload).await {
            Reply::Result(v) => parse_answers(&v).unwrap_or_default(),
            Reply::Error(_) | Reply::Closed => Map::new(),
        },
    )
}

impl Tool for AskUserQuestion {
    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        "Ask the user one to four multiple-choice questions and wait for the answers.\n\n\
         - Use it when a decision genuinely needs the user's preference or information you cannot find yourself; do not ask about things you can decide or look up.\n\
         - Each question has 2-4 distinct options; an \"Other\" free-text choice is added automatically, so do not include one.\n\
         - Set `multi_select` when several options may apply.\n\
         - The answer maps each question to the chosen label(s)."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "questions": {
                    "description": "One to four questions for the user.",
                    "items": {
                        "properties": {
                            "question": {"description": "The question itself, concrete and ending with '?'.", "type": "string"},
                            "header": {"default": "", "description": "A tag of at most 12 characters shown above the question (e.g. 'Tests', 'Naming').", "type": "string"},
                            "options": {
                                "description": "Two to four clearly different answers. An 'Other' answer is added automatically; do not add one.",
                                "items": {
                                    "properties": {
                                        "label": {"description": "The answer as shown, in one to five words; add '(Recommended)' to the one you suggest.", "type": "string"},
                                        "description": {"default": "", "description": "What choosing this answer means, briefly.", "type": "string"}
                                    },
                                    "required": ["label"],
                                    "type": "object"
                                },
                                "maxItems": 4,
                                "minItems": 2,
                                "type": "array"
                            },
                            "multi_select": {"default": false, "description": "Allow the user to pick more than one answer.", "type": "boolean"}
                        },
                        "required": ["question", "options"],
                        "type": "object"
                    },
                    "maxItems": 4,
                    "minItems": 1,
                    "type": "array"
                }
            },
            "required": ["questions"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let approval = self.approval.clone();
        Box::pin(async move {
            let p = match args::validate(&arguments, FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            if approval.is_afk() {
                return result(
                    msg("ask.afk.output"),
                    msg("ask.afk.message"),
                    msg("ask.afk.brief"),
                );
            }
            let client = approval.client();
            let questions: Vec<Value> = p
                .get("questions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|q| {
                    let options: Vec<Value> = q["options"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|o| json!({"label": o["label"], "description": o["description"]}))
                        .collect();
                    json!({
                        "question": q["question"], "header": q["header"], "options": options,
                        "multi_select": q["multi_select"], "body": "", "other_label": "",
                        "other_description": "",
                    })
                })
                .collect();
            let answers = match ask(client, &ctx, questions).await {
                Ok(a) => a,
                Err(Unsupported) => {
                    return ToolReturnValue::error(msg("ask.unsupported"), "Client unsupported")
                }
            };
            if answers.is_empty() {
                return result(
                    msg("ask.dismissed.output"),
                    msg("ask.dismissed.message"),
                    "User dismissed",
                );
            }
            let out = kagent_base::py::json::dumps_utf8(&json!({"answers": answers}));
            result(&out, msg("ask.answered.message"), "User answered")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_validation() {
        assert!(parse_answers(&json!({"request_id": "r", "answers": {"Q?": "A"}})).is_some());
        assert!(parse_answers(&json!({"answers": {"Q?": "A"}})).is_none());
        assert!(parse_answers(&json!({"request_id": "r", "answers": {"Q?": 1}})).is_none());
    }

    #[test]
    fn too_few_options_is_a_validation_error() {
        let e = args::validate(
            &json!({"questions": [{"question": "Q?", "options": [{"label": "a"}]}]}),
            FIELDS,
        )
        .unwrap_err();
        assert!(e.contains("questions.0.options\n  List should have at least 2 items after validation, not 1 [type=too_short"), "{e}");
    }
}
