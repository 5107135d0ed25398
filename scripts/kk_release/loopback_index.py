"""A package index and release download base on 127.0.0.1, for the release dry run.

The dry run cannot publish to PyPI or create a GitHub release, so it serves the files it would
publish itself and points verify_release.py at them: the same comparison the release's last
job makes, against the same kinds of URL:

    /simple/                          PEP 503 root: one link per project
    /simple/<project>/                PEP 503 project page: one link per file, #sha256=<hex>
    /files/<name>                     the files the project page links to
    /releases/download/<tag>/<name>   like https://github.com/OWNER/REPO/releases/download/TAG/
    POST /legacy/                     with `uploads=DIR`: an upload endpoint like PyPI's (the
                                      multipart form `uv publish` / twine send); the file is
                                      stored in DIR and served from then on

Standard library only (the dry run's orchestrator runs before any venv exists). `altered`
serves one file with its last byte flipped: the dry run's control that a wrong upload fails.
"""

from __future__ import annotations

import hashlib
import html
import http.server
import re
import threading
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, unquote, urlsplit


def normalize(project: str) -> str:
    """PEP 503 name normalization: runs of -, _ and . become one -, lower case."""
    return re.sub(r"[-_.]+", "-", project).lower()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _page(title: str, links: list[tuple[str, str]]) -> bytes:
    anchors = "\n".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a><br/>' for href, text in links)
    return (
        "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
        f"<title>{html.escape(title)}</title></head><body>\n{anchors}\n</body></html>\n"
    ).encode()


def parse_upload(content_type: str, body: bytes) -> tuple[dict[str, str], str, bytes]:
    """(form fields, file name, file bytes) of a multipart/form-data upload with a `content` file."""
    m = re.match(r'multipart/form-data;.*boundary="?([^";]+)"?', content_type)
    if not m:
        raise ValueError(f"not multipart/form-data with a boundary: {content_type!r}")
    fields: dict[str, str] = {}
    upload: tuple[str, bytes] | None = None
    for part in body.split(b"--" + m.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, sep, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a multipart part without headers")
        data = data.removesuffix(b"\r\n")
        disposition = next(
            (h for h in head.decode("utf-8").split("\r\n") if h.lower().startswith("content-disposition:")),
            "",
        )
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if name is None:
            raise ValueError(f"a multipart part without a name: {disposition!r}")
        if name.group(1) == "content" and filename is not None:
            upload = (filename.group(1), data)
        else:
            fields[name.group(1)] = data.decode("utf-8")
    if upload is None:
        raise ValueError("the upload has no `content` file part")
    return fields, upload[0], upload[1]


class LoopbackIndex:
    """Serve ``files`` (name -> path) while in a ``with`` block; URLs as the module says."""

    def __init__(
        self,
        project: str,
        files: dict[str, Path],
        *,
        tag: str,
        altered: str | None = None,
        uploads: Path | None = None,
    ) -> None:
        if altered is not None and altered not in files:
            raise ValueError(f"altered={altered!r} is not one of the served files {sorted(files)}")
        self.project = normalize(project)
        self.files = dict(files)
        self.tag = tag
        self.altered = altered
        self.uploads = uploads
        self._lock = threading.Lock()
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _body(self, name: str) -> bytes:
        data = self.files[name].read_bytes()
        if name == self.altered and data:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        return data

    def _route(self, path: str) -> tuple[int, str, bytes]:
        parts = [unquote(p) for p in path.split("/") if p]
        if parts == ["simple"]:
            return 200, "text/html", _page("Simple index", [(f"{self.project}/", self.project)])
        if parts == ["simple", self.project]:
            links = [
                (f"../../files/{quote(name)}#sha256={sha256_of(p)}", name)
                for name, p in sorted(self.files.items())
            ]
            return 200, "text/html", _page(f"Links for {self.project}", links)
        name = None
        if len(parts) == 2 and parts[0] == "files":
            name = parts[1]
        elif len(parts) == 4 and parts[:3] == ["releases", "download", self.tag]:
            name = parts[3]
        if name is not None and name in self.files:
            return 200, "application/octet-stream", self._body(name)
        return 404, "text/plain", f"not served here: {path}\n".encode()

    def _upload(self, path: str, content_type: str, body: bytes) -> tuple[int, str, bytes]:
        """Store one file of a legacy-API upload; 400 with the reason when it is malformed."""
        if self.uploads is None or path.rstrip("/") != "/legacy":
            return 405, "text/plain", b"uploads go to POST /legacy/ (and only with uploads=DIR)\n"
        try:
            fields, filename, data = parse_upload(content_type, body)
        except ValueError as exc:
            return 400, "text/plain", f"{exc}\n".encode()
        name = Path(filename).name
        declared = fields.get("sha256_digest")
        if declared is not None and declared.lower() != hashlib.sha256(data).hexdigest():
            return 400, "text/plain", f"{name}: sha256_digest {declared} does not match the bytes\n".encode()
        if normalize(fields.get("name", "")) != self.project:
            problem = f"{name}: project {fields.get('name')!r} is not {self.project}\n"
            return 400, "text/plain", problem.encode()
        with self._lock:
            if name in self.files:
                return 400, "text/plain", f"{name} already exists\n".encode()
            self.uploads.mkdir(parents=True, exist_ok=True)
            (self.uploads / name).write_bytes(data)
            self.files[name] = self.uploads / name
        return 200, "text/plain", b"OK\n"

    def __enter__(self) -> LoopbackIndex:
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _reply(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # the name http.server calls
                self._reply(*index._route(urlsplit(self.path).path))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = urlsplit(self.path).path
                self._reply(*index._upload(path, self.headers.get("Content-Type", ""), body))

            def log_message(self, format: str, *args: object) -> None:
                pass  # the dry run prints what verify_release reports instead

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def base(self) -> str:
        if self._httpd is None:
            raise RuntimeError("LoopbackIndex serves only inside its `with` block")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def index_url(self) -> str:
        return f"{self.base}/simple/{self.project}/"

    @property
    def release_url(self) -> str:
        return f"{self.base}/releases/download/{self.tag}/"
