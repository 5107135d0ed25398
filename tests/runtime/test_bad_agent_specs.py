"""Invalid agent specs under `kimi-kernel --kernel rust --wire`: the user sees exactly the
oracle's error (`kimi --wire` of kimi-cli 1.51), byte for byte on stderr, with its exit status.

kimi-kernel lets kimi-cli's own `KimiCLI.create` load the spec (kimi-cli's loader, its pydantic
model, its YAML and Jinja) before kagent is started, so every spec error is kimi-cli's own text
and kagent is never started for it. One sandbox per kernel; the specs cover bad YAML, wrongly
typed fields (`str | Inherit`, `list[str] | None | Inherit`), an unknown parent, a missing
system prompt file, bad template syntax and an undefined template variable. (A missing spec
file is click's error, drawn in a box that kimi-kernel's front door wraps differently; not
here.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from runtime._kk import BIN_DIR, kagent_bin, kimi_exe, make_sandbox, require_installed

require_installed()

SPECS: dict[str, tuple[str, str | None]] = {
    "bad_yaml": ("version: 1\nagent:\n  name: [1\n", None),
    "name_not_a_string": ("version: 1\nagent:\n  extend: default\n  name: 3\n", None),
    "tools_not_a_list": ("version: 1\nagent:\n  extend: default\n  tools: Shell\n", None),
    "missing_parent": ("version: 1\nagent:\n  extend: ./nowhere.yaml\n", None),
    "missing_prompt_file": (
        "version: 1\nagent:\n  extend: default\n  system_prompt_path: ./nope.md\n",
        None,
    ),
    "template_syntax": (
        "version: 1\nagent:\n  extend: default\n  system_prompt_path: ./p.md\n",
        "Hello {% if %}\n",
    ),
    "template_undefined": (
        "version: 1\nagent:\n  extend: default\n  system_prompt_path: ./p.md\n",
        "Hello ${NOT_AN_ARG}\n",
    ),
}


@pytest.mark.parametrize("case", sorted(SPECS))
def test_the_oracles_error_for_an_invalid_spec(tmp_path: Path, case: str) -> None:
    text, prompt = SPECS[case]
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    spec = spec_dir / "agent.yaml"
    spec.write_text(text, encoding="utf-8")
    if prompt is not None:
        (spec_dir / "p.md").write_text(prompt, encoding="utf-8")
    results = {}
    raw: dict[str, str] = {}
    for kernel, argv in (
        ("oracle", [str(kimi_exe())]),
        ("rust", [str(BIN_DIR / "kimi-kernel"), "--kernel", "rust"]),
    ):
        # the same sandbox path shape for both, so the "See logs" line names the same file
        sb = make_sandbox(tmp_path / kernel / "sb", [])
        proc = subprocess.run(
            [*argv, "--wire", "--agent-file", str(spec), "--config-file", str(sb.config),
             "--work-dir", str(sb.work)],
            env=sb.env(KIMI_KERNEL_BIN=str(kagent_bin())),
            input="",
            capture_output=True,
            text=True,
            timeout=240,
            cwd=sb.root,
            check=False,
        )
        if kernel == "rust":
            assert not sb.kagent_pids(), "kagent was started for an invalid spec"
        stderr = proc.stderr.replace(str(tmp_path / kernel), "<SANDBOX>")
        raw[kernel] = stderr
        # the one difference allowed: the lines that name the command run (click's usage
        # lines, the hint to export diagnostics) name kimi-kernel
        stderr = (
            stderr.replace("Usage: kimi-kernel ", "Usage: kimi ")
            .replace("Try 'kimi-kernel -h'", "Try 'kimi -h'")
            .replace("run kimi-kernel export", "run kimi export")
        )
        results[kernel] = (proc.returncode, proc.stdout, stderr)
    assert results["oracle"][0] != 0, results["oracle"]
    if "run kimi export" in raw["oracle"]:
        assert "run kimi-kernel export" in raw["rust"], raw["rust"]
    assert results["rust"] == results["oracle"], "\n".join(repr(r[2]) for r in results.values())
