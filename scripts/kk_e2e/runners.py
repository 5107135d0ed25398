"""One runner per `e2e` mode of platform-matrix.toml: native, qemu-aarch64, wine, inspect-only.

Every runner returns Checks and never raises for a failing check: the table shows them all.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from kk_e2e import host
from kk_e2e.inspect import check_arch, macho_checks
from kk_e2e.kimi_kernel_smoke import doctor, installed_smoke, print_mode
from kk_e2e.matrix import Target
from kk_e2e.results import Check
from kk_e2e.scenarios import Launcher, run_wire_scenarios
from kk_e2e.wheel import check_layout, extract_binary, wheel_version

SHIM_SOURCE = Path(__file__).resolve().parent / "wine_shim" / "processprng.c"
SHIM_DLL = "bcryptprimitives.dll"


def _timed(name: str, fn: Callable[[], str]) -> Check:
    start = time.monotonic()
    try:
        return Check(name, True, fn(), time.monotonic() - start)
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
        return Check(name, False, str(exc), time.monotonic() - start)


def _run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
        check=False,
    )


def version_check(
    prefix: Sequence[str],
    binary: str,
    version: str,
    *,
    env: dict[str, str] | None,
    timeout: float,
) -> Check:
    def go() -> str:
        proc = _run([*prefix, binary, "--version"], timeout=timeout, env=env)
        if proc.returncode != 0:
            raise RuntimeError(
                f"exit {proc.returncode}; stderr: {proc.stderr.strip()[-500:]}"
            )
        if version not in proc.stdout:
            raise RuntimeError(
                f"--version printed {proc.stdout.strip()!r}, not {version}"
            )
        return proc.stdout.strip()

    return _timed("--version", go)


def _common(target: Target, wheel: Path, work: Path) -> tuple[list[Check], Path | None]:
    checks = [check_layout(wheel, target)]
    try:
        binary = extract_binary(wheel, target, work / "bin")
    except (RuntimeError, OSError) as exc:
        checks.append(Check("unpack kagent", False, str(exc)))
        return checks, None
    checks.append(check_arch(binary, target))
    return checks, binary


# -- native -----------------------------------------------------------------------------------
def ensure_wheelhouse(python: str, wheel: Path, log: list[str]) -> Path:
    """Every dependency of `wheel` as local files, so installs can run with --offline."""
    wh = host.cache_dir() / f"wheelhouse-{Path(python).name}-{_py_tag(python)}"
    wh.mkdir(parents=True, exist_ok=True)
    marker = wh / f".complete-{requirements_key(wheel)}"
    if not marker.exists():
        # `pip wheel`, not `pip download`: dependencies published only as sdists (kimi-cli
        # 1.51 has one) are built into wheels now, so the offline installs need no build
        # backend from the index.
        log.append(f"filling wheelhouse {wh} (once; needs the package index)")
        argv = [
            python,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--wheel-dir",
            str(wh),
            str(wheel),
        ]
        proc = _run(argv, timeout=1200)
        if proc.returncode != 0:
            raise RuntimeError(
                f"pip wheel of the dependencies of {wheel.name} failed: "
                f"{proc.stderr.strip()[-800:]}"
            )
        marker.write_text("ok\n")
    for stale in [*wh.glob("kimi_kernel-*"), *wh.glob("*.tar.gz"), *wh.glob("*.zip")]:
        stale.unlink()
    return wh


def requirements_key(wheel: Path) -> str:
    """A short hash of the wheel's Requires-Dist: the wheelhouse is refilled when they change."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        lines = zf.read(meta).decode("utf-8").splitlines()
    reqs = "\n".join(
        sorted(line for line in lines if line.startswith("Requires-Dist:"))
    )
    return hashlib.sha256(reqs.encode()).hexdigest()[:16]


def _py_tag(python: str) -> str:
    proc = _run(
        [
            python,
            "-c",
            "import sys; print(f'{sys.version_info[0]}{sys.version_info[1]}')",
        ],
        timeout=30,
    )
    return proc.stdout.strip() or "unknown"


