"""The locator on its own: KIMI_KERNEL_BIN checks, executable headers, PATH rules."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from runtime._kk import require_installed, write_exe

require_installed()

from kimi_kernel.core._binfmt import BinaryFormat, host_arch, host_kind, read_format  # noqa: E402
from kimi_kernel.core._locate import (  # noqa: E402
    KagentNotFoundError,
    check_runnable,
    locate,
    path_candidates,
)

OTHER_ARCH = "aarch64" if host_arch() == "x86_64" else "x86_64"
ELF_MACHINE = {"x86_64": 62, "aarch64": 183}


def elf(path: Path, arch: str) -> Path:
    head = bytearray(64)
    head[:4] = b"\x7fELF"
    head[4], head[5] = 2, 1  # 64-bit, little endian
    struct.pack_into("<HH", head, 16, 2, ELF_MACHINE[arch])
    path.write_bytes(bytes(head) + b"\0" * 64)
    path.chmod(0o755)
    return path


def macho(path: Path, cpu: int) -> Path:
    path.write_bytes(b"\xcf\xfa\xed\xfe" + struct.pack("<I", cpu) + b"\0" * 56)
    return path


def pe(path: Path, machine: int) -> Path:
    head = bytearray(0x80)
    head[:2] = b"MZ"
    struct.pack_into("<I", head, 0x3C, 0x40)
    head[0x40:0x44] = b"PE\0\0"
    struct.pack_into("<H", head, 0x44, machine)
    path.write_bytes(bytes(head))
    return path


def test_headers_are_read(tmp_path: Path) -> None:
    assert read_format(elf(tmp_path / "a", "aarch64")) == BinaryFormat(
        "elf", ("aarch64",)
    )
    assert read_format(elf(tmp_path / "b", "x86_64")) == BinaryFormat(
        "elf", ("x86_64",)
    )
    assert read_format(macho(tmp_path / "c", 0x0100000C)) == BinaryFormat(
        "macho", ("aarch64",)
    )
    assert read_format(pe(tmp_path / "d", 0x8664)) == BinaryFormat("pe", ("x86_64",))
    (tmp_path / "e").write_text("#!/bin/sh\n")
    assert read_format(tmp_path / "e").kind == "script"


def test_env_bin_missing_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "kagent"
    with pytest.raises(KagentNotFoundError) as info:
        locate({"KIMI_KERNEL_BIN": str(missing), "PATH": ""})
    assert info.value.headline == (
        f"KIMI_KERNEL_BIN={missing}: no such file. Point KIMI_KERNEL_BIN at a kagent "
        "executable built for this machine, or unset it."
    )
    assert f"[env] {missing}: no such file" in str(info.value)


def test_env_bin_empty(tmp_path: Path) -> None:
    with pytest.raises(KagentNotFoundError, match="KIMI_KERNEL_BIN is set but empty"):
        locate({"KIMI_KERNEL_BIN": " ", "PATH": ""})


def test_env_bin_not_executable(tmp_path: Path) -> None:
    target = tmp_path / "kagent"
    target.write_text("#!/bin/sh\necho hi\n")
    target.chmod(0o644)
    with pytest.raises(KagentNotFoundError) as info:
        locate({"KIMI_KERNEL_BIN": str(target)})
    assert info.value.headline.startswith(
        f"KIMI_KERNEL_BIN={target}: not executable (mode 0644; fix with chmod +x)."
    )


def test_env_bin_directory(tmp_path: Path) -> None:
    with pytest.raises(
        KagentNotFoundError, match="is a directory, not an executable file"
    ):
        locate({"KIMI_KERNEL_BIN": str(tmp_path)})


def test_env_bin_wrong_architecture(tmp_path: Path) -> None:
    target = elf(tmp_path / "kagent", OTHER_ARCH)
    with pytest.raises(KagentNotFoundError) as info:
        locate({"KIMI_KERNEL_BIN": str(target)})
    kind = {"elf": "ELF", "macho": "Mach-O", "pe": "PE"}[host_kind()]
    assert info.value.headline.startswith(
        f"KIMI_KERNEL_BIN={target}: wrong architecture: built for {OTHER_ARCH} (ELF), "
        f"but this machine is {host_arch()} ({kind})."
    )


def test_env_bin_right_architecture_is_used(tmp_path: Path) -> None:
    target = elf(tmp_path / "kagent", host_arch())
    found = locate({"KIMI_KERNEL_BIN": str(target)})
    assert (found.path, found.source) == (target, "env")
    assert [s.outcome for s in found.searched] == ["found"]


def test_env_bin_bare_name_is_looked_up_on_absolute_path_entries_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 19: an untrusted repository's ./kagent must never run for KIMI_KERNEL_BIN=kagent
    repo = tmp_path / "repo"
    repo.mkdir()
    write_exe(repo / "kagent", "#!/bin/sh\necho pwned\n")
    monkeypatch.chdir(repo)
    with pytest.raises(KagentNotFoundError) as info:
        locate({"KIMI_KERNEL_BIN": "kagent", "PATH": os.pathsep.join(["", ".", "rel"])})
    assert info.value.headline == (
        "KIMI_KERNEL_BIN=kagent is a bare name and no absolute PATH entry holds a usable "
        "executable of that name; it is never looked up in the current directory. Set "
        "KIMI_KERNEL_BIN to the absolute path of a kagent executable, or unset it."
    )
    tools = tmp_path / "tools"
    tools.mkdir()
    target = write_exe(tools / "kagent", "#!/bin/sh\n")
    found = locate({"KIMI_KERNEL_BIN": "kagent", "PATH": os.pathsep.join([".", str(tools)])})
    assert (found.path, found.source) == (target, "env")


def test_check_runnable_accepts_scripts(tmp_path: Path) -> None:
    assert check_runnable(write_exe(tmp_path / "k", "#!/bin/sh\n")) is None


def test_path_never_uses_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_exe(tmp_path / "kagent", "#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    cands = path_candidates({"PATH": os.pathsep.join(["", ".", "rel/dir", "/abs/dir"])})
    assert cands == [Path("/abs/dir/kagent")]


def test_package_binary_beats_path_and_everything_is_reported(tmp_path: Path) -> None:
    decoy = write_exe(tmp_path / "kagent", "#!/bin/sh\necho decoy\n")
    found = locate({"PATH": str(tmp_path)})
    assert found.source == "package", found
    assert found.path != decoy
    assert found.path.name == "kagent"
    assert next((s.source, s.outcome) for s in found.searched) == ("env", "not set")
    assert found.searched[-1].outcome == "found"
