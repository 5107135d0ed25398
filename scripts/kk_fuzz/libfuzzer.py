"""The cargo-fuzz and libFuzzer command lines kk_fuzz runs, and what it reads from their output.

cargo-fuzz needs nightly-only rustc flags (`-Z` sanitizer-coverage options); on the stable
toolchain here `RUSTC_BOOTSTRAP=1` unlocks them, and `--sanitizer none` avoids AddressSanitizer
(which needs a nightly std). The targets are built once, then each binary is run directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kk_build.toolchain import host_triple

CARGO_FUZZ_VERSION = "0.13.1"
INSTALL_HINT = f"cargo install cargo-fuzz --version {CARGO_FUZZ_VERSION} --locked"
# Deep-nesting inputs (the JSON limit is 9998 levels) must fit; longer inputs slow mutation down.
MAX_LEN = 20_000
# An input taking longer than this is reported as a hang (libFuzzer writes a timeout- file).
UNIT_TIMEOUT_S = 10
RSS_LIMIT_MB = 2048

_EXECUTED = re.compile(r"^stat::number_of_executed_units:\s*(\d+)", re.M)
_STATUS = re.compile(r"^#(\d+)\s", re.M)
_WRITTEN = re.compile(r"Test unit written to (\S+)")


def build_env(base: dict[str, str]) -> dict[str, str]:
    """The environment for cargo fuzz on a stable toolchain."""
    env = dict(base)
    env["RUSTC_BOOTSTRAP"] = "1"
    return env


def build_command(targets: list[str]) -> list[str]:
    """Build the named targets (debug assertions and overflow checks on, cargo-fuzz's default)."""
    cmd = ["cargo", "fuzz", "build", "--sanitizer", "none"]
    # `cargo fuzz build` builds every target when none is named
    return cmd if len(targets) != 1 else [*cmd, targets[0]]


def binary(fuzz_dir: Path, target: str) -> Path:
    return fuzz_dir / "target" / host_triple() / "release" / target


def run_command(
    exe: Path, seconds: int, corpus: Path, seeds: list[Path], artifacts: Path
) -> list[str]:
    """One libFuzzer run: `seconds` of fuzzing from the working corpus plus the seed folders."""
    return [
        str(exe),
        f"-max_total_time={seconds}",
        f"-max_len={MAX_LEN}",
        f"-timeout={UNIT_TIMEOUT_S}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
        *(str(s) for s in seeds),
    ]


@dataclass(frozen=True)
class Outcome:
    """What one run did: inputs executed, the crash/hang/oom files it wrote."""

    executed: int
    artifacts: tuple[str, ...]

    @property
    def crashes(self) -> int:
        return len(self.artifacts)


def parse_output(text: str) -> Outcome:
    """Read a libFuzzer log: the final stats' executed units (else the last `#N` status line)."""
    found = _EXECUTED.findall(text)
    if found:
        executed = int(found[-1])
    else:
        statuses = _STATUS.findall(text)
        executed = int(statuses[-1]) if statuses else 0
    return Outcome(executed=executed, artifacts=tuple(_WRITTEN.findall(text)))
