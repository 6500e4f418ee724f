"""The admin API (`rag.app.admin`) with FastAPI's TestClient on a copy of data/ in a temporary folder.

The index build is replaced by a recorder (the real rebuild and hot reload are covered by
tests/test_webapp.py::test_a_rebuilt_index_is_swapped_in_while_the_chat_keeps_answering); no model
is loaded here.
"""
from __future__ import annotations

import asyncio
import dataclasses
import io
import hashlib
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from rag.app.admin import UploadGuard, _save_upload, bearer_ok, is_upload, mount_admin
from rag.documents.ingest import LOCK_FILE, REMOVED_DIR
from rag.settings import load_settings

from sample_law import LAW  # noqa: E402 - tests/ is on sys.path (rootdir conftest)
from shipped import DATA  # noqa: E402

TOKEN = "admin-test-token"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of `folder` with its content hash: "nothing changed" means this is equal (the
    empty lock file the first edit creates holds no data)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != LOCK_FILE}


@pytest.fixture()
def admin(tmp_path):
    """(client, data_dir, builds): an app with only the upload guard and the admin routes."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    settings = dataclasses.replace(load_settings(env={}), data_dir=data, index_dir=tmp_path / "index",
                                   admin_token=TOKEN, max_upload_mb=1)
    builds, reloads = [], []
    service = SimpleNamespace(settings=settings, reload_index=lambda: reloads.append(1) or True, corpus_hash="",
                              check_corpus=lambda: None,
                              health=lambda: {"index_version": {"built_at": "x"}, "units": 1})
    app = FastAPI()
    app.add_middleware(UploadGuard, token=TOKEN)
    reindexer = mount_admin(app, service, build=lambda: builds.append(snapshot(data)))
    with TestClient(app) as client:
        yield SimpleNamespace(client=client, data=data, builds=builds, reloads=reloads, reindexer=reindexer)


def auth(token=TOKEN):
    return {"Authorization": f"Bearer {token}"}


def upload(client, name, content: bytes, headers=None, **fields):
    return client.post("/admin/api/documents", files={"file": (name, content)}, data=fields,
                       headers=headers if headers is not None else auth())


@pytest.mark.parametrize("headers", [{}, auth("wrong"), {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"},
                                     auth("")])
def test_missing_or_wrong_token_is_refused_and_nothing_changes(admin, headers):
    before = snapshot(admin.data)
    assert upload(admin.client, "luat.txt", LAW.encode(), headers=headers).status_code == 403
    assert admin.client.get("/admin/api/documents", headers=headers).status_code == 403
    assert admin.client.delete("/admin/api/documents/10/2025/TT-BKHCN", headers=headers).status_code == 403
    assert snapshot(admin.data) == before and admin.builds == []


def test_the_page_itself_holds_no_data(admin):
    page = admin.client.get("/admin")
    assert page.status_code == 200 and "Quản trị văn bản" in page.text and "10/2025" not in page.text
    assert TOKEN not in page.text


def test_upload_shows_what_was_parsed_then_list_and_delete(admin):
    before = snapshot(admin.data)
    r = upload(admin.client, "luat-thu-nghiem.txt", LAW.encode())
    assert r.status_code == 200, r.text
    doc = r.json()["document"]
    assert doc["doc_id"] == "99/2024/QH15" and doc["number"] == "99/2024/QH15" and doc["kind"] == "law"
    assert (doc["chapters"], doc["articles"], doc["clauses"], doc["points"]) == (2, 4, 4, 2)
    assert doc["effective"] == "2026-01-01" and doc["article_headings"][0] == "Điều 1. Phạm vi điều chỉnh"
    assert (admin.data / doc["file"]).read_text(encoding="utf-8").startswith("QUỐC HỘI")
    assert admin.reindexer.wait(10) and len(admin.builds) == 1 and admin.reloads == [1]
    assert "99/2024/QH15" in (admin.data / "manifest.json").read_text(encoding="utf-8")

    listed = admin.client.get("/admin/api/documents", headers=auth()).json()
    assert "99/2024/QH15" in [d["doc_id"] for d in listed["documents"]] and listed["index"]["state"] == "idle"

    gone = admin.client.delete("/admin/api/documents/99/2024/QH15", headers=auth())
    assert gone.status_code == 200 and gone.json()["removed"]["doc_id"] == "99/2024/QH15"
    after = snapshot(admin.data)
    kept = [k for k in after if k.startswith(f"{REMOVED_DIR}/")]  # the removed text is kept aside
    assert {k: v for k, v in after.items() if k not in kept} == before and len(kept) == 1
    assert admin.reindexer.wait(10) and len(admin.builds) == 2
    missing = admin.client.delete("/admin/api/documents/99/2024/QH15", headers=auth())
    assert missing.status_code == 404 and "Không có văn bản" in missing.json()["error"]


def test_a_read_only_corpus_gets_the_reason_in_vietnamese_and_nothing_is_rebuilt(admin, monkeypatch):
    """On a replica whose corpus folder is mounted read-only, a delete had answered a bare "Internal
    Server Error" and an upload "try again later", which cannot help there."""
    import errno

    import rag.documents.ingest as ingest

    def read_only(*_):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(ingest, "_write_manifest", read_only)
    before = snapshot(admin.data)
    doc_id = next(d["doc_id"] for d in admin.client.get("/admin/api/documents", headers=auth()).json()["documents"]
                  if d["kind"] == "news")
    for r in (admin.client.delete(f"/admin/api/documents/{doc_id}", headers=auth()),
              upload(admin.client, "luat-thu-nghiem.txt", LAW.encode())):
        assert r.status_code == 500 and "chỉ đọc hoặc không có quyền ghi" in r.json()["error"]
        assert "/" not in r.json()["error"].split(":")[0]  # no path
    assert admin.reindexer.wait(10) and admin.builds == [] and snapshot(admin.data) == before


