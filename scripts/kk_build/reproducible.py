"""Build a target twice from scratch-different target dirs, same SOURCE_DATE_EPOCH; compare."""

from __future__ import annotations

import shutil
from pathlib import Path

from kk_build.build import BUILD_DIR, TARGET_DIR, build_one
from kk_build.manifest import sha256
from kk_build.matrix import Target
from kk_build.progress import StageError, stage


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
            if (x.date_time, x.external_attr, x.compress_type) != (y.date_time, y.external_attr, y.compress_type):
                return f"member {name} differs in metadata ({x.date_time} vs {y.date_time})"
    return "zip container bytes differ"


def check_against(target: Target, first: Path, sde: str) -> str:
    """Rebuild ``target`` in a fresh target dir; raise StageError unless byte-identical to ``first``."""
    fresh = BUILD_DIR / "repro" / "target"
    shutil.rmtree(fresh, ignore_errors=True)
    second, _, _ = build_one(target, sde, fresh, staging_name=f"{target.key}-repro")
    with stage(target.key, "compare"):
        a, b = sha256(first), sha256(second)
        if a != b:
            raise StageError(
                target.key, "compare",
                f"not reproducible: {first} sha256 {a} vs {second} sha256 {b}: "
                f"{first_difference(first, second)}",
            )
    return a


def check(target: Target, sde: str) -> str:
    """Build ``target`` (warm target dir) and again from a fresh one; compare the wheels."""
    first, _, _ = build_one(target, sde, TARGET_DIR)
    return check_against(target, first, sde)
