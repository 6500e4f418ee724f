"""Follow-up condensing is pure logic over the glossary: no model needed."""
import pytest

from rag.query.followup import condense
from rag.documents.glossary import load_glossary
from rag.settings import ROOT

G = load_glossary(ROOT / "data")


def hist(q):
    return [{"role": "user", "content": q}, {"role": "assistant", "content": "…"}]


@pytest.mark.parametrize("previous, question, expected", [
    ("Sở Khoa học và Công nghệ có nhiệm vụ gì về bưu chính?", "Còn cấp xã thì sao?",
     "Phòng Văn hóa - Xã hội có nhiệm vụ gì về bưu chính?"),
    ("Trung tâm TĐC là đơn vị gì?", "Trung tâm đó có những phòng nào?", "Trung tâm TĐC có những phòng nào?"),
    ("Trung tâm CĐS có nhiệm vụ gì?", "Ai lãnh đạo trung tâm đó?", "Ai lãnh đạo Trung tâm CĐS?"),
    ("Trung tâm Ứng dụng có nhiệm vụ gì?", "Thế còn Trung tâm Thông tin?", "Trung tâm Thông tin có nhiệm vụ gì?"),
    ("Trung tâm Đổi mới sáng tạo và Chuyển đổi số Lai Châu thành lập thế nào?", "Trung tâm đó có những phòng nào?",
     "Trung tâm Đổi mới sáng tạo và Chuyển đổi số Lai Châu có những phòng nào?"),
    ("Đơn vị nào phụ trách mã số mã vạch?", "Điều 4 khoản 13 quy định gì?", "Điều 4 khoản 13 quy định gì?"),
])
def test_condense(previous, question, expected):
    assert condense(question, hist(previous), G) == expected


def test_no_history_leaves_the_question_alone():
    assert condense("Còn cấp xã thì sao?", [], G) == "Còn cấp xã thì sao?"


def test_gradio_style_content_parts_are_read():
    history = [{"role": "user", "content": [{"type": "text", "text": "Trung tâm TĐC là đơn vị gì?"}]}]
    assert condense("Trung tâm đó có mấy phòng?", history, G) == "Trung tâm TĐC có mấy phòng?"
