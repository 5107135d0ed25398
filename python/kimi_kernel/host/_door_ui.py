"""kimi-cli's UI under the `kimi-kernel` command: its hints name our command, it nudges to no
other product, and the shell's welcome banner says which kernel runs the session.

* "To resume this session: kimi -r ID" becomes "... kimi-kernel -r ID" (`uv tool install
  kimi-kernel` provides no `kimi` command);
* kimi-cli's update check and its migration tips (KIMI_CLI_NO_AUTO_UPDATE, kimi-cli's own
  switch, unless the user set it), the welcome card and the goodbye that offer to install
  another product are left out;
* the banner gains a `Kernel:` line (rust: kagent and its version; python), and print mode
  with --verbose says the same on stderr.

Every kimi-cli name is reached through kimi_private (DOOR_NEEDS)."""

from __future__ import annotations

import os
from typing import Any

from kimi_kernel.host import kimi_private

COMMAND = "kimi-kernel"
_HINT = b"To resume this session: kimi -r "
_OUR_HINT = f"To resume this session: {COMMAND} -r ".encode()
NO_UPDATE_ENV = "KIMI_CLI_NO_AUTO_UPDATE"
_NUDGE_ITEM = "Update"  # the banner item kimi-cli fills with the other product's install card


def rename_hint(data: bytes) -> bytes:
    return data.replace(_HINT, _OUR_HINT)


def kernel_line(soul: Any) -> str:
    """What the banner's Kernel line says for `soul`."""
    from kimi_kernel.host._soul import WireBackedSoul

    if isinstance(soul, WireBackedSoul) and soul.kernel == "rust":
        client = soul.kagent_client
        # kagent's own identity from its initialize (`kernel`, kimi-kernel asks for it with
        # kernel_info); a kernel without it (another Wire server standing in for kagent) is
        # named by its `server`
        answered = soul._kk.launcher.server
        kernel = answered.get("kernel") or answered.get("server")
        named = (
            " ".join(str(kernel[k]) for k in ("name", "version") if kernel.get(k))
            if isinstance(kernel, dict)
            else ""
        )
        what = named or "kagent"
        return f"rust ({what}, pid {client.pid})" if client is not None else f"rust ({what})"
    return "python (kimi-cli's KimiSoul)"


def shell_welcome(soul: Any, items: list[Any]) -> list[Any]:
    from kimi_cli.ui.shell import WelcomeInfoItem

    kept = [item for item in items if _NUDGE_ITEM not in str(getattr(item, "name", ""))]
    return [*kept, WelcomeInfoItem(name="Kernel", value=kernel_line(soul))]


def goodbye(console: Any) -> None:
    console.print("Bye!")


def install_hints() -> None:
    """For every kimi-cli mode: the resume hint names kimi-kernel, no update nudges."""
    os.environ.setdefault(NO_UPDATE_ENV, "1")
    kimi_private.rewrite_original_stderr(rename_hint)


def install_shell() -> None:
    """The interactive shell: the banner names the kernel, the goodbye nudges to nothing."""
    kimi_private.edit_shell_welcome(shell_welcome)
    kimi_private.replace_shell_goodbye(goodbye)


def install_kernel_line() -> None:
    """Print mode with --verbose (which kimi-cli 1.51 accepts and ignores): one line on stderr
    naming the kernel each session runs on."""
    from kimi_kernel.host._notice import notice

    def make(original: Any) -> Any:
        async def create(session: Any, **kwargs: Any) -> Any:
            instance = await original(session, **kwargs)
            notice(f"kimi-kernel: kernel {kernel_line(instance.soul)}")
            return instance

        return create

    kimi_private.wrap_create(make)
