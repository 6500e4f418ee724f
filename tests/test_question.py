import pytest

from rag.query.question import BadQuestion, clean_question
from rag.query.words import is_english


@pytest.mark.parametrize("raw, error", [
    ("", "trống"),
    ("   \n\t ", "trống"),
    ("a" * 2001, "quá dài"),
    ("\x00\x01\x02\x03\x04\x05\x06 ab", "ký tự lạ"),
    ("\ufffd\ufffd\ufffd\ufffd", "trống"),
    ("!!!! ???? 1234 ....", "chưa có chữ nào"),
    ("12", "chưa có chữ nào"),  # nothing odd in it: it had been told "có ký tự lạ"
    (None, "văn bản"),
    (42, "văn bản"),
])
def test_bad_questions_get_a_vietnamese_message(raw, error):
    with pytest.raises(BadQuestion, match=error):
        clean_question(raw)


def test_control_characters_are_removed_and_text_kept():
    assert clean_question(" Mã\x00 số\u200b mã vạch? ") == "Mã số mã vạch?"


@pytest.mark.parametrize("question, titles", [
    ("Luật Tiếp cận thông tin áp dụng cho ai?", ("đối tượng áp dụng", "phạm vi điều chỉnh")),
    ("Thế nào là tiếp cận thông tin, định nghĩa ra sao?", ("giải thích từ ngữ",)),
    ("luat nay co hieu luc tu ngay nao", ("hiệu lực",)),  # typed without diacritics
    ("Những hành vi nào bị cấm?", ("nghiêm cấm", "bị cấm")),
    ("Sở có nhiệm vụ gì về bưu chính?", ()),
])
def test_standard_article_titles_asked_for(question, titles):
    from rag.query.words import asked_titles

    assert asked_titles(question) == titles


@pytest.mark.parametrize("question, english", [
    ("Who manages postal service points in communes?", True),
    ("Which body handles barcodes under Circular 10/2025?", True),
    ("What are the duties of the digital transformation centre?", True),
    ("giai the, to chuc lai trung tam thuoc so khcn thi ai quyet dinh", False),  # "the", "to": thể, tổ
    ("techfest o tinh do trung tam nao to chuc", False),  # "do", "to": do, tổ
    ("kiem dinh can o dau vay ad", False),
])
def test_english_is_told_from_vietnamese_typed_without_accents(question, english):
    assert is_english(question) is english


@pytest.mark.parametrize("question, listing", [
    ("Hồ sơ đăng ký tạm trú gồm những gì?", True),
    ("Những trường hợp nào bị xóa đăng ký thường trú?", True),
    ("Đăng ký kết hôn cần điều kiện gì?", True),
    ("Trung tâm TĐC có nhiệm vụ gì về mã số mã vạch?", False),  # one duty, not a list
    ("Thời hạn tạm trú tối đa là bao lâu?", False),
    ("Điều kiện kinh doanh được quy định ở đâu?", False),  # "điều kiện" alone asks where, not what
])
def test_questions_asking_for_a_whole_list(question, listing):
    from rag.query.words import asks_list

    assert asks_list(question) is listing