def test_a_document_already_in_the_corpus_is_replaced_only_when_the_box_is_ticked(admin):
    assert upload(admin.client, "luat.txt", LAW.encode()).status_code == 200
    again = upload(admin.client, "luat-sua.txt", LAW.replace("24 tháng", "36 tháng").encode())
    assert again.status_code == 422 and "đã có trong kho" in again.json()["error"]
    assert "24 tháng" in (admin.data / "99-2024-qh15.txt").read_text(encoding="utf-8")
    replaced = upload(admin.client, "luat-sua.txt", LAW.replace("24 tháng", "36 tháng").encode(), replace="1")
    assert replaced.status_code == 200 and "36 tháng" in (admin.data / "99-2024-qh15.txt").read_text(encoding="utf-8")


def test_the_build_sees_the_corpus_as_it_was_when_the_change_was_made(admin):
    assert upload(admin.client, "luat.txt", LAW.encode()).status_code == 200
    assert admin.reindexer.wait(10)
    assert any(name.endswith(".txt") and "99-2024" in name for name in admin.builds[-1])


def test_oversized_upload_is_refused_before_anything_is_written(admin):
    before = snapshot(admin.data)
    r = upload(admin.client, "lon.txt", LAW.encode() * (2 * 1024 * 1024 // len(LAW.encode()) + 1))
    assert r.status_code == 413 and r.json()["error"] == "Tệp quá lớn: tối đa 1 MB."
    assert snapshot(admin.data) == before and admin.builds == []


def test_a_body_longer_than_its_content_length_claims_is_cut_at_the_limit(tmp_path):
    class Body:  # what Starlette's UploadFile offers the handler: async read(size)
        def __init__(self, data: bytes):
            self.stream = io.BytesIO(data)

        async def read(self, size: int) -> bytes:
            return self.stream.read(size)

    limit = 3 * 1024 * 1024
    assert asyncio.run(_save_upload(Body(b"x" * limit), tmp_path / "ok", limit))
    assert (tmp_path / "ok").stat().st_size == limit
    assert not asyncio.run(_save_upload(Body(b"x" * (limit + 1)), tmp_path / "big", limit))
    assert (tmp_path / "big").stat().st_size <= limit


def scanned_pdf() -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    buf = io.BytesIO()
    document.save(buf)
    document.close()
    return buf.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("quyet-dinh.pdf", "Điều 1. Phạm vi điều chỉnh\nVăn bản thường.".encode(), "Tệp quyet-dinh.pdf:"),
    ("ban-scan.pdf", None, "PDF không có lớp văn bản (bản scan)"),
    ("thong-bao.txt", "THÔNG BÁO\nCuộc họp sẽ diễn ra vào sáng thứ hai tại hội trường lớn.\n".encode(),
     "không tìm thấy điều nào"),
    ("anh.png", b"\x89PNG\r\n\x1a\n", "định dạng không được hỗ trợ"),
])
def test_unreadable_documents_get_the_vietnamese_reason(admin, name, content, message):
    before = snapshot(admin.data)
    r = upload(admin.client, name, scanned_pdf() if content is None else content, kind="decision")
    assert r.status_code == 422 and message in r.json()["error"]
    assert "/tmp" not in r.json()["error"] and "rag-upload" not in r.json()["error"]
    assert snapshot(admin.data) == before and admin.builds == []


