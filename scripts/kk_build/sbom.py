"""Make maturin's SBOM independent of the checkout's path.

maturin writes a CycloneDX SBOM into ``.dist-info/sboms/`` (cargo-cyclonedx); it stays in the
wheel. Its bom-refs for kagent itself are cargo's package id, ``path+file:///<checkout>/kagent#
<version>``: the absolute path of the checkout, so two checkouts at different paths built
different wheels. This module rewrites that prefix to ``path+file:///kimi-kernel/`` (the name the
binary's ``--remap-path-prefix`` gives the checkout too), updates the SBOM's line in RECORD and
rewrites the zip with every member's name, order, timestamp and attributes kept. Wheels without
the path are left untouched.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path

CANONICAL = "/kimi-kernel"


def _prefixes(repo: Path) -> list[bytes]:
    """The checkout as cargo may spell it in a package id (as given, and symlinks resolved)."""
    spellings = {os.path.abspath(repo), str(repo.resolve())}
    return [f"path+file://{p}/".encode() for p in sorted(spellings, key=len, reverse=True)]


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def normalize(wheel: Path, repo: Path) -> list[str]:
    """Rewrite checkout paths in the wheel's SBOMs in place; return the members changed."""
    replacement = f"path+file://{CANONICAL}/".encode()
    with zipfile.ZipFile(wheel) as zf:
        infos = zf.infolist()
        data = {i.filename: zf.read(i.filename) for i in infos}
    changed: dict[str, bytes] = {}
    for name, content in data.items():
        if "/sboms/" not in name or not name.split("/", 1)[0].endswith(".dist-info"):
            continue
        new = content
        for prefix in _prefixes(repo):
            new = new.replace(prefix, replacement)
        if new != content:
            changed[name] = new
    if not changed:
        return []
    record = next(n for n in data if n.endswith(".dist-info/RECORD"))
    lines = data[record].decode("utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        path = line.split(",", 1)[0]
        if path in changed:
            ending = "\r\n" if line.endswith("\r\n") else "\n" if line.endswith("\n") else ""
            lines[i] = f"{path},{_record_hash(changed[path])},{len(changed[path])}{ending}"
    changed[record] = "".join(lines).encode("utf-8")
    tmp = wheel.with_name(wheel.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as out:
        for info in infos:
            out.writestr(info, changed.get(info.filename, data[info.filename]),
                         compress_type=info.compress_type)
    tmp.replace(wheel)
    return sorted(changed)
