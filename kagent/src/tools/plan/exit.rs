//! `ExitPlanMode`: the model submits the plan file for the user's approval (kimi-cli 1.51's
//! tool; its texts are the profile's `messages`, `plan.exit.*`). Approve leaves plan mode; "Reject" stays in it and "Reject and Exit"
//! leaves it, both ending the turn; the free-text "Revise" answer is feedback for the model.

use serde_json::{json, Value};

use super::{done, msg, option, question, show_opt, unsupported, values, PlanControl};
use crate::tools::approval::Approval;
use crate::tools::args::{self, Field, Kind};
use crate::tools::ask_user::{ask, Unsupported};
use crate::tools::{Rejection, Tool, ToolContext, ToolReturnValue};
use crate::wire::types::WireMessage;
use kagent_base::BoxFuture;

pub const NAME: &str = "ExitPlanMode";

/// kagent's own description, advertised without a kimi-cli profile (with one, the model sees
/// kimi-cli's description from the profile).
const DESCRIPTION: &str = "Finish plan mode: show the plan you wrote to the plan file to the user and ask for approval. Call it only in plan mode, once the plan file holds the finished plan; the tool reads the plan from that file, so do not pass the plan text.\n\
\n\
If the plan describes alternative approaches, list them in `options` (two or three, each with a short label and a description of its trade-offs; mark the one you recommend with \"(Recommended)\" in its label). The labels \"Approve\", \"Reject\" and \"Revise\" are reserved. The user approves, picks an option, or rejects with feedback; after a rejection, revise the plan and call this tool again.\n\
\n\
This tool is the way to ask for approval: do not ask \"is this plan OK?\" with AskUserQuestion or in text. Settle open questions with AskUserQuestion before calling it, except in afk mode, where nobody answers and this tool is approved automatically. Yolo mode does not approve it: the user still reviews the plan.";

/// Labels the user's choices use; the model may not take them for its options.
const RESERVED: &[&str] = &["approve", "reject", "reject and exit", "revise"];
const APPROVE: &str = "Approve";
const REJECT: &str = "Reject";
const REJECT_AND_EXIT: &str = "Reject and Exit";

fn label_not_reserved(label: &str) -> Result<(), String> {
    if !RESERVED.contains(&label.trim().to_lowercase().as_str()) {
        return Ok(());
    }
    // Python's str.title() of the reserved words, sorted.
    let shown = ["'Approve'", "'Reject'", "'Reject And Exit'", "'Revise'"].join(", ");
    let label = kagent_base::py::repr::repr_value(&Value::String(label.to_string()));
    Err(msg(
        "plan.exit.reserved_label",
        &[("{label}", &label), ("{reserved}", &shown)],
    ))
}

const OPTION_FIELDS: &[Field] = &[
    Field::required("label", Kind::CheckedStr(label_not_reserved)),
    Field::optional("description", args::STR, args::empty_str),
];

const OPTIONS: Kind = Kind::ListOf {
    model: "PlanOption",
    fields: OPTION_FIELDS,
    min: None,
    max: Some(3),
};

const FIELDS: &[Field] = &[Field::optional(
    "options",
    Kind::Optional(&OPTIONS),
    args::null,
)];

struct PlanOption {
    label: String,
    description: String,
}

