"""Questions about how a document is built ("có bao nhiêu điều?") and the outline that answers them."""
from pathlib import Path

import pytest

from rag.answers.extractive import Library
from rag.answers.outline import LISTED_ARTICLES, describe
from rag.documents.corpus import DocumentInfo, load_documents
from rag.documents.outline import outline
from rag.documents.parse import parse_document
from rag.documents.glossary import Glossary
from rag.query.words import asks_outline

CIRCULAR = "10/2025/TT-BKHCN"
LAWS = Path(__file__).resolve().parents[2] / "shared" / "laws"


@pytest.mark.parametrize("text, asks", [
    (" có bao nhiêu điều?", True),  # "Thông tư 10" taken out by the reader
    ("luật này có mấy chương vậy", True),
    ("văn bản này gồm những điều nào", True),
    ("thông tư có bao nhiêu chương và bao nhiêu điều", True),
    ("mục lục", True),
    ("Khi ly hôn cần lưu ý những điều gì?", False),  # a question of content
    ("Cần bao nhiêu điều kiện để được cấp phép?", False),
    ("Những điều nào quy định về kết hôn?", False),
    ("Thông tư có những điều gì mới?", False),
    ("chương 2 gồm những điều nào", True),
    ("Chuong III co may dieu", True),
    ("Điều 11 thuộc chương nào?", True),
    (" có chương 5 không?", True),
    ("Điều 12 quy định gì?", False),  # a question of content
    (" quy định gì?", True),  # "Thông tư 10 quy định gì?": what the whole document covers
    (" nói về vấn đề gì", True),
    ("Chủ tịch UBND cấp tỉnh quy định gì đối với đơn vị sự nghiệp?", False),
])
def test_questions_about_how_a_document_is_built(text, asks):
    assert asks_outline(text) is asks


def test_the_circulars_outline_is_its_four_chapters_and_twelve_articles(corpus):
    groups = outline(corpus[1][CIRCULAR], CIRCULAR)
    assert [g.heading.split(".")[0] for g in groups] == ["Chương I", "Chương II", "Chương III", "Chương IV"]
    assert [a.article for g in groups for a in g.articles] == list(range(1, 13))
    assert groups[0].span == "Điều 1–2"


def _library(units, docs) -> Library:
    return Library({u.uid: u for u in units}, Glossary("", {}, (), {}, ()),
                   {d.doc_id: DocumentInfo(d.doc_id, d.kind, d.title) for d in docs})


def test_a_short_document_is_described_by_its_chapters_and_article_headings(corpus):
    docs, parsed = corpus
    library = _library([u for us in parsed.values() for u in us], docs.values())
    text = describe(library, (CIRCULAR,))
    assert text.startswith("Thông tư 10/2025/TT-BKHCN có 12 điều, chia thành 4 chương:")
    assert "  - Điều 1. Vị trí, chức năng" in text.splitlines()  # the article's first line, verbatim
    assert describe(library, ()) == text  # one regulation loaded: the news have no outline


@pytest.mark.skipif(not LAWS.exists(), reason="needs ../shared/laws")
def test_laws_are_counted_as_their_manifest_says_and_long_ones_are_not_listed_whole():
    import json

    manifest = {e["doc_id"]: e for e in json.loads((LAWS / "manifest.json").read_text(encoding="utf-8"))["documents"]}
    docs = [d for d in load_documents(LAWS) if d.doc_id in ("91/2015/QH13", "68/2020/QH14")]
    library = _library([u for d in docs for u in parse_document(d)], docs)
    both = describe(library, ())
    for d in docs:
        assert f"{library.document(d.doc_id).name}: {manifest[d.doc_id]['articles']} điều" in both
    civil = describe(library, ("91/2015/QH13",))
    assert manifest["91/2015/QH13"]["articles"] > LISTED_ARTICLES and len(civil.splitlines()) == 2
    residence = describe(library, ("68/2020/QH14",)).splitlines()
    assert len(residence) == 1 + manifest["68/2020/QH14"]["articles"] and residence[1].startswith("- Điều 1.")


def test_a_named_document_without_articles_says_so_and_how_it_is_cited():
    from rag.documents.corpus import Document

    text = "Số: 88/KH-UBND\nKẾ HOẠCH\n1. Thời gian: từ ngày 09 đến ngày 10 tháng 10 năm 2026.\n2. Địa điểm: Nhà văn hóa xã.\n"
    doc = Document("88/KH-UBND", "kh.txt", "other", "Kế hoạch Ngày hội", text)
    library = _library(parse_document(doc), [doc])
    assert describe(library, ("88/KH-UBND",)) == ("Kế hoạch Ngày hội 88/KH-UBND không chia thành chương, điều: "
                                                 "văn bản gồm 2 đoạn, được trích dẫn theo đoạn.")
    assert describe(library, ()) == ""  # nothing to outline when none is named


@pytest.mark.parametrize("reference, first_line", [
    ({"chapter": 2}, "Thông tư 10/2025/TT-BKHCN, Chương II. CHỨC NĂNG"),
    ({"chapter": 4}, "Thông tư 10/2025/TT-BKHCN, Chương IV. TỔ CHỨC THỰC HIỆN (Điều 10–12) gồm 3 điều:"),
    ({"article": 11}, "Thông tư 10/2025/TT-BKHCN, Chương IV. TỔ CHỨC THỰC HIỆN (Điều 10–12) gồm 3 điều:"),
    ({"chapter": 5}, "Thông tư 10/2025/TT-BKHCN không có chương 5: văn bản có 4 chương."),
])
def test_one_chapter_or_the_chapter_of_an_article_is_read_from_the_outline(corpus, reference, first_line):
    """"chương 2 gồm những điều nào" had quoted a news item and Điều 2; "Chương III có mấy điều?" Điều 12."""
    docs, parsed = corpus
    library = _library([u for us in parsed.values() for u in us], docs.values())
    text = describe(library, (CIRCULAR,), reference)
    assert text.startswith(first_line)
    if "chapter" in reference and reference["chapter"] == 4:
        assert text.splitlines()[1:] == ["- Điều 10. Hiệu lực thi hành", "- Điều 11. Điều khoản chuyển tiếp",
                                         "- Điều 12. Trách nhiệm thi hành"]
