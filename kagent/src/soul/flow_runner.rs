//! Running a flow (`/flow:<name>`), as kimi-cli 1.51's `FlowRunner` does: from BEGIN, each
//! task node's label is sent as a user turn (its own TurnBegin/TurnEnd inside the command's
//! turn); a decision node lists its branches and asks for `<choice>LABEL</choice>`,
//! re-asking until the answer names an edge; END stops. Log texts are kimi-cli's; the prompts are the profile's
//! (`flow.decision`, `flow.invalid_choice`).
//!
//! The Ralph loop (`--max-ralph-iterations N`, `[loop_control] max_ralph_iterations`) is such
//! a flow, built as kimi-cli 1.51 builds it: the prompt as a task, then a decision node asking
//! CONTINUE or STOP (the profile's `ralph.decision` text), looping on CONTINUE, at most N + 1
//! node runs (unbounded for -1); running out is "max steps reached", as in kimi-cli.

use crate::skills::flow::{parse_choice, Flow, FlowEdge, FlowNode, NodeKind};
use crate::soul::cancel::CancelToken;
use crate::soul::{Soul, StopReason, TurnError};
use crate::wire::Wire;
use kagent_base::message::UserInput;

use crate::config::profile::{self, Text};
use crate::tools::util::msg;

/// The most node visits of one run (kimi-cli's `DEFAULT_MAX_FLOW_MOVES`).
pub const DEFAULT_MAX_MOVES: u64 = 1000;

pub use crate::skills::flow::COMMAND_PREFIX;

/// Run `flow` for `/flow:<name> <args>`. Arguments are not supported: kimi-cli logs them and
/// runs nothing.
pub async fn run_flow(
    soul: &mut Soul,
    flow: &Flow,
    name: &str,
    args: &str,
    wire: &Wire,
    cancel: &CancelToken,
) -> Result<(), TurnError> {
    run_with_limit(soul, flow, name, args, wire, cancel, DEFAULT_MAX_MOVES).await
}

/// The node of the Ralph loop that carries the user's own input.
const RALPH_TASK: &str = "R1";

/// Run `input` in the Ralph loop with `max_iterations` extra iterations (-1: unbounded).
pub async fn run_ralph(
    soul: &mut Soul,
    input: UserInput,
    max_iterations: i64,
    wire: &Wire,
    cancel: &CancelToken,
) -> Result<(), TurnError> {
    let (flow, max_moves) = ralph_flow(&input.extract_text(" "), max_iterations);
    // kimi-cli's task node holds the message's content parts, so its TurnBegin carries a
    // list even for a text prompt
    let input = UserInput::Parts(input.into_parts());
    run_with_limit_and_input(soul, &flow, "", "", wire, cancel, max_moves, Some(input)).await
}

