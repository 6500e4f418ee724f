"""A decision that issues a regulation: its own articles, the signature block, then the regulation's
articles numbered from 1 again. Every unit keeps a unique address; citations say which text."""
from rag.documents.corpus import Document
from rag.documents.parse import parse_document
from rag.search.index import LoadedIndex

DECISION = """ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH
Số: 27/2026/QĐ-UBND
QUYẾT ĐỊNH
Ban hành Quy định quản lý nuôi chó, mèo
Điều 1. Ban hành kèm theo Quyết định này Quy định quản lý nuôi chó, mèo trên địa bàn tỉnh.
Điều 2. Hiệu lực thi hành
1. Quyết định này có hiệu lực thi hành từ ngày 01 tháng 4 năm 2026.
2. Quyết định này thay thế Quyết định số 15/2019/QĐ-UBND.
Điều 3. Trách nhiệm thi hành
Chánh Văn phòng Ủy ban nhân dân tỉnh chịu trách nhiệm thi hành Quyết định này./.
Nơi nhận:
- Như Điều 3;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Trần Văn Bình
QUY ĐỊNH
Quản lý nuôi chó, mèo trên địa bàn tỉnh
(Ban hành kèm theo Quyết định số 27/2026/QĐ-UBND)
Chương I
QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Quy định này quy định việc đăng ký, tiêm phòng chó, mèo.
Điều 2. Đăng ký nuôi chó
1. Chủ nuôi chó phải đăng ký với Ủy ban nhân dân cấp xã.
2. Hồ sơ đăng ký gồm giấy tờ quy định tại khoản 1 Điều này và:
a) Tờ khai;
b) Ảnh chụp chó nuôi;
b) Giấy chứng nhận tiêm phòng.
"""


def _units():
    return parse_document(Document("27/2026/QĐ-UBND", "qd.txt", "decision", "Quyết định 27/2026/QĐ-UBND", DECISION))


def test_the_decision_and_its_regulation_each_keep_their_articles():
    units = _units()
    articles = [(u.annex, u.label) for u in units if u.kind == "article"]
    assert articles == [("", "Điều 1"), ("", "Điều 2"), ("", "Điều 3"),
                        ("Quy định kèm theo", "Điều 1"), ("Quy định kèm theo", "Điều 2")]
    assert len({u.uid for u in units}) == len(units)  # two "Điều 1" had been one uid: one of them unreachable
    regulation_2 = next(u for u in units if u.uid == "27/2026/QĐ-UBND#Quy định kèm theo: Điều 2")
    assert regulation_2.breadcrumb.startswith("Quyết định 27/2026/QĐ-UBND › Quy định kèm theo › Chương I.")


def test_the_signature_block_ends_the_last_article():
    units = _units()
    article_3 = next(u for u in units if u.uid == "27/2026/QĐ-UBND#Điều 3")
    assert article_3.text.endswith("thi hành Quyết định này./.")
    assert any(u.kind == "preamble" and u.label == "Nơi nhận, chữ ký" and "Trần Văn Bình" in u.text for u in units)


def test_references_stay_in_their_text_and_a_repeated_address_is_one_unit():
    units = _units()
    clause = next(u for u in units if u.uid == "27/2026/QĐ-UBND#Quy định kèm theo: Điều 2, khoản 2")
    assert clause.refs == ["27/2026/QĐ-UBND#Quy định kèm theo: Điều 2, khoản 1"]  # not the decision's Điều 2
    point_b = [u for u in units if u.label == "Điều 2, khoản 2, điểm b"]
    assert len(point_b) == 1 and point_b[0].text.endswith("Giấy chứng nhận tiêm phòng.")  # the second "b)" kept in it


def test_an_address_is_read_in_the_decision_first_then_in_its_regulation():
    units = {u.uid: u for u in _units()}
    index = LoadedIndex(units, [], None, None, None, None, {}, {})
    assert [u.uid for u in index.at({"article": 2})] == ["27/2026/QĐ-UBND#Điều 2"]
    index = LoadedIndex({k: u for k, u in units.items() if "Quy định" in k or u.article != 2}, [], None, None, None,
                        None, {}, {})
    assert [u.uid for u in index.at({"article": 2, "clause": 1})] == [
        "27/2026/QĐ-UBND#Quy định kèm theo: Điều 2, khoản 1"]


