//! Skills, as kimi-cli 1.51 finds and offers them: directories of `SKILL.md` files (or flat
//! `<name>.md` files) found in layered roots — `--skills-dir` (or the project's and the
//! user's skill directories), `extra_skill_dirs`, the plugins directory, the built-in
//! skills — listed in the system prompt by scope and offered as `/skill:<name>` commands.
//!
//! Flow skills (`type: flow`) keep their kind and raw text here; their `/flow:<name>`
//! commands are built by the flow module, not here.

pub mod flow;
pub use kagent_base::py::frontmatter;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use frontmatter::{parse_frontmatter, py_strip, strip_frontmatter, Yaml};

/// The prefix of skill slash commands.
pub const SKILL_COMMAND_PREFIX: &str = "skill:";

/// Longest body-derived description (kimi-cli's fallback cap), in characters.
const DESCRIPTION_FALLBACK_MAX_LEN: usize = 240;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkillKind {
    Standard,
    /// `type: flow`: a flowchart the flow runner walks (see the flow module).
    Flow,
}

/// Where a skill was found; the order is the system prompt's heading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Project,
    User,
    /// `--skills-dir`, `extra_skill_dirs` and the plugins directory.
    Extra,
    Builtin,
}

impl Scope {
    fn heading(self) -> &'static str {
        match self {
            Scope::Project => "Project",
            Scope::User => "User",
            Scope::Extra => "Extra",
            Scope::Builtin => "Built-in",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Skill {
    pub name: String,
    pub description: String,
    pub kind: SkillKind,
    /// The skill's resource directory (for a flat `<name>.md` skill: its skills root).
    pub dir: PathBuf,
    /// The markdown file holding the skill.
    pub skill_md_file: PathBuf,
    pub scope: Scope,
    /// The file's text as read at discovery (what a flow skill's diagram is parsed from).
    pub content: String,
    /// A flow skill's flowchart, parsed at discovery.
    pub flow: Option<std::sync::Arc<crate::skills::flow::Flow>>,
}

/// A skills root and the scope of what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedRoot {
    pub root: PathBuf,
    pub scope: Scope,
}

/// Python's `str.casefold()` for the characters that differ from lowercasing in practice.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            'ς' => out.push('σ'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The nearest ancestor of `work_dir` (itself included) holding `.git`, else `work_dir`.
pub fn project_root(work_dir: &Path) -> &Path {
    work_dir
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(work_dir)
}

fn is_dir(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_dir())
}

/// Brand directories (`.kimi` > `.claude` > `.codex`): the first existing one, or all of
/// them when `merge`; then the first existing generic one.
fn layered(brands: [PathBuf; 3], generic: &[PathBuf], merge: bool) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = brands.into_iter().filter(|d| is_dir(d)).collect();
    if !merge {
        dirs.truncate(1);
    }
    dirs.extend(generic.iter().find(|d| is_dir(d)).cloned());
    dirs
}

/// Where skills are looked for.
#[derive(Debug, Clone, Default)]
pub struct RootOptions {
    pub work_dir: PathBuf,
    pub home: PathBuf,
    pub share_dir: PathBuf,
    /// `--skills-dir` values: replace project and user discovery.
    pub skills_dirs: Vec<PathBuf>,
    /// `merge_all_available_skills`.
    pub merge_brands: bool,
    /// `extra_skill_dirs`.
    pub extra_skill_dirs: Vec<String>,
    /// The built-in skills directory, `None` when there are no built-in skills.
    pub builtin_dir: Option<PathBuf>,
}

/// Python's `Path.resolve()` (symlinks followed as far as the path exists).
fn resolve(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| kagent_base::paths::canonical(p))
}

