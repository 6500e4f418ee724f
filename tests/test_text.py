import pytest

from rag.text import fold, folded_terms, has_diacritics, normalize, syllables, words


@pytest.mark.parametrize("raw, expected", [
    ("hoà bình", "hòa bình"),
    ("Văn hoá - Xã hội", "Văn hóa - Xã hội"),
    ("thuỷ sản", "thủy sản"),
    ("khoẻ mạnh", "khỏe mạnh"),
    ("tuỳ chọn", "tùy chọn"),
    ("HOÀ", "HÒA"),
    ("quý", "quý"),           # "qu" + "ý": the u belongs to the consonant, nothing moves
    ("hoàn thành", "hoàn thành"),  # the vowel is followed by a consonant: already one placement
    ("  nhiều   khoảng\ntrắng ", "nhiều khoảng trắng"),
])
def test_normalize_tone_marks_and_spaces(raw, expected):
    assert normalize(raw) == expected


def test_normalize_composes_nfd_input():
    nfd = "Đơn vị nào phụ trách mã số mã vạch?".encode().decode()
    import unicodedata

    assert normalize(unicodedata.normalize("NFD", nfd)) == unicodedata.normalize("NFC", nfd)


def test_fold_removes_every_diacritic_and_maps_d_bar():
    assert fold("Đơn vị nào phụ trách mã số, mã vạch?") == "don vi nao phu trach ma so, ma vach?"
    assert fold("hoà") == fold("hòa") == "hoa"


def test_has_diacritics():
    assert has_diacritics("mã vạch") and not has_diacritics("ma vach")


def test_words_keep_one_letter_tokens_and_compounds():
    tokens = words("Điều 5 khoản 1 về mã số mã vạch")
    assert "5" in tokens and "1" in tokens and "mã_số" in tokens and "mã_vạch" in tokens


def test_syllables_and_folded_bigrams():
    assert syllables("KH&CN, Sở") == ["kh&cn", "sở"]
    assert folded_terms("mã số mã vạch")[-1] == "ma_vach"
