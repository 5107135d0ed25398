"""FetchURL and SearchWeb (issue 15), oracle vs kagent, against a loopback web server: the
scenarios of web_catalogue.py (every exact path of FetchURL, HTML pages of each kind, the
Moonshot search and fetch services working and failing), each compared whole with the
oracle's transcript, and each transcript holding what the server served.
HTML pages: kagent's extractor is not trafilatura (kagent/ORACLE-NOTES.md, "FetchURL"), yet
on these pages its output is the oracle's exactly, so they are compared whole, like the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .scenario_check import check_against_oracle
from .web_catalogue import WEB_CASES, same_port
from .web_server import serving


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serving() as url:
        yield url


@pytest.mark.parametrize("name", sorted(WEB_CASES))
def test_web_scenario(name: str, base: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    case = WEB_CASES[name](base)
    subject = check_against_oracle(
        case.scenario, ("kagent",), tmp_path_factory, same_port, check_panics=False
    )
    case.check("\n".join(subject.normalized()))
