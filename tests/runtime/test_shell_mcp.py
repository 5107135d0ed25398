"""`/mcp` in the interactive shell with an MCP server configured (issue 16): under
kimi-kernel the servers run in kagent, and the shell shows them as kimi-cli's own shell does
— the same block of servers and tools, read off both screens."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

from runtime._kk import Sandbox, kimi_exe, kk_argv, make_sandbox, require_installed
from runtime._pty import Pty
from runtime.test_mcp_on_kagent import mcp_config

require_installed()

CONNECTED = r"MCP Servers: 1/1 connected, \d+ tools"
UNAUTHORIZED = r"MCP Servers: 0/1 connected, 0 tools"
INPUT_BOX = "── input ─"


def mcp_block(screen: str, header: str = "MCP Servers: 1/1 connected") -> list[str]:
    """The lines of the last `/mcp` output once every server connected (while servers connect
    the shell redraws it): its header up to the next input box, without blank lines."""
    start = screen.rindex(header)
    end = screen.index(INPUT_BOX, start)
    lines = [line.rstrip() for line in screen[start:end].replace("\r", "").split("\n")]
    return [line for line in lines if line.strip()]


def shell_mcp(
    argv: list[str], env: dict[str, str], cwd: Path, shown: str = CONNECTED + r"[\s\S]*" + INPUT_BOX
) -> tuple[list[str], str]:
    """`/mcp` typed into the shell: the MCP block once `shown` is on screen, and the screen."""
    term = Pty(argv, env, cwd)
    try:
        term.expect(r"Session")
        time.sleep(2)  # let prompt_toolkit take the terminal
        at = len(term.screen())
        term.type("/mcp")
        at = term.expect(shown, since=at, timeout=120)
        settled = shown.startswith((CONNECTED, UNAUTHORIZED))
        header = "MCP Servers: 0/1" if shown.startswith(UNAUTHORIZED) else "MCP Servers: 1/1 connected"
        block = mcp_block(term.screen(), header) if settled else []
        # keys typed before the next input box is drawn are lost (the tty echoes them)
        if not settled:
            term.expect(INPUT_BOX, since=at)
        time.sleep(1)
        term.type("/exit")
        assert term.wait_exit(120) == 0, term.screen()[-2000:]
        return block, term.screen()
    finally:
        term.close()


def both_kernels(tmp_path: Path, *extra: str) -> Iterator[tuple[str, Sandbox, list[str], dict[str, str]]]:
    """For `kimi-kernel --kernel rust` and then kimi's own `kimi`: a sandbox of its own, the
    shell's command line (with `extra` options) and its environment (a 120x40 xterm)."""
    for kernel in ("kimi-kernel", "kimi"):
        sb = make_sandbox(tmp_path / kernel, ["text: unused"])
        args = ("--config-file", str(sb.config), "--work-dir", str(sb.work), *extra)
        argv = kk_argv("--kernel", "rust", *args) if kernel == "kimi-kernel" else [str(kimi_exe()), *args]
        yield kernel, sb, argv, sb.env(TERM="xterm-256color", COLUMNS="120", LINES="40")


def test_slash_mcp_shows_kagents_servers_as_kimi_shows_its_own(tmp_path: Path) -> None:
    conf = mcp_config(tmp_path)
    blocks: dict[str, list[str]] = {}
    server_log_shown: dict[str, bool] = {}
    for kernel, sb, argv, env in both_kernels(tmp_path, "--mcp-config-file", str(conf)):
        blocks[kernel], screen = shell_mcp(argv, env, tmp_path)
        # the server's own log lines (fastmcp writes them to its stderr)
        server_log_shown[kernel] = "Starting MCP server" in screen
        if kernel == "kimi-kernel":
            kagent_log = (sb.share / "logs" / "kagent.log").read_text(encoding="utf-8")
            assert "Connected MCP server: kk" in kagent_log
            assert "MCP server kk stderr: " in kagent_log and "Starting MCP server" in kagent_log
            assert "Connected MCP server" not in sb.log(), "kimi-cli's soul started the server too"
    assert blocks["kimi-kernel"] == blocks["kimi"], blocks
    # kimi-cli lets a stdio server's stderr through onto the shell's screen; kagent keeps it in
    # its log (kagent/README.md, deviations)
    assert server_log_shown == {"kimi-kernel": False, "kimi": True}, server_log_shown
    tools = [re.sub(r"^\W+", "", line) for line in blocks["kimi"][2:]]
    assert tools[0] == "kk_echo" and "kk_pid" in tools, blocks["kimi"]
    assert blocks["kimi"][0].endswith(f"connected, {len(tools)} tools"), blocks["kimi"]


def test_slash_mcp_without_servers_says_what_kimi_says(tmp_path: Path) -> None:
    said = {}
    for kernel, _sb, argv, env in both_kernels(tmp_path):
        # the line after the command's echo and completion menu: the answer
        _, screen = shell_mcp(argv, env, tmp_path, shown=r"No MCP[^\n]*\n")
        said[kernel] = re.findall(r"No MCP[^\n]*", screen)[-1].rstrip()
    assert said["kimi-kernel"] == said["kimi"], said


def test_slash_mcp_names_kimi_kernels_mcp_auth_for_a_server_without_a_token(tmp_path: Path) -> None:
    """An OAuth server nobody signed in to: kimi's shell says `run: kimi mcp auth NAME`, ours
    names the command the user has (`uv tool install kimi-kernel` gives no `kimi`)."""
    conf = tmp_path / "oauth.json"
    conf.write_text('{"mcpServers": {"remote": {"url": "http://127.0.0.1:9/mcp", "auth": "oauth"}}}')
    blocks: dict[str, list[str]] = {}
    screens: dict[str, str] = {}
    for kernel, _sb, argv, env in both_kernels(tmp_path, "--mcp-config-file", str(conf)):
        shown = UNAUTHORIZED + r"[\s\S]*" + INPUT_BOX
        blocks[kernel], screens[kernel] = shell_mcp(argv, env, tmp_path, shown=shown)
    assert any("(unauthorized - run: kimi mcp auth remote)" in line for line in blocks["kimi"]), blocks
    ours = [line.replace("kimi-kernel mcp auth", "kimi mcp auth") for line in blocks["kimi-kernel"]]
    assert ours == blocks["kimi"], blocks
    assert any("run: kimi-kernel mcp auth remote" in line for line in blocks["kimi-kernel"]), blocks
    assert "run: kimi mcp auth" not in screens["kimi-kernel"], screens["kimi-kernel"][-2000:]
