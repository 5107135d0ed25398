"""Every way kagent can be broken, each with the exact message the user sees."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from pathlib import Path

import pytest

from runtime import fakes
from runtime._kk import (
    HELLO,
    assert_gone,
    kagent_bin,
    kk_argv,
    make_sandbox,
    process_state,
    require_installed,
    run_kk,
    wait_for,
    write_exe,
)

require_installed()

from kimi_kernel.core._binfmt import host_arch  # noqa: E402
from kimi_kernel.core._client import (  # noqa: E402
    KagentClient,
    KagentError,
    KagentExited,
    handshake,
    probe,
)

PY_ANSWER = "Hello from the kernel"


def _spawn_and_handshake(
    exe: Path, timeout: float = 20.0
) -> tuple[str, list[str], int]:
    """Start `exe --wire`, try initialize; return (error text, log lines, pid)."""
    logs: list[str] = []

    async def go() -> tuple[str, int]:
        client = await KagentClient.spawn(
            [str(exe), "--wire"], log=lambda lvl, msg: logs.append(f"{lvl} {msg}")
        )
        try:
            await handshake(client, version="test", timeout=timeout)
        except KagentError as e:
            return f"{type(e).__name__}: {e}", client.pid
        finally:
            await client.close(grace=1.0)
            assert client.proc.returncode is not None
        return "no error", client.pid

    err, pid = asyncio.run(go())
    return err, logs, pid


def test_exits_at_startup(tmp_path: Path) -> None:
    err, _logs, pid = _spawn_and_handshake(fakes.exits_at_startup(tmp_path))
    assert err == (
        f"KagentExited: kagent closed stdout: (pid {pid}) exited with code 3; "
        "stderr: boom: cannot start"
    )


def test_prints_non_json(tmp_path: Path) -> None:
    err, logs, pid = _spawn_and_handshake(fakes.prints_non_json(tmp_path))
    assert (
        err == "KagentProtocolError: kagent printed non-JSON on stdout: 'hello world'"
    )
    assert "ERROR kagent printed non-JSON on stdout: 'hello world'" in logs
    assert_gone(pid)


def test_never_answers_initialize(tmp_path: Path) -> None:
    err, _logs, pid = _spawn_and_handshake(fakes.never_answers(tmp_path), timeout=1.0)
    assert err == (
        "KagentError: kagent did not answer initialize within 1s "
        "(set KIMI_KERNEL_INIT_TIMEOUT to wait longer)"
    )
    assert_gone(pid)


def test_probe_without_initialize(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under kimi-cli's Wire server kagent is not initialized at start (its client's own
    initialize is forwarded later): the start-up check is a request kagent must answer."""

    monkeypatch.setenv(
        "KIMI_SHARE_DIR", str(tmp_path / "share")
    )  # its session goes there
    work = tmp_path / "work"
    work.mkdir()

    async def go(exe: Path, timeout: float) -> str:
        client = await KagentClient.spawn(
            [str(exe), "--wire", "--work-dir", str(work)], log=lambda *_: None
        )
        try:
            await probe(client, timeout=timeout)
        except KagentError as e:
            return f"{type(e).__name__}: {e}"
        finally:
            await client.close(grace=1.0)
        return "answered"

    assert asyncio.run(go(kagent_bin(), 30.0)) == "answered"
    assert asyncio.run(go(fakes.never_answers(tmp_path), 1.0)) == (
        "KagentError: kagent did not answer a request within 1s "
        "(set KIMI_KERNEL_INIT_TIMEOUT to wait longer)"
    )


