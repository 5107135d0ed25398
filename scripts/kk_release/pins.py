"""List the commits .github/workflows pins its actions to, check their form, verify them.

Every `uses:` in the workflows (and in the templates they are generated from) must read
`OWNER/REPO[/PATH]@<40-hex commit> # vX.Y.Z`: a commit, because a tag can be moved; the
release tag in the comment, because that is what the commit is claimed to be (and what
dependabot reads to propose the next release). `--verify` proves the claim: it resolves each
tag in the action's own repository with `git ls-remote` (peeling annotated tags to their
commit) and fails, naming the pin and the right commit, when the SHA is not that tag's.

    PYTHONPATH=scripts python -m kk_release.pins                   list every pin
    PYTHONPATH=scripts python -m kk_release.pins --check           offline: the form of each pin
    PYTHONPATH=scripts python -m kk_release.pins --verify          online (github.com/OWNER/REPO)
    PYTHONPATH=scripts python -m kk_release.pins --verify --mirror DIR
                                           offline, against bare mirrors DIR/OWNER+REPO/repo
    PYTHONPATH=scripts python -m kk_release.pins --sync-templates
                                           copy the workflows' pins into the templates (after
                                           dependabot updated the workflows)

Files or directories given as arguments replace the default (.github/workflows and the
templates).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
TEMPLATES = Path(__file__).resolve().parent / "templates"
GITHUB = "https://github.com"

_USES = re.compile(
    r"""^\s*(?:-\s+)?uses:\s*(?P<q>["']?)(?P<ref>[^"'\s#]+)(?P=q)\s*(?:\#\s*(?P<comment>.*?))?\s*$"""
)
_ACTION = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)(?P<sub>/[\w./-]+)?@(?P<rev>\S+)$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_RELEASE_TAG = re.compile(r"^v(?P<version>\d+\.\d+\.\d+)$")


class PinError(RuntimeError):
    """A pin cannot be verified at all (no git, no mirror, unreachable repository)."""


@dataclass(frozen=True)
class Pin:
    path: Path
    line: int
    uses: str  # the whole `uses:` value, e.g. actions/checkout@<sha>
    comment: str  # the text after `#`, "" when there is none

    @property
    def where(self) -> str:
        try:
            shown = self.path.relative_to(REPO_ROOT)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}"

    @property
    def repo(self) -> str | None:
        """OWNER/REPO of the action (a sub-directory action lives in its repository's tags)."""
        m = _ACTION.match(self.uses)
        return m.group("repo") if m else None

    @property
    def rev(self) -> str:
        return self.uses.rsplit("@", 1)[-1] if "@" in self.uses else ""

    @property
    def tag(self) -> str:
        return self.comment.split()[0] if self.comment else ""

    def __str__(self) -> str:
        return f"{self.uses} # {self.comment}" if self.comment else self.uses


def workflow_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.name.endswith((".yml", ".yaml", ".yml.in")))
        elif path.is_file():
            files.append(path)
        else:
            raise PinError(f"{path}: no such file or directory")
    return files


def find_pins(files: Iterable[Path]) -> list[Pin]:
    """Every `uses:` of the files, local actions (`./...`) included (check() skips those)."""
    pins: list[Pin] = []
    for path in files:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _USES.match(line)
            if m:
                pins.append(Pin(path, lineno, m.group("ref"), (m.group("comment") or "").strip()))
    return pins


def check(pins: Iterable[Pin]) -> list[str]:
    """Offline: problems with the form of the pins (and one version per action everywhere)."""
    problems: list[str] = []
    seen: dict[str, Pin] = {}
    for pin in pins:
        if pin.uses.startswith("./"):
            continue  # an action of this repository: pinned by the checkout itself
        if pin.repo is None:
            problems.append(
                f"{pin.where}: `uses: {pin.uses}` is not OWNER/REPO[/PATH]@COMMIT; only actions from "
                "a GitHub repository, pinned by commit, can be verified (no docker:// images)"
            )
            continue
        if not _SHA.match(pin.rev):
            problems.append(
                f"{pin.where}: `uses: {pin}` is not pinned to a commit: write the 40-hex SHA of a "
                f"release tag and the tag as comment (`{pin.repo}@<sha> # vX.Y.Z`); "
                f"`git ls-remote {GITHUB}/{pin.repo} 'refs/tags/vX.Y.Z*'` gives the SHA"
            )
            continue
        if not _RELEASE_TAG.match(pin.tag) or pin.comment != pin.tag:
            problems.append(
                f"{pin.where}: `uses: {pin}` needs the release tag it is as comment, exactly "
                f"`# vX.Y.Z` (not a branch or a major-version tag, which move)"
            )
            continue
        first = seen.setdefault(pin.repo, pin)
        if (first.rev, first.tag) != (pin.rev, pin.tag):
            problems.append(
                f"{pin.where}: `{pin}` differs from `{first}` at {first.where}: pin one release of "
                f"{pin.repo} in every workflow"
            )
    return problems


def source_of(repo: str, mirror: Path | None) -> str:
    if mirror is None:
        return f"{GITHUB}/{repo}"
    local = mirror / repo.replace("/", "+", 1) / "repo"
    if not local.is_dir():
        raise PinError(
            f"no mirror of {repo} at {local}: mirror it there (a bare git repository) or "
            "verify online (without --mirror)"
        )
    return str(local)


