"""Follow-up condensing is pure logic over the glossary: no model needed."""
import pytest

from rag.query.followup import condense
from rag.documents.glossary import load_glossary

from shipped import DATA  # noqa: E402 - tests/ is on sys.path

G = load_glossary(DATA)


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
    # a question naming no body continues the previous one only when it says so or is too short to stand alone
    ("Còn cấp xã thì sao?", "kiem dinh can dien tu o dau", "kiem dinh can dien tu o dau"),
    ("Còn cấp xã thì sao?", "kiem dinh can o dau", "kiem dinh can o dau"),  # "can": the scale, not "cần"
    ("Sở có nhiệm vụ gì?", "Ủy ban nhân dân cấp xã có trách nhiệm gì về vườn ươm chè?",
     "Ủy ban nhân dân cấp xã có trách nhiệm gì về vườn ươm chè?"),
    ("Trung tâm TĐC có nhiệm vụ gì?", "Còn kiểm tra nhà nước về đo lường thì ai làm?",
     "Còn kiểm tra nhà nước về đo lường thì ai làm? (Trung tâm TĐC)"),
    ("Sở có nhiệm vụ gì về phóng xạ?", "Việc thu gom nguồn phóng xạ không rõ chủ thì sao?",
     "Việc thu gom nguồn phóng xạ không rõ chủ thì sao? (Sở)"),
    ("Trung tâm TĐC có nhiệm vụ gì?", "Có thu phí không?", "Có thu phí không? (Trung tâm TĐC)"),
    ("Trung tâm TĐC có nhiệm vụ gì?", "Nó có tư cách pháp nhân không?", "Nó có tư cách pháp nhân không? (Trung tâm TĐC)"),
    # a new body with a question of its own is a new question, not the previous one asked again
    ("Sở có nhiệm vụ gì về bưu chính?", "Trung tâm Chuyển đổi số có những phòng nào?",
     "Trung tâm Chuyển đổi số có những phòng nào?"),
    ("Sở có nhiệm vụ gì về bưu chính?", "Ai đứng đầu Trung tâm Ứng dụng?", "Ai đứng đầu Trung tâm Ứng dụng?"),
    ("Sở có nhiệm vụ gì về bưu chính?", "trung tam tdc lam nhung gi", "trung tam tdc lam nhung gi"),
    ("Sở có nhiệm vụ gì về bưu chính?", "Trung tâm TĐC thì sao?", "Trung tâm TĐC có nhiệm vụ gì về bưu chính?"),
    ("Sở có nhiệm vụ gì về bưu chính?", "con trung tam tdc thi sao", "Trung tâm TĐC có nhiệm vụ gì về bưu chính?"),
    ("Phòng Văn hóa - Xã hội có nhiệm vụ gì về bưu chính?", "Còn ở cấp tỉnh thì Sở làm gì?",
     "Sở có nhiệm vụ gì về bưu chính?"),  # "Còn …": it goes on, though it has a question word
])
def test_condense(previous, question, expected):
    assert condense(question, hist(previous), G) == expected


@pytest.mark.parametrize("turns, question, expected", [
    (["Khoản 3 Điều 4 quy định gì?"], "Còn khoản 14 thì sao?", "Còn khoản 14 thì sao? (Điều 4 quy định gì?)"),
    (["Điểm k khoản 2 Điều 7 nói gì?"], "còn điểm d?", "còn điểm d? (khoản 2 Điều 7 nói gì?)"),
    (["khoản 2 Điều 10 Thông tư 10 nói gì"], "khoản 1 thì sao", "khoản 1 thì sao (Điều 10 Thông tư 10 nói gì)"),
    # a chain of follow-ups keeps the article of the last question that named one
    (["Khoản 3 Điều 4 quy định gì?", "Còn khoản 14 thì sao?"], "khoan 15 thi sao",
     "khoan 15 thi sao (Điều 4 quy định gì?)"),
    (["Sở có nhiệm vụ gì về bưu chính?"], "Còn khoản 14 thì sao?", "Còn khoản 14 thì sao? (Sở)"),  # no article before
])
def test_a_clause_named_alone_continues_the_last_article_asked_about(turns, question, expected):
    history = [t for q in turns for t in hist(q)]
    assert condense(question, history, G) == expected


def test_no_history_leaves_the_question_alone():
    assert condense("Còn cấp xã thì sao?", [], G) == "Còn cấp xã thì sao?"


def test_gradio_style_content_parts_are_read():
    history = [{"role": "user", "content": [{"type": "text", "text": "Trung tâm TĐC là đơn vị gì?"}]}]
    assert condense("Trung tâm đó có mấy phòng?", history, G) == "Trung tâm TĐC có mấy phòng?"


def test_a_previous_question_typed_without_accents_is_restored_before_it_is_carried_over():
    """"so khcn …" names the Sở only once its accents are back; the follow-up gets its words accented."""
    restore = lambda text: {"so khcn co nhiem vu gi ve buu chinh": "sở khcn có nhiệm vụ gì về bưu chính"}.get(text, text)  # noqa: E731
    history = hist("so khcn co nhiem vu gi ve buu chinh")
    assert condense("Còn phòng văn hóa xã hội thì sao?", history, G, restore) == \
        "Phòng Văn hóa - Xã hội có nhiệm vụ gì về bưu chính"
