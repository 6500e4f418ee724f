"""End-to-end through the HTTP API with gradio_client, against the real app on loopback; and the
ChatService alone (feedback store failures, LLM gate and warm-up with a fake LLM, index hot reload)."""
import dataclasses
import json
import os
import re
import shutil
import sqlite3
import threading
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from rag.answers.assistant import Assistant
from rag.app.feedback import FeedbackStore
from rag.app.limits import RateLimiter
from rag.app.webapp import (FEEDBACK_FAILED, FEEDBACK_NO_RATING, FEEDBACK_NOT_FOUND, FEEDBACK_TOO_FAST, LLM_BUSY,
                            LLM_BUSY_NOTE, LLM_WARMING_NOTE, TOO_FAST, ChatService, _header, _message_id)
from rag.settings import load_settings

from shipped import DATA  # noqa: E402 - tests/ is on sys.path

pytestmark = pytest.mark.model


@pytest.fixture()
def client(live_app):
    from gradio_client import Client

    return Client(live_app[0] + "/", verbose=False)


def ask(client, text, mode="extractive"):
    time.sleep(1.05)  # the app refuses resubmits within a second from one session
    return client.predict(text, mode, api_name="/respond")


def test_health_reports_loaded_index_and_model(live_app):
    health = json.loads(urllib.request.urlopen(live_app[0] + "/health").read())
    assert health["status"] == "ok" and health["index_loaded"] and health["model_loaded"] and health["units"] > 300


def test_health_answers_head_and_the_api_map_is_not_public(live_app):
    import httpx

    assert httpx.head(live_app[0] + "/health").status_code == 200  # some load balancers probe with HEAD
    for path in ("/docs", "/redoc", "/openapi.json"):  # they listed the admin API to anyone
        assert httpx.get(live_app[0] + path).status_code == 404, path
    assert httpx.get(live_app[0] + "/config").json()["analytics_enabled"] is False


def test_a_message_that_is_not_text_is_refused_not_read_as_its_repr(live_app):
    from rag.app.webapp import NOT_TEXT

    for message in (["a", "b"], {"text": "x"}, None, 5):
        assert list(live_app[1].respond(message, [], "extractive", f"s-{type(message).__name__}")) == [NOT_TEXT]


def test_answer_has_clickable_citations_of_real_units(client, live_app):
    html = ask(client, "Đơn vị nào phụ trách mã số mã vạch?")
    labels = [label.split(" — ")[0] for label in re.findall(r"<summary>\[\d+\] ([^<]+)</summary>", html)]
    assert "Thông tư 10/2025/TT-BKHCN" in html  # each source names its document
    units = {u.label for u in live_app[1].assistant.retriever.index.units.values()}
    assert labels and labels[0].startswith("Điều 7") and set(labels) <= units
    assert re.search(r'<a class="cite" href="#src-[0-9a-f]{12}-1">\[1\]</a>', html)
    assert "Trung tâm TĐC" in html


def test_out_of_scope_is_refused_without_sources(client):
    html = ask(client, "Thủ tục đăng ký kết hôn?")
    assert "Xin lỗi" in html and "Nguồn trích dẫn" not in html


@pytest.mark.parametrize("text, message", [
    ("   ", "Câu hỏi đang trống"),
    ("x" * 2500, "Câu hỏi quá dài"),
    ("\x00\x01\x02ab\x03\x04\x05\x06\x07", "Không đọc được câu hỏi"),
])
def test_bad_input_gets_a_friendly_message(client, text, message):
    assert message in ask(client, text)


def test_questions_over_the_session_or_address_limit_get_a_vietnamese_message(live_app):
    from rag.app.limits import RateLimiter

    service = live_app[1]
    saved = service.session_limit, service.address_limit
    clock = lambda: 0.0  # noqa: E731 - frozen time: no refill, no timing dependence
    try:
        service.session_limit = RateLimiter(60, burst=1, clock=clock)
        service.address_limit = RateLimiter(60, burst=2, clock=clock)
        assert list(service.respond("Điều 1", [], "extractive", "s1", "10.0.0.1"))[-1] != TOO_FAST
        assert list(service.respond("Điều 2", [], "extractive", "s1", "10.0.0.1")) == [TOO_FAST]  # same session
        assert list(service.respond("Điều 2", [], "extractive", "s2", "10.0.0.1"))[-1] != TOO_FAST  # new session
        assert list(service.respond("Điều 3", [], "extractive", "s3", "10.0.0.1")) == [TOO_FAST]  # same address
    finally:
        service.session_limit, service.address_limit = saved