def tool_script(tool_bin: Path) -> Path:
    exe = tool_bin / "kimi-kernel.exe"
    return exe if os.name == "nt" and exe.exists() else tool_bin / "kimi-kernel"


def run_native(
    target: Target, wheel: Path, work: Path, log: list[str], keep: bool
) -> list[Check]:
    checks, binary = _common(target, wheel, work)
    if binary is None:
        return checks
    if target.format == "macho":
        checks += macho_checks(binary)
    version = wheel_version(wheel)
    checks.append(version_check([], str(binary), version, env=None, timeout=60))
    checks += run_wire_scenarios(
        Launcher("kagent", (str(binary), "--wire")),
        work,
        prefix="kagent --wire",
        keep=keep,
    )
    try:
        python = host.find_python()
        uv = host.find_uv()
        wheelhouse = ensure_wheelhouse(python, wheel, log)
    except (host.HostError, RuntimeError, subprocess.SubprocessError) as exc:
        checks.append(Check("kimi-kernel prerequisites", False, str(exc)))
        return checks
    # Bytecode compiled at install time, as pip does: the smoke runs then time the program,
    # not the first import of kimi-cli's modules.
    offline = [
        "--offline",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "--compile-bytecode",
    ]

    venv = work / "venv"

    def make_venv() -> str:
        shutil.rmtree(venv, ignore_errors=True)
        for argv in (
            [uv, "venv", "--quiet", "--python", python, str(venv)],
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                str(host.venv_bin(venv, "python")),
                *offline,
                str(wheel),
            ],
        ):
            proc = _run(argv, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(
                    f"{' '.join(argv[:3])} failed: {proc.stderr.strip()[-800:]}"
                )
        return f"fresh venv with {Path(python).name}, offline from {wheelhouse.name}"

    venv_check = _timed("venv install", make_venv)
    checks.append(venv_check)
    if venv_check.ok:
        kk = host.venv_bin(venv, "kimi-kernel")
        checks += installed_smoke(kk, work, "venv kimi-kernel", keep=keep)
        checks.append(doctor(kk, work / "venv-doctor", "venv kimi-kernel", venv))

    tools, tool_bin = work / "uv-tools", work / "uv-bin"
    tool_env = dict(os.environ, UV_TOOL_DIR=str(tools), UV_TOOL_BIN_DIR=str(tool_bin))

    def tool_install() -> str:
        shutil.rmtree(tools, ignore_errors=True)
        shutil.rmtree(tool_bin, ignore_errors=True)
        argv = [
            uv,
            "tool",
            "install",
            "--quiet",
            "--python",
            python,
            *offline,
            str(wheel),
        ]
        proc = _run(argv, timeout=600, env=tool_env)
        if proc.returncode != 0:
            raise RuntimeError(f"uv tool install failed: {proc.stderr.strip()[-800:]}")
        exe = tool_script(tool_bin)
        if not exe.exists():
            raise RuntimeError(f"uv tool install left no {exe}")
        return f"offline from local files into {tools.name}"

    tool_check = _timed("uv tool install", tool_install)
    checks.append(tool_check)
    if tool_check.ok:
        tool_exe = tool_script(tool_bin)
        checks.append(
            doctor(tool_exe, work / "tool-doctor", "uv tool kimi-kernel", tools)
        )
        checks.append(print_mode(tool_exe, work / "tool-print", "uv tool kimi-kernel"))
    return checks


# -- qemu-aarch64 -----------------------------------------------------------------------------
def run_qemu(
    target: Target, wheel: Path, work: Path, log: list[str], keep: bool
) -> list[Check]:
    checks, binary = _common(target, wheel, work)
    if binary is None:
        return checks
    try:
        host.ensure_debian_packages(target.e2e, target.arch, log)
    except (host.HostError, subprocess.SubprocessError) as exc:
        return [*checks, Check(f"{target.e2e} available", False, str(exc))]
    qemu = str(host.qemu_user(target.arch))
    prefix = (qemu, "-L", str(host.cross_sysroot(target.arch)))
    checks.append(
        version_check(prefix, str(binary), wheel_version(wheel), env=None, timeout=120)
    )
    launcher = Launcher("qemu", (*prefix, str(binary), "--wire"), timeout_scale=3.0)
    checks += run_wire_scenarios(launcher, work, prefix="qemu kagent --wire", keep=keep)
    return checks


# -- wine -------------------------------------------------------------------------------------
def zig_cc_target(target: Target) -> str:
    """zig cc's arch-os-abi form of the target's Rust triple (the vendor field dropped)."""
    parts = target.rust_triple.split("-")
    return "-".join([parts[0], *parts[2:]]) if len(parts) == 4 else target.rust_triple


def build_wine_shim(dest: Path, target: Target) -> Path:
    """Build bcryptprimitives.dll (ProcessPrng) with `zig cc` from the ziglang PyPI package."""
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / SHIM_DLL
    argv = [
        sys.executable,
        "-m",
        "ziglang",
        "cc",
        "-shared",
        "-nostdlib",
        "-O2",
        "-target",
        zig_cc_target(target),
        "-o",
        str(out),
        str(SHIM_SOURCE),
        "-ladvapi32",
    ]
    proc = _run(argv, timeout=600)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"building the wine ProcessPrng shim failed (is ziglang installed? "
            f"`python -m pip install ziglang`): {proc.stderr.strip()[-800:]}"
        )
    return out


