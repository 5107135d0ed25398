//! `Think`: a scratchpad tool that only logs the thought. kimi-cli 1.51's default agent does
//! not offer it (it is commented out of the agent spec), so kagent does not register it by
//! default either; it exists for agents that list it.

use serde_json::{json, Value};

use super::args::{self, Field, STR};
use super::{Tool, ToolContext, ToolReturnValue};
use kagent_base::BoxFuture;

const FIELDS: &[Field] = &[Field::required("thought", STR)];

pub struct Think;

impl Tool for Think {
    fn name(&self) -> &str {
        "Think"
    }

    fn description(&self) -> &str {
        "Write down a thought to reason about the task. Nothing is executed and nothing changes; the thought is only logged."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {"thought": {"description": "What you are thinking through.", "type": "string"}},
            "required": ["thought"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, _ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        Box::pin(async move {
            match args::validate(&arguments, FIELDS) {
                Ok(_) => ToolReturnValue::ok("", "Thought logged"),
                Err(e) => args::validate_error(&e),
            }
        })
    }
}