def test_comment_feedback_lands_in_sqlite(client, live_app):
    ask(client, "Ai quản lý các điểm phục vụ bưu chính ở xã?")
    status, box = client.predict("Câu trả lời rất rõ ràng", api_name="/comment")
    assert status.startswith("Đã lưu góp ý") and box == ""
    rows = FeedbackStore(live_app[1].settings.feedback_db).rows()
    assert rows[-1]["comment"] == "Câu trả lời rất rõ ràng" and rows[-1]["rating"] == 0
    assert "Điều 4, khoản 7 — Thông tư 10/2025/TT-BKHCN" in rows[-1]["citations"]
    status, _ = client.predict("Rõ\x00\x01 ràng", api_name="/comment")
    assert status.startswith("Đã lưu góp ý") and FeedbackStore(live_app[1].settings.feedback_db).rows()[-1]["comment"] == "Rõ ràng"
    status, _ = client.predict("x" * 2001, api_name="/comment")  # refused with a reason, never cut silently
    assert status.startswith("Góp ý quá dài (2001 ký tự") and len(FeedbackStore(live_app[1].settings.feedback_db).rows()) == len(rows) + 1


def test_votes_are_stored_with_the_answer_they_rate(client, live_app):
    html = ask(client, "Điều 10 khoản 1 quy định gì?")
    service = live_app[1]
    assert service.vote(False, {"type": "text", "text": html}, client.session_hash).startswith("Cảm ơn")
    row = FeedbackStore(service.settings.feedback_db).rows()[-1]
    assert row["rating"] == -1 and row["question"] == "Điều 10 khoản 1 quy định gì?"


def test_requests_are_logged_append_only(client, live_app):
    ask(client, "Trung tâm CĐS có nhiệm vụ gì?")
    lines = live_app[1].settings.log_file.read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    assert last["question"] == "Trung tâm CĐS có nhiệm vụ gì?" and last["mode"] == "extractive" and "latency_ms" in last


# --- feedback tied to recorded answers, rate limits, a failing store ---------------------------

BARCODE = "Đơn vị nào phụ trách mã số mã vạch?"
LLM_REPLY = "Trung tâm TĐC ứng dụng công nghệ mã số, mã vạch [1]."


def frozen_limit(burst):
    return RateLimiter(60, burst=burst, clock=lambda: 0.0)  # no refill, no timing dependence


def make_service(tmp_path, assistant, **changes) -> ChatService:
    """A service on an already warm assistant, with its own feedback DB and log, no limits, no watcher."""
    settings = dataclasses.replace(assistant.settings, **{
        "feedback_db": tmp_path / "fb.sqlite3", "log_file": tmp_path / "requests.log", "answer_mode": "extractive",
        "session_questions_per_minute": 0, "address_questions_per_minute": 0, "feedback_per_minute": 0,
        "index_reload_seconds": 0, **changes})
    service = ChatService(settings, assistant)
    service.loaded = True
    return service


@pytest.fixture(scope="module")
def assistant(retriever):
    a = Assistant(retriever.settings, retriever)
    a.warm_up()
    return a


def final(service, question=BARCODE, mode="extractive", session="s1", address="10.1.1.1"):
    return list(service.respond(question, [], mode, session, address))[-1]