def wine_env() -> dict[str, str]:
    prefix = host.cache_dir() / "wineprefix"
    return dict(
        os.environ,
        WINEDEBUG="-all",
        WINEPREFIX=str(prefix),
        WINEDLLOVERRIDES="bcryptprimitives=n,b;mscoree,mshtml=",
    )


def run_wine(
    target: Target, wheel: Path, work: Path, log: list[str], keep: bool
) -> list[Check]:
    checks, binary = _common(target, wheel, work)
    if binary is None:
        return checks
    try:
        host.ensure_debian_packages("wine", target.arch, log)
    except (host.HostError, subprocess.SubprocessError) as exc:
        return [*checks, Check("wine64 available", False, str(exc))]
    shim_check = _timed(
        "build wine shim", lambda: str(build_wine_shim(work / "shim", target).name)
    )
    checks.append(shim_check)
    if not shim_check.ok:
        return checks
    run_dir = work / "wine-run"
    run_dir.mkdir(parents=True, exist_ok=True)
    exe = run_dir / binary.name
    shutil.copy2(binary, exe)
    shutil.copy2(work / "shim" / SHIM_DLL, run_dir / SHIM_DLL)
    env = wine_env()
    prefix = (str(host.WINE64),)
    # The first start creates the wine prefix (about 10 s): give --version room for it.
    checks.append(
        version_check(prefix, str(exe), wheel_version(wheel), env=env, timeout=300)
    )
    launcher = Launcher(
        "wine",
        (*prefix, str(exe), "--wire"),
        wine_paths=True,
        env={k: env[k] for k in ("WINEDEBUG", "WINEPREFIX", "WINEDLLOVERRIDES")},
        timeout_scale=3.0,
    )
    checks += run_wire_scenarios(
        launcher, work, prefix="wine kagent.exe --wire", keep=keep
    )
    return checks


# -- inspect-only -----------------------------------------------------------------------------
INSPECT_NOTE = (
    "structure only: nothing was executed (no way to run this binary on this host)"
)


def run_inspect(
    target: Target, wheel: Path, work: Path, log: list[str], keep: bool
) -> list[Check]:
    checks, binary = _common(target, wheel, work)
    if binary is None:
        return checks
    if target.format == "macho":
        checks += macho_checks(binary)
    log.append(f"{target.name}: {INSPECT_NOTE}")
    return checks


RUNNERS: dict[str, Callable[[Target, Path, Path, list[str], bool], list[Check]]] = {
    "native": run_native,
    "qemu-aarch64": run_qemu,
    "wine": run_wine,
    "inspect-only": run_inspect,
}
