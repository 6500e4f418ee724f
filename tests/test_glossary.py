"""Glossary matching is pure logic over data/glossary.json: no model needed."""
from pathlib import Path

import pytest

from rag.documents.glossary import load_glossary
from rag.search.index import parse_corpus

from shipped import DATA  # noqa: E402 - tests/ is on sys.path

G = load_glossary(Path(__file__).resolve().parent.parent / "data")


@pytest.fixture(scope="module")
def parsed():
    """Units and the glossary with the names the circular defines (one parse for the module)."""
    return parse_corpus(DATA)


def test_english_phrases_match_longest_first_and_once():
    terms = G.english_terms("What are the duties of the digital transformation centre?")
    assert terms == ["Trung tâm Chuyển đổi số", "nhiệm vụ, quyền hạn"]


@pytest.mark.parametrize("text, expanded", [
    ("Tôi muốn kiểm định cân điện tử", True),
    ("kiem dinh can dien tu o dau", True),  # typed without accents: "can" may be "cân"
    ("Căn cứ Nghị định số 133/2025/NĐ-CP", False),  # accented: "căn" is not "cân"
    ("Tôi cần giấy tờ gì?", False),
])
def test_a_lay_term_matches_with_its_accents_when_the_text_has_them(text, expanded):
    assert ("phương tiện đo" in G.expand(text)) is expanded


def test_a_question_typed_without_accents_matches_lay_terms_as_typed():
    """"kiem dinh can" had its accents guessed as "kiểm định cần": the lay term is matched as typed."""
    assert "phương tiện đo" in G.expand("kiểm định cần ở đâu", typed_accents=False)
    assert "phương tiện đo" not in G.expand("kiểm định cần ở đâu")


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


def test_a_body_is_named_by_every_name_the_circular_gives_it(parsed):
    _units, glossary = parsed
    question = "Trung tâm Thông tin và Thống kê khoa học và công nghệ có nhiệm vụ gì?"
    assert [b.short for b in glossary.bodies_in(question)] == ["Trung tâm Thông tin"]
    assert "công nghệ" not in glossary.residual(question)
    alt = "Trung tâm Chuyển đổi số và Công nghệ thông tin có những phòng nào?"  # Điều 9's second name
    assert [b.short for b in glossary.bodies_in(alt)] == ["Trung tâm CĐS"] and "thông tin" not in glossary.residual(alt)



@pytest.mark.parametrize("question", ["Sở Khoa học Công nghệ là cơ quan gì?", "Phòng Văn hóa Xã hội làm những việc gì?",
                                      "Trung tâm Thông tin Thống kê khoa học công nghệ có nhiệm vụ gì?"])
def test_a_body_is_named_without_its_connectives(parsed, question):
    """People drop "và" and "-": the name is still the body's, not a body plus a topic
    "khoa học công nghệ"."""
    _units, glossary = parsed
    assert len(glossary.bodies_in(question)) == 1
    assert not {"khoa", "công", "xã", "thống"} & set(glossary.residual(question).lower().split())


def test_centres_under_the_department_do_not_name_the_department():
    assert [b.short for b in G.bodies_in("Những trung tâm nào thuộc Sở được tự chủ?")] == []
    assert [b.short for b in G.bodies_in("Sở có nhiệm vụ gì về bưu chính?")] == ["Sở"]


def test_no_department_called_foreign_is_named_by_the_circular_itself(parsed):
    """Otherwise a question quoting the circular would be refused as out of scope."""
    units, glossary = parsed
    named = {(u.label, glossary.foreign_body_in(u.text)) for u in units if u.doc_id == "10/2025/TT-BKHCN"}
    assert {pair for pair in named if pair[1]} == set()


def test_a_department_another_regulation_names_once_is_no_longer_foreign():
    """A provincial decision giving "Sở Nông nghiệp và Môi trường" two duties names it once; its
    questions had been refused as outside the documents."""
    decision = "Điều 2. Trách nhiệm\n1. Sở Nông nghiệp và Môi trường kiểm tra cây giống chè hai lần một năm."
    assert G.foreign_body_in("Sở Nông nghiệp và Môi trường kiểm tra cây giống mấy lần?")
    loaded = G.without_covered([decision])
    assert loaded.foreign_body_in("Sở Nông nghiệp và Môi trường kiểm tra cây giống mấy lần?") is None
    assert loaded.foreign_body_in("Sở Y tế cấp giấy phép hành nghề ở đâu?") == "sở y tế"
