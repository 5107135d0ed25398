//! A cancellation token: set once, observed by any number of waiters.
//!
//! Besides a plain cancel there is a *close*: the wire connection went away (stdin EOF). A
//! closed turn first lets the work that the closing itself unblocked run on (pending client
//! requests resolve as "connection closed", a step with those results grows the context),
//! and stops at the next step boundary, or once it is blocked on anything else.

use tokio::sync::watch;

/// How many times a closed turn yields to the tasks the closing woke before it is stopped
/// wherever it waits.
const CLOSE_GRACE_YIELDS: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
enum Signal {
    #[default]
    None,
    Closed,
    Cancelled,
}

#[derive(Clone)]
pub struct CancelToken {
    tx: std::sync::Arc<watch::Sender<Signal>>,
    rx: watch::Receiver<Signal>,
}

impl Default for CancelToken {
    fn default() -> Self {
        let (tx, rx) = watch::channel(Signal::None);
        CancelToken {
            tx: std::sync::Arc::new(tx),
            rx,
        }
    }
}

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        let _ = self.tx.send(Signal::Cancelled);
    }

    /// The connection closed: stop at the next step boundary (see the module docs).
    pub fn close(&self) {
        self.tx.send_if_modified(|s| {
            if *s == Signal::None {
                *s = Signal::Closed;
                true
            } else {
                false
            }
        });
    }

    pub fn is_cancelled(&self) -> bool {
        *self.rx.borrow() == Signal::Cancelled
    }

    /// Cancelled or closed: no new step may start.
    pub fn is_stopping(&self) -> bool {
        *self.rx.borrow() != Signal::None
    }

    /// Resolves once cancelled.
    pub async fn cancelled(&self) {
        let mut rx = self.rx.clone();
        let _ = rx.wait_for(|v| *v == Signal::Cancelled).await;
    }

    /// Resolves a little after the close (the woken tasks ran first), or once cancelled.
    pub async fn closed_and_settled(&self) {
        let mut rx = self.rx.clone();
        let _ = rx.wait_for(|v| *v != Signal::None).await;
        for _ in 0..CLOSE_GRACE_YIELDS {
            tokio::task::yield_now().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn close_is_not_a_cancel() {
        let t = CancelToken::new();
        assert!(!t.is_stopping());
        t.close();
        assert!(t.is_stopping() && !t.is_cancelled());
        t.closed_and_settled().await;
        t.cancel();
        assert!(t.is_cancelled());
        t.close();
        assert!(t.is_cancelled());
        t.cancelled().await;
    }
}
