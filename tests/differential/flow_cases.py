"""Flowchart parser cases (flow skills): inputs, and kimi-cli's own parse of each.

`kagent/src/skills/flow/testdata/cases.json` holds every case with the oracle's result; kagent's
`cargo test flow::` parses the same inputs and must produce exactly that, and
`test_flow_parsers.py` checks that the file still equals what the oracle's parser says.
Regenerate after editing CASES (from tests/): `python -m differential.flow_cases --write`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .kernels import oracle

CASES_FILE = (
    Path(__file__).resolve().parents[2]
    / "kagent"
    / "src"
    / "skills"
    / "flow"
    / "testdata"
    / "cases.json"
)

# (name, parser, input). parser: "mermaid", "d2", or "skill" (a whole SKILL.md).
CASES: list[tuple[str, str, str]] = [
    # --- mermaid: shapes and labels
    (
        "mm_basic",
        "mermaid",
        "flowchart TD\n  BEGIN([BEGIN]) --> A[Write a haiku]\n  A --> END([END])\n",
    ),
    (
        "mm_graph_header_lr",
        "mermaid",
        "graph LR\nB((BEGIN)) --> X --> E(END)\nX --> E\n",
    ),
    ("mm_ids_as_labels", "mermaid", "flowchart\nbegin --> step_1\nstep_1 --> End\n"),
    (
        "mm_round_stadium_brace",
        "mermaid",
        (
            "flowchart TD\nS(Begin) --> T([Task one])\nT --> D{Is it done?}\n"
            "D -->|yes| E[END]\nD -->|no| T\n"
        ),
    ),
    (
        "mm_quoted_labels",
        "mermaid",
        'flowchart TD\nS["BEGIN"] --> A["Say \\"hi\\" [now]"]\nA --> E{ "end" }\n',
    ),
    (
        "mm_edge_label_dashes",
        "mermaid",
        (
            "flowchart TD\nB[BEGIN] --> Q{Pick}\nQ -- left --> L[Go left]\nQ -- right way --> R\n"
            "L --> E[END]\nR --> E\n"
        ),
    ),
    (
        "mm_pipe_label_spaces",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> Q{Pick}\nQ -->| yes | E[END]\nQ --->|  no  |B\n",
    ),
    (
        "mm_dotted_thick_open",
        "mermaid",
        "flowchart TD\nB[BEGIN] -.-> A[a]\nA ==> C[c]\nC --- E[END]\n",
    ),
    (
        "mm_dotted_label",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> Q{q}\nQ -. maybe .-> E[END]\nQ -->|sure| E\n",
    ),
    (
        "mm_comments_style",
        "mermaid",
        (
            "%% a comment\nflowchart TD %% trailing\n  classDef hot fill:#f00\n"
            "  B[BEGIN]:::hot --> A[Task]:::hot\n  style A fill:#0f0\n  click A call cb()\n"
            "  linkStyle 0 stroke:#f00\n  A --> E[END] %% done\n"
        ),
    ),
    (
        "mm_subgraph",
        "mermaid",
        (
            "flowchart TD\nsubgraph one [Phase one]\n  direction LR\n  A[First] --> B2[Second]\nend\n"
            "S[BEGIN] --> A\nB2 --> E[END]\n"
        ),
    ),
    (
        "mm_chain_takes_last",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> M[middle] --> E[END]\n",
    ),
    (
        "mm_redefinition_wins",
        "mermaid",
        "flowchart TD\nB --> A\nA --> E\nB[BEGIN]\nA[Do the thing]\nE[END]\n",
    ),
    (
        "mm_same_definition_twice",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> A[x]\nA[x] --> E[END]\n",
    ),
    (
        "mm_node_lines_ignored_garbage",
        "mermaid",
        "flowchart TD\n???\nB[BEGIN] --> E[END]\n-->\n",
    ),
    (
        "mm_unicode_labels",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> A[Écris un poème ✍]\nA --> E[END]\n",
    ),
    ("mm_crlf", "mermaid", "flowchart TD\r\nB[BEGIN] --> A[a]\r\nA --> E[END]\r\n"),
    (
        "mm_self_loop_decision",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> R[Review]\nR -->|again| R\nR -->|ok| E[END]\n",
    ),
    ("mm_lone_end_line_skipped", "mermaid", "flowchart TD\nB[BEGIN] --> E\nEND\n"),
    (
        "mm_hyphen_ids",
        "mermaid",
        "flowchart TD\nstart-1[BEGIN] --> do-it[Do it]\ndo-it --> fin[end]\n",
    ),
    # --- mermaid: odd corners
    (
        "mm_pipe_inside_label",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> A[a|b|c]\nA --> E[END]\n",
    ),
    (
        "mm_arrow_inside_dst_label",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> A[x => y]\nA --> E[END]\n",
    ),
    ("mm_open_link_with_text", "mermaid", "flowchart TD\nB[BEGIN] -- go --- E[END]\n"),
    ("mm_header_no_boundary", "mermaid", "flowchartTD\nB[BEGIN] --> E[END]\n"),
    ("mm_spaced_begin_label", "mermaid", "graph\nS[ begin ] --> T[ END ]\n"),
    ("mm_circle_shape", "mermaid", "graph\nS((BEGIN)) --> T[END]\n"),
    ("mm_empty_pipe_then_dash_label", "mermaid", "graph\nB[BEGIN] -- x -->|| E[END]\n"),
    ("mm_quoted_escape_close", "mermaid", 'graph\nB["BEGIN \\" x"] --> E[END]\n'),
    (
        "mm_stadium_unclosed",
        "mermaid",
        "graph\nB([BEGIN] --> E[END]\nB2[BEGIN] --> E\n",
    ),
    ("mm_tab_indent_and_semicolon", "mermaid", "graph TD;\n\tB[BEGIN] --> E[END];\n"),
    (
        "mm_multiline_label_br",
        "mermaid",
        "graph\nB[BEGIN] --> A[line one<br/>line two]\nA --> E[END]\n",
    ),
    ("mm_unicode_id_rejected", "mermaid", "graph\nB[BEGIN] --> É[x]\nB --> E[END]\n"),
    # --- mermaid: errors
    ("mm_err_no_begin", "mermaid", "flowchart TD\nA[task] --> E[END]\n"),
    (
        "mm_err_two_begins",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> E[END]\nC[begin] --> E\n",
    ),
    (
        "mm_err_two_ends",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> A\nA -->|x| E[END]\nA -->|y| F[End]\n",
    ),
    (
        "mm_err_unreachable_end",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> A[a]\nE[END] --> A\n",
    ),
    (
        "mm_err_unlabeled_edge",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> Q{q}\nQ -->|yes| E[END]\nQ --> B\n",
    ),
    (
        "mm_err_duplicate_labels",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> Q{q}\nQ -->|yes| E[END]\nQ -->|yes| B\n",
    ),
    (
        "mm_err_conflict",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> A[one]\nA[two] --> E[END]\n",
    ),
    (
        "mm_err_empty_quoted_label",
        "mermaid",
        'flowchart TD\nB[BEGIN] --> A[""]\nA --> E[END]\n',
    ),
    ("mm_err_empty", "mermaid", ""),
    (
        "mm_err_unreachable_decision_ok",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> E[END]\nX[x] --> Y[y]\nX --> Z[z]\n",
    ),
    (
        "mm_unclosed_label_ignored",
        "mermaid",
        "flowchart TD\nB[BEGIN] --> E[END]\nA[oops --> E\n",
    ),
    # --- d2
    ("d2_basic", "d2", "BEGIN -> write -> END\nwrite: Write a haiku\n"),
    (
        "d2_labels_and_decision",
        "d2",
        (
            "b: BEGIN\ne: END\nq: Is it good?\nb -> q\nq -> e: yes\nq -> fix: no\nfix -> q\n"
            "fix: 'Fix it, \\'now\\''\n"
        ),
    ),
    (
        "d2_quoted_edge_labels",
        "d2",
        (
            'start: "BEGIN"\nfinish: "end"\nask: ask\nstart -> ask\nask -> finish: "ok: done"\n'
            "ask -> ask: 'again'\n"
        ),
    ),
    (
        "d2_comments_continuation",
        "d2",
        "# heading comment\nb: BEGIN # begin node\nb -> \\\n  t\nt: Task # note\nt -> e\ne: END\n",
    ),
    (
        "d2_containers_and_styles",
        "d2",
        (
            "direction: right\nb: BEGIN {\n  shape: oval\n}\nt: Task\nt.shape: diamond\n"
            "t.style.fill: red\ngroup: {\n  inner -> deeper\n}\nb -> t\nt -> e\ne: END { style.bold: true }\n"
        ),
    ),
    (
        "d2_markdown_block",
        "d2",
        'b: BEGIN\nt: |md\n  # Title\n  Do "this"\\n\n    - indented\n|\ne: END\nb -> t -> e\n',
    ),
    ("d2_markdown_block_empty", "d2", "b: BEGIN\nt: |md\n|\ne: END\nb -> t -> e\n"),
    ("d2_chain_label_last", "d2", "b: BEGIN\ne: END\nb -> x -> y: last\ny -> e\n"),
    (
        "d2_inline_label_in_chain",
        "d2",
        "b: BEGIN\nb -> t: Task text -> e\ne: END\n",
    ),
    ("d2_dotted_ids", "d2", "a.b: BEGIN\na.b -> c/d\nc/d -> e_1\ne_1: END\n"),
    ("d2_property_edge_ignored", "d2", "b: BEGIN\nb -> e\ne: END\nb.style -> e\n"),
    ("d2_crlf_and_cr", "d2", "b: BEGIN\r\nb -> e\re: END\r\n"),
    ("d2_container_label_ignored", "d2", "b: BEGIN\nb -> e\ne: END\nbox: {\n  x\n}\n"),
    ("d2_semicolon_not_split", "d2", "b: BEGIN\nb -> e\ne: END; really\n"),
    # --- d2: odd corners
    ("d2_arrow_in_quoted_label", "d2", 'b: BEGIN\ne: END\nb -> e: "a -> b"\n'),
    (
        "d2_md_block_comment_after_tag",
        "d2",
        "b: BEGIN\nt: |md # note\n\tTabbed\n\t  more\n|\nb -> t -> e\ne: END\n",
    ),
    ("d2_brace_in_quoted_label", "d2", 'b: "BEGIN {"\nb -> e\ne: END\n'),
    (
        "d2_nested_braces",
        "d2",
        "b: BEGIN\nx: {\n  y: {\n    z\n  }\n}\nb -> e\ne: END\n",
    ),
    ("d2_text_after_block", "d2", "b: BEGIN { shape: oval } b -> e\nb -> e\ne: END\n"),
    (
        "d2_quoted_newline_label",
        "d2",
        'b: BEGIN\nt: "two\nlines"\nb -> t -> e\ne: END\n',
    ),
    ("d2_escape_outside_quotes", "d2", "b: BEGIN\\x\nb -> e\ne: END\n"),
    ("d2_unicode_id", "d2", "b: BEGIN\nb -> é\n"),
    ("d2_node_without_label", "d2", "b: BEGIN\nlonely\nb -> e\ne: END\n"),
    ("d2_id_only_begin_end", "d2", "Begin -> Work -> End\n"),
    ("d2_label_colon_in_value", "d2", "b: BEGIN\nt: step: one\nb -> t -> e\ne: END\n"),
    (
        "d2_double_quote_escape",
        "d2",
        'b: BEGIN\nt: "say \\"hi\\""\nb -> t -> e\ne: END\n',
    ),
    # --- d2: errors
    ("d2_err_no_begin", "d2", "a -> END\n"),
    ("d2_err_two_ends", "d2", "BEGIN -> q\nq -> END: a\nq -> end: b\n"),
    ("d2_err_unreachable", "d2", "b: BEGIN\ne: END\nb -> x\ne -> x\n"),
    ("d2_err_unlabeled", "d2", "b: BEGIN\ne: END\nb -> q\nq -> e: ok\nq -> b\n"),
    ("d2_err_duplicate", "d2", "b: BEGIN\ne: END\nb -> q\nq -> e: ok\nq -> b: ok\n"),
    ("d2_err_unmatched_brace", "d2", "b: BEGIN\nb -> e\n}\ne: END\n"),
    ("d2_err_unclosed_brace", "d2", "b: BEGIN {\nb -> e\n"),
    ("d2_err_unclosed_string", "d2", 'b: BEGIN\nb -> e: "oops\n'),
    (
        "d2_err_apostrophe_unclosed",
        "d2",
        "b: BEGIN\nt: Don't stop\nb -> t -> e\ne: END\n",
    ),
    ("d2_err_invalid_id", "d2", "b: BEGIN\nb -> e!\n"),
    ("d2_err_expected_id", "d2", "b: BEGIN\n -> e\n"),
    ("d2_err_empty_edge_label", "d2", "b: BEGIN\nb -> e:\ne: END\n"),
    ("d2_err_trailing_content", "d2", "b: 'BEGIN' extra\n"),
    ("d2_err_unclosed_quoted_label", "d2", "b: BEGIN\ne: END\nb -> e: 'x\\'\n"),
    ("d2_err_unclosed_md_block", "d2", "b: BEGIN\nt: |md\n  text\n"),
    ("d2_err_conflict", "d2", "b: BEGIN\nb: Begin\n"),
    ("d2_err_empty_quoted_label", "d2", "b: BEGIN\nt: ''\nb -> t\n"),
    ("d2_err_error_order", "d2", "b: BEGIN\nx -> y!\n}\n"),
    ("d2_crash_dot_path", "d2", "b: BEGIN\n.: x\n"),
    # --- whole SKILL.md files
    (
        "skill_mermaid",
        "skill",
        "---\nname: demo\ntype: flow\n---\n# Demo\n\n```mermaid\nflowchart TD\nB[BEGIN] --> E[END]\n```\n",
    ),
    (
        "skill_d2_after_other_blocks",
        "skill",
        (
            "Intro\n\n```python\nprint('x')\n```\n\n~~~~ D2 extra words\nb: BEGIN\nb -> e\ne: END\n~~~~\n"
            "```mermaid\nnot used\n```\n"
        ),
    ),
    (
        "skill_braced_lang_indented_fence",
        "skill",
        "  ```{Mermaid}\n  flowchart TD\n  B[BEGIN] --> E[END]\n  ```\n",
    ),
    (
        "skill_longer_close_fence",
        "skill",
        "````mermaid\n```\nflowchart TD\nB[BEGIN] --> E[END]\n`````\n",
    ),
    ("skill_no_block", "skill", "---\ntype: flow\n---\nJust text.\n"),
    (
        "skill_unclosed_block",
        "skill",
        "```mermaid\nflowchart TD\nB[BEGIN] --> E[END]\n",
    ),
    (
        "skill_invalid_first_block",
        "skill",
        "```mermaid\nflowchart TD\nA --> B\n```\n```d2\nBEGIN -> END\n```\n",
    ),
    (
        "skill_fence_close_with_text",
        "skill",
        "```d2\nBEGIN -> END\n``` not a close\n```\n",
    ),
    ("skill_two_backticks_not_fence", "skill", "``d2\nBEGIN -> END\n``\n"),
]

# Runs in the oracle's interpreter: reads CASES as JSON on stdin, prints the results.
_ORACLE_SCRIPT = r"""
import json, sys
from kimi_cli.skill import _parse_flow_from_skill
from kimi_cli.skill.flow import FlowError
from kimi_cli.skill.flow.d2 import parse_d2_flowchart
from kimi_cli.skill.flow.mermaid import parse_mermaid_flowchart

