"""Build one wheel per target with maturin + zig, verify it, and collect it into dist/."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kk_common.matrix import REPO_ROOT, Target

from kk_build import console_script, debian, sbom, toolchain
from kk_build.manifest import Entry
from kk_build.progress import StageError, run, stage
from kk_build.tools import VENV_BIN, tool
from kk_build.verify import CheckFailed
from kk_build.verify import wheel as verify_wheel
from kk_build.verify.wheel import platform_tags_of

BUILD_DIR = REPO_ROOT / "build"
LOG_DIR = BUILD_DIR / "logs"
TARGET_DIR = BUILD_DIR / "target"
STUB_DIR = BUILD_DIR / "link-stubs"
STUB_ARCHIVES = ("libssp.a", "libssp_nonshared.a")
EMPTY_AR = b"!<arch>\n"


@dataclass(frozen=True)
class Built:
    target: Target
    wheel: Path
    entry: Entry


def source_date_epoch(repo: Path = REPO_ROOT) -> str:
    """$SOURCE_DATE_EPOCH, else the last commit's time, else a clear error."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        if not env.isdigit():
            raise ValueError(f"SOURCE_DATE_EPOCH={env!r} must be seconds since 1970 (digits only)")
        return env
    proc = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%ct"], capture_output=True, text=True, check=False
    )
    value = proc.stdout.strip()
    if proc.returncode != 0 or not value.isdigit():
        raise ValueError(
            "cannot default SOURCE_DATE_EPOCH from git (not a git checkout?); "
            "set it, e.g. SOURCE_DATE_EPOCH=$(date +%s)"
        )
    return value


def link_stub_dir() -> Path:
    """A directory with empty libssp archives (Debian's windows-gnu spec links -lssp)."""
    STUB_DIR.mkdir(parents=True, exist_ok=True)
    for name in STUB_ARCHIVES:
        path = STUB_DIR / name
        if not path.is_file() or path.read_bytes() != EMPTY_AR:
            path.write_bytes(EMPTY_AR)
    return STUB_DIR


def choose_toolchain(target: Target) -> toolchain.Toolchain:
    try:
        return toolchain.choose(target.rust_triple)
    except toolchain.ToolchainError:
        if not debian.can_install():
            raise
    missing = [p for p in toolchain.DEBIAN_PACKAGES if not debian.installed(p)]
    if missing:
        debian.install(missing, label=target.key)
    return toolchain.choose(target.rust_triple)


def rustflags(tc: toolchain.Toolchain, target_dir: Path, repo: Path = REPO_ROOT) -> list[str]:
    """Path remapping for reproducible, path-free binaries, plus the link stubs if needed:
    the checkout (``repo``), cargo's home, the target dir and the Rust sources all map to fixed
    names, so two checkouts at different paths build the same bytes.
    Later --remap-path-prefix options win, so the most specific come last."""
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    remaps: list[tuple[Path, str]] = [
        (cargo_home, "/cargo"),
        (repo, "/kimi-kernel"),
        (target_dir, "/target"),
        (tc.rustc.sysroot, f"/rustc/{tc.rustc.version}"),
        (tc.rustc.rust_src.resolve(), f"/rustc/{tc.rustc.version}/src"),
    ]
    flags = [f"--remap-path-prefix={path}={to}" for path, to in remaps]
    if tc.link_stub_dir_needed:
        flags += ["-L", f"native={link_stub_dir()}"]
    return flags


