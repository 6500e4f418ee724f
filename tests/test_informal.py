"""Informal Vietnamese normalisation: a table of cases, collisions with legal text, and the Query.

Pure logic: no torch, no llama-index (the query stage imports neither)."""
import sys

import pytest

from rag.query.informal import normalize_informal


@pytest.mark.parametrize("typed, expected", [
    # polite openers and closers, address forms
    ("cho e hỏi kiểm định cân điện tử thì đến đâu ạ", "kiểm định cân điện tử thì đến đâu"),
    ("cho mình hỏi Sở có nhiệm vụ gì nhé", "Sở có nhiệm vụ gì"),
    ("ad ơi đăng ký mã vạch ở đâu vậy ạ?", "đăng ký mã vạch ở đâu?"),
    ("mn ơi ai quản lý bưu chính ở xã với ạ, e cần gấp", "ai quản lý bưu chính ở xã"),
    # a closer before a comma, a clause that is only a filler
    ("cho e hỏi kiểm định cân điện tử ở đâu vậy ad, tiệm e bán tạp hóa", "kiểm định cân điện tử ở đâu, tiệm em bán tạp hóa"),
    ("mn ơi, cho e hỏi, sở làm gì ạ?", "sở làm gì?"),
    ("cho e hỏi vs, muốn đăng ký mã vạch thì ai tư vấn", "muốn đăng ký mã vạch thì ai tư vấn"),  # fillers only
    # teencode and chat abbreviations
    ("ko bít hỏi ai luôn ạ", "không biết hỏi ai luôn"),
    ("cty e mún đăng ký mã số mã vạch thì lm ntn", "công ty em muốn đăng ký mã số mã vạch thì làm như thế nào"),
    ("sđt của tt tđc là j", "số điện thoại của trung tâm tđc là gì"),
    ("xã có phải gửi bc định kỳ ko", "xã có phải gửi báo cáo định kỳ không"),
    ("e kh biết hỏi ai", "em không biết hỏi ai"),
    ("sở kh cn có mấy trung tâm", "sở khoa học cn có mấy trung tâm"),  # KH&CN typed with a space
    # administrative abbreviations of the laws' domains, typed in lower case
    ("cty đóng bhxh đủ thì e đc nghỉ mấy tháng", "công ty đóng bảo hiểm xã hội đủ thì em được nghỉ mấy tháng"),
    ("lam lai cccd o ubnd xa dc ko", "lam lai can cuoc cong dan o uy ban nhan dan xa duoc khong"),
    # casual spellings (i/y)
    ("ai quản lí việc đăng kí kĩ thuật", "ai quản lý việc đăng ký kỹ thuật"),
    # typed without diacritics: rewrites stay diacritic-free, so accents can be restored afterwards
    ("kiem dinh can o dau vay ad", "kiem dinh can o dau"),
    ("cho e hoi thu tuc ly hon o dau a", "thu tuc ly hon o dau"),
    ("ko biet hoi ai", "khong biet hoi ai"),
    # emoji and repeated punctuation
    ("Sở KH&CN có nhiệm vụ gì???? 😀", "Sở KH&CN có nhiệm vụ gì?"),
    ("sandbox ở tỉnh thì ai lo 🤔🤔", "sandbox ở tỉnh thì ai lo"),
    # acronyms written as a document writes them are left to the glossary; typed casually they are spelled out
    ("Trung tâm CĐS có nhiệm vụ gì?", "Trung tâm CĐS có nhiệm vụ gì?"),
    ("trung tâm cđs có nhiệm vụ gì", "trung tâm chuyển đổi số có nhiệm vụ gì"),
    # English loanwords mixed into Vietnamese, but an English question keeps its words
    ("nộp hồ sơ online dc ko", "nộp hồ sơ trực tuyến được không"),
    ("nop ho so online o dau", "nop ho so truc tuyen o dau"),
    ("muốn test mẫu nước thì ai làm", "muốn thử nghiệm mẫu nước thì ai làm"),
    ("Where can I test a scale online?", "Where can I test a scale online?"),
    # a closer matches with its accents when typed with them: "thế" is not the "thể" of "tập thể"
    ("Sở làm gì thế?", "Sở làm gì?"),
    ("Mức hỗ trợ nhãn hiệu tập thể?", "Mức hỗ trợ nhãn hiệu tập thể?"),
    ("Hồ sơ gồm những gì cụ thể?", "Hồ sơ gồm những gì cụ thể?"),
    # clean questions are left alone
    ("Đơn vị nào phụ trách mã số mã vạch?", "Đơn vị nào phụ trách mã số mã vạch?"),
    ("Phòng Văn hóa - Xã hội và Sở phối hợp với nhau thế nào?", "Phòng Văn hóa - Xã hội và Sở phối hợp với nhau thế nào?"),
])
def test_informal_questions_are_normalised(typed, expected):
    assert normalize_informal(typed) == expected