/// The roots, highest priority first: Project > User (or `--skills-dir`) > Extra (config) >
/// Extra (plugins) > Built-in; a root reached twice (symlinks, `..`) counts once.
pub fn resolve_roots(opts: &RootOptions) -> Vec<ScopedRoot> {
    let mut roots: Vec<ScopedRoot> = vec![];
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut append = |root: &Path, scope: Scope| {
        let canon = resolve(root);
        if seen.insert(canon.clone()) {
            roots.push(ScopedRoot { root: canon, scope });
        }
    };
    let project = project_root(&opts.work_dir);
    if !opts.skills_dirs.is_empty() {
        for d in &opts.skills_dirs {
            append(d, Scope::Extra);
        }
    } else {
        let brands = [".kimi", ".claude", ".codex"].map(|b| project.join(b).join("skills"));
        for d in layered(
            brands,
            &[project.join(".agents").join("skills")],
            opts.merge_brands,
        ) {
            append(&d, Scope::Project);
        }
        let home = &opts.home;
        let brands = [".kimi", ".claude", ".codex"].map(|b| home.join(b).join("skills"));
        let generic = [
            home.join(".config").join("agents").join("skills"),
            home.join(".agents").join("skills"),
        ];
        for d in layered(brands, &generic, opts.merge_brands) {
            append(&d, Scope::User);
        }
    }
    for raw in &opts.extra_skill_dirs {
        if raw.is_empty() {
            continue;
        }
        let p = kagent_base::paths::expand_user_path(raw);
        let p = if p.is_absolute() { p } else { project.join(p) };
        if is_dir(&p) {
            append(&p, Scope::Extra);
        }
    }
    let plugins = opts.share_dir.join("plugins");
    if is_dir(&plugins) {
        append(&plugins, Scope::Extra);
    }
    if let Some(b) = &opts.builtin_dir {
        append(b, Scope::Builtin);
    }
    roots
}

fn strip_md_suffix(name: &str) -> &str {
    if name.len() >= 3 && name.is_char_boundary(name.len() - 3) {
        let (stem, ext) = name.split_at(name.len() - 3);
        if ext.eq_ignore_ascii_case(".md") {
            return stem;
        }
    }
    name
}

fn truncate(text: &str) -> String {
    let text = py_strip(text);
    if text.chars().count() <= DESCRIPTION_FALLBACK_MAX_LEN {
        return text.to_string();
    }
    let head: String = text
        .chars()
        .take(DESCRIPTION_FALLBACK_MAX_LEN - 1)
        .collect();
    format!("{}…", head.trim_end_matches(frontmatter::is_py_space))
}

/// The first non-empty body line that is not a stray `---`.
fn first_meaningful_line(content: &str) -> Option<&str> {
    kagent_base::py::strings::splitlines(strip_frontmatter(content))
        .into_iter()
        .map(py_strip)
        .find(|l| !l.is_empty() && *l != "---")
}

/// A frontmatter problem in kimi-cli's words (kagent-base words its own).
fn frontmatter_reason(e: &frontmatter::FrontmatterError) -> String {
    match e {
        frontmatter::FrontmatterError::NotMapping => {
            crate::tools::util::msg("frontmatter.not_mapping", &[])
        }
        other => other.to_string(),
    }
}

