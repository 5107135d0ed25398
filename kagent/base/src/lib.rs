//! kagent-base: the bottom layer of kagent; it depends on no other kagent crate.
//!
//! kagent's layers, lowest first (each may use only the ones before it):
//! `kagent-base` → (in the `kagent` crate) config, session → wire → llm → tools → hooks →
//! skills → soul → server → app. This crate holds what every layer needs:
//!
//! - [`future`]: `BoxFuture`, the boxed future trait objects return;
//! - [`sync`]: locking a mutex whose holder panicked (the state is still used, as before);
//! - [`paths`]: `~`, the home and share directories, `canonical` paths;
//! - [`time`]: UTC calendar dates and Python's `isoformat()` of timestamps;
//! - [`logging`]: the `<share>/logs/kagent.log` sink;
//! - [`py`]: behaviours that must match Python's byte for byte (see its page for why each);
//! - [`message`]: messages, content parts, tool calls, token usage (kosong's types);
//! - [`tool`]: `ToolDefinition` and tool results with their display blocks.
//!
//! No panic is reachable from input: see "Robustness" in kagent/README.md (bounded recursion,
//! the fuzz targets of kagent/fuzz, their replayed crash corpus, clippy's denials in `py`).

pub mod future;
pub mod logging;
pub mod message;
pub mod paths;
pub mod py;
pub mod sync;
pub mod time;
pub mod tool;

pub use future::BoxFuture;
