//! The profile kagent runs with: where kimi-cli's texts come from (docs/profile.md).
//!
//! kagent ships none of kimi-cli's prose. Under kimi-kernel it is started with
//! `--profile PATH` (or `KAGENT_PROFILE`), a JSON file the Python side writes from the
//! installed kimi-cli: its agents and skills directories, its tool definitions and the texts it
//! injects. Without one kagent runs on its own texts ([`Profile::builtin`], the files in
//! `builtin/`). A profile that is given but unusable is a start-up error, never a silent fall
//! back to the built-in texts. The profile is read once at start-up and installed process-wide
//! ([`install`]); the layers above read it with [`active`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use kagent_base::tool::ToolDefinition;

/// The capabilities a tool's `variants` are keyed by, in key order.
pub const MEDIA_CAPABILITIES: [&str; 2] = ["image_in", "video_in"];

/// The profile format this kagent reads.
pub const FORMAT: i64 = 1;

/// The kimi-cli version kagent behaves like (answered in `initialize` without a profile).
pub const TARGET_KIMI_CLI_VERSION: &str = "1.51.0";

/// The environment variable naming the profile (`--profile` wins).
pub const ENV: &str = "KAGENT_PROFILE";

/// How to repair a bad profile.
pub const FIX: &str = "rewrite it with `kimi-kernel profile --refresh`";

const BUILTIN_TEXTS: &str = include_str!("builtin/texts.txt");
const BUILTIN_SLUG_WORDS: &str = include_str!("builtin/plan_slug_words.txt");
const BUILTIN_MESSAGES: &str = include_str!("builtin/messages.txt");

/// A profile that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kimi-cli profile {path}: {problem}; {FIX}")]
pub struct ProfileError {
    pub path: String,
    pub problem: String,
}

/// The texts kagent injects, by key (the `texts` object of the profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Init,
    Compact,
    CompactionSystem,
    CompactionOutputPrefix,
    PlanFullNew,
    PlanFullExists,
    PlanSparse,
    PlanReentry,
    AfkMode,
    AfkDisabled,
    RepeatSameCall,
    RepeatManyTimes,
    RepeatStop,
    RalphDecision,
    BackgroundStarted,
    TaskOutputHint,
    TaskNoOutputHint,
}

impl Text {
    /// Every text, in the order of docs/profile.md.
    pub const ALL: [Text; 17] = [
        Text::Init,
        Text::Compact,
        Text::CompactionSystem,
        Text::CompactionOutputPrefix,
        Text::PlanFullNew,
        Text::PlanFullExists,
        Text::PlanSparse,
        Text::PlanReentry,
        Text::AfkMode,
        Text::AfkDisabled,
        Text::RepeatSameCall,
        Text::RepeatManyTimes,
        Text::RepeatStop,
        Text::RalphDecision,
        Text::BackgroundStarted,
        Text::TaskOutputHint,
        Text::TaskNoOutputHint,
    ];

    /// The key in the profile's `texts`.
    pub fn key(self) -> &'static str {
        match self {
            Text::Init => "init",
            Text::Compact => "compact",
            Text::CompactionSystem => "compaction_system",
            Text::CompactionOutputPrefix => "compaction_output_prefix",
            Text::PlanFullNew => "plan_mode.full_new",
            Text::PlanFullExists => "plan_mode.full_exists",
            Text::PlanSparse => "plan_mode.sparse",
            Text::PlanReentry => "plan_mode.reentry",
            Text::AfkMode => "afk_mode",
            Text::AfkDisabled => "afk_disabled",
            Text::RepeatSameCall => "repeat.same_call",
            Text::RepeatManyTimes => "repeat.many_times",
            Text::RepeatStop => "repeat.stop",
            Text::RalphDecision => "ralph.decision",
            Text::BackgroundStarted => "background.started",
            Text::TaskOutputHint => "background.output_hint",
            Text::TaskNoOutputHint => "background.no_output_hint",
        }
    }
}

/// Where the profile came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// kagent's own texts (no profile given).
    Builtin,
    /// A kimi-cli profile file.
    File(PathBuf),
}

