"""Parse Vietnamese legal documents into units (Điều / khoản / điểm) and news into paragraphs.

Why units: a citation must name the exact clause ("Điều 7, khoản 2, điểm k"), so the parse keeps
the legal address, the breadcrumb and character offsets of every unit; the quoted text is
`doc.text[start:end]`, verbatim. Points keep the letters as written (Điều 9 khoản 2 has no
point e in the source, and the parse does not invent one).

A decision that issues a regulation carries both: its own Điều 1-3, the signature block ("Nơi
nhận:", which ends the last article), then "QUY ĐỊNH … (Ban hành kèm theo Quyết định …)" whose
articles count from 1 again. Articles numbered from 1 again belong to an annex (`Unit.annex`,
"Quy định kèm theo"): each address stays unique and a citation says which text it is in. A clause
or point whose address the document already has (an amending article quoting another law's "1."
and "a)", or a typo: two "đ)" in one clause) continues the unit before it: two units with one
address had made one of them unreachable.

Example:
    >>> units = parse_document(doc)            # doc: rag.documents.corpus.Document of the circular
    >>> u = next(u for u in units if u.label == "Điều 7, khoản 2, điểm k")
    >>> u.breadcrumb.split(" › ")[2][:8]
    'Điều 7. '
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.documents.corpus import END_MATTER, MOTTO, NEWS_KINDS, Document, DocumentInfo, news_paragraphs
from rag.documents.references import resolve_references
from rag.text import DOCUMENT_NUMBER

# Vietnamese alphabet order: no f, j, w, z; "đ" follows "d".
POINT_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()

_CHAPTER = re.compile(r"^Chương ([IVXLC]+)\s*$")
_SECTION = re.compile(r"^Mục (\d+)\.?\s*(.*)$")
_ARTICLE = re.compile(r"^Điều (\d+)\.\s*(.*)$")
_CLAUSE = re.compile(r"^(\d+)\.\s+(.*)$")
_POINT = re.compile(rf"^({'|'.join(POINT_LETTERS)})\)\s+(.*)$")
# The types of text a decision issues "kèm theo" (drafting conventions); the heading of one stands
# on its own line in capitals ("QUY CHẾ"), or the line "(Ban hành kèm theo …)" announces it.
ANNEX_TYPES = ("Quy định", "Quy chế", "Điều lệ", "Quy trình", "Hướng dẫn", "Chương trình", "Kế hoạch", "Đề án")
_ANNEX_TYPE = re.compile(r"^({})$".format("|".join(t.upper() for t in ANNEX_TYPES)))
_ANNEX_LINE = re.compile(r"^\(?\s*Ban hành kèm theo", re.IGNORECASE)
_ALIAS = re.compile(r"\(([^()]*?)gọi tắt là ([^()]+?)\)")
_NAMED = re.compile(r"có tên gọi là (.+?)(?: hoặc tên gọi khác|,?\s*$)")


CRUMB = " › "  # between the parts of a breadcrumb: document › chapter › section › article › clause


@dataclass
class Unit:
    """One citable unit. `start`/`end` index the raw source text; `text` is that slice."""

    uid: str
    doc_id: str
    kind: str  # "preamble" | "article" | "clause" | "point" | "paragraph"
    label: str
    breadcrumb: str
    text: str
    start: int
    end: int
    article: int | None = None
    clause: int | None = None
    point: str | None = None
    paragraph: int | None = None
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    own_text: str = ""  # text not inside a child: what is indexed for this unit
    annex: str = ""  # the text issued with the document its address is in ("Quy định kèm theo"); "" for its own
    refs: list[str] = field(default_factory=list)  # units of the same document its text refers to

    def contains(self, other: "Unit") -> bool:
        """True when `other` is this unit or lies inside it (same document, nested character span)."""
        return other.doc_id == self.doc_id and other.start >= self.start and other.end <= self.end


def unit_label(article: int | None, clause: int | None, point: str | None) -> str:
    parts = [f"Điều {article}"] if article is not None else []
    if clause is not None:
        parts.append(f"khoản {clause}")
    if point is not None:
        parts.append(f"điểm {point}")
    return ", ".join(parts)


def _short(text: str, limit: int = 110) -> str:
    text = text.strip().rstrip(":;.")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _lines(text: str):
    for m in re.finditer(r"[^\n]+", text):
        raw = m.group(0)
        if raw.strip():
            lead = len(raw) - len(raw.lstrip())
            yield m.start() + lead, m.start() + len(raw.rstrip()), raw.strip()


def _regulation_units(doc: Document) -> list[Unit]:
    units: list[Unit] = []
    chapter = section = annex = ""
    art = cl = pt = None  # current Unit objects
    pending_chapter: list[str] | None = None
    annex_type = ""  # the type of an attached text announced since the last article ("Quy định")
    closing = False  # after "Nơi nhận:": recipients and signature, until the next article
    last_article = 0
    taken: set[str] = set()  # uids opened so far: an address written twice is one unit
    short_doc = DocumentInfo(doc.doc_id, doc.kind, doc.title).name

    def crumbs(*extra: str) -> str:
        return CRUMB.join(p for p in (short_doc, annex, chapter, section, *extra) if p)

    def uid_of(**addr) -> str:
        label = unit_label(addr.get("article"), addr.get("clause"), addr.get("point"))
        return f"{doc.doc_id}#{annex + ': ' if annex else ''}{label}"

    def open_unit(kind: str, start: int, end: int, **addr) -> Unit:
        label = unit_label(addr.get("article"), addr.get("clause"), addr.get("point"))
        u = Unit(uid_of(**addr), doc.doc_id, kind, label, "", "", start, end, annex=annex, **addr)
        units.append(u)
        taken.add(u.uid)
        return u

    for start, end, line in _lines(doc.text):
        if pending_chapter is not None:  # the line after "Chương N" is its title
            chapter = f"{pending_chapter[0]}. {line}"
            pending_chapter = None
            continue
        if m := _CHAPTER.match(line):
            pending_chapter, section, art, cl, pt = [line], "", None, None, None
            continue
        if m := _SECTION.match(line):
            section, cl, pt = line, None, None
            continue
        if m := _ARTICLE.match(line):
            if int(m.group(1)) <= last_article:  # numbered from 1 again: an attached text
                annex = _annex_name(annex_type or "Văn bản", {u.annex for u in units})
            last_article = int(m.group(1))
            art = open_unit("article", start, end, article=last_article)
            art.breadcrumb = crumbs(line)
            cl = pt = None
            annex_type, closing = "", False
        elif art and END_MATTER.match(line):  # the recipients and the signature follow the last article
            art = cl = pt = None
            closing = True
            _preamble_unit(units, doc.doc_id, start, end, "Nơi nhận, chữ ký", short_doc)
            continue
        elif art and (m := _CLAUSE.match(line)) and uid_of(article=art.article, clause=int(m.group(1))) not in taken:
            cl = open_unit("clause", start, end, article=art.article, clause=int(m.group(1)), parent=art.uid)
            cl.breadcrumb = crumbs(art.breadcrumb.split(CRUMB)[-1], f"khoản {m.group(1)}. {_short(m.group(2))}")
            art.children.append(cl.uid)
            pt = None
        elif art and (m := _POINT.match(line)) and uid_of(article=art.article, clause=cl.clause if cl else None,
                                                          point=m.group(1)) not in taken:
            owner = cl or art
            pt = open_unit("point", start, end, article=art.article, clause=cl.clause if cl else None,
                           point=m.group(1), parent=owner.uid)
            pt.breadcrumb = owner.breadcrumb
            owner.children.append(pt.uid)
        elif art is None:
            if re.fullmatch(r"[-_=\s]+", line):
                continue
            if t := _ANNEX_TYPE.match(line):
                annex_type, closing = t.group(1).capitalize(), False
            elif _ANNEX_LINE.match(line):
                closing = False
            label = "Nơi nhận, chữ ký" if closing else _preamble_label(line)
            if label == NUMBER_AND_DATE and _after_the_motto(units, doc.text):
                del units[-1]  # the number, the motto and the date: one block of the header
            _preamble_unit(units, doc.doc_id, start, end, label, short_doc)
            continue
        for u in (art, cl, pt):  # every open ancestor now ends at this line
            if u is not None:
                u.end = end
    return units


def _annex_name(kind: str, taken: set[str]) -> str:
    """"Quy định kèm theo", or "Quy định kèm theo (2)" for a second attached text of that type."""
    name = f"{kind} kèm theo"
    return name if name not in taken else f"{name} ({sum(t.startswith(name) for t in taken) + 1})"


def _preamble_unit(units: list[Unit], doc_id: str, start: int, end: int, label: str, breadcrumb: str) -> None:
    """A line outside the articles: joined to the unit before it when both carry the same label
    (the header lines of one block form one unit), except legal bases, one unit each."""
    if units and units[-1].kind == "preamble" and units[-1].label == label and label != "Căn cứ ban hành":
        units[-1].end = end
        return
    units.append(Unit(f"{doc_id}#preamble-{len(units)}", doc_id, "preamble", label, breadcrumb, "", start, end))


NUMBER_AND_DATE = "Số hiệu, ngày ban hành"


def _preamble_label(line: str) -> str:
    if line.startswith("Căn cứ"):
        return "Căn cứ ban hành"
    if line.startswith("Số:") or re.fullmatch(DOCUMENT_NUMBER, line) or re.match(r".*ngày \d+ tháng \d+ năm \d{4}$", line):
        return NUMBER_AND_DATE  # the number alone: a narrow header cell wrapped it under "Số:"
    return "Phần mở đầu"


def _after_the_motto(units: list[Unit], text: str) -> bool:
    """Whether the header so far ends with the number line, then only the national motto: a
    two-column header (a Word table) read row by row puts the motto between the number and the
    place and date, which then joins the number's unit. "Quyết định … ban hành ngày nào?" had
    quoted the number alone."""
    if len(units) < 2 or units[-2].label != NUMBER_AND_DATE or units[-1].kind != "preamble":
        return False
    last = text[units[-1].start:units[-1].end]
    return bool(MOTTO.search(last)) and not MOTTO.sub("", last).strip(" -\n")


def _news_units(doc: Document) -> list[Unit]:
    units = []
    for i, (start, end) in enumerate(news_paragraphs(doc), 1):
        units.append(Unit(f"{doc.doc_id}#p{i}", doc.doc_id, "paragraph", f"{doc.title} (đoạn {i})",
                          f"{doc.title}" + (f" ({doc.date})" if doc.date else ""), "", start, end, paragraph=i))
    return units


def _fill_text(doc: Document, units: list[Unit]) -> None:
    by_uid = {u.uid: u for u in units}
    for u in units:
        u.text = doc.text[u.start:u.end]
        if u.children:
            first_child = by_uid[u.children[0]]
            u.own_text = doc.text[u.start:first_child.start].strip()
        else:
            u.own_text = u.text


def parse_document(doc: Document) -> list[Unit]:
    """All units of one document, in reading order, with verbatim text and offsets. A document with
    no article ("Điều 1."), a guidance or a notice, is read as paragraphs like news, and keeps its
    kind: it is shown as the document it is, not as a news item."""
    units = _news_units(doc) if doc.kind in NEWS_KINDS else _regulation_units(doc)
    if doc.kind not in NEWS_KINDS and not any(u.kind == "article" for u in units):
        units = _news_units(doc)
    _fill_text(doc, units)
    resolve_references(units)
    return units


def defined_aliases(units: list[Unit]) -> dict[str, tuple[tuple[str, ...], str]]:
    """Short names the text defines ("sau đây gọi tắt là Trung tâm TĐC") → (the full names it gives, uid).

    Full names are those the text states ("có tên gọi là Trung tâm Chuyển đổi số hoặc Trung tâm
    Chuyển đổi số và Công nghệ thông tin hoặc tên gọi khác"), first the one it names first;
    empty when it states none (`data/glossary.json` supplies the rest).
    """
    out: dict[str, tuple[tuple[str, ...], str]] = {}
    for u in units:
        if u.children:
            continue
        for m in _ALIAS.finditer(u.text):
            alias = m.group(2).strip()
            named = _NAMED.search(m.group(1))
            names = tuple(n.strip() for n in re.split(r",| hoặc ", named.group(1)) if n.strip()) if named else ()
            out.setdefault(alias, (names, u.uid))
    return out
