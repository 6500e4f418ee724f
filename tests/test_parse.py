"""The parse of the circular is pinned exactly: these numbers are facts of the source text."""
import pytest

from rag.documents.parse import defined_aliases

CIRCULAR = "10/2025/TT-BKHCN"


@pytest.fixture(scope="module")
def units(corpus):
    return corpus[1][CIRCULAR]


def by_label(units, label):
    return next(u for u in units if u.label == label)


def children_points(units, label):
    return [by_label(units, c.split("#", 1)[1]).point for c in by_label(units, label).children]


def test_twelve_articles_in_four_chapters(units):
    articles = [u for u in units if u.kind == "article"]
    assert [a.article for a in articles] == list(range(1, 13))
    chapters = {a.breadcrumb.split(" › ")[1].split(".")[0] for a in articles}
    assert chapters == {"Chương I", "Chương II", "Chương III", "Chương IV"}


def test_article_2_has_29_clauses(units):
    assert len(by_label(units, "Điều 2").children) == 29


def test_article_2_clause_11_points_run_in_vietnamese_order(units):
    assert children_points(units, "Điều 2, khoản 11") == list("abcd") + ["đ"] + list("eghiklmnopqr")


def test_article_9_clause_2_keeps_the_missing_point_e(units):
    pts = children_points(units, "Điều 9, khoản 2")
    assert pts[:6] == ["a", "b", "c", "d", "đ", "g"] and "e" not in pts


@pytest.mark.parametrize("label", ["Điều 3", "Điều 11"])
def test_articles_without_clauses(units, label):
    assert by_label(units, label).children == []


def test_text_is_the_verbatim_source_slice(corpus, units):
    doc = corpus[0][CIRCULAR]
    for u in units:
        assert doc.text[u.start:u.end] == u.text
    k = by_label(units, "Điều 7, khoản 2, điểm k")
    assert k.text.startswith("k) Thực hiện các hoạt động trợ giúp") and k.text.endswith("mã số, mã vạch;")


def test_unnumbered_paragraphs_belong_to_the_enclosing_clause(units):
    clause = by_label(units, "Điều 5, khoản 1")
    assert clause.text.count("\n") == 3 and "tư cách pháp nhân" in clause.text


def test_breadcrumb_names_document_chapter_article_and_clause(units):
    crumb = by_label(units, "Điều 7, khoản 2, điểm k").breadcrumb.split(" › ")
    assert crumb[0] == "Thông tư 10/2025/TT-BKHCN" and crumb[1].startswith("Chương III")
    assert crumb[2].startswith("Điều 7. Đơn vị sự nghiệp") and crumb[3] == "khoản 2. Nhiệm vụ, quyền hạn"


def test_preamble_keeps_number_date_and_legal_bases(units):
    pre = [u for u in units if u.kind == "preamble"]
    assert any("Số: 10/2025/TT-BKHCN" in u.text and "27 tháng 6 năm 2025" in u.text for u in pre)
    assert sum(u.label == "Căn cứ ban hành" for u in pre) == 4


def test_defined_short_names_become_aliases(units):
    aliases = defined_aliases(units)
    assert aliases["Trung tâm TĐC"][0] == ("Trung tâm Tiêu chuẩn Đo lường Chất lượng",)
    assert aliases["Trung tâm TĐC"][1].endswith("Điều 7, khoản 1")
    assert aliases["Trung tâm CĐS"][0] == ("Trung tâm Chuyển đổi số", "Trung tâm Chuyển đổi số và Công nghệ thông tin")
    assert aliases["Trung tâm ĐMST"][0] == ("Trung tâm Hỗ trợ khởi nghiệp và Đổi mới sáng tạo", "Trung tâm Đổi mới sáng tạo",
                                            "Trung tâm Đổi mới sáng tạo và hỗ trợ khởi nghiệp")
    assert aliases["Sở"][0] == ()
    assert {"Sở", "TBT", "Trung tâm CĐS", "Trung tâm ĐMST"} <= set(aliases)


def test_news_articles_become_clean_paragraph_units(corpus):
    units = corpus[1]["so-khcn-trien-khai-nhiem-vu-2023"]
    assert [u.paragraph for u in units] == list(range(1, 8))
    joined = "\n".join(u.text for u in units)
    for debris in ("No title", "Lượt xem", "no image", "Thống kê truy cập", "Dương Liễu", "Các đại biểu dự Hội nghị"):
        assert debris not in joined
    assert all(u.article is None and u.label.endswith(f"(đoạn {u.paragraph})") for u in units)
