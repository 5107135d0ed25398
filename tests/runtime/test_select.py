"""Kernel selection: --kernel > KIMI_KERNEL > [runtime] kernel in kimi-cli's config > auto."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime._kk import kk_argv, require_installed

require_installed()

from kimi_kernel.core._argv import UsageError, split_args  # noqa: E402
from kimi_kernel.core._select import KernelSelectionError, Selection, select_kernel  # noqa: E402


def cfg(path: Path, kernel: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'default_model = ""\n[runtime]\nkernel = "{kernel}"\n', encoding="utf-8"
    )
    return path


def test_precedence(tmp_path: Path) -> None:
    share = tmp_path / "share"
    cfg(share / "config.toml", "python")
    env = {"KIMI_SHARE_DIR": str(share)}
    assert select_kernel(flag=None, env=env) == Selection(
        "python", "config", f"[runtime] kernel in {share / 'config.toml'}"
    )
    assert select_kernel(flag=None, env={**env, "KIMI_KERNEL": "rust"}).reason == "env"
    chosen = select_kernel(flag="auto", env={**env, "KIMI_KERNEL": "rust"})
    assert (chosen.kernel, chosen.reason) == ("auto", "flag")
    assert select_kernel(
        flag=None, env={"KIMI_SHARE_DIR": str(tmp_path / "none")}
    ) == Selection("auto", "default", "default")


def test_config_file_flag_and_inline_config(tmp_path: Path) -> None:
    other = cfg(tmp_path / "other.toml", "rust")
    got = select_kernel(
        flag=None, env={"KIMI_SHARE_DIR": str(tmp_path)}, config_file=other
    )
    assert (got.kernel, got.reason) == ("rust", "config")
    inline = '{"runtime": {"kernel": "python"}}'
    got = select_kernel(flag=None, env={}, config_string=inline)
    assert (got.kernel, got.detail) == ("python", "[runtime] kernel in --config")
    json_file = tmp_path / "c.json"
    json_file.write_text('{"runtime": {"kernel": "auto"}}')
    assert select_kernel(flag=None, env={}, config_file=json_file).reason == "config"


def test_invalid_values_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(KernelSelectionError) as info:
        select_kernel(flag="go", env={})
    assert (
        str(info.value)
        == "--kernel is 'go', which is not a kernel; use one of: rust, python, auto."
    )
    with pytest.raises(KernelSelectionError, match="^KIMI_KERNEL is 'java'"):
        select_kernel(flag=None, env={"KIMI_KERNEL": "java"})
    bad = cfg(tmp_path / "bad.toml", "cobol")
    with pytest.raises(
        KernelSelectionError, match=rf"^\[runtime\] kernel in {bad} is 'cobol'"
    ):
        select_kernel(flag=None, env={}, config_file=bad)


def test_kernel_flag_is_taken_out_of_kimis_arguments() -> None:
    split = split_args(
        ["--kernel", "rust", "--print", "--config-file=c.toml", "-p", "hi"]
    )
    assert split.kimi_args == ["--print", "--config-file=c.toml", "-p", "hi"]
    assert (split.kernel, split.config_file) == ("rust", "c.toml")
    assert split_args(["acp", "--kernel=python"]).kimi_args == ["acp"]
    assert split_args(["-p", "x", "--", "--kernel", "rust"]).kernel is None
    with pytest.raises(UsageError, match="--kernel needs a value"):
        split_args(["--kernel"])


def test_cli_rejects_invalid_env_value(tmp_path: Path) -> None:
    proc = subprocess.run(
        kk_argv("doctor", "--json"),
        env={"KIMI_KERNEL": "turbo", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc
    assert proc.stderr.strip() == (
        "kimi-kernel: error: KIMI_KERNEL is 'turbo', which is not a kernel; "
        "use one of: rust, python, auto."
    )


def test_kernel_flag_is_inherited_by_child_processes(tmp_path: Path) -> None:
    """`kimi-kernel --kernel X term` starts `kimi-kernel acp` as a child: it must select X too."""
    code = (
        "import os, sys\n"
        "from kimi_kernel.cli import main\n"
        "main(['--kernel', 'python', 'doctor', '--json'])\n"
        "sys.stderr.write('child sees ' + repr(os.environ.get('KIMI_KERNEL')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "KIMI_SHARE_DIR": str(tmp_path), "KIMI_KERNEL": "rust"},
    )
    assert "child sees 'python'" in proc.stderr, proc.stderr
