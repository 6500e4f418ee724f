"""The Gradio chat (Vietnamese UI): streaming answers, clickable citations, feedback, health check.

Why it is built this way:
- the UI only formats; every answer comes from `Assistant.stream`, the same API as the CLI/eval;
- each answer carries its own sources panel (<details> per citation); a click on [n] opens and
  highlights the matching source (a small script in <head>); abstentions have no panel;
- every answer shown is recorded in the SQLite feedback store (`answers` table, with its session);
  👍/👎 (Chatbot.like) find it from the id embedded in the message, comments from the session's
  latest answer, and only the session that received an answer can rate it: nothing about answers
  lives in process memory, so feedback survives restarts and several workers;
- the FastAPI app that hosts Gradio also serves GET /health (index, models, feedback store);
- Gradio's queue bounds concurrency; LLM answers additionally pass a small gate (`LLMGate`), so
  slow LLM answers never take the workers extractive answers need; bad input and too-fast
  resubmits or feedback get a short message;
- the local LLM is loaded and primed in the background at start; until it is ready, "auto" answers
  extractively and says so;
- a background thread swaps in a fresh `Assistant` when `index/current` holds a new build (hot reload);
- uploads need the admin token (`rag.app.admin.UploadGuard`); `/admin` exists only with a token.
"""
from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable

import gradio as gr

from rag.answers.assistant import FAILED_NOTE, Answer, Assistant, LLMFailed
from rag.app.feedback import COMMENT_CHARS, FeedbackStore
from rag.app.limits import LLMGate, RateLimiter, client_address
from rag.query.question import BadQuestion, clean_question
from rag.settings import ANSWER_MODES, Settings, get_settings
from rag.text import thousands

log = logging.getLogger(__name__)
FEEDBACK_NOT_FOUND = "Không tìm thấy câu trả lời để ghi nhận góp ý."
FEEDBACK_TOO_FAST = "Bạn gửi góp ý quá nhanh. Vui lòng chờ một chút rồi thử lại."
FEEDBACK_FAILED = "Không lưu được góp ý, vui lòng thử lại sau."
FEEDBACK_NO_RATING = "Không nhận được đánh giá 👍 hoặc 👎."
LLM_BUSY = "Mô hình ngôn ngữ đang bận, vui lòng thử lại sau hoặc dùng chế độ trích xuất."
LLM_BUSY_NOTE = "Mô hình ngôn ngữ đang bận; câu trả lời này dùng chế độ trích xuất."
LLM_WARMING_NOTE = "Mô hình ngôn ngữ đang khởi động; câu trả lời này dùng chế độ trích xuất."
LLM_UNUSABLE = "Chế độ mô hình ngôn ngữ không dùng được"  # how rag.answers.llm says why no LLM can be used
BAD_MODE = "Chế độ trả lời không hợp lệ. Hãy chọn: " + ", ".join(ANSWER_MODES) + "."
NOT_TEXT = "Câu hỏi phải là một đoạn văn bản."
# No /docs, /redoc or /openapi.json, on the host app or Gradio's: they listed the admin API to anyone
# (the chat's own API is described at /gradio_api/info, as Gradio's clients expect).
NO_API_MAP = {"docs_url": None, "redoc_url": None, "openapi_url": None}
LLM_RETRY_SECONDS = 60.0  # after a failed LLM warm-up, "auto" answers extractively this long before trying again
NOTE = "Câu trả lời chỉ mang tính tham khảo và luôn trích dẫn điều khoản gốc; bấm vào [1], [2]… để xem nguyên văn."
LLM_STATUS = {"ready": "sẵn sàng", "not configured": "chưa cài đặt", "unreachable": "không kết nối được",
              "not installed": "chưa cài thư viện"}