def test_dies_mid_turn_and_unknown_response_id_at_client_level(tmp_path: Path) -> None:
    logs: list[str] = []

    async def go() -> None:
        for exe, expect in (
            (fakes.dies_mid_turn(tmp_path / "a"), KagentExited),
            (fakes.unknown_response_id(tmp_path / "b"), None),
        ):
            client = await KagentClient.spawn(
                [str(exe)], log=lambda lvl, msg: logs.append(f"{lvl} {msg}")
            )
            events: list[dict[str, object]] = []
            client.on_event = events.append
            await handshake(client, version="test", timeout=20)
            if expect is None:
                result = await client.request("prompt", {"user_input": "hi"})
                assert result == {"status": "finished"}
                assert len(events) == 4
            else:
                with pytest.raises(KagentExited) as info:
                    await client.request("prompt", {"user_input": "hi"})
                assert str(info.value) == (
                    f"kagent closed stdout: (pid {client.pid}) exited with code 7; "
                    "stderr: fake kagent: crashing now"
                )
                with pytest.raises(KagentExited):  # and every later call says so too
                    await client.request("cancel", {})
            await client.close(grace=1.0)

    asyncio.run(go())
    assert (
        "ERROR kagent sent a response to unknown request id 'no-such-id'; ignoring it"
        in logs
    )


# ---- through the real kimi-cli command line -------------------------------------------------


def test_missing_under_rust_is_a_clear_error_and_nonzero_exit(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [HELLO])
    missing = tmp_path / "nowhere" / "kagent"
    proc = run_kk(
        sb,
        "--kernel",
        "rust",
        "--print",
        "-p",
        "hi",
        env=sb.env(KIMI_KERNEL_BIN=str(missing)),
    )
    assert proc.returncode == 1, proc
    assert (
        "kimi-kernel: the rust kernel was requested (--kernel) but kagent cannot run this session: "
        f"KIMI_KERNEL_BIN={missing}: no such file. Point KIMI_KERNEL_BIN at a kagent "
        "executable built for this machine, or unset it."
    ) in proc.stderr
    assert (
        "Use --kernel python or --kernel auto to run on the Python kernel."
        in proc.stderr
    )
    # kimi-cli's hint names our command (`kimi` is not what the user installed)
    assert "or run kimi-kernel export to share diagnostics." in proc.stderr, proc.stderr
    assert "run kimi export" not in proc.stderr
    assert PY_ANSWER not in proc.stdout


def test_wrong_architecture_under_auto_falls_back_with_one_line(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [HELLO])
    elf = tmp_path / "kagent"
    machine = (
        b"\x3e\x00" if host_arch() == "aarch64" else b"\xb7\x00"
    )  # x86_64 / aarch64
    elf.write_bytes(
        b"\x7fELF\x02\x01" + b"\0" * 10 + b"\x02\x00" + machine + b"\0" * 44
    )
    elf.chmod(0o755)
    proc = run_kk(sb, "--print", "-p", "hi", env=sb.env(KIMI_KERNEL_BIN=str(elf)))
    assert proc.returncode == 0, proc
    notices = [
        line for line in proc.stderr.splitlines() if line.startswith("kimi-kernel:")
    ]
    assert len(notices) == 1, proc.stderr
    assert re.fullmatch(
        rf"kimi-kernel: kagent unavailable \(KIMI_KERNEL_BIN={re.escape(str(elf))}: wrong "
        r"architecture: built for \w+ \(ELF\), but this machine is \w+ \(ELF\)\. Point "
        r"KIMI_KERNEL_BIN at a kagent executable built for this machine, or unset it\.\); "
        r"using the Python kernel\.",
        notices[0],
    ), notices[0]
    assert PY_ANSWER in proc.stdout


def test_never_answers_initialize_times_out_then_auto_falls_back(
    tmp_path: Path,
) -> None:
    sb = make_sandbox(tmp_path, [HELLO])
    exe = fakes.never_answers(tmp_path / "bin")
    env = sb.env(KIMI_KERNEL_BIN=str(exe), KIMI_KERNEL_INIT_TIMEOUT="2")
    proc = run_kk(sb, "--kernel", "auto", "--print", "-p", "hi", env=env)
    assert proc.returncode == 0, proc
    assert (
        "kimi-kernel: kagent unavailable (kagent did not answer initialize within 2s "
        "(set KIMI_KERNEL_INIT_TIMEOUT to wait longer)); using the Python kernel."
    ) in proc.stderr.splitlines()
    assert PY_ANSWER in proc.stdout
    [pid] = sb.kagent_pids()
    assert_gone(pid)