def test_adding_such_a_decision_says_how_its_regulation_is_cited(tmp_path):
    from rag.documents.ingest import add_document

    (tmp_path / "qd.txt").write_text(DECISION, encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    result = add_document(tmp_path / "qd.txt", corpus)
    assert result["articles"] == 5
    assert any("Quy định kèm theo: 2 điều" in w and "Điều N của Quy định kèm theo" in w for w in result["warnings"])


def test_a_citation_says_which_text_its_address_is_in():
    """The decision's Điều 2 and its regulation's Điều 2 had looked the same in `ask --json` but for
    the document's name."""
    from types import SimpleNamespace

    from rag.answers.assistant import Assistant
    from rag.documents.corpus import DocumentInfo

    units = {u.uid: u for u in _units()}
    info = DocumentInfo("27/2026/QĐ-UBND", "decision", "Quyết định 27/2026/QĐ-UBND")
    library = SimpleNamespace(units=units, document=lambda doc_id: info)
    own, attached = units["27/2026/QĐ-UBND#Điều 2"], units["27/2026/QĐ-UBND#Quy định kèm theo: Điều 2"]
    cited = Assistant.citations_for(SimpleNamespace(library=library), [own, attached])
    assert [(c.label, c.annex) for c in cited] == [("Điều 2", ""), ("Điều 2", "Quy định kèm theo")]
    assert cited[1].document == "Quy định kèm theo Quyết định 27/2026/QĐ-UBND"


def test_a_chapter_or_the_chapter_of_an_article_is_read_in_the_text_that_has_it():
    """The decision has no chapter, the regulation it issues has: "chương I của Quyết định 27/2026"
    is the regulation's; the decision's own Điều 3 stands in no chapter, the regulation's Điều 2 in
    Chương I (an outside tester had been told "không chia thành chương")."""
    from types import SimpleNamespace

    from rag.answers.outline import describe
    from rag.documents.corpus import DocumentInfo

    units = {u.uid: u for u in _units()}
    info = DocumentInfo("27/2026/QĐ-UBND", "decision", "Quyết định 27/2026/QĐ-UBND")
    library = SimpleNamespace(units=units, documents={info.doc_id: info}, document=lambda doc_id: info)
    named = ("27/2026/QĐ-UBND",)
    chapter = "Quy định kèm theo Quyết định 27/2026/QĐ-UBND, Chương I. QUY ĐỊNH CHUNG (Điều 1–2) gồm 2 điều:"
    assert describe(library, named, {"chapter": 1}).splitlines()[0] == chapter
    assert describe(library, named, {"article": 2, "annex": True}).splitlines()[0] == chapter
    assert describe(library, named, {"article": 3}) == "Điều 3 của Quyết định 27/2026/QĐ-UBND không thuộc chương nào."
    assert describe(library, named, {"chapter": 2}) == \
        "Quy định kèm theo Quyết định 27/2026/QĐ-UBND không có chương 2: văn bản có 1 chương."


WORD_HEADER = """ỦY BAN NHÂN DÂN
TỈNH HÀ TĨNH
-------
Số: 27/2026/QĐ-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
---------------
Hà Tĩnh, ngày 16 tháng 3 năm 2026
QUYẾT ĐỊNH
Ban hành Quy định quản lý nuôi chó, mèo
Điều 1. Ban hành kèm theo Quyết định này Quy định quản lý nuôi chó, mèo.
"""


def test_a_two_column_header_read_row_by_row_keeps_number_date_and_issuer():
    """A Word table's header puts the motto between the number and the date: "ban hành ngày nào?"
    had quoted the number alone, and the issuer was not found."""
    from rag.documents.metadata import extract_metadata

    units = parse_document(Document("27/2026/QĐ-UBND", "qd.txt", "decision", "Quyết định 27/2026/QĐ-UBND", WORD_HEADER))
    dated = [u for u in units if u.label == "Số hiệu, ngày ban hành"]
    assert len(dated) == 1 and dated[0].text.startswith("Số: 27/2026/QĐ-UBND")
    assert dated[0].text.endswith("Hà Tĩnh, ngày 16 tháng 3 năm 2026")
    meta = extract_metadata(WORD_HEADER)
    assert (meta.issuer, meta.issued) == ("Ủy ban nhân dân tỉnh Hà Tĩnh", "2026-03-16")


def test_an_address_said_to_be_in_the_attached_text_is_read_there():
    from rag.query.words import parse_references

    assert parse_references("Điều 2 của Quy chế ban hành kèm theo Quyết định 27/2026/QĐ-UBND")["annex"] is True
    assert parse_references("Điều 2 Quy định kèm theo Quyết định 27")["annex"] is True
    assert "annex" not in parse_references("Điều 2 Quyết định 27/2026/QĐ-UBND quy định gì?")  # "quy định": the verb
    index = LoadedIndex({u.uid: u for u in _units()}, [], None, None, None, None, {}, {})
    assert [u.uid for u in index.at({"article": 2, "annex": True})] == ["27/2026/QĐ-UBND#Quy định kèm theo: Điều 2"]


NARROW_HEADER = """HỘI ĐỒNG
NHÂN DÂN
TỈNH QUẢNG TRỊ
-------
Số:
05/2026/NQ-HĐND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Quảng Trị, ngày 20 tháng 4 năm 2026
NGHỊ QUYẾT
Quy định mức hỗ trợ đối với thành viên Tổ công nghệ số cộng đồng
Điều 1. Phạm vi điều chỉnh
"""


def test_a_number_wrapped_under_its_label_is_still_the_number_not_part_of_the_issuer():
    """A PDF's narrow header cell puts "Số:" and "05/2026/NQ-HĐND" on two lines: the number had been
    lost (doc_id from the file name) and glued to the issuer."""
    from rag.documents.metadata import extract_metadata

    meta = extract_metadata(NARROW_HEADER)
    assert (meta.number, meta.issuer) == ("05/2026/NQ-HĐND", "Hội đồng nhân dân tỉnh Quảng Trị")
    units = parse_document(Document("05/2026/NQ-HĐND", "nq.txt", "resolution", "Nghị quyết 05", NARROW_HEADER))
    dated = [u for u in units if u.label == "Số hiệu, ngày ban hành"]
    assert len(dated) == 1 and "05/2026/NQ-HĐND" in dated[0].text and dated[0].text.endswith("năm 2026")


def test_a_notice_and_a_plan_are_titled_by_their_type_line():
    from rag.documents.metadata import extract_metadata

    meta = extract_metadata("ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ\nSố: 215/TB-UBND\nTHÔNG BÁO\nLịch tiếp công dân quý II năm 2026\n"
                            "Ủy ban nhân dân tỉnh thông báo lịch tiếp công dân như sau.\n")
    assert (meta.doc_type, meta.title) == ("Thông báo", "Thông báo Lịch tiếp công dân quý II năm 2026")
