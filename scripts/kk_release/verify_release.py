"""verify-release: download the published files and compare them with dist/SHA256SUMS.

Either from a package index (a PEP 503 "simple" project page, e.g.
https://pypi.org/simple/kimi-kernel/) or from a release download base URL (file = URL + name,
e.g. https://github.com/OWNER/REPO/releases/download/vX.Y.Z/). Reports every file whose
bytes differ and every file that is not published; exits 1 if there is any.

    python scripts/kk_release/verify_release.py --sums dist/SHA256SUMS --index URL
    python scripts/kk_release/verify_release.py --sums dist/SHA256SUMS --release URL
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin

import httpx

_SUM_LINE = re.compile(r"^(?P<sha>[0-9a-fA-F]{64})\s+\*?(?P<name>\S.*)$")


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str  # "ok" | "mismatch" | "missing"
    detail: str


def read_sums(path: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        m = _SUM_LINE.match(line.strip())
        if not m:
            raise ValueError(f"{path}:{lineno}: not '<sha256>  <file>': {line!r}")
        sums[Path(m.group("name")).name] = m.group("sha").lower()
    if not sums:
        raise ValueError(f"{path} lists no files")
    return sums


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def index_links(
    client: httpx.Client, index_url: str
) -> dict[str, tuple[str, str | None]]:
    """file name -> (absolute URL, sha256 the index declares or None), from a PEP 503 page."""
    resp = client.get(index_url)
    resp.raise_for_status()
    parser = _Links()
    parser.feed(resp.text)
    links: dict[str, tuple[str, str | None]] = {}
    for href in parser.hrefs:
        url, fragment = urldefrag(urljoin(str(resp.url), href))
        name = unquote(url.rstrip("/").rsplit("/", 1)[-1])
        declared = (
            fragment.split("=", 1)[1].lower()
            if fragment.startswith("sha256=")
            else None
        )
        links[name] = (url, declared)
    return links


def _sha256_of(client: httpx.Client, url: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    with client.stream("GET", url) as resp:
        if resp.status_code != 200:
            return resp.status_code, ""
        for chunk in resp.iter_bytes():
            digest.update(chunk)
    return 200, digest.hexdigest()


def verify_once(
    client: httpx.Client,
    sums: dict[str, str],
    *,
    index: str | None,
    release: str | None,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    links = index_links(client, index) if index else {}
    for name, expected in sorted(sums.items()):
        declared: str | None = None
        if index:
            if name not in links:
                outcomes.append(Outcome(name, "missing", f"not listed on {index}"))
                continue
            url, declared = links[name]
        else:
            assert release is not None
            url = urljoin(release if release.endswith("/") else release + "/", name)
        status, got = _sha256_of(client, url)
        if status != 200:
            outcomes.append(Outcome(name, "missing", f"HTTP {status} for {url}"))
        elif got != expected:
            outcomes.append(
                Outcome(
                    name,
                    "mismatch",
                    f"sha256 {got} at {url}, SHA256SUMS says {expected}",
                )
            )
        elif declared is not None and declared != expected:
            outcomes.append(
                Outcome(
                    name,
                    "mismatch",
                    f"index declares sha256 {declared}, file is {expected}",
                )
            )
        else:
            outcomes.append(Outcome(name, "ok", url))
    return outcomes


def verify(
    sums_path: Path,
    *,
    index: str | None = None,
    release: str | None = None,
    retries: int = 0,
    retry_wait: float = 30.0,
    timeout: float = 60.0,
) -> list[Outcome]:
    """Compare; retry while files are only missing (an index or CDN may lag a fresh upload)."""
    if (index is None) == (release is None):
        raise ValueError("give exactly one of index= or release=")
    sums = read_sums(sums_path)
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for attempt in range(retries + 1):
            try:
                outcomes = verify_once(client, sums, index=index, release=release)
            except httpx.HTTPStatusError as exc:
                outcomes = [
                    Outcome(n, "missing", f"index page: {exc}") for n in sorted(sums)
                ]
            if any(o.status == "mismatch" for o in outcomes) or all(
                o.status == "ok" for o in outcomes
            ):
                return outcomes
            if attempt < retries:
                time.sleep(retry_wait)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--sums", type=Path, default=Path("dist/SHA256SUMS"))
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--index", help="PEP 503 simple project page URL")
    where.add_argument("--release", help="base URL the files are downloaded from")
    p.add_argument(
        "--retries", type=int, default=0, help="retries while files are missing"
    )
    p.add_argument(
        "--retry-wait", type=float, default=30.0, help="seconds between retries"
    )
    args = p.parse_args(argv)
    try:
        outcomes = verify(
            args.sums,
            index=args.index,
            release=args.release,
            retries=args.retries,
            retry_wait=args.retry_wait,
        )
    except (ValueError, OSError, httpx.HTTPError) as exc:
        print(f"verify-release: {exc}", file=sys.stderr)
        return 2
    for o in outcomes:
        print(f"{o.status.upper():8} {o.name}  {o.detail}")
    bad = [o for o in outcomes if o.status != "ok"]
    mismatched = sum(1 for o in bad if o.status == "mismatch")
    print(
        f"verify-release: {len(outcomes) - len(bad)} ok, {mismatched} mismatched, "
        f"{len(bad) - mismatched} missing"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