/// What kagent runs with.
#[derive(Debug, Clone)]
pub struct Profile {
    pub origin: Origin,
    /// Free text for the log (`kimi-cli 1.51.0`).
    pub source: String,
    /// The kimi-cli version of the profile, `None` for the built-in one.
    pub kimi_cli_version: Option<String>,
    /// kimi-cli's agents directory (`None`: kagent's built-in agents).
    pub agents_dir: Option<PathBuf>,
    /// kimi-cli's built-in skills (`None`: kagent has no built-in skills of its own).
    pub skills_dir: Option<PathBuf>,
    /// Tool definitions by import path (empty for the built-in profile: the tools' own).
    pub tools: BTreeMap<String, ToolDefinition>,
    /// Tool definitions that depend on the model's capabilities (a tool's `variants`): import
    /// path -> capability key (`image_in+video_in`) -> definition.
    pub tool_variants: BTreeMap<String, BTreeMap<String, ToolDefinition>>,
    texts: Vec<String>,
    /// `texts."dmail.injection"`: needed only by agents with `SendDMail`.
    pub dmail_injection: Option<String>,
    /// `texts."compaction_custom"`: appended to the compaction instruction for `/compact
    /// <focus>` (`{custom}`: the focus). Optional: without it kagent's own wording is used
    /// (logged at start-up).
    pub compaction_custom: Option<String>,
    /// The `Agent` tool's texts ([`AGENT_TEXT_KEYS`]): needed only by agents with `Agent`.
    agent_texts: BTreeMap<String, String>,
    /// The fixed texts of tools and slash commands, by key (the profile's `messages`; the
    /// keys are those of `builtin/messages.txt`).
    messages: BTreeMap<String, String>,
    pub plan_slug_words: Vec<String>,
    /// `agent_spec_checker` (optional): the command that loads an agent spec with the
    /// installed kimi-cli and prints the error kimi-cli raises (app::spec_check).
    pub agent_spec_checker: Option<Vec<String>>,
}

/// The text keys of the `Agent` tool: the line describing one subagent type (with and
/// without its `when_to_use`; `{name}`, `{description}`, `{tools}`, `{model}`,
/// `{when_to_use}`), and the prompt asking a subagent for a longer summary.
pub const AGENT_TEXT_KEYS: [&str; 3] = [
    "agent.type_line",
    "agent.type_line_plain",
    "agent.summary_continuation",
];

/// kagent's own `Agent` tool description (`{builtin_agent_types}`: the type lines), used
/// without a kimi-cli profile.
pub const AGENT_DESCRIPTION_KEY: &str = "agent.description";

/// The optional text key of the custom compaction focus.
pub const COMPACTION_CUSTOM_KEY: &str = "compaction_custom";

/// The optional text key of the D-Mail injection (`{message}`: the D-Mail's text).
pub const DMAIL_INJECTION_KEY: &str = "dmail.injection";

impl Profile {
    /// kagent's own profile.
    pub fn builtin() -> Profile {
        let texts = Text::ALL
            .iter()
            .map(|t| section(BUILTIN_TEXTS, t.key()).unwrap_or_default())
            .collect();
        Profile {
            origin: Origin::Builtin,
            source: "kagent built-in".into(),
            kimi_cli_version: None,
            agents_dir: None,
            skills_dir: None,
            tools: BTreeMap::new(),
            tool_variants: BTreeMap::new(),
            texts,
            dmail_injection: section(BUILTIN_TEXTS, DMAIL_INJECTION_KEY),
            compaction_custom: section(BUILTIN_TEXTS, COMPACTION_CUSTOM_KEY),
            agent_texts: AGENT_TEXT_KEYS
                .iter()
                .chain([&AGENT_DESCRIPTION_KEY])
                .filter_map(|k| section(BUILTIN_TEXTS, k).map(|t| (k.to_string(), t)))
                .collect(),
            messages: message_keys()
                .map(|k| {
                    (
                        k.to_string(),
                        section(BUILTIN_MESSAGES, k).unwrap_or_default(),
                    )
                })
                .collect(),
            plan_slug_words: BUILTIN_SLUG_WORDS
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect(),
            agent_spec_checker: None,
        }
    }

