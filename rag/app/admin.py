"""Admin page: add and remove corpus documents from the browser, and the upload guard of the app.

Mounted by `rag.app.webapp.create_app` only when `RAG_ADMIN_TOKEN` (`Settings.admin_token`) is set.
Every API call needs "Authorization: Bearer <token>"; a missing or wrong token gets HTTP 403 before
anything is read or written.

- `GET /admin`: a small HTML page (token field, upload form, document list) that calls the API below;
- `GET /admin/api/documents`: the corpus documents (`ingest.list_documents`) and the index status;
- `GET /admin/api/index`: the index status alone (the page polls it while a rebuild runs);
- `POST /admin/api/documents`: multipart form with `file` (.docx/.pdf/.html/.txt, at most
  `max_upload_mb`) and optional `doc_id`, `title`, `kind`, `replace`; adds it (`ingest.add_document`) and
  answers with what was parsed (number, dates, chapters, articles, clauses, points, warnings);
  an unreadable file, a scanned PDF, a file that is not what its extension says or a regulation
  without any "Điều" gets the Vietnamese message of `UnreadableDocument`/`ValueError` (HTTP 422);
- `DELETE /admin/api/documents/{doc_id}`: removes it (`ingest.remove_document`); the corpus's last
  document is not removed (HTTP 409 with the reason: an empty corpus has no index to rebuild).

After a change the index is rebuilt in one background thread (`Reindexer`, from a snapshot of the
corpus folder so later edits never mix into a build); the chat keeps answering from the loaded
index and switches when the build is done (`ChatService.reload_index`, also polled every
`index_reload_seconds`).

`UploadGuard` protects Gradio's own upload routes: the chat has no file inputs, yet Gradio accepts
anonymous files on POST /gradio_api/upload and answers with their absolute server paths.

Example:
    $ RAG_ADMIN_TOKEN=s3cret python -m rag serve
    $ curl -H "Authorization: Bearer s3cret" -F file=@luat-99-2024.docx http://127.0.0.1:7860/admin/api/documents
"""
from __future__ import annotations

import collections
import errno
import hmac
import logging
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import Request  # module level: FastAPI resolves the endpoints' (string) annotations here

from rag.app.limits import RateLimiter, client_address

log = logging.getLogger(__name__)
FORBIDDEN = "Cần mã quản trị hợp lệ (Authorization: Bearer …)."
TOO_MANY_FAILURES = "Quá nhiều lần gửi mã quản trị sai; hãy thử lại sau một phút."
ADMIN_FAILURES_PER_MINUTE = 10  # wrong tokens an address may send (a burst of 10, then 10 a minute)
UPLOAD_FORBIDDEN = "Tải tệp lên cần mã quản trị."
_CHAPTER = re.compile(r"^Chương\s+[IVXLCDM\d]+\b")
_SAFE_NAME = re.compile(r"[^\w.\- ]+")
_FORM_OVERHEAD = 64 * 1024  # bytes a multipart body may carry beyond the file (boundaries, small fields)


def bearer_ok(authorization: str | None, token: str) -> bool:
    """True when `authorization` is "Bearer <token>" (the scheme in any case, RFC 7235; the token
    compared in constant time) and a token is configured."""
    if not token or not authorization:
        return False
    scheme, _, given = authorization.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


UPLOAD_PATHS = ("/upload", "/process_recording")  # Gradio's routes that store files


def is_upload(scope: dict) -> bool:
    """Whether an ASGI request sends a file: a POST/PUT/PATCH to an upload path, or any multipart body."""
    if scope.get("method", "GET").upper() not in ("POST", "PUT", "PATCH"):
        return False
    path = re.sub(r"/+", "/", scope.get("path", "")).rstrip("/")
    if path.endswith(UPLOAD_PATHS):
        return True
    content_type = next((v for k, v in scope.get("headers", []) if k.lower() == b"content-type"), b"")
    return content_type.lower().lstrip().startswith(b"multipart/")


