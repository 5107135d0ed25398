"""The dry run's own checks of dist/ (what the build job uploads); the whole dry run runs in
CI from ci/run-tests.sh, on the wheels that run built."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from kk_common.matrix import load_matrix
from kk_release import dry_run


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A dist/ as `nox -s wheels` leaves it: one wheel per target, the sdist, sums, manifest."""
    d = tmp_path / "dist"
    d.mkdir()
    files = {
        f"kimi_kernel-0.1.0-py3-none-{t.wheel_tag}.whl": f"wheel of {t.name}".encode() for t in load_matrix()
    }
    files["kimi_kernel-0.1.0.tar.gz"] = b"sdist"
    for name, data in files.items():
        (d / name).write_bytes(data)
    (d / "SHA256SUMS").write_text("".join(f"{sha(v)}  {k}\n" for k, v in sorted(files.items())))
    wheels = [{"file": k, "sha256": sha(v)} for k, v in files.items() if k.endswith(".whl")]
    (d / "manifest.json").write_text(json.dumps({"wheels": wheels}))
    return d


def test_a_complete_dist_passes(dist: Path) -> None:
    assert dry_run.sums_problems(dist) == []
    assert dry_run.manifest_problems(dist) == []
    assert dry_run.inventory_problems(dist, load_matrix(), "0.1.0", "kimi-kernel") == []


def test_sums_name_an_altered_an_unlisted_and_a_missing_file(dist: Path) -> None:
    wheels = sorted(dist.glob("*.whl"))
    wheels[0].write_bytes(b"altered")
    wheels[1].unlink()
    (dist / "kimi_kernel-0.1.0-py3-none-any.whl").write_bytes(b"stray")
    problems = dry_run.sums_problems(dist)
    assert any(wheels[0].name in p and "SHA256SUMS says" in p for p in problems)
    assert any(f"SHA256SUMS lists {wheels[1].name}, which" in p for p in problems)
    assert any("kimi_kernel-0.1.0-py3-none-any.whl is in" in p for p in problems)
    assert len(problems) == 3
    (dist / "SHA256SUMS").unlink()
    assert dry_run.sums_problems(dist) == [f"{dist / 'SHA256SUMS'} is missing: `nox -s wheels` writes it"]


def test_manifest_must_list_every_wheel_with_its_hash(dist: Path) -> None:
    wheels = sorted(dist.glob("*.whl"))
    wheels[0].write_bytes(b"rebuilt since")
    (dist / "kimi_kernel-0.1.0-py3-none-any.whl").write_bytes(b"stray")
    assert sorted(dry_run.manifest_problems(dist)) == sorted([
        f"manifest.json's sha256 of {wheels[0].name} is not the file's",
        "manifest.json does not list kimi_kernel-0.1.0-py3-none-any.whl",
    ])


def test_inventory_wants_every_target_one_version_and_one_sdist(dist: Path) -> None:
    targets = load_matrix()
    missing = next(dist.glob(f"*{targets[-1].wheel_tag}.whl"))
    missing.unlink()
    (dist / "kimi_kernel-0.0.9.tar.gz").write_bytes(b"old sdist")
    problems = dry_run.inventory_problems(dist, targets, "0.1.0", "kimi-kernel")
    assert problems[0] == f"no {targets[-1].name} wheel (tag {targets[-1].wheel_tag}) in {dist}"
    assert "want one sdist kimi_kernel-0.1.0.tar.gz" in problems[1] and "0.0.9" in problems[1]
    assert dry_run.inventory_problems(dist, targets[:1], "0.2.0", "kimi-kernel")[0].endswith(
        "is not version 0.2.0"
    )


def test_release_version_and_project_come_from_the_checkout() -> None:
    assert dry_run.release_version() == dry_run.release_version(dry_run.REPO_ROOT)
    assert dry_run.release_version().count(".") >= 2
    assert dry_run.project_name() == "kimi-kernel"


def _pins(path: Path) -> tuple[dict[str, str], list[str]]:
    """(name -> requirement line, unpinned names) of a requirement file, -r/-c followed."""
    pinned: dict[str, str] = {}
    loose: list[str] = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith(("-r ", "-c ")):
            more, more_loose = _pins(path.parent / line[3:].strip())
            pinned |= more
            loose += more_loose if line.startswith("-r ") else []
        elif line:
            name = line.split("==", 1)[0].strip().lower()
            if "==" in line:
                pinned[name] = line
            else:
                loose.append(name)
    return pinned, loose


