"""Smoke tests of the kimi-kernel installed in the running interpreter's environment.

cibuildwheel's test command (pyproject.toml [tool.cibuildwheel]) runs this inside its test
venv, where the freshly built wheel is installed: the same scenarios as `nox -s e2e` runs on
the zig-built wheels (kagent --wire directly, then kimi-kernel print/wire mode and doctor).

    python scripts/kk_e2e/installed_smoke.py
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1]


def installed_executable(name: str) -> Path | None:
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / f"{name}.exe", scripts / name):
        if candidate.is_file():
            return candidate
    return None


def main() -> int:
    # Run as a file by cibuildwheel: make `kk_e2e` importable from the sdist/checkout.
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    from kk_e2e.kimi_kernel_smoke import doctor, installed_smoke
    from kk_e2e.results import Check, TargetReport, render_table
    from kk_e2e.scenarios import Launcher, run_wire_scenarios

    work = Path(tempfile.mkdtemp(prefix="kk-installed-smoke-"))
    checks: list[Check] = []
    kagent = installed_executable("kagent")
    kimi_kernel = installed_executable("kimi-kernel")
    if kagent is None or kimi_kernel is None:
        where = sysconfig.get_path("scripts")
        checks.append(
            Check(
                "installed",
                False,
                f"kagent={kagent}, kimi-kernel={kimi_kernel} in {where}",
            )
        )
    else:
        checks += run_wire_scenarios(
            Launcher("kagent", (str(kagent), "--wire")), work, prefix="kagent --wire"
        )
        checks += installed_smoke(kimi_kernel, work, "kimi-kernel")
        checks.append(
            doctor(kimi_kernel, work / "doctor", "kimi-kernel", Path(sys.prefix))
        )
    report = TargetReport(sysconfig.get_platform(), "native (installed)", checks)
    print(render_table([report]))
    if report.ok:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
