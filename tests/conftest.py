"""Import roots of the test suites: tests/ (shared `support`, `mock_llm` helpers) and scripts/
(the one import root of the repository's tools: kk_build, kk_e2e, kk_bench, kk_release)."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent
for _root in (str(_TESTS), str(_TESTS.parent / "scripts")):
    if _root not in sys.path:
        sys.path.insert(0, _root)