/// Validated arguments: the options, if any (`Err` is the model's error text).
fn parse(arguments: &Value) -> Result<Option<Vec<PlanOption>>, String> {
    let p = args::validate(arguments, FIELDS)?;
    let Some(items) = p.get("options").and_then(Value::as_array) else {
        return Ok(None);
    };
    let options: Vec<PlanOption> = items
        .iter()
        .map(|o| PlanOption {
            label: o["label"].as_str().unwrap_or_default().to_string(),
            description: o["description"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    if !options.iter().all(|o| seen.insert(o.label.as_str())) {
        return Err(args::format_errors(
            "Params",
            &[args::ErrorItem {
                loc: "options".into(),
                msg: format!("Value error, {}", msg("plan.exit.duplicate_labels", &[])),
                kind: "value_error",
                input: arguments["options"].clone(),
            }],
        ));
    }
    Ok(Some(options))
}

/// kimi-cli's `ToolRejectedError` without feedback: the turn stops after this step.
fn rejected(message: &str, brief: &str) -> ToolReturnValue {
    ToolReturnValue {
        rejection: Some(Rejection::Plain),
        ..ToolReturnValue::error(message, brief)
    }
}

/// The plan file's text, `None` when it is missing or unreadable.
fn read_plan(path: &std::path::Path) -> Option<String> {
    let data = std::fs::read(path).ok()?;
    // Python's read_text: strict UTF-8, universal newlines.
    let text = String::from_utf8(data).ok()?;
    Some(text.replace("\r\n", "\n").replace('\r', "\n"))
}

pub struct ExitPlanMode {
    plan: PlanControl,
    approval: Approval,
}

impl ExitPlanMode {
    pub fn new(plan: PlanControl, approval: Approval) -> Self {
        ExitPlanMode { plan, approval }
    }
}

impl Tool for ExitPlanMode {
    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn reports_at_once(&self) -> bool {
        true
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "options": {
                    "anyOf": [
                        {
                            "items": {
                                "description": "One of the plan's alternative approaches, offered for the user to pick.",
                                "properties": {
                                    "label": {"description": "Name of the approach in one to eight words; add '(Recommended)' to the one you suggest.", "type": "string"},
                                    "description": {"default": "", "description": "What this approach does and what it costs, briefly.", "type": "string"}
                                },
                                "required": ["label"],
                                "type": "object"
                            },
                            "maxItems": 3,
                            "type": "array"
                        },
                        {"type": "null"}
                    ],
                    "default": null,
                    "description": "The plan's alternative approaches, two or three, so the user can choose which one is carried out. Leave it out for a plan with one approach. 'Approve', 'Reject', 'Revise' and 'Reject and Exit' are reserved labels."
                }
            },
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let plan = self.plan.clone();
        let approval = self.approval.clone();
        Box::pin(async move {
            let options = match parse(&arguments) {
                Ok(o) => o,
                Err(e) => return args::validate_error(&e),
            };
            if !plan.is_on() {
                return ToolReturnValue::error(
                    msg("plan.exit.not_in_plan_mode", &[]),
                    "Not in plan mode",
                );
            }
            let path = plan.path();
            // kimi-cli reads the plan file in a worker thread: the result comes later.
            tokio::task::yield_now().await;
            let content = path.as_deref().and_then(read_plan).unwrap_or_default();
            let shown = show_opt(&path);
            if content.is_empty() {
                return ToolReturnValue::error(
                    msg("plan.exit.no_plan_file", &[("{plan_path}", &shown)]),
                    "No plan file",
                );
            }
            // Only afk (no user present) approves the plan by itself; yolo still asks.
            if approval.is_afk() {
                plan.toggle();
                return done(
                    msg(
                        "plan.exit.auto_approved",
                        &[("{plan_path}", &shown), ("{plan_content}", &content)],
                    ),
                    &msg("plan.exit.auto_approved.brief", &[]),
                );
            }
            let Some(wire) = &ctx.wire else {
                return ToolReturnValue::error(msg("plan.exit.no_wire", &[]), "Wire unavailable");
            };
            let choices = options.as_ref().filter(|o| o.len() >= 2);
            let mut question_options: Vec<Value> = match choices {
                Some(opts) => opts
                    .iter()
                    .map(|o| option(&o.label, &o.description))
                    .collect(),
                None => vec![option(APPROVE, &msg("plan.exit.approve.description", &[]))],
            };
            question_options.push(option(REJECT, &msg("plan.exit.reject.description", &[])));
            question_options.push(option(
                REJECT_AND_EXIT,
                &msg("plan.exit.reject_and_exit.description", &[]),
            ));
            wire.send(WireMessage::PlanDisplay {
                content: content.clone(),
                file_path: shown.clone(),
            });
            let q = question(
                "Approve this plan",
                "Plan",
                question_options,
                "Revise",
                &msg("plan.exit.revise.description", &[]),
            );
            let answers = match ask(approval.client(), &ctx, vec![q]).await {
                Ok(a) => a,
                Err(Unsupported) => return unsupported(),
            };
            if answers.is_empty() {
                return done(msg("plan.exit.dismissed", &[]), "Dismissed");
            }
            let chosen = values(&answers);
            if chosen.contains(&REJECT_AND_EXIT) {
                plan.toggle();
                return rejected(
                    &msg("plan.exit.rejected_and_exited", &[]),
                    &msg("plan.exit.rejected_and_exited.brief", &[]),
                );
            }
            if chosen.contains(&REJECT) {
                return rejected(&msg("plan.exit.rejected", &[]), "Plan rejected");
            }
            if let Some(opts) = choices {
                let picked = chosen.iter().find(|v| opts.iter().any(|o| o.label == **v));
                if let Some(picked) = picked {
                    plan.toggle();
                    return done(
                        msg(
                            "plan.exit.approved_option",
                            &[
                                ("{option}", picked),
                                ("{plan_path}", &shown),
                                ("{plan_content}", &content),
                            ],
                        ),
                        &msg("plan.exit.approved_option.brief", &[("{option}", picked)]),
                    );
                }
            } else if chosen.contains(&APPROVE) {
                plan.toggle();
                return done(
                    msg(
                        "plan.exit.approved",
                        &[("{plan_path}", &shown), ("{plan_content}", &content)],
                    ),
                    "Plan approved",
                );
            }
            // The free-text "Revise" answer (the last answer that is no fixed choice).
            let feedback = chosen
                .iter()
                .rev()
                .find(|v| ![APPROVE, REJECT, REJECT_AND_EXIT].contains(v))
                .copied()
                .unwrap_or_default();
            let output = if feedback.is_empty() {
                msg("plan.exit.revise", &[])
            } else {
                msg(
                    "plan.exit.revise_with_feedback",
                    &[("{feedback}", feedback)],
                )
            };
            done(output, &msg("plan.exit.revise.brief", &[]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_is_kagents_own() {
        assert!(DESCRIPTION.starts_with("Finish plan mode: show the plan you wrote"));
        assert!(DESCRIPTION
            .contains("\n\nIf the plan describes alternative approaches, list them in `options`"));
        assert!(DESCRIPTION.ends_with("the user still reviews the plan."));
    }

    #[test]
    fn options_validation() {
        assert!(parse(&json!({})).unwrap().is_none());
        assert!(parse(&json!({"options": null})).unwrap().is_none());
        let e = parse(&json!({"options": [{"label": "reject and exit "}, {"label": 5}]}))
            .err()
            .unwrap();
        assert!(e.starts_with("2 validation errors for Params\noptions.0.label\n  Value error, The option label 'reject and exit ' cannot be used: 'Approve', 'Reject', 'Reject And Exit', 'Revise' are the user's own answers. [type=value_error, input_value='reject and exit ', input_type=str]"), "{e}");
        assert!(e.contains("\noptions.1.label\n  Input should be a valid string [type=string_type"));
        let e = parse(&json!({"options": [{"label": "a"}, {"label": "a"}]}))
            .err()
            .unwrap();
        assert_eq!(e, "1 validation error for Params\noptions\n  Value error, Each option needs a label of its own; two or more options share one. [type=value_error, input_value=[{'label': 'a'}, {'label': 'a'}], input_type=list]\n    For further information visit https://errors.pydantic.dev/2.12/v/value_error");
        let e = parse(
            &json!({"options": [{"label": "a"}, {"label": "b"}, {"label": "c"}, {"label": "d"}]}),
        )
        .err()
        .unwrap();
        assert!(
            e.contains("List should have at most 3 items after validation, not 4 [type=too_long")
        );
    }
}
