"""The one door into kimi-cli (kimi_kernel.host.kimi_private) against real kimi-cli code:
clean against the pinned kimi-cli 1.51; against a stand-in kimi-cli whose
`WireServer._soul` is renamed (a copy of the installed package, built here), `verify()`
names the missing name and the version, `--kernel rust` refuses to start with that message,
and `--kernel auto` runs the Python kernel after one notice line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from runtime._kk import make_sandbox, require_installed, run_kk

require_installed()

from kimi_kernel.host import kimi_private  # noqa: E402

VERSION = metadata.version("kimi-cli")


def test_verify_is_clean_against_the_installed_kimi_cli() -> None:
    assert VERSION.startswith("1.51."), VERSION
    assert kimi_private.verify() == []


def test_the_create_keyword_table_matches_kimi_cli() -> None:
    import inspect

    from kimi_cli.app import KimiCLI

    keywords = set(inspect.signature(KimiCLI.create).parameters) - {"session"}
    assert keywords == set(kimi_private.CREATE_KEYWORDS)
    # agent specs and Ralph mode (issue 14) and MCP servers (issue 16) run on kagent
    assert kimi_private.CREATE_KEYWORDS["max_ralph_iterations"].how == "flag"
    assert kimi_private.CREATE_KEYWORDS["agent_file"].how == "flag"
    assert kimi_private.CREATE_KEYWORDS["mcp_configs"].how == "flag"


def stand_in_kimi_cli(root: Path, file: str, pattern: str, replacement: str) -> Path:
    """A copy of the installed kimi_cli package with one edit (`pattern` -> `replacement`
    in `file`), to be put first on PYTHONPATH."""
    import kimi_cli

    source = Path(kimi_cli.__path__[0])
    target = root / "kimi_cli"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    edited = target / file
    text, count = re.subn(pattern, replacement, edited.read_text(encoding="utf-8"))
    assert count > 0, f"{file} no longer matches {pattern!r}: rebuild this stand-in"
    edited.write_text(text, encoding="utf-8")
    return root


def renamed_soul_kimi_cli(root: Path) -> Path:
    """WireServer keeps its soul under another name (every `._soul` in wire/server.py
    becomes `._soul_v2`): kimi-cli itself still works, kimi-kernel's adapter would not
    find `WireServer._soul`."""
    return stand_in_kimi_cli(root, "wire/server.py", r"\._soul\b", "._soul_v2")


def require_in(stand_in: Path) -> subprocess.CompletedProcess[str]:
    """kimi_private.require() in a fresh interpreter that imports kimi_cli from `stand_in`."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from kimi_kernel.host import kimi_private\n"
            "import kimi_cli.wire.server as server\n"
            f"assert server.__file__.startswith({str(stand_in)!r}), server.__file__\n"
            "kimi_private.require()\n",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, "PYTHONPATH": str(stand_in)},
    )


def test_verify_names_a_renamed_private_name_and_the_version(tmp_path: Path) -> None:
    proc = require_in(renamed_soul_kimi_cli(tmp_path / "stand-in"))
    assert proc.returncode == 1, proc
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("kimi_kernel.host.kimi_private.KimiCliMismatchError: "), proc.stderr
    assert "WireServer._soul is missing" in last, last
    assert f"kimi-cli {VERSION} " in last, last
    # only the renamed name is reported
    assert last.count(" is missing") == 1, last


def test_verify_names_a_new_kimi_cli_create_keyword(tmp_path: Path) -> None:
    stand_in = stand_in_kimi_cli(
        tmp_path / "stand-in",
        "app.py",
        r"(\n        defer_mcp_loading: bool = False,\n)",
        r"\1        turbo_mode: bool = False,\n",
    )
    proc = require_in(stand_in)
    assert proc.returncode == 1, proc
    last = proc.stderr.strip().splitlines()[-1]
    assert "KimiCLI.create keyword 'turbo_mode' is new" in last, last
    assert last.count("KimiCLI.create keyword") == 1, last


def test_rust_refuses_a_kimi_cli_that_does_not_fit(tmp_path: Path) -> None:
    stand_in = renamed_soul_kimi_cli(tmp_path / "stand-in")
    sb = make_sandbox(tmp_path / "sb", ["text: never"])
    proc = run_kk(
        sb, "--kernel", "rust", "--print", "-p", "hi", env=sb.env(PYTHONPATH=str(stand_in))
    )
    assert proc.returncode == 1, proc
    assert proc.stderr.startswith(
        "kimi-kernel: error: the rust kernel was requested (--kernel) but the installed "
        f"kimi-cli {VERSION} does not have what kimi-kernel's kagent adapter uses: "
        "WireServer._soul is missing"
    ), proc.stderr
    assert "run with --kernel python" in proc.stderr, proc.stderr
    assert "never" not in proc.stdout
    assert sb.kagent_pids() == []


def test_auto_runs_the_python_kernel_on_a_kimi_cli_that_does_not_fit(tmp_path: Path) -> None:
    stand_in = renamed_soul_kimi_cli(tmp_path / "stand-in")
    sb = make_sandbox(tmp_path / "sb", ["text: the python kernel answered"])
    proc = run_kk(
        sb, "--kernel", "auto", "--print", "-p", "hi", env=sb.env(PYTHONPATH=str(stand_in))
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    notices = [line for line in proc.stderr.splitlines() if line.startswith("kimi-kernel:")]
    assert len(notices) == 1, proc.stderr
    assert notices[0].startswith(
        f"kimi-kernel: kagent unavailable (the installed kimi-cli {VERSION} does not fit "
        "kimi-kernel's adapter: WireServer._soul is missing"
    ), notices
    assert notices[0].endswith("; using the Python kernel."), notices
    assert "the python kernel answered" in proc.stdout, proc.stdout
    assert sb.kagent_pids() == []


def test_a_clean_verify_is_remembered_until_kimi_cli_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    assert kimi_private.verify_once(cache) == []
    assert len(list((cache / "verified").iterdir())) == 1
    # remembered: the check is not run again for the same installation
    monkeypatch.setattr(kimi_private, "verify", lambda: ["X is missing"])
    assert kimi_private.verify_once(cache) == []
    # a changed kimi-cli (another key) is checked again, and problems are never remembered
    monkeypatch.setattr(kimi_private, "verify_key", lambda: "changed")
    assert kimi_private.verify_once(cache) == ["X is missing"]
    assert kimi_private.verify_once(cache) == ["X is missing"]
    assert len(list((cache / "verified").iterdir())) == 1
    # a cache that cannot be written (a file where its folder goes) costs only the check
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(kimi_private, "verify", lambda: [])
    assert kimi_private.verify_once(blocked) == []
    assert blocked.read_text(encoding="utf-8") == "not a folder"
