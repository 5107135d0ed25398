"""Locate the PyPI-installed build tools of the running venv and report their versions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """Path of a console script of this venv (maturin, auditwheel, ...), or a clear error."""
    candidate = VENV_BIN / name
    if candidate.is_file():
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(
        f"{name} not found next to {sys.executable} nor on PATH; install the pinned build tools: "
        f"`{sys.executable} -m pip install -r ci/requirements-build.txt`"
    )


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as exc:
        return f"unavailable ({exc})"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else f"unavailable (exit {out.returncode})"


def versions(extra: dict[str, list[str]] | None = None) -> dict[str, str]:
    result = {
        "python": sys.version.split()[0],
        "maturin": _first_line([tool("maturin"), "--version"]),
        "zig": _first_line([sys.executable, "-m", "ziglang", "version"]),
        "cargo-zigbuild": _first_line([tool("cargo-zigbuild"), "--version"]),
        "auditwheel": _first_line([tool("auditwheel"), "--version"]),
    }
    try:
        import lief

        result["lief"] = str(getattr(lief, "__version__", "unknown"))
    except ImportError:
        result["lief"] = "unavailable"
    for name, cmd in (extra or {}).items():
        result[name] = _first_line(cmd)
    return result
