"""`python -m kimi_kernel.host._spec_check --agent-file FILE --work-dir DIR`: kimi-cli's
error for an agent spec that does not load, for kagent to show instead of its own.

kagent reads agent specs with Rust's YAML and template engines; kimi-cli prints PyYAML's,
Jinja2's and pydantic's texts, which only those libraries make. The profile names this
command (`agent_spec_checker`, run by the interpreter that wrote the profile) and kagent runs
it when a spec fails at start-up (kagent/src/app/spec_check.rs has the protocol): exit 0 with
kimi-cli's error on stdout, exit 3 when kimi-cli loads the spec, 2 for a usage error, 1 when
the installed kimi-cli does not fit kimi-kernel's adapter."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

LOADS = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kimi_kernel.host._spec_check")
    parser.add_argument("--agent-file", type=Path, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    args = parser.parse_args(argv)

    from kimi_kernel.core._cachedir import cache_dir
    from kimi_kernel.host import kimi_private

    problems = kimi_private.verify_once(cache_dir())
    if problems:
        print(f"the installed kimi-cli does not fit: {'; '.join(problems)}", file=sys.stderr)
        return 1
    error = kimi_private.agent_spec_error(args.agent_file, args.work_dir)
    if error is None:
        return LOADS
    print(error)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
