"""The answer API with the real model and index (extractive), and pure citation logic with fakes."""
import pytest

from rag.answer import Assistant
from rag.llm import validate_citations
from rag.parse import Unit

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def assistant(retriever):
    a = Assistant(retriever.settings, retriever)
    a.warm_up()
    return a


def assert_citations_are_real(ans):
    """Every citation exists in the corpus, was retrieved for this question, and quotes it verbatim."""
    retrieved = {s.unit.uid: s.unit for s in ans.retrieved}
    by_label = {(u.doc_id, u.label): u for u in retrieved.values()}
    for c in ans.citations:
        unit = by_label[(c.doc_id, c.label)]
        assert c.quote == unit.text
        assert f"[{c.n}]" in ans.text
    assert [c.n for c in ans.citations] == list(range(1, len(ans.citations) + 1))


def test_barcode_question_names_the_centre_and_the_department(assistant):
    ans = assistant.ask("Đơn vị nào phụ trách mã số mã vạch?", mode="extractive")
    assert not ans.abstained and ans.mode == "extractive"
    assert ans.citations[0].label.startswith("Điều 7")
    assert "Trung tâm TĐC" in ans.text and "Sở Khoa học và Công nghệ" in ans.text
    assert_citations_are_real(ans)


@pytest.mark.parametrize("question", ["Thủ tục đăng ký kết hôn?", "Sở Y tế có nhiệm vụ gì?", "Giá vàng hôm nay?"])
def test_out_of_scope_questions_are_refused_without_sources(assistant, question):
    ans = assistant.ask(question, mode="extractive")
    assert ans.abstained and ans.citations == [] and ans.text.startswith("Xin lỗi")
    assert "Tôi có thể trả lời về" in ans.text


def test_follow_up_uses_the_conversation(assistant):
    history = [{"role": "user", "content": "Sở Khoa học và Công nghệ có nhiệm vụ gì về bưu chính?"},
               {"role": "assistant", "content": "…"}]
    ans = assistant.ask("Còn cấp xã thì sao?", history, mode="extractive")
    assert ans.standalone.startswith("Phòng Văn hóa - Xã hội")
    assert ans.citations[0].label == "Điều 4, khoản 7"
    assert_citations_are_real(ans)


def test_stream_yields_lines_then_the_answer(assistant):
    chunks = list(assistant.stream("Điều 10 khoản 1 quy định gì?", (), "extractive"))
    text = "".join(c for c in chunks if isinstance(c, str))
    assert len(chunks) >= 3 and chunks[-1].text == text and "01 tháng 7 năm 2025" in text


def test_news_citations_carry_title_and_date(assistant):
    ans = assistant.ask("Trung tâm Đổi mới sáng tạo và Chuyển đổi số Lai Châu hoạt động từ khi nào?", mode="extractive")
    c = ans.citations[0]
    assert c.doc_id == "lai-chau-trung-tam-dmst-cds" and c.date == "2026-01-29" and c.title.startswith("Lai Châu")
    assert "1/1/2026" in ans.text


def test_unknown_mode_is_refused(assistant):
    with pytest.raises(ValueError, match="Valid modes are: auto, extractive, llm"):
        assistant.ask("Điều 1", mode="fast")


def unit(i, text):
    return Unit(f"d#{i}", "d", "point", f"Điều {i}", "", text, 0, len(text))


UNITS = [unit(1, "Trung tâm TĐC thực hiện kiểm định phương tiện đo"), unit(2, "Sở quản lý bưu chính trên địa bàn")]


@pytest.mark.parametrize("raw, text, cited", [
    ("Trung tâm TĐC kiểm định [1].", "Trung tâm TĐC kiểm định [1].", ["Điều 1"]),
    ("Sở quản lý bưu chính [2]. Trung tâm TĐC kiểm định [1].", "Sở quản lý bưu chính [1].\nTrung tâm TĐC kiểm định [2].",
     ["Điều 2", "Điều 1"]),
    ("Theo [7], Sở quản lý [2].", "Theo , Sở quản lý [1].", ["Điều 2"]),
    ("Trung tâm TĐC thực hiện kiểm định phương tiện đo.", "Trung tâm TĐC thực hiện kiểm định phương tiện đo. [1]", ["Điều 1"]),
    ("Tôi không biết.", "Tôi không biết.", []),
])
def test_validate_citations_drops_invented_markers_and_renumbers(raw, text, cited):
    out, units = validate_citations(raw, UNITS)
    assert out == text and [u.label for u in units] == cited


class FakeLLM:
    """Stands in for a llama-index LLM: streams a fixed reply (pure logic of the LLM path)."""

    def __init__(self, reply: str):
        self.reply = reply

    def stream_chat(self, messages):
        from types import SimpleNamespace

        for word in self.reply.split(" "):
            yield SimpleNamespace(delta=word + " ")

    def chat(self, messages):
        from types import SimpleNamespace

        return SimpleNamespace(message=SimpleNamespace(content=self.reply))


def llm_assistant(retriever, reply):
    from rag.llm import LLMAnswerer

    answerer = LLMAnswerer(FakeLLM(reply), retriever.settings.prompts_dir, 450)
    a = Assistant(retriever.settings, retriever, llm=answerer)
    a.warm_up()
    return a


def test_llm_answer_keeps_only_valid_markers(retriever):
    a = llm_assistant(retriever, "Trung tâm TĐC ứng dụng công nghệ mã số, mã vạch [1]. Xem thêm [9].")
    ans = a.ask("Đơn vị nào phụ trách mã số mã vạch?", mode="llm")
    assert ans.mode == "llm" and "[9]" not in ans.text and len(ans.citations) == 1
    assert_citations_are_real(ans)


def test_llm_answer_without_any_citation_falls_back_to_extractive(retriever):
    a = llm_assistant(retriever, "Tôi không rõ.")
    ans = a.ask("Đơn vị nào phụ trách mã số mã vạch?", mode="llm")
    assert ans.mode == "extractive" and "trích xuất" in ans.note and ans.citations
    assert_citations_are_real(ans)


def test_llm_condenses_follow_ups_with_its_prompt(retriever):
    a = llm_assistant(retriever, "Phòng Văn hóa - Xã hội có nhiệm vụ gì về bưu chính?")
    history = [{"role": "user", "content": "Sở có nhiệm vụ gì về bưu chính?"}, {"role": "assistant", "content": "…"}]
    ans = a.ask("Còn cấp xã thì sao?", history, mode="llm")
    assert ans.standalone == "Phòng Văn hóa - Xã hội có nhiệm vụ gì về bưu chính?"