/// Why a skill file is skipped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SkillError {
    #[error("{}", frontmatter_reason(.0))]
    Frontmatter(#[from] frontmatter::FrontmatterError),
    #[error("`{0}` must be a string")]
    NotAString(&'static str),
    #[error("Invalid skill type {0}")]
    InvalidType(String),
    /// A flow diagram on which kimi-cli's parser crashes: the skill is skipped.
    #[error(transparent)]
    Flow(crate::skills::flow::FlowError),
}

/// A frontmatter field read like kimi-cli: a falsy value is absent, a truthy one must be a
/// string (pydantic's `str` field).
fn text_field(fm: &Yaml, key: &'static str) -> Result<Option<String>, SkillError> {
    match fm.get(key) {
        Some(v) if v.truthy() => match v {
            Yaml::Str(s) => Ok(Some(s.clone())),
            _ => Err(SkillError::NotAString(key)),
        },
        _ => Ok(None),
    }
}

/// Read one skill file's text (`flat`: a `<name>.md` file directly in a skills root).
pub fn parse_skill_text(
    content: &str,
    dir: &Path,
    skill_md_file: &Path,
    scope: Scope,
    flat: bool,
) -> Result<Skill, SkillError> {
    let fm = parse_frontmatter(content)?.unwrap_or(Yaml::Map(vec![]));
    let default_name = if flat {
        let file = skill_md_file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        strip_md_suffix(&file).to_string()
    } else {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let name = text_field(&fm, "name")?.unwrap_or(default_name);
    let description = match text_field(&fm, "description")? {
        Some(d) => d,
        None => match first_meaningful_line(content) {
            Some(line) => truncate(line),
            None => crate::tools::util::msg("skills.no_description", &[]),
        },
    };
    let kind = match fm.get("type") {
        Some(v) if v.truthy() => match v {
            Yaml::Str(s) if s == "standard" => SkillKind::Standard,
            Yaml::Str(s) if s == "flow" => SkillKind::Flow,
            Yaml::Str(s) => return Err(SkillError::InvalidType(format!("\"{s}\""))),
            other => return Err(SkillError::InvalidType(format!("{other:?}"))),
        },
        _ => SkillKind::Standard,
    };
    // As kimi-cli: a flow skill whose diagram does not parse is logged and kept as a
    // standard skill.
    let (kind, flow) = match kind {
        SkillKind::Flow => match crate::skills::flow::parse_flow_from_skill(content) {
            Ok(flow) => (SkillKind::Flow, Some(std::sync::Arc::new(flow))),
            Err(e) if e.skips_skill() => return Err(SkillError::Flow(e)),
            Err(e) => {
                kagent_base::logging::error(&crate::tools::util::msg(
                    "skills.flow_invalid.log",
                    &[("{name}", &name), ("{error}", &e.to_string())],
                ));
                (SkillKind::Standard, None)
            }
        },
        SkillKind::Standard => (SkillKind::Standard, None),
    };
    Ok(Skill {
        name,
        description,
        kind,
        dir: dir.to_path_buf(),
        skill_md_file: skill_md_file.to_path_buf(),
        scope,
        content: content.to_string(),
        flow,
    })
}

fn read_utf8(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// The skills of one root: `<name>/SKILL.md` directories first, then flat `<name>.md` files
/// whose name no directory took. Sorted by name.
pub fn discover(root: &Path, scope: Scope) -> Vec<Skill> {
    if !is_dir(root) {
        return vec![];
    }
    let mut by_name: HashMap<String, Skill> = HashMap::new();
    let entries = |log: &str| -> Vec<PathBuf> {
        match std::fs::read_dir(root) {
            Ok(it) => it.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) => {
                kagent_base::logging::warn(&crate::tools::util::msg(
                    log,
                    &[
                        ("{path}", &root.display().to_string()),
                        ("{error}", &e.to_string()),
                    ],
                ));
                vec![]
            }
        }
    };
    for entry in entries("skills.iterate_failed.log") {
        let md = entry.join("SKILL.md");
        if !is_dir(&entry) || !std::fs::metadata(&md).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let parsed = read_utf8(&md).map_err(|e| e.to_string()).and_then(|text| {
            parse_skill_text(&text, &entry, &md, scope, false).map_err(|e| e.to_string())
        });
        match parsed {
            // among directories, the last one read wins a name (as kimi-cli's dict does)
            Ok(skill) => {
                by_name.insert(normalize_name(&skill.name), skill);
            }
            Err(e) => kagent_base::logging::info(&crate::tools::util::msg(
                "skills.invalid.log",
                &[("{path}", &md.display().to_string()), ("{error}", &e)],
            )),
        }
    }
    for entry in entries("skills.iterate_failed_flat.log") {
        if is_dir(&entry) {
            continue;
        }
        let file_name = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !file_name.to_lowercase().ends_with(".md") || file_name.to_uppercase() == "SKILL.MD" {
            continue;
        }
        let parsed = read_utf8(&entry)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                parse_skill_text(&text, root, &entry, scope, true).map_err(|e| e.to_string())
            });
        let skill = match parsed {
            Ok(s) => s,
            Err(e) => {
                kagent_base::logging::info(&crate::tools::util::msg(
                    "skills.invalid_flat.log",
                    &[("{path}", &entry.display().to_string()), ("{error}", &e)],
                ));
                continue;
            }
        };
        let key = normalize_name(&skill.name);
        if let Some(existing) = by_name.get(&key) {
            kagent_base::logging::warn(&format!(
                "Flat skill {} shadowed by the skill of the same name at {}; that one is used.",
                entry.display(),
                existing.dir.display()
            ));
            continue;
        }
        by_name.insert(key, skill);
    }
    let mut skills: Vec<Skill> = by_name.into_values().collect();
    skills.sort_by(|a, b| a.name.cmp(&b.name));
    skills
}

/// Every root's skills, the first root to define a name keeping it; sorted by name.
pub fn discover_from_roots(roots: &[ScopedRoot]) -> Vec<Skill> {
    let mut by_name: HashMap<String, Skill> = HashMap::new();
    for r in roots {
        for skill in discover(&r.root, r.scope) {
            by_name.entry(normalize_name(&skill.name)).or_insert(skill);
        }
    }
    let mut skills: Vec<Skill> = by_name.into_values().collect();
    skills.sort_by(|a, b| a.name.cmp(&b.name));
    skills
}

