"""FetchURL and SearchWeb (issue 15), oracle vs kagent, against a loopback web server
(web_server.py): every exact path of FetchURL (plain text and markdown whole, a binary
body, an empty body, 4xx/5xx, a redirect loop, a slow body, a page without text, bad
arguments, URLs that are not http(s), a closed port), HTML pages of each kind, and the
Moonshot search and fetch services configured in `[services]` (their stand-ins answer with
the request they got, so the requests compare too), working and failing.

HTML pages: kagent's extractor is not trafilatura (kagent/ORACLE-NOTES.md, "FetchURL"), yet
on these pages its output is the oracle's exactly, so they are compared whole, like the rest."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from .scenario import Scenario
from .scenario_check import check_against_oracle
from .steps import initialize
from .tools_catalogue import DONE, quick_turn, tc, tools_scenario
from .web_server import serving

API_KEY = "kk-service-key"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serving() as url:
        yield url


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(tc_id: str, url: Any) -> str:
    return tc(tc_id, "FetchURL", {"url": url})


def run(scenario: Scenario, tmp: pytest.TempPathFactory, view: Any = None) -> str:
    subject = check_against_oracle(scenario, ("kagent",), tmp, view or list, check_panics=False)
    return "\n".join(subject.normalized())


def test_fetch_exact_paths(base: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    port = closed_port()
    scenario = tools_scenario(
        "web_fetch_exact",
        initialize(),
        *quick_turn(),
        scripts=(
            fetch("c1", f"{base}/notes.txt"),
            fetch("c2", f"{base}/notes.md"),
            fetch("c3", f"{base}/pixel.png"),
            fetch("c4", f"{base}/empty"),
            fetch("c5", f"{base}/missing"),
            fetch("c6", f"{base}/forbidden"),
            fetch("c7", f"{base}/error"),
            fetch("c8", f"{base}/loop"),
            fetch("c9", f"{base}/slow.txt"),
            # aiohttp's redirect limit: 9 redirects are followed, the 10th is an error
            fetch("c9a", f"{base}/chain9"),
            fetch("c9b", f"{base}/chain10"),
            fetch("c10", f"{base}/app.html"),
            tc("c11", "FetchURL", {}),
            tc("c12", "FetchURL", {"url": 42}),
            fetch("c13", "ftp://127.0.0.1/file.txt"),
            fetch("c14", "not a url"),
            fetch("c15", f"http://127.0.0.1:{port}/"),
            # no search service configured: no SearchWeb (as kimi-cli)
            tc("c16", "SearchWeb", {"query": "lake"}),
            DONE,
        ),
    )
    transcript = run(scenario, tmp_path_factory)
    assert "slow but ok" in transcript and "HTTP 404 error" in transcript, transcript


def test_fetch_html_pages(base: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    scenario = tools_scenario(
        "web_fetch_html",
        initialize(),
        *quick_turn(),
        scripts=(
            fetch("c1", f"{base}/article.html"),
            fetch("c2", f"{base}/docs.html"),
            fetch("c3", f"{base}/tables.html"),
            fetch("c4", f"{base}/latin1.html"),
            fetch("c5", f"{base}/moved"),
            DONE,
        ),
    )
    transcript = run(scenario, tmp_path_factory)
    for text in ("perch have moved", "| 2 October |", "Café météo du lac", "skip_weekends"):
        assert text in transcript, text
    for chrome in ("cookies", "Most read", "Privacy", "Previous: Installation", "Accueil"):
        assert chrome not in transcript, chrome


def services(search: str, fetch_url: str, fetch_key: str = API_KEY) -> dict[str, Any]:
    return {
        "services": {
            "moonshot_search": {
                "base_url": search,
                "api_key": API_KEY,
                "custom_headers": {"X-Custom": "from-config"},
            },
            "moonshot_fetch": {
                "base_url": fetch_url,
                "api_key": fetch_key,
                "custom_headers": {"X-Custom": "from-config"},
            },
        }
    }


def test_services_answer(base: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    scenario = tools_scenario(
        "web_services",
        initialize(),
        *quick_turn(),
        scripts=(
            tc("c1", "SearchWeb", {"query": "warm lake"}),
            tc("c2", "SearchWeb", {"query": "deep water", "limit": 3, "include_content": True}),
            tc("c3", "SearchWeb", {"query": "x", "limit": 0}),
            tc("c4", "SearchWeb", {"limit": "many"}),
            fetch("c5", f"{base}/notes.txt"),
            DONE,
        ),
        config=services(f"{base}/search", f"{base}/fetch"),
    )
    transcript = run(scenario, tmp_path_factory)
    # the stand-ins saw the requests: both kernels sent the same ones
    for seen in (
        '\\"text_query\\": \\"deep water\\"',
        '\\"enable_page_crawling\\": true',
        "fetched by the service",
        f"Bearer {API_KEY}",
        "from-config",
    ):
        assert seen in transcript, seen


def test_services_fail(base: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    bad = tools_scenario(
        "web_services_bad_answers",
        initialize(),
        *quick_turn(),
        scripts=(
            tc("c1", "SearchWeb", {"query": "lake"}),
            # the fetch service answers 503: FetchURL fetches the page itself
            fetch("c2", f"{base}/notes.txt"),
            DONE,
        ),
        config=services(f"{base}/search-bad", f"{base}/fetch-down"),
    )
    assert "Failed to parse search results" in run(bad, tmp_path_factory)
    down = tools_scenario(
        "web_services_down",
        initialize(),
        *quick_turn(),
        scripts=(
            tc("c1", "SearchWeb", {"query": "lake"}),
            # no key for the fetch service: FetchURL fetches the page itself
            fetch("c2", f"{base}/notes.md"),
            DONE,
        ),
        config=services(f"{base}/search-down", f"{base}/fetch", fetch_key=""),
    )
    transcript = run(down, tmp_path_factory)
    assert "Status: 500" in transcript and "# Release notes" in transcript, transcript
