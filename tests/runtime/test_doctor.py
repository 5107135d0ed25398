"""`kimi-kernel doctor [--json]` and the `kimi-kernel` console script itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from runtime._kk import (
    BIN_DIR,
    Missing,
    kagent_bin,
    make_sandbox,
    oracle_kagent,
    require_installed,
)

require_installed()

KEYS = {"kernel", "reason", "binary", "source", "searched", "version", "handshake"}


def kimi_kernel_script() -> Path:
    script = BIN_DIR / "kimi-kernel"
    if not script.exists():
        raise Missing(
            f"the kimi-kernel console script is not in {BIN_DIR}: reinstall the wheel"
        )
    return script


def doctor(
    *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(kimi_kernel_script()), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_doctor_json_with_env_binary(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [])
    fake = oracle_kagent(tmp_path / "bin")
    env = sb.env(KIMI_KERNEL_BIN=str(fake), KIMI_KERNEL="python")
    proc = doctor(
        "doctor", "--json", "--config-file", str(sb.config), env=env, cwd=tmp_path
    )
    assert proc.returncode == 0, proc
    report = json.loads(proc.stdout)
    assert set(report) >= KEYS, report
    assert (report["kernel"], report["reason"]) == ("python", "env")
    assert (report["binary"], report["source"]) == (str(fake), "env")
    assert report["searched"] == [
        {"source": "env", "path": str(fake), "outcome": "found"}
    ]
    assert report["version"] == "kimi, version 1.51.0"
    assert report["handshake"]["ok"] is True, report["handshake"]
    assert report["handshake"]["protocol_version"] == "1.10"
    assert not (sb.share / "sessions").exists(), "doctor must not create sessions"


def test_doctor_text_reports_a_strict_failure(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [])
    missing = tmp_path / "missing-kagent"
    env = sb.env(KIMI_KERNEL_BIN=str(missing))
    proc = doctor("--kernel", "rust", "doctor", env=env, cwd=tmp_path)
    assert proc.returncode == 1, proc
    assert proc.stdout.splitlines() == [
        "kernel:    rust (from flag: --kernel)",
        "binary:    not found",
        "searched:",
        f"  [env] {missing}: no such file",
        "version:   unknown",
        (
            f"handshake: FAILED: KIMI_KERNEL_BIN={missing}: no such file. Point "
            "KIMI_KERNEL_BIN at a kagent executable built for this machine, or unset it."
        ),
        "effect:    kimi-kernel will refuse to start (rust is strict)",
        "versions:  kimi-kernel 0.1.0, kagent unknown, kimi-cli 1.51.0, "
        f"Python {sys.version.split()[0]}",
        f"PROBLEM:   no model is configured ({sb.share / 'config.toml'} does not exist); fix: "
        "run `kimi-kernel` and send /login, or write default_model and [models] into that file",
        "next run:  none: kimi-kernel refuses to start (rust is strict and kagent cannot run)",
    ]


def test_doctor_config_selection(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [])
    sb.config.write_text(sb.config.read_text() + '\n[runtime]\nkernel = "python"\n')
    env = sb.env(KIMI_KERNEL_BIN=str(tmp_path / "none"))
    proc = doctor(
        "doctor", "--json", "--config-file", str(sb.config), env=env, cwd=tmp_path
    )
    report = json.loads(proc.stdout)
    assert (report["kernel"], report["reason"]) == ("python", "config")
    assert report["reason_detail"] == f"[runtime] kernel in {sb.config}"
    assert proc.returncode == 0


def test_console_script_keeps_kimi_cli_commands(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [])
    env = sb.env(COLUMNS="200")
    version = doctor("--version", env=env, cwd=tmp_path)
    assert version.returncode == 0, version
    ours, kagent, kimi_cli = version.stdout.strip().splitlines()
    assert ours.startswith("kimi-kernel 0.") and kimi_cli == "kimi-cli 1.51.0", version.stdout
    assert kagent.startswith("kagent 0.") and kagent.endswith(f"({BIN_DIR / 'kagent'})"), kagent
    # answered from package metadata and `kagent --version`: kimi-cli is not imported
    traced = doctor("--version", env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, cwd=tmp_path)
    assert "kimi_cli" not in traced.stderr and "kimi_kernel.cli" in traced.stderr, traced.stderr[-2000:]
    for kernel in ("python", "rust"):
        helped = doctor(
            "--kernel", kernel, "--help", env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, cwd=tmp_path
        )
        assert helped.returncode == 0, helped
        assert "--kernel [rust|python|auto]" in helped.stdout
        assert "--print" in helped.stdout and "--wire" in helped.stdout
        # kimi-cli's command line only: neither its agent stack nor kimi-kernel's hook
        for module in ("kimi_cli.app", "kimi_cli.soul", "kimi_kernel.host"):
            assert f" {module}\n" not in helped.stderr, (kernel, module)
    info = doctor("info", env=env, cwd=tmp_path)
    assert info.returncode == 0, info
    assert "1.51.0" in info.stdout


def test_doctor_predicts_the_next_run(tmp_path: Path) -> None:
    """After global options; the four versions; one line on the kernel of the next run; a
    failure with the fix for no model, an unusable share dir, a session refused under rust."""
    sb = make_sandbox(tmp_path, [])
    env = sb.env(KIMI_KERNEL_BIN=str(kagent_bin()))

    def run(*args: str, **extra: str) -> tuple[int, dict[str, object], str]:
        proc = doctor(*args, "doctor", "--json", env={**env, **extra}, cwd=tmp_path)
        return proc.returncode, json.loads(proc.stdout), ""

    code, report, _ = run("--kernel", "rust", "--config-file", str(sb.config))
    text = doctor("--kernel", "rust", "--config-file", str(sb.config), "doctor", env=env, cwd=tmp_path).stdout
    assert code == 0 and report["problems"] == [], report
    assert report["next_run"] == "rust (kagent 0.1.0)", report
    versions = report["versions"]
    assert isinstance(versions, dict) and set(versions) == {"kimi-kernel", "kagent", "kimi-cli", "python"}
    assert versions["kimi-cli"] == "1.51.0", versions
    assert "next run:  rust (kagent 0.1.0)" in text and "versions:  kimi-kernel " in text, text

    no_model = tmp_path / "no-model.toml"
    no_model.write_text("telemetry = false\n", encoding="utf-8")
    code, report, _ = run("--config-file", str(no_model))
    assert code == 1, report
    assert any("no model is configured" in str(p) and "fix:" in str(p) for p in report["problems"]), report  # type: ignore[attr-defined]

    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    code, report, _ = run("--config-file", str(sb.config), KIMI_SHARE_DIR=str(blocker / "share"))
    assert code == 1, report
    assert any("share dir" in str(p) and "fix:" in str(p) for p in report["problems"]), report  # type: ignore[attr-defined]

    # MCP servers run on kagent, SSE ones too
    for server in ('{"command": "true"}', '{"url": "http://127.0.0.1:9/sse"}'):
        (sb.share / "mcp.json").write_text(f'{{"mcpServers": {{"x": {server}}}}}', encoding="utf-8")
        code, report, _ = run("--kernel", "rust", "--config-file", str(sb.config))
        assert code == 0 and report["next_run"] == "rust (kagent 0.1.0)", (server, report)
