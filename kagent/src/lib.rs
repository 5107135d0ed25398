//! kagent: a Wire-protocol agent kernel (JSON-RPC 2.0 over stdio) compatible with
//! `kimi --wire` of kimi-cli 1.51.
//!
//! Layers, lowest first; a module may use only the layers before it (and `kagent_base`, the
//! crate below them all). `tests/layers.rs` enforces the order on every `crate::` path.
//!
//! - [`config`]: configuration files, inline config, `[[hooks]]` definitions;
//! - [`session`]: on-disk sessions, `state.json`, plan-session state, the workspace dirs;
//! - [`wire`]: Wire, Outbox, JSON-RPC framing, wire types, the outbound-request service;
//! - [`llm`]: the `ChatProvider` trait, HTTP providers, `_echo`/`_scripted_echo`, the DSL;
//! - [`tools`]: the `Tool` trait, `Toolset`, built-in tools (`tools::file` for files, `tools::web`
//!   for FetchURL/SearchWeb), external tools;
//! - [`mcp`]: MCP servers (rmcp): config, start-up, their tools, result conversion, OAuth tokens;
//! - [`hooks`]: the hook engine (server commands, client subscriptions), tool-call hooks;
//! - [`skills`]: skill discovery and listing, flow skills (`skills::flow`);
//! - [`soul`]: the turn loop, turn hooks, flow runner, context, compaction, slash commands;
//! - [`server`]: the stdio Wire server (requests, prompts, replay, external tools);
//! - [`app`]: command line, agent specs, startup and shutdown wiring.
//!
//! No panic is reachable from input (a wire line, a model reply, a repository's files, config):
//! see "Robustness" in kagent/README.md for how that is kept (bounded recursion and lines,
//! cargo-fuzz targets in kagent/fuzz, their crash corpus replayed by tests/fuzz_regressions.rs).

pub mod app;
pub mod config;
pub mod hooks;
pub mod llm;
pub mod mcp;
pub mod server;
pub mod session;
pub mod skills;
pub mod soul;
pub mod tools;
pub mod wire;