def remote_tags(source: str, timeout: float = 120.0) -> dict[str, str]:
    """tag name -> commit, annotated tags peeled to the commit they point at."""
    git = shutil.which("git")
    if git is None:
        raise PinError("git not found on PATH: --verify resolves tags with `git ls-remote`")
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    try:
        proc = subprocess.run(
            [git, "ls-remote", "--tags", source],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise PinError(f"`git ls-remote --tags {source}` took over {timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise PinError(
            f"`git ls-remote --tags {source}` failed (exit {proc.returncode}): {proc.stderr.strip()}"
        )
    direct: dict[str, str] = {}
    peeled: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            peeled[name.removesuffix("^{}")] = sha
        else:
            direct[name] = sha
    return direct | peeled


def latest_release(tags: Iterable[str]) -> str | None:
    versions = [
        (tuple(int(p) for p in m.group("version").split(".")), tag)
        for tag in tags
        if (m := _RELEASE_TAG.match(tag))
    ]
    return max(versions)[1] if versions else None


def verify(pins: list[Pin], mirror: Path | None = None) -> tuple[list[str], list[str]]:
    """(report lines, problems): each pin's SHA against its tag in the action's repository."""
    problems = check(pins)  # and still verify what can be: a wrong SHA is worth naming too
    report: list[str] = []
    by_repo: dict[str, list[Pin]] = {}
    for pin in pins:
        if pin.repo is not None and _SHA.match(pin.rev) and pin.tag:
            by_repo.setdefault(pin.repo, []).append(pin)
    for repo, repo_pins in sorted(by_repo.items()):
        source = source_of(repo, mirror)
        tags = remote_tags(source)
        newest = latest_release(tags)
        good: dict[str, list[Pin]] = {}
        for pin in repo_pins:
            right = tags.get(pin.tag)
            if right is None:
                problems.append(
                    f"{pin.where}: `{pin}`: {source} has no tag {pin.tag}"
                    + (f" (its latest release tag is {newest}: {tags[newest]})" if newest else "")
                )
            elif right != pin.rev:
                problems.append(
                    f"{pin.where}: `{pin}` is wrong: tag {pin.tag} of {source} is commit {right}; "
                    f"pin `{pin.uses.split('@')[0]}@{right} # {pin.tag}`"
                )
            else:
                good.setdefault(str(pin), []).append(pin)
        for shown, same in good.items():
            tag = same[0].tag
            note = "its latest release" if tag == newest else f"newer release: {newest}"
            files = sorted({p.where.rsplit(":", 1)[0] for p in same})
            report.append(
                f"ok  {shown}  == tag {tag} of {source} ({note}); {len(same)} uses in {', '.join(files)}"
            )
    return report, problems


def sync_templates(workflows: Path = WORKFLOWS, templates: Path = TEMPLATES) -> list[str]:
    """Carry the workflows' pins (say, a dependabot update) into the templates they come from."""
    generated = find_pins(workflow_files([workflows]))
    problems = check(generated)
    if problems:
        raise PinError("fix the workflows' pins first: " + "; ".join(problems))
    wanted = {pin.repo: pin for pin in generated if pin.repo is not None}
    changes: list[str] = []
    for path in workflow_files([templates]):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for pin in find_pins([path]):
            new = wanted.get(pin.repo) if pin.repo is not None else None
            if new is None or (new.rev, new.comment) == (pin.rev, pin.comment):
                continue
            line = lines[pin.line - 1]
            action = pin.uses.split("@", 1)[0]
            lines[pin.line - 1] = f"{line[: line.index('uses:')]}uses: {action}@{new.rev} # {new.comment}\n"
            changes.append(f"{pin.where}: {pin} -> {action}@{new.rev} # {new.comment}")
        path.write_text("".join(lines), encoding="utf-8")
    return changes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("paths", nargs="*", type=Path, help="workflow files or directories")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="offline: the form of every pin")
    mode.add_argument("--verify", action="store_true", help="each SHA against its tag (git ls-remote)")
    mode.add_argument(
        "--sync-templates",
        action="store_true",
        help="copy the workflows' pins into the templates (after a dependabot update)",
    )
    p.add_argument("--mirror", type=Path, help="with --verify: bare mirrors DIR/OWNER+REPO/repo")
    args = p.parse_args(argv)
    if args.mirror is not None and not args.verify:
        p.error("--mirror only goes with --verify")
    if args.sync_templates:
        if args.paths:
            p.error("--sync-templates works on .github/workflows and the templates only")
        try:
            changes = sync_templates()
        except PinError as exc:
            print(f"pins: {exc}", file=sys.stderr)
            return 1
        print("\n".join(changes) or "pins: the templates already carry the workflows' pins")
        return 0
    try:
        pins = find_pins(workflow_files(args.paths or [WORKFLOWS, TEMPLATES]))
        if args.verify:
            report, problems = verify(pins, args.mirror)
        else:
            report, problems = [f"{pin.where}: {pin}" for pin in pins], check(pins) if args.check else []
    except PinError as exc:
        print(f"pins: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report))
    for problem in problems:
        print(f"pins: {problem}", file=sys.stderr)
    if problems:
        print(f"pins: {len(problems)} problem(s) in {len(pins)} pins", file=sys.stderr)
        return 1
    actions = len({pin.repo for pin in pins})
    if args.verify:
        where = f"mirrors in {args.mirror}" if args.mirror else GITHUB
        print(f"pins: {len(pins)} pins of {actions} actions verified against their tags ({where})")
    elif args.check:
        print(f"pins: {len(pins)} pins of {actions} actions, each a commit with its release tag")
    return 0


if __name__ == "__main__":
    sys.exit(main())
