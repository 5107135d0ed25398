"""kk_build: build, verify and test the kimi-kernel wheels (driven by noxfile.py).

Every target comes from ``platform-matrix.toml``; nothing in this package names one.
"""

from __future__ import annotations
