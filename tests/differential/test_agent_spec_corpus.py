"""kagent judges agent specs as kimi-cli does: a corpus of spec files, each loaded by
kimi-cli's own code (kimi_private.agent_spec_error: `load_agent_spec`, the system prompt by
`_load_system_prompt`, the subagents' specs, as kimi-cli's start-up does) and by a real kagent
started with `--agent-file` and the test venv's profile.

A spec kimi-cli refuses must be refused by kagent with kimi-cli's text (every line); a spec it
loads must start kagent. The documents are what users write wrong: YAML 1.1 scalars PyYAML
resolves (yes/no, 0x1F, dates, `~`), several documents, tags, merge keys, duplicate keys,
wrongly typed fields, a mapping where a list goes and the reverse, extend chains and cycles.
The scenarios in agent_catalogue.py compare a few of them with the real `kimi` end to end.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kk_common.sandbox import Sandbox, scripted_config
from kk_common.wire_client import WireClient

from . import kernels
from .tools_catalogue import DONE

HEAD = "version: 1\nagent:\n  extend: default\n"

# name -> {file: text}; the spec is `spec/agent.yaml`
CORPUS: dict[str, dict[str, str]] = {
    "name_yes": {"agent.yaml": HEAD + "  name: yes\n"},
    "name_off": {"agent.yaml": HEAD + "  name: off\n"},
    "name_hex": {"agent.yaml": HEAD + "  name: 0x1F\n"},
    "name_octal": {"agent.yaml": HEAD + "  name: 012\n"},
    "name_sexagesimal": {"agent.yaml": HEAD + "  name: 1:30\n"},
    "name_underscored_int": {"agent.yaml": HEAD + "  name: 1_000\n"},
    "name_float": {"agent.yaml": HEAD + "  name: .5\n"},
    "name_inf": {"agent.yaml": HEAD + "  name: .inf\n"},
    "name_date": {"agent.yaml": HEAD + "  name: 2001-12-14\n"},
    "name_tilde": {"agent.yaml": HEAD + "  name: ~\n"},
    "name_quoted_yes": {"agent.yaml": HEAD + '  name: "yes"\n'},
    "name_plain_text": {"agent.yaml": HEAD + "  name: helper bot\n"},
    "name_list": {"agent.yaml": HEAD + "  name: [a]\n"},
    "version_float": {"agent.yaml": "version: 1.0\nagent:\n  extend: default\n"},
    "version_string": {"agent.yaml": "version: '1'\nagent:\n  extend: default\n"},
    "version_null": {"agent.yaml": "version:\nagent:\n  extend: default\n"},
    "version_true": {"agent.yaml": "version: true\nagent:\n  extend: default\n"},
    "agent_null": {"agent.yaml": "version: 1\nagent:\n"},
    "agent_list": {"agent.yaml": "version: 1\nagent: [extend]\n"},
    "agent_missing": {"agent.yaml": "version: 1\n"},
    "top_scalar": {"agent.yaml": "hello\n"},
    "two_documents": {"agent.yaml": HEAD + "---\nversion: 1\n"},
    "python_tag": {"agent.yaml": HEAD + "  name: !!python/object:os.system x\n"},
    "str_tag_on_int": {"agent.yaml": HEAD + "  name: !!str 12\n"},
    "merge_key": {
        "agent.yaml": "base: &b\n  extend: default\n  name: merged\nversion: 1\nagent:\n  <<: *b\n"
    },
    "duplicate_key": {"agent.yaml": HEAD + "  name: one\n  name: two\n"},
    "tools_string": {"agent.yaml": HEAD + "  tools: kimi_cli.tools.shell:Shell\n"},
    "tools_ints": {"agent.yaml": HEAD + "  tools: [1, 2]\n"},
    "tools_null": {"agent.yaml": HEAD + "  tools:\n"},
    "exclude_tools_mapping": {"agent.yaml": HEAD + "  exclude_tools: {a: 1}\n"},
    "args_int_value": {"agent.yaml": HEAD + "  system_prompt_args:\n    ROLE_ADDITIONAL: 3\n"},
    "args_list": {"agent.yaml": HEAD + "  system_prompt_args: [a]\n"},
    "prompt_path_int": {"agent.yaml": HEAD + "  system_prompt_path: 3\n"},
    "prompt_path_missing_file": {"agent.yaml": HEAD + "  system_prompt_path: ./nowhere.md\n"},
    "model_int": {"agent.yaml": HEAD + "  model: 5\n"},
    "when_to_use_list": {"agent.yaml": HEAD + "  when_to_use: [a]\n"},
    "unknown_field": {"agent.yaml": HEAD + "  colour: blue\n"},
    "subagents_list": {"agent.yaml": HEAD + "  subagents: [a]\n"},
    "subagent_without_description": {
        "agent.yaml": HEAD + "  subagents:\n    helper:\n      path: ./helper.yaml\n",
        "helper.yaml": HEAD,
    },
    "subagent_missing_file": {
        "agent.yaml": HEAD
        + "  subagents:\n    helper:\n      path: ./none.yaml\n      description: helps\n",
    },
    "extend_cycle": {
        "agent.yaml": "version: 1\nagent:\n  extend: ./other.yaml\n",
        "other.yaml": "version: 1\nagent:\n  extend: ./agent.yaml\n",
    },
    "extend_directory": {"agent.yaml": "version: 1\nagent:\n  extend: ./\n"},
    "no_name_no_extend": {"agent.yaml": "version: 1\nagent:\n  system_prompt_path: ./p.md\n"},
    "tab_in_value": {"agent.yaml": HEAD + "  name: a\tb\n"},
    "tab_in_comment": {"agent.yaml": HEAD + "  name: a # a\tcomment\n"},
    "tab_in_quoted_name": {"agent.yaml": HEAD + '  name: "a\tb"\n'},
    "tab_in_block_scalar": {"agent.yaml": HEAD + "  when_to_use: |\n    use\tit\n"},
    "tab_after_colon": {"agent.yaml": HEAD + "  name:\tx\n"},
    "bom": {"agent.yaml": "\ufeff" + HEAD},
    "comment_only": {"agent.yaml": "# nothing here\n"},
    "flow_mapping": {"agent.yaml": "{version: 1, agent: {extend: default, name: flow}}\n"},
    "crlf": {"agent.yaml": HEAD.replace("\n", "\r\n")},
}


def oracle_verdict(spec: Path, work: Path) -> str | None:
    """kimi-cli's error for `spec` (None: it loads), by its own code."""
    from kimi_kernel.host import kimi_private

    return kimi_private.agent_spec_error(spec, work)


