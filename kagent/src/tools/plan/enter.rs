//! `EnterPlanMode`: the model asks to switch to plan mode (kimi-cli 1.51's tool; its texts are
//! the profile's `messages`, `plan.enter.*`).

use serde_json::Value;

use super::{done, msg, option, question, show_opt, unsupported, values, PlanControl};
use crate::tools::approval::Approval;
use crate::tools::ask_user::{ask, Unsupported};
use crate::tools::{args, Tool, ToolContext, ToolReturnValue};
use kagent_base::BoxFuture;

pub const NAME: &str = "EnterPlanMode";

/// kagent's own description, advertised without a kimi-cli profile (with one, the model sees
/// kimi-cli's description from the profile).
const DESCRIPTION: &str = "Switch to plan mode before a larger change, so the user can agree on the approach before any code is written.\n\
\n\
Worth it when the task adds a feature, touches several files, allows more than one reasonable design, changes the architecture, or is not yet clear enough to start. Not worth it for small fixes, for instructions that already say exactly what to do, or for questions that only need reading.\n\
\n\
In plan mode you read the code (Glob, Grep, ReadFile), decide on an approach, write it into the plan file, and then call ExitPlanMode to show the plan to the user.\n\
\n\
Approval: normally the user confirms the switch. In yolo mode the switch is approved automatically (ExitPlanMode still asks the user); in afk mode nobody is present, so both plan tools are approved automatically and AskUserQuestion must not be used.";

pub struct EnterPlanMode {
    plan: PlanControl,
    approval: Approval,
}

impl EnterPlanMode {
    pub fn new(plan: PlanControl, approval: Approval) -> Self {
        EnterPlanMode { plan, approval }
    }
}

impl Tool for EnterPlanMode {
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
        serde_json::json!({"properties": {}, "type": "object"})
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let plan = self.plan.clone();
        let approval = self.approval.clone();
        Box::pin(async move {
            if let Err(e) = args::validate(&arguments, &[]) {
                return args::validate_error(&e);
            }
            if plan.is_on() {
                return ToolReturnValue::error(
                    msg("plan.enter.already", &[]),
                    &msg("plan.enter.already.brief", &[]),
                );
            }
            // Yolo and afk bypass approvals: entering needs no confirmation then.
            if approval.is_auto_approve() {
                plan.toggle();
                let path = show_opt(&plan.path());
                return done(
                    msg("plan.enter.auto_approved", &[("{plan_path}", &path)]),
                    "Plan mode on (auto)",
                );
            }
            let q = question(
                "Enter plan mode?",
                "Plan Mode",
                vec![
                    option("Yes", &msg("plan.enter.yes.description", &[])),
                    option("No", &msg("plan.enter.no.description", &[])),
                ],
                "",
                "",
            );
            let answers = match ask(approval.client(), &ctx, vec![q]).await {
                Ok(a) => a,
                Err(Unsupported) => return unsupported(),
            };
            if answers.is_empty() {
                return done(msg("plan.enter.dismissed", &[]), "Dismissed");
            }
            if values(&answers).contains(&"Yes") {
                plan.toggle();
                let path = show_opt(&plan.path());
                return done(
                    msg("plan.enter.activated", &[("{plan_path}", &path)]),
                    "Plan mode on",
                );
            }
            done(msg("plan.enter.declined", &[]), "Declined")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_is_kagents_own() {
        assert!(DESCRIPTION.starts_with("Switch to plan mode before a larger change"));
        assert!(DESCRIPTION.contains("\n\nIn plan mode you read the code (Glob, Grep, ReadFile)"));
        assert!(DESCRIPTION.ends_with("AskUserQuestion must not be used."));
    }
}
