"""A document with no article (a guidance, a notice) is read as paragraphs, like news, and is still
shown as the document it is: an outside tester's guidance had been answered "Theo các tin bài"."""
from rag.answers.extractive import Library, compose
from rag.answers.scope import Scope
from rag.documents.corpus import Document, DocumentInfo
from rag.documents.glossary import Glossary
from rag.documents.parse import parse_document
from rag.settings import load_settings

GUIDANCE = """Hướng dẫn tuyển sinh vào lớp 10 năm học 2026-2027
Số: 120/HD-SGDĐT. Sở Giáo dục và Đào tạo hướng dẫn tuyển sinh vào lớp 10 trung học phổ thông công lập năm học 2026-2027 như sau.
Hồ sơ dự tuyển gồm phiếu đăng ký dự tuyển theo mẫu của Sở, bản sao giấy khai sinh hợp lệ, học bạ trung học cơ sở và giấy xác nhận ưu tiên nếu có.
"""


def test_a_guidance_is_paragraphs_and_answers_name_it_as_a_document():
    doc = Document("120/HD-SGDĐT", "hd.txt", "other", "Hướng dẫn tuyển sinh lớp 10", GUIDANCE)
    units = parse_document(doc)
    assert [u.kind for u in units] == ["paragraph"] * 3 and units[0].text.startswith("Hướng dẫn tuyển sinh")
    info = DocumentInfo(doc.doc_id, doc.kind, doc.title)
    library = Library({u.uid: u for u in units}, Glossary("", {}, (), {}, ()), {doc.doc_id: info})
    lines = compose("Hồ sơ dự tuyển lớp 10 gồm những gì?", [units[2]], library, load_settings(env={}))
    assert lines[0] == f"Theo {info.name}:" and lines[1].startswith(f"- {info.name}: “Hồ sơ dự tuyển")
    assert "tin bài" not in "\n".join(lines) and "Theo bài" not in "\n".join(lines)
    assert not any(e.startswith("Điều 1") for e in Scope.of(library).examples)  # it has no Điều 1


PLAN = """ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ
Số: 88/KH-UBND
Quảng Trị, ngày 05 tháng 5 năm 2026
KẾ HOẠCH
Tổ chức Ngày hội Chuyển đổi số tỉnh năm 2026
III. THỜI GIAN, ĐỊA ĐIỂM
1. Thời gian: từ ngày 09 đến ngày 10 tháng 10 năm 2026.
2. Địa điểm: Quảng trường Trung tâm Văn hóa tỉnh.
Nơi nhận:
- Lưu: VT, KGVX.
"""


def test_a_plans_short_lines_of_content_are_kept_and_its_headings_and_recipients_are_not():
    """The news rule (under 15 words is a caption) had dropped "1. Thời gian: …" and with it the answer
    to "tổ chức khi nào?"."""
    units = parse_document(Document("88/KH-UBND", "kh.txt", "other", "Kế hoạch Tổ chức Ngày hội", PLAN))
    assert [u.text for u in units if u.kind == "paragraph"] == [
        "Tổ chức Ngày hội Chuyển đổi số tỉnh năm 2026", "1. Thời gian: từ ngày 09 đến ngày 10 tháng 10 năm 2026.",
        "2. Địa điểm: Quảng trường Trung tâm Văn hóa tỉnh."]


def test_a_plan_keeps_the_blocks_that_say_its_number_date_and_signer():
    """"Ai ký Kế hoạch 12/KH-UBND?" and "… ban hành ngày nào?" had been refused: a document without
    articles kept only its paragraphs. The header's number and date and the recipients and signature
    are preamble units, as in a regulation; a line of content starting with "Số:" stays a paragraph."""
    units = parse_document(Document("88/KH-UBND", "kh.txt", "other", "Kế hoạch Tổ chức Ngày hội", PLAN))
    blocks = [(u.label, u.text) for u in units if u.kind == "preamble"]
    assert blocks == [("Số hiệu, ngày ban hành", "Số: 88/KH-UBND\nQuảng Trị, ngày 05 tháng 5 năm 2026"),
                      ("Nơi nhận, chữ ký", "Nơi nhận:\n- Lưu: VT, KGVX.")]
    assert [u.kind for u in units] == ["preamble", "paragraph", "paragraph", "paragraph", "preamble"]  # reading order
    assert [u.label for u in units if u.kind == "paragraph"] == [f"Kế hoạch Tổ chức Ngày hội (đoạn {i})" for i in (1, 2, 3)]
    guidance = parse_document(Document("120/HD-SGDĐT", "hd.txt", "other", "Hướng dẫn", GUIDANCE))
    assert [u.kind for u in guidance] == ["paragraph"] * 3
