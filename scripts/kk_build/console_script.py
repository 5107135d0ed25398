"""Give the wheel real console scripts, which maturin cannot do for ``bindings = "bin"``.

maturin refuses ``[project.scripts]`` (and ``console_scripts`` entry points) together with
``bindings = "bin"``. A wheel data script (``*.data/scripts/``) works on Unix but gets no
``.exe`` launcher on Windows, so ``kimi-kernel`` would not run from cmd or PowerShell. After
maturin has built a wheel we therefore move each script named in pyproject.toml's
``[tool.kimi-kernel.console-scripts]`` into the wheel's ``entry_points.txt``: pip and uv then
generate a native launcher on every platform. The rewrite is deterministic (member order,
timestamps and compression kept) so reproducible builds stay byte-identical.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import tomllib
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from kk_common.matrix import REPO_ROOT


class ConsoleScriptError(RuntimeError):
    """The wheel cannot be given its console scripts (layout not as maturin writes it)."""


def declared(pyproject: Path = REPO_ROOT / "pyproject.toml") -> dict[str, str]:
    """``[tool.kimi-kernel.console-scripts]``: script name -> ``module:function``."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    scripts = data.get("tool", {}).get("kimi-kernel", {}).get("console-scripts", {})
    if not scripts:
        raise ConsoleScriptError(f"{pyproject} declares no [tool.kimi-kernel.console-scripts]")
    return {str(k): str(v) for k, v in scripts.items()}


def console_scripts_of(wheel: Path) -> dict[str, str]:
    """The ``[console_scripts]`` section of the wheel's entry_points.txt (empty if none)."""
    with zipfile.ZipFile(wheel) as zf:
        dist_info = _top_dir(zf, ".dist-info")
        name = f"{dist_info}/entry_points.txt"
        if name not in zf.namelist():
            return {}
        return parse_console_scripts(zf.read(name).decode("utf-8"))


def apply(wheel: Path, scripts: Mapping[str, str]) -> None:
    """Rewrite ``wheel`` in place so that ``scripts`` are console-script entry points.

    A data script of the same name is dropped (it would collide with the generated launcher).
    Applying twice is a no-op.
    """
    with zipfile.ZipFile(wheel) as zf:
        infos = zf.infolist()
        contents = {info.filename: zf.read(info) for info in infos}
        dist_info = _top_dir(zf, ".dist-info")
    ep_name = f"{dist_info}/entry_points.txt"
    record_name = f"{dist_info}/RECORD"
    if record_name not in contents:
        raise ConsoleScriptError(f"{wheel.name}: {record_name} missing")
    data_dirs = {PurePosixPath(n).parts[0] for n in contents if PurePosixPath(n).parts[0].endswith(".data")}
    dropped = {f"{d}/scripts/{name}" for d in data_dirs for name in scripts} & contents.keys()

    existing = parse_console_scripts(contents[ep_name].decode("utf-8")) if ep_name in contents else {}
    if existing == dict(scripts) and not dropped:
        return
    if existing:
        raise ConsoleScriptError(
            f"{wheel.name} already declares console scripts {existing}; expected none from maturin"
        )
    ep_text = (contents[ep_name].decode("utf-8").rstrip("\n") + "\n\n") if ep_name in contents else ""
    ep_text += "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
    ep_bytes = ep_text.encode("utf-8")

    template = next(i for i in infos if i.filename == f"{dist_info}/METADATA")
    out_infos: list[tuple[zipfile.ZipInfo, bytes]] = []
    for info in infos:
        if info.filename in dropped or info.filename in (ep_name, record_name):
            continue
        out_infos.append((info, contents[info.filename]))
    ep_info = zipfile.ZipInfo(ep_name, template.date_time)
    ep_info.compress_type = template.compress_type
    ep_info.external_attr = template.external_attr
    ep_info.create_system = template.create_system
    out_infos.append((ep_info, ep_bytes))

    record_info = next(i for i in infos if i.filename == record_name)
    record = _rewrite_record(contents[record_name].decode("utf-8"), dropped, ep_name, ep_bytes, record_name)
    out_infos.append((record_info, record.encode("utf-8")))

    tmp = wheel.with_name(wheel.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zout:
        for info, data in out_infos:
            zout.writestr(info, data, compress_type=info.compress_type)
    os.replace(tmp, wheel)


def _top_dir(zf: zipfile.ZipFile, suffix: str) -> str:
    tops = {PurePosixPath(n).parts[0] for n in zf.namelist() if PurePosixPath(n).parts[0].endswith(suffix)}
    if len(tops) != 1:
        raise ConsoleScriptError(f"expected one *{suffix} directory in the wheel, found {sorted(tops)}")
    return tops.pop()


def parse_console_scripts(text: str) -> dict[str, str]:
    """The [console_scripts] section of an entry_points.txt text."""
    found: dict[str, str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == "console_scripts" and "=" in line:
            key, value = line.split("=", 1)
            found[key.strip()] = value.strip()
    return found


def _rewrite_record(text: str, dropped: set[str], ep_name: str, ep_bytes: bytes, record_name: str) -> str:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    kept = [row for row in rows if row[0] not in dropped and row[0] not in (ep_name, record_name)]
    digest = base64.urlsafe_b64encode(hashlib.sha256(ep_bytes).digest()).rstrip(b"=").decode("ascii")
    kept.append([ep_name, f"sha256={digest}", str(len(ep_bytes))])
    kept.append([record_name, "", ""])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(kept)
    return out.getvalue()
