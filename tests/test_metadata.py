"""extract_metadata on the real Thông tư 10/2025/TT-BKHCN, the 28 laws in ../shared/laws, and
small synthetic texts for each rule (including "nothing found → None"). No torch needed."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from rag.documents.metadata import DocumentMeta, extract_metadata

SHARED = Path(__file__).resolve().parents[2] / "shared"
THONG_TU = SHARED / "corpus" / "thong-tu-10-2025-tt-bkhcn.txt"
LAWS = SHARED / "laws"
needs_shared = pytest.mark.skipif(not (LAWS / "manifest.json").is_file() or not THONG_TU.is_file(),
                                  reason="../shared (corpus and laws) is not beside the repo")


def manifest() -> list[dict]:
    if not (LAWS / "manifest.json").is_file():
        return []
    return json.loads((LAWS / "manifest.json").read_text(encoding="utf-8"))["documents"]


def law(file: str) -> DocumentMeta:
    return extract_metadata((LAWS / file).read_text(encoding="utf-8"))


# --- the real documents ---------------------------------------------------------------------

@needs_shared
def test_thong_tu_10_2025_header():
    lines = THONG_TU.read_text(encoding="utf-8").splitlines()
    meta = extract_metadata("\n".join(lines[:12]))  # the header alone
    assert meta.number == "10/2025/TT-BKHCN"
    assert meta.doc_type == "Thông tư"
    assert meta.issuer == "Bộ Khoa học và Công nghệ"  # "BỘ KHOA HỌC VÀ" / "CÔNG NGHỆ"
    assert meta.issued == "2025-06-27"
    assert meta.title == (
        "Thông tư Hướng dẫn chức năng, nhiệm vụ, quyền hạn của cơ quan chuyên môn thuộc Ủy ban "
        "nhân dân cấp tỉnh, cấp xã về các lĩnh vực thuộc phạm vi quản lý nhà nước của Bộ Khoa học"
        " và Công nghệ")


@needs_shared
def test_thong_tu_10_2025_final_provisions():
    meta = extract_metadata(THONG_TU.read_text(encoding="utf-8"))
    assert meta.effective == "2025-07-01"  # Điều 10: "có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2025"
    # Điều 10.2 replaces both; Điều 11 names 01/2021 again in a transitional rule: listed once.
    assert meta.replaces == ("01/2021/TT-BKHCN", "11/2022/TT-BTTTT")


@needs_shared
@pytest.mark.parametrize("entry", [d for d in manifest() if "/" in d["doc_id"]],
                         ids=lambda d: d["file"])
def test_law_number_type_title_issuer_match_the_manifest(entry):
    meta = law(entry["file"])
    assert meta.number == entry["doc_id"]
    assert meta.doc_type == ("Bộ luật" if entry["title"].startswith("Bộ luật") else "Luật")
    assert meta.title == entry["title"]
    assert meta.issuer == entry["issuer"] == "Quốc hội"
    assert meta.effective is not None  # every law's last articles state it


@needs_shared
def test_constitution_has_no_number():
    meta = law("hien-phap.txt")
    assert meta.number is None
    assert meta.doc_type == "Hiến pháp" and meta.title == "Hiến pháp"
    # "Hiến pháp này đã được Quốc hội … thông qua ngày 28 tháng 11 năm 2013"
    assert meta.issued == "2013-11-28"
    assert meta.effective is None and meta.replaces == ()  # the text in the corpus does not say


@needs_shared
def test_luat_dat_dai_final_provisions():
    meta = law("luat-dat-dai.txt")
    # Điều 252.1; 252.2 gives an earlier date for two articles only.
    assert meta.effective == "2025-01-01"
    # 252.4: "Luật Đất đai số 45/2013/QH13 đã được sửa đổi, bổ sung một số điều theo Luật số
    # 35/2018/QH14 (…) hết hiệu lực". Not the omnibus 35/2018/QH14, not Nghị quyết 61/2022/QH15
    # (252.3, a date for one clause), not the repealed ("bãi bỏ") Nghị quyết 132/2020/QH14.
    assert meta.replaces == ("45/2013/QH13",)
    assert meta.issued == "2024-01-18"  # "Luật này được Quốc hội … thông qua ngày 18 tháng 01 năm 2024"


@needs_shared
@pytest.mark.parametrize("file, effective, replaces", [
    ("bo-luat-dan-su.txt", "2017-01-01", ("33/2005/QH11",)),
    ("luat-gia.txt", "2024-07-01", ("11/2012/QH13",)),  # three amending laws are not replaced
    ("luat-can-cuoc.txt", "2024-07-01", ("59/2014/QH13",)),  # not 15/01/2024 (one clause)
    ("luat-chan-nuoi.txt", "2020-01-01", ("16/2004/PL-UBTVQH11",)),
    ("luat-trong-tai-thuong-mai.txt", "2011-01-01", ("08/2003/PL-UBTVQH11",)),
    ("luat-to-tung-hanh-chinh.txt", "2016-07-01", ("64/2010/QH12",)),
    ("luat-an-ninh-mang.txt", "2019-01-01", ()),  # a new law: replaces nothing
    ("luat-vien-chuc.txt", "2012-01-01", ()),
])
def test_law_effective_date_and_replaced_laws(file, effective, replaces):
    meta = law(file)
    assert (meta.effective, meta.replaces) == (effective, replaces)


@needs_shared
def test_bo_luat_dan_su_issue_date_from_its_passage():
    assert law("bo-luat-dan-su.txt").issued == "2015-11-24"


@needs_shared
def test_news_articles_in_the_corpus_have_no_legal_metadata():
    for path in sorted((SHARED / "corpus").glob("*.txt")):
        if path != THONG_TU:
            assert extract_metadata(path.read_text(encoding="utf-8")) == DocumentMeta(), path.name


# --- synthetic: nothing found ---------------------------------------------------------------

def test_nothing_found_gives_empty_meta():
    assert extract_metadata("") == DocumentMeta()
    meta = extract_metadata("Tin tức\nLuật sư Nguyễn Văn A cho biết hợp đồng có hiệu lực từ ngày"
                            " 01 tháng 7 năm 2025.\nSố liệu năm 2024 tăng 5%.")
    assert meta == DocumentMeta(None, None, None, None, None, None, ())


def test_meta_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DocumentMeta().number = "1/2025/TT-BKHCN"  # type: ignore[misc]


# --- synthetic: number ----------------------------------------------------------------------

@pytest.mark.parametrize("line, number", [
    ("Số: 91/2015/QH13", "91/2015/QH13"),
    ("Luật số: 45/2019/QH14", "45/2019/QH14"),
    ("Số: 10/2025/TT-BKHCN", "10/2025/TT-BKHCN"),
    ("Số 10/2025/TT-BKHCN", "10/2025/TT-BKHCN"),
    ("Số:  10 / 2025 / TT - BKHCN", "10/2025/TT-BKHCN"),
    ("Số: 123/QĐ-UBND", "123/QĐ-UBND"),
    ("Số: 05/2020/QĐ-TTg", "05/2020/QĐ-TTg"),
    ("BỘ Y TẾ | Số: 01/2024/TT-BYT", "01/2024/TT-BYT"),
    ("QUYẾT ĐỊNH Số: 77/2026/QĐ-UBND", "77/2026/QĐ-UBND"),  # the type in capitals, on the number's line
])
def test_number_formats(line, number):
    assert extract_metadata(f"BỘ Y TẾ\n{line}\nNội dung").number == number


def test_number_only_from_the_header():
    body = "\n".join(f"Dòng {i}" for i in range(45))
    assert extract_metadata("Căn cứ Nghị định số 55/2025/NĐ-CP;\nNội dung").number is None
    assert extract_metadata(f"{body}\nSố: 10/2025/TT-BKHCN").number is None


# --- synthetic: type and title --------------------------------------------------------------

def test_type_and_title_from_capitalised_lines():
    meta = extract_metadata("QUỐC HỘI\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nLuật số: 31/2024/QH15"
                            "\nLUẬT\nĐẤT ĐAI\nCăn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;")
    assert (meta.doc_type, meta.title, meta.issuer) == ("Luật", "Luật Đất đai", "Quốc hội")


def test_type_and_title_on_one_capitalised_line():
    meta = extract_metadata("THÔNG TƯ LIÊN TỊCH HƯỚNG DẪN PHỐI HỢP\nCăn cứ Luật;")
    assert (meta.doc_type, meta.title) == ("Thông tư liên tịch", "Thông tư liên tịch Hướng dẫn phối hợp")


def test_title_stops_at_signing_authority_and_keeps_place_names():
    meta = extract_metadata(
        "ỦY BAN NHÂN DÂN\nTỈNH LAI CHÂU\n-------\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Số: 123/QĐ-UBND\nLai Châu, ngày 5 tháng 3 năm 2024\nQUYẾT ĐỊNH\n"
        "VỀ VIỆC THÀNH LẬP TRUNG TÂM CHUYỂN ĐỔI SỐ TỈNH LAI CHÂU\n"
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH LAI CHÂU\nQUYẾT ĐỊNH:\nĐiều 1. Thành lập.")
    assert meta.doc_type == "Quyết định"
    assert meta.title == "Quyết định Về việc thành lập trung tâm chuyển đổi số tỉnh Lai Châu"
    assert meta.issuer == "Ủy ban nhân dân tỉnh Lai Châu"
    assert meta.issued == "2024-03-05"


def test_mixed_case_heading_is_kept_as_written():
    meta = extract_metadata("THÔNG TƯ\nQuy định về khám bệnh, chữa bệnh\nCăn cứ Luật;")
    assert meta.title == "Thông tư Quy định về khám bệnh, chữa bệnh"


def test_type_and_title_from_the_first_line():
    meta = extract_metadata("Bộ luật dân sự\nSố: 91/2015/QH13\nĐiều 1. Phạm vi điều chỉnh")
    assert (meta.doc_type, meta.title) == ("Bộ luật", "Bộ luật dân sự")


NIGHT_MARKET = ("Quy định về quản lý chợ đêm trên địa bàn tỉnh thử nghiệm\nĐiều 1. Phạm vi điều chỉnh\n"
                "Quyết định này quy định về việc quản lý hoạt động của chợ đêm.")


def test_heading_after_a_number_line_under_the_type_line():
    meta = extract_metadata(f"QUYẾT ĐỊNH\nSố: 77/2025/QĐ-UBND\n{NIGHT_MARKET}")
    assert (meta.number, meta.doc_type) == ("77/2025/QĐ-UBND", "Quyết định")
    assert meta.title == "Quyết định Quy định về quản lý chợ đêm trên địa bàn tỉnh thử nghiệm"


@pytest.mark.parametrize("text, title", [
    (NIGHT_MARKET, "Quy định về quản lý chợ đêm trên địa bàn tỉnh thử nghiệm"),  # a page's <h1>
    ("ỦY BAN NHÂN DÂN\nTỈNH LAI CHÂU\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
     "QUY ĐỊNH\nVỀ QUẢN LÝ CHỢ ĐÊM TỈNH LAI CHÂU\n(Ban hành kèm theo Quyết định số 12/2026/QĐ-UBND)\n"
     "Chương I\nĐiều 1. Phạm vi", "Quy định về quản lý chợ đêm tỉnh Lai Châu"),  # an attached regulation
    ("Chợ đêm mở cửa từ 18 giờ đến 23 giờ.\nĐiều 1. Phạm vi", None),  # a sentence, not a heading
    ("Quy định về quản lý chợ đêm\nChợ đêm mở cửa từ 18 giờ đến 23 giờ hằng ngày, kể cả ngày lễ.", None),  # no article
])
def test_regulation_without_a_type_line_takes_its_first_heading(text, title):
    assert extract_metadata(text).title == title


@pytest.mark.parametrize("number, doc_type, issuer", [
    ("10/2025/TT-BKHCN", "Thông tư", None),          # "BKHCN" is not spelled out: not guessed
    ("55/2025/NĐ-CP", "Nghị định", "Chính phủ"),
    ("05/2020/QĐ-TTg", "Quyết định", "Thủ tướng Chính phủ"),
    ("16/2004/PL-UBTVQH11", "Pháp lệnh", "Ủy ban Thường vụ Quốc hội"),
    ("61/2022/QH15", None, "Quốc hội"),               # a Luật or a Nghị quyết: type unknown
    ("120/HD-SGDĐT", "Hướng dẫn", None),             # a department's guidance (Nghị định 30/2020/NĐ-CP's codes)
    ("215/TB-UBND", "Thông báo", None),
])
def test_type_and_issuer_from_the_number_suffix(number, doc_type, issuer):
    meta = extract_metadata(f"Số: {number}\nĐiều 1. Phạm vi điều chỉnh")
    assert (meta.doc_type, meta.issuer, meta.title) == (doc_type, issuer, None)


def test_textual_type_beats_the_number_suffix():
    meta = extract_metadata("NGHỊ QUYẾT\nVỀ THÍ ĐIỂM\nSố: 61/2022/QH15")
    assert meta.doc_type == "Nghị quyết"


# --- synthetic: issuer ----------------------------------------------------------------------

@pytest.mark.parametrize("block, issuer", [
    ("QUỐC HỘI", "Quốc hội"),
    ("CHÍNH PHỦ", "Chính phủ"),
    ("BỘ KHOA HỌC VÀ\nCÔNG NGHỆ", "Bộ Khoa học và Công nghệ"),
    ("BỘ VĂN HOÁ, THỂ THAO VÀ DU LỊCH", "Bộ Văn hóa, Thể thao và Du lịch"),
    ("BỘ CÔNG THƯƠNG", "Bộ Công Thương"),
    ("ỦY BAN NHÂN DÂN\nTHÀNH PHỐ HÀ NỘI", "Ủy ban nhân dân thành phố Hà Nội"),
    ("UBND TỈNH SƠN LA\nSỞ KHOA HỌC VÀ CÔNG NGHỆ", "Sở Khoa học và Công nghệ"),
    ("BỘ CÔNG AN\nCỤC CẢNH SÁT GIAO THÔNG", "Cục Cảnh sát giao thông"),
])
def test_issuer_from_the_header_block(block, issuer):
    text = f"{block}\n-------\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    assert extract_metadata(text).issuer == issuer


def test_issuer_and_date_from_a_flattened_header_table():
    meta = extract_metadata("BỘ Y TẾ | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
                            "Số: 01/2024/TT-BYT | Hà Nội, ngày 2 tháng 1 năm 2024\nTHÔNG TƯ")
    assert (meta.issuer, meta.number, meta.issued) == ("Bộ Y tế", "01/2024/TT-BYT", "2024-01-02")


@pytest.mark.parametrize("text, issuer", [
    ("ỦY BAN NHÂN DÂN TỈNH HÒA BÌNH\nSố: 12/2026/QĐ-UBND\nQUYẾT ĐỊNH\nVề giá trông giữ xe", "Ủy ban nhân dân tỉnh Hòa Bình"),
    ("SỞ KHOA HỌC VÀ CÔNG NGHỆ\nQUYẾT ĐỊNH\nVề việc ban hành quy chế", "Sở Khoa học và Công nghệ"),
    ("QUYẾT ĐỊNH\nVề giá trông giữ xe\nSố: 12/2026/QĐ-UBND", None),  # the type is not a body
    ("BỘ LUẬT DÂN SỰ\nĐiều 1. Phạm vi điều chỉnh", None),
])
def test_issuer_from_the_opening_lines_when_there_is_no_motto(text, issuer):
    assert extract_metadata(text).issuer == issuer


def test_no_issuer_without_a_header_block():
    assert extract_metadata("Thông tư hướng dẫn\nSố: 10/2025/TT-BKHCN").issuer is None


# --- synthetic: dates -----------------------------------------------------------------------

def test_issued_only_from_a_place_and_date_line():
    assert extract_metadata("Hà Nội, ngày 27 tháng 6 năm 2025").issued == "2025-06-27"
    assert extract_metadata("TP. Hồ Chí Minh, ngày 01 tháng 12 năm 2024").issued == "2024-12-01"
    assert extract_metadata("Sơn La, ngày 31 tháng 2 năm 2024").issued is None  # no such day
    assert extract_metadata("Căn cứ Nghị định số 55/2025/NĐ-CP ngày 02 tháng 3 năm 2025;").issued is None


@pytest.mark.parametrize("sentence, effective", [
    ("Thông tư này có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2025.", "2025-07-01"),
    ("1. Luật này có hiệu lực thi hành từ ngày 01 tháng 01 năm 2025, trừ trường hợp quy định tại "
     "khoản 2 Điều này.", "2025-01-01"),
    ("Nghị định này có hiệu lực từ ngày 1/7/2025.", "2025-07-01"),
    ("Quyết định này có hiệu lực kể từ ngày ký.", "2025-06-27"),            # = issued
    ("2. Điều 190 của Luật này có hiệu lực thi hành từ ngày 01 tháng 4 năm 2024.", None),
    ("Hợp đồng có hiệu lực từ ngày 01 tháng 7 năm 2025.", None),
    ("Quyết định này có hiệu lực sau 10 ngày kể từ ngày ký.", None),
])
def test_effective_date(sentence, effective):
    text = f"Hà Nội, ngày 27 tháng 6 năm 2025\nĐiều 5. Hiệu lực thi hành\n{sentence}"
    assert extract_metadata(text).effective == effective


def test_effective_date_written_on_the_article_heading_line():
    """A short decision states it in the heading: "Điều 2. Quyết định này có hiệu lực kể từ ngày …"."""
    text = "Yên Bái, ngày 01 tháng 8 năm 2026\nĐiều 2. Quyết định này có hiệu lực kể từ ngày 10 tháng 8 năm 2026."
    assert extract_metadata(text).effective == "2026-08-10"


def test_effective_from_signing_without_issue_date_is_unknown():
    assert extract_metadata("Quyết định này có hiệu lực kể từ ngày ký.").effective is None


# --- synthetic: replaced documents ----------------------------------------------------------

@pytest.mark.parametrize("sentence, replaces", [
    ("Thông tư này thay thế Thông tư số 03/2020/TT-BKHCN.", ("03/2020/TT-BKHCN",)),
    ("Luật Đất đai số 45/2013/QH13 hết hiệu lực kể từ ngày Luật này có hiệu lực.",
     ("45/2013/QH13",)),
    ("2. Luật Khám bệnh, chữa bệnh số 40/2009/QH12 đã được sửa đổi, bổ sung một số điều theo "
     "Luật số 21/2017/QH14 hết hiệu lực kể từ ngày Luật này có hiệu lực thi hành.",
     ("40/2009/QH12",)),
    ("Thông tư này thay thế Thông tư số 12/2019/TT-BKHCN ngày 01/3/2019 quy định chi tiết Nghị "
     "định số 34/2018/NĐ-CP và Thông tư số 05/2021/TT-BKHCN.",
     ("12/2019/TT-BKHCN", "05/2021/TT-BKHCN")),
    ("Thông tư này thay thế Thông tư số 10/2025/TT-BKHCN.", ()),  # its own number
    ("Khoản 9 Điều 60 của Luật này có hiệu lực từ ngày Nghị quyết số 61/2022/QH15 hết hiệu lực.",
     ()),
    ("Bãi bỏ Nghị quyết số 132/2020/QH14.", ()),
])
def test_replaces(sentence, replaces):
    text = f"Số: 10/2025/TT-BKHCN\nĐiều 9. Hiệu lực thi hành\n{sentence}"
    assert extract_metadata(text).replaces == replaces


def test_lapse_outside_final_provisions_needs_a_tie_to_this_document():
    text = ("Điều 3. Giấy phép\nQuyết định số 12/2020/QĐ-UBND hết hiệu lực khi giấy phép bị thu hồi."
            "\nĐiều 4. Chuyển tiếp\nThông tư số 01/2019/TT-BYT hết hiệu lực kể từ ngày Thông tư "
            "này có hiệu lực.")
    assert extract_metadata(text).replaces == ("01/2019/TT-BYT",)


def test_replaced_documents_listed_under_the_clause():
    text = ("Điều 10. Hiệu lực thi hành\n1. Nghị định này có hiệu lực thi hành từ ngày 01 tháng 3 "
            "năm 2025.\n2. Các văn bản sau đây hết hiệu lực kể từ ngày Nghị định này có hiệu lực "
            "thi hành:\na) Nghị định số 28/2023/NĐ-CP ngày 02 tháng 6 năm 2023 của Chính phủ;\n"
            "b) Nghị định số 48/2022/NĐ-CP ngày 26 tháng 7 năm 2022 của Chính phủ.\n"
            "3. Bộ trưởng thi hành Nghị định số 99/2020/NĐ-CP.")
    meta = extract_metadata(text)
    assert meta.replaces == ("28/2023/NĐ-CP", "48/2022/NĐ-CP")
    assert meta.effective == "2025-03-01"


@pytest.mark.parametrize("heading, title", [
    (["Quy định về quản lý vườn ươm cây chè Shan tuyết", "trên địa bàn tỉnh"],
     "Quyết định Quy định về quản lý vườn ươm cây chè Shan tuyết trên địa bàn tỉnh"),  # wrapped by a PDF
    (["Quy định về quản lý chợ đêm", "Căn cứ Luật Tổ chức chính quyền địa phương;"],
     "Quyết định Quy định về quản lý chợ đêm"),  # the preamble is no continuation
])
def test_a_mixed_case_title_keeps_its_wrapped_lines(heading, title):
    text = "\n".join(["ỦY BAN NHÂN DÂN TỈNH X", "Số: 12/2026/QĐ-UBND", "QUYẾT ĐỊNH", *heading, "Điều 1. Phạm vi"])
    assert extract_metadata(text).title == title


def test_the_documents_a_text_replaces_or_ends_are_read_from_its_articles():
    from rag.documents.metadata import replaced_numbers

    articles = ("Điều 2. Hiệu lực thi hành\n1. Quyết định này có hiệu lực thi hành từ ngày 01 tháng 4 năm 2026.\n"
                "2. Quyết định này thay thế Quyết định số 15/2019/QĐ-UBND ngày 08 tháng 4 năm 2019.")
    assert replaced_numbers(articles) == ("15/2019/QĐ-UBND",)
    assert replaced_numbers("Điều 1. Phạm vi điều chỉnh\nQuyết định số 15/2019/QĐ-UBND quy định …") == ()


def test_a_news_item_is_named_only_by_an_official_number():
    from rag.documents.corpus import DocumentInfo

    assert DocumentInfo("120/HD-SGDĐT", "news", "Hướng dẫn tuyển sinh lớp 10").names == ("120/HD-SGDĐT",)
    assert DocumentInfo("son-la-trung-tam", "news", "Sơn La thành lập trung tâm").names == ()
