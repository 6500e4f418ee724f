"""read_document on small Vietnamese fixtures built in tmp_path: .docx, .html, .txt and .pdf.

The text-layer PDF is printed from HTML by Debian's chromium (skipped only when no chromium is
on PATH); the scanned PDF is a blank page made with pypdfium2. No torch, no llama-index.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest

from rag.documents.readers import UnreadableDocument, join_pdf_lines, read_document

LONG_SENTENCE = (
    "Thông tư này hướng dẫn chức năng, nhiệm vụ, quyền hạn của cơ quan chuyên môn thuộc Ủy ban "
    "nhân dân cấp tỉnh, cấp xã về các lĩnh vực thuộc phạm vi quản lý nhà nước của Bộ Khoa học và "
    "Công nghệ, bao gồm hoạt động nghiên cứu khoa học, phát triển công nghệ, đổi mới sáng tạo, "
    "chuyển đổi số, sở hữu trí tuệ, tiêu chuẩn đo lường chất lượng và bưu chính."
)
CLAUSE_1 = ("1. Sở Khoa học và Công nghệ là cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh, "
            "thực hiện chức năng tham mưu, giúp Ủy ban nhân dân cấp tỉnh quản lý nhà nước về:")
POINT_A = "a) Hoạt động nghiên cứu khoa học, phát triển công nghệ;"
POINT_DD = "đ) Tiêu chuẩn đo lường chất lượng."


def unreadable(path: Path) -> str:
    """The UnreadableDocument message for `path`, checked to name the file and no folder."""
    with pytest.raises(UnreadableDocument) as caught:
        read_document(path)
    message = str(caught.value)
    assert path.name in message
    assert str(path.parent) not in message and os.sep not in message
    return message


# --- .docx ----------------------------------------------------------------------------------

def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("THÔNG TƯ")
    document.add_paragraph("Chương I")
    document.add_paragraph("Điều 1. Phạm vi điều chỉnh")
    document.add_paragraph(unicodedata.normalize("NFD", LONG_SENTENCE))  # decomposed accents
    document.add_paragraph("")
    document.add_paragraph(CLAUSE_1 + "   ")
    document.add_paragraph(POINT_A)
    document.add_paragraph(POINT_DD)
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "STT", "Đơn vị"
    table.cell(1, 0).text, table.cell(1, 1).text = "1", "Sở Khoa học và Công nghệ"
    merged = table.cell(2, 0).merge(table.cell(2, 1))
    merged.text = "Ghi chú: áp dụng cho cấp tỉnh"
    merged.add_paragraph("và cấp xã")
    document.add_paragraph("Điều 2. Đối tượng áp dụng")
    document.save(path)
    return path


def test_docx_paragraphs_in_order_with_table_rows(tmp_path):
    text = read_document(make_docx(tmp_path / "thong-tu.docx"))
    assert text == "\n".join([
        "THÔNG TƯ", "Chương I", "Điều 1. Phạm vi điều chỉnh", LONG_SENTENCE, CLAUSE_1,
        POINT_A, POINT_DD,
        "STT | Đơn vị", "1 | Sở Khoa học và Công nghệ",
        "Ghi chú: áp dụng cho cấp tỉnh", "và cấp xã",  # a merged, multi-line cell: once
        "Điều 2. Đối tượng áp dụng",
    ])
    assert unicodedata.is_normalized("NFC", text)


def test_word_s_automatic_numbering_is_written_out(tmp_path):
    """Clauses typed with Word's numbering had lost their "1.", so citations stopped at "Điều 1"."""
    import docx

    document = docx.Document()
    document.add_paragraph("Điều 1. Giờ hoạt động")
    document.add_paragraph("Chợ đêm hoạt động từ 17 giờ đến 23 giờ.", style="List Number")
    document.add_paragraph("Dịp Tết, chợ đêm hoạt động đến 01 giờ sáng.", style="List Number")
    document.add_paragraph("Các mặt hàng bị cấm:")
    document.add_paragraph("Pháo nổ.", style="List Bullet")
    document.save(tmp_path / "qd.docx")
    assert read_document(tmp_path / "qd.docx").split("\n") == [
        "Điều 1. Giờ hoạt động", "1. Chợ đêm hoạt động từ 17 giờ đến 23 giờ.",
        "2. Dịp Tết, chợ đêm hoạt động đến 01 giờ sáng.", "Các mặt hàng bị cấm:", "- Pháo nổ."]