def test_file_names_cannot_leave_the_upload_folder(admin):
    r = upload(admin.client, "../../manifest.json.txt", LAW.encode())
    assert r.status_code == 200 and r.json()["document"]["file"] == "99-2024-qh15.txt"


UNTITLED_NEWS = ("Trong tháng ba, Sở Khoa học và Công nghệ đã tổ chức nhiều hội thảo giới thiệu các mô hình "
                 "chuyển đổi số cho doanh nghiệp nhỏ và vừa trên địa bàn tỉnh.\n")


def test_an_uploaded_file_name_never_becomes_the_public_title(admin):
    from rag.documents.corpus import UNTITLED, document_infos

    r = upload(admin.client, "../../../../tmp/pwned.txt", UNTITLED_NEWS.encode(), kind="other")
    assert r.status_code == 200, r.text
    doc = r.json()["document"]
    assert doc["title"] is None and any("không ghi tiêu đề" in w for w in doc["warnings"])
    listed = admin.client.get("/admin/api/documents", headers=auth()).json()["documents"]
    assert not any("pwned" in d["title"] for d in listed)
    assert document_infos(admin.data)[doc["doc_id"]].name == UNTITLED  # what the chat names it


def test_the_last_document_is_not_deleted(admin):
    doc_ids = [d["doc_id"] for d in admin.client.get("/admin/api/documents", headers=auth()).json()["documents"]]
    for doc_id in doc_ids[:-1]:
        assert admin.client.delete(f"/admin/api/documents/{doc_id}", headers=auth()).status_code == 200
    assert admin.reindexer.wait(10)
    before, builds = snapshot(admin.data), len(admin.builds)

    r = admin.client.delete(f"/admin/api/documents/{doc_ids[-1]}", headers=auth())
    assert r.status_code == 409
    assert r.json()["error"] == ("Không thể xóa văn bản cuối cùng: kho văn bản phải còn ít nhất một văn bản. "
                                 "Hãy thêm văn bản mới trước.")
    assert admin.reindexer.wait(10) and len(admin.builds) == builds and snapshot(admin.data) == before
    listed = admin.client.get("/admin/api/documents", headers=auth()).json()["documents"]
    assert [d["doc_id"] for d in listed] == doc_ids[-1:]


def test_requests_during_a_build_lead_to_one_more_build(tmp_path):
    from rag.app.admin import Reindexer

    started, release, builds = threading.Event(), threading.Event(), []

    def build():
        builds.append(1)
        started.set()
        release.wait(10)

    reindexer = Reindexer(SimpleNamespace(reload_index=lambda: True), build)
    reindexer.request()
    assert started.wait(10)
    reindexer.request()
    reindexer.request()
    release.set()
    assert reindexer.wait(10) and len(builds) == 2 and reindexer.status()["state"] == "idle"


def test_a_failed_build_is_reported_and_the_next_request_retries(tmp_path):
    from rag.app.admin import Reindexer

    outcomes = [RuntimeError("boom"), None]

    def build():
        outcome = outcomes.pop(0)
        if outcome:
            raise outcome

    reindexer = Reindexer(SimpleNamespace(reload_index=lambda: True, corpus_hash="a"), build)
    reindexer.request()
    assert reindexer.wait(10) and reindexer.status()["state"] == "failed"
    assert "chat vẫn dùng chỉ mục cũ" in reindexer.status()["error"]
    reindexer.request()
    assert reindexer.wait(10) and reindexer.status() == {"state": "idle", "error": "", "builds": 1}


def test_the_writer_builds_a_corpus_left_unbuilt_but_not_again_after_failing_on_it():
    """A writer killed between its acknowledged upload and its build had left every replica answering
    from the old index: the replica with the admin page now builds when the corpus on disk is not
    the one answered from, unless its last build failed on this very corpus."""
    from rag.app.admin import Reindexer

    outcomes = [RuntimeError("disk full"), None]
    service = SimpleNamespace(reload_index=lambda: True, corpus_hash="corpus-1")

    def build():
        if outcome := outcomes.pop(0):
            raise outcome

    reindexer = Reindexer(service, build)
    reindexer.catch_up()
    assert reindexer.wait(10) and reindexer.status()["state"] == "failed"
    reindexer.catch_up()  # the same corpus: not built again every ten seconds
    assert reindexer.wait(10) and outcomes == [None]
    service.corpus_hash = "corpus-2"  # the corpus changed (the admin mended it)
    reindexer.catch_up()
    assert reindexer.wait(10) and reindexer.status() == {"state": "idle", "error": "", "builds": 1}