def test_every_tool_the_dry_run_and_the_release_install_is_pinned() -> None:
    for path in dry_run.REQUIREMENTS:
        assert path.is_file(), path
        pinned, loose = _pins(path)
        assert pinned, path
        assert [n for n in loose if n not in pinned] == [], f"{path}: unpinned"
    release = (dry_run.REPO_ROOT / ".github" / "workflows" / "release.yml").read_text()
    installs = [ln.strip() for ln in release.splitlines() if "pip install" in ln]
    assert installs and all(" -r " in ln for ln in installs), installs


def test_reusing_ci_dist_the_host_wheel_may_be_unlisted_and_is_added(dist: Path, tmp_path: Path) -> None:
    """`nox -s tests` builds the host wheel into dist/ without a SHA256SUMS / manifest entry."""
    host = next(dist.glob("*manylinux*x86_64.whl"))
    sums = dist / "SHA256SUMS"
    full = sums.read_text()
    sums.write_text("".join(ln + "\n" for ln in full.splitlines() if host.name not in ln))
    manifest = json.loads((dist / "manifest.json").read_text())
    manifest["wheels"] = [w for w in manifest["wheels"] if w["file"] != host.name]
    (dist / "manifest.json").write_text(json.dumps(manifest))
    assert dry_run.sums_problems(dist) == [f"{host.name} is in {dist} but not in SHA256SUMS"]
    assert dry_run.sums_problems(dist, frozenset({host.name})) == []
    assert dry_run.manifest_problems(dist, frozenset({host.name})) == []
    other = next(w for w in dist.glob("*.whl") if w != host)
    assert dry_run.sums_problems(dist, frozenset({other.name})) != []  # only the named file may lack
    completed = dry_run.complete_sums(dist, tmp_path / "work")
    assert completed.read_text() == full  # the same lines, the same order as kk_build writes


def e2e_report(path: Path, wheel: Path, *, mode: str = "native", ok: bool = True, digest: str = "") -> Path:
    """A report as `kk_e2e --json` writes it, for one target."""
    entry = {
        "target": "linux-x86_64", "mode": mode, "ok": ok, "note": "",
        "wheel": wheel.name, "wheel_sha256": digest or sha(wheel.read_bytes()),
        "checks": [{"name": "wire scenarios", "ok": ok, "detail": "", "seconds": 1.0}],
    }
    path.write_text(json.dumps([entry]))
    return path


def test_an_e2e_report_stands_for_the_native_run_only_for_the_same_bytes(tmp_path: Path) -> None:
    wheel = tmp_path / "kimi_kernel-0.1.0-py3-none-manylinux_2_17_x86_64.whl"
    wheel.write_bytes(b"the wheel e2e proved")
    report = e2e_report(tmp_path / "e2e.json", wheel)
    proof = dry_run.native_proof(report, "linux-x86_64", wheel)
    assert "proved" in proof and "1 checks passed" in proof, proof
    # Each of these must make the dry run test the wheel itself.
    assert dry_run.native_proof(report, "linux-aarch64", wheel) == ""
    assert dry_run.native_proof(tmp_path / "missing.json", "linux-x86_64", wheel) == ""
    failed = e2e_report(tmp_path / "f.json", wheel, ok=False)
    assert dry_run.native_proof(failed, "linux-x86_64", wheel) == ""
    emulated = e2e_report(tmp_path / "q.json", wheel, mode="qemu")
    assert dry_run.native_proof(emulated, "linux-x86_64", wheel) == ""
    wheel.write_bytes(b"other bytes under the same name")
    assert dry_run.native_proof(report, "linux-x86_64", wheel) == ""


@pytest.mark.parametrize("text", ["{not json", '{"target": "linux-x86_64"}', "[1, 2]"])
def test_a_report_that_is_not_one_is_a_clear_error(tmp_path: Path, text: str) -> None:
    wheel = tmp_path / "kimi_kernel-0.1.0-py3-none-manylinux_2_17_x86_64.whl"
    wheel.write_bytes(b"bytes")
    report = tmp_path / "e2e.json"
    report.write_text(text)
    with pytest.raises(dry_run.DryRunError, match=r"is not a `kk_e2e --json` report.*delete it"):
        dry_run.native_proof(report, "linux-x86_64", wheel)
    assert report.read_text() == text  # the report is left as it was
