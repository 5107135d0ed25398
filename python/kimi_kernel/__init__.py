"""kimi_kernel: run kimi-cli's agent turns in the native kagent kernel."""

from __future__ import annotations
