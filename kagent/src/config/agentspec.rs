//! Agent specs: kimi-cli 1.51's agent-spec files (YAML), read at start-up.
//!
//! A spec file holds `version` (only "1") and an `agent` mapping: `extend` (the built-in
//! `default` or a path), `name`, `system_prompt_path`, `system_prompt_args`, `model`,
//! `when_to_use`, `tools`, `allowed_tools`, `exclude_tools`, `subagents` (name → `path` +
//! `description`). Resolved the way kimi-cli resolves them: paths relative to the spec file's
//! directory, `extend` chains loaded recursively with the child's fields replacing the
//! parent's (the prompt arguments merged instead), and errors worded as kimi-cli words them.
//! `default` is `<agents_dir>/default/agent.yaml` of the profile (kagent's own built-in agent
//! without a kimi-cli profile, see [`builtin_agents_dir`]).
//!
//! YAML is read with `yaml-rust2` (a maintained, pure safe-Rust parser; `serde_yaml` is
//! archived and its forks wrap the machine-translated `unsafe-libyaml`). It reads YAML 1.2,
//! PyYAML 1.1: the two differ on scalars like `yes`/`on`, which no field here takes.

use std::path::{Component, Path, PathBuf};

use kagent_base::py::args::{format_errors, ErrorItem};
use serde_json::Value;
use yaml_rust2::Yaml;

/// An agent spec error's text (the profile's `messages`), placeholders filled.
fn msg(key: &str, values: &[(&str, &str)]) -> String {
    super::profile::active().message_with(key, values)
}

/// The built-in agent names kimi-cli accepts for `--agent` (its `Literal["default", "okabe"]`).
pub const BUILTIN_AGENTS: [&str; 2] = ["default", "okabe"];

/// The spec versions kimi-cli 1.51 reads.
pub const SUPPORTED_VERSIONS: &[&str] = &["1"];

/// An invalid spec, in kimi-cli's words (`AgentSpecError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AgentSpecError(pub String);

/// A subagent declaration (`subagents.<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubagentSpec {
    /// Absolute path of its spec file.
    pub path: PathBuf,
    pub description: String,
}

/// A spec with its `extend` chain resolved (kimi-cli's `ResolvedAgentSpec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSpec {
    pub name: String,
    /// Absolute path of the system prompt template.
    pub system_prompt_path: PathBuf,
    /// Template arguments, in the order they were first given.
    pub system_prompt_args: Vec<(String, String)>,
    pub model: Option<String>,
    pub when_to_use: String,
    pub tools: Vec<String>,
    pub allowed_tools: Option<Vec<String>>,
    pub exclude_tools: Vec<String>,
    pub subagents: Vec<(String, SubagentSpec)>,
}

impl AgentSpec {
    /// The tool import paths the agent gets, in order: `allowed_tools` if given, else
    /// `tools`, minus `exclude_tools` (kimi-cli's `load_agent`).
    pub fn tool_paths(&self) -> Vec<String> {
        self.allowed_tools
            .as_ref()
            .unwrap_or(&self.tools)
            .iter()
            .filter(|t| !self.exclude_tools.contains(t))
            .cloned()
            .collect()
    }
}

/// A spec and its subagents' specs (loaded at start-up, as kimi-cli registers them; their
/// own subagents are not loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedAgent {
    /// The spec file it was loaded from.
    pub file: PathBuf,
    pub spec: AgentSpec,
    /// `(name, description, spec)` of each subagent, in declaration order.
    pub subagents: Vec<(String, String, AgentSpec)>,
}

/// Load `file` and its subagents' specs. `default_file` is what `extend: default` names.
pub fn load_agent(file: &Path, default_file: &Path) -> Result<LoadedAgent, AgentSpecError> {
    let spec = load_agent_spec(file, default_file)?;
    let mut subagents = vec![];
    for (name, sub) in &spec.subagents {
        let sub_spec = load_agent_spec(&sub.path, default_file)?;
        subagents.push((name.clone(), sub.description.clone(), sub_spec));
    }
    Ok(LoadedAgent {
        file: file.to_path_buf(),
        spec,
        subagents,
    })
}

/// A field that may be absent (inherited from the parent spec).
#[derive(Debug, Clone, Default)]
enum Field<T> {
    #[default]
    Inherit,
    Set(T),
}