class UploadGuard:
    """ASGI middleware: file uploads need the admin token.

    Refused with 403, before any byte of the body is read, unless "Authorization: Bearer <admin_token>"
    is sent: every request `is_upload` says sends a file."""

    def __init__(self, app, token: str = ""):
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and is_upload(scope):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            if not bearer_ok(headers.get("authorization"), self.token):
                from starlette.responses import JSONResponse

                await JSONResponse({"detail": UPLOAD_FORBIDDEN}, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Reindexer:
    """Rebuilds the index in one background thread after corpus changes (requests during a build
    trigger one more build); after each build the service swaps in the new index."""

    def __init__(self, service, build: Callable[[], object] | None = None):
        self.service = service
        self._build = build or self._build_index
        self._lock = threading.Lock()
        self._pending = False
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.state = "idle"  # "building", "idle" or "failed"
        self.error = ""
        self._failed_on = ""  # the corpus hash the last failed build was of
        self.builds = 0

    def request(self) -> None:
        """Rebuild soon (now, or right after the build in progress)."""
        with self._lock:
            self._pending = True
            self.state = "building"
            self._idle.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="admin-reindex", daemon=True)
                self._thread.start()

    def catch_up(self) -> None:
        """Rebuild because the corpus on disk is not the one the chat answers from, unless a build is
        under way or the last one failed on this same corpus. Why: a writer killed between its
        acknowledged edit and its build (or a `rag add --no-build`) had left every replica answering
        from the old index indefinitely, /health saying only `index_current: false`."""
        if self.state == "building" or (self.state == "failed" and self._failed_on == self.service.corpus_hash):
            return
        self.request()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no build is pending or running; False on timeout."""
        return self._idle.wait(timeout)

    def status(self) -> dict:
        return {"state": self.state, "error": self.error, "builds": self.builds}

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._thread = None
                    self._idle.set()
                    return
                self._pending = False
                self.state = "building"
            try:
                self._build()
                self.builds += 1
                self.service.reload_index()  # then "idle": the page said "updated" while the chat was not yet
                self.state, self.error = "idle", ""
            except Exception as e:  # noqa: BLE001 - the chat keeps the loaded index; the page shows the error
                log.exception("index rebuild failed")
                self.state, self._failed_on = "failed", self.service.corpus_hash
                self.error = f"Không xây dựng lại được chỉ mục ({e.__class__.__name__}); chat vẫn dùng chỉ mục cũ."

    def _build_index(self) -> None:
        """Build with the loaded embedding model from a snapshot of the corpus folder, into the
        service's index folder (replaced atomically); nothing when another writer has built the
        corpus as it is already."""
        from rag.search.index import update_index

        update_index(self.service.settings, embedder=self.service.assistant.retriever.embedder, progress=False,
                     snapshot=True)


def parsed_report(result: dict, corpus_dir: Path) -> dict:
    """What `add_document` stored, as the admin should check it: number, dates, counts of chapters,
    articles, clauses and points, the article headings, warnings."""
    from rag.documents.corpus import Document, shown_title
    from rag.documents.outline import article_heading
    from rag.documents.parse import parse_document

    text = (Path(corpus_dir) / result["file"]).read_text(encoding="utf-8")
    title = shown_title(result["doc_id"], result["title"])  # parsed as the index will parse it
    units = parse_document(Document(result["doc_id"], result["file"], result["kind"], title, text))
    kinds = collections.Counter(u.kind for u in units)
    meta = result.get("meta") or {}
    return {
        "doc_id": result["doc_id"], "title": result["title"], "kind": result["kind"], "file": result["file"],
        "number": meta.get("number"), "type": meta.get("doc_type"), "issuer": meta.get("issuer"),
        "issued": meta.get("issued"), "effective": meta.get("effective"), "replaces": meta.get("replaces") or [],
        "chapters": sum(bool(_CHAPTER.match(line.strip())) for line in text.splitlines()),
        "articles": kinds["article"], "clauses": kinds["clause"], "points": kinds["point"],
        "paragraphs": kinds["paragraph"], "units": len(units),
        "article_headings": [(f"{u.annex}: " if u.annex else "") + article_heading(u)[:160]
                             for u in units if u.kind == "article"][:300],
        "warnings": list(result.get("warnings") or []),
    }


def _upload_name(filename: str | None) -> str:
    """The uploaded file's own name (no folders, no odd characters): its extension picks the reader and
    its stem is the doc_id when the text states no number."""
    name = _SAFE_NAME.sub("_", Path((filename or "").replace("\\", "/")).name).strip(" .")[:120]
    return name or "tai-lieu.txt"


def mount_admin(app, service, build: Callable[[], object] | None = None) -> Reindexer:
    """Add /admin and /admin/api/... to the FastAPI `app`; `service` is the ChatService (its settings,
    its embedding model for rebuilds, `reload_index`). `build` replaces the real index build (tests)."""
    from fastapi import HTTPException
    from fastapi.responses import HTMLResponse, JSONResponse
    from starlette.concurrency import run_in_threadpool

    from rag.documents.ingest import LastDocument, add_document, list_documents, remove_document

    settings = service.settings
    reindexer = Reindexer(service, build)
    service.on_stale = reindexer.catch_up  # this replica is the writer: it also builds what others left undone
    max_bytes = settings.max_upload_mb * 1024 * 1024

    failures = RateLimiter(ADMIN_FAILURES_PER_MINUTE, ADMIN_FAILURES_PER_MINUTE)
    blocked: dict[str, float] = {}  # address → when it may try a token again

    def require_token(request: Request) -> None:
        """403 without the right token. An address that sent more than ADMIN_FAILURES_PER_MINUTE wrong
        ones gets 429 for a minute, whatever it sends (60 wrong tokens in a row had all been tried)."""
        address, now = client_address(request, settings), time.monotonic()
        if blocked.get(address, 0.0) > now:
            raise HTTPException(status_code=429, detail=TOO_MANY_FAILURES)
        if not bearer_ok(request.headers.get("authorization"), settings.admin_token):
            if not failures.allow(address):
                for key in [k for k, until in blocked.items() if until <= now]:
                    del blocked[key]
                blocked[address] = now + 60.0
            raise HTTPException(status_code=403, detail=FORBIDDEN)

    def refuse(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.get("/admin", response_class=HTMLResponse, include_in_schema=False)
    def admin_page() -> HTMLResponse:
        return HTMLResponse(PAGE.replace("{max_mb}", str(settings.max_upload_mb)),
                            headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})

    @app.get("/admin/api/index")
    def index_status(request: Request) -> dict:
        """What the page polls while a rebuild runs (listing documents parses every one of them)."""
        require_token(request)
        return _index_status(service, reindexer)

    @app.get("/admin/api/documents")
    def documents(request: Request) -> dict:
        require_token(request)
        return {"documents": list_documents(settings.data_dir), "index": _index_status(service, reindexer)}

    @app.post("/admin/api/documents")
    async def upload(request: Request):
        require_token(request)
        too_big = f"Tệp quá lớn: tối đa {settings.max_upload_mb} MB."
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            return refuse(411, "Thiếu độ dài yêu cầu (Content-Length).")
        if int(length) > max_bytes + _FORM_OVERHEAD:
            return refuse(413, too_big)
        try:
            form = await request.form(max_files=1, max_fields=10)
        except Exception:  # noqa: BLE001 - malformed multipart body
            return refuse(400, "Yêu cầu không đúng định dạng: cần một biểu mẫu multipart có trường “file”.")
        upload_file = form.get("file")
        if upload_file is None or isinstance(upload_file, str):
            return refuse(400, "Chưa chọn tệp (trường “file”).")
        fields = {k: (str(form.get(k)).strip() or None) if form.get(k) is not None else None
                  for k in ("doc_id", "title", "kind")}
        fields["replace"] = str(form.get("replace") or "").lower() in ("1", "true", "on", "yes")
        with tempfile.TemporaryDirectory(prefix="rag-upload-") as tmp:
            path = Path(tmp) / _upload_name(upload_file.filename)
            if not await _save_upload(upload_file, path, max_bytes):
                return refuse(413, too_big)
            try:
                def add() -> dict:  # add_document holds the corpus lock (other processes edit it too)
                    return parsed_report(add_document(path, settings.data_dir, **fields), settings.data_dir)

                report = await run_in_threadpool(add)
            except ValueError as e:  # UnreadableDocument is a ValueError; both messages are for the user
                return refuse(422, str(e))
            except OSError as e:
                return refuse(500, _not_written(e))
        return changed({"document": report})

    @app.delete("/admin/api/documents/{doc_id:path}")
    def delete(doc_id: str, request: Request):
        require_token(request)
        try:
            removed = remove_document(doc_id, settings.data_dir)
        except KeyError as e:
            return refuse(404, str(e.args[0]) if e.args else f"Không có văn bản “{doc_id}”.")
        except LastDocument as e:  # the corpus is as it was; nothing to rebuild
            return refuse(409, str(e))
        except ValueError as e:
            return refuse(422, str(e))
        except OSError as e:
            return refuse(500, _not_written(e))
        return changed({"removed": removed})

    def changed(reply: dict) -> dict:
        """After an edit: /health says at once that the index is not of the corpus any more (it said
        so only at the next check), and the rebuild starts."""
        service.check_corpus()
        reindexer.request()
        return {**reply, "index": _index_status(service, reindexer)}

    return reindexer


def _not_written(e: OSError) -> str:
    """What the admin is told when the corpus folder could not be changed (no path: it is a web page)."""
    log.warning("corpus not written (%s)", e.__class__.__name__)
    if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "Thư mục văn bản của máy chủ này chỉ đọc hoặc không có quyền ghi: hãy thêm, xóa văn bản ở máy chủ quản trị."
    return "Không ghi được văn bản vào kho (đĩa đầy hoặc lỗi lưu trữ); vui lòng thử lại sau."


async def _save_upload(upload_file, path: Path, max_bytes: int) -> bool:
    """Stream the upload to `path` a megabyte at a time; False as soon as it passes `max_bytes`
    (a client may lie in Content-Length, so the body itself is counted)."""
    size = 0
    with path.open("wb") as out:
        while chunk := await upload_file.read(1024 * 1024):
            size += len(chunk)
            if size > max_bytes:
                return False
            out.write(chunk)
    return True


def _index_status(service, reindexer: Reindexer) -> dict:
    """The rebuild state and the version the chat answers from."""
    health = service.health() if hasattr(service, "health") else {}
    return {**reindexer.status(), "loaded": health.get("index_version"), "units": health.get("units")}


PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Quản trị văn bản</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; max-width: 960px; margin: 2em auto; padding: 0 1em; }
fieldset { margin: 1em 0; } label { display: block; margin: .4em 0; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: 4px; text-align: left; }
.error { color: #b00020; } .warn { color: #8a5300; } pre { white-space: pre-wrap; background: #f6f6f6; padding: .5em; }
</style></head><body>
<h1>Quản trị văn bản</h1>
<fieldset><legend>Mã quản trị</legend>
<label>Mã (RAG_ADMIN_TOKEN): <input id="token" type="password" autocomplete="off" size="40"></label>
<button id="load">Xem danh sách</button></fieldset>
<fieldset><legend>Thêm văn bản (.docx, .pdf, .html, .txt; tối đa {max_mb} MB)</legend>
<label>Tệp: <input id="file" type="file" accept=".docx,.pdf,.html,.htm,.txt"></label>
<label>Mã văn bản (không bắt buộc): <input id="doc_id" size="30"></label>
<label>Tiêu đề (không bắt buộc): <input id="title" size="60"></label>
<label>Loại (không bắt buộc): <select id="kind"><option value="">tự nhận biết</option><option>law</option>
<option>decree</option><option>circular</option><option>decision</option><option>news</option><option>other</option></select></label>
<label><input id="replace" type="checkbox"> Thay thế văn bản cùng mã đã có trong kho (bản cũ được lưu lại)</label>
<button id="upload">Tải lên</button></fieldset>
<div id="message" role="status"></div>
<div id="report"></div>
<h2>Văn bản trong kho</h2><p id="index"></p>
<table><thead><tr><th>Mã</th><th>Loại</th><th>Tiêu đề</th><th>Số đơn vị</th><th>Số điều</th><th>Hiệu lực</th><th></th></tr></thead>
<tbody id="docs"></tbody></table>
<script>
const $ = (id) => document.getElementById(id);
function headers() { return {"Authorization": "Bearer " + $("token").value}; }
function show(text, cls) { const m = $("message"); m.textContent = text; m.className = cls || ""; }
function cell(row, text) { const td = document.createElement("td"); td.textContent = text == null ? "" : String(text); row.appendChild(td); return td; }
async function call(method, url, body) {
  const r = await fetch(url, {method, headers: headers(), body});
  let data = {}; try { data = await r.json(); } catch (e) {}
  if (!r.ok) throw new Error(data.error || data.detail || ("HTTP " + r.status));
  return data;
}
function showIndex(ix) {
  if (!ix) return;
  const state = {building: "đang xây dựng lại chỉ mục…", idle: "chỉ mục đã cập nhật", failed: ix.error}[ix.state] || ix.state;
  $("index").textContent = "Chỉ mục: " + state + (ix.units ? " · chat đang dùng " + ix.units + " đơn vị" : "");
  if (ix.state === "building" && !watching) {  // poll until the rebuild is done and the chat uses it
    watching = true;
    setTimeout(async () => { watching = false; try { showIndex(await call("GET", "/admin/api/index")); } catch (e) {} }, 3000);
  }
}
let watching = false;
async function refresh() {
  try {
    const data = await call("GET", "/admin/api/documents");
    if ($("message").className === "error") show("");  // an earlier error (a wrong token) no longer holds
    const body = $("docs"); body.textContent = "";
    for (const d of data.documents) {
      const row = document.createElement("tr");
      [d.doc_id, d.kind, d.title, d.units, d.articles, d.effective].forEach((v) => cell(row, v));
      const b = document.createElement("button"); b.textContent = "Xóa";
      b.onclick = async () => {
        if (!confirm("Xóa văn bản " + d.doc_id + "?")) return;
        try { const r = await call("DELETE", "/admin/api/documents/" + d.doc_id.split("/").map(encodeURIComponent).join("/"));
              show("Đã xóa " + r.removed.doc_id + ". Chỉ mục đang được xây dựng lại."); showIndex(r.index); refresh(); }
        catch (e) { show(e.message, "error"); }
      };
      cell(row, "").appendChild(b); body.appendChild(row);
    }
    showIndex(data.index);
  } catch (e) { show(e.message, "error"); }
}
$("load").onclick = refresh;
$("upload").onclick = async () => {
  const f = $("file").files[0];
  if (!f) { show("Chưa chọn tệp.", "error"); return; }
  const form = new FormData(); form.append("file", f);
  for (const k of ["doc_id", "title", "kind"]) if ($(k).value) form.append(k, $(k).value);
  if ($("replace").checked) form.append("replace", "1");
  show("Đang đọc tệp…");
  try {
    const r = await call("POST", "/admin/api/documents", form);
    const d = r.document;
    show("Đã thêm " + d.doc_id + ". Chỉ mục đang được xây dựng lại; chat vẫn trả lời theo chỉ mục cũ cho tới khi xong.");
    const lines = ["Mã: " + d.doc_id, "Tiêu đề: " + (d.title || "không ghi"), "Loại: " + d.kind, "Số hiệu: " + (d.number || "không ghi"),
      "Ban hành: " + (d.issued || "không ghi") + " · Hiệu lực: " + (d.effective || "không ghi"),
      "Chương: " + d.chapters + " · Điều: " + d.articles + " · Khoản: " + d.clauses + " · Điểm: " + d.points,
      ...d.warnings.map((w) => "Cảnh báo: " + w), "", ...d.article_headings];
    const pre = document.createElement("pre"); pre.textContent = lines.join("\\n");
    $("report").textContent = ""; $("report").appendChild(pre); showIndex(r.index); refresh();
  } catch (e) { show(e.message, "error"); }
};
</script></body></html>
"""
