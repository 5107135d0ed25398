"""A loopback web server for the FetchURL/SearchWeb scenarios: real-world-shaped pages
(an article among site chrome, a docs page with a sidebar, a table-heavy page, a Latin-1
page, a page that needs JavaScript), plain text, a binary file, a 404, a redirect and a
redirect loop, a slow page, an empty body; and stand-ins of the Moonshot search and fetch
services that answer with what they were sent (method, path, the headers that matter, the
JSON body), so the transcripts of both kernels compare their requests too.

The pages are written for these tests (no copied site): each is shaped like its kind on the
web (navigation, breadcrumbs, sidebars, share buttons, cookie banners, footers) so that an
extractor which lets boilerplate through, or drops content, is caught."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# headers a service stand-in echoes back (lower case); the others vary per machine
ECHOED_HEADERS = (
    "authorization",
    "accept",
    "content-type",
    "x-msh-tool-call-id",
    "x-msh-platform",
    "x-msh-version",
    "x-custom",
)

CHROME_TOP = """
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
<header class="site-header"><a class="logo" href="/">Lakeside Weekly</a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/about">About us</a></li></ul></nav></header>
"""

CHROME_BOTTOM = """
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Ferry timetable changes</a></li>
<li><a href="/b">New bakery opens on Quay Street</a></li></ul></aside>
<footer class="site-footer"><p>Lakeside Weekly, 12 Harbour Road.</p>
<ul><li><a href="/privacy">Privacy</a></li><li><a href="/terms">Terms</a></li></ul></footer>
"""

ARTICLE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The lake is warmer than ever</title>
<meta name="author" content="Mira Holm"></head><body>
{CHROME_TOP}
<main><article>
<h1>The lake is warmer than ever</h1>
<p class="byline">By Mira Holm</p>
<p>Measurements taken by the harbour office over the summer show that the surface of the lake
reached twenty-four degrees in August, the highest value since records began in 1961.</p>
<p>Fishermen say the perch have moved to deeper water, and the ferry company has reported
more swimmers near the landing stages than in any previous year.</p>
<h2>What the scientists say</h2>
<p>Researchers at the regional institute expect the trend to continue. They point to milder
winters, when the lake no longer freezes over, as the main cause of the change.</p>
<blockquote><p>We have never seen the deep water this warm so early in the season.</p></blockquote>
<p>The institute will publish its full report in the spring, together with recommendations
for the towns along the shore.</p>
</article></main>
<div class="share"><a href="#">Share on social media</a> <a href="#">Email this story</a></div>
{CHROME_BOTTOM}
</body></html>
"""

DOCS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Configuration - tidewater 2.3 documentation</title></head>
<body>
<div class="wrapper">
<nav class="sidebar"><p class="caption">Contents</p><ul>
<li><a href="install.html">Installation</a></li><li><a href="config.html">Configuration</a></li>
<li><a href="cli.html">Command line</a></li><li><a href="faq.html">FAQ</a></li></ul></nav>
<div class="document" role="main">
<div class="breadcrumbs"><a href="index.html">Docs</a> / Configuration</div>
<section id="configuration"><h1>Configuration</h1>
<p>Tidewater reads its settings from a file named tidewater.toml in the project directory.
Every setting has a default, so an empty file is a valid configuration.</p>
<section id="the-schedule-table"><h2>The schedule table</h2>
<p>The schedule table decides when the gauges are read. Its keys are described below, and
each one can also be given on the command line.</p>
<ul><li>interval: the time between two readings, in minutes.</li>
<li>start: the first reading of the day, as a 24-hour time.</li>
<li>skip_weekends: whether readings stop on Saturday and Sunday.</li></ul>
<pre>[schedule]
interval = 15
start = "06:00"</pre>
<p>A reading that fails is retried once after a minute; a second failure is logged and the
gauge is marked as unavailable until the next scheduled reading.</p>
</section></section>
<div class="footer-nav"><a href="install.html">Previous: Installation</a>
<a href="cli.html">Next: Command line</a></div>
</div></div>
<footer><p>Built with a static site generator. Copyright the tidewater authors.</p></footer>
</body></html>
"""

TABLES = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Tide table for October</title></head><body>
{CHROME_TOP}
<main>
<h1>Tide table for October</h1>
<p>The table below lists the high and low tides at the north pier for the first week of the
month. All times are local time and heights are given in metres above chart datum.</p>
<table>
<thead><tr><th>Date</th><th>High tide</th><th>Height</th><th>Low tide</th><th>Height</th></tr></thead>
<tbody>
<tr><td>1 October</td><td>05:12</td><td>4.1</td><td>11:30</td><td>0.9</td></tr>
<tr><td>2 October</td><td>05:58</td><td>4.3</td><td>12:14</td><td>0.7</td></tr>
<tr><td>3 October</td><td>06:41</td><td>4.4</td><td>12:57</td><td>0.6</td></tr>
<tr><td>4 October</td><td>07:22</td><td>4.4</td><td>13:39</td><td>0.6</td></tr>
</tbody></table>
<p>Spring tides are expected around the third of the month, when the pier may be closed to
cars for a few hours on either side of high water.</p>
</main>
{CHROME_BOTTOM}
</body></html>
"""