def test_feedback_needs_an_answer_this_session_received(client, live_app):
    from gradio_client import Client

    service = live_app[1]
    html = ask(client, "Trung tâm TĐC có nhiệm vụ gì?")
    rows = len(FeedbackStore(service.settings.feedback_db).rows())
    other = Client(live_app[0] + "/", verbose=False)
    assert other.predict("Góp ý không có câu trả lời", api_name="/comment")[0] == FEEDBACK_NOT_FOUND
    assert service.vote(True, html, other.session_hash) == FEEDBACK_NOT_FOUND  # another session's answer
    assert service.vote(True, '<div data-msg="0123456789ab">', client.session_hash) == FEEDBACK_NOT_FOUND
    assert service.vote(True, "no id here", client.session_hash) == FEEDBACK_NOT_FOUND
    assert len(FeedbackStore(service.settings.feedback_db).rows()) == rows  # nothing stored


def test_answers_are_recorded_in_the_store_and_survive_a_restart(client, live_app):
    html = ask(client, "Trung tâm CĐS có nhiệm vụ gì?")
    service = live_app[1]
    record = FeedbackStore(service.settings.feedback_db).find_answer(_message_id(html), client.session_hash)
    assert record["question"] == "Trung tâm CĐS có nhiệm vụ gì?" and record["mode"] == "extractive"
    assert record["citations"] and record["answer"]
    restarted = ChatService(service.settings, service.assistant)  # a new process: nothing in memory
    assert restarted.vote(True, html, client.session_hash) == "Cảm ơn bạn đã đánh giá!"
    assert restarted.comment("Vẫn tìm thấy", client.session_hash).startswith("Đã lưu góp ý")
    rows = FeedbackStore(service.settings.feedback_db).rows()
    assert [r["rating"] for r in rows[-2:]] == [1, 0] and rows[-1]["question"] == "Trung tâm CĐS có nhiệm vụ gì?"


def test_like_handler_accepts_any_payload(client, live_app):
    import gradio as gr
    import httpx

    service = live_app[1]
    assert client.predict(api_name="/on_like") == FEEDBACK_NOT_FOUND  # no event data at all
    call = httpx.post(live_app[0] + "/gradio_api/call/on_like", json={"data": [], "event_data": "junk"})
    events = httpx.get(f"{live_app[0]}/gradio_api/call/on_like/{call.json()['event_id']}", timeout=30).text
    assert "event: complete" in events and "event: error" not in events
    html = ask(client, "Điều 10 khoản 1 quy định gì?")
    session = client.session_hash
    for odd in (None, "junk", 42, [], {"value": 5}, {"liked": True}, gr.EventData(None, None),
                gr.EventData(None, {"index": "x"}), {"value": {"nested": [object()]}}):
        assert service.on_like(odd, session) == FEEDBACK_NOT_FOUND
    assert service.on_like({"liked": "maybe", "value": html}, session) == FEEDBACK_NO_RATING
    assert service.on_like({"liked": "", "value": [html]}, session) == FEEDBACK_NO_RATING  # a vote taken back
    assert service.on_like(gr.EventData(None, {"index": 1, "value": [html], "liked": False}), session).startswith("Cảm ơn")
    assert service.on_like({"index": 1, "value": html}, session).startswith("Cảm ơn")  # Gradio: no "liked" = like
    assert [r["rating"] for r in FeedbackStore(service.settings.feedback_db).rows()[-2:]] == [-1, 1]


def test_votes_and_comments_are_rate_limited_per_client_address(client, live_app):
    service = live_app[1]
    html = ask(client, "Ai quản lý các điểm phục vụ bưu chính ở xã?")
    saved = service.feedback_limit
    try:
        service.feedback_limit = frozen_limit(burst=2)
        assert service.vote(True, html, client.session_hash, "10.0.0.9").startswith("Cảm ơn")
        assert service.comment("Rõ ràng", client.session_hash, "10.0.0.9").startswith("Đã lưu")
        assert service.vote(True, html, client.session_hash, "10.0.0.9") == FEEDBACK_TOO_FAST
        assert service.comment("Lần nữa", client.session_hash, "10.0.0.9") == FEEDBACK_TOO_FAST
        assert service.comment("Địa chỉ khác", client.session_hash, "10.0.0.10").startswith("Đã lưu")
    finally:
        service.feedback_limit = saved


