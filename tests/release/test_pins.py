"""pins.py: the committed workflows pin every action to a commit with its release tag, and
`--verify --mirror DIR` accepts true pins and names a wrong one with the right commit.

The mirrors are small bare git repositories this test makes (no network, no /work/.mirror)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from kk_release import pins

GIT = shutil.which("git")


def _git(*args: str, cwd: Path) -> str:
    assert GIT is not None, "these tests make git mirrors: install git"
    proc = subprocess.run(
        [GIT, "-c", "user.name=pins-test", "-c", "user.email=pins@test.invalid",
         "-c", "init.defaultBranch=main", "-c", "tag.gpgSign=false", "-c", "commit.gpgSign=false",
         *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )
    return proc.stdout.strip()


def make_mirror(mirror: Path, repo: str, tags: dict[str, bool]) -> dict[str, str]:
    """A bare repo at mirror/OWNER+NAME/repo with one commit per tag; {tag: commit}.

    tags maps each tag to whether it is annotated (a tag object, which --verify must peel)."""
    work = mirror.parent / "work" / repo.replace("/", "+")
    work.mkdir(parents=True)
    _git("init", "-q", cwd=work)
    commits: dict[str, str] = {}
    for tag, annotated in tags.items():
        (work / "action.yml").write_text(f"name: {repo}\n# {tag}\n")
        _git("add", "action.yml", cwd=work)
        _git("commit", "-q", "-m", f"release {tag}", cwd=work)
        commits[tag] = _git("rev-parse", "HEAD", cwd=work)
        if annotated:
            _git("tag", "-a", tag, "-m", f"release {tag}", cwd=work)
        else:
            _git("tag", tag, cwd=work)
    _git("branch", "-q", "feature", cwd=work)
    dest = mirror / repo.replace("/", "+") / "repo"
    dest.parent.mkdir(parents=True)
    _git("clone", "-q", "--bare", str(work), str(dest), cwd=mirror.parent)
    return commits


@pytest.fixture
def pinned(tmp_path: Path) -> tuple[Path, Path, dict[str, str], dict[str, str]]:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    tool = make_mirror(mirror, "acme/tool", {"v1.0.0": True, "v1.2.3": True})
    other = make_mirror(mirror, "acme/other", {"v2.0.0": False})
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "one.yml").write_text(
        "jobs:\n  a:\n    steps:\n"
        f"      - uses: acme/tool@{tool['v1.2.3']} # v1.2.3\n"
        f"      - uses: acme/other/sub/dir@{other['v2.0.0']} # v2.0.0\n"
        "      - uses: ./local/action\n"
    )
    (workflows / "two.yml.in").write_text(
        f"jobs:\n  b:\n    steps:\n      - uses: 'acme/tool@{tool['v1.2.3']}' # v1.2.3\n"
    )
    return mirror, workflows, tool, other


def test_verify_against_mirrors_accepts_true_pins(
    pinned: tuple[Path, Path, dict[str, str], dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    mirror, workflows, tool, _ = pinned
    assert pins.main(["--verify", "--mirror", str(mirror), str(workflows)]) == 0
    out = capsys.readouterr().out
    assert f"ok  acme/tool@{tool['v1.2.3']} # v1.2.3  == tag v1.2.3" in out
    assert "(its latest release); 2 uses" in out
    assert "4 pins of 3 actions verified" in out


def test_verify_names_an_altered_pin_and_the_right_commit(
    pinned: tuple[Path, Path, dict[str, str], dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    mirror, workflows, _, other = pinned
    one = workflows / "one.yml"
    wrong = other["v2.0.0"][:-4] + ("0000" if not other["v2.0.0"].endswith("0000") else "1111")
    one.write_text(one.read_text().replace(other["v2.0.0"], wrong))
    assert pins.main(["--verify", "--mirror", str(mirror), str(workflows)]) == 1
    err = capsys.readouterr().err
    assert f"one.yml:5: `acme/other/sub/dir@{wrong} # v2.0.0` is wrong" in err
    assert f"pin `acme/other/sub/dir@{other['v2.0.0']} # v2.0.0`" in err
    assert "1 problem(s)" in err


def test_verify_peels_annotated_tags_and_knows_missing_ones(
    pinned: tuple[Path, Path, dict[str, str], dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    mirror, workflows, tool, _ = pinned
    tag_object = _git("rev-parse", "v1.2.3", cwd=mirror / "acme+tool" / "repo")
    assert tag_object != tool["v1.2.3"]  # an annotated tag: its object is not the commit
    (workflows / "two.yml.in").write_text(
        f"steps:\n  - uses: acme/tool@{tag_object} # v1.2.3\n"
        f"  - uses: acme/tool@{tool['v1.0.0']} # v9.9.9\n"
    )
    assert pins.main(["--verify", "--mirror", str(mirror), str(workflows)]) == 1
    err = capsys.readouterr().err
    assert f"is wrong: tag v1.2.3 of {mirror / 'acme+tool' / 'repo'} is commit {tool['v1.2.3']}" in err
    assert f"has no tag v9.9.9 (its latest release tag is v1.2.3: {tool['v1.2.3']})" in err


def test_verify_without_the_mirror_says_how_to_get_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / "w.yml"
    wf.write_text(f"steps:\n  - uses: acme/absent@{'a' * 40} # v1.0.0\n")
    assert pins.main(["--verify", "--mirror", str(tmp_path / "none"), str(wf)]) == 2
    err = capsys.readouterr().err
    assert "no mirror of acme/absent at" in err and "verify online (without --mirror)" in err


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("uses: actions/checkout@v4", "is not pinned to a commit"),
        (f"uses: actions/checkout@{'a' * 40}", "needs the release tag it is as comment"),
        (f"uses: actions/checkout@{'a' * 40} # master", "needs the release tag it is as comment"),
        (f"uses: actions/checkout@{'a' * 40} # v4", "needs the release tag it is as comment"),
        (f"uses: actions/checkout@{'A' * 40} # v4.1.0", "is not pinned to a commit"),
        ("uses: docker://alpine:3.20", "no docker:// images"),
    ],
)
def test_check_rejects_pins_without_commit_or_release_tag(tmp_path: Path, line: str, complaint: str) -> None:
    wf = tmp_path / "w.yml"
    wf.write_text(f"steps:\n  - {line}\n")
    problems = pins.check(pins.find_pins([wf]))
    assert len(problems) == 1 and complaint in problems[0] and "w.yml:2" in problems[0]


def test_check_wants_one_release_per_action(tmp_path: Path) -> None:
    wf = tmp_path / "w.yml"
    wf.write_text(f"- uses: acme/tool@{'a' * 40} # v1.0.0\n- uses: acme/tool@{'b' * 40} # v1.0.1\n")
    problems = pins.check(pins.find_pins([wf]))
    assert len(problems) == 1 and "pin one release of acme/tool in every workflow" in problems[0]


def test_committed_workflows_and_templates_pin_every_action_by_commit_and_tag() -> None:
    found = pins.find_pins(pins.workflow_files([pins.WORKFLOWS, pins.TEMPLATES]))
    names = {p.path.name for p in found}
    assert {"ci.yml", "release.yml", "ci.yml.in", "release.yml.in"} <= names
    assert pins.check(found) == []
    # every line with a `uses:` key was understood as a pin (the templates are not YAML yet;
    # test_workflows compares the generated workflows' pins with what YAML sees)
    for path in pins.workflow_files([pins.TEMPLATES]):
        text = path.read_text().splitlines()
        lines = [n for n, line in enumerate(text, 1) if "uses:" in line.split("#", 1)[0]]
        assert lines == [p.line for p in found if p.path == path], path


def test_sync_templates_carries_a_dependabot_update_into_the_templates(tmp_path: Path) -> None:
    wf, tpl = tmp_path / "workflows", tmp_path / "templates"
    shutil.copytree(pins.WORKFLOWS, wf)
    shutil.copytree(pins.TEMPLATES, tpl)
    checkout = next(p for p in pins.find_pins(pins.workflow_files([wf])) if p.repo == "actions/checkout")
    new_sha = "0123456789abcdef0123456789abcdef01234567"
    for path in wf.iterdir():  # as dependabot does: every use of the action, commit and comment
        path.write_text(path.read_text().replace(str(checkout), f"actions/checkout@{new_sha} # v99.0.0"))
    changes = pins.sync_templates(wf, tpl)
    in_templates = [p for p in pins.find_pins(pins.workflow_files([tpl])) if p.repo == "actions/checkout"]
    assert in_templates and len(changes) == len(in_templates)
    assert {str(p) for p in in_templates} == {f"actions/checkout@{new_sha} # v99.0.0"}
    assert pins.sync_templates(wf, tpl) == []  # nothing left to carry
    others = {str(p) for p in pins.find_pins(pins.workflow_files([tpl])) if p.repo != "actions/checkout"}
    assert others == {str(p) for p in pins.find_pins(pins.workflow_files([pins.TEMPLATES]))
                      if p.repo != "actions/checkout"}


def test_sync_templates_refuses_inconsistent_workflows(tmp_path: Path) -> None:
    wf, tpl = tmp_path / "workflows", tmp_path / "templates"
    shutil.copytree(pins.WORKFLOWS, wf)
    shutil.copytree(pins.TEMPLATES, tpl)
    ci = wf / "ci.yml"
    first = pins.find_pins([ci])[0]
    ci.write_text(ci.read_text().replace(str(first), f"{first.uses} # main", 1))
    with pytest.raises(pins.PinError, match="fix the workflows' pins first"):
        pins.sync_templates(wf, tpl)
