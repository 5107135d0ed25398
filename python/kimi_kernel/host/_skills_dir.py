"""kimi-cli's bundled skills directory, found without importing kimi-cli.

kagent is told to list that directory as its built-in skills, so both kernels name the same
files. The host's `kimi_builtin_skills_dir` asks kimi-cli itself (importing `kimi_cli.skill`
costs a third of a second); the Wire exec path (core._door) must not pay that, so it takes the
directory from where the kimi_cli package is installed (tests/runtime/test_layering.py checks
that both agree)."""

from __future__ import annotations

import importlib.util
import os


def bundled_skills_dir() -> str | None:
    spec = importlib.util.find_spec("kimi_cli")  # finds the package, does not run it
    for base in (spec.submodule_search_locations or []) if spec is not None else []:
        skills = os.path.join(base, "skills")
        if os.path.isdir(skills):
            return skills
    return None
