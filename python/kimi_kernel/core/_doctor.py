"""`kimi-kernel doctor`: which kernel would run, which kagent, and does it answer initialize."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kimi_kernel.core._client import KagentClient, KagentError, handshake, init_timeout
from kimi_kernel.core._locate import KagentNotFoundError, Located, locate
from kimi_kernel.core._select import Selection, default_config_file

USAGE = (
    "usage: kimi-kernel [--kernel rust|python|auto] doctor [--json] "
    "[--config-file FILE | --config TEXT]"
)


def binary_version(path: Path) -> str | None:
    try:
        proc = subprocess.run(
            [str(path), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"error: {e}"
    out = proc.stdout.strip() or proc.stderr.strip()
    if proc.returncode != 0:
        return f"error: exit code {proc.returncode}: {out[:200]}"
    return out.splitlines()[0] if out else None


async def _try_handshake(
    path: Path, config_file: Path | None, config_string: str | None
) -> dict[str, Any]:
    from kimi_kernel import __version__

    def log(_level: str, _message: str) -> None:
        return None

    with tempfile.TemporaryDirectory(prefix="kimi-kernel-doctor-") as tmp:
        # A scratch share dir: the probe must not add a session to the user's history.
        args = [str(path), "--wire", "--work-dir", tmp]
        if config_string is not None:
            args += ["--config", config_string]
        else:
            cfg = config_file or default_config_file(os.environ)
            if cfg.exists():
                args += ["--config-file", str(cfg.absolute())]
        share = Path(tmp) / "share"
        share.mkdir()
        old = os.environ.get("KIMI_SHARE_DIR")
        os.environ["KIMI_SHARE_DIR"] = str(share)
        started = time.monotonic()
        try:
            client = await KagentClient.spawn(args, log=log, cwd=tmp)
        finally:
            if old is None:
                os.environ.pop("KIMI_SHARE_DIR", None)
            else:
                os.environ["KIMI_SHARE_DIR"] = old
        try:
            result = await handshake(
                client, version=__version__, timeout=init_timeout()
            )
        except KagentError as e:
            return {"ok": False, "error": str(e)}
        finally:
            await client.close(grace=2.0)
        return {
            "ok": True,
            "seconds": round(time.monotonic() - started, 3),
            "protocol_version": result.get("protocol_version"),
            "server": result.get("server"),
            "slash_commands": len(result.get("slash_commands") or []),
        }


def diagnose(
    sel: Selection, config_file: Path | None, config_string: str | None
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "kernel": sel.kernel,
        "reason": sel.reason,
        "reason_detail": sel.detail,
        "binary": None,
        "source": None,
        "searched": [],
        "version": None,
        "handshake": {"ok": False, "error": "not attempted"},
    }
    located: Located | None = None
    try:
        located = locate()
    except KagentNotFoundError as e:
        report["searched"] = [s.to_json() for s in e.searched]
        report["error"] = e.headline
        report["handshake"] = {"ok": False, "error": e.headline}
        return report
    report["binary"] = str(located.path)
    report["source"] = located.source
    report["searched"] = [s.to_json() for s in located.searched]
    report["version"] = binary_version(located.path)
    try:
        report["handshake"] = asyncio.run(
            _try_handshake(located.path, config_file, config_string)
        )
    except KagentError as e:
        report["handshake"] = {"ok": False, "error": str(e)}
    return report


def render_text(report: dict[str, Any]) -> str:
    why = (
        "default"
        if report["reason"] == "default"
        else f"from {report['reason']}: {report['reason_detail']}"
    )
    lines = [
        f"kernel:    {report['kernel']} ({why})",
        f"binary:    {report['binary'] or 'not found'}"
        + (f" (source: {report['source']})" if report["source"] else ""),
        "searched:",
    ]
    lines += [
        f"  [{s['source']}] {s['path']}: {s['outcome']}" for s in report["searched"]
    ]
    lines.append(f"version:   {report['version'] or 'unknown'}")
    hs = report["handshake"]
    if hs.get("ok"):
        server = hs.get("server") or {}
        lines.append(
            f"handshake: ok in {hs['seconds']}s (server {server.get('name')} "
            f"{server.get('version')}, protocol {hs.get('protocol_version')})"
        )
    else:
        lines.append(f"handshake: FAILED: {hs.get('error')}")
    if report["kernel"] == "auto" and not hs.get("ok"):
        lines.append("effect:    turns will run on the Python kernel (auto falls back)")
    elif report["kernel"] == "rust" and not hs.get("ok"):
        lines.append("effect:    kimi-kernel will refuse to start (rust is strict)")
    return "\n".join(lines)


def run_doctor(
    sel: Selection, args: list[str], config_file: Path | None, config_string: str | None
) -> int:
    as_json = False
    rest = iter(args)
    for arg in rest:
        if arg in ("--config-file", "--config"):
            next(rest, None)  # already read by the caller
        elif arg.startswith(("--config-file=", "--config=")):
            continue
        elif arg == "--json":
            as_json = True
        elif arg in ("-h", "--help"):
            print(USAGE)
            return 0
        else:
            print(
                f"kimi-kernel doctor: unknown argument {arg!r}\n{USAGE}",
                file=sys.stderr,
            )
            return 2
    report = diagnose(sel, config_file, config_string)
    print(json.dumps(report) if as_json else render_text(report))
    broken = report["kernel"] == "rust" and not report["handshake"].get("ok")
    return 1 if broken else 0