@pytest.mark.parametrize("typed, expected", [
    # legal references and document numbers are never rewritten
    ("điểm k khoản 2 Điều 7 nói gì", "điểm k khoản 2 Điều 7 nói gì"),
    ("điểm e khoản 2 điều 9 là j", "điểm e khoản 2 điều 9 là gì"),
    ("diem b khoan 11 dieu 2 ko", "diem b khoan 11 dieu 2 khong"),
    ("Theo 10/2025/TT-BKHCN thì sao", "Theo 10/2025/TT-BKHCN thì sao"),
    ("TT-BKHCN có hiệu lực khi nào", "TT-BKHCN có hiệu lực khi nào"),
    # ambiguous short forms resolved from their neighbour, or left as typed
    ("tt 10 có hiệu lực khi nào", "thông tư 10 có hiệu lực khi nào"),
    ("tt tđc ở đâu", "trung tâm tđc ở đâu"),
    ("tt hành chính về mã vạch", "thủ tục hành chính về mã vạch"),
    ("tt là gì", "tt là gì"),
    ("gđ trung tâm tđc là ai", "giám đốc trung tâm tđc là ai"),
    ("hộ gđ tôi", "hộ gia đình tôi"),
    ("xin đc trung tâm", "xin địa chỉ trung tâm"),
    ("làm ở đâu thì đc", "làm ở đâu thì được"),
    ("sở v phòng văn hóa", "sở và phòng văn hóa"),
    ("tt đmst là j v, thuộc ai", "trung tâm đmst là gì, thuộc ai"),  # "v" (vậy) closes its clause
    ("z còn tổ công nghệ số thì ai quản lý", "vậy còn tổ công nghệ số thì ai quản lý"),  # "vậy còn": a follow-up
    ("gđ tt tđc chịu tn trước ai", "giám đốc trung tâm tđc chịu trách nhiệm trước ai"),
    ("gửi tn cho ai", "gửi tn cho ai"),  # a message, not a duty: left as typed
    ("vk ck e ly hôn thì chia nhà sao", "vợ chồng em ly hôn thì chia nhà sao"),
    ("ck e đi làm xa", "chồng em đi làm xa"),
    ("ck tiền phí ở đâu", "ck tiền phí ở đâu"),  # a bank transfer, not a husband: left as typed
    ("mấy đứa hs vào mua bia", "mấy đứa học sinh vào mua bia"),
    ("bán cho hs lớp 10", "bán cho học sinh lớp 10"),
    ("hs đăng ký tạm trú gồm gì", "hồ sơ đăng ký tạm trú gồm gì"),
    ("nop hs o dau", "nop ho so o dau"),
    ("cty bắt ký hđ thử việc 3 tháng", "công ty bắt ký hợp đồng thử việc 3 tháng"),
    ("hđ lđ hết hạn", "hợp đồng lao động hết hạn"),
    ("hđ kinh doanh cần giấy phép gì", "hoạt động kinh doanh cần giấy phép gì"),
    # numbers typed with a unit; a rating or a class name is not one
    ("con e 14t xem phim T16 đc ko", "con em 14 tuổi xem phim T16 được không"),
    ("vay 50tr lãi 500k một tháng", "vay 50 triệu lãi 500 nghìn một tháng"),
    ("bang lai A1 cho 17t", "bang lai A1 cho 17 tuoi"),
    # a short document number or a date stays one word ("27 / 2026" had missed "Quyết định 27/2026")
    ("Quyết định 27/2026 có bao nhiêu điều vậy ạ", "Quyết định 27/2026 có bao nhiêu điều"),
    ("ngay 15/3/2026 la j", "ngay 15/3/2026 la gi"),
])
def test_legal_text_wins_collisions_and_ambiguous_forms_use_context(typed, expected):
    assert normalize_informal(typed) == expected


def test_every_lexicon_entry_has_a_reason():
    import json
    from pathlib import Path

    raw = json.loads((Path(__file__).parent.parent / "rag" / "query" / "informal.json").read_text(encoding="utf-8"))
    assert all(isinstance(why, str) and why for group in ("start", "end") for why in raw[group].values())
    assert all(len(v) == 2 and v[1] for group in ("words", "loanwords") for v in raw[group].values())
    assert all(entry["why"] and entry["rules"] for entry in raw["ambiguous"].values())
    assert all(len(v) == 2 and v[1] for v in raw["number_units"].values())


def test_the_query_stage_needs_no_torch_or_llama_index():
    import subprocess

    code = ("import sys; import rag.query.reading, rag.query.informal, rag.query.followup; "
            "assert 'torch' not in sys.modules and 'llama_index' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