/// The Ralph loop's flow and its move limit, for a prompt whose text is `prompt_text`.
pub fn ralph_flow(prompt_text: &str, max_iterations: i64) -> (Flow, u64) {
    let prompt_text = prompt_text.trim();
    let max_moves = if max_iterations < 0 {
        1_000_000_000_000_000
    } else {
        max_iterations as u64 + 1
    };
    let decision = profile::fill(
        profile::active().text(Text::RalphDecision),
        &[("{prompt}", prompt_text)],
    );
    let node = |id: &str, label: &str, kind| FlowNode {
        id: id.into(),
        label: label.into(),
        kind,
    };
    let edge = |src: &str, dst: &str, label: Option<&str>| FlowEdge {
        src: src.into(),
        dst: dst.into(),
        label: label.map(str::to_string),
    };
    let flow = Flow {
        nodes: vec![
            node("BEGIN", "BEGIN", NodeKind::Begin),
            node("END", "END", NodeKind::End),
            node(RALPH_TASK, prompt_text, NodeKind::Task),
            node("R2", decision.trim(), NodeKind::Decision),
        ],
        outgoing: [
            ("BEGIN", vec![edge("BEGIN", RALPH_TASK, None)]),
            ("END", vec![]),
            (RALPH_TASK, vec![edge(RALPH_TASK, "R2", None)]),
            (
                "R2",
                vec![
                    edge("R2", "R2", Some("CONTINUE")),
                    edge("R2", "END", Some("STOP")),
                ],
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        begin_id: "BEGIN".into(),
        end_id: "END".into(),
    };
    (flow, max_moves)
}

async fn run_with_limit(
    soul: &mut Soul,
    flow: &Flow,
    name: &str,
    args: &str,
    wire: &Wire,
    cancel: &CancelToken,
    max_moves: u64,
) -> Result<(), TurnError> {
    run_with_limit_and_input(soul, flow, name, args, wire, cancel, max_moves, None).await
}

/// `task_input`: the user's own input, sent (content parts and all) for the Ralph task node
/// instead of its text label.
#[allow(clippy::too_many_arguments)]
async fn run_with_limit_and_input(
    soul: &mut Soul,
    flow: &Flow,
    name: &str,
    args: &str,
    wire: &Wire,
    cancel: &CancelToken,
    max_moves: u64,
    task_input: Option<UserInput>,
) -> Result<(), TurnError> {
    if !args.trim().is_empty() {
        kagent_base::logging::warn(&msg(
            "flow.ignored_args.log",
            &[
                ("{command}", &format!("/{COMMAND_PREFIX}{name}")),
                ("{args}", args),
            ],
        ));
        return Ok(());
    }
    let mut current = flow.begin_id.clone();
    let mut moves = 0u64;
    let mut total_steps = 0i64;
    loop {
        let Some(node) = flow.node(&current) else {
            return Err(TurnError::Internal(format!(
                "flow node \"{current}\" does not exist"
            )));
        };
        let edges = flow.edges(&current);
        match node.kind {
            NodeKind::End => {
                kagent_base::logging::info(&msg("flow.end.log", &[("{node_id}", &current)]));
                return Ok(());
            }
            NodeKind::Begin => {
                let Some(first) = edges.first() else {
                    kagent_base::logging::error(&msg(
                        "flow.begin_no_edges.log",
                        &[("{node_id}", &current)],
                    ));
                    return Ok(());
                };
                current = first.dst.clone();
                continue;
            }
            NodeKind::Task | NodeKind::Decision => {}
        }
        if moves >= max_moves {
            return Err(TurnError::MaxStepsReached(total_steps));
        }
        let input = task_input
            .as_ref()
            .filter(|_| node.id == RALPH_TASK)
            .cloned();
        let (next, steps) = execute_node(soul, node, edges, input, wire, cancel).await?;
        total_steps += steps;
        let Some(next) = next else {
            return Ok(());
        };
        moves += 1;
        current = next;
    }
}

/// One node: its turn(s). Returns the next node (`None`: stop the flow) and the steps used.
async fn execute_node(
    soul: &mut Soul,
    node: &FlowNode,
    edges: &[FlowEdge],
    input: Option<UserInput>,
    wire: &Wire,
    cancel: &CancelToken,
) -> Result<(Option<String>, i64), TurnError> {
    let Some(first) = edges.first() else {
        kagent_base::logging::error(&msg("flow.node_no_edges.log", &[("{node_id}", &node.id)]));
        return Ok((None, 0));
    };
    let base_prompt = node_prompt(node, edges);
    let mut prompt = base_prompt.clone();
    let mut steps = 0;
    loop {
        let turn_input = input
            .clone()
            .unwrap_or_else(|| UserInput::Text(prompt.clone()));
        let outcome = soul.nested_turn_input(turn_input, wire, cancel).await?;
        steps += outcome.step_count;
        if outcome.stop_reason == StopReason::ToolRejected {
            kagent_base::logging::error(&msg("flow.rejected.log", &[]));
            return Ok((None, steps));
        }
        if node.kind != NodeKind::Decision {
            return Ok((Some(first.dst.clone()), steps));
        }
        let choice = outcome
            .final_message
            .as_ref()
            .and_then(|m| parse_choice(&m.extract_text(" ")));
        if let Some(dst) = match_edge(edges, choice.as_deref()) {
            return Ok((Some(dst), steps));
        }
        let options: Vec<&str> = edges
            .iter()
            .map(|e| e.label.as_deref().unwrap_or(""))
            .collect();
        kagent_base::logging::warn(&msg(
            "flow.invalid_choice.log",
            &[
                (
                    "{choice}",
                    choice
                        .filter(|c| !c.is_empty())
                        .as_deref()
                        .unwrap_or("<missing>"),
                ),
                ("{options}", &options.join(", ")),
            ],
        ));
        // the profile's `flow.invalid_choice` (it starts with its own separator)
        prompt = format!(
            "{base_prompt}{}",
            profile::active().message("flow.invalid_choice")
        );
    }
}

/// A task's prompt is its label; a decision's lists the branches: the profile's
/// `flow.decision`, `{label}` the node's label and its `{branch}` line once per labelled edge.
pub fn node_prompt(node: &FlowNode, edges: &[FlowEdge]) -> String {
    if node.kind != NodeKind::Decision {
        return node.label.clone();
    }
    decision_prompt(profile::active().message("flow.decision"), node, edges)
}

fn decision_prompt(template: &str, node: &FlowNode, edges: &[FlowEdge]) -> String {
    let branches: Vec<&str> = edges
        .iter()
        .filter_map(|e| e.label.as_deref().filter(|l| !l.is_empty()))
        .collect();
    let mut lines = vec![];
    for line in template.split('\n') {
        if line.contains("{branch}") {
            lines.extend(
                branches
                    .iter()
                    .map(|b| profile::fill(line, &[("{branch}", b)])),
            );
        } else {
            lines.push(profile::fill(line, &[("{label}", &node.label)]));
        }
    }
    lines.join("\n")
}

/// The destination of the edge labelled exactly `choice`.
fn match_edge(edges: &[FlowEdge], choice: Option<&str>) -> Option<String> {
    let choice = choice.filter(|c| !c.is_empty())?;
    edges
        .iter()
        .find(|e| e.label.as_deref() == Some(choice))
        .map(|e| e.dst.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(dst: &str, label: Option<&str>) -> FlowEdge {
        FlowEdge {
            src: "q".into(),
            dst: dst.into(),
            label: label.map(str::to_string),
        }
    }

    #[test]
    fn decision_prompt_lists_labelled_branches() {
        let node = FlowNode {
            id: "q".into(),
            label: "Is it done?".into(),
            kind: NodeKind::Decision,
        };
        let edges = [
            edge("e", Some("yes")),
            edge("", None),
            edge("f", Some("no")),
        ];
        let template = "Q: {label}\n\nPick:\n* {branch} ({branch})\nEnd {label}";
        assert_eq!(
            decision_prompt(template, &node, &edges),
            "Q: Is it done?\n\nPick:\n* yes (yes)\n* no (no)\nEnd Is it done?"
        );
        assert!(node_prompt(&node, &edges).contains("\n- yes\n- no\n"));
        let task = FlowNode {
            kind: NodeKind::Task,
            ..node
        };
        assert_eq!(node_prompt(&task, &edges), "Is it done?");
    }

    #[test]
    fn ralph_flow_is_kimi_clis_shape() {
        let (flow, moves) = ralph_flow("  fix it \n", 2);
        assert_eq!(moves, 3);
        assert_eq!(flow.node("R1").unwrap().label, "fix it");
        let decision = flow.node("R2").unwrap();
        assert_eq!(decision.kind, NodeKind::Decision);
        assert!(decision
            .label
            .starts_with("fix it. (This prompt is repeated to you in a loop."));
        let labels: Vec<_> = flow
            .edges("R2")
            .iter()
            .map(|e| (e.dst.as_str(), e.label.as_deref()))
            .collect();
        assert_eq!(labels, [("R2", Some("CONTINUE")), ("END", Some("STOP"))]);
        assert_eq!(ralph_flow("x", -1).1, 1_000_000_000_000_000);
    }

    #[test]
    fn choices_match_labels_exactly() {
        let edges = [edge("e", Some("yes")), edge("f", Some("no"))];
        assert_eq!(match_edge(&edges, Some("no")), Some("f".into()));
        assert_eq!(match_edge(&edges, Some("No")), None);
        assert_eq!(match_edge(&edges, Some("")), None);
        assert_eq!(match_edge(&edges, None), None);
    }
}
