//! kagent: a Wire-protocol agent kernel (JSON-RPC 2.0 over stdio) compatible with
//! `kimi --wire` of kimi-cli 1.51.
//!
//! Architecture:
//! - [`cli`]: command line; [`app`]: startup/shutdown wiring; [`agentspec`]: `--agent`/`--agent-file`;
//! - [`wire`]: JSON-RPC framing, wire message types, the stdio server;
//! - [`soul`]: the turn loop (steps, retries, cancellation, steer, compaction), context;
//! - [`llm`]: the [`llm::ChatProvider`] trait, `_echo`/`_scripted_echo` and the echo DSL;
//! - [`tools`]: the [`tools::Tool`] trait and the [`tools::Toolset`] registry;
//! - [`session`]: on-disk sessions (`context.jsonl`, `wire.jsonl`, `state.json`, `kimi.json`);
//! - [`config`]: configuration files and inline config;
//! - [`skills`]: skill discovery (system prompt listing, `/skill:<name>` commands).
//! - [`workspace`]: the work dir and the additional directories the file tools accept.

pub mod agentspec;
pub mod app;
pub mod cli;
pub mod config;
pub mod flow;
pub mod hooks;
pub mod llm;
pub mod session;
pub mod skills;
pub mod soul;
pub mod tools;
pub mod wire;
pub mod workspace;