def _kagent_run(sb: Sandbox, spec: str) -> tuple[int | None, str]:
    argv = kernels.kagent().argv(
        "-w", str(sb.work), "--config-file", str(sb.config_path), "--agent-file", spec
    )
    err = sb.root / "stderr.txt"
    client = WireClient(argv, env=sb.env(), cwd=sb.work, stderr_path=err)
    # a spec that loads leaves kagent serving until its stdin ends (exit 0)
    client.close_stdin()
    code = client.wait(timeout=90)
    return (None if code == 0 else code), client.stderr_text()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_spec_is_judged_as_kimi_cli_judges_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = Sandbox(tmp_path / "sb")
    sb.write_scripts([DONE])
    sb.write_config(scripted_config(sb.scripts_path))
    spec_dir = sb.root / "spec"
    spec_dir.mkdir()
    for file, text in CORPUS[name].items():
        (spec_dir / file).write_bytes(text.encode("utf-8"))
    # named relative to the work dir, as a user types it (both resolve it from there)
    monkeypatch.chdir(sb.work)
    want = oracle_verdict(Path("../spec/agent.yaml"), sb.work)
    code, stderr = _kagent_run(sb, "../spec/agent.yaml")
    if want is None:
        assert code is None, f"kimi-cli loads it; kagent exited {code}:\n{stderr}"
        return
    assert code == 1, f"kimi-cli refuses it ({want!r}); kagent: exit {code}\n{stderr}"
    got = stderr.split("\nSee logs: ")[0]
    assert got == want
