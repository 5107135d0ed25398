"""Command line of kk_build; noxfile.py sessions are thin wrappers around these commands.

  python -m kk_build wheels [TARGET...] [--no-sdist] [--all-but-host] [--target-dir DIR]
                                                      build + verify + SHA256SUMS/manifest
  python -m kk_build verify [WHEEL...]                 re-verify wheels (default: dist/*.whl)
  python -m kk_build reproducible [TARGET]             two builds, byte-identical (default: host)
  python -m kk_build tests [PYTEST ARGS...]            cargo checks, host wheel, venv, pytest
  python -m kk_build find-python                       print a Python >= 3.12
  python -m kk_build targets                           list the matrix keys
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from kk_common import matrix
from kk_common.matrix import REPO_ROOT, MatrixError

from kk_build import toolchain
from kk_build.progress import StageError
from kk_build.toolchain import ToolchainError

DIST = REPO_ROOT / "dist"


def select(names: list[str], all_but_host: bool) -> list[matrix.Target]:
    """The named targets (default: all), less the host's own with ``all_but_host``."""
    targets = matrix.select(names)
    if all_but_host:
        host = toolchain.host_target()
        targets = [t for t in targets if t.key != host.key]
    return targets


def _wheels(names: list[str], sdist: bool, dist: Path, all_but_host: bool = False,
            target_dir: Path | None = None) -> int:
    from kk_build import build, manifest, tools

    targets = select(names, all_but_host)
    sde = build.source_date_epoch()
    print(f"[all] targets: {', '.join(t.key for t in targets)}; SOURCE_DATE_EPOCH={sde}", flush=True)
    start = time.monotonic()
    built = [build.build_and_verify(t, dist, sde, target_dir or build.TARGET_DIR) for t in targets]
    extra = [build.build_sdist(dist)] if sdist else []
    versions = tools.versions()
    versions.update({f"toolchain[{b.target.key}]": b.entry.toolchain for b in built})
    sums, man = manifest.write(dist, [b.entry for b in built], extra, versions, sde)
    for b in built:
        print(f"[{b.target.key}] {b.wheel.name} binary {b.entry.binary_size} bytes, "
              f"built in {b.entry.build_seconds}s", flush=True)
    print(f"[all] done in {time.monotonic() - start:.1f}s: {sums} {man}", flush=True)
    return 0


def _verify(paths: list[str]) -> int:
    from kk_build import build

    wheels = [Path(p) for p in paths] or sorted(DIST.glob("*.whl"))
    if not wheels:
        raise MatrixError(f"no wheels to verify in {DIST}; run `nox -s wheels` first")
    from kk_build.verify.wheel import platform_tags_of

    by_tags = {t.platform_tags: t for t in matrix.load().values()}
    for wheel in wheels:
        target = by_tags.get(platform_tags_of(wheel))
        if target is None:
            raise MatrixError(f"{wheel.name}: its platform tags match no platform-matrix.toml target")
        report = build.verify(target, wheel)
        print(f"[{target.key}] {wheel.name}: {report.details}", flush=True)
    return 0


def _host_wheel_in(dist: Path) -> Path:
    from kk_build.verify.wheel import platform_tags_of

    host = toolchain.host_target()
    wheels = [w for w in sorted(dist.glob("*.whl")) if platform_tags_of(w) == host.platform_tags]
    if len(wheels) != 1:
        raise MatrixError(
            f"--against-dist needs exactly one {host.key} wheel in {dist}, found "
            f"{[w.name for w in wheels] or 'none'}; build it first (`nox -s wheels -- {host.key}`)"
        )
    return wheels[0]


def _reproducible(names: list[str], against_dist: bool = False) -> int:
    from kk_build import build, reproducible

    sde = build.source_date_epoch()
    if against_dist:
        # ci/run-tests.sh: `nox -s tests` built the host wheel into dist/; one more build from a
        # copy of the checkout, in the background while pytest runs, proves it reproducible.
        if names:
            raise MatrixError("--against-dist checks the host wheel of dist/; give no targets")
        host, first = toolchain.host_target(), _host_wheel_in(DIST)
        digest = reproducible.check_against(host, first, sde)
        print(f"[{host.key}] reproducible: {first.name} and a second build from a copy of the "
              f"checkout at another path, fresh target dir, are byte-identical (sha256 {digest})",
              flush=True)
        return 0
    targets = matrix.select(names) if names else [toolchain.host_target()]
    for target in targets:
        digest = reproducible.check(target, sde)
        print(f"[{target.key}] reproducible: two builds with SOURCE_DATE_EPOCH={sde} "
              f"are byte-identical (sha256 {digest})", flush=True)
    return 0


