"""The Wire smoke scenarios of `nox -s e2e`: they pass against the oracle (kimi-cli 1.51.0's
own `kimi --wire`, which defines the behaviour) and fail against wrong servers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from differential.kernels import oracle
from kk_common.wire_client import WireClient, WireError
from kk_e2e.scenarios import SCENARIOS, Launcher, run_wire_scenarios

FAKE = Path(__file__).resolve().parent / "fake_wire_server.py"


def test_every_scenario_passes_against_the_oracle(tmp_path: Path) -> None:
    kimi = oracle().binary
    checks = run_wire_scenarios(
        Launcher("oracle", (kimi, "--wire")), tmp_path, prefix="oracle"
    )
    assert [c.name for c in checks] == [f"oracle: {name}" for name in SCENARIOS]
    failed = [(c.name, c.detail) for c in checks if not c.ok]
    assert failed == []


def test_a_kernel_that_skips_approval_fails_the_approval_and_cancel_scenarios(
    tmp_path: Path,
) -> None:
    launcher = Launcher("fake", (sys.executable, str(FAKE), "no-approval"))
    checks = {c.name: c for c in run_wire_scenarios(launcher, tmp_path, prefix="fake")}
    assert checks["fake: initialize"].ok
    approval = checks["fake: tool call with approval"]
    assert not approval.ok
    assert "expected one ApprovalRequest, got 0" in approval.detail
    cancel = checks["fake: cancel"]
    assert not cancel.ok
    assert "expected one ApprovalRequest before cancelling, got 0" in cancel.detail
    # The scripted prompt scenario checks the streamed text, which this server never sends.
    assert not checks["fake: scripted prompt"].ok
    assert "streamed text ''" in checks["fake: scripted prompt"].detail


def test_a_wrong_protocol_version_fails_initialize(tmp_path: Path) -> None:
    launcher = Launcher("fake", (sys.executable, str(FAKE), "old-protocol"))
    checks = run_wire_scenarios(launcher, tmp_path, prefix="fake")
    assert all(not c.ok for c in checks)
    assert "negotiated protocol_version '1.0', expected '1.10'" in checks[0].detail


def test_a_kernel_that_exits_is_reported_with_its_stderr(tmp_path: Path) -> None:
    code = "import sys; sys.stderr.write('kagent: boom at startup\\n'); sys.exit(3)"
    launcher = Launcher("dead", (sys.executable, "-c", code))
    checks = run_wire_scenarios(launcher, tmp_path, prefix="dead")
    assert all(not c.ok for c in checks)
    assert "exit code 3" in checks[0].detail
    assert "boom at startup" in checks[0].detail


def test_a_kernel_dead_before_the_first_write_is_reported_as_one_that_closed_stdout(
    tmp_path: Path,
) -> None:
    """The same words whichever the client sees first: the failed write or the closed stdout."""
    code = "import sys; sys.stderr.write('kagent: boom at startup\\n'); sys.exit(3)"
    with WireClient([sys.executable, "-c", code], stderr_path=tmp_path / "stderr.txt") as client:
        client.proc.wait(timeout=30)
        with pytest.raises(WireError) as raised:
            client.exchange("initialize", {"protocol_version": "1.10"}, timeout=30)
    assert str(raised.value).startswith("cannot write to"), raised.value  # the write saw it
    assert "exit code 3" in str(raised.value), raised.value
    assert "boom at startup" in str(raised.value), raised.value


def test_wine_launcher_translates_paths() -> None:
    launcher = Launcher("wine", ("wine64", "kagent.exe"), wine_paths=True)
    assert launcher.path(Path("/tmp/x/config.toml")) == "Z:\\tmp\\x\\config.toml"
    assert Launcher("n", ("k",)).path(Path("/tmp/x")) == "/tmp/x"
