"""References inside a document ("khoản 2 Điều này", "điểm a, b khoản 1 Điều 5 của Luật này"),
resolved to the units they name.

Why: a clause that says "trừ trường hợp quy định tại khoản 3 Điều này" is only half an answer
without khoản 3; resolving the reference at build time lets answers show the referenced text
beside the quote, and a later document view link every clause. Only references that stay
inside the document are resolved: "Điều này", "khoản này", "<loại văn bản> này", or an article
number not followed by another document's name. "Điều 5 của Luật Đất đai" and "Điều 3 Nghị định
số 55/2025/NĐ-CP" name other documents and are left alone; so is a bare "khoản 2" (which article
it means is not written). Addresses that do not exist in the document are dropped, never guessed.

Example:
    >>> units = parse_document(doc)   # resolve_references runs inside it
    >>> next(u for u in units if u.label == "Điều 12, khoản 4").refs
    ['52/2014/QH13#Điều 12, khoản 2']
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.documents.parse import Unit

_LETTER = r"(?:[a-eg-ik-vxy]|đ)(?!\w)"
_LIST_SEP = r"\s*(?:,|và|hoặc|đến|,\s*và)\s*"
_POINTS = rf"điểm\s+(?P<points>{_LETTER}(?:{_LIST_SEP}(?:điểm\s+)?{_LETTER})*)\s+"
_CLAUSES = rf"(?:các\s+)?khoản\s+(?P<clauses>\d+(?:{_LIST_SEP}(?:khoản\s+)?\d+)*|này)"
_ARTICLES = rf"(?:của\s+)?Điều\s+(?P<articles>\d+(?:{_LIST_SEP}(?:Điều\s+)?\d+)*|này)"
_DOC_TYPES = r"(?:Bộ luật|Luật|Pháp lệnh|Nghị quyết|Nghị định|Thông tư liên tịch|Thông tư|Quyết định|Chỉ thị|Văn bản)"
_REFERENCE = re.compile(
    rf"(?<!\w)(?:{_POINTS})?(?:{_CLAUSES}(?:\s+(?=(?:của\s+)?Điều))?)?(?:{_ARTICLES})?"
    rf"(?P<tail>\s+(?:của\s+|tại\s+)?(?:{_DOC_TYPES}|số|[A-ZĐ]{{2,}})[^\n,;.]{{0,12}})?")
_AMENDS = re.compile(r"(?i)sửa đổi|bổ sung|bãi bỏ|thay thế")
_THIS_DOCUMENT = re.compile(rf"^\s+(?:của\s+|tại\s+)?{_DOC_TYPES}\s+này")


def _numbers(text: str) -> list[int]:
    """"1, 2 và 3" → [1, 2, 3]; "1 đến 4" → [1, 2, 3, 4]."""
    nums = [int(n) for n in re.findall(r"\d+", text)]
    if "đến" in text and len(nums) == 2 and 0 < nums[1] - nums[0] < 30:
        return list(range(nums[0], nums[1] + 1))
    return nums


def _letters(text: str) -> list[str]:
    return re.findall(_LETTER, re.sub(r"điểm|và|hoặc|đến", " ", text))


def _addresses(m: re.Match, here: Unit, amending: bool) -> list[tuple[int | None, int | None, str | None]]:
    """The (article, clause, point) addresses one reference names, seen from unit `here`; inside
    an article that amends another document (`amending`), bare numbers are that document's."""
    tail = m.group("tail") or ""
    this_document = bool(_THIS_DOCUMENT.match(tail))
    if tail and not this_document:
        return []  # another document's article
    articles_text, clauses_text = m.group("articles"), m.group("clauses")
    if articles_text == "này" or (articles_text is None and clauses_text == "này"):
        articles = [here.article]
    elif articles_text and (this_document or not amending):
        articles = _numbers(articles_text)
    else:
        return []  # "khoản 2" alone: which article is not written
    if clauses_text == "này":
        clauses: list[int | None] = [here.clause]
    else:
        clauses = _numbers(clauses_text) if clauses_text else [None]
    points: list[str | None] = _letters(m.group("points")) if m.group("points") else [None]
    if len(articles) > 1 and (clauses != [None] or points != [None]):
        return []  # "khoản 1 Điều 5 và Điều 6": the clause belongs to the first article only; too loose
    return [(a, c, p) for a in articles for c in clauses for p in points if a is not None]


def resolve_references(units: list[Unit]) -> None:
    """Set `refs` on every unit of one document: the uids of the units its own text refers to
    (in order of first mention, never itself or a unit that contains it)."""
    by_address = {(u.annex, u.article, u.clause, u.point): u for u in units if u.article is not None}
    for u in units:
        if u.article is None:
            continue
        heading = by_address[(u.annex, u.article, None, None)].own_text.split("\n", 1)[0]
        amending = bool(_AMENDS.search(heading) and re.search(_DOC_TYPES, heading))
        found: list[str] = []
        for m in _REFERENCE.finditer(u.own_text):
            if not (m.group("clauses") or m.group("articles")):
                continue
            for address in _addresses(m, u, amending):
                target = by_address.get((u.annex, *address))  # "Điều 3 của Quy định này": the same text
                if target and not target.contains(u) and target.uid not in found:
                    found.append(target.uid)
        u.refs = found