impl<T> Field<T> {
    fn is_set(&self) -> bool {
        matches!(self, Field::Set(_))
    }
}

/// One file's `agent` mapping, before the chain is resolved.
#[derive(Debug, Clone, Default)]
struct RawSpec {
    extend: Option<String>,
    name: Field<String>,
    system_prompt_path: Field<PathBuf>,
    system_prompt_args: Vec<(String, String)>,
    model: Option<String>,
    when_to_use: Option<String>,
    tools: Field<Option<Vec<String>>>,
    allowed_tools: Field<Option<Vec<String>>>,
    exclude_tools: Field<Option<Vec<String>>>,
    subagents: Field<Option<Vec<(String, SubagentSpec)>>>,
}

/// kimi-cli's `load_agent_spec`: the chain resolved, required fields checked.
pub fn load_agent_spec(file: &Path, default_file: &Path) -> Result<AgentSpec, AgentSpecError> {
    let raw = load_raw(file, default_file, 0)?;
    let Field::Set(name) = raw.name else {
        return Err(AgentSpecError(msg("agentspec.no_name", &[])));
    };
    let Field::Set(system_prompt_path) = raw.system_prompt_path else {
        return Err(AgentSpecError(msg("agentspec.no_system_prompt", &[])));
    };
    let Field::Set(tools) = raw.tools else {
        return Err(AgentSpecError("Tools are required".into()));
    };
    let set_or = |f: Field<Option<Vec<String>>>| match f {
        Field::Set(v) => v,
        Field::Inherit => None,
    };
    Ok(AgentSpec {
        name,
        system_prompt_path,
        system_prompt_args: raw.system_prompt_args,
        model: raw.model,
        when_to_use: raw.when_to_use.unwrap_or_default(),
        tools: tools.unwrap_or_default(),
        allowed_tools: set_or(raw.allowed_tools),
        exclude_tools: set_or(raw.exclude_tools).unwrap_or_default(),
        subagents: match raw.subagents {
            Field::Set(Some(s)) => s,
            _ => vec![],
        },
    })
}

/// Deeper `extend` chains than this are a cycle (kimi-cli recurses until Python gives up).
const MAX_EXTEND_DEPTH: usize = 64;

fn load_raw(file: &Path, default_file: &Path, depth: usize) -> Result<RawSpec, AgentSpecError> {
    if depth > MAX_EXTEND_DEPTH {
        return Err(AgentSpecError(format!(
            "Agent spec extend chain is too deep (a cycle?) at: {}",
            file.display()
        )));
    }
    if !file.exists() {
        return Err(AgentSpecError(msg(
            "agentspec.not_found",
            &[("{path}", &file.display().to_string())],
        )));
    }
    if !file.is_file() {
        return Err(AgentSpecError(msg(
            "agentspec.not_a_file",
            &[("{path}", &file.display().to_string())],
        )));
    }
    let text = std::fs::read(file).map_err(|e| {
        AgentSpecError(format!(
            "Cannot read agent spec file {}: {e}",
            file.display()
        ))
    })?;
    let text = String::from_utf8(text).map_err(|_| {
        AgentSpecError(msg(
            "agentspec.invalid_yaml",
            &[("{error}", &format!("{} is not UTF-8", file.display()))],
        ))
    })?;
    let data = kagent_base::py::yaml::safe_load(&text).map_err(|e| {
        AgentSpecError(msg(
            "agentspec.invalid_yaml",
            &[("{error}", &e.to_string())],
        ))
    })?;
    let top = match &data {
        Yaml::Hash(h) => h,
        _ => {
            return Err(AgentSpecError(msg(
                "agentspec.invalid_yaml",
                &[(
                    "{error}",
                    &format!("{} must hold a mapping (version, agent)", file.display()),
                )],
            )))
        }
    };
    let get = |key: &str| top.get(&Yaml::String(key.into()));
    let version = get("version").map(py_str).unwrap_or_else(|| "1".into());
    if !SUPPORTED_VERSIONS.contains(&version.as_str()) {
        return Err(AgentSpecError(msg(
            "agentspec.bad_version",
            &[("{version}", &version)],
        )));
    }
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut spec = match get("agent") {
        None => RawSpec::default(),
        Some(agent) => parse_agent(agent, dir)?,
    };
    let Some(extend) = spec.extend.take() else {
        return Ok(spec);
    };
    let base_file = if extend == "default" {
        default_file.to_path_buf()
    } else {
        absolute(dir, Path::new(&extend))
    };
    let mut base = load_raw(&base_file, default_file, depth + 1)?;
    if spec.name.is_set() {
        base.name = spec.name;
    }
    if spec.system_prompt_path.is_set() {
        base.system_prompt_path = spec.system_prompt_path;
    }
    for (k, v) in spec.system_prompt_args {
        match base.system_prompt_args.iter_mut().find(|(bk, _)| *bk == k) {
            Some(slot) => slot.1 = v,
            None => base.system_prompt_args.push((k, v)),
        }
    }
    if spec.model.is_some() {
        base.model = spec.model;
    }
    if spec.when_to_use.is_some() {
        base.when_to_use = spec.when_to_use;
    }
    if spec.tools.is_set() {
        base.tools = spec.tools;
    }
    if spec.allowed_tools.is_set() {
        base.allowed_tools = spec.allowed_tools;
    }
    if spec.exclude_tools.is_set() {
        base.exclude_tools = spec.exclude_tools;
    }
    if spec.subagents.is_set() {
        base.subagents = spec.subagents;
    }
    Ok(base)
}

