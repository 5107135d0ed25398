//! Startup and shutdown: configuration, session, provider, soul, server.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;

use crate::cli::Cli;
use crate::config::{self, Config};
use crate::session::{canonical, Session, SessionState};
use crate::soul::context::Context;
use crate::soul::{Llm, Soul, SYSTEM_PROMPT};
use crate::tools::Toolset;
use crate::wire::server::{write_loop, Exit, Server};
use crate::{llm, logging};

/// Exit status for usage errors (like click/typer).
const USAGE_ERROR: u8 = 2;

fn usage_error(param: &str, msg: &str) -> u8 {
    eprintln!("Usage: kagent [OPTIONS]\nTry 'kagent --help' for help.\n\nError: Invalid value for {param}: {msg}");
    USAGE_ERROR
}

fn fatal(msg: &str, share: &std::path::Path) -> u8 {
    eprintln!(
        "{msg}\nSee logs: {}",
        share.join("logs").join("kagent.log").display()
    );
    logging::error(msg);
    1
}

pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    let share = config::share_dir();
    logging::init(&share);
    logging::info(&format!("kagent {} starting", env!("CARGO_PKG_VERSION")));
    if !cli.wire {
        logging::info("no --wire given; kagent only has the Wire mode and runs it");
    }
    for flag in cli.unbuilt_flags() {
        logging::warn(&format!(
            "{flag}: accepted, but not built in kagent yet; ignored"
        ));
    }

    let loaded = match (&cli.config, &cli.config_file) {
        (Some(text), _) => config::load_config_text(text),
        (None, path) => config::load_config_file(path.as_deref()),
    };
    let mut cfg: Config = match loaded {
        Ok(c) => c,
        Err(e) => return Ok(fatal(&e.to_string(), &share)),
    };
    if let Some(n) = cli.max_steps_per_turn {
        cfg.loop_control.max_steps_per_turn = n;
    }
    if let Some(n) = cli.max_retries_per_step {
        cfg.loop_control.max_retries_per_step = n;
    }

    let work_dir: PathBuf = match &cli.work_dir {
        Some(w) => w.clone(),
        None => std::env::current_dir().context("cannot determine the current directory")?,
    };
    if !work_dir.is_dir() {
        return Ok(usage_error(
            "'--work-dir' / '-w'",
            &format!("Directory '{}' does not exist.", work_dir.display()),
        ));
    }
    let work_dir = canonical(&work_dir);

    // LLM (before the session, so a bad provider leaves no empty session behind)
    let model_name = cli
        .model
        .clone()
        .unwrap_or_else(|| cfg.default_model.clone());
    let llm = if model_name.is_empty() {
        logging::warn("no model configured; prompts will fail with \"LLM is not set\"");
        None
    } else {
        let Some(model) = cfg.models.get(&model_name) else {
            return Ok(fatal(
                &format!("Model {model_name} not found in the configuration (models.{model_name}); add it or pick another with -m"),
                &share,
            ));
        };
        let Some(provider) = cfg.providers.get(&model.provider) else {
            return Ok(fatal(
                &format!("Provider {} not found in providers", model.provider),
                &share,
            ));
        };
        let (mut provider, mut model) = (provider.clone(), model.clone());
        if let Err(e) = llm::apply_env_overrides(&mut provider, &mut model) {
            return Ok(fatal(&e.to_string(), &share));
        }
        let options = llm::ProviderOptions {
            thinking: if cli.thinking {
                true
            } else if cli.no_thinking {
                false
            } else {
                cfg.default_thinking
            },
            reserved_context_size: cfg.loop_control.reserved_context_size,
        };
        match llm::create_provider_with(&provider, &model, &options) {
            Ok(p) => {
                logging::info(&format!(
                    "Using model {model_name} (provider {}, {})",
                    p.name(),
                    p.model_name()
                ));
                Some(Llm {
                    provider: Arc::from(p),
                    max_context_size: model.max_context_size,
                    capabilities: llm::derive_capabilities(&model),
                })
            }
            Err(e @ llm::ProviderSetupError::MissingBaseUrlOrModel(_)) => {
                logging::warn(&e.to_string());
                None
            }
            Err(e) => return Ok(fatal(&e.to_string(), &share)),
        }
    };

    let session = if cli.continue_ {
        match Session::continue_last(&share, &work_dir) {
            Ok(s) => s,
            Err(e) => return Ok(usage_error("--continue", &e.to_string())),
        }
    } else if let Some(id) = cli.session.as_deref().filter(|s| !s.is_empty()) {
        match Session::find(&share, &work_dir, id) {
            Some(s) => s,
            None => {
                logging::info(&format!("Session {id} not found, creating new session"));
                Session::create(&share, &work_dir, Some(id))?
            }
        }
    } else {
        if cli.session.is_some() {
            logging::warn(
                "--session without an ID opens a picker in shell mode only; creating a new session",
            );
        }
        Session::create(&share, &work_dir, None)?
    };
    logging::info(&format!(
        "Session: {} ({})",
        session.id,
        session.dir.display()
    ));
    if let Some(l) = &llm {
        l.provider.bind_session(&session.id);
    }

    let mut context = Context::new(&session.context_file);
    context.restore();
    if context.system_prompt().is_none() {
        context.write_system_prompt(SYSTEM_PROMPT)?;
    }
    let system_prompt = context.system_prompt().unwrap_or(SYSTEM_PROMPT).to_string();

    let state = Arc::new(Mutex::new(SessionState::load(&session.dir)));
    let soul = Soul {
        llm,
        context,
        toolset: Toolset::new(),
        loop_control: cfg.loop_control.clone(),
        session: session.clone(),
        state: state.clone(),
        system_prompt,
        work_dir: work_dir.clone(),
        steer_queue: Arc::new(Mutex::new(VecDeque::new())),
    };
    if cli.yolo || cfg.default_yolo {
        // a runtime override: state.json keeps its yolo (kimi-cli merges the flag in memory)
        state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_runtime_yolo();
    }
    if cli.plan || (cfg.default_plan_mode && !session.resumed) {
        soul.update_state(|s| s.set_plan_mode(true))?;
    }

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let writer = tokio::spawn(write_loop(rx));
    let server = Server::new(soul, tx);
    let exit = server.serve().await;
    let _ = writer.await;

    if let Err(e) = session.finish() {
        logging::error(&format!("finishing session failed: {e}"));
    }
    if !session.is_empty() && session.dir.exists() {
        eprintln!("\nTo resume this session: kagent -S {}", session.id);
    }
    Ok(match exit {
        Exit::StdinClosed => 0,
        Exit::Signal(sig) => 128u8.saturating_add(sig as u8),
    })
}