MODE_LABELS = {"auto": "Tự động", "extractive": "Trích xuất (nhanh)", "llm": "Mô hình ngôn ngữ"}
TOO_FAST = "Bạn gửi câu hỏi quá nhanh. Vui lòng chờ một chút rồi gửi lại."
INTERNAL_ERROR = "Xin lỗi, đã có lỗi khi xử lý câu hỏi. Vui lòng thử lại."
_MSG_ID = re.compile(r'data-msg="([0-9a-f]{12})"')
HEAD = """
<script>
document.addEventListener('click', function (e) {
  const a = e.target.closest('a.cite');
  if (!a || !a.getAttribute('href').startsWith('#src-')) return;
  e.preventDefault();
  const d = document.getElementById(a.getAttribute('href').slice(1));
  if (!d) return;
  d.open = true;
  d.classList.add('flash');
  d.scrollIntoView({block: 'nearest', behavior: 'smooth'});
  setTimeout(function () { d.classList.remove('flash'); }, 2000);
});
</script>
"""
CSS = """
.sources details { border-left: 3px solid #9aa5b1; padding: 2px 8px; margin: 4px 0; }
.sources details.flash { background: #fff3bf; border-left-color: #f08c00; }
.sources .crumb { font-size: 0.85em; color: #555; }
a.cite { text-decoration: none; font-weight: 600; }
@media (max-width: 640px) { #chat { height: 50vh !important; } }
"""


def render(answer: Answer, msg_id: str) -> str:
    """Answer text with [n] as links, then a sources panel (nothing for abstentions)."""
    text = html.escape(answer.text)
    text = re.sub(r"\[(\d+)\]", lambda m: f'<a class="cite" href="#src-{msg_id}-{m.group(1)}">[{m.group(1)}]</a>', text)
    text = re.sub(r"(?m)^ +", lambda m: "&nbsp;" * 2 * len(m.group(0)), text)  # nested items (an outline's) stay nested
    parts = [f'<div data-msg="{msg_id}">' + text.replace("\n", "<br>") + "</div>"]
    if answer.understood:
        parts.insert(0, f'<div class="understood">Câu hỏi được hiểu là: “{html.escape(answer.understood)}”</div>')
    if answer.citations:
        parts.append('<div class="sources"><b>Nguồn trích dẫn</b>')
        for c in answer.citations:
            where = _source_line(c)
            footer = f'<div class="crumb">{html.escape(where)}</div>' if where != c.breadcrumb else ""
            quote = html.escape(_shown(c.quote)).replace("\n", "<br>")
            parts.append(f'<details id="src-{msg_id}-{c.n}"><summary>[{c.n}] {html.escape(_summary(c))}'
                         f'</summary><div class="crumb">{html.escape(c.breadcrumb)}</div>'
                         f'<blockquote>{quote}</blockquote>{footer}{_referenced(c)}</details>')
        parts.append("</div>")
    parts.append(f"<sub>Chế độ: {MODE_LABELS.get(answer.mode, answer.mode)}"
                 + (f" · {html.escape(answer.note)}" if answer.note else "") + "</sub>")
    return "\n".join(parts)


def _referenced(c) -> str:
    """The units the quote refers to inside its document, each folded under its address."""
    return "".join(f'<details class="ref"><summary>Dẫn chiếu: {html.escape(r.label)}</summary>'
                   f'<blockquote>{html.escape(r.quote).replace(chr(10), "<br>")}</blockquote></details>' for r in c.refs)


def _summary(c) -> str:
    """"Điều 7, khoản 2 — Thông tư 10/2025/TT-BKHCN"; a paragraph's label already names its document
    ("Lai Châu: … (đoạn 4)"), by the name the answer uses: a news title had been shown twice."""
    if c.title and c.label.startswith(c.title):
        return (c.document or c.title) + c.label[len(c.title):]
    return f"{c.label} — {c.document}" if c.label and c.document else (c.label or c.title or c.doc_id)


def _source_line(c) -> str:
    """Under a quote: the news title and date, or the document's title, number and date of effect."""
    if c.article is None and c.title and c.title == c.document:  # a news paragraph
        return f"{c.title} ({c.date})" if c.date else c.title
    effect = f"hiệu lực từ {c.date}" if c.date else "ngày hiệu lực: không rõ"
    return f"{c.title} · số {c.doc_id} · {effect}"


