import re

import pytest

from rag.text import fold, folded_terms, has_diacritics, normalize, passage_words, syllables, whole_words, words


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


@pytest.mark.parametrize("one, other", [
    ("chữ ký số", "chữ kí số"), ("kỹ thuật", "kĩ thuật"), ("tỷ lệ", "tỉ lệ"), ("Quy định", "qui định"),
    ("lý lịch", "lí lịch"), ("công ty", "công ti"), ("chu ky so", "chu ki so"),
])
def test_a_final_y_after_a_consonant_folds_like_i(one, other):
    assert fold(one) == fold(other)


@pytest.mark.parametrize("word", ["y tế", "thủy sản", "tuy nhiên", "huy động", "quyết định", "ngày", "tây"])
def test_y_in_a_vowel_group_or_alone_stays_y(word):
    assert fold(word).count("y") == word.count("y")


def test_a_question_typed_with_i_finds_the_documents_y():
    from rag.text import accent_table, restore_diacritics

    table = accent_table(["Hướng dẫn sử dụng chữ ký số và kỹ thuật số."])
    assert restore_diacritics("chu ki so", table) == "chữ ký số"
    assert folded_terms("chữ kí số") == folded_terms("chữ ký số")


def test_has_diacritics():
    assert has_diacritics("mã vạch") and not has_diacritics("ma vach")


def test_words_keep_one_letter_tokens_and_compounds():
    tokens = words("Điều 5 khoản 1 về mã số mã vạch")
    assert "5" in tokens and "1" in tokens and "mã_số" in tokens and "mã_vạch" in tokens


def test_syllables_and_folded_bigrams():
    assert syllables("KH&CN, Sở") == ["kh&cn", "sở"]
    assert folded_terms("mã số mã vạch")[-1] == "ma_vach"


def test_accent_restoration_prefers_question_words_documents_then_the_dictionary():
    from rag.text import accent_table, restore_diacritics

    table = accent_table(["Kiểm định cân điện tử.", "Cán bộ lưu trữ hồ sơ thương mại."], preferred=["cần", "cho"],
                         phrases=["cân"], dictionary=["thường trú", "chơ vơ"])
    assert restore_diacritics("kiem dinh can dien tu", table) == "kiểm định cân điện tử"  # a document phrase
    assert restore_diacritics("can giay", table) == "cần giay"  # a lay term alone is no reason for "cân"
    assert restore_diacritics("thuong tru", table) == "thường trú"  # documents know the syllables, not the word
    assert restore_diacritics("cho vo", table).startswith("cho ")  # a question word outranks the dictionary


def test_accent_phrases_stop_at_punctuation_and_numbers():
    """"chuyển đổi số, công nghệ" had made "số công" a phrase, which outvoted the documents' "cộng
    đồng" in "to cong nghe so cong dong"."""
    from rag.text import accent_table, restore_diacritics

    table = accent_table(["Chuyển đổi số, công nghệ số, công nghệ thông tin.", "Tổ công nghệ số cộng đồng.",
                          "Điều 7 khoản 2"])
    assert "so cong" in table and table["so cong"][1] == 1  # only the one the text writes side by side
    assert "dieu khoan" not in table
    assert restore_diacritics("to cong nghe so cong dong", table) == "tổ công nghệ số cộng đồng"


def test_stopword_phrases_are_removed_only_whole():
    from rag.query.words import content_words

    assert content_words("kiểm định theo quy định") == ["kiem", "dinh"]
    assert content_words("công bố hợp quy ở bộ phận nào") == ["cong", "bo", "hop", "qui"]


def test_stopwords_keep_their_accents_when_the_question_has_them():
    from rag.query.words import content_words

    assert content_words("chị hỏi về chi phí hội nghị") == ["chi", "phi", "hoi", "nghi"]
    assert content_words("chi hoi ve chi phi") == ["phi"]  # unaccented: folded stopwords


def test_passage_words_segments_each_line_as_words_does():
    crumb = "Luật Cư trú 68/2020/QH14 › Điều 20. Điều kiện đăng ký thường trú"
    text = f"{crumb}\nCông dân có chỗ ở hợp pháp thì được đăng ký thường trú."
    assert passage_words(text) == words(crumb) + words("Công dân có chỗ ở hợp pháp thì được đăng ký thường trú.")
    assert "đăng_ký" in passage_words(text) and "thường_trú" in passage_words(text)


