"""Runs the fuzz targets (a few at a time), saves what they find and reports per target.

Each target fuzzes from its working corpus (`fuzz/corpus/<t>`, not committed), its seeds
(`fuzz/seeds/<t>`) and its found crashes (`fuzz/regressions/<t>`, committed, replayed by
kagent's `tests/fuzz_regressions.rs`). A crash, hang or out-of-memory input libFuzzer writes is
copied into `fuzz/regressions/<t>/` so that, once fixed, it stays fixed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kk_fuzz import libfuzzer


class FuzzSetupError(RuntimeError):
    """The campaign cannot start (tool missing, build failed, unknown target)."""


@dataclass(frozen=True)
class TargetReport:
    target: str
    seconds: float
    outcome: libfuzzer.Outcome
    saved: tuple[Path, ...]
    log: Path

    def line(self) -> str:
        text = (
            f"{self.target}: runs {self.outcome.executed}, crashes {self.outcome.crashes}, "
            f"{self.seconds:.0f} s"
        )
        if self.saved:
            text += " -> " + ", ".join(str(p) for p in self.saved)
        return text


def list_targets(fuzz_dir: Path) -> list[str]:
    """The cargo-fuzz targets: one file per target in fuzz_targets/."""
    return sorted(p.stem for p in (fuzz_dir / "fuzz_targets").glob("*.rs"))


def check_cargo_fuzz(env: dict[str, str]) -> None:
    try:
        subprocess.run(
            ["cargo", "fuzz", "--version"], env=env, check=True, capture_output=True, text=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise FuzzSetupError(
            f"cargo-fuzz is not available ({exc}); install it with: {libfuzzer.INSTALL_HINT}"
        ) from exc


def build(fuzz_dir: Path, targets: list[str], env: dict[str, str]) -> None:
    cmd = libfuzzer.build_command(targets)
    print("$ RUSTC_BOOTSTRAP=1 " + " ".join(cmd), flush=True)
    done = subprocess.run(cmd, cwd=fuzz_dir, env=env)
    if done.returncode != 0:
        raise FuzzSetupError(
            f"building the fuzz targets failed (exit {done.returncode}); "
            f"re-run `{' '.join(cmd)}` in {fuzz_dir} with RUSTC_BOOTSTRAP=1 to see why"
        )


def run_target(fuzz_dir: Path, target: str, seconds: int, log_dir: Path) -> TargetReport:
    exe = libfuzzer.binary(fuzz_dir, target)
    corpus = fuzz_dir / "corpus" / target
    artifacts = fuzz_dir / "artifacts" / target
    regressions = fuzz_dir / "regressions" / target
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    regressions.mkdir(parents=True, exist_ok=True)
    seeds = [d for d in (fuzz_dir / "seeds" / target, regressions) if d.is_dir()]
    log = log_dir / f"{target}.log"
    started = time.monotonic()
    with log.open("w") as out:
        subprocess.run(
            libfuzzer.run_command(exe, seconds, corpus, seeds, artifacts),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=fuzz_dir,
        )
    elapsed = time.monotonic() - started
    outcome = libfuzzer.parse_output(log.read_text(errors="replace"))
    saved = []
    for written in outcome.artifacts:
        src = Path(written)
        if src.is_file():
            dst = regressions / src.name
            shutil.copyfile(src, dst)
            saved.append(dst)
    return TargetReport(target, elapsed, outcome, tuple(saved), log)


def campaign(
    fuzz_dir: Path, targets: list[str], seconds: int, jobs: int, log_dir: Path, build_first: bool
) -> list[TargetReport]:
    """Build, then fuzz every target `seconds` long, `jobs` at a time; print a line each."""
    env = libfuzzer.build_env(dict(os.environ))
    known = list_targets(fuzz_dir)
    unknown = sorted(set(targets) - set(known))
    if unknown:
        raise FuzzSetupError(f"unknown fuzz target(s) {unknown}; the targets are: {known}")
    check_cargo_fuzz(env)
    if build_first:
        build(fuzz_dir, targets if len(targets) == 1 else [], env)
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"fuzzing {len(targets)} target(s), {seconds} s each, {jobs} at a time", flush=True)

    def one(target: str) -> TargetReport:
        report = run_target(fuzz_dir, target, seconds, log_dir)
        print(report.line(), flush=True)
        return report

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, targets))
