"""check_version: tag == pyproject == Cargo, on throwaway trees and on the real repository."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from kk_release.check_version import REPO_ROOT, VersionError, check, to_pep440

SCRIPT = REPO_ROOT / "scripts" / "kk_release" / "check_version.py"


def tree(tmp_path: Path, cargo: str, pyproject_version: str | None) -> Path:
    (tmp_path / "kagent").mkdir()
    (tmp_path / "kagent" / "Cargo.toml").write_text(
        f'[package]\nname = "kagent"\nversion = "{cargo}"\n'
    )
    project = (
        '[project]\nname = "kimi-kernel"\ndynamic = ["version"]\n'
        if pyproject_version is None
        else f'[project]\nname = "kimi-kernel"\nversion = "{pyproject_version}"\n'
    )
    (tmp_path / "pyproject.toml").write_text(project)
    return tmp_path


def test_matching_tag_passes(tmp_path: Path) -> None:
    root = tree(tmp_path, "1.2.3", None)
    assert check("v1.2.3", root) == "1.2.3"
    assert check("refs/tags/v1.2.3", root) == "1.2.3"


def test_prerelease_maps_to_pep440(tmp_path: Path) -> None:
    root = tree(tmp_path, "1.2.3-rc.1", None)
    assert to_pep440("1.2.3-rc.1") == "1.2.3rc1"
    assert check("v1.2.3rc1", root) == "1.2.3rc1"
    assert check("v1.2.3-rc.1", root) == "1.2.3rc1"


def test_wrong_tag_names_both_versions(tmp_path: Path) -> None:
    root = tree(tmp_path, "1.2.3", None)
    with pytest.raises(
        VersionError, match=r"tag 'v1.2.4' != kagent/Cargo.toml version '1.2.3'"
    ):
        check("v1.2.4", root)


def test_static_pyproject_version_must_match(tmp_path: Path) -> None:
    root = tree(tmp_path, "1.2.3", "1.2.2")
    with pytest.raises(VersionError, match=r"pyproject.toml version '1.2.2'"):
        check("v1.2.3", root)


def test_unmappable_cargo_version_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path, "1.2.3-nightly", None)
    with pytest.raises(VersionError, match="not MAJOR.MINOR.PATCH"):
        check("v1.2.3", root)


def test_a_version_inherited_from_the_workspace_is_read_there(tmp_path: Path) -> None:
    root = tree(tmp_path, "0.0.0", None)
    (root / "kagent" / "Cargo.toml").write_text(
        '[workspace]\nmembers = [".", "base"]\n[workspace.package]\nversion = "2.3.4"\n'
        '[package]\nname = "kagent"\nversion.workspace = true\n'
    )
    assert check("v2.3.4", root) == "2.3.4"
    (root / "kagent" / "Cargo.toml").write_text('[package]\nname = "kagent"\nversion.workspace = true\n')
    with pytest.raises(VersionError, match=r"\[workspace.package\] has none"):
        check("v2.3.4", root)


def test_cli_on_the_real_repository() -> None:
    # The kagent workspace root carries the version; the kagent package inherits it.
    manifest = tomllib.loads((REPO_ROOT / "kagent" / "Cargo.toml").read_text())
    assert manifest["package"]["version"] == {"workspace": True}
    cargo = manifest["workspace"]["package"]["version"]
    ok = subprocess.run(
        [sys.executable, str(SCRIPT), "--tag", f"v{cargo}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "check_version: tag" in ok.stdout
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), "--tag", "v999.0.0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "999.0.0" in bad.stderr and cargo in bad.stderr
