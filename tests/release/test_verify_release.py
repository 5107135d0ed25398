"""verify-release against a real HTTP server on 127.0.0.1 serving a fake index and release."""

from __future__ import annotations

import hashlib
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from kk_release.verify_release import read_sums, verify

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kk_release" / "verify_release.py"
FILES = {
    "kimi_kernel-0.1.0-py3-none-win_amd64.whl": b"windows wheel bytes",
    "kimi_kernel-0.1.0-py3-none-macosx_11_0_arm64.whl": b"mac wheel bytes",
    "kimi_kernel-0.1.0.tar.gz": b"sdist bytes",
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    (root / "release").mkdir(parents=True)
    (root / "simple" / "kimi-kernel").mkdir(parents=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def publish(root: Path, files: dict[str, bytes], *, index_hashes: dict[str, str] | None = None) -> None:
    links = []
    for name, data in files.items():
        (root / "release" / name).write_bytes(data)
        declared = (index_hashes or {}).get(name, sha(data))
        links.append(f'<a href="../../release/{name}#sha256={declared}">{name}</a><br/>')
    page = "<!DOCTYPE html><html><body>" + "\n".join(links) + "</body></html>"
    (root / "simple" / "kimi-kernel" / "index.html").write_text(page)


def write_sums(path: Path, files: dict[str, bytes]) -> Path:
    path.write_text("".join(f"{sha(d)}  {n}\n" for n, d in files.items()))
    return path


def test_all_files_match_on_release_and_index(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    publish(root, FILES)
    sums = write_sums(tmp_path / "SHA256SUMS", FILES)
    for index, release in ((None, f"{base}/release/"), (f"{base}/simple/kimi-kernel/", None)):
        outcomes = verify(sums, index=index, release=release)
        assert [o.status for o in outcomes] == ["ok"] * len(FILES), outcomes
        assert {o.name for o in outcomes} == set(FILES)


def test_mismatch_and_missing_are_reported(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    published = dict(FILES)
    published["kimi_kernel-0.1.0-py3-none-win_amd64.whl"] = b"tampered"
    del published["kimi_kernel-0.1.0.tar.gz"]
    publish(root, published)
    sums = write_sums(tmp_path / "SHA256SUMS", FILES)
    for index, release in ((None, f"{base}/release"), (f"{base}/simple/kimi-kernel/", None)):
        by_name = {o.name: o for o in verify(sums, index=index, release=release)}
        assert by_name["kimi_kernel-0.1.0-py3-none-win_amd64.whl"].status == "mismatch"
        assert sha(b"tampered") in by_name["kimi_kernel-0.1.0-py3-none-win_amd64.whl"].detail
        assert by_name["kimi_kernel-0.1.0.tar.gz"].status == "missing"
        assert by_name["kimi_kernel-0.1.0-py3-none-macosx_11_0_arm64.whl"].status == "ok"


def test_index_declared_hash_must_match(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    name = "kimi_kernel-0.1.0.tar.gz"
    publish(root, FILES, index_hashes={name: "0" * 64})
    sums = write_sums(tmp_path / "SHA256SUMS", FILES)
    by_name = {o.name: o for o in verify(sums, index=f"{base}/simple/kimi-kernel/")}
    assert by_name[name].status == "mismatch"
    assert "index declares" in by_name[name].detail


def test_cli_exit_codes_and_report(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    publish(root, FILES)
    sums = write_sums(tmp_path / "SHA256SUMS", FILES)
    ok = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--sums",
            str(sums),
            "--release",
            f"{base}/release/",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert f"verify-release: {len(FILES)} ok, 0 mismatched, 0 missing" in ok.stdout
    (root / "release" / "kimi_kernel-0.1.0.tar.gz").unlink()
    bad = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--sums",
            str(sums),
            "--release",
            f"{base}/release/",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1
    assert "MISSING  kimi_kernel-0.1.0.tar.gz  HTTP 404" in bad.stdout


class _SignalsNotFound(_Quiet):
    """Sets the server's `not_found` event when it answers 404, so the test publishes
    only after verify has seen a missing file (no race with a wall-clock timer)."""

    def send_error(self, code: int, *args: object, **kwargs: object) -> None:
        if code == 404:
            self.server.not_found.set()  # type: ignore[attr-defined]
        super().send_error(code, *args, **kwargs)  # type: ignore[arg-type]


def test_missing_files_are_retried_until_published(tmp_path: Path) -> None:
    root = tmp_path / "www"
    (root / "release").mkdir(parents=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_SignalsNotFound, directory=str(root)))
    httpd.not_found = threading.Event()  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    def publish_after_a_miss() -> None:
        if httpd.not_found.wait(60):  # type: ignore[attr-defined]
            publish(root, FILES)

    publisher = threading.Thread(target=publish_after_a_miss, daemon=True)
    publisher.start()
    sums = write_sums(tmp_path / "SHA256SUMS", FILES)
    try:
        # A generous budget (600 x 0.05 s): verify returns as soon as all files are there.
        outcomes = verify(
            sums,
            release=f"http://127.0.0.1:{httpd.server_address[1]}/release/",
            retries=600,
            retry_wait=0.05,
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert httpd.not_found.is_set(), "verify never saw a missing file: nothing was retried"  # type: ignore[attr-defined]
    assert all(o.status == "ok" for o in outcomes), outcomes


def test_sums_file_format(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.write_text(f"{'a' * 64}  dist/x.whl\n{'B' * 64} *y.tar.gz\n\n")
    assert read_sums(good) == {"x.whl": "a" * 64, "y.tar.gz": "b" * 64}
    bad = tmp_path / "bad"
    bad.write_text("not a checksum line\n")
    with pytest.raises(ValueError, match="not '<sha256>  <file>'"):
        read_sums(bad)
