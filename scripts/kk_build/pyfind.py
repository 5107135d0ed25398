"""Find a working Python >= 3.12 for the test venv (kimi-cli 1.51 needs it).

Looks at $KK_TEST_PYTHON, python3.1x on PATH, pyenv's versions dir, `uv python find`, the
running interpreter. Each candidate is actually run: pyenv shims exist but fail when their
version is not selected.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

MINIMUM = (3, 12)
_PROBE = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"


def _version_key(path: Path) -> tuple[int, ...]:
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", str(path))
    return tuple(int(g) for g in m.groups() if g) if m else ()


def candidates() -> list[str]:
    found: list[str] = []
    explicit = os.environ.get("KK_TEST_PYTHON")
    if explicit:
        found.append(explicit)
    for minor in (13, 12, 14):
        exe = shutil.which(f"python3.{minor}")
        if exe:
            found.append(exe)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv_root.is_dir():
        found += [
            str(p / "bin" / "python")
            for p in sorted(pyenv_root.iterdir(), key=_version_key, reverse=True)
            if (p / "bin" / "python").is_file()
        ]
    uv = shutil.which("uv")
    if uv:
        proc = subprocess.run([uv, "python", "find", ">=3.12"], capture_output=True, text=True, check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            found.append(proc.stdout.strip())
    found += [sys.executable, "python3"]
    return list(dict.fromkeys(found))


def probe(exe: str) -> tuple[int, int] | None:
    try:
        proc = subprocess.run([exe, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.fullmatch(r"(\d+)\.(\d+)", proc.stdout.strip())
    if proc.returncode != 0 or not m:
        return None
    return int(m.group(1)), int(m.group(2))


def find() -> str:
    tried: list[str] = []
    for exe in candidates():
        version = probe(exe)
        tried.append(f"{exe}: {'.'.join(map(str, version)) if version else 'does not run'}")
        if version is not None and version >= MINIMUM:
            return exe
    raise RuntimeError(
        "no Python >= 3.12 with venv+ensurepip found (kimi-cli 1.51 needs it). Tried: "
        + "; ".join(tried)
        + ". Fix: install one (e.g. `pyenv install 3.13`, or `apt-get install python3.12-venv` "
        "where your distribution has it) or point KK_TEST_PYTHON at it."
    )