    pub fn is_builtin(&self) -> bool {
        self.origin == Origin::Builtin
    }

    /// A text, verbatim (placeholders not substituted).
    pub fn text(&self, t: Text) -> &str {
        let i = Text::ALL.iter().position(|x| *x == t).unwrap_or(0);
        &self.texts[i]
    }

    /// The kimi-cli version kagent answers as (`initialize`'s `server.version`).
    pub fn kimi_cli_version(&self) -> &str {
        self.kimi_cli_version
            .as_deref()
            .unwrap_or(TARGET_KIMI_CLI_VERSION)
    }

    /// The start-up log line.
    pub fn log_line(&self) -> String {
        match &self.origin {
            Origin::Builtin => "profile: kagent built-in (no kimi-cli profile)".into(),
            Origin::File(p) => format!("profile: {} ({})", self.source, p.display()),
        }
    }

    /// The text appended for a `/compact <focus>`, `{custom}` replaced by the focus: the
    /// profile's, else kagent's own.
    pub fn compaction_custom(&self, custom: &str) -> String {
        let text = self
            .compaction_custom
            .clone()
            .or_else(|| section(BUILTIN_TEXTS, COMPACTION_CUSTOM_KEY))
            .unwrap_or_default();
        fill(&text, &[("{custom}", custom)])
    }

    /// The start-up error for a `problem` of this profile, naming its file.
    pub fn error(&self, problem: String) -> String {
        ProfileError {
            path: match &self.origin {
                Origin::File(f) => f.display().to_string(),
                Origin::Builtin => String::new(),
            },
            problem,
        }
        .to_string()
    }

    /// A text of the `Agent` tool ([`AGENT_TEXT_KEYS`], or [`AGENT_DESCRIPTION_KEY`] for
    /// the built-in profile).
    pub fn agent_text(&self, key: &str) -> Option<&str> {
        self.agent_texts.get(key).map(String::as_str)
    }

