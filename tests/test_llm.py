"""LLM mode with the real local model, directly (llama-cpp-python) and through an OpenAI-compatible
server on loopback (llama_cpp.server) answering via the remote backend. Needs `make llm`."""
import dataclasses
import importlib.util
import subprocess
import sys

import pytest

from rag.answers.assistant import Assistant
from rag.query.followup import condense
from rag.answers.llm import llm_available
from rag.models.llm import local_model_path
from rag.app.webapp import free_loopback_port, wait_for_url

pytestmark = [pytest.mark.llm, pytest.mark.model]



@pytest.fixture(scope="module")
def llm_settings(built_index):
    ok, why = llm_available(built_index)
    if not ok:
        pytest.skip(f"local LLM not set up: {why}")
    return built_index


def assert_valid(ans):
    retrieved = {(s.unit.doc_id, s.unit.label): s.unit for s in ans.retrieved}
    assert ans.citations, ans.text
    for c in ans.citations:
        assert retrieved[(c.doc_id, c.label)].text == c.quote
        assert f"[{c.n}]" in ans.text


def test_local_llm_answers_with_valid_citations(llm_settings, retriever):
    a = Assistant(llm_settings, retriever)
    a.warm_up()
    ans = a.ask("Đơn vị nào phụ trách mã số mã vạch?", mode="llm")
    assert not ans.abstained and ans.mode in ("llm", "extractive")
    assert_valid(ans)
    if ans.mode == "llm":
        assert ans.timings["first_token"] > 0
    refused = a.ask("Thủ tục đăng ký kết hôn?", mode="llm")
    assert refused.abstained and refused.citations == []
    history = [{"role": "user", "content": "Sở có nhiệm vụ gì về bưu chính?"}, {"role": "assistant", "content": "…"}]
    follow = a.ask("Còn cấp xã thì sao?", history, mode="llm")  # the local model leaves follow-ups to the rules
    assert follow.standalone == condense("Còn cấp xã thì sao?", history, retriever.index.glossary)
    assert not follow.abstained and follow.retrieved[0].unit.article == 4


def test_remote_backend_through_a_real_openai_compatible_server(llm_settings, retriever):
    if importlib.util.find_spec("llama_cpp.server") is None or importlib.util.find_spec("uvicorn") is None:
        pytest.skip("llama-cpp-python[server] is not installed")
    port = free_loopback_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(local_model_path(llm_settings)),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2",
                             "--model_alias", "qwen-local"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/v1"
        assert wait_for_url(base + "/models", timeout=120), "llama_cpp.server did not start"
        settings = dataclasses.replace(llm_settings, llm_base_url=base, llm_model="qwen-local", llm_model_path="")
        assert llm_available(settings) == (True, "ready")
        a = Assistant(settings, retriever)
        a.warm_up()
        ans = a.ask("Ai quản lý các điểm phục vụ bưu chính ở xã?", mode="auto")
        assert ans.mode in ("llm", "extractive") and not ans.abstained
        assert_valid(ans)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_auto_mode_falls_back_to_extractive_when_the_server_is_down(built_index, retriever):
    settings = dataclasses.replace(built_index, llm_base_url="http://127.0.0.1:9/v1")
    a = Assistant(settings, retriever)
    a.warm_up()
    ans = a.ask("Đơn vị nào phụ trách mã số mã vạch?", mode="auto")
    assert ans.mode == "extractive" and ans.citations
