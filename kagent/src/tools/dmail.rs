//! `SendDMail` (okabe's tool): the model sends a message back to an earlier checkpoint of the
//! context. The tool only records the D-Mail; after the step's tool results the soul reverts
//! the context to that checkpoint and injects the message (kimi-cli 1.51's DenwaRenji). With
//! this tool in the toolset every checkpoint also adds a `CHECKPOINT <id>` user message, so
//! the model can name one.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::args::{self, Field, Kind, STR};
use super::{Tool, ToolContext, ToolReturnValue};
use kagent_base::tool::DisplayBlock;
use kagent_base::BoxFuture;

pub const NAME: &str = "SendDMail";

const FIELDS: &[Field] = &[
    Field::required("message", STR),
    Field::required(
        "checkpoint_id",
        Kind::Int {
            ge: Some(0),
            le: None,
        },
    ),
];

/// A D-Mail waiting for the end of the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DMail {
    pub message: String,
    pub checkpoint_id: i64,
}

/// The soul's side of the D-Mail: the checkpoints there are and the pending D-Mail.
#[derive(Debug, Default)]
pub struct DenwaRenji {
    pending: Option<DMail>,
    n_checkpoints: i64,
}

/// Shared between the tool and the soul (through the toolset).
pub type Denwa = Arc<Mutex<DenwaRenji>>;

impl DenwaRenji {
    fn send(&mut self, dmail: DMail) -> Result<(), &'static str> {
        let msg = |key| crate::config::profile::active().message(key);
        if self.pending.is_some() {
            return Err(msg("dmail.busy"));
        }
        if dmail.checkpoint_id < 0 {
            return Err(msg("dmail.negative_checkpoint"));
        }
        if dmail.checkpoint_id >= self.n_checkpoints {
            return Err(msg("dmail.no_checkpoint"));
        }
        self.pending = Some(dmail);
        Ok(())
    }

    /// The soul made a checkpoint: `n` of them exist now.
    pub fn set_n_checkpoints(&mut self, n: i64) {
        self.n_checkpoints = n;
    }

    /// The pending D-Mail, taken.
    pub fn take_pending(&mut self) -> Option<DMail> {
        self.pending.take()
    }
}

pub struct SendDMail {
    denwa: Denwa,
}

impl SendDMail {
    pub fn new(denwa: Denwa) -> Self {
        SendDMail { denwa }
    }
}

impl Tool for SendDMail {
    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        "Send a message back in time to an earlier checkpoint of this conversation. The `user` \
         messages `CHECKPOINT <id>` (in `<system>` tags) mark the checkpoints. After this step \
         the conversation is cut back to the checkpoint you name and your message is added \
         there, so everything after it is gone from the context (files you changed stay \
         changed). Use it to drop a long detour: say in the message what you learned and what \
         is already done, so that your earlier self does not repeat it."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "message": {"description": "What your earlier self should know.", "type": "string"},
                "checkpoint_id": {"description": "The checkpoint to go back to.", "minimum": 0, "type": "integer"}
            },
            "required": ["message", "checkpoint_id"],
            "type": "object"
        })
    }

    fn reports_at_once(&self) -> bool {
        true
    }

    fn call(&self, arguments: Value, _ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let denwa = self.denwa.clone();
        let profile = crate::config::profile::active();
        Box::pin(async move {
            let fields = match args::validate(&arguments, FIELDS) {
                Ok(f) => f,
                Err(e) => return args::validate_error(&e),
            };
            let dmail = DMail {
                message: fields["message"].as_str().unwrap_or_default().to_string(),
                checkpoint_id: fields["checkpoint_id"].as_i64().unwrap_or(-1),
            };
            if let Err(e) = kagent_base::sync::lock(&denwa).send(dmail) {
                return ToolReturnValue::error(
                    profile.message_with("dmail.failed", &[("{error}", e)]),
                    profile.message("dmail.failed.brief"),
                );
            }
            // what the model sees only if the D-Mail did not take it back in time
            let mut ok = ToolReturnValue::ok("", profile.message("dmail.not_sent"));
            ok.display = vec![DisplayBlock::brief("El Psy Kongroo")];
            ok
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_like_denwa_renji() {
        let mut d = DenwaRenji::default();
        let mail = |id| DMail {
            message: "m".into(),
            checkpoint_id: id,
        };
        assert_eq!(d.send(mail(0)), Err("No checkpoint has that checkpoint_id"));
        d.set_n_checkpoints(2);
        assert_eq!(d.send(mail(1)), Ok(()));
        assert_eq!(
            d.send(mail(0)),
            Err("A D-Mail is already on its way; send one at a time")
        );
        assert_eq!(d.take_pending(), Some(mail(1)));
        assert_eq!(d.take_pending(), None);
    }
}