    /// A fixed text of a tool or slash command (`messages`), placeholders not substituted.
    /// Every key of `builtin/messages.txt` is there (a profile lacking one is refused).
    pub fn message(&self, key: &str) -> &str {
        debug_assert!(self.messages.contains_key(key), "unknown message key {key}");
        self.messages
            .get(key)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// [`Profile::message`] with its placeholders filled (see [`fill`]).
    pub fn message_with(&self, key: &str, values: &[(&str, &str)]) -> String {
        fill(self.message(key), values)
    }

    /// The profile's tool definition for an import path (`None` for the built-in profile).
    pub fn tool(&self, import_path: &str) -> Option<&ToolDefinition> {
        self.tools.get(import_path)
    }

    /// The definition for a model with `capabilities`: the tool's variant for the media
    /// capabilities the model has (`image_in+video_in`, `image_in`, `video_in`), as kimi-cli
    /// words ReadMediaFile's description by them, else the tool's one definition.
    pub fn tool_for(&self, import_path: &str, capabilities: &[String]) -> Option<&ToolDefinition> {
        let key = MEDIA_CAPABILITIES
            .iter()
            .filter(|c| capabilities.iter().any(|have| have == *c))
            .copied()
            .collect::<Vec<_>>()
            .join("+");
        self.tool_variants
            .get(import_path)
            .and_then(|v| v.get(&key))
            .or_else(|| self.tool(import_path))
    }

    /// Read and check a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let err = |problem: String| ProfileError {
            path: path.display().to_string(),
            problem,
        };
        let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read it ({e})")))?;
        let text = String::from_utf8(bytes).map_err(|_| err("it is not UTF-8".into()))?;
        let data: Value =
            serde_json::from_str(&text).map_err(|e| err(format!("it is not valid JSON ({e})")))?;
        Profile::from_json(path, &data).map_err(err)
    }

    fn from_json(path: &Path, data: &Value) -> Result<Profile, String> {
        let Some(top) = data.as_object() else {
            return Err("the top level must be a JSON object".into());
        };
        let format = top
            .get("format")
            .ok_or_else(|| "missing key \"format\"".to_string())?;
        if format.as_i64() != Some(FORMAT) {
            return Err(format!(
                "unknown format {format} (this kagent reads format {FORMAT})"
            ));
        }
        let string = |key: &str| -> Result<String, String> {
            match top.get(key) {
                None => Err(format!("missing key \"{key}\"")),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(format!("key \"{key}\" must be a string")),
            }
        };
        let dir = |key: &str| -> Result<PathBuf, String> {
            let p = PathBuf::from(string(key)?);
            if !p.is_absolute() {
                return Err(format!("\"{key}\" must be an absolute path, not {p:?}"));
            }
            if !p.is_dir() {
                return Err(format!("\"{key}\" {} is not a directory", p.display()));
            }
            Ok(p)
        };
        let source = string("source")?;
        let kimi_cli_version = string("kimi_cli_version")?;
        let agents_dir = dir("agents_dir")?;
        let skills_dir = dir("skills_dir")?;

        let Some(tools_v) = top.get("tools") else {
            return Err("missing key \"tools\"".into());
        };
        let Some(tools_o) = tools_v.as_object() else {
            return Err("key \"tools\" must be an object".into());
        };
        let mut tools = BTreeMap::new();
        let mut tool_variants = BTreeMap::new();
        for (import_path, def) in tools_o {
            let at = |what: &str| format!("tool \"{import_path}\": {what}");
            tools.insert(
                import_path.clone(),
                tool_definition(def).map_err(|e| at(&e))?,
            );
            match def.get("variants") {
                None => {}
                Some(Value::Object(variants)) => {
                    let mut by_key = BTreeMap::new();
                    for (key, variant) in variants {
                        let def = tool_definition(variant)
                            .map_err(|e| at(&format!("variant \"{key}\": {e}")))?;
                        by_key.insert(key.clone(), def);
                    }
                    tool_variants.insert(import_path.clone(), by_key);
                }
                Some(_) => return Err(at("\"variants\" must be an object")),
            }
        }

        let Some(texts_v) = top.get("texts") else {
            return Err("missing key \"texts\"".into());
        };
        let Some(texts_o) = texts_v.as_object() else {
            return Err("key \"texts\" must be an object".into());
        };
        let mut texts = vec![];
        for t in Text::ALL {
            match texts_o.get(t.key()) {
                None => return Err(format!("missing key \"texts\".\"{}\"", t.key())),
                Some(Value::String(s)) => texts.push(s.clone()),
                Some(_) => return Err(format!("key \"texts\".\"{}\" must be a string", t.key())),
            }
        }

        let optional = |key: &str| match texts_o.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("key \"texts\".\"{key}\" must be a string")),
        };
        let messages_o = match top.get("messages") {
            None => return Err("missing key \"messages\"".into()),
            Some(Value::Object(o)) => o,
            Some(_) => return Err("key \"messages\" must be an object".into()),
        };
        let mut messages = BTreeMap::new();
        for key in message_keys() {
            match messages_o.get(key) {
                None => return Err(format!("missing key \"messages\".\"{key}\"")),
                Some(Value::String(s)) => messages.insert(key.to_string(), s.clone()),
                Some(_) => return Err(format!("key \"messages\".\"{key}\" must be a string")),
            };
        }
        let dmail_injection = optional(DMAIL_INJECTION_KEY)?;
        let compaction_custom = optional(COMPACTION_CUSTOM_KEY)?;
        let mut agent_texts = BTreeMap::new();
        for key in AGENT_TEXT_KEYS {
            if let Some(t) = optional(key)? {
                agent_texts.insert(key.to_string(), t);
            }
        }
        let words = match top.get("plan_slug_words") {
            None => return Err("missing key \"plan_slug_words\"".into()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|w| w.as_str().filter(|s| !s.is_empty()).map(str::to_string))
                .collect::<Option<Vec<_>>>(),
            Some(_) => None,
        };
        let plan_slug_words = words.filter(|w| !w.is_empty()).ok_or_else(|| {
            "key \"plan_slug_words\" must be a non-empty array of words".to_string()
        })?;

        let agent_spec_checker = match top.get("agent_spec_checker") {
            None => None,
            Some(Value::Array(a)) if !a.is_empty() => Some(
                a.iter()
                    .map(|w| w.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("key \"agent_spec_checker\" must be a non-empty array of strings")?,
            ),
            Some(_) => {
                return Err(
                    "key \"agent_spec_checker\" must be a non-empty array of strings".into(),
                )
            }
        };

        Ok(Profile {
            origin: Origin::File(path.to_path_buf()),
            source,
            kimi_cli_version: Some(kimi_cli_version),
            agents_dir: Some(agents_dir),
            skills_dir: Some(skills_dir),
            tools,
            tool_variants,
            texts,
            dmail_injection,
            compaction_custom,
            agent_texts,
            messages,
            plan_slug_words,
            agent_spec_checker,
        })
    }
}