def test_dies_mid_turn_under_rust_fails_the_run(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [HELLO])
    env = sb.env(KIMI_KERNEL_BIN=str(fakes.dies_mid_turn(tmp_path / "bin")))
    proc = run_kk(sb, "--kernel", "rust", "--print", "-p", "hi", env=env)
    [pid] = sb.kagent_pids()
    assert proc.returncode == 1, proc
    flat = " ".join((proc.stdout + proc.stderr).split())
    assert (
        f"kagent failed during this turn: kagent closed stdout: (pid {pid}) exited with code 7; "
        "stderr: fake kagent: crashing now. The kernel is 'rust' (strict), so there is no "
        "fallback; fix kagent or run with --kernel python or auto."
    ) in flat, flat
    assert PY_ANSWER not in proc.stdout
    assert process_state(pid) is None


def test_response_to_unknown_request_id_is_logged_and_ignored(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [HELLO])
    env = sb.env(KIMI_KERNEL_BIN=str(fakes.unknown_response_id(tmp_path / "bin")))
    proc = run_kk(sb, "--kernel", "rust", "--print", "-p", "hi", env=env)
    assert proc.returncode == 0, proc
    assert "still answering" in proc.stdout
    assert (
        "kagent sent a response to unknown request id 'no-such-id'; ignoring it"
        in sb.log()
    )


def test_kagent_stderr_goes_to_kimi_clis_log_not_the_terminal(tmp_path: Path) -> None:
    """Whatever kagent writes on stderr (warnings, a panic message) is kept in kimi-cli's log
    line by line; the user's terminal sees only the answer."""
    real = kagent_bin()
    sb = make_sandbox(tmp_path, [HELLO])
    (tmp_path / "bin").mkdir()
    noisy = write_exe(
        tmp_path / "bin" / "kagent",
        f'#!/bin/sh\necho "kk-marker: first line" >&2\necho "kk-marker: second" >&2\n'
        f'exec "{real}" "$@"\n',
    )
    env = sb.env(KIMI_KERNEL_BIN=str(noisy))
    proc = run_kk(sb, "--kernel", "rust", "--print", "-p", "hi", env=env)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert PY_ANSWER in proc.stdout
    log = sb.log()
    assert "kagent stderr: kk-marker: first line" in log, log[-3000:]
    assert "kagent stderr: kk-marker: second" in log, log[-3000:]
    assert "kk-marker" not in proc.stdout + proc.stderr


GEMINI_CONFIG = (
    '{"default_model": "g", "models": {"g": {"provider": "p", "model": "x", '
    '"max_context_size": 1000}}, "providers": {"p": {"type": "gemini", "base_url": "", '
    '"api_key": "k"}}}'
)


@pytest.mark.parametrize("wait_first", [0.0, 0.5])
def test_start_failure_always_names_kagents_own_reason(tmp_path: Path, wait_first: float) -> None:
    """kagent refusing its config exits at once; whether the `initialize` is written before or
    after its stdin pipe closed (0.5 s later: always after), the error is kagent's reason."""
    share = tmp_path / "share"
    share.mkdir()

    async def go() -> str:
        client = await KagentClient.spawn(
            ["env", f"KIMI_SHARE_DIR={share}", str(kagent_bin()), "--wire", "--config", GEMINI_CONFIG],
            log=lambda _lvl, _msg: None,
        )
        try:
            await asyncio.sleep(wait_first)
            await handshake(client, version="test", timeout=20)
        except KagentError as e:
            return str(e)
        finally:
            await client.close(grace=1.0)
        return "no error"

    for _ in range(3):
        err = asyncio.run(go())
        assert "exited with code 1" in err, err
        assert "Unsupported provider type `gemini`: kagent supports" in err, err
        assert "stdin is closed" not in err, err


# ---- issue 19: a stuck kagent never hangs its caller; its stderr is copied within bounds ----


