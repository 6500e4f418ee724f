"""End-to-end through the HTTP API with gradio_client, against the real app on loopback."""
import json
import re
import time
import urllib.request

import pytest

from rag.app.feedback import FeedbackStore
from rag.app.webapp import TOO_FAST

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


def test_answer_has_clickable_citations_of_real_units(client, live_app):
    html = ask(client, "Đơn vị nào phụ trách mã số mã vạch?")
    labels = re.findall(r"<summary>\[\d+\] ([^<]+)</summary>", html)
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
    assert "Điều 4, khoản 7" in rows[-1]["citations"]


def test_votes_are_stored_with_the_answer_they_rate(client, live_app):
    html = ask(client, "Điều 10 khoản 1 quy định gì?")
    service = live_app[1]
    assert service.vote(False, {"type": "text", "text": html}).startswith("Cảm ơn")
    row = FeedbackStore(service.settings.feedback_db).rows()[-1]
    assert row["rating"] == -1 and row["question"] == "Điều 10 khoản 1 quy định gì?"


def test_requests_are_logged_append_only(client, live_app):
    ask(client, "Trung tâm CĐS có nhiệm vụ gì?")
    lines = live_app[1].settings.log_file.read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    assert last["question"] == "Trung tâm CĐS có nhiệm vụ gì?" and last["mode"] == "extractive" and "latency_ms" in last
