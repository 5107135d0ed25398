"""Pick, per target, a Rust toolchain that can build it on this machine.

Order: a rustc whose sysroot already has the target's std (rustup's, usually); else a rustc
with a matching Rust source, building std with ``-Zbuild-std`` (Debian's rustc-web +
rust-web-src); else a ToolchainError naming the missing piece and the command that installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kk_common.matrix import Target, target_for_triple

BUILD_STD_ARG = "-Zbuild-std=std,panic_abort"
DEBIAN_PACKAGES = ("rustc-web", "cargo-web", "rust-web-src")
DEBIAN_RUSTC = Path("/usr/bin/rustc")


class ToolchainError(Exception):
    """No usable Rust toolchain for a target; the message says what to install."""


@dataclass(frozen=True)
class Rustc:
    rustc: Path
    sysroot: Path
    version: str  # e.g. "1.96.0"
    verbose_version: str  # `rustc -V`

    @property
    def bin_dir(self) -> Path:
        return self.sysroot / "bin"

    @property
    def cargo(self) -> Path:
        return self.bin_dir / ("cargo.exe" if os.name == "nt" else "cargo")

    def has_std(self, triple: str) -> bool:
        lib = self.sysroot / "lib" / "rustlib" / triple / "lib"
        return lib.is_dir() and any(lib.glob("libstd-*.rlib"))

    @property
    def rust_src(self) -> Path:
        return self.sysroot / "lib" / "rustlib" / "src" / "rust"

    def src_matches(self) -> bool:
        """True when the sysroot's Rust source exists and is of this rustc's version."""
        if not (self.rust_src / "library" / "std" / "Cargo.toml").is_file():
            return False
        # rustup's rust-src component is installed per toolchain: matching by construction.
        if (self.sysroot / "lib" / "rustlib" / "manifest-rust-src").is_file():
            return True
        version_file = self.rust_src / "version"
        if version_file.is_file():
            return version_file.read_text(encoding="utf-8").split()[0] == self.version
        m = re.fullmatch(r"rustc-(\d+\.\d+\.\d+)(?:-src)?", self.rust_src.resolve().name)
        return bool(m and m.group(1) == self.version)


@dataclass(frozen=True)
class Toolchain:
    """How one target gets built: which rustc/cargo, extra cargo args and environment."""

    kind: str  # "prebuilt-std" | "build-std"
    rustc: Rustc
    cargo_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    link_stub_dir_needed: bool = False

    def describe(self) -> str:
        return f"{self.kind} via {self.rustc.rustc} ({self.rustc.verbose_version})"


def _probe(rustc: Path) -> Rustc | None:
    try:
        sysroot = subprocess.run(
            [rustc, "--print", "sysroot"], capture_output=True, text=True, check=True
        ).stdout.strip()
        verbose = subprocess.run(
            [rustc, "-V"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    m = re.match(r"rustc (\d+\.\d+\.\d+)", verbose)
    if not m:
        return None
    real = Path(sysroot) / "bin" / rustc.name
    return Rustc(
        rustc=real if real.is_file() else rustc,
        sysroot=Path(sysroot),
        version=m.group(1),
        verbose_version=verbose,
    )


def candidates() -> list[Rustc]:
    """Every distinct rustc on this machine: rustup's default first, then PATH, then Debian's."""
    paths: list[Path] = []
    rustup = shutil.which("rustup")
    if rustup:
        out = subprocess.run(
            [rustup, "which", "rustc"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if out:
            paths.append(Path(out))
    found = shutil.which("rustc")
    if found:
        paths.append(Path(found))
    paths.append(DEBIAN_RUSTC)
    seen: set[Path] = set()
    result: list[Rustc] = []
    for path in paths:
        if not path.is_file():
            continue
        probed = _probe(path)
        if probed is None or probed.sysroot in seen:
            continue
        seen.add(probed.sysroot)
        result.append(probed)
    return result


def host_triple() -> str:
    for rustc in candidates():
        out = subprocess.run(
            [rustc.rustc, "-vV"], capture_output=True, text=True, check=True
        ).stdout
        m = re.search(r"^host: (\S+)$", out, re.MULTILINE)
        if m:
            return m.group(1)
    raise ToolchainError(
        "no rustc found; install Rust with rustup (https://rustup.rs) or, on Debian as root, "
        f"`apt-get install -y {' '.join(DEBIAN_PACKAGES)}`"
    )


def host_target() -> Target:
    """The platform-matrix.toml target of this machine (by rustc's host triple)."""
    return target_for_triple(host_triple())


def needs_libssp_stubs(rustc: Rustc, triple: str) -> bool:
    """Whether this rustc's target spec links -lssp (Debian patches windows-gnu to), which
    zig's mingw lacks: empty stub archives then satisfy the linker."""
    try:
        proc = subprocess.run(
            [rustc.rustc, "--print", "target-spec-json", "-Z", "unstable-options", "--target", triple],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "RUSTC_BOOTSTRAP": "1"},
        )
    except OSError:
        return False
    return proc.returncode == 0 and "-lssp" in proc.stdout


def choose(triple: str, rustcs: list[Rustc] | None = None) -> Toolchain:
    """The toolchain for ``triple``, or ToolchainError naming what is missing and its fix."""
    rustcs = candidates() if rustcs is None else rustcs
    for rustc in rustcs:
        if rustc.has_std(triple) and rustc.cargo.is_file():
            return Toolchain(
                kind="prebuilt-std",
                rustc=rustc,
                link_stub_dir_needed=needs_libssp_stubs(rustc, triple),
            )
    for rustc in rustcs:
        if rustc.src_matches() and rustc.cargo.is_file():
            return Toolchain(
                kind="build-std",
                rustc=rustc,
                cargo_args=(BUILD_STD_ARG,),
                env={"RUSTC_BOOTSTRAP": "1"},
                link_stub_dir_needed=needs_libssp_stubs(rustc, triple),
            )
    seen = "; ".join(
        f"{r.rustc} {r.version}: std for {triple} "
        f"{'present' if r.has_std(triple) else 'absent'}, matching Rust source "
        f"{'present' if r.src_matches() else 'absent'}"
        for r in rustcs
    ) or "no rustc at all"
    raise ToolchainError(
        f"no Rust std for {triple} and no Rust source matching an installed rustc to build it "
        f"from ({seen}). Fix one of: `rustup target add {triple}` (needs network access to "
        f"rustup's server), or on Debian as root: `apt-get update && apt-get install -y "
        f"{' '.join(DEBIAN_PACKAGES)}` (rustc, cargo and the matching Rust source)"
    )