def _tests(pytest_args: list[str], skip_cargo: bool, reproducible_check: bool) -> int:
    from kk_build import build, lint, rustchecks, testrun

    failures = [] if skip_cargo else rustchecks.run_all()
    host = toolchain.host_target()
    sde = build.source_date_epoch()
    # Into dist/, like `nox -s wheels -- HOST`: `nox -s e2e` after this reuses the wheel.
    built = build.build_and_verify(host, DIST, sde)
    ready_file = os.environ.get("KK_HOST_WHEEL_READY_FILE")
    if ready_file:  # ci/run-tests.sh's background reproducibility check waits for this
        Path(ready_file).write_text("ok", encoding="utf-8")
    venv = testrun.make_venv(built.wheel)
    env = testrun.test_env(venv, host, built.wheel)
    failures += lint.run_all(testrun.venv_python(venv))
    code = testrun.run_pytest(venv, env, pytest_args)
    if reproducible_check:
        from kk_build import reproducible

        try:
            digest = reproducible.check_against(host, built.wheel, sde)
            print(f"[{host.key}] reproducible: a second build from a copy of the checkout at "
                  f"another path, fresh target dir, is byte-identical (sha256 {digest})", flush=True)
        except StageError as repro_failure:
            print(f"ERROR: {repro_failure}", flush=True)
            failures.append(repro_failure)
    for failure in failures:
        print(f"FAILED: [{failure.target}] {failure.stage}", file=sys.stderr, flush=True)
    if code != 0:
        print(f"FAILED: pytest exited {code}", file=sys.stderr, flush=True)
    return code or (1 if failures else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kk_build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("wheels")
    p.add_argument("targets", nargs="*")
    p.add_argument(
        "--no-sdist", action="store_true", help="skip the sdist (default: built when all targets are)"
    )
    p.add_argument("--dist", type=Path, default=DIST)
    p.add_argument("--all-but-host", action="store_true",
                   help="every target except this machine's own (ci/run-tests.sh builds them while "
                        "`nox -s tests` builds the host's)")
    p.add_argument("--target-dir", type=Path,
                   help="cargo target dir (default build/target; cargo locks it for one build at a time)")
    p = sub.add_parser("verify")
    p.add_argument("wheels", nargs="*")
    p = sub.add_parser("reproducible")
    p.add_argument("targets", nargs="*")
    p.add_argument("--against-dist", action="store_true",
                   help="rebuild the host wheel already in dist/ once and compare (instead of two builds)")
    p = sub.add_parser("tests")
    p.add_argument("--skip-cargo", action="store_true", help="also: KK_SKIP_CARGO=1")
    p.add_argument("--skip-reproducible", action="store_true", help="also: KK_SKIP_REPRODUCIBLE=1")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER)
    sub.add_parser("find-python")
    sub.add_parser("targets")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "wheels":
            return _wheels(args.targets, sdist=not args.no_sdist and not args.targets, dist=args.dist,
                           all_but_host=args.all_but_host,
                           target_dir=args.target_dir.resolve() if args.target_dir else None)
        if args.cmd == "verify":
            return _verify(args.wheels)
        if args.cmd == "reproducible":
            return _reproducible(args.targets, against_dist=args.against_dist)
        if args.cmd == "tests":
            return _tests(
                [a for a in args.pytest_args if a != "--"],
                skip_cargo=args.skip_cargo or os.environ.get("KK_SKIP_CARGO") == "1",
                reproducible_check=not (
                    args.skip_reproducible or os.environ.get("KK_SKIP_REPRODUCIBLE") == "1"
                ),
            )
        if args.cmd == "find-python":
            from kk_build import pyfind

            print(pyfind.find())
            return 0
        if args.cmd == "targets":
            print("\n".join(matrix.load()))
            return 0
    except (StageError, MatrixError, ToolchainError, RuntimeError, ValueError, FileNotFoundError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        return 1
    return 2
