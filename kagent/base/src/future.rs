//! The boxed, sendable future that kagent's trait objects (providers, tools, hooks) return.

use std::future::Future;
use std::pin::Pin;

/// A pinned, boxed, `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
