import json

import pytest

from rag.documents.corpus import is_debris, load_documents, news_paragraphs

TITLE = "Sơn La thành lập Trung tâm Hỗ trợ đổi mới sáng tạo và chuyển đổi số"


@pytest.mark.parametrize("line, debris", [
    ("No title... No title... No title...", True),
    ("Lượt xem: 207", True),
    ("Họ tên no image", True),
    ("KHEN THƯỞNG - XỬ PHẠTThống kê truy cập", True),
    ("Sơn La thành lập Trung tâm Hỗ trợ đổi mới sáng tạo và chuyển đổi số - ảnh 1", True),
    ("Các đại biểu tham quan Phòng cấy mô tế bào thực vật tại Trung tâm. Ảnh: Nguyễn Oanh - TTXVN", True),
    ("NGUYỄN OANH", True),
    (TITLE, True),
    ("Theo đó, Trung tâm Hỗ trợ đổi mới sáng tạo và chuyển đổi số được thành lập trên cơ sở hợp nhất "
     "Trung tâm Đổi mới sáng tạo và Trung tâm Công nghệ thông tin và Kiểm định trực thuộc Sở.", False),
])
def test_debris_table(line, debris):
    assert is_debris(line, TITLE) is debris


def test_date_prefix_is_stripped_from_the_first_paragraph(corpus):
    doc = corpus[0]["lai-chau-trung-tam-dmst-cds"]
    start, _ = news_paragraphs(doc)[0]
    assert doc.text[start:].startswith("Phó Chủ tịch UBND tỉnh Lai Châu")


def test_adding_a_document_is_a_manifest_entry(tmp_path):
    (tmp_path / "tin.txt").write_text("Tiêu đề\n\n" + "Một đoạn tin dài có đủ chữ để không bị coi là chú thích ảnh "
                                       "hay phần thừa của trang web, và kết thúc bằng dấu chấm.\n", encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"documents": [
        {"doc_id": "tin-moi", "file": "tin.txt", "kind": "news", "title": "Tiêu đề"}]}), encoding="utf-8")
    [doc] = load_documents(tmp_path)
    assert doc.doc_id == "tin-moi" and len(news_paragraphs(doc)) == 1


@pytest.mark.parametrize("entry, error", [
    ({"doc_id": "x", "file": "x.txt", "kind": "news"}, "mục x thiếu title"),
    ({"doc_id": "x", "file": "x.txt", "kind": "blog", "title": "t"}, "tệp x.txt, tệp này không có trong thư mục"),
    ({"doc_id": "x", "file": "../x.txt", "kind": "law", "title": "t"}, "tệp ngoài thư mục văn bản"),
])
def test_bad_manifest_entries_are_refused(tmp_path, entry, error):
    (tmp_path / "manifest.json").write_text(json.dumps({"documents": [entry]}), encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        load_documents(tmp_path)


def test_missing_manifest_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="chưa có danh mục manifest.json: thêm văn bản bằng python -m rag add"):
        load_documents(tmp_path)
