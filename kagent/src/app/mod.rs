//! Startup and shutdown: configuration, session, provider, soul, server.

pub mod cli;
pub mod fallback;
pub mod spec_check;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;

use crate::app::cli::Cli;
use crate::config::profile::{self, Profile};
use crate::config::{self, agentspec, Config};
use crate::hooks::{events as hook_events, HookEngine};
use crate::llm;
use crate::server::{spawn_stdout_writer, Exit, Server};
use crate::session::plan;
use crate::session::workspace::{self, Workspace};
use crate::session::{Session, SessionState};
use crate::skills::{self, RootOptions, Skills};
use crate::soul::context::Context;
use crate::soul::injection::Injections;
use crate::soul::system_prompt::{self, PromptArgs};
use crate::soul::{Llm, Soul};
use crate::tools::Toolset;
use kagent_base::logging;
use kagent_base::paths::canonical;

/// Exit status for usage errors (like click/typer).
const USAGE_ERROR: u8 = 2;

fn usage_error(param: &str, msg: &str) -> u8 {
    if let Some(code) = fallback::take_over(&format!("Invalid value for {param}: {msg}")) {
        return code;
    }
    eprintln!("Usage: kagent [OPTIONS]\nTry 'kagent --help' for help.\n\nError: Invalid value for {param}: {msg}");
    USAGE_ERROR
}

fn fatal(msg: &str, share: &std::path::Path) -> u8 {
    if let Some(code) = fallback::take_over(msg) {
        return code;
    }
    eprintln!(
        "{msg}\nSee logs: {}",
        share.join("logs").join("kagent.log").display()
    );
    logging::error(msg);
    1
}

/// The built-in skills' directory: `--builtin-skills-dir`, else the profile's (kimi-cli's
/// installed skills). kagent has no built-in skills of its own: kimi-cli's are kimi-cli's.
fn builtin_skills_dir(cli: &Cli, profile: &Profile) -> Option<PathBuf> {
    if let Some(d) = &cli.builtin_skills_dir {
        if !d.is_dir() {
            logging::warn(&format!(
                "--builtin-skills-dir {}: not a directory; no built-in skills",
                d.display()
            ));
        }
        return Some(d.clone());
    }
    if profile.skills_dir.is_none() {
        logging::info(
            "no built-in skills: kagent has none of its own (a kimi-cli profile brings kimi-cli's)",
        );
    }
    profile.skills_dir.clone()
}

/// Why an `--agent-file` or `--mcp-config-file` value is refused, in click's words
/// (`Path(exists=True, dir_okay=False, readable=True)`), or `None` when it is a readable file.
fn file_problem(file: &std::path::Path) -> Option<String> {
    let shown = kagent_base::py::repr::repr_str(&file.to_string_lossy());
    let meta = match std::fs::metadata(file) {
        Ok(m) => m,
        Err(_) => return Some(format!("File {shown} does not exist.")),
    };
    if meta.is_dir() {
        return Some(format!("File {shown} is a directory."));
    }
    if std::fs::File::open(file).is_err() {
        return Some(format!("File {shown} is not readable."));
    }
    None
}

/// The agent spec to run: `--agent-file`, else `<agents_dir>/<--agent or default>/agent.yaml`
/// of the profile (kagent's own agents without a kimi-cli profile). Err: the message.
fn load_agent(
    cli: &Cli,
    profile: &Profile,
    share: &std::path::Path,
) -> Result<agentspec::LoadedAgent, String> {
    let agents_dir = match &profile.agents_dir {
        Some(d) => d.clone(),
        None => agentspec::builtin_agents_dir(share).map_err(|e| {
            format!(
                "cannot write kagent's built-in agent under {}: {e}",
                share.display()
            )
        })?,
    };
    let default_file = agents_dir.join("default").join("agent.yaml");
    let file = match (&cli.agent_file, cli.agent.as_deref()) {
        (Some(f), _) => f.clone(),
        (None, None) => default_file.clone(),
        (None, Some(name)) => {
            let f = agents_dir.join(name).join("agent.yaml");
            if profile.is_builtin() && !f.exists() {
                return Err(format!(
                    "the agent {name:?} (--agent {name}) is kimi-cli's and is read from the installed \
                     kimi-cli, but kagent runs without a kimi-cli profile; run it under kimi-kernel, \
                     or pass --profile PATH (`kimi-kernel profile` prints the path), or give its spec \
                     with --agent-file PATH"
                ));
            }
            f
        }
    };
    logging::info(&format!("Loading agent: {}", file.display()));
    let agent = agentspec::load_agent(&file, &default_file)
        .map_err(|e| spec_error(cli, profile, &file, e.to_string()))?;
    crate::tools::check_tool_paths(&agent.spec.tool_paths(), profile)?;
    Ok(agent)
}

