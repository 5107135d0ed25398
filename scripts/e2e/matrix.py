"""Read platform-matrix.toml, the only place that lists targets."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MATRIX_PATH = REPO_ROOT / "platform-matrix.toml"
E2E_MODES = ("native", "qemu-aarch64", "wine", "inspect-only")
FIELDS = (
    "rust_triple",
    "zig_target",
    "wheel_tag",
    "binary",
    "arch",
    "format",
    "e2e",
    "gh_runner",
)


@dataclass(frozen=True)
class Target:
    name: str
    rust_triple: str
    zig_target: str
    wheel_tag: str
    binary: str
    arch: str
    format: str
    e2e: str
    gh_runner: str

    def platform_tags(self) -> set[str]:
        """The platform tags a wheel built for this target may carry (tags joined by '.')."""
        return set(self.wheel_tag.split("."))

    def matches_wheel(self, wheel_name: str) -> bool:
        """True when the wheel file name's platform tag set equals this target's."""
        stem = wheel_name.removesuffix(".whl")
        parts = stem.split("-")
        if len(parts) < 5:
            return False
        return set(parts[-1].split(".")) == self.platform_tags()


def load_matrix(path: Path = MATRIX_PATH) -> list[Target]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    targets = data.get("targets")
    if not isinstance(targets, dict) or not targets:
        raise ValueError(f"{path}: no [targets.NAME] tables found")
    out: list[Target] = []
    for name, spec in targets.items():
        missing = [
            f for f in FIELDS if not isinstance(spec.get(f), str) or not spec.get(f)
        ]
        if missing:
            raise ValueError(
                f"{path}: [targets.{name}] lacks string field(s) {missing}"
            )
        if spec["e2e"] not in E2E_MODES:
            raise ValueError(
                f"{path}: [targets.{name}] e2e = {spec['e2e']!r}; expected one of {E2E_MODES}"
            )
        out.append(Target(name=name, **{f: spec[f] for f in FIELDS}))
    return out


def target_by_name(name: str, path: Path = MATRIX_PATH) -> Target:
    targets = {t.name: t for t in load_matrix(path)}
    if name not in targets:
        raise KeyError(
            f"unknown target {name!r}; platform-matrix.toml lists {sorted(targets)}"
        )
    return targets[name]