def test_docx_extension_upper_case(tmp_path):
    path = make_docx(tmp_path / "THONG-TU.DOCX")
    assert read_document(path).startswith("THÔNG TƯ\nChương I\n")


def test_docx_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "cu.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)  # an old binary .doc
    assert ".docx" in unreadable(path)


def test_docx_zip_without_word_document_is_refused(tmp_path):
    path = tmp_path / "bang-tinh.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "không phải" in unreadable(path)


def test_docx_that_inflates_past_the_cap_is_refused_before_parsing(tmp_path, monkeypatch):
    """A zip bomb: a real, valid .docx whose document.xml carries 2 MB of blanks in a comment,
    stored in a few kB. The cap is lowered to 1 MB so the test inflates nothing big."""
    import rag.documents.readers as readers

    source = make_docx(tmp_path / "nguon.docx")
    path = tmp_path / "bom.docx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<!--" + b" " * (2 * 1024 * 1024) + b"--></w:body>")
            bomb.writestr(info.filename, data)
    assert path.stat().st_size < 100_000
    assert read_document(path).startswith("THÔNG TƯ\n")  # valid: only its inflated size is refused

    monkeypatch.setattr(readers, "MAX_DOCX_TEXT_MB", 1)  # the text part alone: what python-docx parses
    assert "tệp .docx giải nén quá lớn" in unreadable(path)
    monkeypatch.setattr(readers, "MAX_DOCX_TEXT_MB", 25)
    monkeypatch.setattr(readers, "MAX_DOCX_UNZIPPED_MB", 1)
    assert "tệp .docx giải nén quá lớn (hơn 1 MB" in unreadable(path)


def test_empty_docx_is_refused(tmp_path):
    import docx

    path = tmp_path / "rong.docx"
    docx.Document().save(path)
    assert "rỗng" in unreadable(path)


# --- .html ----------------------------------------------------------------------------------

HTML_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Cổng thông tin</title>
<style>p { color: red }</style><script>var tracking = "Điều 99. Mã theo dõi";</script></head>
<body>
<header><div class="logo">CỔNG THÔNG TIN ĐIỆN TỬ</div></header>
<nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/van-ban">Văn bản</a></li></ul></nav>
<aside><p>Tin liên quan: Sở Khoa học và Công nghệ tổ chức hội nghị</p></aside>
<form><input name="q"><button>Tìm kiếm</button></form>
<div class="content">
<article>
  <header><h1>THÔNG TƯ</h1></header>
  <h2>Điều 1. Phạm vi   điều chỉnh</h2>
  <p>Thông tư này hướng dẫn chức năng,
     nhiệm vụ của <b>Sở Khoa học và Công nghệ</b>.</p>
  <p>1. Sở có các nhiệm vụ sau:<br>a) Hoạt động nghiên cứu khoa học;<br>b) Đổi mới sáng tạo.</p>
  <ul><li>Chuyển đổi số</li><li>Bưu chính</li></ul>
  <table><tr><th>STT</th><th>Lĩnh vực</th></tr><tr><td>1</td><td>Viễn thông</td></tr></table>
  <script>document.write("quảng cáo")</script>
