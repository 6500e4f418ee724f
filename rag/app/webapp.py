"""The Gradio chat (Vietnamese UI): streaming answers, clickable citations, feedback, health check.

Why it is built this way:
- the UI only formats; every answer comes from `Assistant.stream`, the same API as the CLI/eval;
- each answer carries its own sources panel (<details> per citation); a click on [n] opens and
  highlights the matching source (a small script in <head>); abstentions have no panel;
- 👍/👎 (Chatbot.like) and comments go to the SQLite feedback store; the answer record is found
  from the id embedded in the message, so no per-session state is needed for votes;
- the FastAPI app that hosts Gradio also serves GET /health (index and model loaded or not);
- Gradio's queue bounds concurrency; bad input and too-fast resubmits get a short message.
"""
from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict

import gradio as gr

from rag.answers.assistant import Answer, Assistant
from rag.app.feedback import FeedbackStore
from rag.app.limits import RateLimiter
from rag.query.question import BadQuestion
from rag.settings import ANSWER_MODES, Settings, get_settings

log = logging.getLogger(__name__)
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
"""


def render(answer: Answer, msg_id: str) -> str:
    """Answer text with [n] as links, then a sources panel (nothing for abstentions)."""
    text = html.escape(answer.text)
    text = re.sub(r"\[(\d+)\]", lambda m: f'<a class="cite" href="#src-{msg_id}-{m.group(1)}">[{m.group(1)}]</a>', text)
    parts = [f'<div data-msg="{msg_id}">' + text.replace("\n", "<br>") + "</div>"]
    if answer.citations:
        parts.append('<div class="sources"><b>Nguồn trích dẫn</b>')
        for c in answer.citations:
            where = html.escape(f"{c.title} ({c.date})" if c.title and c.date else (c.title or c.doc_id))
            quote = html.escape(c.quote).replace("\n", "<br>")
            parts.append(f'<details id="src-{msg_id}-{c.n}"><summary>[{c.n}] {html.escape(c.label or where)}'
                         f'</summary><div class="crumb">{html.escape(c.breadcrumb)}</div>'
                         f'<blockquote>{quote}</blockquote><div class="crumb">{where}</div></details>')
        parts.append("</div>")
    parts.append(f"<sub>Chế độ: {MODE_LABELS.get(answer.mode, answer.mode)}"
                 + (f" · {html.escape(answer.note)}" if answer.note else "") + "</sub>")
    return "\n".join(parts)


class ChatService:
    """Per-process state of the app: the assistant, recent answers (for feedback), rate limiting."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None):
        self.settings = settings
        self.assistant = assistant or Assistant(settings)
        self.feedback = FeedbackStore(settings.feedback_db)
        self.answers: OrderedDict[str, Answer] = OrderedDict()
        self.last_answer: OrderedDict[str, str] = OrderedDict()
        self.session_limit = RateLimiter(settings.session_questions_per_minute, settings.session_question_burst)
        self.address_limit = RateLimiter(settings.address_questions_per_minute, settings.address_question_burst)
        self.feedback_limit = RateLimiter(settings.feedback_per_minute, max(1, int(settings.feedback_per_minute // 2)))
        self._lock = threading.Lock()
        self.loaded = False
        self.request_log = _request_logger(settings)

    def warm_up(self) -> None:
        self.assistant.warm_up()
        self.loaded = True

    def _remember(self, session: str, msg_id: str, answer: Answer) -> None:
        with self._lock:
            self.answers[msg_id] = answer
            self.last_answer.pop(session, None)
            self.last_answer[session] = msg_id
            while len(self.answers) > 5000:
                self.answers.popitem(last=False)
            while len(self.last_answer) > 5000:
                self.last_answer.popitem(last=False)

    def too_fast(self, session: str, address: str) -> bool:
        """Over the question limit of this session or of this client address."""
        return not (self.session_limit.allow(session) and self.address_limit.allow(address))

    def respond(self, message: str, history: list[dict], mode: str, session: str, address: str = "local"):
        """Yield the growing answer as HTML; errors become one short Vietnamese sentence."""
        if self.too_fast(session, address):
            yield TOO_FAST
            return
        msg_id, t0 = uuid.uuid4().hex[:12], time.perf_counter()
        try:
            shown = ""
            for chunk in self.assistant.stream(message, _plain_history(history), mode or None):
                if isinstance(chunk, Answer):
                    self._remember(session, msg_id, chunk)
                    self.request_log.info(json.dumps({
                        "ts": time.strftime("%Y-%m-%dT%H:%M:%S"), "latency_ms": round((time.perf_counter() - t0) * 1000),
                        "mode": chunk.mode, "abstained": chunk.abstained, "question": chunk.question}, ensure_ascii=False))
                    yield render(chunk, msg_id)
                else:
                    shown += chunk
                    yield html.escape(shown).replace("\n", "<br>")
        except BadQuestion as e:
            yield str(e)
        except Exception:  # noqa: BLE001 - one user's failure must not surface a traceback
            log.exception("answer failed")
            yield INTERNAL_ERROR

    def vote(self, liked: bool | str | None, message_html: str) -> str:
        msg_id = _message_id(message_html)
        answer = self.answers.get(msg_id) if msg_id else None
        if answer is None:
            return "Không tìm thấy câu trả lời để ghi nhận đánh giá."
        rating = 1 if liked is True or liked == "Like" else -1
        self.feedback.add(question=answer.question, answer=answer.text, citations=[c.label or c.doc_id for c in answer.citations],
                          mode=answer.mode, rating=rating)
        return "Cảm ơn bạn đã đánh giá!"

    def comment(self, text: str, session: str) -> str:
        text = (text or "").strip()
        if not text:
            return "Vui lòng nhập nội dung góp ý."
        answer = self.answers.get(self.last_answer.get(session, ""))
        self.feedback.add(question=answer.question if answer else "", answer=answer.text if answer else "",
                          citations=[c.label or c.doc_id for c in answer.citations] if answer else [],
                          mode=answer.mode if answer else "", rating=0, comment=text)
        return "Đã lưu góp ý. Cảm ơn bạn!"

    def health(self) -> dict:
        """Liveness and what is loaded; nothing here names a path, a URL or a key."""
        from rag.answers.llm import llm_available

        ok, why = llm_available(self.settings)
        retriever = self.assistant.retriever
        index = retriever.index.manifest if self.loaded else {}
        return {"status": "ok" if self.loaded else "loading", "index_loaded": self.loaded,
                "model_loaded": retriever.embedder.loaded, "units": index.get("units", 0),
                "index_version": {"corpus_hash": index.get("corpus_hash", "")[:12], "built_at": index.get("built_at")},
                "llm_available": ok, "llm": why}


def client_address(request, settings: Settings) -> str:
    """The client's address: the trusted proxy header's first entry when configured, else the socket peer."""
    headers = getattr(request, "headers", None) or {}
    if settings.trusted_proxy_header and headers.get(settings.trusted_proxy_header.lower()):
        return headers[settings.trusted_proxy_header.lower()].split(",")[0].strip()
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


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
    text = json.dumps(message, ensure_ascii=False) if not isinstance(message, str) else message
    m = _MSG_ID.search(text.replace('\\"', '"'))
    return m.group(1) if m else None


def _request_logger(settings: Settings) -> logging.Logger:
    logger = logging.getLogger("rag.requests")
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
    with gr.Blocks(title=scope.title) as demo:
        gr.Markdown(f"# {scope.title}\n{scope.description}\n\n> {NOTE}")
        mode = gr.Radio([(MODE_LABELS[m], m) for m in ANSWER_MODES], value=default_mode, label="Chế độ trả lời",
                        info="Mô hình ngôn ngữ: " + LLM_STATUS.get(why, why))
        chatbot = gr.Chatbot(height=520, buttons=["copy"], label="Hội thoại", sanitize_html=True,
                             placeholder=f"Hãy đặt câu hỏi về {scope.documents_phrase}.")

        def respond(message, history, mode_value, request: gr.Request):
            session = getattr(request, "session_hash", None) or "anon"
            yield from service.respond(message, history, mode_value, session, client_address(request, service.settings))

        gr.ChatInterface(fn=respond, chatbot=chatbot, additional_inputs=[mode],
                         textbox=gr.Textbox(placeholder="Nhập câu hỏi (có thể gõ không dấu)…", max_lines=6,
                                            submit_btn=True, stop_btn=True, show_label=False),
                         examples=[[q, default_mode] for q in scope.examples], run_examples_on_click=True,
                         cache_examples=False, api_name="respond", fill_height=False)
        status = gr.Markdown()

        def on_like(data: gr.LikeData):
            return service.vote(data.liked, data.value)

        chatbot.like(on_like, None, status)
        with gr.Row():
            comment = gr.Textbox(label="Góp ý cho câu trả lời gần nhất (không bắt buộc)", scale=4, max_lines=3)
            send = gr.Button("Gửi góp ý", scale=1)

        def on_comment(text, request: gr.Request):
            return service.comment(text, getattr(request, "session_hash", None) or "anon"), ""

        send.click(on_comment, comment, [status, comment], api_name="comment")
    return demo


def create_app(settings: Settings | None = None, service: ChatService | None = None):
    """FastAPI app with the chat at / and GET /health; models load before the first request."""
    from fastapi import FastAPI

    settings = settings or get_settings()
    service = service or ChatService(settings)
    service.warm_up()
    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        return service.health()

    demo = build_ui(service).queue(default_concurrency_limit=4, max_size=128)
    return gr.mount_gradio_app(app, demo, path="/", css=CSS, head=HEAD, show_error=False)


def free_loopback_port() -> int:
    """A free TCP port on 127.0.0.1 (for tests, the load script and local servers)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_in_background(settings: Settings) -> tuple[str, ChatService, object]:
    """Start the app on a free loopback port in a daemon thread; returns (url, service, uvicorn server)."""
    import uvicorn

    service = ChatService(settings)
    port = free_loopback_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=port,
                                           log_level="warning"))
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
    import uvicorn

    print(f"Đang tải chỉ mục và mô hình… rồi mở http://{host}:{port}")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")
