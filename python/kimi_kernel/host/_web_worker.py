"""`python -m kimi_kernel.host._web_worker <session_id>`: kimi-cli's web session worker, with the
kernel selection installed first.

`kimi-kernel web` serves kimi-cli's web UI; its runner starts one worker process per session
as `python -m kimi_cli.web.runner.worker <session_id>`, which would run the Python kernel.
Under kimi-kernel the runner starts this module instead (see `_web.py`)."""

from __future__ import annotations

import sys


def main() -> None:
    from kimi_kernel.core._select import KernelSelectionError, select_kernel
    from kimi_kernel.host._startup import mismatch_message, start
    from kimi_kernel.host.kimi_private import KimiCliMismatchError

    try:
        # --kernel of the parent is in $KIMI_KERNEL (cli.main sets it for children); the
        # worker loads the default config, as kimi-cli's worker does
        selection = select_kernel(flag=None)
    except KernelSelectionError as e:
        print(f"kimi-kernel: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        start(selection)
    except KimiCliMismatchError as e:
        print(mismatch_message(selection, e), file=sys.stderr)
        raise SystemExit(1) from None

    from kimi_cli.web.runner.worker import main as worker_main

    worker_main()


if __name__ == "__main__":
    main()
