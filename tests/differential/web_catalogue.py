"""FetchURL and SearchWeb scenarios against the loopback web server (web_server.py): every
exact path of FetchURL (plain text and markdown whole, a binary body, an empty body, 4xx/5xx,
a redirect loop, a slow body, a page without text, bad arguments, URLs that are not http(s),
a closed port), HTML pages of each kind, and the Moonshot search and fetch services
configured in `[services]` (their stand-ins answer with the request they got, so the requests
compare too), working and failing.

The scenarios name the server's URL, so they are built per server (`web_cases(base)`).
tests/differential/test_web_tools.py runs them on kagent, tests/runtime/
test_proxy_differential.py through kimi-kernel's proxy; both compare with the oracle through
`same_port` (the server's port differs between pytest workers, and the oracle's transcript
is shared between them)."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .scenario import Scenario
from .steps import initialize
from .tools_catalogue import DONE, quick_turn, tc, tools_scenario

API_KEY = "kk-service-key"
_LOOPBACK_PORT = re.compile(r"127\.0\.0\.1:\d+")


def same_port(lines: list[str]) -> list[str]:
    """The transcript with every loopback port written as <PORT>."""
    return [_LOOPBACK_PORT.sub("127.0.0.1:<PORT>", line) for line in lines]


@dataclass(frozen=True)
class WebCase:
    """A scenario and what its transcript must hold (and must not): the web server's pages
    reached the model, not only the same error on both kernels."""

    scenario: Scenario
    contains: tuple[str, ...]
    lacks: tuple[str, ...] = ()

    def check(self, transcript: str) -> None:
        for text in self.contains:
            assert text in transcript, f"{self.scenario.name}: {text!r} missing:\n{transcript}"
        for text in self.lacks:
            assert text not in transcript, f"{self.scenario.name}: {text!r} present"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(tc_id: str, url: Any) -> str:
    return tc(tc_id, "FetchURL", {"url": url})


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


def _one_turn(name: str, *calls: str, config: dict[str, Any] | None = None) -> Scenario:
    """One prompt whose scripted steps make `calls`, then a text step."""
    return tools_scenario(name, initialize(), *quick_turn(), scripts=(*calls, DONE), config=config)


def _exact_paths(base: str) -> WebCase:
    return WebCase(
        _one_turn(
            "web_fetch_exact",
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
            fetch("c15", f"http://127.0.0.1:{closed_port()}/"),
            # no search service configured: no SearchWeb (as kimi-cli)
            tc("c16", "SearchWeb", {"query": "lake"}),
        ),
        contains=("slow but ok", "HTTP 404 error"),
    )


def _html_pages(base: str) -> WebCase:
    return WebCase(
        _one_turn(
            "web_fetch_html",
            fetch("c1", f"{base}/article.html"),
            fetch("c2", f"{base}/docs.html"),
            fetch("c3", f"{base}/tables.html"),
            fetch("c4", f"{base}/latin1.html"),
            fetch("c5", f"{base}/moved"),
        ),
        contains=("perch have moved", "| 2 October |", "Café météo du lac", "skip_weekends"),
        lacks=("cookies", "Most read", "Privacy", "Previous: Installation", "Accueil"),
    )


def _services_answer(base: str) -> WebCase:
    return WebCase(
        _one_turn(
            "web_services",
            tc("c1", "SearchWeb", {"query": "warm lake"}),
            tc("c2", "SearchWeb", {"query": "deep water", "limit": 3, "include_content": True}),
            tc("c3", "SearchWeb", {"query": "x", "limit": 0}),
            tc("c4", "SearchWeb", {"limit": "many"}),
            fetch("c5", f"{base}/notes.txt"),
            config=services(f"{base}/search", f"{base}/fetch"),
        ),
        # the stand-ins saw the requests: both kernels sent the same ones
        contains=(
            '\\"text_query\\": \\"deep water\\"',
            '\\"enable_page_crawling\\": true',
            "fetched by the service",
            f"Bearer {API_KEY}",
            "from-config",
        ),
    )


def _services_bad_answers(base: str) -> WebCase:
    return WebCase(
        _one_turn(
            "web_services_bad_answers",
            tc("c1", "SearchWeb", {"query": "lake"}),
            # the fetch service answers 503: FetchURL fetches the page itself
            fetch("c2", f"{base}/notes.txt"),
            config=services(f"{base}/search-bad", f"{base}/fetch-down"),
        ),
        contains=("Failed to parse search results",),
    )


def _services_down(base: str) -> WebCase:
    return WebCase(
        _one_turn(
            "web_services_down",
            tc("c1", "SearchWeb", {"query": "lake"}),
            # no key for the fetch service: FetchURL fetches the page itself
            fetch("c2", f"{base}/notes.md"),
            config=services(f"{base}/search-down", f"{base}/fetch", fetch_key=""),
        ),
        contains=("Status: 500", "# Release notes"),
    )


WEB_CASES: dict[str, Callable[[str], WebCase]] = {
    "web_fetch_exact": _exact_paths,
    "web_fetch_html": _html_pages,
    "web_services": _services_answer,
    "web_services_bad_answers": _services_bad_answers,
    "web_services_down": _services_down,
}
