"""A fresh Debian machine (rustup with the host std only, no rustc-web): the build installs
Debian's Rust with apt-get when root, else names the command; apt can resolve that install."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from kk_build import build, debian, toolchain
from kk_build.toolchain import Rustc, Toolchain, ToolchainError
from kk_common import matrix

FAKE = Rustc(rustc=Path("/usr/bin/rustc"), sysroot=Path("/usr"), version="1.96.0",
             verbose_version="rustc 1.96.0")


def a_cross_target() -> matrix.Target:
    return next(t for t in matrix.load().values() if t.rust_triple != toolchain.host_triple())


def test_missing_cross_std_installs_debian_rust_then_builds_std(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    installed: set[str] = set()

    def choose(triple: str) -> Toolchain:
        if not set(toolchain.DEBIAN_PACKAGES) <= installed:
            raise ToolchainError(f"no std for {triple}")
        return Toolchain(kind="build-std", rustc=FAKE, cargo_args=(toolchain.BUILD_STD_ARG,))

    def install(packages: list[str], label: str = "host") -> None:
        calls.append(tuple(packages))
        installed.update(packages)

    monkeypatch.setattr(debian, "can_install", lambda: True)
    monkeypatch.setattr(debian, "installed", lambda p: p in installed)
    monkeypatch.setattr(debian, "install", install)
    target = a_cross_target()
    monkeypatch.setattr(toolchain, "choose", choose)
    tc = build.choose_toolchain(target)
    assert tc.kind == "build-std"
    assert calls == [toolchain.DEBIAN_PACKAGES]
    build.choose_toolchain(target)  # installed now: apt is not called again
    assert calls == [toolchain.DEBIAN_PACKAGES]


def test_not_root_stops_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    target = a_cross_target()
    monkeypatch.setattr(debian, "can_install", lambda: False)
    monkeypatch.setattr(toolchain, "candidates", list)
    with pytest.raises(ToolchainError, match=rf"no Rust std for {target.rust_triple}.*"
                       r"apt-get install -y rustc-web cargo-web rust-web-src"):
        build.choose_toolchain(target)


def apt_lists_present() -> bool:
    return shutil.which("apt-get") is not None and any(Path("/var/lib/apt/lists").glob("*Packages*"))


def test_apt_resolves_the_install_on_a_machine_without_the_packages(tmp_path: Path) -> None:
    """apt-get in simulation mode (-s) against a copy of dpkg's status without the packages:
    what debian.install runs would install all three, nothing is changed on this machine."""
    assert apt_lists_present(), (
        "this Debian machine has no apt package lists: run `apt-get update` (the build "
        "installs its Debian packages through apt, so it needs them too)"
    )
    paragraphs = Path("/var/lib/dpkg/status").read_text(encoding="utf-8").split("\n\n")
    drop = set(toolchain.DEBIAN_PACKAGES)
    kept = [p for p in paragraphs
            if not ((m := re.match(r"Package: (\S+)", p)) and m.group(1) in drop)]
    status = tmp_path / "status"
    status.write_text("\n\n".join(kept), encoding="utf-8")
    cmd = debian.install_command(toolchain.DEBIAN_PACKAGES)
    at = cmd.index("install")
    cmd[at:at] = ["-s", "-o", f"Dir::State::status={status}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for package in toolchain.DEBIAN_PACKAGES:
        assert re.search(rf"^Inst {re.escape(package)} ", proc.stdout, re.MULTILINE), proc.stdout