/// pydantic's validation error of the `AgentSpec` model for one field of a plain type (`str |
/// None`, `dict[str, str]`): one error, `Input should be <what>`, with pydantic's `type`.
fn invalid(loc: &str, what: &str, value: &Yaml) -> AgentSpecError {
    AgentSpecError(format_errors("AgentSpec", &[not_a(loc, what, value)]))
}

/// One pydantic error `Input should be <what>` at `loc`.
fn not_a(loc: &str, what: &str, value: &Yaml) -> ErrorItem {
    let kind = match what {
        "a valid string" => "string_type",
        "a valid list" => "list_type",
        _ => "dict_type",
    };
    ErrorItem {
        loc: loc.to_string(),
        msg: format!("Input should be {what}"),
        kind,
        input: yaml_value(value),
    }
}

/// pydantic's error for a field typed `<branch> | Inherit` (kimi-cli's marker for a field the
/// spec inherits): the errors of the `<branch>` branch (`branch_errors`, their locs under
/// `<key>.<branch>`), then those of calling the `Inherit` named tuple (no fields) with the value:
/// a list's items are unexpected positional arguments, a mapping's keys unexpected keywords,
/// any other value no arguments at all.
fn invalid_union(key: &str, branch_errors: Vec<ErrorItem>, value: &Yaml) -> AgentSpecError {
    let at = format!("{key}.call[Inherit]");
    let mut errors = branch_errors;
    match value {
        Yaml::Array(items) => errors.extend(items.iter().enumerate().map(|(i, item)| ErrorItem {
            loc: format!("{at}.{i}"),
            msg: "Unexpected positional argument".into(),
            kind: "unexpected_positional_argument",
            input: yaml_value(item),
        })),
        Yaml::Hash(h) => errors.extend(h.iter().map(|(k, v)| ErrorItem {
            loc: format!("{at}.{}", py_str(k)),
            msg: "Unexpected keyword argument".into(),
            kind: "unexpected_keyword_argument",
            input: yaml_value(v),
        })),
        _ => errors.push(ErrorItem {
            loc: at,
            msg: "Arguments must be a tuple, list or a dictionary".into(),
            kind: "arguments_type",
            input: yaml_value(value),
        }),
    }
    AgentSpecError(format_errors("AgentSpec", &errors))
}

/// The value PyYAML would have loaded, as JSON (for pydantic's `input_value`/`input_type`).
fn yaml_value(v: &Yaml) -> Value {
    match v {
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(r.clone()), Value::Number),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(yaml_value).collect()),
        Yaml::Hash(h) => Value::Object(h.iter().map(|(k, v)| (py_str(k), yaml_value(v))).collect()),
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
    }
}

