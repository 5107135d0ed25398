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


def versions() -> dict[str, str]:
    """kimi-kernel, kimi-cli and Python (kagent's is the report's `version`)."""
    from kimi_kernel.core._door import _dist_version

    return {
        "kimi-kernel": _dist_version("kimi-kernel"),
        "kimi-cli": _dist_version("kimi-cli"),
        "python": sys.version.split()[0],
    }


def share_dir() -> Path:
    raw = os.environ.get("KIMI_SHARE_DIR")
    return Path(raw) if raw else Path.home() / ".kimi"


def share_problem(share: Path) -> str | None:
    """Why sessions and logs cannot be written under `share`, with the fix, or None."""
    existing = share
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        return f"the share dir {share} is not a directory ({existing} is a file); fix: remove it"
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "" if existing == share else f" (it would be created in {existing})"
        return (
            f"the share dir {share} is not writable{where}; fix: make it writable "
            f"(chmod u+w {existing}) or set KIMI_SHARE_DIR to a writable directory"
        )
    return None


def model_problem(config_file: Path | None, config_string: str | None) -> str | None:
    """Why no model would answer (the config names none), with the fix, or None."""
    from kimi_kernel.core._select import _parse_config_text

    where = "--config"
    if config_string is not None:
        text = config_string
    else:
        path = config_file or default_config_file(os.environ)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return (
                f"no model is configured ({path} does not exist); fix: run `kimi-kernel` and "
                "send /login, or write default_model and [models] into that file"
            )
        except OSError as e:
            return f"the config {path} cannot be read ({e.strerror}); fix its permissions"
    try:
        data = _parse_config_text(text, json_first=where.endswith(".json") or where == "--config")
    except ValueError as e:
        return f"the config in {where} is not valid TOML/JSON ({e}); fix the file"
    default = data.get("default_model")
    raw_models = data.get("models")
    models: dict[str, Any] = raw_models if isinstance(raw_models, dict) else {}
    if not default:
        return (
            f"no model is configured (no default_model in {where}); fix: run `kimi-kernel` "
            "and send /login, or set default_model to one of [models]"
        )
    if default not in models:
        return (
            f"default_model {default!r} in {where} is not in [models]; fix: add "
            f"[models.{default}] or set default_model to one of: {', '.join(sorted(models)) or 'none'}"
        )
    return None


def session_refusal(config_file: Path | None, config_string: str | None) -> str | None:
    """What in the configured session kagent does not run (kimi-kernel's hook then refuses it
    under rust and runs it on the Python kernel under auto), or None: agent specs, Ralph mode
    and MCP servers (stdio, streamable HTTP, SSE) run on kagent; only a global mcp.json that
    cannot be read is named."""
    from kimi_kernel.core._door import _read_table

    mcp_file = share_dir() / "mcp.json"
    if _read_table(mcp_file, only_if="mcpServers") is None:
        return f"the MCP config {mcp_file}, which is not readable"
    return None


def assess(report: dict[str, Any], config_file: Path | None, config_string: str | None) -> None:
    """Add the problems a run would hit (each with its fix) and the one-line prediction."""
    problems = [
        p
        for p in (share_problem(share_dir()), model_problem(config_file, config_string))
        if p is not None
    ]
    refused = session_refusal(config_file, config_string)
    kernel, ok = report["kernel"], report["handshake"].get("ok")
    if kernel == "python":
        next_run = "python (kimi-cli's KimiSoul)"
    elif not ok:
        next_run = (
            "none: kimi-kernel refuses to start (rust is strict and kagent cannot run)"
            if kernel == "rust"
            else "python (auto falls back: kagent cannot run)"
        )
    elif refused is not None:
        next_run = (
            f"none: the session is refused under rust (kagent does not run {refused})"
            if kernel == "rust"
            else f"python (auto: kagent does not run {refused})"
        )
        if kernel == "rust":
            problems.append(
                f"a session would be refused under rust: kagent does not run {refused}; fix: "
                "remove it from the config, or use --kernel auto or python"
            )
    else:
        # kagent's own version (`initialize`'s server is kimi-cli's identity)
        next_run = f"rust (kagent {str(report['version'] or 'unknown').removeprefix('kagent ')})"
    if problems and not next_run.startswith("none"):
        next_run += "; it fails until the PROBLEM lines are fixed"
    kagent = str(report["version"] or "unknown").removeprefix("kagent ")
    report["versions"] = {**versions(), "kagent": kagent}
    report["problems"] = problems
    report["next_run"] = next_run


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
    v = report.get("versions") or {}
    if v:
        lines.append(
            f"versions:  kimi-kernel {v.get('kimi-kernel')}, kagent {v.get('kagent') or 'unknown'}, "
            f"kimi-cli {v.get('kimi-cli')}, Python {v.get('python')}"
        )
    lines += [f"PROBLEM:   {p}" for p in report.get("problems") or ()]
    if report.get("next_run"):
        lines.append(f"next run:  {report['next_run']}")
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
    assess(report, config_file, config_string)
    print(json.dumps(report) if as_json else render_text(report))
    broken = report["kernel"] == "rust" and not report["handshake"].get("ok")
    return 1 if broken or report["problems"] else 0
