"""cargo fmt --check, cargo clippy -D warnings and cargo test for kagent/."""

from __future__ import annotations

import os

from kk_common.matrix import REPO_ROOT

from kk_build import toolchain
from kk_build.build import BUILD_DIR, LOG_DIR
from kk_build.progress import StageError, run_steps

MANIFEST = REPO_ROOT / "kagent" / "Cargo.toml"


def run_all() -> list[StageError]:
    """Run every check even after one fails (CI learns more per run); return the failures."""
    host = toolchain.choose(toolchain.host_triple())
    env = {k: v for k, v in os.environ.items() if k not in ("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS")}
    env["PATH"] = os.pathsep.join([str(host.rustc.bin_dir), env.get("PATH", "")])
    env["RUSTC"] = str(host.rustc.rustc)
    env["CARGO_TARGET_DIR"] = str(BUILD_DIR / "target-check")
    env["CARGO_TERM_COLOR"] = "never"
    cargo = str(host.rustc.cargo)
    manifest = ["--manifest-path", str(MANIFEST)]
    steps = {
        "cargo fmt --check": [cargo, "fmt", *manifest, "--all", "--check"],
        "cargo clippy -D warnings": [cargo, "clippy", *manifest, "--workspace", "--all-targets",
                                     "--", "-D", "warnings"],
        "cargo test": [cargo, "test", *manifest, "--workspace"],
    }
    outputs, failures = run_steps(
        "kagent", steps, env=env, cwd=REPO_ROOT, log=lambda name: LOG_DIR / f"kagent-{name.split()[1]}.log"
    )
    for line in outputs.get("cargo test", "").splitlines():
        if line.startswith("test result:"):
            print(f"[kagent] {line}", flush=True)
    return failures