fn parse_agent(agent: &Yaml, dir: &Path) -> Result<RawSpec, AgentSpecError> {
    let Yaml::Hash(h) = agent else {
        return Err(AgentSpecError(format!(
            "1 validation error for AgentSpec\n  Input should be a valid dictionary [input_value={}]",
            py_repr(agent)
        )));
    };
    let mut spec = RawSpec::default();
    for (k, v) in h {
        let Yaml::String(key) = k else { continue };
        let string = |v: &Yaml| match v {
            Yaml::String(s) => Ok(s.clone()),
            _ => Err(invalid(key, "a valid string", v)),
        };
        let opt_string = |v: &Yaml| match v {
            Yaml::Null => Ok(None),
            other => string(other).map(Some),
        };
        // `list[str] | None | Inherit`
        let list = |v: &Yaml| -> Result<Option<Vec<String>>, AgentSpecError> {
            let branch = format!("{key}.list[str]");
            match v {
                Yaml::Null => Ok(None),
                Yaml::Array(items) => {
                    let bad: Vec<ErrorItem> = items
                        .iter()
                        .enumerate()
                        .filter(|(_, item)| !matches!(item, Yaml::String(_)))
                        .map(|(i, item)| not_a(&format!("{branch}.{i}"), "a valid string", item))
                        .collect();
                    if !bad.is_empty() {
                        return Err(invalid_union(key, bad, v));
                    }
                    Ok(Some(items.iter().map(py_str).collect()))
                }
                _ => Err(invalid_union(
                    key,
                    vec![not_a(&branch, "a valid list", v)],
                    v,
                )),
            }
        };
        // `str | Inherit`
        let union_string = |v: &Yaml| match v {
            Yaml::String(s) => Ok(s.clone()),
            _ => Err(invalid_union(
                key,
                vec![not_a(&format!("{key}.str"), "a valid string", v)],
                v,
            )),
        };
        match key.as_str() {
            "extend" => spec.extend = opt_string(v)?,
            "name" => spec.name = Field::Set(union_string(v)?),
            "system_prompt_path" => {
                spec.system_prompt_path = Field::Set(absolute(dir, Path::new(&string(v)?)))
            }
            "system_prompt_args" => {
                let Yaml::Hash(args) = v else {
                    return Err(invalid(key, "a valid dictionary", v));
                };
                for (ak, av) in args {
                    let (Yaml::String(ak), Yaml::String(av)) = (ak, av) else {
                        let loc = format!("{key}.{}", py_str(ak));
                        return Err(invalid(&loc, "a valid string", av));
                    };
                    spec.system_prompt_args.push((ak.clone(), av.clone()));
                }
            }
            "model" => spec.model = opt_string(v)?,
            "when_to_use" => spec.when_to_use = opt_string(v)?,
            "tools" => spec.tools = Field::Set(list(v)?),
            "allowed_tools" => spec.allowed_tools = Field::Set(list(v)?),
            "exclude_tools" => spec.exclude_tools = Field::Set(list(v)?),
            "subagents" => {
                let subs = match v {
                    Yaml::Null => None,
                    Yaml::Hash(subs) => {
                        let mut out = vec![];
                        for (name, sub) in subs {
                            let name = py_str(name);
                            let Yaml::Hash(sub_h) = sub else {
                                // kagent's wording (pydantic's, without its `type` details)
                                return Err(invalid(
                                    &format!("subagents.{name}"),
                                    "a valid dictionary or instance of SubagentSpec",
                                    sub,
                                ));
                            };
                            let field = |f: &str| {
                                match sub_h.get(&Yaml::String(f.into())) {
                                Some(Yaml::String(s)) => Ok(s.clone()),
                                Some(other) => Err(invalid(
                                    &format!("subagents.{name}.{f}"),
                                    "a valid string",
                                    other,
                                )),
                                None => Err(AgentSpecError(format!(
                                    "1 validation error for AgentSpec\nsubagents.{name}.{f}\n  Field required"
                                ))),
                            }
                            };
                            let path = field("path")?;
                            let description = field("description")?;
                            out.push((
                                name,
                                SubagentSpec {
                                    path: absolute(dir, Path::new(&path)),
                                    description,
                                },
                            ));
                        }
                        Some(out)
                    }
                    _ => return Err(invalid(key, "a valid dictionary", v)),
                };
                spec.subagents = Field::Set(subs);
            }
            // pydantic ignores unknown fields
            _ => {}
        }
    }
    Ok(spec)
}

