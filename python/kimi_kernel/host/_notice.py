"""Messages from the host: one-line notices on the user's terminal, and kimi-cli's log."""

from __future__ import annotations

import sys


def notice(text: str) -> None:
    """One line on the user's terminal even when kimi-cli has redirected fd 2 to its log."""
    from kimi_cli.utils.logging import open_original_stderr

    line = text.rstrip() + "\n"
    with open_original_stderr() as stream:
        if stream is not None:
            stream.write(line.encode("utf-8", errors="replace"))
            stream.flush()
            return
    sys.stderr.write(line)
    sys.stderr.flush()


def kimi_log(level: str, message: str) -> None:
    """A line in kimi-cli's log (what kagent's client and launcher report)."""
    from kimi_cli import logger

    logger.log(level, "{message}", message=message)