def build_env(
    tc: toolchain.Toolchain, target_dir: Path, sde: str, repo: Path = REPO_ROOT
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RUSTFLAGS", "RUSTUP_TOOLCHAIN")}
    env.update(tc.env)
    # The venv first: cargo-zigbuild runs `python3 -m ziglang` from PATH (Debian's rustc lives in
    # /usr/bin, next to a python3 without ziglang). The venv has no cargo/rustc to shadow.
    env["PATH"] = os.pathsep.join([str(VENV_BIN), str(tc.rustc.bin_dir), env.get("PATH", "")])
    env["RUSTC"] = str(tc.rustc.rustc)
    env["CARGO"] = str(tc.rustc.cargo)
    env["CARGO_TARGET_DIR"] = str(target_dir)
    env["CARGO_ENCODED_RUSTFLAGS"] = "\x1f".join(rustflags(tc, target_dir, repo))
    env["SOURCE_DATE_EPOCH"] = sde
    env["CARGO_TERM_COLOR"] = "never"
    return env


def maturin_command(target: Target, tc: toolchain.Toolchain, out: Path) -> list[str]:
    cmd = [tool("maturin"), "build", "--release", "--zig", "--target", target.rust_triple,
           "--out", str(out), "--auditwheel", "check"]
    if target.zig_glibc is not None:
        cmd += ["--compatibility", f"manylinux_{target.zig_glibc[0]}_{target.zig_glibc[1]}"]
    cmd += list(tc.cargo_args)
    return cmd


def build_one(
    target: Target,
    sde: str,
    target_dir: Path = TARGET_DIR,
    staging_name: str | None = None,
    repo: Path = REPO_ROOT,
) -> tuple[Path, float, toolchain.Toolchain]:
    """Build ``target``'s wheel from the checkout ``repo`` into a fresh staging dir;
    return (wheel, seconds, toolchain)."""
    with stage(target.key, "toolchain"):
        tc = choose_toolchain(target)
    print(f"[{target.key}] toolchain: {tc.describe()}", flush=True)
    staging = BUILD_DIR / "wheels" / (staging_name or target.key)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    start = time.monotonic()
    with stage(target.key, "build"):
        run(target.key, "build", maturin_command(target, tc, staging),
            env=build_env(tc, target_dir, sde, repo),
            cwd=repo,
            log=LOG_DIR / f"{staging_name or target.key}-build.log",
        )
    seconds = round(time.monotonic() - start, 1)
    wheels = sorted(staging.glob("*.whl"))
    if len(wheels) != 1:
        raise StageError(target.key, "build", f"expected one wheel in {staging}, found {wheels}")
    with stage(target.key, "SBOM: checkout path -> " + sbom.CANONICAL):
        sbom.normalize(wheels[0], repo)
    with stage(target.key, "console-script"):
        try:
            console_script.apply(wheels[0], console_script.declared(repo / "pyproject.toml"))
        except console_script.ConsoleScriptError as exc:
            raise StageError(target.key, "console-script", str(exc)) from exc
    return wheels[0], seconds, tc


def verify(target: Target, wheel: Path) -> verify_wheel.WheelReport:
    with stage(target.key, "verify"):
        try:
            return verify_wheel.check(wheel, target, tool("auditwheel"))
        except CheckFailed as exc:
            raise StageError(target.key, "verify", f"{wheel.name}: {exc}") from exc


def collect(target: Target, wheel: Path, dist: Path) -> Path:
    """Copy the verified wheel into dist/, replacing older wheels with the same platform tags."""
    dist.mkdir(parents=True, exist_ok=True)
    for old in dist.glob("*.whl"):
        try:
            if platform_tags_of(old) == target.platform_tags:
                old.unlink()
        except CheckFailed:
            continue
    dest = dist / wheel.name
    shutil.copy2(wheel, dest)
    return dest


def build_and_verify(target: Target, dist: Path, sde: str, target_dir: Path = TARGET_DIR) -> Built:
    wheel, seconds, tc = build_one(target, sde, target_dir)
    report = verify(target, wheel)
    dest = collect(target, wheel, dist)
    from kk_build.manifest import sha256

    entry = Entry(
        target=target.key,
        file=dest.name,
        sha256=sha256(dest),
        binary=report.binary_path,
        binary_size=report.binary_size,
        build_seconds=seconds,
        toolchain=tc.describe(),
        checks=report.details,
    )
    return Built(target=target, wheel=dest, entry=entry)


def build_sdist(dist: Path) -> Path:
    dist.mkdir(parents=True, exist_ok=True)
    for old in dist.glob("*.tar.gz"):
        old.unlink()
    with stage("sdist", "build"):
        run("sdist", "build", [tool("maturin"), "sdist", "--out", str(dist)], cwd=REPO_ROOT,
            log=LOG_DIR / "sdist.log")
    found = sorted(dist.glob("*.tar.gz"))
    if len(found) != 1:
        raise StageError("sdist", "build", f"expected one sdist in {dist}, found {found}")
    missing = sdist_missing_data(found[0])
    if missing:
        raise StageError(
            "sdist", "verify",
            f"{found[0].name} lacks {missing}: maturin cannot build a wheel from it; list them "
            "in [tool.maturin] include (format = \"sdist\") of pyproject.toml",
        )
    return found[0]


def sdist_missing_data(sdist: Path, root: Path = REPO_ROOT) -> list[str]:
    """The files of `[tool.maturin] data` (the wheel's data dir) that ``sdist`` does not carry:
    maturin leaves that dir out of its sdist unless `include` names it."""
    maturin = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["maturin"]
    data = maturin.get("data")
    if not data:
        return []
    wanted = sorted(p.relative_to(root).as_posix() for p in (root / data).rglob("*") if p.is_file())
    with tarfile.open(sdist) as tar:
        have = {name.partition("/")[2] for name in tar.getnames()}
    return [w for w in wanted if w not in have]