</article>
</div>
<footer>Bản quyền thuộc về Cổng thông tin</footer>
</body></html>
"""


def test_html_takes_the_article_one_block_per_line(tmp_path):
    path = tmp_path / "trang.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    assert read_document(path) == "\n".join([
        "THÔNG TƯ",
        "Điều 1. Phạm vi điều chỉnh",
        "Thông tư này hướng dẫn chức năng, nhiệm vụ của Sở Khoa học và Công nghệ.",
        "1. Sở có các nhiệm vụ sau:", "a) Hoạt động nghiên cứu khoa học;", "b) Đổi mới sáng tạo.",
        "Chuyển đổi số", "Bưu chính",
        "STT | Lĩnh vực", "1 | Viễn thông",
    ])


def test_html_without_article_drops_page_furniture(tmp_path):
    path = tmp_path / "trang.htm"
    path.write_text(HTML_PAGE.replace("<article>", "<section>").replace("</article>", "</section>"),
                    encoding="utf-8")
    text = read_document(path)
    for debris in ("CỔNG THÔNG TIN", "Trang chủ", "Tin liên quan", "Tìm kiếm", "Bản quyền",
                   "tracking", "quảng cáo", "color"):
        assert debris not in text
    assert "Điều 1. Phạm vi điều chỉnh" in text.split("\n")


def test_html_prefers_main(tmp_path):
    path = tmp_path / "main.html"
    path.write_text("<html><body><div>Quảng cáo đầu trang</div><main><p>Điều 1. Phạm vi</p>"
                    "</main></body></html>", encoding="utf-8")
    assert read_document(path) == "Điều 1. Phạm vi"


def test_html_with_only_scripts_is_empty(tmp_path):
    path = tmp_path / "rong.html"
    path.write_text("<html><body><script>x()</script><nav>Trang chủ</nav></body></html>",
                    encoding="utf-8")
    assert "rỗng" in unreadable(path)


# --- .txt -----------------------------------------------------------------------------------

def test_txt_utf8_with_bom_crlf_and_blank_lines(tmp_path):
    path = tmp_path / "luat.txt"
    body = "Luật Đất đai\r\nSố: 31/2024/QH15  \r\n\r\n\r\nĐiều 1.\tPhạm vi điều chỉnh\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + unicodedata.normalize("NFD", body).encode("utf-8"))
    assert read_document(path) == "Luật Đất đai\nSố: 31/2024/QH15\nĐiều 1. Phạm vi điều chỉnh"


def test_txt_utf16_with_bom(tmp_path):
    path = tmp_path / "luat-utf16.txt"
    path.write_bytes("Điều 1. Phạm vi điều chỉnh\nLuật này quy định.".encode("utf-16"))
    assert read_document(path) == "Điều 1. Phạm vi điều chỉnh\nLuật này quy định."


_TONES = "\u0300\u0301\u0303\u0309\u0323"  # the five tone marks Windows-1258 writes as combining characters


def _cp1258(text: str) -> bytes:
    """`text` as Windows' own conversion writes it: a base letter (ê, ơ, ă…) then its tone mark."""
    out = b""
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out += (base + "".join(c for c in decomposed if c in _TONES)).encode("cp1258")
    return out


def test_txt_in_windows_1258_is_read_as_vietnamese(tmp_path):
    body = "Điều 1. Phạm vi điều chỉnh\nLuật này quy định về quyền của người dân được cư trú."
    path = tmp_path / "cp1258.txt"
    path.write_bytes(_cp1258(body))
    assert read_document(path) == body


def test_txt_in_a_font_encoding_is_refused_with_the_way_to_convert_it(tmp_path):
    path = tmp_path / "tcvn3.txt"
    path.write_bytes(b"\xa7i\xd2u 1. Ph\xb9m vi \xaei\xd2u ch\xd8nh c\xf1a Lu\xcbt n\xb5y")  # TCVN3 (ABC) bytes
    message = unreadable(path)
    assert "UTF-8" in message and "TCVN3" in message and "Unikey" in message


def test_a_web_page_saved_as_txt_is_refused_with_what_to_do(tmp_path):
    """Its scripts, menus and tags had been stored and indexed as the document's text."""
    path = tmp_path / "trang.txt"
    path.write_text("<!doctype html><html><head><script>alert(1)</script></head><body><p>Điều 1. Phạm vi</p>"
                    "</body></html>", encoding="utf-8")
    assert ".html" in unreadable(path)
    path.write_text("Điều 1. Thẻ <b> và <html> được nhắc trong nội dung thì vẫn là văn bản.", encoding="utf-8")
    assert read_document(path).startswith("Điều 1.")


def test_txt_that_is_binary_is_refused(tmp_path):
    path = tmp_path / "anh.txt"
    path.write_bytes(b"%PDF-1.7\n\x00\x01\x02")
    assert "không phải" in unreadable(path)


