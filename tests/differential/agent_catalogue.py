"""Differential scenarios for agent specs and the Ralph loop (issue 14).

kagent runs kimi-cli's agent specs from the profile exported in the test venv
(differential.kernels): `--agent okabe`, `--agent-file` specs that extend the default and
exclude a tool, bring their own system prompt and arguments, or declare subagents; invalid
specs (each error as the oracle words it on stderr, every line: PyYAML's, Jinja2's and
pydantic's texts reach kagent through the profile's agent_spec_checker); `--max-ralph-iterations`
and [loop_control], a reply without a valid choice among them. The
`_system_prompt` record of context.jsonl is compared verbatim (strict_system_prompt: only
paths and timestamps normalized), so kagent's template rendering must be byte-identical.
Spec files are written into the sandbox root (`spec/`), named relative to the work dir.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from kk_common.sandbox import Sandbox

from .scenario import Phase, Scenario, single
from .steps import initialize, prompt

HELLO = "text: Hello\nusage: input_other=5 output=3"
SPEC = "../spec/agent.yaml"


def _files(tree: dict[str, str]) -> Callable[[Sandbox], None]:
    def write(sandbox: Sandbox) -> None:
        for rel, text in tree.items():
            path = sandbox.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    return write


def _shell_call(tc_id: str = "tc-sh") -> str:
    return "tool_call: " + json.dumps(
        {"id": tc_id, "name": "Shell", "arguments": json.dumps({"command": "echo ran"})}
    )


def _spec_run(
    name: str, tree: dict[str, str], *scripts: str, args: tuple[str, ...] = ("--agent-file", SPEC)
) -> Scenario:
    """One prompt with the spec in `tree` (files relative to the sandbox root)."""
    return Scenario(
        name,
        (
            Phase(
                (initialize(), prompt("hi", id="p1")),
                scripts=scripts or (HELLO,),
                args=args,
                mutate=_files(tree),
            ),
        ),
        strict_system_prompt=True,
    )


# pydantic's validation error of AgentSpec, all its lines (up to the "See logs" line)
_PYDANTIC_ERROR = r"\d+ validation errors? for AgentSpec\n(?:(?!See logs).*\n)*"
# the whole error, every line before "See logs" (the stderr of a start that failed)
_WHOLE_ERROR = r"\A(?:(?!See logs).*\n)+"


def _bad_spec(
    name: str,
    tree: dict[str, str],
    error: str,
    args: tuple[str, ...] = ("--agent-file", SPEC),
) -> Scenario:
    """A spec kimi-cli refuses at start-up: the exit status and the error (`error`, a regex
    on stderr) are compared."""
    return Scenario(
        name,
        (Phase((initialize(),), args=args, mutate=_files(tree)),),
        stderr_pattern=error,
        compare_files=False,
    )


_OWN_PROMPT = (
    "You are ${ROLE}, working in ${KIMI_WORK_DIR} on ${KIMI_OS}.\n"
    "{% if KIMI_AGENTS_MD %}Project notes:\n${KIMI_AGENTS_MD}\n{% endif %}"
    "Files:\n${KIMI_WORK_DIR_LS}\n"
    "Skills: ${KIMI_SKILLS}\n"
    "Now: ${KIMI_NOW}\n"
    "{% for word in ['one', 'two'] %}- ${word} ${MOOD}\n{% endfor %}"
)

AGENT_SCENARIOS: list[Scenario] = [
    _spec_run("agent_okabe", {}, args=("--agent", "okabe")),
    _spec_run(
        "agent_file_extends_default_excludes_shell",
        {
            "spec/agent.yaml": "version: 1\nagent:\n  extend: default\n"
            '  exclude_tools: ["kimi_cli.tools.shell:Shell"]\n'
        },
        _shell_call(),
        "text: done without a shell",
    ),
    _spec_run(
        "agent_file_own_prompt_and_args",
        {
            "spec/agent.yaml": "version: 1\nagent:\n  name: tester\n"
            "  system_prompt_path: ./system.md\n"
            "  system_prompt_args:\n    ROLE: a careful tester\n    MOOD: calm\n"
            "  tools:\n"
            '    - "kimi_cli.tools.shell:Shell"\n'
            '    - "kimi_cli.tools.file:ReadFile"\n',
            "spec/system.md": _OWN_PROMPT,
            "work/AGENTS.md": "Run the tests first.\n",
            "work/notes.txt": "x\n",
        },
        # a tool of the spec's list that needs no approval
        "tool_call: "
        + json.dumps({"id": "tc-r", "name": "ReadFile", "arguments": json.dumps({"path": "notes.txt"})}),
        "text: done",
    ),
    _spec_run(
        "agent_file_extend_chain_merges_args",
        {
            "spec/base.yaml": "version: 1\nagent:\n  name: base\n"
            "  system_prompt_path: ./system.md\n"
            "  system_prompt_args:\n    ROLE: the base role\n    MOOD: grumpy\n"
            '  tools: ["kimi_cli.tools.file:ReadFile", "kimi_cli.tools.file:Glob"]\n',
            "spec/agent.yaml": "version: 1\nagent:\n  extend: ./base.yaml\n"
            "  system_prompt_args:\n    MOOD: cheerful\n",
            "spec/system.md": _OWN_PROMPT,
        },
    ),
    _spec_run(
        "agent_file_declares_subagents",
        {
            "spec/agent.yaml": "version: 1\nagent:\n  extend: default\n"
            "  subagents:\n    reviewer:\n      path: ./reviewer.yaml\n"
            '      description: "Reviews a change."\n',
            "spec/reviewer.yaml": "version: 1\nagent:\n  extend: default\n"
            '  when_to_use: "After a change."\n'
            '  exclude_tools: ["kimi_cli.tools.shell:Shell"]\n',
        },
    ),
    _bad_spec(
        "agent_file_missing",
        {},
        r"Invalid value for '--agent-file': File '[^']*' does not exist\.",
        args=("--agent-file", "../spec/none.yaml"),
    ),
    # PyYAML's explanation, every line of it: kagent asks the profile's agent_spec_checker
    _bad_spec(
        "agent_file_bad_yaml",
        {"spec/agent.yaml": "version: 1\nagent: [unclosed\n"},
        _WHOLE_ERROR,
    ),
    _bad_spec(
        "agent_file_yaml_tab_indent",
        {"spec/agent.yaml": "version: 1\nagent:\n\textend: default\n"},
        _WHOLE_ERROR,
    ),
    _bad_spec(
        "agent_file_yaml_unknown_alias",
        {"spec/agent.yaml": "version: 1\nagent:\n  extend: default\n  name: *nowhere\n"},
        _WHOLE_ERROR,
    ),
    # documents kimi-cli reads without a mapping: Python's AttributeError is what it prints
    _bad_spec("agent_file_empty", {"spec/agent.yaml": ""}, _WHOLE_ERROR),
    _bad_spec("agent_file_top_level_list", {"spec/agent.yaml": "- version: 1\n"}, _WHOLE_ERROR),
    _bad_spec(
        "agent_file_broken_subagent_spec",
        {
            "spec/agent.yaml": "version: 1\nagent:\n  extend: default\n"
            "  subagents:\n    helper:\n      path: ./helper.yaml\n      description: helps\n",
            "spec/helper.yaml": "version: 1\nagent: {extend: default, name: 'unclosed}\n",
        },
        _WHOLE_ERROR,
    ),
    _bad_spec(
        "agent_file_bad_version",
        {"spec/agent.yaml": "version: 7\nagent:\n  extend: default\n"},
        r"Unsupported agent spec version: .*",
    ),
    # wrongly typed fields: pydantic's whole error text, every line up to "See logs"
    _bad_spec(
        "agent_file_wrong_types",
        {"spec/agent.yaml": "version: 1\nagent:\n  extend: default\n  tools: Shell\n"},
        _PYDANTIC_ERROR,
    ),
    _bad_spec(
        "agent_file_name_not_a_string",
        {"spec/agent.yaml": "version: 1\nagent:\n  extend: default\n  name: [1, {a: 2}]\n"},
        _PYDANTIC_ERROR,
    ),
    _bad_spec(
        "agent_file_unknown_extend",
        {"spec/agent.yaml": "version: 1\nagent:\n  extend: ./nowhere.yaml\n"},
        r"Agent spec file not found: .*",
    ),
    _bad_spec(
        "agent_file_missing_prompt_arg",
        {
            "spec/agent.yaml": "version: 1\nagent:\n  extend: default\n"
            "  system_prompt_path: ./system.md\n",
            "spec/system.md": "You are ${UNSET_ROLE}.\n",
        },
        r"Missing system prompt arg in .*",
    ),
    _bad_spec(
        "agent_file_template_syntax_error",
        {
            "spec/agent.yaml": "version: 1\nagent:\n  extend: default\n"
            "  system_prompt_path: ./system.md\n",
            "spec/system.md": "You are {% if %} broken.\n",
        },
        _WHOLE_ERROR,
    ),
    _bad_spec(
        "agent_file_template_unknown_tag",
        {
            "spec/agent.yaml": "version: 1\nagent:\n  extend: default\n"
            "  system_prompt_path: ./system.md\n",
            "spec/system.md": "Hello\n{% frobnicate %}\n",
        },
        _WHOLE_ERROR,
    ),
    _bad_spec(
        "agent_file_template_unclosed_block",
        {
            "spec/agent.yaml": "version: 1\nagent:\n  extend: default\n"
            "  system_prompt_path: ./system.md\n",
            "spec/system.md": "{% for x in [1, 2] %}${x}\n",
        },
        _WHOLE_ERROR,
    ),
    # Ralph: the prompt, then the decision prompt until the model chooses STOP (or the
    # iterations run out)
    single(
        "ralph_stops_when_the_model_says_stop",
        initialize(),
        prompt("tidy the notes", id="p1"),
        scripts=(
            "text: first pass",
            "text: not sure <choice>CONTINUE</choice>",
            "text: <choice>STOP</choice>",
            "text: spare",
        ),
        args=("--max-ralph-iterations", "5"),
    ),
    # a reply without a valid choice: the decision prompt again, with kimi-cli's re-ask
    single(
        "ralph_reasks_without_a_valid_choice",
        initialize(),
        prompt("tidy the notes", id="p1"),
        scripts=(
            "text: first pass",
            "text: I would rather not choose",
            "text: <choice>MAYBE</choice>",
            "text: <choice>STOP</choice>",
            "text: spare",
        ),
        args=("--max-ralph-iterations", "5"),
    ),
    single(
        "ralph_runs_out_of_iterations",
        initialize(),
        prompt("tidy the notes", id="p1"),
        scripts=(
            "text: first pass",
            "text: <choice>CONTINUE</choice>",
            "text: <choice>CONTINUE</choice>",
            "text: spare",
        ),
        args=("--max-ralph-iterations", "1"),
    ),
    Scenario(
        "ralph_from_loop_control_config",
        (
            Phase(
                (initialize(), prompt("tidy the notes", id="p1")),
                scripts=("text: first pass", "text: <choice>STOP</choice>"),
            ),
        ),
        config={"loop_control": {"max_ralph_iterations": 3}},
    ),
]
