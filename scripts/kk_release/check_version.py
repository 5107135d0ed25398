"""Check that a release tag names the version the wheels will carry.

The version is single-sourced in kagent/Cargo.toml; pyproject.toml declares it dynamic and
maturin takes it from Cargo. So: tag (minus a leading `v`) == Cargo version (as PEP 440),
and pyproject.toml either has `version` in `dynamic` or a static version equal to Cargo's.

    python scripts/kk_release/check_version.py --tag v0.1.0
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

_SEMVER = re.compile(
    r"^(?P<release>\d+\.\d+\.\d+)(?:-(?P<pre>alpha|beta|rc|a|b)\.?(?P<n>\d+))?$"
)
_PEP440_PRE = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "rc": "rc"}


class VersionError(RuntimeError):
    pass


def cargo_version(root: Path) -> str:
    """kagent's version as cargo resolves it: `[package] version`, or, with
    `version.workspace = true`, the `[workspace.package] version` of the same file (the root)."""
    path = root / "kagent" / "Cargo.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    version = data.get("package", {}).get("version")
    if isinstance(version, dict) and version.get("workspace") is True:
        version = data.get("workspace", {}).get("package", {}).get("version")
        if not isinstance(version, str):
            raise VersionError(f"{path}: [package] inherits the version, but [workspace.package] has none")
    if not isinstance(version, str):
        raise VersionError(f"{path}: [package] version is missing")
    return version


def to_pep440(semver: str) -> str:
    """Cargo's semver as maturin writes it into the wheel (1.2.3-rc.1 -> 1.2.3rc1)."""
    m = _SEMVER.match(semver)
    if not m:
        raise VersionError(
            f"Cargo version {semver!r} is not MAJOR.MINOR.PATCH[-alpha|beta|rc.N]; "
            "maturin could not map it to the same PEP 440 version"
        )
    if m.group("pre") is None:
        return m.group("release")
    return f"{m.group('release')}{_PEP440_PRE[m.group('pre')]}{m.group('n')}"


def pyproject_version(root: Path) -> str | None:
    """None when the version is dynamic (taken from Cargo.toml by maturin)."""
    path = root / "pyproject.toml"
    project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    static = project.get("version")
    dynamic = "version" in project.get("dynamic", [])
    if dynamic and static is not None:
        raise VersionError(f"{path}: version is both static ({static!r}) and dynamic")
    if not dynamic and static is None:
        raise VersionError(
            f"{path}: [project] has no version and does not list it in dynamic"
        )
    return None if dynamic else str(static)


def check(tag: str, root: Path = REPO_ROOT) -> str:
    """The release version, or VersionError naming every mismatch."""
    cargo = cargo_version(root)
    wheel = to_pep440(cargo)
    tag_version = tag.removeprefix("refs/tags/").removeprefix("v")
    problems = []
    if tag_version not in (cargo, wheel):
        problems.append(
            f"tag {tag!r} != kagent/Cargo.toml version {cargo!r} (wheel version {wheel!r}); "
            f"tag the commit v{cargo} or bump kagent/Cargo.toml"
        )
    static = pyproject_version(root)
    if static is not None and static not in (cargo, wheel):
        problems.append(
            f"pyproject.toml version {static!r} != kagent/Cargo.toml version {cargo!r}; "
            'make it dynamic (dynamic = ["version"]) so maturin takes Cargo\'s'
        )
    if problems:
        raise VersionError("; ".join(problems))
    return wheel


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument(
        "--tag", default=os.environ.get("GITHUB_REF_NAME"), help="e.g. v0.1.0"
    )
    p.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")
    args = p.parse_args(argv)
    if not args.tag:
        print(
            "check_version: no tag: pass --tag vX.Y.Z or set GITHUB_REF_NAME",
            file=sys.stderr,
        )
        return 2
    try:
        version = check(args.tag, args.root)
    except (VersionError, OSError, tomllib.TOMLDecodeError) as exc:
        print(f"check_version: {exc}", file=sys.stderr)
        return 1
    print(
        f"check_version: tag {args.tag} == Cargo == pyproject (wheel version {version})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