def test_a_kagent_silent_after_initialize_is_detected_and_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kimi_kernel.core import _client

    monkeypatch.setenv("KIMI_KERNEL_WATCHDOG", "1")
    monkeypatch.setattr(_client, "PROBE_GRACE", 1.0)
    logs: list[str] = []

    async def go() -> tuple[str, int, float]:
        exe = fakes.goes_silent_after_initialize(tmp_path)
        client = await KagentClient.spawn([str(exe)], log=lambda lvl, m: logs.append(f"{lvl} {m}"))
        await handshake(client, version="test", timeout=20)
        started = asyncio.get_running_loop().time()
        with pytest.raises(KagentError) as info:
            await client.request("prompt", {"user_input": "hi"})
        took = asyncio.get_running_loop().time() - started
        await client.close(grace=1.0)
        return str(info.value), client.pid, took

    err, pid, took = asyncio.run(go())
    assert re.fullmatch(
        rf"kagent \(pid {pid}\) stopped answering: silent for \ds while a request waited, and "
        r"no answer to a liveness probe within 1s; it was stopped\. Its own log is "
        r"<share>/logs/kagent\.log; set KIMI_KERNEL_WATCHDOG to wait longer \(seconds, 0 turns "
        r"the watchdog off\)\.",
        err,
    ), err
    assert took < 10, took
    assert f"ERROR {err}" in logs
    assert_gone(pid)


def test_a_kagent_that_closes_stdout_but_stays_alive_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kimi_kernel.core import _client

    monkeypatch.setattr(_client, "PROBE_GRACE", 1.0)

    async def go() -> tuple[str, int]:
        exe = fakes.closes_stdout_and_stays(tmp_path)
        client = await KagentClient.spawn([str(exe)], log=lambda lvl, m: None)
        await handshake(client, version="test", timeout=20)
        with pytest.raises(KagentExited) as info:
            await asyncio.wait_for(client.request("prompt", {"user_input": "hi"}), 20)
        await client.close(grace=1.0)
        return str(info.value), client.pid

    err, pid = asyncio.run(go())
    assert err == f"kagent (pid {pid}) closed its stdout but kept running for 1s; it was stopped"
    assert_gone(pid)


def test_kagent_stderr_is_copied_into_the_log_only_up_to_a_budget(tmp_path: Path) -> None:
    from kimi_kernel.core._client import STDERR_LOG_BUDGET

    logs: list[str] = []

    async def go() -> None:
        exe = fakes.floods_stderr(tmp_path, mib=20)
        client = await KagentClient.spawn([str(exe)], log=lambda lvl, m: logs.append(f"{lvl} {m}"))
        await handshake(client, version="test", timeout=60)
        # still served: the flood did not block it (stderr is drained) nor the log
        assert await client.request("prompt", {"user_input": "hi"}) == {"status": "finished"}
        await client.close(grace=1.0)

    asyncio.run(go())
    logged = sum(len(line) for line in logs if line.startswith("INFO kagent stderr: "))
    assert STDERR_LOG_BUDGET // 2 < logged < STDERR_LOG_BUDGET * 1.1, logged
    assert any("bytes logged; the rest is not copied here" in line for line in logs)
    assert any(re.search(r"kagent stderr: \d+ more bytes were not logged", line) for line in logs)


def test_ctrl_c_on_a_stuck_kagent_ends_the_run_soon_and_says_why(tmp_path: Path) -> None:
    """Ctrl-C while kagent never answers again (the watchdog off): the cancel gets one bounded
    wait, then kagent is stopped with a line on the terminal, and the run ends."""
    import signal

    from kimi_kernel.host._turn import CANCEL_GRACE

    sb = make_sandbox(tmp_path, [HELLO])
    exe = fakes.goes_silent_after_initialize(tmp_path / "fake")
    env = sb.env(KIMI_KERNEL_BIN=str(exe), KIMI_KERNEL_WATCHDOG="0")
    proc = subprocess.Popen(
        kk_argv("--kernel", "rust", "--print", "-p", "hi", "--config-file", str(sb.config),
                "--work-dir", str(sb.work)),
        env=env, cwd=sb.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(lambda: "started kagent pid=" in sb.log(), 120, "kagent started")
        time.sleep(1.0)  # the prompt is on its way to the stuck kagent
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=CANCEL_GRACE + 20)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
    assert took < CANCEL_GRACE + 10, took
    assert "kagent did not end the turn on cancel" in err, err
    for pid in sb.kagent_pids():
        assert_gone(pid)
