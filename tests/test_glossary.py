"""Glossary matching is pure logic over data/glossary.json: no model needed."""
from pathlib import Path

from rag.glossary import load_glossary

G = load_glossary(Path(__file__).resolve().parent.parent / "data")


def test_english_phrases_match_longest_first_and_once():
    terms = G.english_terms("What are the duties of the digital transformation centre?")
    assert terms == ["Trung tâm Chuyển đổi số", "nhiệm vụ, quyền hạn"]


def test_the_aspect_phrase_is_blanked_once_and_the_topic_kept():
    rest = G.residual("Sở có nhiệm vụ gì về đánh giá, nghiệm thu nhiệm vụ khoa học?")
    assert "nhiệm vụ khoa học" in rest and "sở" not in rest.split()


def test_the_former_sub_department_is_not_the_centre():
    assert [b.short for b in G.bodies_in("Chi cục Tiêu chuẩn Đo lường Chất lượng còn hoạt động không?")] == ["Chi cục TĐC"]
    assert [b.short for b in G.bodies_in("Trung tâm Tiêu chuẩn Đo lường Chất lượng làm gì?")] == ["Trung tâm TĐC"]


def test_a_who_defines_cue_outweighs_the_body_named():
    question = "Chức năng của Phòng Văn hóa - Xã hội do ai quy định?"
    assert G.cued_articles(question, overriding=True) == {12}
    assert G.cued_articles("Phòng Văn hóa - Xã hội có chức năng gì?", overriding=True) == set()
