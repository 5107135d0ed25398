"""Wheel and kagent binary sizes per platform-matrix.toml target, from dist/, and the build
seconds recorded in dist/manifest.json by `nox -s wheels`."""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kk_build import matrix
from kk_build.verify import CheckFailed
from kk_build.verify.wheel import platform_tags_of


@dataclass(frozen=True)
class TargetSize:
    target: str
    wheel: str | None
    wheel_bytes: int | None
    binary_bytes: int | None
    build_seconds: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def binary_size(wheel: Path, binary: str) -> int | None:
    """Uncompressed size of the executable ``binary`` in the wheel's ``*.data/scripts/``."""
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            path = PurePosixPath(info.filename)
            if path.name == binary and path.parent.name == "scripts" and ".data" in path.parts[0]:
                return info.file_size
    return None


def _manifest(dist: Path) -> dict[str, dict[str, Any]]:
    path = dist / "manifest.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
    return {str(w.get("file")): w for w in data.get("wheels", []) if isinstance(w, dict)}


def collect(dist: Path, targets: dict[str, matrix.Target] | None = None) -> list[TargetSize]:
    """One row per matrix target; missing wheels give a row of Nones (the table shows '-')."""
    targets = matrix.load() if targets is None else targets
    manifest = _manifest(dist)
    wheels: dict[frozenset[str], Path] = {}
    for wheel in sorted(dist.glob("*.whl")) if dist.is_dir() else []:
        try:
            wheels[platform_tags_of(wheel)] = wheel
        except CheckFailed:
            continue
    rows: list[TargetSize] = []
    for key, target in targets.items():
        found = wheels.get(target.platform_tags)
        if found is None:
            rows.append(TargetSize(key, None, None, None, None))
            continue
        wheel = found
        entry = manifest.get(wheel.name, {})
        seconds = entry.get("build_seconds")
        rows.append(
            TargetSize(
                target=key,
                wheel=wheel.name,
                wheel_bytes=wheel.stat().st_size,
                binary_bytes=binary_size(wheel, target.binary),
                build_seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
            )
        )
    return rows
