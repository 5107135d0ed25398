"""`nox -s tests` runs pytest in pytest-xdist workers: the count, its override, and bad input."""

from __future__ import annotations

import pytest
from kk_build import testrun
from kk_build.progress import StageError


def test_three_workers_by_default() -> None:
    assert testrun.worker_args([], {}) == ["-n", "3"]
    assert testrun.worker_args(["tests/runtime", "-k", "shell"], {}) == ["-n", "3"]


def test_the_environment_sets_the_count() -> None:
    assert testrun.worker_args([], {testrun.WORKERS_ENV: "0"}) == ["-n", "0"]
    assert testrun.worker_args([], {testrun.WORKERS_ENV: " 5 "}) == ["-n", "5"]


@pytest.mark.parametrize(
    "args", [["-n", "1"], ["-n2"], ["--numprocesses=4"], ["--dist", "loadfile"], ["-p", "no:xdist"]]
)
def test_explicit_arguments_win(args: list[str]) -> None:
    assert testrun.worker_args(args, {testrun.WORKERS_ENV: "7"}) == []


def test_a_count_that_is_not_a_number_is_named() -> None:
    with pytest.raises(StageError, match=r"KK_PYTEST_WORKERS='many'.*0 runs the tests in one process"):
        testrun.worker_args([], {testrun.WORKERS_ENV: "many"})
