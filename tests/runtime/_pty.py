"""A program in a pseudo-terminal (kimi-cli's interactive shell, kimi-kernel's), read as a
screen of text without terminal escapes, typed into as a user types."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

ANSI = re.compile(
    rb"\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]"
)


class Pty:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.raw = b""

    def screen(self) -> str:
        return ANSI.sub(b"", self.raw).decode(errors="replace")

    def expect(self, pattern: str, timeout: float = 240.0, since: int = 0) -> int:
        """Wait for `pattern` in the output after offset `since`; return the new offset."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.raw += os.read(self.master, 65536)
                except OSError:
                    break
            found = re.search(pattern, self.screen()[since:])
            if found:
                return since + found.end()
        raise AssertionError(
            f"no {pattern!r} on screen; it shows:\n{self.screen()[-3000:]}"
        )

    def wait_exit(self, timeout: float) -> int | None:
        """Keep reading (the pty must not fill up) until the process exits."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.raw += os.read(self.master, 65536)
                except OSError:
                    time.sleep(0.2)
        return self.proc.poll()

    def type(self, text: str, attempts: int = 3) -> None:
        """Type `text`, wait until the input box shows it, then press Enter.

        Keys typed while kimi-cli's shell is between two prompts (right after a slash
        command's output) are dropped by it: what never shows up is typed again."""
        for attempt in range(attempts):
            since = len(self.screen())
            os.write(self.master, text.encode())
            try:
                self.expect(re.escape(text), timeout=20, since=since)
                break
            except AssertionError:
                if attempt == attempts - 1:
                    raise
        time.sleep(0.3)
        os.write(self.master, b"\r")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