/// A tool definition of the profile (`name`, `description`, `parameters`).
fn tool_definition(def: &Value) -> Result<ToolDefinition, String> {
    let Some(def) = def.as_object() else {
        return Err("must be an object".into());
    };
    let field = |k: &str| -> Result<String, String> {
        def.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("\"{k}\" must be a string"))
    };
    let name = field("name")?;
    let description = field("description")?;
    let parameters = def
        .get("parameters")
        .filter(|v| v.is_object())
        .cloned()
        .ok_or_else(|| "\"parameters\" must be a JSON schema object".to_string())?;
    Ok(ToolDefinition {
        name,
        description,
        parameters,
    })
}

/// The profile path: `--profile`, else a non-empty `KAGENT_PROFILE`.
pub fn requested_path(flag: Option<&Path>, env: Option<std::ffi::OsString>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    env.filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The profile for this process: the requested file, or kagent's own.
pub fn load_requested(path: Option<&Path>) -> Result<Profile, ProfileError> {
    match path {
        Some(p) => Profile::load(p),
        None => Ok(Profile::builtin()),
    }
}

static ACTIVE: OnceLock<Profile> = OnceLock::new();

/// Make `profile` the process's profile (the first call wins; start-up calls it once).
pub fn install(profile: Profile) -> &'static Profile {
    ACTIVE.get_or_init(|| profile)
}

/// The process's profile (kagent's own when none was installed, e.g. in unit tests).
pub fn active() -> &'static Profile {
    ACTIVE.get_or_init(Profile::builtin)
}

/// `text` with each placeholder replaced by its value, in one pass (a value is not scanned
/// again, so a `{plan_file}` inside a path stays as it is).
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        for (key, value) in values {
            if let Some(after) = rest.strip_prefix(key) {
                out.push_str(value);
                rest = after;
                continue 'outer;
            }
        }
        out.push('{');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

/// The keys of `messages`: the sections of kagent's own `builtin/messages.txt`.
pub fn message_keys() -> impl Iterator<Item = &'static str> {
    BUILTIN_MESSAGES.lines().filter_map(|l| {
        l.strip_prefix("=== ")
            .and_then(|rest| rest.strip_suffix(" ==="))
    })
}

