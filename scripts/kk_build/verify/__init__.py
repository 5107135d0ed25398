"""Checks of a built wheel and of the kagent binary inside it, one module per binary format."""

from __future__ import annotations


class CheckFailed(Exception):
    """A verification check failed; the message names the check and what was found."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"check '{check}': {detail}")
        self.check = check
