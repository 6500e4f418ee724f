"""Metadata of a Vietnamese legal document, read from its own text and never guessed.

`extract_metadata(text)` returns a `DocumentMeta` with the official number, the type of
document, its title, the issuing body, the dates of issue and of entry into force, and the
documents it replaces. Every field is None (or an empty tuple) unless the text states it.

Approach: regular expressions over two places where Vietnamese legal texts state these facts
in fixed formulas.
- The header (the first 40 non-blank lines): the issuer block in capitals above "CỘNG HÒA XÃ
  HỘI CHỦ NGHĨA VIỆT NAM", the "Số: 10/2025/TT-BKHCN" line, the "Hà Nội, ngày 27 tháng 6 năm
  2025" line, and the type line in capitals ("THÔNG TƯ", "LUẬT") followed by the heading.
  Texts that start with their name ("Luật Đất đai" then "Số: 31/2024/QH15") work too. A
  regulation with no type line (it has articles or the national motto) still has a title when
  its first line after that header block reads as a heading ("Quy định về quản lý chợ đêm", a
  web page's <h1>); a sentence is not one, and a news article gets none.
- The final provisions: "<Loại văn bản> này có hiệu lực (thi hành) (kể) từ ngày …" gives the
  date of entry into force; "… số X … hết hiệu lực (kể từ ngày <văn bản> này có hiệu lực)" and
  "<Loại văn bản> này thay thế <văn bản> số X …" give the replaced documents. Laws amended by
  an omnibus law ("đã được sửa đổi, bổ sung một số điều theo Luật số 35/2018/QH14") lose only
  the base law: the amending law stays in force, so its number is not listed.
- For laws, which carry no place-and-date line, "Luật này đã được Quốc hội … thông qua ngày
  24 tháng 11 năm 2015" gives the issuer and the date of issue.
When text gives no evidence, the number's suffix is used only where it is unambiguous: "TT" is
a Thông tư, "NĐ" a Nghị định, "-CP" is issued by the Chính phủ, "QH" by the Quốc hội. A bare
"…/QH15" number does not make a Luật: Quốc hội resolutions are numbered the same way
(Nghị quyết số 61/2022/QH15).

Usage:
    >>> meta = extract_metadata("LUẬT\\nĐẤT ĐAI\\nSố: 31/2024/QH15\\n…")
    >>> meta.number, meta.doc_type, meta.title, meta.issuer
    ('31/2024/QH15', 'Luật', 'Luật Đất đai', 'Quốc hội')
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from rag.text import normalize

HEADER_LINES = 40
MAX_HEADING_WORDS = 50  # longer is a paragraph, not a title (Thông tư 10's long title has 43 words)

DOC_TYPES: tuple[str, ...] = (  # longest first, so "Thông tư liên tịch" wins over "Thông tư"
    "Thông tư liên tịch", "Bộ luật", "Hiến pháp", "Pháp lệnh", "Nghị định", "Nghị quyết",
    "Quyết định", "Thông tư", "Chỉ thị", "Công văn", "Thông báo", "Hướng dẫn", "Kế hoạch", "Báo cáo", "Tờ trình",
    "Luật",
)  # Công văn to Tờ trình: a province's administrative documents (Nghị định 30/2020/NĐ-CP), titled like the rest
# The abbreviations of document types in a number ("120/HD-SGDĐT"), as Nghị định 30/2020/NĐ-CP lists them.
_SUFFIX_TYPES = {"TTLT": "Thông tư liên tịch", "TT": "Thông tư", "NĐ": "Nghị định", "QĐ": "Quyết định",
                 "NQ": "Nghị quyết", "CT": "Chỉ thị", "PL": "Pháp lệnh", "TB": "Thông báo", "HD": "Hướng dẫn",
                 "KH": "Kế hoạch", "BC": "Báo cáo", "TTr": "Tờ trình"}
_NOT_DOCUMENTS = ("Luật sư", "Luật gia", "Luật pháp", "Luật lệ", "Luật học", "Luật hóa")

_MINISTRIES = (
    "Khoa học và Công nghệ", "Tài chính", "Tư pháp", "Nội vụ", "Ngoại giao", "Quốc phòng",
    "Công an", "Y tế", "Xây dựng", "Công Thương", "Giáo dục và Đào tạo",
    "Tài nguyên và Môi trường", "Nông nghiệp và Phát triển nông thôn",
    "Nông nghiệp và Môi trường", "Văn hóa, Thể thao và Du lịch",
    "Lao động - Thương binh và Xã hội", "Thông tin và Truyền thông", "Kế hoạch và Đầu tư",
    "Giao thông vận tải", "Dân tộc và Tôn giáo",
)
_PROPER_NAMES = (
    "Quốc hội", "Chính phủ", "Thủ tướng Chính phủ", "Ủy ban Thường vụ Quốc hội",
    "Văn phòng Chính phủ", "Thanh tra Chính phủ", "Ngân hàng Nhà nước Việt Nam",
    "Tòa án nhân dân tối cao", "Viện kiểm sát nhân dân tối cao", "Kiểm toán nhà nước",
    "Ủy ban nhân dân", "Hội đồng nhân dân", "Mặt trận Tổ quốc Việt Nam", "Việt Nam",
    "Hiến pháp", *(f"Bộ {name}" for name in _MINISTRIES), *(f"Sở {name}" for name in _MINISTRIES),
)

_T = "|".join(DOC_TYPES)
_NUM = r"\d+[a-zA-Z]?[ ]?/[ ]?(?:\d{4}[ ]?/[ ]?)?[A-ZĐÐ][A-Za-zĐÐđ0-9&]*(?:[ ]?-[ ]?[A-ZĐÐ][A-Za-zĐÐđ0-9&]*)*"
_DATE = r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})|(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
_MARK = r"(?:\d+\.\s*|[a-zđ]\)\s*|[-+•]\s*)?"

_NUMBER_LABEL = r"(?:Số|SỐ|số)(?:\s+hiệu)?"
_NUMBER_LINE_RE = re.compile(rf"(?:^|\|\s*)(?:(?i:{_T})\s+)?{_NUMBER_LABEL}\s*:?\s*({_NUM})")  # "QUYẾT ĐỊNH Số:" too
# "Số:" alone, the number on the next line: a narrow header cell of a PDF wraps it so.
_BARE_NUMBER_LABEL_RE = re.compile(rf"^{_NUMBER_LABEL}\s*:?$")
_NUMBER_LABEL_RE = re.compile(rf"^{_NUMBER_LABEL}(?:\s|:|$)")  # "Số: …", "Số …": not "Số lượng"
_NUMBER_ONLY_RE = re.compile(rf"^({_NUM})$")
_TYPE_LABEL_RE = re.compile(rf"^({_T})\s+số\s*:", re.IGNORECASE)
_TYPE_LINE_RE = re.compile(rf"^(?:{_T})\b", re.IGNORECASE)  # "QUYẾT ĐỊNH", "BỘ LUẬT DÂN SỰ": the type, not a body
_PLACE_DATE_RE = re.compile(
    r"(?:^|\|\s*|\t|\s{2,})[^\W\d_][^\d,|]{0,40},\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_DATE_RE = re.compile(_DATE)
_MOTTO_RE = re.compile(r"CỘNG\s+H(?:ÒA|OÀ)\s+XÃ\s+HỘI\s+CHỦ\s+NGHĨA", re.IGNORECASE)
_SEPARATOR_RE = re.compile(r"^[-_=*.…–—\s]+$")
_PASSED_RE = re.compile(
    rf"(?:{_T}) này (?:đã )?được (Quốc hội|Ủy ban [Tt]hường vụ Quốc hội)\b[^.]*?thông qua\s+ngày\s+"
    r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_EFFECTIVE_RE = re.compile(
    rf"^{_MARK}(?:{_T}|Văn bản) này\s+có hiệu lực(?:\s+thi hành)?\s+(?:kể\s+)?từ\s+ngày\s+(?P<when>.*)")
_LAPSE_RE = re.compile(
    rf"^{_MARK}(?:Kể từ ngày [^,]+,\s*)?(?P<subject>(?:{_T})\b.*?)\s+(?:đều\s+)?hết hiệu lực\b(?P<rest>.*)$")
_REPLACE_RE = re.compile(rf"^{_MARK}(?:Kể từ ngày [^,]+,\s*)?(?:{_T}) này\s+thay thế\s+(?P<objects>.*)$")
_SELF_OR_DATE_RE = re.compile(rf"(?:{_T}|văn bản) này|{_DATE}")
_ITEM_RE = re.compile(
    rf"(?:^|[,;:]\s*|\svà\s+|\s(?:các|cả)\s+){_MARK}(?:{_T})\b(?:[^.;()]{{0,80}}?)\s+số\s+({_NUM})")
_AMENDED_RE = re.compile(
    rf"(?:đã\s+)?được\s+sửa đổi,?\s*bổ sung(?:\s+một số điều)?(?:\s+(?:theo|bởi|tại))?"
    rf"(?:\s*(?:,|và)?\s*(?:{_T})[^,;.()]{{0,80}}?\s+số\s+{_NUM}(?:\s+ngày\s+(?:{_DATE}))?)+")
_PARENTHESES_RE = re.compile(r"\([^()]*\)")
_ARTICLE_RE = re.compile(r"^Điều\s+\d+[a-zđ]?\.\s*(.*)$")
_FINAL_ARTICLE_RE = re.compile(
    r"hiệu lực thi hành|điều khoản thi hành|tổ chức thực hiện|trách nhiệm thi hành|^hiệu lực$",
    re.IGNORECASE)
_HEADING_STOP_RE = re.compile(
    r"^(?:Căn cứ|Theo đề nghị|Xét đề nghị|Điều\s+\d|Chương\b|Mục\b|Phần\b|CHƯƠNG\b|ĐIỀU\b"
    r"|CHỦ TỊCH|BỘ TRƯỞNG|THỦ TƯỚNG|GIÁM ĐỐC|TỔNG GIÁM ĐỐC|THỐNG ĐỐC|CHÁNH|VIỆN TRƯỞNG"
    r"|TỔNG KIỂM TOÁN|HỘI ĐỒNG|ỦY BAN|QUỐC HỘI|CHÍNH PHỦ|BAN CHẤP HÀNH)")
_MOTTO_LINE_RE = re.compile(r"(?:^|\|\s*)Độc lập\s*[-–—]\s*Tự do\s*[-–—]\s*Hạnh phúc", re.IGNORECASE)
_BODY_START_RE = re.compile(r"^(?:Căn cứ|Điều\s+\d|Chương\b|Mục\b|Phần\b)", re.IGNORECASE)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.;])\s+")
_LIST_ITEM_RE = re.compile(r"^(?:[a-zđ]\)|[-+•])\s*")
_CLAUSE_RE = re.compile(r"^\d+\.\s")

_LOCAL_ORG_RE = re.compile(
    r"^(ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|UBND|HỘI ĐỒNG NHÂN DÂN|HĐND)\s+"
    r"(TỈNH|THÀNH PHỐ|TP\.?|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG|ĐẶC KHU)\s+(.+)$")
_ORG_PREFIXES = ("TỔNG CỤC", "CHI CỤC", "VĂN PHÒNG", "TRUNG TÂM", "BỘ", "SỞ", "CỤC", "VỤ",
                 "BAN", "PHÒNG")
_SUBORDINATE_STARTS = (*(f"{p} " for p in _ORG_PREFIXES), "ỦY BAN NHÂN DÂN ", "UBND ")
_BODY_STARTS = (*_SUBORDINATE_STARTS, "CHÍNH PHỦ", "QUỐC HỘI", "THỦ TƯỚNG", "ỦY BAN", "HỘI ĐỒNG")  # a text's first line


@dataclass(frozen=True)
class DocumentMeta:
    """What a legal text says about itself; None / () where it says nothing."""

    number: str | None = None
    doc_type: str | None = None
    title: str | None = None
    issuer: str | None = None
    issued: str | None = None      # ISO date, "2025-06-27"
    effective: str | None = None   # ISO date
    replaces: tuple[str, ...] = ()


def extract_metadata(text: str) -> DocumentMeta:
    """Read number, type, title, issuer, dates and replaced documents from a legal text."""
    lines = _clean_lines(text)
    header = lines[:HEADER_LINES]
    number = _number(header)
    passed = _PASSED_RE.search("\n".join(lines))
    issued = _issued(header) or (_iso(*passed.groups()[1:]) if passed else None)
    issuer = _issuer(header) or (_proper(passed.group(1)) if passed else None) \
        or _issuer_from_number(number)
    doc_type, title = _type_and_title(header, number, _names_in(issuer))
    return DocumentMeta(
        number=number, doc_type=doc_type, title=title, issuer=issuer, issued=issued,
        effective=_effective(lines, issued), replaces=_replaces(lines, number),
    )


def stated_number(text: str) -> str | None:
    """The number a text states for itself on a "Số: …" line of its header, e.g. of a preamble unit."""
    return _number(_clean_lines(text)[:HEADER_LINES])


def replaced_numbers(text: str) -> tuple[str, ...]:
    """The numbers of the documents `text` replaces or ends ("Quyết định này thay thế Quyết định số
    15/2019/QĐ-UBND …"), e.g. over a document's articles."""
    return _replaces(_clean_lines(text), None)


# --- text helpers ---------------------------------------------------------------------------

def _clean_lines(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "")
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def _is_caps(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def _iso(day: str, month: str, year: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _date_at(text: str) -> str | None:
    """ISO date of the date written at the start of `text`, if any."""
    match = _DATE_RE.match(text)
    if not match:
        return None
    day, month, year = [g for g in match.groups() if g is not None]
    return _iso(day, month, year)


def _normalize_number(raw: str) -> str:
    return re.sub(r"\s+", "", raw).replace("Ð", "Đ")


def _sentences(lines: list[str]) -> Iterator[tuple[str, str, int]]:
    """(sentence, title of the article it is in, line index), in text order. An article's heading
    is read as a sentence too: a short decision writes its content there ("Điều 2. Quyết định này
    có hiệu lực kể từ ngày 10 tháng 8 năm 2026."), and its effective date had been missed."""
    article = ""
    for index, line in enumerate(lines):
        heading = _ARTICLE_RE.match(line)
        if heading:
            article = heading.group(1)
            line = article
        for sentence in _SENTENCE_SPLIT_RE.split(line):
            yield sentence, article, index


# --- header fields --------------------------------------------------------------------------

def _number(header: list[str]) -> str | None:
    for line, following in zip(header, [*header[1:], ""]):
        match = _NUMBER_LINE_RE.search(line) or (_BARE_NUMBER_LABEL_RE.match(line) and _NUMBER_ONLY_RE.match(following))
        if match:
            return _normalize_number(match.group(1))
    return None


def _issued(header: list[str]) -> str | None:
    for line in header:
        if line.startswith("Căn cứ"):
            continue
        match = _PLACE_DATE_RE.search(line)
        if match:
            return _iso(*match.groups())
    return None


def _type_and_title(header: list[str], number: str | None,
                    names: tuple[str, ...] = ()) -> tuple[str | None, str | None]:
    found = _caps_type_line(header)
    if found:
        index, doc_type, rest = found
        heading = rest or " ".join(_heading_lines(header[index + 1:]))
        return doc_type, (f"{doc_type} {_sentence_case(heading, names)}" if heading else None)
    first = _first_line_type(header)
    if first:
        return first, header[0]
    heading = _first_heading(header, names)
    for line in header:
        label = _TYPE_LABEL_RE.match(line)
        if label:
            return _canonical_type(label.group(1)), heading
    return _type_from_number(number), heading


def _caps_type_line(header: list[str]) -> tuple[int, str, str] | None:
    """(index, type, rest of the line) of the first capitalised line starting with a type."""
    for index, line in enumerate(header):
        if not _is_caps(line) or _MOTTO_RE.search(line):
            continue
        bare = line.rstrip(":").strip()
        for doc_type in DOC_TYPES:
            upper = doc_type.upper()
            if bare == upper or bare.startswith(upper + " "):
                return index, doc_type, bare[len(upper):].strip()
    return None


def _heading_lines(lines: list[str]) -> Iterator[str]:
    """The heading under a type line: capitalised lines ("ĐẤT ĐAI"), or one mixed-case line with the
    lines that continue it in lower case (a PDF wraps "Quy định về quản lý vườn ươm chè" / "trên địa
    bàn tỉnh": the second line had been lost).

    It stops at the signing authority ("CHỦ TỊCH …", "BỘ TRƯỞNG …"), at an enacting formula
    ("QUYẾT ĐỊNH:") and at the preamble ("Căn cứ …"), and takes at most four lines. A number or
    place-and-date line between the type line and the heading ("QUYẾT ĐỊNH" / "Số: 77/2025/QĐ-UBND"
    / "Quy định về …", as web pages and retyped texts put it) is passed over.
    """
    taken, mixed = 0, False
    for line in lines:
        if _SEPARATOR_RE.match(line) or (taken == 0 and (_NUMBER_LINE_RE.search(line)
                                                         or _PLACE_DATE_RE.search(line))):
            continue
        if taken >= 4 or line.endswith((":", ";")) or _HEADING_STOP_RE.match(line) \
                or _NUMBER_LINE_RE.search(line) or _PLACE_DATE_RE.search(line):
            return
        if mixed and not line[:1].islower():
            return
        if not mixed and not _is_caps(line):
            if taken > 0 or not line[:1].isupper():
                return
            mixed = True
        yield line
        taken += 1


def _first_heading(header: list[str], names: tuple[str, ...] = ()) -> str | None:
    """The heading of a text that names no document type, else None.

    Why: an attached regulation ("QUY ĐỊNH / VỀ QUẢN LÝ CHỢ ĐÊM"), a plan or a web page states its
    title without a type line, and without this the title was taken from the uploaded file's name.
    Only a regulation's header is read (it has an article or the national motto): the first line
    of a news page is a headline or a section name ("Tin tức"), not what the text says it is. The
    heading is read after the header block (issuer, national motto, number, place and date) with
    the rule of `_heading_lines`; a line ending a sentence, or longer than `MAX_HEADING_WORDS`, is
    a paragraph, not a title.
    """
    if not any(_ARTICLE_RE.match(line) or _MOTTO_RE.search(line) for line in header):
        return None
    body = next((i for i, line in enumerate(header) if _BODY_START_RE.match(line)), len(header))
    furniture = [i for i, line in enumerate(header[:body])
                 if _MOTTO_RE.search(line) or _MOTTO_LINE_RE.search(line)
                 or _NUMBER_LINE_RE.search(line) or _PLACE_DATE_RE.search(line)]
    start = furniture[-1] + 1 if furniture else 0
    heading = re.sub(r"\s+", " ", " ".join(_heading_lines(header[start:body]))).strip()
    if not heading or heading.endswith((".", "!", "?")) or len(heading.split()) > MAX_HEADING_WORDS:
        return None
    return _sentence_case(heading, names)


def _first_line_type(header: list[str]) -> str | None:
    if not header or _NUMBER_LINE_RE.search(header[0]) or _TYPE_LABEL_RE.match(header[0]):
        return None
    first = header[0]
    if first.startswith(_NOT_DOCUMENTS):
        return None
    for doc_type in DOC_TYPES:
        if first == doc_type or first.startswith(doc_type + " "):
            return doc_type
    return None


def _canonical_type(word: str) -> str:
    return next(t for t in DOC_TYPES if t.lower() == word.lower())


def _type_from_number(number: str | None) -> str | None:
    if not number:
        return None
    code = number.split("/")[-1].split("-")[0]
    return _SUFFIX_TYPES.get(code)


def _issuer_from_number(number: str | None) -> str | None:
    if not number:
        return None
    suffix = number.split("/")[-1]
    last = suffix.split("-")[-1]
    if re.fullmatch(r"UBTVQH\d*", last):
        return "Ủy ban Thường vụ Quốc hội"
    if re.fullmatch(r"QH\d+", suffix):
        return "Quốc hội"
    return {"CP": "Chính phủ", "TTg": "Thủ tướng Chính phủ"}.get(last)


def _issuer(header: list[str]) -> str | None:
    block = _issuer_block(header)
    if not block:
        return None
    for index in range(len(block) - 1, 0, -1):  # "UBND TỈNH X / SỞ Y": the lower body issues
        if block[index].startswith(_SUBORDINATE_STARTS):
            block = block[index:]
            break
    return _org_case(" ".join(block))


def _issuer_block(header: list[str]) -> list[str]:
    """Capitalised lines above the national motto, e.g. ["BỘ KHOA HỌC VÀ", "CÔNG NGHỆ"]; without a
    motto (a province's page or a retyped copy), the capitalised lines that open the text when the
    first of them names a body ("ỦY BAN NHÂN DÂN TỈNH …", "BỘ …"), not the type ("QUYẾT ĐỊNH")."""
    block: list[str] = []
    for line in header:
        motto = _MOTTO_RE.search(line)
        before = line[:motto.start()].strip(" |\t") if motto else line
        number_line = _NUMBER_LABEL_RE.match(before) or _NUMBER_ONLY_RE.match(before)
        if before and not _SEPARATOR_RE.match(before) and not number_line:  # a Word table's left column:
            block = block + [before] if _is_caps(before) else []  # the issuer, then the number
        if motto:
            return block
    opening = list(itertools.takewhile(lambda x: _is_caps(x) and not _SEPARATOR_RE.match(x), header))
    names_body = opening and (_LOCAL_ORG_RE.match(opening[0]) or opening[0].startswith(_BODY_STARTS))
    if not names_body:
        return []
    return list(itertools.takewhile(lambda x: not _TYPE_LINE_RE.match(x), opening))


# --- capitalisation -------------------------------------------------------------------------

def _proper(name: str) -> str:
    """The canonical spelling of a known body's name, else the name unchanged."""
    key = normalize(name.lower())
    return next((p for p in _PROPER_NAMES if normalize(p.lower()) == key), name)


def _org_case(caps: str) -> str:
    """'BỘ KHOA HỌC VÀ CÔNG NGHỆ' → 'Bộ Khoa học và Công nghệ'; unknown names: segment case."""
    caps = re.sub(r"\s+", " ", caps).strip()
    known = _proper(caps)
    if known != caps:
        return known
    local = _LOCAL_ORG_RE.match(caps)
    if local:
        body = "Ủy ban nhân dân" if local.group(1) in ("ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN", "UBND") \
            else "Hội đồng nhân dân"
        level = "thành phố" if local.group(2).startswith("TP") else local.group(2).lower()
        return f"{body} {level} {local.group(3).title()}"
    for prefix in _ORG_PREFIXES:
        if caps.startswith(prefix + " "):
            rest = caps[len(prefix) + 1:]
            named = next((m for m in _MINISTRIES if normalize(m.lower()) == normalize(rest.lower())),
                         None)
            return f"{prefix.capitalize()} {named or _segment_case(rest)}"
    return _segment_case(caps)


def _segment_case(caps: str) -> str:
    """Lower case, with the first word of each part ("…, …", "… và …", "… - …") capitalised."""
    parts = re.split(r"(, | và | - )", caps.lower())
    return "".join(part if part in (", ", " và ", " - ") else part[:1].upper() + part[1:]
                   for part in parts)


def _names_in(issuer: str | None) -> tuple[str, ...]:
    """The issuer and its place name ("Lai Châu"): spelled the same way in the title."""
    if not issuer:
        return ()
    place = re.match(r"^(?:Ủy ban|Hội đồng) nhân dân (?:tỉnh|thành phố|huyện|quận|thị xã|xã|phường|"
                     r"đặc khu) (.+)$", issuer)
    return (issuer, place.group(1)) if place else (issuer,)


def _sentence_case(heading: str, names: tuple[str, ...] = ()) -> str:
    """Sentence case for an ALL-CAPS heading, keeping known proper names; others unchanged."""
    heading = re.sub(r"\s+", " ", heading).strip()
    if not _is_caps(heading):
        return heading
    text = normalize(heading.lower())
    text = text[:1].upper() + text[1:]
    for name in sorted((*_PROPER_NAMES, *names), key=len, reverse=True):
        pattern = rf"(?<!\w){re.escape(normalize(name.lower()))}(?!\w)"
        text = re.sub(pattern, name, text, flags=re.IGNORECASE)
    return text


# --- final provisions -----------------------------------------------------------------------

def _effective(lines: list[str], issued: str | None) -> str | None:
    for sentence, _article, _index in _sentences(lines):
        match = _EFFECTIVE_RE.match(sentence)
        if not match:
            continue
        when = match.group("when")
        if re.match(r"^(?:ký|ban hành)\b", when):
            return issued
        return _date_at(when)
    return None


def _replaces(lines: list[str], own: str | None) -> tuple[str, ...]:
    found: list[str] = []
    for sentence, article, index in _sentences(lines):
        objects = _replaced_objects(sentence, article)
        if objects is not None:
            found += _numbers_in(objects)
        if sentence.endswith(":") and _announces_list(sentence, article):
            found += _listed_numbers(lines[index + 1:], lines[index])
    unique = dict.fromkeys(n for n in found if n != own)
    return tuple(unique)


def _replaced_objects(sentence: str, article: str) -> str | None:
    """The part of a sentence naming replaced documents, or None if it replaces nothing."""
    replace = _REPLACE_RE.match(sentence)
    if replace:
        return replace.group("objects")
    lapse = _LAPSE_RE.match(sentence)
    if lapse and _about_this_document(lapse.group("rest"), article):
        return lapse.group("subject")
    return None


def _about_this_document(rest: str, article: str) -> bool:
    """A lapse that this document causes: in its final provisions, or tied to its own date."""
    return bool(_FINAL_ARTICLE_RE.search(article) or _SELF_OR_DATE_RE.search(rest))


def _announces_list(sentence: str, article: str) -> bool:
    """"Các văn bản sau đây hết hiệu lực kể từ ngày Thông tư này có hiệu lực:" and the like."""
    if _REPLACE_RE.match(sentence):
        return True
    lapse = re.search(r"hết hiệu lực(?P<rest>.*)$", sentence)
    return bool(lapse) and _about_this_document(lapse.group("rest"), article)


def _numbers_in(objects: str) -> list[str]:
    objects = _AMENDED_RE.sub(" ", _PARENTHESES_RE.sub(" ", objects))
    return [_normalize_number(m.group(1)) for m in _ITEM_RE.finditer(objects)]


def _listed_numbers(following: list[str], trigger: str) -> list[str]:
    """Numbers in the list under "Các văn bản sau đây hết hiệu lực …:"."""
    numbers: list[str] = []
    clauses_allowed = not _CLAUSE_RE.match(trigger)
    for line in following:
        if not (_LIST_ITEM_RE.match(line) or (clauses_allowed and _CLAUSE_RE.match(line))):
            break
        numbers += _numbers_in(line)
    return numbers
