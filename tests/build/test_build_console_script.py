"""`kimi-kernel` is a console-script entry point of the built wheel, so that installers
generate a real launcher on every platform (kimi-kernel.exe on Windows), although maturin
refuses [project.scripts] with bindings = "bin" (scripts/kk_build/console_script.py)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import Literal

import pytest
from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile
from kk_build import console_script
from kk_build.verify import CheckFailed
from kk_build.verify import wheel as verify_wheel
from support.build_host import host_target, host_wheel

# installer's script kinds (installer.scripts.LauncherKind, defined for type checkers only).
LauncherKind = Literal["posix", "win-ia32", "win-amd64", "win-arm", "win-arm64"]


def as_maturin_left_it(src: Path, dst: Path) -> Path:
    """The host wheel as maturin alone writes it: no entry_points.txt, a `kimi-kernel` data script."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        data_dir = next(
            PurePosixPath(n).parts[0] for n in zin.namelist() if PurePosixPath(n).parts[0].endswith(".data")
        )
        for info in zin.infolist():
            if info.filename.endswith(".dist-info/entry_points.txt"):
                continue
            if info.filename.endswith(".dist-info/RECORD"):
                script = zipfile.ZipInfo(f"{data_dir}/scripts/kimi-kernel", info.date_time)
                script.external_attr = 0o100755 << 16
                launcher = b"#!python\nimport sys\nfrom kimi_kernel.cli import main\nsys.exit(main())\n"
                zout.writestr(script, launcher)
            zout.writestr(info, zin.read(info))
    return dst


def record_problems(wheel: Path) -> list[str]:
    """Members whose RECORD hash/size is wrong, and members missing from RECORD."""
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as zf:
        record_name = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        rows = {row[0]: row for row in csv.reader(io.StringIO(zf.read(record_name).decode())) if row}
        for name in zf.namelist():
            if name == record_name or name.endswith("/"):
                continue
            data = zf.read(name)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            row = rows.pop(name, None)
            if row is None or row[1] != f"sha256={digest}" or row[2] != str(len(data)):
                problems.append(name)
        problems += [n for n in rows if n != record_name]
    return problems


def test_host_wheel_declares_the_console_scripts() -> None:
    wheel = host_wheel()
    assert console_script.console_scripts_of(wheel) == {"kimi-kernel": "kimi_kernel.cli:main"}
    assert console_script.declared() == {"kimi-kernel": "kimi_kernel.cli:main"}
    assert record_problems(wheel) == []


def test_apply_moves_the_data_script_into_entry_points(tmp_path: Path) -> None:
    raw = as_maturin_left_it(host_wheel(), tmp_path / host_wheel().name)
    with pytest.raises(CheckFailed, match="console-script"):
        verify_wheel.check_structure(raw, host_target())
    console_script.apply(raw, console_script.declared())
    assert console_script.console_scripts_of(raw) == console_script.declared()
    with zipfile.ZipFile(raw) as zf:
        assert not [n for n in zf.namelist() if n.endswith("/scripts/kimi-kernel")]
        assert zf.namelist()[-1].endswith(".dist-info/RECORD")
    assert record_problems(raw) == []
    verify_wheel.check_structure(raw, host_target())
    before = raw.read_bytes()
    console_script.apply(raw, console_script.declared())
    assert raw.read_bytes() == before, "applying twice changed the wheel"


def test_existing_different_console_scripts_are_refused(tmp_path: Path) -> None:
    wheel = shutil.copy(host_wheel(), tmp_path / host_wheel().name)
    with pytest.raises(console_script.ConsoleScriptError, match="already declares"):
        console_script.apply(Path(wheel), {"other": "kimi_kernel.cli:main"})


def install_with_script_kind(wheel: Path, root: Path, kind: LauncherKind) -> Path:
    scheme = {k: str(root / k) for k in ("purelib", "platlib", "headers", "scripts", "data")}
    interpreter = "C:\\Python313\\python.exe" if kind.startswith("win") else sys.executable
    with WheelFile.open(wheel) as source:
        install(source, SchemeDictionaryDestination(scheme, interpreter=interpreter, script_kind=kind), {})
    return root / "scripts"


def test_windows_install_gets_an_exe_launcher(tmp_path: Path) -> None:
    scripts = install_with_script_kind(host_wheel(), tmp_path, "win-amd64")
    exe = scripts / "kimi-kernel.exe"
    assert exe.is_file(), sorted(os.listdir(scripts))
    assert exe.read_bytes()[:2] == b"MZ", "the launcher is not a Windows executable"
    assert b"kimi_kernel.cli" in exe.read_bytes()


def test_posix_install_gets_a_runnable_script(tmp_path: Path) -> None:
    scripts = install_with_script_kind(host_wheel(), tmp_path, "posix")
    script = scripts / "kimi-kernel"
    assert os.access(script, os.X_OK)
    # The generated launcher runs this (test venv) interpreter, importing kimi_kernel from the
    # fresh install and kimi-cli from the test venv.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(tmp_path / d) for d in ("platlib", "purelib"))}
    env.pop("KIMI_KERNEL_BIN", None)
    env["KIMI_SHARE_DIR"] = str(tmp_path / "share")
    # doctor fails without a model (it predicts the run); this machine's config is not ours
    config = tmp_path / "config.toml"
    config.write_text(
        'default_model = "m"\n[models.m]\nprovider = "p"\nmodel = "m"\nmax_context_size = 1000\n'
        '[providers.p]\ntype = "kimi"\nbase_url = "http://127.0.0.1:9"\napi_key = "k"\n',
        encoding="utf-8",
    )
    out = subprocess.run([sys.executable, str(script), "--config-file", str(config), "doctor", "--json"],
                         check=False, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert str(tmp_path) in json.loads(out.stdout)["binary"], out.stdout