class ChatService:
    """Per-process state of the app: the assistant (swapped when the index is rebuilt), the LLM gate and
    warm-up, rate limits. Answers and feedback live in the SQLite store, not here."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None):
        self.settings = settings
        self.assistant = assistant or Assistant(settings)
        self.feedback = FeedbackStore(settings.feedback_db, timeout=settings.feedback_timeout)
        self.feedback_ok = True  # False after a failed write until a write succeeds again (/health: "degraded")
        self.index_current: bool | None = None  # the loaded index is of the corpus as it is now (/health)
        self._corpus: tuple[tuple, str] = ((), "")  # `corpus_stamp` and `corpus_hash` when last hashed
        self.on_stale: Callable[[], None] | None = None  # the admin's rebuild, on the replica that writes
        self.session_limit = RateLimiter(settings.session_questions_per_minute, settings.session_question_burst)
        self.address_limit = RateLimiter(settings.address_questions_per_minute, settings.address_question_burst)
        self.feedback_limit = RateLimiter(settings.feedback_per_minute, max(1, int(settings.feedback_per_minute // 2)))
        self.llm_gate = LLMGate(settings.llm_queue_size, settings.llm_queue_max_waiting)
        self.llm_state = "off"  # "warming" while the LLM loads in the background, then "ready" or "failed"
        self._llm_failed_at = 0.0
        self._llm_load = threading.Lock()  # one LLM load at a time (warm-up thread, explicit "llm" answers, reloads)
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self.loaded = False
        self.request_log = _request_logger(settings)

    # --- start and stop -----------------------------------------------------------------------
    def warm_up(self) -> None:
        """Load the index and the embedding model; check that the feedback store can be written."""
        self.assistant.warm_up()
        self.loaded = True
        self.check_corpus()
        try:
            self._store_call(self.feedback.check)
        except FeedbackUnavailable:
            pass  # the chat still answers; /health says "degraded" and feedback gets a short message

    def start_background(self) -> None:
        """Start the index watcher and, when the default mode may use an available LLM, its warm-up."""
        from rag.answers.llm import llm_available

        if self.settings.answer_mode != "extractive" and llm_available(self.settings)[0]:
            self.start_llm_warm_up()
        if self.settings.index_reload_seconds > 0:
            threading.Thread(target=self._watch_index, name="index-reload", daemon=True).start()

    def stop(self) -> None:
        """Stop the background index watcher."""
        self._stop.set()

    # --- the LLM: warm-up and loading ---------------------------------------------------------
    def start_llm_warm_up(self) -> bool:
        """Load the LLM (and evaluate its prompt prefix) in a background thread; False when it is already
        loading or loaded, or failed less than LLM_RETRY_SECONDS ago."""
        with self._lock:
            if self.llm_state in ("warming", "ready") or (
                    self.llm_state == "failed" and time.monotonic() - self._llm_failed_at < LLM_RETRY_SECONDS):
                return False
            self.llm_state = "warming"
        threading.Thread(target=self._warm_llm, name="llm-warm-up", daemon=True).start()
        return True

    def _warm_llm(self) -> None:
        try:
            self._llm_backend(None)  # the current assistant, chosen under the load lock (a reload may swap it)
        except Exception as e:  # noqa: BLE001 - a failed warm-up means extractive answers, not a crash
            log.warning("LLM warm-up failed (%s); auto mode answers extractively", e.__class__.__name__)
            with self._lock:
                self.llm_state, self._llm_failed_at = "failed", time.monotonic()

    def _llm_backend(self, assistant: Assistant | None):
        """`assistant`'s (default: the current one's) LLM backend, loaded once (the local model also
        evaluates its prompt prefix); raises RuntimeError saying why when no LLM can be used."""
        with self._llm_load:
            backend = (assistant or self.assistant).llm_backend()
            with self._lock:
                self.llm_state = "ready"
        return backend

    def _route(self, mode: str) -> tuple[str | None, str, bool]:
        """(mode for the assistant, note to add to the answer, whether the LLM gate was entered).
        A mode of None means: refuse, the LLM is busy."""
        from rag.answers.llm import llm_available

        if mode == "auto":
            if not llm_available(self.settings)[0]:
                return "auto", "", False  # the assistant answers extractively (and logs why)
            if self.llm_state != "ready":
                self.start_llm_warm_up()
                return "extractive", (LLM_WARMING_NOTE if self.llm_state == "warming" else FAILED_NOTE), False
        elif mode != "llm":
            return mode, "", False
        if self.llm_gate.enter():
            return mode, "", True
        return (None, "", False) if mode == "llm" else ("extractive", LLM_BUSY_NOTE, False)

    # --- answers ------------------------------------------------------------------------------
    def too_fast(self, session: str, address: str) -> bool:
        """Over the question limit of this session or of this client address."""
        return not (self.session_limit.allow(session) and self.address_limit.allow(address))

    def respond(self, message: str, history: list[dict], mode: str, session: str, address: str = "local"):
        """Yield the growing answer as HTML; errors become one short Vietnamese sentence."""
        if self.too_fast(session, address):
            yield TOO_FAST
            return
        assistant = self.assistant  # one assistant per answer, even when a reload swaps it meanwhile
        requested = mode or self.settings.answer_mode
        if requested not in ANSWER_MODES:
            yield BAD_MODE
            return
        if not isinstance(message, str):  # an API client's list or object is not read as text
            yield NOT_TEXT
            return
        try:
            clean_question(message, self.settings.max_question_chars)  # bad input never waits for the LLM
        except BadQuestion as e:
            yield str(e)
            return
        mode, note, gated = self._route(requested)
        if mode is None:
            yield LLM_BUSY
            return
        try:
            yield from self._answer(assistant, message, history, mode, note, session)
        finally:
            if gated:
                self.llm_gate.leave()

    def _answer(self, assistant: Assistant, message: str, history: list[dict], mode: str, note: str, session: str):
        msg_id, t0 = uuid.uuid4().hex[:12], time.perf_counter()
        try:
            if mode == "llm" and self.llm_state != "ready":
                self._llm_backend(assistant)  # load it here, once, rather than inside the assistant
            shown = ""
            for chunk in assistant.stream(message, _plain_history(history), mode):
                if isinstance(chunk, Answer):
                    if note:
                        chunk = dataclasses.replace(chunk, note=f"{chunk.note} {note}".strip())
                    self._remember(session, msg_id, chunk)
                    self.request_log.info(json.dumps({
                        "ts": time.strftime("%Y-%m-%dT%H:%M:%S"), "latency_ms": round((time.perf_counter() - t0) * 1000),
                        "mode": chunk.mode, "abstained": chunk.abstained, "question": chunk.question}, ensure_ascii=False))
                    yield render(chunk, msg_id)
                else:
                    shown += chunk  # inside an HTML block, as the final answer: Markdown is not applied there
                    yield "<div>" + html.escape(shown).replace("\n", "<br>") + "</div>"  # (a quoted "![](http://…)" had
                    # become an image fetched from that server while the answer streamed)
        except (BadQuestion, LLMFailed) as e:
            yield str(e)
        except RuntimeError as e:
            if str(e).startswith(LLM_UNUSABLE):  # "llm" chosen but none can be used: say why, without the
                yield str(e).split(" (")[0] + "; hãy dùng chế độ Trích xuất."  # operator's how-to in brackets
            else:
                log.exception("answer failed")
                yield INTERNAL_ERROR
        except Exception:  # noqa: BLE001 - one user's failure must not surface a traceback
            log.exception("answer failed")
            yield INTERNAL_ERROR

    def _remember(self, session: str, msg_id: str, answer: Answer) -> None:
        """Record the answer shown (votes and comments look it up); a failing store never hides the answer."""
        try:
            self._store_call(lambda: self.feedback.record_answer(
                msg_id=msg_id, session=session, question=answer.question, answer=answer.text,
                citations=_labels(answer), mode=answer.mode))
        except FeedbackUnavailable:
            pass

    # --- feedback -----------------------------------------------------------------------------
    def _store_call(self, call):
        """Run one write to the feedback store: a failure is logged (its kind only, never a path) and makes
        /health say "degraded" until a write succeeds again."""
        try:
            result = call()
        except Exception as e:  # noqa: BLE001 - read-only file, missing folder, lock timeout, full disk...
            log.warning("feedback store failed (%s)", e.__class__.__name__)
            self.feedback_ok = False
            raise FeedbackUnavailable from e
        self.feedback_ok = True
        return result

    def _feedback_on(self, find, rating: int, comment: str, thanks: str) -> str:
        try:
            answer = find()
            if answer is None:
                return FEEDBACK_NOT_FOUND
            self._store_call(lambda: self.feedback.add(
                question=answer["question"], answer=answer["answer"], citations=answer["citations"],
                mode=answer["mode"], rating=rating, comment=comment))
        except Exception as e:  # noqa: BLE001 - the store failed (reading or writing): never a bare "Error"
            if not isinstance(e, FeedbackUnavailable):
                log.warning("feedback store failed (%s)", e.__class__.__name__)
                self.feedback_ok = False
            return FEEDBACK_FAILED
        return thanks

    def vote(self, liked: object, message: object, session: str, address: str = "local") -> str:
        """👍 (liked True or "Like") or 👎 (False or "Dislike") on the answer in `message`, which this
        session must have received."""
        rating = _rating(liked)
        if rating is None:
            return FEEDBACK_NO_RATING
        if not self.feedback_limit.allow(address):
            return FEEDBACK_TOO_FAST
        msg_id = _message_id(message)
        if msg_id is None:
            return FEEDBACK_NOT_FOUND
        return self._feedback_on(lambda: self.feedback.find_answer(msg_id, session), rating, "",
                                 "Cảm ơn bạn đã đánh giá!")

    def on_like(self, event: object, session: str, address: str = "local") -> str:
        """A like event with any payload: Gradio's event data ({"index", "value", "liked"}), a dict,
        None or junk; never raises."""
        data = getattr(event, "_data", event)  # gr.EventData keeps the raw payload in `_data`
        if not isinstance(data, dict):
            return FEEDBACK_NOT_FOUND
        return self.vote(data.get("liked", True), data.get("value"), session, address)

    def comment(self, text: object, session: str, address: str = "local") -> str:
        """A comment on this session's latest answer."""
        text = "".join(c for c in text if c.isprintable() or c in "\n\t").strip() if isinstance(text, str) else ""
        if not text:
            return "Vui lòng nhập nội dung góp ý."
        if len(text) > COMMENT_CHARS:  # said, not cut silently
            return f"Góp ý quá dài ({len(text)} ký tự; tối đa {COMMENT_CHARS}). Vui lòng rút gọn rồi gửi lại."
        if not self.feedback_limit.allow(address):
            return FEEDBACK_TOO_FAST
        return self._feedback_on(lambda: self.feedback.find_answer(session=session), 0, text,
                                 "Đã lưu góp ý. Cảm ơn bạn!")

    # --- index hot reload ---------------------------------------------------------------------
    def _watch_index(self) -> None:
        while not self._stop.wait(self.settings.index_reload_seconds):
            try:
                self.reload_index()
            except Exception:  # noqa: BLE001 - keep answering from the loaded index; try again next time
                log.exception("index reload failed; still answering from the loaded index")
            self.check_corpus()
            if self.index_current is False and self.on_stale:
                self.on_stale()

    @property
    def corpus_hash(self) -> str:
        """The corpus on disk, as last hashed by `check_corpus`."""
        return self._corpus[1]

    def check_corpus(self) -> None:
        """Whether the loaded index is of the corpus as it is now: false after `rag add --no-build`, a
        hand edit or a build that failed, until a build of the new corpus is loaded. Why: /health
        said "ok" while the documents on disk were not the ones answered from."""
        from rag.documents.corpus import corpus_hash, corpus_stamp

        try:
            stamp = corpus_stamp(self.settings.data_dir)
            if stamp != self._corpus[0]:  # hashed again only when a file's size or time changed
                self._corpus = (stamp, corpus_hash(self.settings.data_dir))
        except Exception:  # noqa: BLE001 - a corpus being edited or unreadable: unknown, not an error
            self.index_current = None
            return
        self.index_current = self._corpus[1] == self.assistant.retriever.index.manifest.get("corpus_hash")

    def reload_index(self) -> bool:
        """When `index/current` holds another build than the loaded one, build a fresh Assistant on it
        (same embedding model, same LLM) and swap it in; True when swapped. The chat keeps answering
        from the old assistant meanwhile. A build that no longer matches the corpus is skipped (the
        next build will)."""
        from rag.search.index import IndexStale, load_index
        from rag.search.retriever import Retriever

        if not self.loaded or _index_version(_read_manifest(self.settings)) in (
                None, _index_version(self.assistant.retriever.index.manifest)):
            return False
        with self._reload_lock:
            old = self.assistant
            try:
                index = load_index(self.settings)
            except IndexStale as why:
                log.info("new index not loaded: %s", why)
                return False
            if _index_version(index.manifest) == _index_version(old.retriever.index.manifest):
                return False
            with self._llm_load:  # a warm-up in progress finishes first, so its model is carried over
                backend = old.llm_backend() if self.llm_state == "ready" else None
                new = Assistant(self.settings, Retriever(self.settings, index, old.retriever.embedder), llm=backend)
                new.warm_up()
                if backend is not None and new.scope.documents_phrase != old.scope.documents_phrase:
                    self._retarget(backend, new.scope.documents_phrase)
                with self._lock:
                    self.assistant = new
        log.info("index reloaded: %s units, built %s", index.manifest.get("units"), index.manifest.get("built_at"))
        self.check_corpus()  # /health follows at once (it had said "not current" until the next check)
        return True

    def _retarget(self, backend, documents: str) -> None:
        """The LLM's system prompt names the documents: rewrite it for the new corpus and, for the local
        model, evaluate the new prefix now rather than in the next answer."""
        from rag.answers.llm import LLMBackend

        backend.prompts = LLMBackend(backend.llm, self.settings.prompts_dir, documents, backend.condenses).prompts
        if not self.settings.llm_base_url:
            backend.prime()

    # --- health -------------------------------------------------------------------------------
    def health(self) -> dict:
        """Liveness and what is loaded; nothing here names a path, a URL or a key."""
        from rag.answers.llm import llm_available

        ok, why = llm_available(self.settings)
        retriever = self.assistant.retriever
        index = retriever.index.manifest if self.loaded else {}
        status = "loading" if not self.loaded else ("ok" if self.feedback_ok else "degraded")
        return {"status": status, "index_loaded": self.loaded,
                "model_loaded": retriever.embedder.loaded, "units": index.get("units", 0),
                "index_version": {"corpus_hash": index.get("corpus_hash", "")[:12], "built_at": index.get("built_at")},
                "index_current": self.index_current, "llm_available": ok, "llm": why, "llm_warm_up": self.llm_state,
                "feedback": "ok" if self.feedback_ok else "degraded"}