/// The `${KIMI_SKILLS}` text of the system prompt: skills grouped by scope.
pub fn format_for_prompt(skills: &[Skill]) -> String {
    let mut sections = vec![];
    for scope in [Scope::Project, Scope::User, Scope::Extra, Scope::Builtin] {
        let mut bucket: Vec<&Skill> = skills.iter().filter(|s| s.scope == scope).collect();
        if bucket.is_empty() {
            continue;
        }
        bucket.sort_by(|a, b| a.name.cmp(&b.name));
        let mut lines = vec![format!("### {}", scope.heading())];
        for s in bucket {
            lines.push(format!("- {}", s.name));
            lines.push(format!("  - Path: {}", s.skill_md_file.display()));
            lines.push(format!("  - Description: {}", s.description));
        }
        sections.push(lines.join("\n"));
    }
    if sections.is_empty() {
        "No skills found.".into()
    } else {
        sections.join("\n\n")
    }
}

/// The skills of a session: what the prompt lists and `/skill:<name>` runs.
#[derive(Debug, Clone, Default)]
pub struct Skills {
    /// Sorted by name.
    pub list: Vec<Skill>,
    /// Skills roots outside the work directory, which `Glob` may search.
    pub outside_roots: Vec<PathBuf>,
}

impl Skills {
    pub fn load(opts: &RootOptions) -> Skills {
        let roots = resolve_roots(opts);
        let list = discover_from_roots(&roots);
        kagent_base::logging::info(&format!("Discovered {} skill(s)", list.len()));
        let work_dir = kagent_base::paths::canonical(&opts.work_dir);
        let outside_roots = roots
            .into_iter()
            .map(|r| kagent_base::paths::canonical(&r.root))
            .filter(|r| !r.starts_with(&work_dir))
            .collect();
        Skills {
            list,
            outside_roots,
        }
    }

    /// `(command name, description)` of each skill's slash command, in skill name order.
    pub fn slash_commands(&self) -> Vec<(String, String)> {
        let mut seen = HashSet::new();
        self.list
            .iter()
            .map(|s| {
                (
                    format!("{SKILL_COMMAND_PREFIX}{}", s.name),
                    s.description.clone(),
                )
            })
            .filter(|(name, _)| seen.insert(name.clone()))
            .collect()
    }

    /// The skill a slash command name (`skill:<name>`, exact) runs.
    pub fn by_command(&self, command: &str) -> Option<&Skill> {
        let name = command.strip_prefix(SKILL_COMMAND_PREFIX)?;
        self.list.iter().find(|s| s.name == name)
    }
}

/// The text a `/skill:<name>` turn sends: the file as it is now, stripped; `None` when it
/// cannot be read.
pub fn read_skill_text(skill: &Skill) -> Option<String> {
    match read_utf8(&skill.skill_md_file) {
        Ok(t) => Some(py_strip(&t).to_string()),
        Err(e) => {
            kagent_base::logging::warn(&crate::tools::util::msg(
                "skills.read_failed.log",
                &[
                    ("{path}", &skill.skill_md_file.display().to_string()),
                    ("{error}", &e.to_string()),
                ],
            ));
            None
        }
    }
}

