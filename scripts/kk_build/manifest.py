"""dist/SHA256SUMS and dist/manifest.json."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Entry:
    target: str
    file: str
    sha256: str
    binary: str
    binary_size: int
    build_seconds: float
    toolchain: str
    checks: dict[str, str] = field(default_factory=dict)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write(dist: Path, entries: list[Entry], extra_files: list[Path], tools: dict[str, str],
          source_date_epoch: str | None) -> tuple[Path, Path]:
    """Write SHA256SUMS (all wheels + extra files) and manifest.json; return both paths.

    Entries for targets not rebuilt this run are kept from an existing manifest.json when
    their wheel is still in dist/ with the same hash, so a subset build does not lose them.
    """
    manifest_path = dist / "manifest.json"
    kept: list[dict[str, object]] = []
    if manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            old = {}
        rebuilt = {e.target for e in entries}
        for item in old.get("wheels", []):
            f = dist / str(item.get("file", ""))
            if item.get("target") not in rebuilt and f.is_file() and sha256(f) == item.get("sha256"):
                kept.append(item)
    wheels = sorted([*kept, *(asdict(e) for e in entries)], key=lambda d: str(d["target"]))
    manifest = {
        "source_date_epoch": source_date_epoch,
        "tools": tools,
        "wheels": wheels,
        "other_files": [{"file": p.name, "sha256": sha256(p)} for p in extra_files],
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    sums = dist / "SHA256SUMS"
    names = sorted({str(w["file"]) for w in wheels} | {p.name for p in extra_files})
    sums.write_text("".join(f"{sha256(dist / n)}  {n}\n" for n in names), encoding="utf-8")
    return sums, manifest_path