parsers = {
    "mermaid": parse_mermaid_flowchart,
    "d2": parse_d2_flowchart,
    "skill": _parse_flow_from_skill,
}
out = []
for name, parser, text in json.load(sys.stdin):
    try:
        flow = parsers[parser](text)
    except (FlowError, ValueError) as e:
        out.append({"name": name, "parser": parser, "input": text, "error": str(e)})
        continue
    except Exception as e:
        out.append({"name": name, "parser": parser, "input": text, "crash": type(e).__name__})
        continue
    out.append({
        "name": name,
        "parser": parser,
        "input": text,
        "nodes": [[n.id, n.label, n.kind] for n in flow.nodes.values()],
        "edges": {k: [[e.dst, e.label] for e in v] for k, v in flow.outgoing.items()},
        "begin": flow.begin_id,
        "end": flow.end_id,
    })
json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
"""


def oracle_results() -> list[dict[str, Any]]:
    """Every case parsed by the oracle's own parser."""
    python = Path(oracle().binary).parent / "python"
    proc = subprocess.run(
        [str(python), "-c", _ORACLE_SCRIPT],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    return results


def render(results: list[dict[str, Any]]) -> str:
    return json.dumps(results, ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    text = render(oracle_results())
    if "--write" in sys.argv:
        CASES_FILE.parent.mkdir(parents=True, exist_ok=True)
        CASES_FILE.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