/// The error of the spec `file` that does not load: kimi-cli's words when the profile names
/// a checker that gives them (spec_check), else `own`.
fn spec_error(cli: &Cli, profile: &Profile, file: &std::path::Path, own: String) -> String {
    let Some(checker) = &profile.agent_spec_checker else {
        return own;
    };
    let work_dir = match &cli.work_dir {
        Some(w) => w.clone(),
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    spec_check::kimi_cli_error(checker, file, &work_dir).unwrap_or(own)
}

/// Why an `--add-dir` value is refused, in click's words (`Path(exists=True, file_okay=False,
/// readable=True)`), or `None` when it is a readable directory.
fn add_dir_problem(dir: &std::path::Path) -> Option<String> {
    let shown = kagent_base::py::repr::repr_str(&dir.to_string_lossy());
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(_) => return Some(format!("Directory {shown} does not exist.")),
    };
    if !meta.is_dir() {
        return Some(format!("Directory {shown} is a file."));
    }
    if std::fs::read_dir(dir).is_err() {
        return Some(format!("Directory {shown} is not readable."));
    }
    None
}

/// Python ignores SIGXFSZ, so under `RLIMIT_FSIZE` kimi-cli's writes past the limit fail
/// with `[Errno 27] File too large` and it goes on serving; by default the signal kills the
/// process (issue 19). A (never read) tokio handler replaces that default without `unsafe`;
/// handlers, unlike ignored signals, are reset for the Shell commands kagent starts, as
/// Python's `restore_signals` does for kimi-cli's.
/// Returns why it could not, for the log (which is not open yet: its own writes may need it).
fn survive_file_size_limit() -> Option<String> {
    #[cfg(unix)]
    {
        // SIGXFSZ is 25 on Linux and the BSDs/macOS alike; tokio has no name for it
        const SIGXFSZ: i32 = 25;
        let kind = tokio::signal::unix::SignalKind::from_raw(SIGXFSZ);
        if let Err(e) = tokio::signal::unix::signal(kind) {
            return Some(format!(
                "cannot handle SIGXFSZ ({e}); a file size limit may end kagent"
            ));
        }
    }
    None
}

/// The LLM of a model alias of `cfg`, as a subagent's `model` asks for it (kimi-cli's
/// `clone_llm_with_model_alias`: the alias's provider and model, no environment overrides).
fn model_factory(cfg: &config::Config) -> Box<crate::soul::subagent::ModelFactory> {
    let models = cfg.models.clone();
    let providers = cfg.providers.clone();
    let options = llm::ProviderOptions {
        thinking: cfg.default_thinking,
        reserved_context_size: cfg.loop_control.reserved_context_size,
    };
    Box::new(move |alias: &str| {
        let model = models.get(alias)?;
        let Some(provider) = providers.get(&model.provider) else {
            return Some(Err(profile::active().message_with(
                "config.unknown_provider",
                &[("{provider}", &model.provider)],
            )));
        };
        Some(
            llm::create_provider_with(provider, model, &options)
                .map(|p| Llm {
                    provider: Arc::from(p),
                    max_context_size: model.max_context_size,
                    capabilities: llm::derive_capabilities(model),
                })
                .map_err(|e| e.to_string()),
        )
    })
}

pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    let fsize_problem = survive_file_size_limit();
    let share = kagent_base::paths::share_dir();
    logging::init(&share);
    if let Some(problem) = fsize_problem {
        logging::warn(&problem);
    }
    logging::info(&format!("kagent {} starting", env!("CARGO_PKG_VERSION")));
    if !cli.wire {
        logging::info("no --wire given; kagent only has the Wire mode and runs it");
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            // a person typed `kagent`: say what it waits for rather than wait silently
            eprintln!(
                "kagent serves the Wire protocol (JSON-RPC lines on stdin) to kimi-kernel and Wire clients; to chat, run `kimi-kernel`. Ctrl-D quits."
            );
        }
    }
    // the profile first: every text kagent injects comes from it
    let requested = profile::requested_path(cli.profile.as_deref(), std::env::var_os(profile::ENV));
    let profile: &'static Profile = match profile::load_requested(requested.as_deref()) {
        Ok(p) => profile::install(p),
        Err(e) => return Ok(fatal(&e.to_string(), &share)),
    };
    logging::info(&profile.log_line());
    if !profile.is_builtin() && profile.compaction_custom.is_none() {
        logging::warn(&format!(
            "the profile has no texts.\"{}\": `/compact <focus>` uses kagent's own wording",
            profile::COMPACTION_CUSTOM_KEY
        ));
    }

    // click checks `--skills-dir` values (they must be existing directories) before anything
    for d in &cli.skills_dir {
        let shown = kagent_base::py::repr::repr_str(&d.to_string_lossy());
        let problem = match std::fs::metadata(d) {
            Err(_) => Some("does not exist"),
            Ok(m) if !m.is_dir() => Some("is a file"),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            return Ok(usage_error(
                "'--skills-dir'",
                &format!("Directory {shown} {problem}."),
            ));
        }
    }

    if let Some(problem) = cli.agent_file.as_deref().and_then(file_problem) {
        return Ok(usage_error("'--agent-file'", &problem));
    }
    if let Some(problem) = cli.mcp_config_file.iter().find_map(|f| file_problem(f)) {
        return Ok(usage_error("'--mcp-config-file'", &problem));
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
    if let Some(n) = cli.max_ralph_iterations {
        cfg.loop_control.max_ralph_iterations = n;
    }
    // the agent spec before the session, so a bad spec leaves no empty session behind
    let agent = match load_agent(&cli, profile, &share) {
        Ok(a) => Arc::new(a),
        Err(e) => return Ok(fatal(&e, &share)),
    };

    // MCP servers as kimi-cli reads them; a bad config stops here, before any session
    let mcp_servers = match crate::mcp::load_configs(
        &cli.mcp_config_file,
        &cli.mcp_config,
        &share,
        profile.message("mcp.transform_required"),
    ) {
        Ok(s) => s,
        Err(e) => match e.option() {
            Some(option) => return Ok(usage_error(option, &e.to_string())),
            None => return Ok(fatal(&e.to_string(), &share)),
        },
    };

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
    // `--add-dir` must name existing, readable directories (checked like click's Path type)
    for dir in &cli.add_dir {
        if let Some(problem) = add_dir_problem(dir) {
            return Ok(usage_error("'--add-dir'", &problem));
        }
    }

    // LLM (before the session, so a bad provider leaves no empty session behind)
    let model_name = cli
        .model
        .clone()
        .unwrap_or_else(|| cfg.default_model.clone());
    let unset_provider = config::LlmProvider {
        kind: "kimi".into(),
        ..Default::default()
    };
    let unset_model = config::LlmModel {
        max_context_size: 100_000,
        ..Default::default()
    };
    // Like kimi-cli: a model name that is unset or not in the configuration is not an error;
    // an empty `kimi` model is used (environment overrides may still complete it), and without
    // a base URL and model name the LLM stays unset and prompts fail with "LLM is not set".
    let llm = {
        let (provider, model) = match cfg.models.get(&model_name) {
            Some(model) if !model_name.is_empty() => {
                let Some(provider) = cfg.providers.get(&model.provider) else {
                    return Ok(fatal(
                        &profile::active().message_with(
                            "config.unknown_provider",
                            &[("{provider}", &model.provider)],
                        ),
                        &share,
                    ));
                };
                (provider, model)
            }
            _ => {
                if model_name.is_empty() {
                    logging::warn("no model configured");
                } else {
                    logging::warn(&format!("model {model_name} is not in the configuration"));
                }
                (&unset_provider, &unset_model)
            }
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

    if cli.check_start {
        logging::info("--check-start: everything a start checks before its session is fine");
        return Ok(0);
    }
    fallback::disarm();
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

    let mut state = SessionState::load(&session.dir);
    // --add-dir joins the session's saved directories; those gone since are dropped
    let added = workspace::add_cli_dirs(&mut state, &work_dir, &cli.add_dir);
    let (additional_dirs, pruned) = workspace::restore_dirs(&mut state);
    if added || pruned {
        state.save(&session.dir)?;
    }
    let workspace = Workspace::new(work_dir.clone(), additional_dirs);

    let skills = Arc::new(Skills::load(&RootOptions {
        work_dir: work_dir.clone(),
        home: kagent_base::paths::home_dir_or_dot(),
        share_dir: share.clone(),
        skills_dirs: cli.skills_dir.clone(),
        merge_brands: cfg.merge_all_available_skills,
        extra_skill_dirs: cfg.extra_skill_dirs.clone(),
        builtin_dir: builtin_skills_dir(&cli, profile),
    }));

    let mut context = Context::new(&session.context_file);
    context.restore();
    // Rendered for every start, as kimi-cli does (a bad template is an error even on resume);
    // a resumed session keeps the system prompt it started with.
    let prompt_args = {
        let mut args = PromptArgs::detect(&work_dir, &workspace.additional_dirs());
        args.skills = skills::format_for_prompt(&skills.list);
        args
    };
    let rendered = system_prompt::render(
        &agent.spec.system_prompt_path,
        &agent.spec.system_prompt_args,
        &prompt_args,
    );
    let rendered = match rendered {
        Ok(p) => p,
        Err(e) => {
            let _ = session.finish();
            let e = spec_error(&cli, profile, &agent.file, e.to_string());
            return Ok(fatal(&e, &share));
        }
    };
    let system_prompt = match context.system_prompt() {
        Some(p) => p.to_string(),
        None => {
            context.write_system_prompt(&rendered)?;
            rendered
        }
    };

    let state = Arc::new(Mutex::new(state));
    let hooks = HookEngine::new(cfg.hooks.clone(), work_dir.clone(), &session.id);
    // started now, in the background; the first turn waits for them
    let mcp = (!mcp_servers.is_empty()).then(|| {
        crate::mcp::McpSession::start(
            mcp_servers,
            share.clone(),
            std::time::Duration::from_millis(cfg.mcp_tool_call_timeout_ms.max(0) as u64),
        )
    });
    let toolset = Toolset::new();
    toolset.tasks().configure(cfg.background.clone());
    let soul = Soul {
        llm,
        context,
        toolset,
        loop_control: cfg.loop_control.clone(),
        session: session.clone(),
        state: state.clone(),
        system_prompt,
        work_dir: work_dir.clone(),
        workspace,
        steer_queue: Arc::new(Mutex::new(VecDeque::new())),
        injections: Injections::new(cfg.skip_afk_prompt_injection),
        hooks: hooks.clone(),
        flows: crate::skills::flow::FlowCommand::from_skills(&skills.list),
        skills,
        tool_hooks: None,
        agent,
        mcp,
        services: cfg.services.clone(),
        subagent_setup: Some(Arc::new(crate::soul::subagent::SubagentSetup {
            prompt_args,
            models: model_factory(&cfg),
        })),
    };
    // As kimi-cli: --afk is saved into the session; --runtime-afk (print mode) only lives here.
    if cli.afk && !kagent_base::sync::lock(&state).persisted_afk() {
        soul.update_state(|s| s.set_afk(true))?;
    }
    if cli.runtime_afk {
        kagent_base::sync::lock(&state).set_runtime_afk(true);
    }
    if cli.yolo || cfg.default_yolo {
        // a runtime override: state.json keeps its saved value
        kagent_base::sync::lock(&soul.state).set_runtime_yolo(true);
    }
    let mut soul = soul;
    {
        // a session restored in plan mode gets its plan session (id and slug) if it had none
        let mut st = kagent_base::sync::lock(&soul.state);
        if st.plan_mode() {
            plan::ensure_plan_session(&mut st, &session.dir)?;
        }
    }
    if cli.plan || (cfg.default_plan_mode && !session.resumed) {
        if soul.plan_mode() {
            plan::schedule_activation_reminder(&soul.state);
        } else {
            soul.set_plan_mode(true)?;
        }
    }

    // SessionStart runs before the client is served (so it reports no events).
    let wd = work_dir.to_string_lossy().into_owned();
    let source = if session.resumed { "resume" } else { "startup" };
    hooks
        .trigger(
            "SessionStart",
            source,
            hook_events::session_start(&session.id, &wd, source),
            None,
        )
        .await;

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let writer = spawn_stdout_writer(rx).context("cannot start the stdout writer thread")?;
    let server = Server::new(soul, tx);
    let exit = server.serve().await;
    // the client is gone: drop the engine's handle on the output queue so the writer ends
    // (the runtime keeps running other tasks, which may still hold senders, meanwhile)
    hooks.disconnect();
    let _ = writer.await;
    // SessionEnd: at most 5 seconds, no events (the client is gone). A signal kills the
    // oracle outright, so it runs only after a normal end of input.
    if exit == Exit::StdinClosed {
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            hooks.trigger(
                "SessionEnd",
                "exit",
                hook_events::session_end(&session.id, &wd, "exit"),
                None,
            ),
        )
        .await;
    }

    if let Err(e) = session.finish() {
        logging::error(&format!("finishing session failed: {e}"));
    }
    if !session.is_empty() && session.dir.exists() {
        // the command that resumes it: kimi-kernel's front door, which execs kagent, names its own
        let resume = std::env::var("KAGENT_RESUME_COMMAND").unwrap_or_else(|_| "kagent -S".into());
        eprintln!("\nTo resume this session: {resume} {}", session.id);
    }
    Ok(match exit {
        Exit::StdinClosed => 0,
        Exit::Signal(sig) => 128u8.saturating_add(sig as u8),
    })
}