/// Python's `str()` of a YAML scalar (as PyYAML would have typed it).
fn py_str(v: &Yaml) -> String {
    match v {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(true) => "True".into(),
        Yaml::Boolean(false) => "False".into(),
        Yaml::Null | Yaml::Alias(_) => "None".into(),
        // what py::yaml leaves without a JSON-like value (a date, `!!binary`, `!!set`)
        Yaml::BadValue => "<a date, binary or set value>".into(),
        Yaml::Array(_) | Yaml::Hash(_) => py_repr(v),
    }
}

/// Roughly Python's `repr()` of the value, for validation messages.
fn py_repr(v: &Yaml) -> String {
    match v {
        Yaml::String(s) => kagent_base::py::repr::repr_str(s),
        Yaml::Array(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Yaml::Hash(h) => format!(
            "{{{}}}",
            h.iter()
                .map(|(k, v)| format!("{}: {}", py_repr(k), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => py_str(other),
    }
}

/// pathlib's `(dir / path).absolute()`: joined, made absolute against the current directory,
/// `.` components and repeated separators dropped, `..` kept, symlinks not resolved.
pub fn absolute(dir: &Path, path: &Path) -> PathBuf {
    let joined = dir.join(path);
    let joined = if joined.is_absolute() {
        joined
    } else {
        std::env::current_dir().unwrap_or_default().join(joined)
    };
    joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// kagent's own agents (`default` only), written under the share directory so that their
/// paths can be read like any spec's. Files that already hold the right text are left alone;
/// others are replaced atomically (a concurrent kagent never reads half a file).
pub fn builtin_agents_dir(share: &Path) -> std::io::Result<PathBuf> {
    const FILES: &[(&str, &str)] = &[
        (
            "default/agent.yaml",
            include_str!("builtin/agents/default/agent.yaml"),
        ),
        (
            "default/system.md",
            include_str!("builtin/agents/default/system.md"),
        ),
        (
            "default/coder.yaml",
            include_str!("builtin/agents/default/coder.yaml"),
        ),
        (
            "default/explore.yaml",
            include_str!("builtin/agents/default/explore.yaml"),
        ),
    ];
    let dir = share
        .join("kagent")
        .join("agents")
        .join(env!("CARGO_PKG_VERSION"));
    for (rel, text) in FILES {
        let file = dir.join(rel);
        if std::fs::read(&file).is_ok_and(|b| b == text.as_bytes()) {
            continue;
        }
        let parent = file.parent().unwrap_or(&dir);
        std::fs::create_dir_all(parent)?;
        let tmp = parent.join(format!(".write.{}.tmp", std::process::id()));
        let result = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &file));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);
    impl Dir {
        fn new(name: &str) -> Dir {
            let d = std::env::temp_dir()
                .join(format!("kagent-agentspec-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).unwrap();
            Dir(d)
        }
        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            p
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const DEFAULT: &str = "version: 1\nagent:\n  name: \"\"\n  system_prompt_path: ./system.md\n  \
        system_prompt_args:\n    ROLE_ADDITIONAL: \"\"\n    KEEP: k\n  tools:\n    - \"m:A\"\n    - \"m:B\"\n    - \"m:C\"\n  \
        subagents:\n    coder:\n      path: ./coder.yaml\n      description: \"Writes code.\"\n";

    fn err(file: &Path, default: &Path) -> String {
        load_agent_spec(file, default).unwrap_err().to_string()
    }

    #[test]
    fn extend_chains_merge_like_kimi_cli() {
        let d = Dir::new("chain");
        let default = d.write("agents/default/agent.yaml", DEFAULT);
        let mid = d.write(
            "custom/mid.yaml",
            "agent:\n  extend: default\n  name: mid\n  system_prompt_args:\n    ROLE_ADDITIONAL: mid role\n    NEW: n\n  exclude_tools: [\"m:B\"]\n",
        );
        let leaf = d.write(
            "custom/sub/leaf.yaml",
            "version: \"1\"\nagent:\n  extend: ../mid.yaml\n  system_prompt_path: ../prompts/leaf.md\n  when_to_use: later\n",
        );
        let spec = load_agent_spec(&leaf, &default).unwrap();
        assert_eq!(spec.name, "mid");
        // pathlib's `absolute()` keeps `..`
        assert_eq!(
            spec.system_prompt_path,
            d.0.join("custom/sub/../prompts/leaf.md")
        );
        assert_eq!(
            spec.system_prompt_args,
            vec![
                ("ROLE_ADDITIONAL".to_string(), "mid role".to_string()),
                ("KEEP".into(), "k".into()),
                ("NEW".into(), "n".into()),
            ]
        );
        assert_eq!(spec.tool_paths(), vec!["m:A".to_string(), "m:C".into()]);
        assert_eq!(spec.when_to_use, "later");
        assert_eq!(
            spec.subagents,
            vec![(
                "coder".to_string(),
                SubagentSpec {
                    path: d.0.join("agents/default/coder.yaml"),
                    description: "Writes code.".into()
                }
            )]
        );
        // the subagent's spec is loaded too, and its error surfaces
        assert_eq!(
            load_agent(&mid, &default).unwrap_err().to_string(),
            msg(
                "agentspec.not_found",
                &[(
                    "{path}",
                    &d.0.join("agents/default/coder.yaml").display().to_string()
                )]
            )
        );
        d.write(
            "agents/default/coder.yaml",
            "agent:\n  extend: ./agent.yaml\n  allowed_tools: [\"m:C\"]\n",
        );
        let loaded = load_agent(&mid, &default).unwrap();
        assert_eq!(loaded.subagents[0].0, "coder");
        assert_eq!(loaded.subagents[0].2.tool_paths(), vec!["m:C".to_string()]);
    }

    #[test]
    fn errors_are_worded_as_kimi_cli_words_them() {
        let d = Dir::new("errors");
        let default = d.write("agents/default/agent.yaml", DEFAULT);
        let missing = d.0.join("nope.yaml");
        assert_eq!(
            err(&missing, &default),
            msg(
                "agentspec.not_found",
                &[("{path}", &missing.display().to_string())]
            )
        );
        assert_eq!(
            err(&d.0, &default),
            msg(
                "agentspec.not_a_file",
                &[("{path}", &d.0.display().to_string())]
            )
        );
        let f = d.write("v2.yaml", "version: 2\nagent:\n  name: x\n");
        assert_eq!(
            err(&f, &default),
            msg("agentspec.bad_version", &[("{version}", "2")])
        );
        let f = d.write(
            "noname.yaml",
            "agent:\n  system_prompt_path: a.md\n  tools: []\n",
        );
        assert_eq!(err(&f, &default), msg("agentspec.no_name", &[]));
        let f = d.write("noprompt.yaml", "agent:\n  name: a\n  tools: []\n");
        assert_eq!(err(&f, &default), msg("agentspec.no_system_prompt", &[]));
        let f = d.write(
            "notools.yaml",
            "agent:\n  name: a\n  system_prompt_path: a.md\n",
        );
        assert_eq!(err(&f, &default), "Tools are required");
        let f = d.write("bad.yaml", "agent: [unclosed\n");
        let yaml = msg("agentspec.invalid_yaml", &[("{error}", "")]);
        assert!(err(&f, &default).starts_with(&yaml));
        let f = d.write("badtools.yaml", "agent:\n  name: a\n  tools: Shell\n");
        assert_eq!(
            err(&f, &default),
            "2 validation errors for AgentSpec\n\
             tools.list[str]\n  Input should be a valid list [type=list_type, input_value='Shell', input_type=str]\n    \
             For further information visit https://errors.pydantic.dev/2.12/v/list_type\n\
             tools.call[Inherit]\n  Arguments must be a tuple, list or a dictionary [type=arguments_type, input_value='Shell', input_type=str]\n    \
             For further information visit https://errors.pydantic.dev/2.12/v/arguments_type"
        );
        // pydantic's exact text (checked against kimi-cli 1.51's AgentSpec)
        let f = d.write("badname.yaml", "agent:\n  name: [1]\n  tools: []\n");
        assert_eq!(
            err(&f, &default),
            "2 validation errors for AgentSpec\n\
             name.str\n  Input should be a valid string [type=string_type, input_value=[1], input_type=list]\n    \
             For further information visit https://errors.pydantic.dev/2.12/v/string_type\n\
             name.call[Inherit].0\n  Unexpected positional argument [type=unexpected_positional_argument, input_value=1, input_type=int]\n    \
             For further information visit https://errors.pydantic.dev/2.12/v/unexpected_positional_argument"
        );
        let f = d.write("badlist.yaml", "agent:\n  tools: ['a', 2]\n");
        assert_eq!(
            err(&f, &default),
            "3 validation errors for AgentSpec\n\
             tools.list[str].1\n  Input should be a valid string [type=string_type, input_value=2, input_type=int]\n    \
             For further information visit https://errors.pydantic.dev/2.12/v/string_type\n\
             tools.call[Inherit].0\n  Unexpected positional argument [type=unexpected_positional_argument, input_value='a', input_type=str]\n    \
             For further information visit https://errors.pydantic.dev/2.12/v/unexpected_positional_argument\n\
             tools.call[Inherit].1\n  Unexpected positional argument [type=unexpected_positional_argument, input_value=2, input_type=int]\n    \
             For further information visit https://errors.pydantic.dev/2.12/v/unexpected_positional_argument"
        );
        let f = d.write("badargs.yaml", "agent:\n  system_prompt_args: {A: 1}\n");
        assert_eq!(
            err(&f, &default),
            "1 validation error for AgentSpec\n\
             system_prompt_args.A\n  Input should be a valid string [type=string_type, input_value=1, input_type=int]\n    \
             For further information visit https://errors.pydantic.dev/2.12/v/string_type"
        );
        let f = d.write("badext.yaml", "agent:\n  extend: ./gone.yaml\n");
        assert_eq!(
            err(&f, &default),
            msg(
                "agentspec.not_found",
                &[("{path}", &d.0.join("gone.yaml").display().to_string())]
            )
        );
        let f = d.write("cycle.yaml", "agent:\n  extend: ./cycle.yaml\n");
        assert!(err(&f, &default).starts_with("Agent spec extend chain is too deep"));
    }

    #[test]
    fn null_lists_and_version_forms() {
        let d = Dir::new("null");
        let default = d.write("agents/default/agent.yaml", DEFAULT);
        let f = d.write(
            "a.yaml",
            "version: \"1\"\nagent:\n  name: a\n  system_prompt_path: p.md\n  tools: null\n  exclude_tools: null\n",
        );
        let spec = load_agent_spec(&f, &default).unwrap();
        assert!(spec.tools.is_empty() && spec.exclude_tools.is_empty());
        assert_eq!(spec.allowed_tools, None);
        let f = d.write("b.yaml", "version: 1.0\nagent:\n  name: a\n");
        assert_eq!(
            err(&f, &default),
            msg("agentspec.bad_version", &[("{version}", "1.0")])
        );
    }

    #[test]
    fn builtin_default_agent_loads() {
        let d = Dir::new("builtin");
        let dir = builtin_agents_dir(&d.0).unwrap();
        let default = dir.join("default").join("agent.yaml");
        let spec = load_agent_spec(&default, &default).unwrap();
        assert_eq!(
            spec.system_prompt_path,
            dir.join("default").join("system.md")
        );
        assert!(spec.system_prompt_path.is_file());
        // every tool of kimi-cli's default agent that kagent implements (not SendDMail or
        // Think, which kimi-cli's default agent does not list either)
        assert_eq!(spec.tools.len(), 17);
        for path in [
            "kimi_cli.tools.web:FetchURL",
            "kimi_cli.tools.web:SearchWeb",
            "kimi_cli.tools.background:TaskList",
            "kimi_cli.tools.background:TaskOutput",
            "kimi_cli.tools.background:TaskStop",
        ] {
            assert!(spec.tools.iter().any(|t| t == path), "{path}");
        }
        // its subagents load too (each its own spec and prompt)
        let loaded = load_agent(&default, &default).unwrap();
        let names: Vec<&str> = loaded.subagents.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(names, ["coder", "explore"]);
        for (_, _, sub) in &loaded.subagents {
            assert!(sub.system_prompt_path.is_file());
            assert!(sub.allowed_tools.as_ref().is_some_and(|t| !t.is_empty()));
            assert!(!sub.when_to_use.is_empty());
        }
        // written once, repaired when damaged
        std::fs::write(&default, "damaged").unwrap();
        builtin_agents_dir(&d.0).unwrap();
        assert!(load_agent_spec(&default, &default).is_ok());
    }
}
