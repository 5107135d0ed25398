"""Build a target twice, the second time from a copy of the checkout at another path with an
empty cargo target dir, same SOURCE_DATE_EPOCH; fail unless the wheels are byte-identical."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from kk_common.matrix import REPO_ROOT, Target

from kk_build.build import TARGET_DIR, build_one
from kk_build.manifest import sha256
from kk_build.progress import StageError, stage

# The copy's directory name differs from any checkout's in length too: a path that leaks into
# the wheel cannot hide behind an equally long one.
COPY_NAME = "kimi-kernel-reproducibility-copy"


def first_difference(a: Path, b: Path) -> str:
    import zipfile

    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        ia = {i.filename: i for i in za.infolist()}
        ib = {i.filename: i for i in zb.infolist()}
        if list(ia) != list(ib):
            return f"member lists differ: {sorted(set(ia) ^ set(ib)) or 'order'}"
        for name, x in ia.items():
            if za.read(name) != zb.read(name):
                return f"member {name} differs in content"
            y = ib[name]
            meta_x = (x.date_time, x.external_attr, x.compress_type)
            if meta_x != (y.date_time, y.external_attr, y.compress_type):
                return f"member {name} differs in metadata ({x.date_time} vs {y.date_time})"
    return "zip container bytes differ"


def source_files(repo: Path = REPO_ROOT) -> list[str]:
    """The checkout's files as the work tree has them: tracked (minus deleted) and new ones
    that .gitignore does not exclude (so uncommitted edits build the same in the copy)."""
    proc = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=False,
    )
    if proc.returncode != 0:
        raise StageError("reproducible", "copy checkout",
                         f"`git ls-files` failed in {repo}: {proc.stderr.decode(errors='replace')}")
    names = sorted({n for n in proc.stdout.decode().split("\0") if n})
    return [n for n in names if (repo / n).is_file() or (repo / n).is_symlink()]


def copy_checkout(dest: Path, repo: Path = REPO_ROOT) -> Path:
    """Copy the checkout's source files (no build/, dist/, .nox/, .git/) to ``dest``."""
    if dest.resolve() == repo.resolve():
        raise ValueError(f"the copy must be at another path than {repo}")
    for name in source_files(repo):
        src, dst = repo / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    return dest


def check_against(target: Target, first: Path, sde: str) -> str:
    """Rebuild ``target`` from a copy of the checkout at another path, with a fresh cargo
    target dir; raise StageError unless the wheel is byte-identical to ``first``."""
    scratch = Path(tempfile.mkdtemp(prefix="kk-repro-"))
    copy = scratch / COPY_NAME
    with stage(target.key, f"copy checkout to {copy}"):
        copy_checkout(copy)
    second, _, _ = build_one(
        target, sde, copy / "build" / "target", staging_name=f"{target.key}-repro", repo=copy
    )
    with stage(target.key, "compare"):
        a, b = sha256(first), sha256(second)
        if a != b:
            raise StageError(
                target.key, "compare",
                f"not reproducible: {first} sha256 {a} vs {second} (built from {copy}) "
                f"sha256 {b}: {first_difference(first, second)}; the copy is kept for inspection",
            )
    shutil.rmtree(scratch, ignore_errors=True)
    return a


def check(target: Target, sde: str) -> str:
    """Build ``target`` in this checkout, again from a copy elsewhere; compare the wheels."""
    first, _, _ = build_one(target, sde, TARGET_DIR)
    return check_against(target, first, sde)
