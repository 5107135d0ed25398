"""Locating the two kernels under test: the oracle (`kimi`) and kagent.

A native kagent runs with the kimi-cli profile exported from the kimi-cli installed beside
the python running the tests (`kimi-kernel profile`, once per test process), as it does
under kimi-kernel: its prompts, tool definitions and built-in skills are that kimi-cli's."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ORACLE_ENV = "KIMI_ORACLE_BIN"
KAGENT_ENV = "KAGENT_BIN"
RG_ENV = "KDIFF_RG"
# The oracle's Grep runs ripgrep and reports rg's own error text; kimi-cli 1.51 pins rg
# 15.0.0 (downloaded on first use), and error texts changed between rg 13 and 14.
RG_MAJOR = 15


class KernelMissing(AssertionError):
    """A kernel binary needed by the suite is not available (a failure, never a skip)."""


@dataclass(frozen=True)
class Kernel:
    name: str  # "oracle" or "kagent"
    binary: str
    flags: tuple[str, ...] = ()  # given to every run (a native kagent: --profile PATH)

    def argv(self, *extra: str) -> list[str]:
        return [self.binary, "--wire", *self.flags, *extra]


def is_script(binary: str) -> bool:
    """A `#!` script (the oracle's entry point, a kimi-kernel proxy), not a native kagent."""
    return Path(binary).read_bytes()[:2] == b"#!"


@functools.cache
def profile() -> Path:
    """The kimi-cli profile of the test venv's kimi-cli, written by its `kimi-kernel profile`
    into a share dir of this test process (removed at exit)."""
    share = tempfile.mkdtemp(prefix="kk-profile-")
    atexit.register(shutil.rmtree, share, True)
    kimi_kernel = Path(sys.executable).parent / "kimi-kernel"
    if not kimi_kernel.is_file():
        raise KernelMissing(
            f"{kimi_kernel} is missing: kagent runs with the profile `kimi-kernel profile` "
            "exports; install the host wheel into the test venv"
        )
    out = subprocess.run(
        [str(kimi_kernel), "profile"],
        env={**os.environ, "KIMI_SHARE_DIR": share},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        raise KernelMissing(f"`kimi-kernel profile` failed ({out.returncode}): {out.stderr}")
    return Path(out.stdout.strip())


def oracle() -> Kernel:
    explicit = os.environ.get(ORACLE_ENV)
    if explicit:
        if not Path(explicit).is_file():
            raise KernelMissing(f"{ORACLE_ENV}={explicit!r} does not exist")
        return Kernel("oracle", explicit)
    beside = Path(sys.executable).parent / "kimi"
    if beside.is_file():
        return Kernel("oracle", str(beside))
    found = shutil.which("kimi")
    if not found:
        raise KernelMissing(
            "the oracle `kimi` (kimi-cli 1.51.0) is not on PATH and "
            f"{ORACLE_ENV} is not set: install kimi-cli==1.51.0 or point {ORACLE_ENV} at it"
        )
    return Kernel("oracle", found)


def kagent() -> Kernel:
    explicit = os.environ.get(KAGENT_ENV)
    if not explicit:
        raise KernelMissing(
            f"{KAGENT_ENV} is not set: build kagent "
            "(cargo build --manifest-path kagent/Cargo.toml) and export "
            f"{KAGENT_ENV}=kagent/target/debug/kagent"
        )
    if not Path(explicit).is_file():
        raise KernelMissing(f"{KAGENT_ENV}={explicit!r} does not exist")
    if is_script(explicit):  # a wrapper (kimi-kernel proxy) gives its kagent the profile
        return Kernel("kagent", explicit)
    return Kernel("kagent", explicit, ("--profile", str(profile())))


def by_name(name: str) -> Kernel:
    if name == "oracle":
        return oracle()
    if name == "kagent":
        return kagent()
    raise ValueError(f"unknown kernel {name!r}")


def ripgrep() -> str:
    """The `rg` the oracle's Grep must run (kagent has its own search and needs none).

    Looked up in $KDIFF_RG, beside the test venv's python (PyPI package `ripgrep`), then on
    PATH.  A missing or other-major rg fails the Grep scenarios with this message instead
    of letting the oracle try to download one."""
    candidates = [
        os.environ.get(RG_ENV),
        str(Path(sys.executable).parent / "rg"),
        shutil.which("rg"),
    ]
    tried: list[str] = []
    for cand in candidates:
        if not cand or not Path(cand).is_file():
            continue
        out = subprocess.run(
            [cand, "--version"], capture_output=True, text=True, check=False
        ).stdout
        version = out.split()[1] if out.startswith("ripgrep ") else "?"
        if version.split(".")[0] == str(RG_MAJOR):
            return cand
        tried.append(f"{cand} ({version})")
    raise KernelMissing(
        f"the Grep scenarios need ripgrep {RG_MAJOR}.x (the oracle's pinned rg): "
        f"`pip install ripgrep==15.1.0` into the test venv, or set {RG_ENV}; "
        f"found: {', '.join(tried) or 'none'}"
    )


@functools.cache
def _kimi_cli_builtin_skills_dir(python: str) -> str:
    """kimi-cli's ``get_builtin_skills_dir()``, asked of the python that has kimi-cli."""
    out = subprocess.run(
        [
            python,
            "-c",
            "from kimi_cli.skill import get_builtin_skills_dir as d; print(d())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def builtin_skills_dir(name: str, share_dir: Path) -> str:
    """Where kernel ``name`` keeps the built-in skills for a run with ``share_dir``.

    kagent (a native binary): the profile's skills_dir (kimi-cli's own). A Python entry
    script (the oracle; also "kagent" in the oracle-vs-oracle self-check): its kimi-cli's
    skills dir. Another script (a wrapper such as runtime's kimi-kernel proxy, whose kagent
    is given kimi-cli's dir): the kimi-cli of the python running the tests, if it has one
    ("" when it has none: nothing is replaced)."""
    binary = by_name(name).binary
    first = Path(binary).read_bytes()[:512].split(b"\n", 1)[0]
    if not first.startswith(b"#!"):
        return str(json.loads(profile().read_text(encoding="utf-8"))["skills_dir"])
    interpreter = first[2:].decode(errors="replace").split()
    if interpreter and Path(interpreter[0]).name.startswith("python"):
        return _kimi_cli_builtin_skills_dir(interpreter[0])
    try:
        return _kimi_cli_builtin_skills_dir(sys.executable)
    except subprocess.CalledProcessError:
        return ""