@pytest.mark.parametrize("name", ["rong.docx", "rong.pdf", "rong.html", "rong.txt"])
def test_a_zero_byte_file_is_called_empty_not_the_wrong_format(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert "tệp rỗng (0 byte)" in unreadable(path)


def test_empty_txt_is_refused(tmp_path):
    path = tmp_path / "rong.txt"
    path.write_bytes(b"\xef\xbb\xbf \r\n\t\n")
    assert "rỗng" in unreadable(path)


# --- unsupported ----------------------------------------------------------------------------

def test_unsupported_extension_lists_supported_ones(tmp_path):
    path = tmp_path / "bang.xlsx"
    path.write_bytes(b"PK\x03\x04")
    message = unreadable(path)
    for ext in (".txt", ".docx", ".pdf", ".html"):
        assert ext in message


def test_unreadable_document_is_a_value_error():
    assert issubclass(UnreadableDocument, ValueError)


# --- .pdf -----------------------------------------------------------------------------------

def test_pdf_line_joining_rules():
    full = "x" * 80
    lines = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Chương I",
        "QUY ĐỊNH CHUNG",
        "Điều 1. Phạm vi điều chỉnh",
        "Thông tư này hướng dẫn chức năng, nhiệm vụ, quyền hạn của cơ quan chuyên môn thuộc Ủy",
        "ban nhân dân cấp tỉnh, cấp xã về các lĩnh vực thuộc phạm vi quản lý nhà nước của Bộ",
        "Khoa học và Công nghệ.",
        "1. Sở Khoa học và Công nghệ thực hiện các nhiệm vụ về khoa học và công nghệ sau đây",
        "a) Hoạt động nghiên cứu khoa học và phát triển công nghệ trên địa bàn cấp tỉnh và cấp",
        "đ) Tiêu chuẩn đo lường chất lượng;",
        "Mục 2. Tổ chức",
        full,
        "- Phòng Quản lý khoa học",
    ]
    assert join_pdf_lines(lines).split("\n") == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",   # short lines are headings: kept apart
        "Độc lập - Tự do - Hạnh phúc",
        "Chương I",
        "QUY ĐỊNH CHUNG",
        "Điều 1. Phạm vi điều chỉnh",
        "Thông tư này hướng dẫn chức năng, nhiệm vụ, quyền hạn của cơ quan chuyên môn thuộc Ủy"
        " ban nhân dân cấp tỉnh, cấp xã về các lĩnh vực thuộc phạm vi quản lý nhà nước của Bộ"
        " Khoa học và Công nghệ.",
        "1. Sở Khoa học và Công nghệ thực hiện các nhiệm vụ về khoa học và công nghệ sau đây",
        "a) Hoạt động nghiên cứu khoa học và phát triển công nghệ trên địa bàn cấp tỉnh và cấp",
        "đ) Tiêu chuẩn đo lường chất lượng;",
        "Mục 2. Tổ chức",
        full,
        "- Phòng Quản lý khoa học",
    ]


PDF_HTML = f"""<!doctype html>
<html><head><meta charset="utf-8">
<style>body {{ font-family: "DejaVu Serif", serif; font-size: 12pt; margin: 2cm; }}
h1, p {{ margin: 0 0 6pt 0; font-size: 12pt; }}</style></head>
<body>
<h1>THÔNG TƯ</h1>
<p>Chương I</p>
<p>QUY ĐỊNH CHUNG</p>
<p>Điều 1. Phạm vi điều chỉnh</p>
<p>{LONG_SENTENCE}</p>
<p>{CLAUSE_1}</p>
<p>{POINT_A}</p>
<p>{POINT_DD}</p>
<p>Điều 2. Đối tượng áp dụng</p>
</body></html>
"""


