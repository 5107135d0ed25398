"""The lint stage of `nox -s tests` (scripts/kk_build/lint.py): both steps always run, a failing
step is reported with its output, and the configuration it relies on is in pyproject.toml."""

from __future__ import annotations

import stat
import sys
import tomllib
from pathlib import Path

import pytest
from kk_build import lint
from kk_common.matrix import REPO_ROOT


def _fake_python(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_every_step_runs_and_each_failure_is_reported(tmp_path: Path) -> None:
    fake = _fake_python(tmp_path, 'echo "finding in $3"; exit 1')
    failures = lint.run_all(fake)
    assert [f.stage for f in failures] == ["ruff check", "mypy"]
    assert "finding in check" in failures[0].detail


def test_clean_steps_report_no_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lint.run_all(_fake_python(tmp_path, 'echo "all clean"')) == []
    out = capsys.readouterr().out
    assert "[lint] ruff check: all clean" in out and "[lint] mypy: all clean" in out


def test_the_steps_use_the_given_interpreter() -> None:
    steps = lint.steps(Path(sys.executable))
    assert [cmd[:3] for cmd in steps.values()] == [
        [sys.executable, "-m", "ruff"],
        [sys.executable, "-m", "mypy"],
    ]


def test_pyproject_configures_both_tools_over_the_whole_tree() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert config["ruff"]["line-length"] == 110
    assert set(config["ruff"]["lint"]["select"]) == {"E", "F", "UP", "B", "SIM", "I"}
    assert config["mypy"]["python_version"] == "3.12"
    assert {"python", "scripts", "tests"} <= set(config["mypy"]["files"])