/// The user message of a `/skill:<name> args` turn.
pub fn skill_prompt(text: &str, args: &str) -> String {
    let extra = py_strip(args);
    if extra.is_empty() {
        text.to_string()
    } else {
        format!("{text}\n\nUser request:\n{extra}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kagent-skills-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write(p: &Path, text: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn subdirectory_and_flat_forms() {
        let root = tmp("forms");
        write(
            &root.join("alpha/SKILL.md"),
            "---\nname: alpha\ndescription: A\n---\nbody",
        );
        write(
            &root.join("alpha.md"),
            "---\ndescription: flat alpha\n---\n",
        );
        write(&root.join("beta.MD"), "# Beta\n\nBeta does things.");
        write(&root.join("SKILL.md"), "stray");
        write(&root.join("bad/SKILL.md"), "---\ntype: nope\n---\n");
        write(&root.join("empty.md"), "");
        let skills = discover(&root, Scope::Project);
        let names: Vec<_> = skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "empty"]);
        assert_eq!(skills[0].description, "A");
        assert_eq!(skills[0].skill_md_file, root.join("alpha/SKILL.md"));
        assert_eq!(skills[1].description, "# Beta");
        assert_eq!(skills[1].dir, root);
        assert_eq!(
            skills[2].description,
            crate::tools::util::msg("skills.no_description", &[])
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn fallbacks_and_kinds() {
        let p = Path::new("/r/x/SKILL.md");
        let long = "word ".repeat(100);
        let s = parse_skill_text(
            &format!("---\n---\n\n---\n{long}"),
            Path::new("/r/x"),
            p,
            Scope::User,
            false,
        )
        .unwrap();
        assert_eq!(s.name, "x");
        assert_eq!(s.description.chars().count(), 240);
        assert!(s.description.ends_with("word…"));
        let s = parse_skill_text(
            "---\ntype: flow\nname: 0\n---\n",
            Path::new("/r/x"),
            p,
            Scope::User,
            false,
        )
        .unwrap();
        // no diagram: kimi-cli keeps it as a standard skill
        assert_eq!((s.kind, s.name.as_str()), (SkillKind::Standard, "x"));
        assert!(s.flow.is_none());
        let s = parse_skill_text(
            "---\ntype: flow\n---\n```d2\nBEGIN -> END\n```\n",
            Path::new("/r/x"),
            p,
            Scope::User,
            false,
        )
        .unwrap();
        assert_eq!(s.kind, SkillKind::Flow);
        assert_eq!(s.flow.as_ref().map(|f| f.nodes.len()), Some(2));
        // a diagram kimi-cli's d2 parser crashes on: the skill is skipped
        assert!(matches!(
            parse_skill_text(
                "---\ntype: flow\n---\n```d2\n.: x\n```\n",
                Path::new("/r/x"),
                p,
                Scope::User,
                false,
            ),
            Err(SkillError::Flow(_))
        ));
        assert!(parse_skill_text(
            "---\nname: 12\n---\n",
            Path::new("/r/x"),
            p,
            Scope::User,
            false
        )
        .is_err());
        assert!(parse_skill_text(
            "---\ndescription: [a]\n---\n",
            Path::new("/r/x"),
            p,
            Scope::User,
            false
        )
        .is_err());
    }

    #[test]
    fn roots_layering_and_precedence() {
        let base = tmp("roots");
        let work = base.join("repo/sub");
        std::fs::create_dir_all(base.join("repo/.git")).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        let home = base.join("home");
        write(
            &base.join("repo/.kimi/skills/s/SKILL.md"),
            "---\ndescription: project kimi\n---\n",
        );
        write(
            &base.join("repo/.claude/skills/c/SKILL.md"),
            "---\ndescription: project claude\n---\n",
        );
        write(
            &base.join("repo/.agents/skills/S/SKILL.md"),
            "---\ndescription: agents\n---\n",
        );
        write(
            &home.join(".kimi/skills/u/SKILL.md"),
            "---\ndescription: user\n---\n",
        );
        write(&base.join("repo/extra/e.md"), "extra skill");
        let mut opts = RootOptions {
            work_dir: work.clone(),
            home: home.clone(),
            share_dir: base.join("share"),
            merge_brands: false,
            extra_skill_dirs: vec!["extra".into(), "missing".into(), String::new()],
            ..RootOptions::default()
        };
        let skills = Skills::load(&opts);
        let got: Vec<_> = skills
            .list
            .iter()
            .map(|s| (s.name.as_str(), s.scope))
            .collect();
        assert_eq!(
            got,
            [
                ("e", Scope::Extra),
                ("s", Scope::Project),
                ("u", Scope::User)
            ]
        );
        assert!(skills
            .outside_roots
            .contains(&base.join("home/.kimi/skills")));
        opts.merge_brands = true;
        let skills = Skills::load(&opts);
        assert!(skills.list.iter().any(|s| s.name == "c"));
        opts.skills_dirs = vec![home.join(".kimi/skills")];
        let skills = Skills::load(&opts);
        let got: Vec<_> = skills
            .list
            .iter()
            .map(|s| (s.name.as_str(), s.scope))
            .collect();
        assert_eq!(got, [("e", Scope::Extra), ("u", Scope::Extra)]);
        let prompt = format_for_prompt(&skills.list);
        assert!(prompt.starts_with("### Extra\n- e\n  - Path: "));
        assert_eq!(format_for_prompt(&[]), "No skills found.");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn skill_prompt_appends_the_request() {
        assert_eq!(skill_prompt("T", "  "), "T");
        assert_eq!(skill_prompt("T", " do it \n"), "T\n\nUser request:\ndo it");
    }
}