LATIN1 = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<title>Caf\u00e9 m\u00e9t\u00e9o</title></head><body>
<nav><a href="/">Accueil</a> | <a href="/contact">Contact</a></nav>
<article><h1>Caf\u00e9 m\u00e9t\u00e9o du lac</h1>
<p>Le caf\u00e9 de la jet\u00e9e ouvre d\u00e8s sept heures. On y sert un chocolat chaud tr\u00e8s
appr\u00e9ci\u00e9 des p\u00eacheurs, qui s'y retrouvent apr\u00e8s la premi\u00e8re sortie.</p>
<p>Les pr\u00e9visions du jour sont affich\u00e9es \u00e0 l'entr\u00e9e, avec la temp\u00e9rature
de l'eau et la force du vent mesur\u00e9es au bout du ponton.</p>
</article>
<footer>\u00a9 Caf\u00e9 de la jet\u00e9e</footer></body></html>
"""

NEEDS_JS = """<!DOCTYPE html>
<html><head><title>App</title><script src="/bundle.js"></script></head>
<body><div id="root"></div><script>document.getElementById("root").textContent = "hi";</script>
</body></html>
"""

PLAIN = "first line of the notes\n\n  indented second line\nthird line\n"

MARKDOWN = "# Release notes\n\n- fixed the gauge reader\n- faster start-up\n"

# a valid 1x1 RGBA PNG followed by bytes that are not UTF-8
BINARY = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)

SEARCH_RESULTS = {
    "search_results": [
        {
            "site_name": "Lakeside Weekly",
            "title": "The lake is warmer than ever",
            "url": "https://lakeside.invalid/news/warm-lake",
            "snippet": "The surface of the lake reached twenty-four degrees in August.",
            "content": "Measurements taken by the harbour office over the summer ...",
            "date": "2026-08-30",
        },
        {
            "site_name": "Institute",
            "title": "Deep water report",
            "url": "https://institute.invalid/report",
            "snippet": "Milder winters are the main cause.",
        },
    ]
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes, content_type: str | None, **headers: str) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path
        html = "text/html; charset=utf-8"
        if path == "/article.html":
            self._send(200, ARTICLE.encode(), html)
        elif path == "/docs.html":
            self._send(200, DOCS.encode(), html)
        elif path == "/tables.html":
            self._send(200, TABLES.encode(), html)
        elif path == "/latin1.html":
            self._send(200, LATIN1.encode("latin-1"), "text/html; charset=ISO-8859-1")
        elif path == "/app.html":
            self._send(200, NEEDS_JS.encode(), html)
        elif path == "/notes.txt":
            self._send(200, PLAIN.encode(), "text/plain; charset=utf-8")
        elif path == "/notes.md":
            self._send(200, MARKDOWN.encode(), "text/markdown")
        elif path == "/pixel.png":
            self._send(200, BINARY, "image/png")
        elif path == "/empty":
            self._send(200, b"", html)
        elif path == "/moved":
            self._send(302, b"", None, Location="/article.html")
        elif path.startswith("/chain"):
            # /chainN: N redirects, then the notes
            n = int(path.removeprefix("/chain"))
            target = f"/chain{n - 1}" if n > 1 else "/notes.txt"
            self._send(302, b"", None, Location=target)
        elif path.startswith("/loop"):
            n = int(path.removeprefix("/loop") or "0")
            self._send(302, b"", None, Location=f"/loop{n + 1}")
        elif path == "/slow.txt":
            # headers at once, the body in pieces over about a second
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "12")
            self.end_headers()
            for piece in (b"slow", b" but", b" ok\n"):
                self.wfile.flush()
                time.sleep(0.35)
                self.wfile.write(piece)
        elif path == "/forbidden":
            self._send(403, b"<h1>Forbidden</h1>", html)
        elif path == "/error":
            self._send(500, b"Internal error", "text/plain")
        else:
            self._send(404, b"<html><body><h1>Not found</h1></body></html>", html)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        seen = {
            "method": "POST",
            "path": self.path,
            "headers": {
                name: self.headers[name] for name in ECHOED_HEADERS if self.headers[name] is not None
            },
            "user_agent_prefix": (self.headers["User-Agent"] or "").split("/")[0],
            "body": json.loads(raw or b"null"),
        }
        if self.path == "/fetch":
            answer = "fetched by the service\n" + json.dumps(seen, sort_keys=True)
            self._send(200, answer.encode(), "text/markdown")
        elif self.path == "/fetch-down":
            self._send(503, b"unavailable", "text/plain")
        elif self.path == "/search":
            results = json.loads(json.dumps(SEARCH_RESULTS))
            results["search_results"][1]["content"] = json.dumps(seen, sort_keys=True)
            self._send(200, json.dumps(results).encode(), "application/json")
        elif self.path == "/search-bad":
            self._send(200, b'{"search_results": [{"title": "no url"}]}', "application/json")
        elif self.path == "/search-down":
            self._send(500, b"oops", "text/plain")
        else:
            self._send(404, b"no such service", "text/plain")


@contextmanager
def serving() -> Iterator[str]:
    """Serve on 127.0.0.1 (a free port) for the block; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
