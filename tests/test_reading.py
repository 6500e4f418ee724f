"""The query stage on its own: a small glossary, no model, no index."""
import pytest

from rag.documents.glossary import Glossary
from rag.query.reading import QueryReader

NAMES = {"44/2019/QH14": ("44/2019/QH14", "Luật Phòng, chống tác hại của rượu, bia")}


@pytest.fixture
def reader():
    return QueryReader(Glossary("", {}, (), {}, ()), accents={}, news_only=frozenset(), document_names=NAMES)


@pytest.mark.parametrize("question", [
    "Luật phòng, chống tác hại của rượu bia có cấm bán bia trong trường học không?",
    "Theo luật phòng chống tác hại của rượu, bia: có cấm bán bia trong trường học không?",
    "Luật 44/2019/QH14 có cấm bán bia trong trường học không?",
])
def test_a_document_is_named_whatever_the_punctuation(reader, question):
    q = reader.read(question)
    assert q.documents == ("44/2019/QH14",)
    assert "44/2019" not in q.dense and "tác hại" not in q.dense and "cấm bán bia trong trường học" in q.dense


def test_another_law_of_a_similar_name_is_not_taken_for_it(reader):
    assert reader.read("Luật phòng chống tác hại của thuốc lá cấm gì?").documents == ()


@pytest.mark.parametrize("question, unknown", [
    ("Quyết định 99/2026/QĐ-UBND quy định gì?", "99/2026/QĐ-UBND"),
    ("nghị định 100/2019/nđ-cp phạt thế nào", "100/2019/NĐ-CP"),
    ("Quyết định số 1234/QĐ-UBND giao việc cho ai?", "1234/QĐ-UBND"),
    ("Luật 44/2019/QH14 có cấm bán bia không?", ""),  # loaded
    ("Luật 44/2019/QH14 thay thế Luật 12/2003/QH11 à?", ""),  # beside a loaded one: about it
    ("Cho vay lãi 5%/tháng, làm 8 giờ/ngày, 24/7 có được không?", ""),  # not numbers of documents
])
def test_an_official_number_no_loaded_document_has_is_named(reader, question, unknown):
    assert reader.read(question).unknown_document == unknown


def test_a_number_stated_in_a_document_s_own_text_is_known_whatever_its_doc_id():
    reader = QueryReader(Glossary("", {}, (), {}, ()), accents={}, news_only=frozenset(),
                         document_names={"LTN": ("LTN", "Luật thử nghiệm")}, known_numbers=frozenset({"99/2024/qh15"}))
    assert reader.read("Luật 99/2024/QH15 quy định gì?").unknown_document == ""


@pytest.mark.parametrize("message, kind", [
    ("Bạn là ai?", "greeting"), ("xin chào ad", "greeting"), ("chào bạn, bạn làm được gì vậy", "greeting"),
    ("cam on ban nhieu", "thanks"), ("cảm ơn ạ", "thanks"), ("Thanks!", "thanks"),
    ("dạ em cảm ơn ad nhiều ạ", "thanks"), ("ok cảm ơn", "thanks"), ("em chào ad ạ", "greeting"),
    ("Xin chào, Sở có nhiệm vụ gì?", ""), ("bạn là ai mà quản lý điểm bưu chính", ""), ("dạ vâng", ""),
    ("chào anh, em muốn hỏi về thủ tục", ""), ("cảm ơn, còn Điều 5 thì sao?", ""),
])
def test_a_message_that_only_greets_or_thanks_is_small_talk(reader, message, kind):
    assert reader.read(message).smalltalk == kind


@pytest.mark.parametrize("question, outline", [
    ("Luật phòng chống tác hại của rượu bia có bao nhiêu điều?", True),
    ("luat 44/2019/QH14 gom nhung chuong nao", True),
    ("Luật phòng chống tác hại của rượu bia cấm những điều gì?", False),  # asks what it forbids
])
def test_a_question_about_how_a_named_document_is_built(reader, question, outline):
    q = reader.read(question)
    assert q.documents == ("44/2019/QH14",) and q.outline is outline


@pytest.mark.parametrize("question", ["Cơ quan đó còn làm gì nữa?", "con gi nua khong"])
def test_asking_for_more_names_no_topic(reader, question):
    """"… còn làm gì nữa?" asks for more of the same: "nữa" is no topic the documents must cover (it
    had been the one uncovered term, and the follow-up was refused)."""
    assert "nua" not in reader.read(question).coverage_terms


def test_the_theo_of_kem_theo_stays_with_the_text_it_names():
    """"Quy định kèm theo Quyết định 27/2026 có bao nhiêu điều?": "theo" had been taken for the
    introducer of the decision's name ("theo Luật X"), leaving "Quy định kèm" and no outline question."""
    names = {"27/2026/QĐ-UBND": ("27/2026/QĐ-UBND", "Quyết định 27/2026")}
    reader = QueryReader(Glossary("", {}, (), {}, ()), accents={}, news_only=frozenset(), document_names=names)
    q = reader.read("Quy định kèm theo Quyết định 27/2026 có bao nhiêu điều?")
    assert q.documents == ("27/2026/QĐ-UBND",) and q.outline
