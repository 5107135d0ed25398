"""Print a scenario's normalized transcript: python -m differential.show NAME [KERNEL...].

Run from the tests/ directory.  Handy while developing kagent or new scenarios.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .catalogue import SCENARIOS
from .runner import run_scenario


def main(argv: list[str]) -> int:
    if not argv:
        print("scenarios:", *sorted(SCENARIOS), sep="\n  ")
        return 0
    scenario = SCENARIOS[argv[0]]
    kernels = argv[1:] or ["oracle"]
    plan = (
        tuple(kernels)
        if len(kernels) == len(scenario.phases)
        else (kernels[0],) * len(scenario.phases)
    )
    with tempfile.TemporaryDirectory(prefix="kdiff-") as tmp:
        run = run_scenario(scenario, plan, Path(tmp))
        print("\n".join(run.normalized()))
        for i, phase in enumerate(run.phases):
            if phase.stderr.strip():
                print(f"--- stderr phase {i} ({phase.kernel}):\n{phase.stderr[-3000:]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