def test_a_failing_store_says_so_and_health_turns_degraded(client, live_app, tmp_path):
    service = live_app[1]
    ask(client, "Trung tâm TĐC có nhiệm vụ gì?")
    (tmp_path / "gone").write_text("not a folder", encoding="utf-8")  # the folder was deleted, a file took its place
    saved = service.feedback
    try:
        service.feedback = FeedbackStore(tmp_path / "gone" / "feedback.sqlite3", timeout=0.2)
        status, _ = client.predict("Góp ý khi kho lỗi", api_name="/comment")
        assert status == FEEDBACK_FAILED and "Error" not in status
        health = json.loads(urllib.request.urlopen(live_app[0] + "/health").read())
        assert health["status"] == "degraded" and health["feedback"] == "degraded"
        assert "Nguồn trích dẫn" in ask(client, "Điều 10 khoản 1 quy định gì?")  # answers still work
    finally:
        service.feedback = saved
    ask(client, "Trung tâm CĐS có nhiệm vụ gì?")  # a write that works again
    health = json.loads(urllib.request.urlopen(live_app[0] + "/health").read())
    assert health["status"] == "ok" and health["feedback"] == "ok"


def test_a_locked_store_fails_fast_with_a_message(tmp_path, assistant):
    service = make_service(tmp_path, assistant, feedback_timeout=0.2)
    html = final(service)
    lock = sqlite3.connect(tmp_path / "fb.sqlite3", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.perf_counter()
        assert service.vote(True, html, "s1") == FEEDBACK_FAILED
        assert service.comment("kho bị khóa", "s1") == FEEDBACK_FAILED
        assert time.perf_counter() - t0 < 5
        assert service.health()["feedback"] == "degraded" and service.health()["status"] == "degraded"
        assert "Nguồn trích dẫn" in final(service, session="s2")  # the answer is shown even if not recorded
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert service.vote(True, html, "s1").startswith("Cảm ơn") and service.health()["status"] == "ok"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_a_read_only_store_fails_with_a_message(tmp_path, assistant):
    service = make_service(tmp_path, assistant)
    html = final(service)
    (tmp_path / "fb.sqlite3").chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        assert service.vote(True, html, "s1") == FEEDBACK_FAILED and service.health()["feedback"] == "degraded"
    finally:
        tmp_path.chmod(0o755)


# --- uploads ------------------------------------------------------------------------------------

def test_anonymous_uploads_are_refused_and_nothing_is_written(live_app):
    import httpx
    from gradio.utils import get_upload_folder

    marker = f"upload-probe-{time.time_ns()}".encode()
    folder = Path(get_upload_folder())
    before = {p for p in folder.rglob("*")} if folder.exists() else set()
    for headers in ({}, {"Authorization": "Bearer anything"}, {"Authorization": "Basic eDp5"}):
        r = httpx.post(live_app[0] + "/gradio_api/upload", files={"files": ("probe.txt", marker)}, headers=headers)
        assert r.status_code == 403 and "/tmp" not in r.text and str(folder) not in r.text
    after = {p for p in folder.rglob("*")} if folder.exists() else set()
    assert not [p for p in after - before if p.is_file() and marker in p.read_bytes()]
    config = httpx.get(live_app[0] + "/config").json()
    assert config["max_file_size"] == 20 * 1024 * 1024
    assert httpx.get(live_app[0] + "/admin/api/documents", headers={"Authorization": "Bearer x"}).status_code == 404


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(live_app):
    """A 100 MB "question" had been read whole by Gradio (8 GB for a dozen in parallel); now 413,
    whether the size is declared or the body is streamed without a Content-Length."""
    import httpx

    url = live_app[0] + "/gradio_api/call/respond"
    big = json.dumps({"data": ["a" * (2 * 1024 * 1024), "extractive"]}).encode()
    declared = httpx.post(url, content=big, headers={"Content-Type": "application/json"})
    streamed = httpx.post(url, content=iter([big[:1024 * 1024], big[1024 * 1024:]]),
                          headers={"Content-Type": "application/json"})
    for r in (declared, streamed):
        assert r.status_code == 413 and "quá lớn" in r.json()["detail"]
    ok = httpx.post(url, content=iter([json.dumps({"data": ["Trung tâm TĐC có nhiệm vụ gì?", "extractive"]}).encode()]),
                    headers={"Content-Type": "application/json"})
    assert ok.status_code == 200 and "event_id" in ok.json()  # a small streamed body still reaches the app


def test_a_forwarded_header_does_not_change_the_client_address(live_app):
    """uvicorn trusts X-Forwarded-For from loopback by default: a varying header dodged the
    per-address limit (50 of 50 answered). Only `trusted_proxy_header` names a proxy's header."""
    from gradio_client import Client

    service, server = live_app[1], live_app[2]
    assert server.config.proxy_headers is False
    saved = service.feedback_limit
    try:
        service.feedback_limit = frozen_limit(burst=1)
        replies = [Client(live_app[0] + "/", verbose=False, headers={"X-Forwarded-For": f"203.0.113.{n}"})
                   .predict(f"Góp ý {n}", api_name="/comment")[0] for n in (1, 2)]
    finally:
        service.feedback_limit = saved
    assert replies[0] != FEEDBACK_TOO_FAST and replies[1] == FEEDBACK_TOO_FAST


def test_the_admin_page_is_mounted_only_with_a_token(tmp_path, assistant):
    from fastapi.testclient import TestClient

    from rag.app.webapp import create_app

    service = make_service(tmp_path, assistant, admin_token="t0k-admin")
    client = TestClient(create_app(service.settings, service))
    assert client.get("/admin").status_code == 200 and "t0k-admin" not in client.get("/admin").text
    assert client.get("/admin/api/documents").status_code == 403
    listed = client.get("/admin/api/documents", headers={"Authorization": "Bearer t0k-admin"}).json()
    assert "10/2025/TT-BKHCN" in [d["doc_id"] for d in listed["documents"]]
    assert client.post("/gradio_api/upload", files={"files": ("a.txt", b"x")}).status_code == 403
    assert client.get("/health").json()["status"] == "ok"


# --- the LLM gate and warm-up -------------------------------------------------------------------

class SlowLLM:
    """Stands in for a llama-index LLM: streams a fixed reply, sleeping before every token."""

    def __init__(self, reply: str, delay: float = 0.0):
        self.reply, self.delay = reply, delay

    def stream_chat(self, messages):
        for word in self.reply.split(" "):
            time.sleep(self.delay)
            yield SimpleNamespace(delta=word + " ")

    def chat(self, messages):
        return SimpleNamespace(message=SimpleNamespace(content=self.reply))


def fake_backend(retriever, delay=0.0):
    from rag.answers.llm import LLMBackend

    return LLMBackend(SlowLLM(LLM_REPLY, delay), retriever.settings.prompts_dir)


def test_llm_answers_never_stall_extractive_ones(tmp_path, retriever, monkeypatch):
    import rag.answers.llm

    llm = Assistant(retriever.settings, retriever, llm=fake_backend(retriever, delay=0.15))
    llm.warm_up()
    service = make_service(tmp_path, llm, llm_queue_size=2, llm_queue_max_waiting=4)
    results = {}

    def run(i):
        results[i] = final(service, mode="llm", session=f"llm{i}", address=f"10.2.0.{i}")

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while service.llm_gate.running + service.llm_gate.waiting < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (service.llm_gate.running, service.llm_gate.waiting) == (2, 4)
    assert list(service.respond(BARCODE, [], "llm", "llm7", "10.2.0.7")) == [LLM_BUSY]  # a 7th would wait too long
    t0 = time.perf_counter()
    html = final(service, "Trung tâm CĐS có nhiệm vụ gì?", session="ex", address="10.2.1.1")
    assert time.perf_counter() - t0 < 2.0 and "Nguồn trích dẫn" in html and "Chế độ: Trích xuất" in html
    assert sum(t.is_alive() for t in threads) >= 4  # the LLM answers are still being generated
    monkeypatch.setattr(rag.answers.llm, "llm_available", lambda settings: (True, "ready"))
    busy = final(service, session="auto", address="10.2.1.2", mode="auto")
    assert LLM_BUSY_NOTE in busy and "Chế độ: Trích xuất" in busy  # "auto" does not refuse: it answers extractively
    for t in threads:
        t.join(60)
    assert len(results) == 6 and all("Chế độ: Mô hình ngôn ngữ" in r for r in results.values())
    assert (service.llm_gate.running, service.llm_gate.waiting) == (0, 0)


def test_auto_mode_answers_extractively_while_the_llm_warms_up(tmp_path, retriever, monkeypatch):
    import rag.answers.llm

    release = threading.Event()

    class SlowStart(Assistant):
        def llm_backend(self):
            release.wait(30)  # loading the model and evaluating its prompt prefix
            return super().llm_backend()

    monkeypatch.setattr(rag.answers.llm, "llm_available", lambda settings: (True, "ready"))
    warming = SlowStart(retriever.settings, retriever, llm=fake_backend(retriever))
    warming.warm_up()
    service = make_service(tmp_path, warming, answer_mode="auto")
    service.start_background()
    assert service.llm_state == "warming" and service.health()["llm_warm_up"] == "warming"
    html = final(service, mode="auto")
    assert LLM_WARMING_NOTE in html and "Chế độ: Trích xuất" in html
    release.set()
    deadline = time.monotonic() + 10
    while service.llm_state != "ready" and time.monotonic() < deadline:
        time.sleep(0.02)
    html = final(service, mode="auto", session="s2")
    assert "Chế độ: Mô hình ngôn ngữ" in html and LLM_WARMING_NOTE not in html


# --- nothing secret is shown, the LLM choice says why it cannot be used ------------------------

def test_no_key_url_or_path_reaches_health_config_page_or_log(retriever, tmp_path):
    import httpx
    from gradio_client import Client

    from rag.app.webapp import serve_in_background

    settings = dataclasses.replace(
        load_settings(env={"RAG_LLM_BASE_URL": "http://user:sk-test-SECRET@127.0.0.1:9/v1",
                           "RAG_LLM_MODEL_PATH": "/srv/private-models/missing.gguf"}),
        index_dir=retriever.settings.index_dir, cache_dir=retriever.settings.cache_dir,
        feedback_db=tmp_path / "fb.sqlite3", log_file=tmp_path / "requests.log", session_questions_per_minute=0,
        address_questions_per_minute=0, index_reload_seconds=0)
    url, service, server = serve_in_background(settings, ChatService(settings, Assistant(settings, retriever)))
    try:
        client = Client(url + "/", verbose=False)
        why = client.predict(BARCODE, "llm", api_name="/respond")
        assert why.startswith("Chế độ mô hình ngôn ngữ không dùng được: không kết nối được máy chủ mô hình")
        assert "RAG_" not in why and "Trích xuất" in why  # a citizen is told what to pick, not how to configure
        answer = client.predict(BARCODE, "auto", api_name="/respond")
        assert "Nguồn trích dẫn" in answer and "Chế độ: Trích xuất" in answer
        health = httpx.get(url + "/health").json()
        assert health["llm"] == "unreachable" and health["llm_available"] is False
        shown = [json.dumps(health), httpx.get(url + "/config").text, httpx.get(url + "/").text,
                 httpx.get(url + "/gradio_api/info").text, why, answer, settings.log_file.read_text(encoding="utf-8")]
        assert "không kết nối được" in shown[1]  # the mode radio says why, in words
        for text in shown:
            for secret in ("SECRET", "sk-test", "/srv/", "private-models", str(settings.cache_dir),
                           str(settings.model_dir), "127.0.0.1:9"):
                assert secret not in text
    finally:
        server.should_exit = True


# --- index hot reload ---------------------------------------------------------------------------

NEW_LAW = """QUỐC HỘI
Luật số: 99/2024/QH15
LUẬT
THỬ NGHIỆM CÔNG NGHỆ SỐ
Điều 1. Phạm vi điều chỉnh
Luật này quy định về thử nghiệm có kiểm soát sản phẩm, dịch vụ và mô hình kinh doanh ứng dụng công nghệ số.
Điều 2. Thời hạn thử nghiệm có kiểm soát
1. Thời hạn thử nghiệm có kiểm soát sản phẩm công nghệ số không quá 24 tháng kể từ ngày được cấp giấy chứng nhận.
2. Thời hạn thử nghiệm được gia hạn một lần, không quá 12 tháng.
Điều 3. Hiệu lực thi hành
Luật này có hiệu lực thi hành từ ngày 01 tháng 01 năm 2026.
"""


def test_a_rebuilt_index_is_swapped_in_while_the_chat_keeps_answering(retriever, tmp_path):
    from rag.documents.ingest import add_document
    from rag.search.index import build_index
    from rag.search.retriever import Retriever

    data, index_dir = tmp_path / "data", tmp_path / "index"
    shutil.copytree(DATA, data)
    shutil.copytree(retriever.settings.index_dir / "current", index_dir / "current")  # same corpus, same index
    settings = dataclasses.replace(
        retriever.settings, data_dir=data, index_dir=index_dir, feedback_db=tmp_path / "fb.sqlite3",
        log_file=tmp_path / "requests.log", answer_mode="extractive", session_questions_per_minute=0,
        address_questions_per_minute=0, index_reload_seconds=0.3)
    service = ChatService(settings, Assistant(settings, Retriever(settings, embedder=retriever.embedder)))
    service.warm_up()
    service.start_background()
    question = "Thời hạn thử nghiệm có kiểm soát sản phẩm công nghệ số tối đa bao lâu?"
    try:
        old, version, header = service.assistant, service.health()["index_version"], _header(service)
        assert "24 tháng" not in final(service, question, session="before")
        assert service.health()["index_current"] is True
        (tmp_path / "luat-thu-nghiem.txt").write_text(NEW_LAW, encoding="utf-8")
        add_document(tmp_path / "luat-thu-nghiem.txt", data)
        service.check_corpus()
        assert service.health()["index_current"] is False  # documents on disk that nothing answers from yet
        build = threading.Thread(target=build_index, args=(settings,),
                                 kwargs={"embedder": retriever.embedder, "progress": False})
        build.start()
        during = final(service, session="during")  # answered from the loaded index meanwhile
        assert "Nguồn trích dẫn" in during and (build.is_alive() or service.assistant is old)
        build.join(600)
        deadline = time.monotonic() + 60
        while service.assistant is old and time.monotonic() < deadline:
            time.sleep(0.1)
        assert service.assistant is not old and service.health()["index_version"] != version
        assert _header(service) != header  # the page's scope line follows, at the next page load
        service.check_corpus()
        assert service.health()["index_current"] is True
        after = final(service, question, session="after")
        assert "24 tháng" in after and "Điều 2, khoản 1" in after
        record = service.feedback.find_answer(_message_id(after), "after")
        assert "Điều 2, khoản 1 — Luật Thử nghiệm công nghệ số 99/2024/QH15" in record["citations"]
        assert service.reload_index() is False  # nothing new on disk
    finally:
        service.stop()


def test_sources_panel_folds_the_units_a_quote_refers_to():
    from rag.answers.assistant import Answer, Citation, Referenced
    from rag.app.webapp import render

    cite = Citation(1, "99/2024/QH15", 3, 2, None, "Điều 3, khoản 2", "2. Thời hạn quy định tại khoản 1 Điều này…",
                    "Luật X › Điều 3", "Luật X", None, "Luật X 99/2024/QH15",
                    (Referenced("Điều 3, khoản 1", "1. Thời hạn <24> tháng."),))
    page = render(Answer("q", "q", "Theo Luật X: … [1]", [cite], False, "extractive"), "m1")
    assert '<details class="ref"><summary>Dẫn chiếu: Điều 3, khoản 1</summary>' in page
    assert "1. Thời hạn &lt;24&gt; tháng." in page  # verbatim, escaped


def test_a_paragraph_source_names_its_document_once():
    """A news citation had shown its title three times: "Lai Châu: … (đoạn 4) — Lai Châu: …", then
    the same title and date above the quote and below it."""
    from rag.answers.assistant import Answer, Citation
    from rag.app.webapp import render

    title = "Lai Châu: Trung tâm đi vào hoạt động"
    news = Citation(1, "lai-chau", None, None, None, f"{title} (đoạn 4)", "Trung tâm có 4 phòng.",
                    f"{title} (2025-03-01)", title, "2025-03-01", title)
    page = render(Answer("q", "q", "Theo bài … [1]", [news], False, "extractive"), "m1")
    assert page.count(title) == 2  # the summary and the line above the quote: not again beside it or below
    assert f"[1] {title} (đoạn 4)</summary>" in page
    plan = Citation(1, "12/KH-UBND", None, None, None, "Kế hoạch Ngày hội (đoạn 2)", "Địa điểm: Nhà văn hóa xã.",
                    "Kế hoạch Ngày hội", "Kế hoạch Ngày hội", None, "Kế hoạch Ngày hội 12/KH-UBND")
    page = render(Answer("q", "q", "Theo … [1]", [plan], False, "extractive"), "m1")
    assert "[1] Kế hoạch Ngày hội 12/KH-UBND (đoạn 2)</summary>" in page


def test_nested_lines_of_an_answer_keep_their_indent_in_the_chat():
    from rag.answers.assistant import Answer
    from rag.app.webapp import render

    page = render(Answer("q", "q", "X có 2 điều, chia thành 1 chương:\n- Chương I. A (Điều 1–2)\n  - Điều 1. B", [], False,
                         "extractive"), "m1")
    assert "- Chương I. A (Điều 1–2)<br>&nbsp;&nbsp;&nbsp;&nbsp;- Điều 1. B" in page


def test_a_huge_unit_is_shown_cut_in_the_sources_panel_and_a_real_one_whole():
    """A one-paragraph page of megabytes had made each answer citing it megabytes of HTML."""
    from rag.answers.assistant import Answer, Citation
    from rag.app.webapp import PANEL_QUOTE_CHARS, render

    def page(quote: str) -> str:
        cite = Citation(1, "x", None, None, None, "", quote, "X", "X", None, "X")
        return render(Answer("q", "q", "Theo X: … [1]", [cite], False, "extractive"), "m1")

    article = "Điều 3. Giải thích từ ngữ\n" + "1. Thuật ngữ được hiểu như sau. " * 400  # ~13k characters
    assert _panel_quote(page(article)) == article.replace("\n", "<br>")
    text = "kiểm định cân điện tử, chợ đêm " * 300_000
    huge = page(text)
    assert len(huge) < PANEL_QUOTE_CHARS + 2_000 and "ký tự trong văn bản)" in huge
    shown = _panel_quote(huge)
    assert text.startswith(shown[:shown.index(" … (còn")])  # the part shown is verbatim, commas and all


def _panel_quote(page: str) -> str:
    return re.search(r"<blockquote>(.*?)</blockquote>", page, re.S).group(1)


def test_a_streamed_answer_is_inside_an_html_block_so_quoted_markdown_stays_text(tmp_path):
    """A document's "![logo](http://evil.example/t.png)", quoted while the answer streamed, had become
    an image the browser fetched from that server (the final answer was safe: it sits in a <div>,
    where Markdown is not applied). Every streamed state is now one HTML block as well."""
    from rag.answers.assistant import Answer

    text = "Theo Điều 1: ![logo](http://evil.example/t.png) <b>x</b>\n\nđoạn sau"

    class Streaming:
        settings = load_settings(env={})

        def stream(self, message, history, mode):
            yield text[:30]
            yield text[30:]
            yield Answer(message, message, text, [], False, "extractive")

    service = make_service(tmp_path, Streaming())
    shown = list(service.respond("Điều 1 quy định gì?", [], "extractive", "s"))
    for partial in shown[:-1]:
        assert partial.startswith("<div>") and partial.endswith("</div>") and "\n" not in partial  # no blank line ends it
        assert "<" not in partial[len("<div>"):-len("</div>")].replace("<br>", "")  # the text itself is escaped
    assert shown[-1].startswith('<div data-msg="') and "\n\n" not in shown[-1].split("</div>")[0]