def print_to_pdf(html: Path, pdf: Path, profile: Path, furniture: bool = False) -> None:
    """Chromium's "print to PDF"; with `furniture`, its date, title, file URL and "1/3" on every page."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on PATH to print the test PDF")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", *([] if furniture else ["--no-pdf-header-footer"]),
         f"--print-to-pdf={pdf}", html.as_uri()],
        check=True, capture_output=True, timeout=180,
    )
    assert pdf.read_bytes().startswith(b"%PDF")


def test_pdf_printed_by_chromium(tmp_path):
    html, pdf = tmp_path / "thong-tu.html", tmp_path / "thong-tu.pdf"
    html.write_text(PDF_HTML, encoding="utf-8")
    print_to_pdf(html, pdf, tmp_path / "chromium-profile")
    text = read_document(pdf)
    assert text.split("\n") == [
        "THÔNG TƯ", "Chương I", "QUY ĐỊNH CHUNG", "Điều 1. Phạm vi điều chỉnh",
        LONG_SENTENCE,  # wrapped over several lines by the layout, joined back
        CLAUSE_1, POINT_A, POINT_DD, "Điều 2. Đối tượng áp dụng",
    ]
    assert unicodedata.is_normalized("NFC", text)


def test_a_browser_s_page_header_and_footer_do_not_reach_the_text(tmp_path):
    import pypdfium2 as pdfium

    clauses = "".join(f"<p>{i}. {CLAUSE_1[3:]}</p>" for i in range(1, 40))  # four pages
    html = tmp_path / "nhieu-trang.html"
    html.write_text(PDF_HTML.replace(f"<p>{CLAUSE_1}</p>", clauses), encoding="utf-8")
    plain, stamped = tmp_path / "plain.pdf", tmp_path / "stamped.pdf"
    print_to_pdf(html, plain, tmp_path / "profile-1")
    print_to_pdf(html, stamped, tmp_path / "profile-2", furniture=True)
    pages = pdfium.PdfDocument(str(stamped))
    raw = "\n".join(page.get_textpage().get_text_range() for page in pages)
    assert "file://" in raw and "4/4" in raw and len(pages) == 4  # the furniture is really there
    text = read_document(stamped)
    assert text == read_document(plain)
    assert "file:" not in text and str(tmp_path) not in text and not re.search(r"\d:\d\d", text)


def test_a_running_header_on_most_pages_is_dropped_and_body_lines_stay():
    from rag.documents.readers import _without_running_lines

    body = ["Điều 4. Hiệu lực", "1. Khoản một.", "a) Điểm a;", "b) Điểm b.", "Điều 5. Tổ chức thực hiện"]
    pages = [[f"CÔNG BÁO/Số {10 + i}/Ngày 0{i + 1}-01-2025", *body] for i in range(4)]
    assert _without_running_lines(pages) == ["\n".join(body)] * 4  # structural lines are never furniture
    assert _without_running_lines(pages[:2]) == ["\n".join(p) for p in pages[:2]]  # two pages prove nothing


def test_scanned_pdf_without_text_layer_is_refused(tmp_path):
    import pypdfium2 as pdfium

    path = tmp_path / "ban-scan.pdf"
    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    document.save(path)
    document.close()
    assert "PDF không có lớp văn bản (bản scan)" in unreadable(path)


def test_pdf_that_is_really_html_is_refused(tmp_path):
    path = tmp_path / "tai-ve.pdf"
    path.write_text("<!doctype html><html><body><p>Điều 1. Phạm vi</p></body></html>",
                    encoding="utf-8")
    assert "PDF" in unreadable(path)


def test_damaged_pdf_is_refused(tmp_path):
    path = tmp_path / "hong.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\n")
    assert "PDF" in unreadable(path)


def test_a_hyphen_pdfium_takes_for_a_line_break_one_stays_a_hyphen(tmp_path):
    """PDFium reports "NĐ-CP" wrapped in a narrow header cell as "NĐ\\ufffeCP": the document's number
    became "38/2026/NĐ" and every citation showed it cut."""
    html, pdf = tmp_path / "nd.html", tmp_path / "nd.pdf"
    html.write_text('<!doctype html><html><head><meta charset="utf-8"></head><body style="font: 12pt \'DejaVu Serif\'">'
                    '<p style="width:3.6cm">Số: 38/2026/NĐ-CP</p><p>Điều 1. Phạm vi điều chỉnh</p></body></html>',
                    encoding="utf-8")
    print_to_pdf(html, pdf, tmp_path / "chromium-profile")
    assert read_document(pdf).split("\n")[0] == "Số: 38/2026/NĐ-CP"


def test_a_year_wrapped_onto_its_own_line_is_joined_back():
    """"2026." alone on a line is no clause number: the effective date had been cut from its year."""
    full = "1. Nghị định này có hiệu lực thi hành từ ngày 01 tháng 3 năm"
    assert join_pdf_lines([full, "2026.", "2. Nghị định này thay thế Nghị định số 33/2023/NĐ-CP."]).split("\n") == [
        f"{full} 2026.", "2. Nghị định này thay thế Nghị định số 33/2023/NĐ-CP."]