class FeedbackUnavailable(RuntimeError):
    """The feedback store could not be written (logged; the user sees FEEDBACK_FAILED)."""


def _labels(answer: Answer) -> list[str]:
    """What feedback stores per citation: the address and the document, which tell apart the same
    "Điều 3" of two documents ("Điều 3, khoản 1 — Quyết định … 12/2026/QĐ-UBND")."""
    return [f"{c.label} — {c.document or c.doc_id}" if c.label else c.document or c.doc_id for c in answer.citations]


def _rating(liked: object) -> int | None:
    """1 for a like (True, "Like"), -1 for a dislike (False, "Dislike"), None for anything else."""
    if isinstance(liked, str):
        liked = {"like": True, "true": True, "dislike": False, "false": False}.get(liked.strip().lower())
    return 1 if liked is True else -1 if liked is False else None


def _read_manifest(settings: Settings) -> dict | None:
    try:
        manifest = json.loads((settings.index_dir / "current" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no index yet, or being replaced
        return None
    return manifest if isinstance(manifest, dict) else None


def _index_version(manifest: dict | None) -> tuple | None:
    """What tells two builds apart: when it was built and from which corpus."""
    return None if manifest is None else (manifest.get("built_at"), manifest.get("corpus_hash"))


def _plain_history(history: list[dict]) -> list[dict]:
    """Gradio history → [{"role", "content": text}], answers stripped of their HTML."""
    out = []
    for turn in history or []:
        content = turn.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if isinstance(content, str):
            out.append({"role": turn.get("role"), "content": re.sub(r"<[^>]+>", " ", content)})
    return out


def _message_id(message: object) -> str | None:
    """The answer id embedded in a chat message (a string, Gradio's message parts, or anything else)."""
    try:
        text = message if isinstance(message, str) else json.dumps(message, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):  # e.g. a payload that contains itself
        return None
    m = _MSG_ID.search(text.replace('\\"', '"'))
    return m.group(1) if m else None


def _request_logger(settings: Settings) -> logging.Logger:
    """JSON lines (time, latency, mode, question) appended to `settings.log_file`; one logger per file."""
    logger = logging.getLogger("rag.requests." + hashlib.sha256(str(settings.log_file).encode()).hexdigest()[:12])
    if not logger.handlers:
        settings.log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(settings.log_file, mode="a", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def build_ui(service: ChatService) -> gr.Blocks:
    from rag.answers.llm import llm_available

    _, why = llm_available(service.settings)
    default_mode = service.settings.answer_mode
    scope = service.assistant.scope
    with gr.Blocks(title=scope.title, analytics_enabled=False) as demo:  # no usage reports to Gradio's servers
        header = gr.Markdown(_header(service))
        # read at every page load: an admin's upload changes it, and the browser tab's title with it
        demo.load(lambda: _header(service), None, header, show_progress="hidden").then(
            None, header, None, js="(h) => { document.title = h.split('\\n')[0].replace(/^# /, ''); }")
        # the mode under the chat, folded: on a phone the question box is then on the first screen
        mode = gr.Radio([(MODE_LABELS[m], m) for m in ANSWER_MODES], value=default_mode, label="Chế độ trả lời",
                        info="Mô hình ngôn ngữ: " + LLM_STATUS.get(why, why), render=False)
        chatbot = gr.Chatbot(height=520, buttons=["copy"], label="Hội thoại", sanitize_html=True, elem_id="chat",
                             placeholder=f"Hãy đặt câu hỏi về {scope.documents_phrase}.")

        def respond(message, history, mode_value, request: gr.Request):
            yield from service.respond(message, history, mode_value, _session(request),
                                       client_address(request, service.settings))

        gr.ChatInterface(fn=respond, chatbot=chatbot, additional_inputs=[mode],
                         additional_inputs_accordion=gr.Accordion(label="Chế độ trả lời", open=False, render=False),
                         textbox=gr.Textbox(placeholder="Nhập câu hỏi (có thể gõ không dấu)…", max_lines=6,
                                            max_length=service.settings.max_question_chars,  # the browser stops there
                                            submit_btn=True, stop_btn=True, show_label=False,
                                            label="Câu hỏi"),  # the examples table's column header
                         # the message alone: an example then runs on click, inside the chat, in the mode
                         # chosen (a mode column had set the mode back and only filled the box)
                         examples=[[q] for q in scope.examples], run_examples_on_click=True,
                         cache_examples=False, api_name="respond", fill_height=False)
        status = gr.Markdown()

        def on_like(data: gr.EventData, request: gr.Request):
            # gr.EventData, not gr.LikeData: LikeData's constructor raises on a payload without
            # "index"/"value" (an API call), before this function could answer
            return service.on_like(data, _session(request), client_address(request, service.settings))

        chatbot.like(on_like, None, status, api_name="on_like")
        with gr.Row():
            comment = gr.Textbox(label="Góp ý cho câu trả lời gần nhất (không bắt buộc)", scale=4, max_lines=3,
                                 max_length=COMMENT_CHARS)
            send = gr.Button("Gửi góp ý", scale=1)

        def on_comment(text, request: gr.Request):
            return service.comment(text, _session(request), client_address(request, service.settings)), ""

        send.click(on_comment, comment, [status, comment], api_name="comment")
    return demo


# The longest unit of the 28 laws is 14,133 characters: every real clause or article is shown whole;
# a one-paragraph page of megabytes had made every answer that cited it megabytes of HTML.
PANEL_QUOTE_CHARS = 20_000


def _shown(quote: str) -> str:
    """The quote for the sources panel: whole, or its first PANEL_QUOTE_CHARS and what was left out."""
    if len(quote) <= PANEL_QUOTE_CHARS:
        return quote
    head = quote[:PANEL_QUOTE_CHARS].rsplit(" ", 1)[0]
    return f"{head} … (còn {thousands(len(quote) - len(head))} ký tự trong văn bản)"


def _header(service: ChatService) -> str:
    """The page's title and scope line for the documents loaded now."""
    scope = service.assistant.scope
    return f"# {scope.title}\n{scope.description}\n\n> {NOTE}"


def _session(request) -> str:
    return getattr(request, "session_hash", None) or "anon"


def create_app(settings: Settings | None = None, service: ChatService | None = None):
    """FastAPI app with the chat at /, GET /health and, when `admin_token` is set, /admin; models load
    before the first request, the LLM warm-up and the index watcher start in the background."""
    from fastapi import FastAPI

    from rag.app.admin import UploadGuard, is_upload, mount_admin
    from rag.app.limits import BodyLimit

    settings = settings or get_settings()
    service = service or ChatService(settings)
    service.warm_up()
    service.start_background()
    app = FastAPI(**NO_API_MAP)
    app.add_middleware(UploadGuard, token=settings.admin_token)
    app.add_middleware(BodyLimit, limit=settings.max_request_kb * 1024, upload_limit=settings.max_upload_mb * 1024 * 1024,
                       is_upload=is_upload)  # added last: the outermost, so it runs first

    @app.api_route("/health", methods=["GET", "HEAD"])  # load balancers probe with either
    def health() -> dict:
        return service.health()

    if settings.admin_token:
        mount_admin(app, service)
    # LLM answers hold at most llm_queue_size + llm_queue_max_waiting workers: the rest stay for extractive ones
    workers = max(settings.chat_workers, settings.llm_queue_size + settings.llm_queue_max_waiting + 2)
    demo = build_ui(service).queue(default_concurrency_limit=workers, max_size=128)
    # footer_links=[]: Gradio's English footer ("Use via API · Built with Gradio · Settings") means
    # nothing to a citizen; the API itself stays (README "Chat app and its API")
    return gr.mount_gradio_app(app, demo, path="/", css=CSS, head=HEAD, show_error=False, footer_links=[],
                               max_file_size=f"{settings.max_upload_mb}mb", app_kwargs=NO_API_MAP)


def free_loopback_port() -> int:
    """A free TCP port on 127.0.0.1 (for tests, the load script and local servers)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_in_background(settings: Settings, service: ChatService | None = None) -> tuple[str, ChatService, object]:
    """Start the app on a free loopback port in a daemon thread; returns (url, service, uvicorn server)."""
    import uvicorn

    service = service or ChatService(settings)
    port = free_loopback_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=port,
                                           log_level="warning", proxy_headers=False))
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    wait_for_url(url + "/health")
    return url, service, server


def wait_for_url(url: str, timeout: float = 120.0) -> bool:
    """Poll `url` until it answers (True) or `timeout` seconds pass (False)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    """Listen on host:port, then load the index and the model, then say "Sẵn sàng" and serve.

    The port is taken first, so a busy port fails at once with its own message instead of after a
    load and a "ready" line. `proxy_headers=False`: uvicorn would otherwise take the client address
    from X-Forwarded-For on loopback, so anyone on the machine could dodge the per-address rate
    limit; a proxy's header is trusted only through `trusted_proxy_header`."""
    import uvicorn

    try:
        sock = _bound_socket(host, port)
    except OSError as e:
        raise PortUnavailable(_unbound(host, port, e)) from None
    print("Đang tải chỉ mục và mô hình…", flush=True)
    app = create_app()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False))
    print(f"Sẵn sàng: mở http://{host}:{port} (Ctrl+C để dừng)", flush=True)
    server.run(sockets=[sock])


def _unbound(host: str, port: int, e: OSError) -> str:
    """Why host:port cannot be listened on, and what to do: the port is busy, or the address is not
    this machine's (a busy port had been suggested for both), or a low port needs privileges."""
    import errno
    import socket

    if e.errno == errno.EADDRINUSE:
        free = next((p for p in range(port + 1, port + 50) if _bindable(host, p)), None)
        return (f"Cổng {port} trên {host} đang được dùng. "
                + (f"Cổng {free} đang trống: --port {free}." if free else "Chọn cổng khác bằng --port."))
    if e.errno == errno.EACCES:
        return f"Không có quyền mở cổng {port} (cổng dưới 1024 cần quyền quản trị): chọn cổng khác bằng --port."
    if isinstance(e, socket.gaierror) or e.errno == errno.EADDRNOTAVAIL:
        return (f"Địa chỉ {host} không phải của máy này ({e.strerror or e}): dùng --host 127.0.0.1, "
                "--host 0.0.0.0 (mọi địa chỉ) hoặc một địa chỉ của máy.")
    return f"Không mở được cổng {port} trên {host} ({e.strerror or e})."


def _bound_socket(host: str, port: int):
    """A socket listening on host:port (IPv6 when the host is), for uvicorn; OSError when it cannot.
    Listening at once, not only bound: two servers started together on one port had both bound
    (SO_REUSEADDR), both said "Sẵn sàng", and the second then died in uvicorn with a traceback."""
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _bindable(host: str, port: int) -> bool:
    """Whether host:port can be listened on now (the busy-port message suggests one that can)."""
    try:
        _bound_socket(host, port).close()
        return True
    except OSError:
        return False


class PortUnavailable(RuntimeError):
    """The chat's port cannot be taken; the message says which and what to do."""
