"""Compare the zig-built wheel of a target with the one a native toolchain built (parity lane).

    PYTHONPATH=scripts python -m kk_release.compare_wheels --target NAME DIST_DIR WHEELHOUSE_DIR

Fails when the two wheels hold different files (outside .dist-info) or kagent binaries of
different architecture; prints platform-tag differences (expected: toolchains pick their own
floors) without failing on them.
"""

from __future__ import annotations

import argparse
import configparser
import sys
import tempfile
import zipfile
from pathlib import Path

from kk_e2e.inspect import check_arch
from kk_e2e.matrix import Target, target_by_name
from kk_e2e.wheel import extract_binary, find_wheel


def payload(wheel: Path) -> set[str]:
    """Files outside .dist-info, with data scripts as ``scripts/NAME``.

    A console-script entry point counts as ``scripts/NAME`` too: our zig lane turns maturin's
    ``kimi-kernel`` data script into an entry point (scripts/kk_build/console_script.py), while
    a wheel built by maturin alone keeps the data script. Both install a ``kimi-kernel`` script.
    """
    with zipfile.ZipFile(wheel) as zf:
        files = {
            n.split("/", 1)[1] if n.split("/", 1)[0].endswith(".data") else n
            for n in zf.namelist()
            if ".dist-info/" not in n and not n.endswith("/")
        }
        for name in zf.namelist():
            if name.endswith(".dist-info/entry_points.txt"):
                parser = configparser.ConfigParser(interpolation=None)
                parser.optionxform = str  # type: ignore[assignment,method-assign]
                parser.read_string(zf.read(name).decode("utf-8"))
                if parser.has_section("console_scripts"):
                    files |= {f"scripts/{script}" for script in parser.options("console_scripts")}
    return files


def compare(target: Target, zig_wheel: Path, native_wheel: Path) -> list[str]:
    problems: list[str] = []
    only_zig = sorted(payload(zig_wheel) - payload(native_wheel))
    only_native = sorted(payload(native_wheel) - payload(zig_wheel))
    if only_zig or only_native:
        problems.append(
            f"files only in the zig wheel: {only_zig}; only in native: {only_native}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        for label, wheel in (("zig", zig_wheel), ("native", native_wheel)):
            try:
                binary = extract_binary(wheel, target, Path(tmp) / label)
            except RuntimeError as exc:
                problems.append(f"{label} wheel: {exc}")
                continue
            arch = check_arch(binary, target)
            if not arch.ok:
                problems.append(f"{label} wheel kagent: {arch.detail}")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--target", required=True)
    p.add_argument("dist", type=Path)
    p.add_argument("wheelhouse", type=Path)
    args = p.parse_args(argv)
    target = target_by_name(args.target)
    zig = find_wheel(args.dist, target)
    natives = sorted(args.wheelhouse.glob("*.whl"))
    if zig is None or len(natives) != 1:
        print(
            f"compare_wheels: need one zig wheel for {target.name} in {args.dist} (found "
            f"{zig}) and one wheel in {args.wheelhouse} (found {[n.name for n in natives]})",
            file=sys.stderr,
        )
        return 2
    native = natives[0]
    zig_tag, native_tag = zig.name.split("-")[-1], native.name.split("-")[-1]
    if zig_tag != native_tag:
        print(
            f"compare_wheels: note: platform tags differ: zig {zig_tag}, native {native_tag}"
        )
    problems = compare(target, zig, native)
    for problem in problems:
        print(f"compare_wheels: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(
        f"compare_wheels: {zig.name} and {native.name} hold the same files, same arch"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
