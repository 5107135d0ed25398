//! Command line, compatible with the wire-mode flags of `kimi`.

use std::path::PathBuf;

use clap::{ArgAction, Parser};

#[derive(Debug, Parser)]
#[command(
    name = "kagent",
    version,
    about = "kagent: a Wire-protocol agent kernel for kimi-cli (JSON-RPC 2.0 over stdio)",
    disable_version_flag = true
)]
pub struct Cli {
    /// Show version number and exit.
    #[arg(short = 'V', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,

    /// Run in Wire server mode (the only mode kagent has; accepted for compatibility).
    #[arg(long)]
    pub wire: bool,

    /// Working directory (default: current directory).
    #[arg(short = 'w', long = "work-dir", value_name = "PATH")]
    pub work_dir: Option<PathBuf>,

    /// Load configuration file (default: <share>/config.toml).
    #[arg(long = "config-file", value_name = "PATH", conflicts_with = "config")]
    pub config_file: Option<PathBuf>,

    /// Load TOML/JSON configuration string.
    #[arg(long = "config", value_name = "STRING")]
    pub config: Option<String>,

    /// LLM model to use (overrides default_model).
    #[arg(short = 'm', long = "model", value_name = "NAME")]
    pub model: Option<String>,

    /// Enable thinking mode.
    #[arg(long, conflicts_with = "no_thinking")]
    pub thinking: bool,

    /// Disable thinking mode.
    #[arg(long = "no-thinking")]
    pub no_thinking: bool,

    /// Auto-approve all tool calls.
    #[arg(short = 'y', long, visible_alias = "yes", alias = "auto-approve")]
    pub yolo: bool,

    /// Away-from-keyboard mode (auto-approve, auto-dismiss questions); saved in the session.
    #[arg(long)]
    pub afk: bool,

    /// afk for this process only, never saved (what kimi-cli's print mode uses; kimi-kernel
    /// passes it when it runs a print-mode session on kagent).
    #[arg(long = "runtime-afk", hide = true)]
    pub runtime_afk: bool,

    /// Start in plan mode.
    #[arg(long)]
    pub plan: bool,

    /// Resume a session by ID (created if it does not exist).
    #[arg(
        short = 'S',
        long = "session",
        visible_alias = "resume",
        short_alias = 'r',
        value_name = "ID",
        num_args = 0..=1,
        default_missing_value = "",
        conflicts_with = "continue_"
    )]
    pub session: Option<String>,

    /// Continue the previous session of the working directory.
    #[arg(short = 'C', long = "continue")]
    pub continue_: bool,

    /// Built-in agent name.
    #[arg(
        long = "agent",
        value_name = "NAME",
        conflicts_with = "agent_file",
        value_parser = clap::builder::PossibleValuesParser::new(crate::config::agentspec::BUILTIN_AGENTS)
    )]
    pub agent: Option<String>,

    /// Custom agent file.
    #[arg(long = "agent-file", value_name = "PATH")]
    pub agent_file: Option<PathBuf>,

    /// A skills directory to use instead of the discovered ones (repeatable).
    #[arg(long = "skills-dir", value_name = "PATH")]
    pub skills_dir: Vec<PathBuf>,

    /// Directory of the built-in skills (default: kagent writes its own copies under the
    /// share directory). kimi-kernel passes kimi-cli's, so both kernels name the same files.
    #[arg(long = "builtin-skills-dir", value_name = "DIR", hide = true)]
    pub builtin_skills_dir: Option<PathBuf>,

    /// Check what a start checks (flags, config, profile, agent spec, model and provider),
    /// then exit 0 without opening or creating a session; a problem is reported and exits
    /// non-zero as a start would: a dry run of the checks `--fallback-argv` acts on.
    #[arg(long = "check-start", hide = true)]
    pub check_start: bool,

    /// JSON `{"argv": [...], "env": {...}}`: when the start fails before the session (what
    /// `--check-start` checks), log why and run this command in kagent's place, on the same
    /// stdio (app::fallback). kimi-kernel passes it under `auto`, naming the Python kernel.
    #[arg(long = "fallback-argv", value_name = "JSON", hide = true)]
    pub fallback_argv: Option<String>,

    /// kimi-cli profile (JSON written by kimi-kernel from the installed kimi-cli): kimi-cli's
    /// agents, skills, tool definitions and texts (env KAGENT_PROFILE is the same). Without one
    /// kagent uses its own texts.
    #[arg(long = "profile", value_name = "PATH")]
    pub profile: Option<PathBuf>,

    /// MCP config file (repeatable).
    #[arg(long = "mcp-config-file", value_name = "PATH")]
    pub mcp_config_file: Vec<PathBuf>,

    /// MCP config JSON string (repeatable).
    #[arg(long = "mcp-config", value_name = "JSON")]
    pub mcp_config: Vec<String>,

    /// Additional workspace directory (repeatable).
    #[arg(long = "add-dir", value_name = "PATH")]
    pub add_dir: Vec<PathBuf>,

    /// Maximum steps per turn (overrides loop_control.max_steps_per_turn).
    #[arg(long = "max-steps-per-turn", value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub max_steps_per_turn: Option<i64>,

    /// Maximum retries per step (overrides loop_control.max_retries_per_step).
    #[arg(long = "max-retries-per-step", value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub max_retries_per_step: Option<i64>,

    /// Extra iterations after the first turn in Ralph mode; -1 for unlimited (overrides
    /// loop_control.max_ralph_iterations).
    #[arg(
        long = "max-ralph-iterations",
        value_name = "N",
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(i64).range(-1..)
    )]
    pub max_ralph_iterations: Option<i64>,

    /// Output detailed runtime information.
    #[arg(long)]
    pub verbose: bool,

    /// Log debug information.
    #[arg(long)]
    pub debug: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kimi_flags() {
        let c = Cli::try_parse_from([
            "kagent",
            "--wire",
            "-w",
            "/tmp",
            "--config-file",
            "c.toml",
            "-m",
            "echo",
            "--yolo",
            "-S",
            "abc",
            "--max-steps-per-turn",
            "3",
            "--skills-dir",
            "a",
            "--skills-dir",
            "b",
        ])
        .unwrap();
        assert_eq!(c.session.as_deref(), Some("abc"));
        assert_eq!(c.max_steps_per_turn, Some(3));
        assert_eq!(c.skills_dir.len(), 2);
        let c = Cli::try_parse_from(["kagent", "--builtin-skills-dir", "/b"]).unwrap();
        assert_eq!(
            c.builtin_skills_dir.as_deref(),
            Some(std::path::Path::new("/b"))
        );
        assert!(Cli::try_parse_from(["kagent", "--bogus"]).is_err());
        assert!(Cli::try_parse_from(["kagent", "--agent", "nobody"]).is_err());
        let c = Cli::try_parse_from(["kagent", "--agent", "okabe"]).unwrap();
        assert_eq!(c.agent.as_deref(), Some("okabe"));
        assert!(Cli::try_parse_from(["kagent", "-C", "-S", "x"]).is_err());
        assert!(Cli::try_parse_from(["kagent", "--max-steps-per-turn", "0"]).is_err());
    }
}
