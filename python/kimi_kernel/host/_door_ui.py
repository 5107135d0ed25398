"""kimi-cli's UI under the `kimi-kernel` command: its hints name our command, it nudges to no
other product, and the shell's welcome banner says which kernel runs the session.

* "To resume this session: kimi -r ID" becomes "... kimi-kernel -r ID" (`uv tool install
  kimi-kernel` provides no `kimi` command), and so do "run kimi export", the shell's
  "kimi --work-dir ... --session" hints and "run: kimi mcp auth NAME" (the shell's /mcp and
  MCP prompt line, `kimi-kernel mcp list`);
* the shell's /upgrade (it installs another product) says how to update kimi-kernel instead;
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


# kimi-cli's hints that name its command, as they appear in its texts -> ours
_STDERR_HINTS = ((_HINT, _OUR_HINT), (b"run kimi export", f"run {COMMAND} export".encode()))
_SHELL_HINTS = (
    ("[bold]kimi export[/bold]", f"[bold]{COMMAND} export[/bold]"),
    ("kimi --work-dir ", f"{COMMAND} --work-dir "),
)
_MCP_AUTH_HINT = ("run: kimi mcp auth ", f"run: {COMMAND} mcp auth ")
UPGRADE_TEXT = (
    f"/upgrade is not available under {COMMAND}: it would install another product. "
    f"{COMMAND} runs kimi-cli's UI on the kagent kernel; to update it, run "
    f"`uv tool upgrade {COMMAND}` (or `pip install -U {COMMAND}` where you installed it)."
)


def rename_hint(data: bytes) -> bytes:
    for theirs, ours in _STDERR_HINTS:
        data = data.replace(theirs, ours)
    return data


def rename_shell_hint(text: str) -> str:
    for theirs, ours in _SHELL_HINTS:
        text = text.replace(theirs, ours)
    return text


def rename_mcp_auth_hint(text: str) -> str:
    return text.replace(*_MCP_AUTH_HINT)


async def upgrade(_shell: Any, _args: str) -> None:
    from kimi_cli.ui.shell.console import console

    console.print(UPGRADE_TEXT, markup=False, highlight=False)


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
    """The interactive shell: the banner names the kernel, the goodbye and /upgrade nudge to
    nothing, its hints name our command."""
    kimi_private.edit_shell_welcome(shell_welcome)
    kimi_private.replace_shell_goodbye(goodbye)
    kimi_private.rewrite_shell_console(rename_shell_hint)
    kimi_private.rewrite_mcp_status_hints(rename_mcp_auth_hint)
    kimi_private.replace_shell_slash_command(
        "upgrade", f"How to update {COMMAND} (it installs no other product)", upgrade
    )


def install_mcp_cli() -> None:
    """`kimi-kernel mcp ...` (kimi-cli's own subcommand): its hints name our command."""
    kimi_private.rewrite_mcp_cli_output(rename_mcp_auth_hint)


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
