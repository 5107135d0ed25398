"""The dry run's loopback index: a PEP 503 index, a release download base and an upload
endpoint on 127.0.0.1, checked with verify_release and real HTTP requests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from kk_release.loopback_index import LoopbackIndex, normalize, parse_upload
from kk_release.verify_release import verify

FILES = {
    "kimi_kernel-0.1.0-py3-none-manylinux_2_17_x86_64.whl": b"linux wheel",
    "kimi_kernel-0.1.0-py3-none-win_amd64.whl": b"windows wheel",
    "kimi_kernel-0.1.0.tar.gz": b"sdist",
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def dist(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "dist"
    d.mkdir()
    for name, data in FILES.items():
        (d / name).write_bytes(data)
    (d / "SHA256SUMS").write_text("".join(f"{sha(v)}  {k}\n" for k, v in FILES.items()))
    return {name: d / name for name in FILES}


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[str, bytes]:
    boundary = "dry-run-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
    )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_served_files_verify_on_index_and_release(dist: dict[str, Path], tmp_path: Path) -> None:
    sums = tmp_path / "dist" / "SHA256SUMS"
    with LoopbackIndex("Kimi_Kernel", dist, tag="v0.1.0") as idx:
        assert idx.index_url.endswith("/simple/kimi-kernel/")
        for where in ({"index": idx.index_url}, {"release": idx.release_url}):
            outcomes = verify(sums, index=where.get("index"), release=where.get("release"))
            assert [o.status for o in outcomes] == ["ok"] * len(FILES), outcomes
        root = httpx.get(f"{idx.base}/simple/")
        assert root.status_code == 200 and 'href="kimi-kernel/"' in root.text
        assert httpx.get(f"{idx.base}/releases/download/v9.9.9/kimi_kernel-0.1.0.tar.gz").status_code == 404
        assert httpx.get(f"{idx.base}/files/not-there.whl").status_code == 404


def test_an_altered_file_is_a_mismatch(dist: dict[str, Path], tmp_path: Path) -> None:
    victim = "kimi_kernel-0.1.0-py3-none-win_amd64.whl"
    with LoopbackIndex("kimi-kernel", dist, tag="v0.1.0", altered=victim) as idx:
        served = httpx.get(idx.release_url + victim).content
        assert served != FILES[victim] and len(served) == len(FILES[victim])
        by_name = {o.name: o for o in verify(tmp_path / "dist" / "SHA256SUMS", release=idx.release_url)}
    assert by_name[victim].status == "mismatch"
    assert all(o.status == "ok" for n, o in by_name.items() if n != victim)
    with pytest.raises(ValueError, match="is not one of the served files"):
        LoopbackIndex("kimi-kernel", dist, tag="v0.1.0", altered="other.whl")


def test_uploads_are_checked_stored_and_then_listed(tmp_path: Path) -> None:
    name, data = "kimi_kernel-0.1.0.tar.gz", b"sdist bytes"
    uploads = tmp_path / "uploads"
    with LoopbackIndex("kimi-kernel", {}, tag="v0.1.0", uploads=uploads) as idx:
        url = f"{idx.base}/legacy/"

        def post(fields: dict[str, str]) -> httpx.Response:
            ctype, body = multipart(fields, name, data)
            return httpx.post(url, content=body, headers={"Content-Type": ctype})

        bad_digest = post({"name": "kimi-kernel", "sha256_digest": sha(b"other")})
        assert bad_digest.status_code == 400 and "does not match" in bad_digest.text
        other_project = post({"name": "someone-else", "sha256_digest": sha(data)})
        assert other_project.status_code == 400 and "is not kimi-kernel" in other_project.text
        assert post({"name": "kimi_kernel", "sha256_digest": sha(data)}).status_code == 200
        again = post({"name": "kimi-kernel", "sha256_digest": sha(data)})
        assert again.status_code == 400 and "already exists" in again.text
        page = httpx.get(idx.index_url).text
        assert f"{name}#sha256={sha(data)}" in page
        assert httpx.get(f"{idx.base}/files/{name}").content == data
        not_form = httpx.post(url, content=b"x", headers={"Content-Type": "text/plain"})
        assert not_form.status_code == 400 and "multipart/form-data" in not_form.text
    assert (uploads / name).read_bytes() == data


def test_without_an_upload_dir_there_is_no_upload_endpoint(dist: dict[str, Path]) -> None:
    with LoopbackIndex("kimi-kernel", dist, tag="v0.1.0") as idx:
        ctype, body = multipart({"name": "kimi-kernel"}, "x.whl", b"x")
        resp = httpx.post(f"{idx.base}/legacy/", content=body, headers={"Content-Type": ctype})
    assert resp.status_code == 405


def test_parse_upload_keeps_binary_bytes_exactly() -> None:
    data = bytes(range(256)) + b"\r\n--not-the-boundary\r\n"
    ctype, body = multipart({"name": "kimi-kernel", ":action": "file_upload"}, "w.whl", data)
    fields, filename, got = parse_upload(ctype, body)
    assert (fields, filename, got) == ({"name": "kimi-kernel", ":action": "file_upload"}, "w.whl", data)
    with pytest.raises(ValueError, match="no `content` file part"):
        parse_upload("multipart/form-data; boundary=b", b'--b\r\nContent-Disposition: form-data; name="x"'
                     b"\r\n\r\ny\r\n--b--\r\n")


def test_normalize_is_pep_503() -> None:
    assert normalize("Kimi_Kernel") == normalize("kimi.kernel") == normalize("kimi--kernel") == "kimi-kernel"


def test_urls_only_while_serving(dist: dict[str, Path]) -> None:
    idx = LoopbackIndex("kimi-kernel", dist, tag="v0.1.0")
    with pytest.raises(RuntimeError, match="only inside its `with` block"):
        _ = idx.base
