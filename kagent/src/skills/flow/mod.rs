//! Flow skills: a SKILL.md with `type: flow` whose first ```mermaid or ```d2 code block holds a
//! flowchart. `/flow:<name>` walks it ([`runner`]): task nodes become user turns, decision
//! nodes ask the model for `<choice>LABEL</choice>` and follow the matching edge, until END.
//!
//! Mirrors kimi-cli 1.51's `kimi_cli.skill.flow` (the parsers and `validate_flow`) and
//! `_parse_flow_from_skill` in `kimi_cli.skill`. Error texts are kimi-cli's, byte for byte:
//! they reach the log, and an invalid flow turns the skill into a standard one.

pub mod d2;
pub mod mermaid;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The slash command prefix of flow skills (kimi-cli's `FLOW_COMMAND_PREFIX`).
pub const COMMAND_PREFIX: &str = "flow:";

/// A `/flow:<name>` command: a flow skill whose diagram parsed.
#[derive(Debug, Clone)]
pub struct FlowCommand {
    /// The skill name (the command is `flow:<name>`).
    pub name: String,
    pub description: String,
    pub flow: Arc<Flow>,
}

impl FlowCommand {
    /// The `/flow:<name>` commands of the flow skills, in skill order (kimi-cli's
    /// `_build_slash_commands`): a skill name seen before is skipped.
    pub fn from_skills(skills: &[crate::skills::Skill]) -> Vec<FlowCommand> {
        let mut commands: Vec<FlowCommand> = vec![];
        for skill in skills {
            if skill.kind != crate::skills::SkillKind::Flow {
                continue;
            }
            let Some(flow) = &skill.flow else {
                kagent_base::logging::warn(
                    &crate::config::profile::active()
                        .message_with("flow.no_flow.log", &[("{name}", &skill.name)]),
                );
                continue;
            };
            if commands.iter().any(|c| c.name == skill.name) {
                kagent_base::logging::warn(&crate::config::profile::active().message_with(
                    "flow.name_taken.log",
                    &[("{name}", &format!("{COMMAND_PREFIX}{}", skill.name))],
                ));
                continue;
            }
            commands.push(FlowCommand {
                name: skill.name.clone(),
                description: skill.description.clone(),
                flow: flow.clone(),
            });
        }
        commands
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Begin,
    End,
    Task,
    Decision,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowNode {
    pub id: String,
    pub label: String,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEdge {
    pub src: String,
    pub dst: String,
    pub label: Option<String>,
}

/// A validated flowchart: exactly one BEGIN, one END reachable from it, and every reachable
/// node with several outgoing edges has distinct, non-blank edge labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// In definition order (the order kimi-cli validates in, so errors name the same node).
    pub nodes: Vec<FlowNode>,
    pub outgoing: HashMap<String, Vec<FlowEdge>>,
    pub begin_id: String,
    pub end_id: String,
}

impl Flow {
    pub fn node(&self, id: &str) -> Option<&FlowNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn edges(&self, id: &str) -> &[FlowEdge] {
        self.outgoing.get(id).map(Vec::as_slice).unwrap_or(&[])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// kimi-cli's `FlowParseError`.
    #[error("{0}")]
    Parse(String),
    /// kimi-cli's `FlowValidationError`.
    #[error("{0}")]
    Validation(String),
    /// The skill has no mermaid/d2 block: the skill stays, as a standard skill.
    #[error("Flow skills require a mermaid or d2 code block in SKILL.md.")]
    NoDiagram,
    /// The first mermaid/d2 block does not parse: the skill stays, as a standard skill.
    #[error("Invalid flow diagram: {0}")]
    InvalidDiagram(Box<FlowError>),
    /// Input on which kimi-cli's d2 parser crashes with a non-flow exception (an IndexError
    /// for a property path like `.: x`); kimi-cli's discovery then skips the whole skill.
    #[error("{0}")]
    Crash(String),
}

impl FlowError {
    /// Whether skill discovery must drop the skill instead of downgrading it to standard.
    pub fn skips_skill(&self) -> bool {
        match self {
            FlowError::Crash(_) => true,
            FlowError::InvalidDiagram(inner) => inner.skips_skill(),
            _ => false,
        }
    }
}

/// Kinds of node as kimi-cli assigns them: a label of BEGIN/END (any case, trimmed) makes the
/// node a begin/end node.
fn kind_for_label(label: &str) -> NodeKind {
    match py_strip(label).to_lowercase().as_str() {
        "begin" => NodeKind::Begin,
        "end" => NodeKind::End,
        _ => NodeKind::Task,
    }
}

/// The nodes seen so far by a parser, in definition order. A node defined with an explicit
/// label wins over bare mentions of its id; two different explicit definitions conflict.
#[derive(Default)]
struct NodeTable {
    nodes: Vec<(FlowNode, bool)>,
}

impl NodeTable {
    fn add(
        &mut self,
        id: &str,
        label: Option<&str>,
        line_no: usize,
    ) -> Result<FlowNode, FlowError> {
        let explicit = label.is_some();
        let label = label.unwrap_or(id);
        if label.is_empty() {
            return Err(line_error(line_no, "Node label cannot be empty"));
        }
        let node = FlowNode {
            id: id.to_string(),
            label: label.to_string(),
            kind: kind_for_label(label),
        };
        let Some(slot) = self.nodes.iter_mut().find(|(n, _)| n.id == id) else {
            self.nodes.push((node.clone(), explicit));
            return Ok(node);
        };
        if slot.0 == node {
            return Ok(node);
        }
        match (explicit, slot.1) {
            (false, true) => Ok(slot.0.clone()),
            (true, false) => {
                *slot = (node.clone(), true);
                Ok(node)
            }
            _ => Err(line_error(
                line_no,
                &format!("Conflicting definition for node \"{id}\""),
            )),
        }
    }

    /// Finish: every node gets an outgoing list, a task with several edges is a decision,
    /// then the whole chart is validated.
    fn into_flow(self, mut outgoing: HashMap<String, Vec<FlowEdge>>) -> Result<Flow, FlowError> {
        let nodes: Vec<FlowNode> = self
            .nodes
            .into_iter()
            .map(|(mut node, _)| {
                let edges = outgoing.entry(node.id.clone()).or_default();
                if node.kind == NodeKind::Task && edges.len() > 1 {
                    node.kind = NodeKind::Decision;
                }
                node
            })
            .collect();
        let (begin_id, end_id) = validate_flow(&nodes, &outgoing)?;
        Ok(Flow {
            nodes,
            outgoing,
            begin_id,
            end_id,
        })
    }
}

fn line_error(line_no: usize, message: &str) -> FlowError {
    FlowError::Parse(format!("Line {line_no}: {message}"))
}

fn add_edge(outgoing: &mut HashMap<String, Vec<FlowEdge>>, edge: FlowEdge) {
    outgoing.entry(edge.dst.clone()).or_default();
    outgoing.entry(edge.src.clone()).or_default().push(edge);
}

/// kimi-cli's `validate_flow`: returns the BEGIN and END ids.
pub fn validate_flow(
    nodes: &[FlowNode],
    outgoing: &HashMap<String, Vec<FlowEdge>>,
) -> Result<(String, String), FlowError> {
    let of_kind = |k: NodeKind| -> Vec<&str> {
        nodes
            .iter()
            .filter(|n| n.kind == k)
            .map(|n| n.id.as_str())
            .collect()
    };
    let begins = of_kind(NodeKind::Begin);
    let ends = of_kind(NodeKind::End);
    if begins.len() != 1 {
        return Err(FlowError::Validation(format!(
            "Expected exactly one BEGIN node, found {}",
            begins.len()
        )));
    }
    if ends.len() != 1 {
        return Err(FlowError::Validation(format!(
            "Expected exactly one END node, found {}",
            ends.len()
        )));
    }
    let (begin, end) = (begins[0], ends[0]);

    let mut reachable: HashSet<&str> = HashSet::new();
    let mut queue = vec![begin];
    while let Some(id) = queue.pop() {
        if !reachable.insert(id) {
            continue;
        }
        for edge in outgoing.get(id).into_iter().flatten() {
            if !reachable.contains(edge.dst.as_str()) {
                queue.push(edge.dst.as_str());
            }
        }
    }

    for node in nodes.iter().filter(|n| reachable.contains(n.id.as_str())) {
        let edges = outgoing.get(&node.id).map(Vec::as_slice).unwrap_or(&[]);
        if edges.len() <= 1 {
            continue;
        }
        let mut labels = HashSet::new();
        let mut duplicate = false;
        for edge in edges {
            match &edge.label {
                Some(l) if !py_strip(l).is_empty() => duplicate |= !labels.insert(l.as_str()),
                _ => {
                    return Err(FlowError::Validation(format!(
                        "Node \"{}\" has an unlabeled edge",
                        node.id
                    )))
                }
            }
        }
        if duplicate {
            return Err(FlowError::Validation(format!(
                "Node \"{}\" has duplicate edge labels",
                node.id
            )));
        }
    }

    if !reachable.contains(end) {
        return Err(FlowError::Validation(
            "END node is not reachable from BEGIN".into(),
        ));
    }
    Ok((begin.to_string(), end.to_string()))
}

/// kimi-cli's `parse_choice`: the text of the last `<choice>...</choice>` (no `<` inside),
/// trimmed.
pub fn parse_choice(text: &str) -> Option<String> {
    const OPEN: &str = "<choice>";
    const CLOSE: &str = "</choice>";
    let mut last = None;
    let mut from = 0;
    while let Some(rel) = text[from..].find(OPEN) {
        let start = from + rel + OPEN.len();
        let inner_end = text[start..].find('<').map_or(text.len(), |i| start + i);
        if text[inner_end..].starts_with(CLOSE) {
            last = Some(&text[start..inner_end]);
            from = inner_end + CLOSE.len();
        } else {
            from = from + rel + 1;
        }
    }
    last.map(|s| py_strip(s).to_string())
}

/// kimi-cli's `_parse_flow_from_skill`: the first mermaid or d2 fenced block of the skill
/// markdown, parsed. Other blocks before it are skipped.
pub fn parse_flow_from_skill(markdown: &str) -> Result<Flow, FlowError> {
    for (lang, code) in fenced_code_blocks(markdown) {
        let parsed = match lang.as_str() {
            "mermaid" => mermaid::parse_mermaid_flowchart(&code),
            "d2" => d2::parse_d2_flowchart(&code),
            _ => continue,
        };
        return parsed.map_err(|e| match e {
            FlowError::Parse(_) | FlowError::Validation(_) => {
                FlowError::InvalidDiagram(Box::new(e))
            }
            other => other,
        });
    }
    Err(FlowError::NoDiagram)
}

/// The fenced code blocks of a markdown text as (language, code): fences of 3+ backticks or
/// tildes (indentation allowed), closed by a run of the same char at least as long with
/// nothing after it; the language is the first info word, lowercased, `{lang}` unwrapped.
/// An unclosed block is not yielded.
pub fn fenced_code_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = vec![];
    let mut open: Option<(char, usize, String)> = None;
    let mut buf: Vec<&str> = vec![];
    for line in py_splitlines(markdown) {
        let stripped = py_lstrip(line);
        match &open {
            None => {
                if let Some((ch, len, info)) = fence_open(stripped) {
                    open = Some((ch, len, code_lang(info)));
                    buf.clear();
                }
            }
            Some((ch, len, lang)) => {
                if is_fence_close(stripped, *ch, *len) {
                    blocks.push((lang.clone(), buf.join("\n").trim_matches('\n').to_string()));
                    open = None;
                    buf.clear();
                } else {
                    buf.push(line);
                }
            }
        }
    }
    blocks
}

fn fence_run(line: &str) -> Option<(char, usize)> {
    let ch = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    Some((ch, line.chars().take_while(|c| *c == ch).count()))
}

fn fence_open(line: &str) -> Option<(char, usize, &str)> {
    let (ch, count) = fence_run(line)?;
    if count < 3 {
        return None;
    }
    // the fence chars are ASCII, so `count` is also a byte offset
    Some((ch, count, py_strip(&line[count..])))
}

fn is_fence_close(line: &str, fence_char: char, fence_len: usize) -> bool {
    match fence_run(line) {
        Some((ch, count)) if ch == fence_char && count >= fence_len => {
            py_strip(&line[count..]).is_empty()
        }
        _ => false,
    }
}

fn code_lang(info: &str) -> String {
    let Some(first) = info.split(py_isspace).find(|w| !w.is_empty()) else {
        return String::new();
    };
    let lang = py_strip(first).to_lowercase();
    match lang.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
        Some(inner) => py_strip(inner).to_string(),
        None => lang,
    }
}

// Python `str` semantics the parsers depend on (kimi-cli's behaviour is defined by them).
pub(crate) use kagent_base::py::strings::{
    is_py_space as py_isspace, py_lstrip, py_strip, splitlines as py_splitlines,
};

#[cfg(test)]
mod tests;
