"""The host wheel under test and its platform-matrix.toml target (exported by `nox -s tests`)."""

from __future__ import annotations

import os
from pathlib import Path

from kk_common import matrix


def host_wheel() -> Path:
    value = os.environ.get("KK_HOST_WHEEL")
    assert value, "KK_HOST_WHEEL is unset: run these tests through `nox -s tests`"
    return Path(value)


def host_target() -> matrix.Target:
    key = os.environ.get("KK_HOST_TARGET")
    assert key, "KK_HOST_TARGET is unset: run these tests through `nox -s tests`"
    return matrix.load()[key]
