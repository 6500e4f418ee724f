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

from .answer import Answer, Assistant
from .feedback import FeedbackStore
from .question import BadQuestion
from .settings import ANSWER_MODES, Settings, get_settings

log = logging.getLogger(__name__)
TITLE = "Trợ lý tra cứu Thông tư 10/2025/TT-BKHCN"
SCOPE = ("Hỏi đáp về chức năng, nhiệm vụ của Sở Khoa học và Công nghệ, Phòng Văn hóa - Xã hội cấp xã và các trung tâm "
         "thuộc Sở theo Thông tư 10/2025/TT-BKHCN, cùng một số tin bài liên quan.")
NOTE = "Câu trả lời chỉ mang tính tham khảo và luôn trích dẫn điều khoản gốc; bấm vào [1], [2]… để xem nguyên văn."
EXAMPLES = [
    "Phòng Văn hóa - Xã hội cấp xã có nhiệm vụ gì về chuyển đổi số?",
    "Tôi muốn kiểm định cân điện tử thì liên hệ ở đâu?",
    "don vi nao phu trach ma so ma vach",
    "Thủ tục đăng ký kết hôn?",
]
MODE_LABELS = {"auto": "Tự động", "extractive": "Trích xuất (nhanh)", "llm": "Mô hình ngôn ngữ"}
MIN_SECONDS_BETWEEN_QUESTIONS = 1.0
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
        self.last_seen: dict[str, float] = {}
        self.last_answer: dict[str, str] = {}
        self._lock = threading.Lock()
        self.loaded = False
        self.request_log = _request_logger(settings)

    def warm_up(self) -> None:
        self.assistant.warm_up()
        self.loaded = True

    def _remember(self, session: str, msg_id: str, answer: Answer) -> None:
        with self._lock:
            self.answers[msg_id] = answer
            self.last_answer[session] = msg_id
            while len(self.answers) > 5000:
                self.answers.popitem(last=False)

    def _too_fast(self, session: str) -> bool:
        now = time.monotonic()
        with self._lock:
            last = self.last_seen.get(session, 0.0)
            self.last_seen[session] = now
        return now - last < MIN_SECONDS_BETWEEN_QUESTIONS

    def respond(self, message: str, history: list[dict], mode: str, session: str):
        """Yield the growing answer as HTML; errors become one short Vietnamese sentence."""
        if self._too_fast(session):
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
        from .llm import llm_available

        ok, why = llm_available(self.settings)
        retriever = self.assistant.retriever
        return {"status": "ok" if self.loaded else "loading", "index_loaded": retriever._index is not None,
                "model_loaded": retriever.embedder._model is not None,
                "units": len(retriever._index.units) if retriever._index is not None else 0,
                "llm_available": ok, "llm": why}


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
    from .llm import llm_available

    llm_ok, why = llm_available(service.settings)
    default_mode = service.settings.answer_mode
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n{SCOPE}\n\n> {NOTE}")
        mode = gr.Radio([(MODE_LABELS[m], m) for m in ANSWER_MODES], value=default_mode, label="Chế độ trả lời",
                        info="Mô hình ngôn ngữ: " + ("sẵn sàng" if llm_ok else f"chưa sẵn sàng — {why}"))
        chatbot = gr.Chatbot(height=520, buttons=["copy"], label="Hội thoại", sanitize_html=True,
                             placeholder="Hãy đặt câu hỏi về Thông tư 10/2025/TT-BKHCN.")

        def respond(message, history, mode_value, request: gr.Request):
            session = getattr(request, "session_hash", None) or "anon"
            yield from service.respond(message, history, mode_value, session)

        gr.ChatInterface(fn=respond, chatbot=chatbot, additional_inputs=[mode],
                         textbox=gr.Textbox(placeholder="Nhập câu hỏi (có thể gõ không dấu)…", max_lines=6,
                                            submit_btn=True, stop_btn=True, show_label=False),
                         examples=[[q, default_mode] for q in EXAMPLES], run_examples_on_click=True,
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