@pytest.mark.parametrize("text, found", [
    ("Trung tâm TĐC thực hiện", ["TĐC"]),
    ("Chi cục TĐC&CL", []),  # "&" joins words: not the same name
    ("mã số mã vạch", ["mã số mã vạch"]),  # the longest phrase wins
    ("mã sốa", []),
])
def test_whole_words_match_only_whole_phrases_longest_first(text, found):
    assert re.findall(whole_words("TĐC", "mã số", "mã số mã vạch"), text) == found


@pytest.mark.parametrize("name, plain", [
    ("Sở Khoa học và Công nghệ", "Sở Khoa học Công nghệ"),
    ("Phòng Văn hóa - Xã hội", "Phòng Văn hóa Xã hội"),
    ("Luật Phòng, chống tác hại của rượu, bia", "Luật Phòng chống tác hại của rượu bia"),
    ("Luật Hôn nhân và gia đình", "Luật Hôn nhân gia đình"),
    ("Trung tâm Vận tải", "Trung tâm Vận tải"),  # "và" only as a word
])
def test_plain_name_drops_connectives_only(name, plain):
    from rag.text import plain_name

    assert plain_name(name) == plain


def test_a_question_phrase_outvotes_a_document_bigram_that_overlaps_it():
    """"tu bao nhieu tuoi": the documents' "tự bảo" (self-protection) had turned the question's
    "bao nhiêu" into "bảo nhiêu"."""
    from rag.text import accent_table, restore_diacritics

    table = accent_table(["Người tự bảo vệ quyền của mình."] * 50 + ["Bảo hiểm xã hội."] * 1500,
                         preferred=["bao nhiêu"])
    assert "bao nhiêu" in restore_diacritics("tu bao nhieu tuoi", table)


def test_an_everyday_question_word_keeps_its_accents_however_often_the_documents_spell_it_otherwise():
    """28 laws spell "tới" 1,500 times and "tôi" almost never; a citizen's "toi" is "tôi"."""
    from rag.text import accent_table, restore_diacritics

    table = accent_table(["Quy định này áp dụng tới ngày thi hành."] * 1500, preferred=["tôi"])
    assert table["toi"][0] == "tôi"
    assert restore_diacritics("toi muon hoi", table).startswith("tôi")
    assert accent_table(["Quy định này áp dụng tới ngày thi hành."] * 1500)["toi"][0] == "tới"  # no preference: the documents' form


def test_no_two_preferred_accent_words_are_the_same_word_typed_without_accents():
    """Only one form of a folded word can be preferred: "chó" listed after "cho" had turned every
    unaccented "cho" ("cho tôi hỏi") into "chó"."""
    from collections import defaultdict

    from rag.query.words import lexicon
    from rag.text import fold

    forms = defaultdict(set)
    for word in lexicon()["accent_words"]:
        forms[fold(word)].add(word)
    assert {k: v for k, v in forms.items() if len(v) > 1} == {}


def test_the_question_words_survive_the_everyday_accent_words():
    from rag.query.words import lexicon
    from rag.text import accent_table, restore_diacritics

    table = accent_table(["Cơ quan nào phải làm việc này cho người dân?"] * 20, preferred=lexicon()["accent_words"])
    assert restore_diacritics("cho toi hoi ai lam viec nay, phai lam sao", table) == \
        "cho tôi hỏi ai làm việc này, phải làm sao"


def test_a_citizens_story_keeps_its_everyday_words_over_the_documents_single_words():
    """"o to" had become "ở tổ" (of "ở tổ dân phố"), and "vi" "vị" (of "đơn vị", "vị trí")."""
    from rag.query.words import lexicon
    from rag.text import accent_table, restore_diacritics

    table = accent_table(["Đơn vị ở tổ dân phố có vị trí, chức năng phát triển."] * 50, preferred=lexicon()["accent_words"])
    assert restore_diacritics("bi phat vi di xe o to", table) == "bị phạt vì đi xe ô tô"


def test_who_takes_care_of_it_stays_lo_when_the_documents_say_lo_trinh():
    """"ai lo" (who handles it) had become "ai lộ" after the documents' "lộ trình", and "ai lo việc
    bưu chính ở xã" was refused (an outside tester's finding)."""
    from rag.query.words import lexicon
    from rag.text import accent_table, restore_diacritics

    table = accent_table(["Xây dựng lộ trình chuyển đổi số, lộ trình áp dụng tiêu chuẩn."] * 50,
                         preferred=lexicon()["accent_words"])
    assert restore_diacritics("ai lo lo trinh chuyen doi so", table) == "ai lo lộ trình chuyển đổi số"