/// Section `key` of a sectioned text file: from its `=== key ===` line to the next section
/// (the newline before it excluded), or to the end (trailing newlines excluded).
pub fn section(file: &str, key: &str) -> Option<String> {
    let marker = format!("=== {key} ===\n");
    let start = file.find(&marker)? + marker.len();
    let rest = &file[start..];
    let end = rest
        .find("\n=== ")
        .unwrap_or(rest.trim_end_matches('\n').len());
    Some(rest[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good(dir: &Path) -> Value {
        let texts: serde_json::Map<String, Value> = Text::ALL
            .iter()
            .map(|t| (t.key().to_string(), json!(format!("text of {}", t.key()))))
            .collect();
        json!({
            "format": 1,
            "source": "kimi-cli 1.51.0",
            "kimi_cli_version": "1.51.0",
            "agents_dir": dir.display().to_string(),
            "skills_dir": dir.display().to_string(),
            "tools": {"kimi_cli.tools.shell:Shell": {"name": "Shell", "description": "d",
                       "parameters": {"type": "object", "properties": {}}},
                      "kimi_cli.tools.file:ReadMediaFile": {"name": "ReadMediaFile",
                       "description": "base", "parameters": {"type": "object"}, "variants": {
                        "image_in+video_in": {"name": "ReadMediaFile", "description": "both",
                                              "parameters": {"type": "object"}},
                        "image_in": {"name": "ReadMediaFile", "description": "image",
                                     "parameters": {"type": "object"}},
                        "video_in": {"name": "ReadMediaFile", "description": "video",
                                     "parameters": {"type": "object"}}}}},
            "texts": texts,
            "messages": message_keys().map(|k| (k.to_string(), json!(format!("message {k}"))))
                .collect::<serde_json::Map<String, Value>>(),
            "plan_slug_words": ["a", "b"],
        })
    }

    fn write(dir: &Path, v: &Value) -> PathBuf {
        let p = dir.join("profile.json");
        std::fs::write(&p, v.to_string()).unwrap();
        p
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kagent-profile-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn builtin_has_every_text() {
        let p = Profile::builtin();
        for t in Text::ALL {
            assert!(!p.text(t).trim().is_empty(), "{}", t.key());
        }
        assert!(p
            .text(Text::RepeatSameCall)
            .starts_with("\n\n<system-reminder>\n"));
        assert!(p.text(Text::RepeatManyTimes).contains("- tool: {tool}\n"));
        assert!(p.text(Text::PlanSparse).contains("{plan_file}"));
        assert!(p.text(Text::RalphDecision).starts_with("{prompt}. "));
        assert!(p.plan_slug_words.len() > 100);
        assert!(message_keys().count() > 50);
        for key in message_keys() {
            assert!(!p.message(key).trim().is_empty(), "{key}");
        }
        assert!(p.message("flow.decision").contains("\n- {branch}\n"));
        assert_eq!(
            p.message_with("dmail.failed", &[("{error}", "E")]),
            "The D-Mail could not be sent: E"
        );
        assert_eq!(p.kimi_cli_version(), "1.51.0");
        assert_eq!(
            p.log_line(),
            "profile: kagent built-in (no kimi-cli profile)"
        );
    }

    #[test]
    fn loads_a_good_profile() {
        let d = tmp("good");
        let path = write(&d, &good(&d));
        let p = Profile::load(&path).unwrap();
        assert_eq!(p.text(Text::AfkDisabled), "text of afk_disabled");
        assert_eq!(p.tool("kimi_cli.tools.shell:Shell").unwrap().name, "Shell");
        assert_eq!(
            p.message("plan.enter.already"),
            "message plan.enter.already"
        );
        let caps = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let media = "kimi_cli.tools.file:ReadMediaFile";
        let desc = |c: &[&str]| p.tool_for(media, &caps(c)).map(|d| d.description.clone());
        assert_eq!(
            desc(&["video_in", "image_in", "thinking"]),
            Some("both".into())
        );
        assert_eq!(desc(&["image_in"]), Some("image".into()));
        assert_eq!(desc(&["video_in"]), Some("video".into()));
        assert_eq!(desc(&[]), Some("base".into()));
        assert_eq!(
            p.tool_for("kimi_cli.tools.shell:Shell", &caps(&["image_in"]))
                .map(|d| &d.name),
            Some(&"Shell".to_string())
        );
        assert_eq!(
            p.log_line(),
            format!("profile: kimi-cli 1.51.0 ({})", path.display())
        );
        assert_eq!(p.agents_dir.as_deref(), Some(d.as_path()));
        assert_eq!(p.agent_spec_checker, None);
        let mut v = good(&d);
        v["agent_spec_checker"] = json!(["/usr/bin/python3", "-P"]);
        let p = Profile::load(&write(&d, &v)).unwrap();
        assert_eq!(
            p.agent_spec_checker,
            Some(vec!["/usr/bin/python3".to_string(), "-P".to_string()])
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn each_problem_is_named_with_the_fix() {
        let d = tmp("bad");
        let shown = d.join("profile.json").display().to_string();
        let problem = |v: Value| {
            let e = Profile::load(&write(&d, &v)).unwrap_err();
            assert_eq!(e.path, shown);
            assert!(e.to_string().ends_with(FIX), "{e}");
            e.problem
        };
        let mut v = good(&d);
        v["format"] = json!(2);
        assert_eq!(problem(v), "unknown format 2 (this kagent reads format 1)");
        let mut v = good(&d);
        v["texts"].as_object_mut().unwrap().remove("afk_mode");
        assert_eq!(problem(v), "missing key \"texts\".\"afk_mode\"");
        let mut v = good(&d);
        v["texts"]["init"] = json!(3);
        assert_eq!(problem(v), "key \"texts\".\"init\" must be a string");
        let mut v = good(&d);
        v["messages"].as_object_mut().unwrap().remove("slash.plan");
        assert_eq!(problem(v), "missing key \"messages\".\"slash.plan\"");
        let mut v = good(&d);
        v["messages"]["ask.unsupported"] = json!([]);
        assert_eq!(
            problem(v),
            "key \"messages\".\"ask.unsupported\" must be a string"
        );
        let mut v = good(&d);
        v["agents_dir"] = json!("/nonexistent/kagent/agents");
        assert_eq!(
            problem(v),
            "\"agents_dir\" /nonexistent/kagent/agents is not a directory"
        );
        let mut v = good(&d);
        v["tools"]["kimi_cli.tools.shell:Shell"]
            .as_object_mut()
            .unwrap()
            .remove("parameters");
        assert_eq!(
            problem(v),
            "tool \"kimi_cli.tools.shell:Shell\": \"parameters\" must be a JSON schema object"
        );
        let mut v = good(&d);
        v["plan_slug_words"] = json!([]);
        assert_eq!(
            problem(v),
            "key \"plan_slug_words\" must be a non-empty array of words"
        );
        for checker in [json!([]), json!("python"), json!(["python", 1])] {
            let mut v = good(&d);
            v["agent_spec_checker"] = checker;
            assert_eq!(
                problem(v),
                "key \"agent_spec_checker\" must be a non-empty array of strings"
            );
        }
        let mut v = good(&d);
        v.as_object_mut().unwrap().remove("tools");
        assert_eq!(problem(v), "missing key \"tools\"");
        let mut v = good(&d);
        v["tools"]["kimi_cli.tools.file:ReadMediaFile"]["variants"]["image_in"]["description"] =
            json!(1);
        assert_eq!(
            problem(v),
            "tool \"kimi_cli.tools.file:ReadMediaFile\": variant \"image_in\": \"description\" must be a string"
        );

        std::fs::write(d.join("profile.json"), "{not json").unwrap();
        let e = Profile::load(&d.join("profile.json")).unwrap_err();
        assert!(e.problem.starts_with("it is not valid JSON ("), "{e}");
        let e = Profile::load(&d.join("missing.json")).unwrap_err();
        assert!(e.problem.starts_with("cannot read it ("), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn fill_is_one_pass() {
        assert_eq!(
            fill("a {x} b {y} {z}", &[("{x}", "{y}"), ("{y}", "Y")]),
            "a {y} b Y {z}"
        );
    }

    #[test]
    fn flag_wins_over_env() {
        let f = Path::new("/f.json");
        assert_eq!(
            requested_path(Some(f), Some("/e.json".into())),
            Some(f.to_path_buf())
        );
        assert_eq!(
            requested_path(None, Some("/e.json".into())),
            Some(PathBuf::from("/e.json"))
        );
        assert_eq!(requested_path(None, Some("".into())), None);
        assert_eq!(requested_path(None, None), None);
    }
}
