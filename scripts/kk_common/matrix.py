"""Read ``platform-matrix.toml``: the only place that lists the targets (build, e2e, release, bench)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MATRIX_PATH = REPO_ROOT / "platform-matrix.toml"

_FIELDS = (
    "rust_triple",
    "zig_target",
    "wheel_tag",
    "binary",
    "arch",
    "format",
    "e2e",
    "gh_runner",
)
_FORMATS = ("elf", "macho", "pe")
E2E_MODES = ("native", "qemu-aarch64", "wine", "inspect-only")


class MatrixError(Exception):
    """platform-matrix.toml is missing, malformed, or a requested target is not in it."""


@dataclass(frozen=True)
class Target:
    key: str
    rust_triple: str
    zig_target: str
    wheel_tag: str
    binary: str
    arch: str
    format: str
    e2e: str
    gh_runner: str

    @property
    def name(self) -> str:
        """The target's name in the matrix (its table key)."""
        return self.key

    @property
    def platform_tags(self) -> frozenset[str]:
        """The dot-separated platform tags of the wheel, order-insensitive."""
        return frozenset(self.wheel_tag.split("."))

    def matches_wheel(self, wheel_name: str) -> bool:
        """True when the wheel file name's platform tag set equals this target's."""
        parts = wheel_name.removesuffix(".whl").split("-")
        return len(parts) >= 5 and frozenset(parts[-1].split(".")) == self.platform_tags

    @property
    def glibc_floor(self) -> tuple[int, int] | None:
        """(major, minor) from a manylinux_X_Y tag, None for non-Linux wheels."""
        for tag in self.platform_tags:
            m = re.match(r"manylinux_(\d+)_(\d+)_", tag)
            if m:
                return int(m.group(1)), int(m.group(2))
        return None

    @property
    def zig_glibc(self) -> tuple[int, int] | None:
        """(major, minor) of the glibc suffix on zig_target (``<triple>.2.17``), if any."""
        if self.zig_target == self.rust_triple:
            return None
        suffix = self.zig_target.removeprefix(self.rust_triple + ".")
        m = re.fullmatch(r"(\d+)\.(\d+)", suffix)
        if not m:
            raise MatrixError(
                f"target {self.key}: zig_target {self.zig_target!r} must be the rust_triple "
                f"{self.rust_triple!r}, optionally followed by '.MAJOR.MINOR' (glibc floor)"
            )
        return int(m.group(1)), int(m.group(2))

    @property
    def macos_min(self) -> tuple[int, int] | None:
        """(major, minor) from a macosx_X_Y tag, None for non-macOS wheels."""
        for tag in self.platform_tags:
            m = re.match(r"macosx_(\d+)_(\d+)_", tag)
            if m:
                return int(m.group(1)), int(m.group(2))
        return None


def load(path: Path = MATRIX_PATH) -> dict[str, Target]:
    """All targets of the matrix, keyed by name, in file order."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MatrixError(
            f"{path} not found: it lists the targets; restore it from git"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise MatrixError(f"{path} is not valid TOML: {exc}") from exc
    raw = data.get("targets")
    if not isinstance(raw, dict) or not raw:
        raise MatrixError(f"{path} has no [targets.NAME] tables")
    targets: dict[str, Target] = {}
    for key, entry in raw.items():
        missing = [
            f for f in _FIELDS if not isinstance(entry.get(f), str) or not entry[f]
        ]
        if missing:
            raise MatrixError(
                f"{path}: [targets.{key}] lacks string field(s) {', '.join(missing)}"
            )
        if entry["format"] not in _FORMATS:
            raise MatrixError(
                f"{path}: [targets.{key}] format {entry['format']!r} is not one of {_FORMATS}"
            )
        if entry["e2e"] not in E2E_MODES:
            raise MatrixError(
                f"{path}: [targets.{key}] e2e {entry['e2e']!r} is not one of {E2E_MODES}"
            )
        target = Target(key=key, **{f: entry[f] for f in _FIELDS})
        target.zig_glibc  # validates the zig_target shape  # noqa: B018
        if target.zig_glibc != target.glibc_floor:
            raise MatrixError(
                f"{path}: [targets.{key}] zig_target glibc {target.zig_glibc} disagrees with "
                f"the wheel tag's manylinux floor {target.glibc_floor}"
            )
        targets[key] = target
    return targets


def select(names: list[str], path: Path = MATRIX_PATH) -> list[Target]:
    """The named targets (all of them when ``names`` is empty), failing on unknown names."""
    targets = load(path)
    if not names:
        return list(targets.values())
    unknown = [n for n in names if n not in targets]
    if unknown:
        raise MatrixError(
            f"unknown target(s) {', '.join(unknown)}; platform-matrix.toml has: "
            + ", ".join(targets)
        )
    return [targets[n] for n in dict.fromkeys(names)]


def load_matrix(path: Path = MATRIX_PATH) -> list[Target]:
    """Every target, in file order."""
    return list(load(path).values())


def target_by_name(name: str, path: Path = MATRIX_PATH) -> Target:
    targets = load(path)
    if name not in targets:
        raise MatrixError(f"unknown target {name!r}; platform-matrix.toml lists {sorted(targets)}")
    return targets[name]


def target_for_triple(triple: str, path: Path = MATRIX_PATH) -> Target:
    """The matrix target whose rust triple is ``triple`` (the host's, from kk_build.toolchain)."""
    for target in load(path).values():
        if target.rust_triple == triple:
            return target
    raise MatrixError(
        f"this host ({triple}) is not a target in platform-matrix.toml; "
        "build one of its targets explicitly with `nox -s wheels -- TARGET`"
    )
