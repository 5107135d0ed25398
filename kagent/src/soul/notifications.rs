//! Notifications of ended background tasks, delivered as kimi-cli delivers them: to the model
//! as user messages at the start of a step (at most 4 a step), and to the client as
//! `Notification` events while a turn runs (checked every second) and once more after its
//! TurnEnd.

use std::convert::Infallible;
use std::time::Duration;

use crate::tools::background::notify::Notification;
use crate::tools::background::TaskManager;
use crate::wire::types::WireMessage;
use crate::wire::Wire;

/// At most this many notifications reach the model per step, and the client per check.
const LLM_LIMIT: usize = 4;
const WIRE_LIMIT: usize = 8;
const WIRE_PERIOD: Duration = Duration::from_secs(1);

/// The notifications the model has not had yet, with their user messages.
pub fn for_model(tasks: &TaskManager) -> Vec<(Notification, String)> {
    tasks
        .deliver("llm", LLM_LIMIT)
        .into_iter()
        .map(|n| {
            let text = tasks.notification_message(&n);
            (n, text)
        })
        .collect()
}

/// Send the client the notifications it has not had yet.
pub fn to_wire(tasks: &TaskManager, wire: &Wire) {
    for n in tasks.deliver("wire", WIRE_LIMIT) {
        wire.send(WireMessage::Notification(n.wire_payload()));
    }
}

/// While a turn runs: [`to_wire`] every second (the first one is the caller's).
pub async fn pump(tasks: &TaskManager, wire: &Wire) -> Infallible {
    loop {
        tokio::time::sleep(WIRE_PERIOD).await;
        to_wire(tasks, wire);
    }
}
