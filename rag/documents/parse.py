"""Parse Vietnamese legal documents into units (Điều / khoản / điểm) and news into paragraphs.

Why units: a citation must name the exact clause ("Điều 7, khoản 2, điểm k"), so the parse keeps
the legal address, the breadcrumb and character offsets of every unit; the quoted text is
`doc.text[start:end]`, verbatim. Points keep the letters as written (Điều 9 khoản 2 has no
point e in the source, and the parse does not invent one).

Example:
    >>> units = parse_document(doc)            # doc: rag.documents.corpus.Document of the circular
    >>> u = next(u for u in units if u.label == "Điều 7, khoản 2, điểm k")
    >>> u.breadcrumb.split(" › ")[2][:8]
    'Điều 7. '
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.documents.corpus import NEWS_KINDS, Document, DocumentInfo, news_paragraphs
from rag.documents.references import resolve_references

# Vietnamese alphabet order: no f, j, w, z; "đ" follows "d".
POINT_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()

_CHAPTER = re.compile(r"^Chương ([IVXLC]+)\s*$")
_SECTION = re.compile(r"^Mục (\d+)\.?\s*(.*)$")
_ARTICLE = re.compile(r"^Điều (\d+)\.\s*(.*)$")
_CLAUSE = re.compile(r"^(\d+)\.\s+(.*)$")
_POINT = re.compile(rf"^({'|'.join(POINT_LETTERS)})\)\s+(.*)$")
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
    chapter = section = ""
    art = cl = pt = None  # current Unit objects
    pending_chapter: list[str] | None = None
    short_doc = DocumentInfo(doc.doc_id, doc.kind, doc.title).name

    def crumbs(*extra: str) -> str:
        return CRUMB.join(p for p in (short_doc, chapter, section, *extra) if p)

    def open_unit(kind: str, start: int, end: int, **addr) -> Unit:
        label = unit_label(addr.get("article"), addr.get("clause"), addr.get("point"))
        uid = f"{doc.doc_id}#{label or kind}"
        u = Unit(uid, doc.doc_id, kind, label, "", "", start, end, **addr)
        units.append(u)
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
            art = open_unit("article", start, end, article=int(m.group(1)))
            art.breadcrumb = crumbs(line)
            cl = pt = None
        elif art and (m := _CLAUSE.match(line)):
            cl = open_unit("clause", start, end, article=art.article, clause=int(m.group(1)), parent=art.uid)
            cl.breadcrumb = crumbs(art.breadcrumb.split(CRUMB)[-1], f"khoản {m.group(1)}. {_short(m.group(2))}")
            art.children.append(cl.uid)
            pt = None
        elif art and (m := _POINT.match(line)):
            owner = cl or art
            pt = open_unit("point", start, end, article=art.article, clause=cl.clause if cl else None,
                           point=m.group(1), parent=owner.uid)
            pt.breadcrumb = owner.breadcrumb
            owner.children.append(pt.uid)
        elif art is None:
            label = _preamble_label(line)
            if re.fullmatch(r"[-_=\s]+", line):
                continue
            if units and units[-1].label == label and label != "Căn cứ ban hành":
                units[-1].end = end  # header lines of one block form one unit
                continue
            u = open_unit("preamble", start, end)
            u.uid, u.label, u.breadcrumb = f"{doc.doc_id}#preamble-{len(units)}", label, short_doc
            continue
        for u in (art, cl, pt):  # every open ancestor now ends at this line
            if u is not None:
                u.end = end
    return units


def _preamble_label(line: str) -> str:
    if line.startswith("Căn cứ"):
        return "Căn cứ ban hành"
    if line.startswith("Số:") or re.match(r".*ngày \d+ tháng \d+ năm \d{4}$", line):
        return "Số hiệu, ngày ban hành"
    return "Phần mở đầu"


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
    """All units of one document, in reading order, with verbatim text and offsets."""
    units = _news_units(doc) if doc.kind in NEWS_KINDS else _regulation_units(doc)
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