def test_the_real_build_uses_a_snapshot_with_the_same_corpus_hash(tmp_path, monkeypatch):
    import rag.search.index as index_module
    from rag.app.admin import Reindexer
    from rag.documents.corpus import corpus_hash

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    seen = []
    monkeypatch.setattr(index_module, "build_index", lambda settings, embedder=None, progress=True: seen.append(
        (settings.data_dir, corpus_hash(settings.data_dir), embedder)))
    embedder = object()
    service = SimpleNamespace(settings=dataclasses.replace(load_settings(env={}), data_dir=data,
                                                           index_dir=tmp_path / "index"),
                              assistant=SimpleNamespace(retriever=SimpleNamespace(embedder=embedder)),
                              reload_index=lambda: True)
    reindexer = Reindexer(service)
    reindexer.request()
    assert reindexer.wait(10) and reindexer.status()["state"] == "idle"
    (snapshot_dir, digest, used), = seen
    assert snapshot_dir != data and digest == corpus_hash(data) and used is embedder
    assert not snapshot_dir.exists()  # the snapshot is removed after the build


@pytest.mark.parametrize("header, token, ok", [
    (f"Bearer {TOKEN}", TOKEN, True), (f"Bearer {TOKEN} ", TOKEN, True), ("Bearer x", TOKEN, False),
    (None, TOKEN, False), ("Bearer ", "", False), ("Bearer", TOKEN, False), (TOKEN, TOKEN, False),
    (f"bearer {TOKEN}", TOKEN, True), (f"BEARER {TOKEN}", TOKEN, True),  # the scheme in any case (RFC 7235)
    (f"Basic {TOKEN}", TOKEN, False), (f"Bearer {TOKEN}x", TOKEN, False),
])
def test_bearer_token_check(header, token, ok):
    assert bearer_ok(header, token) is ok


def test_an_address_that_keeps_sending_wrong_tokens_is_held_off(admin):
    """60 wrong tokens in a row had all been tried: after ADMIN_FAILURES_PER_MINUTE the address gets
    429 for a minute, the right token too (else a guess that succeeds would still be told apart)."""
    from rag.app.admin import ADMIN_FAILURES_PER_MINUTE

    codes = [admin.client.get("/admin/api/documents", headers=auth(f"guess-{i}")).status_code
             for i in range(ADMIN_FAILURES_PER_MINUTE + 2)]
    assert codes[:ADMIN_FAILURES_PER_MINUTE] == [403] * ADMIN_FAILURES_PER_MINUTE and codes[-1] == 429
    held = admin.client.get("/admin/api/documents", headers=auth())
    assert held.status_code == 429 and "thử lại sau" in held.json()["detail"]


def test_upload_guard_refuses_gradio_uploads_without_the_token():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()
    hits = []

    @app.post("/gradio_api/upload")
    def gradio_upload():
        hits.append(1)
        return ["/tmp/gradio/x"]

    @app.post("/gradio_api/queue/join")
    def join():
        return {"ok": True}

    app.add_middleware(UploadGuard, token=TOKEN)
    client = TestClient(app)
    files = {"files": ("a.txt", b"x" * 1000)}
    assert client.post("/gradio_api/upload", files=files).status_code == 403
    assert client.post("/gradio_api/upload", files=files, headers=auth("no")).status_code == 403
    assert client.post("/gradio_api/upload", content=b"raw").status_code == 403
    assert client.post("/gradio_api/queue/join", files=files).status_code == 403  # any multipart body
    assert hits == []
    assert client.post("/gradio_api/queue/join", json={"data": []}).status_code == 200  # the chat still works
    assert client.post("/gradio_api/upload", files=files, headers=auth()).status_code == 200 and hits == [1]
    assert is_upload({"method": "POST", "path": "//gradio_api//upload/", "headers": []})


def test_the_rebuild_is_reported_done_only_once_the_chat_uses_it():
    """"chỉ mục đã cập nhật" had been shown while the chat still answered from the old index."""
    from rag.app.admin import Reindexer

    seen = []
    reindexer = Reindexer(SimpleNamespace(reload_index=lambda: seen.append(reindexer.status()["state"])), lambda: None)
    reindexer.request()
    assert reindexer.wait(10) and seen == ["building"] and reindexer.status()["state"] == "idle"


def test_the_index_status_the_page_polls_needs_the_token(tmp_path):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    service = SimpleNamespace(settings=dataclasses.replace(load_settings(env={}), data_dir=tmp_path, admin_token="tok"),
                              health=lambda: {"index_version": "v1", "units": 7})
    app = FastAPI()
    mount_admin(app, service, build=lambda: None)
    client = TestClient(app)
    assert client.get("/admin/api/index").status_code == 403
    ok = client.get("/admin/api/index", headers={"Authorization": "Bearer tok"}).json()
    assert ok["state"] == "idle" and ok["units"] == 7
