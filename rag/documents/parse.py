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


class _RegulationReader:
    """Reads a regulation line by line. Its state is where the reader stands: the chapter, section
    and attached text, and the open article, clause and point, which every following line extends
    until a new unit opens. A line opens a unit, ends the articles ("Nơi nhận:"), or, outside the
    articles, joins the preamble."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.units: list[Unit] = []
        self.chapter = self.section = self.annex = ""
        self.art: Unit | None = None
        self.cl: Unit | None = None
        self.pt: Unit | None = None
        self.chapter_line = ""  # "Chương II" until the line after it, its title
        self.annex_type = ""  # the type of an attached text announced since the last article ("Quy định")
        self.closing = False  # after "Nơi nhận:": recipients and signature, until the next article
        self.last_article = 0
        self.taken: set[str] = set()  # uids opened so far: an address written twice is one unit
        self.short_doc = DocumentInfo(doc.doc_id, doc.kind, doc.title).name

    def read(self) -> list[Unit]:
        for start, end, line in _lines(self.doc.text):
            if self._heading(line):
                continue
            if m := _ARTICLE.match(line):
                self._article(start, end, line, int(m.group(1)))
            elif self.art is None:
                self._outside(start, end, line)
                continue
            elif END_MATTER.match(line):  # the recipients and the signature follow the last article
                self.art = self.cl = self.pt = None
                self.closing = True
                _preamble_unit(self.units, self.doc.doc_id, start, end, SIGNATURE, self.short_doc)
                continue
            else:
                self._clause_or_point(start, end, line)
            for u in (self.art, self.cl, self.pt):  # every open ancestor now ends at this line
                if u is not None:
                    u.end = end
        return self.units

    def _heading(self, line: str) -> bool:
        """Chapter and section lines: they set the breadcrumb and close the open units."""
        if self.chapter_line:  # the line after "Chương N" is its title
            self.chapter, self.chapter_line = f"{self.chapter_line}. {line}", ""
        elif _CHAPTER.match(line):
            self.chapter_line, self.section = line, ""
            self.art = self.cl = self.pt = None
        elif _SECTION.match(line):
            self.section, self.cl, self.pt = line, None, None
        else:
            return False
        return True

    def _article(self, start: int, end: int, line: str, number: int) -> None:
        if number <= self.last_article:  # numbered from 1 again: an attached text
            self.annex = _annex_name(self.annex_type or "Văn bản", {u.annex for u in self.units})
        self.last_article = number
        self.art = self._open("article", start, end, article=number)
        self.art.breadcrumb = self._crumbs(line)
        self.cl = self.pt = None
        self.annex_type, self.closing = "", False

    def _clause_or_point(self, start: int, end: int, line: str) -> None:
        art = self.art
        if (m := _CLAUSE.match(line)) and self._uid(art.article, int(m.group(1))) not in self.taken:
            number = int(m.group(1))
            self.cl = self._open("clause", start, end, article=art.article, clause=number, parent=art.uid)
            self.cl.breadcrumb = self._crumbs(art.breadcrumb.split(CRUMB)[-1], f"khoản {number}. {_short(m.group(2))}")
            art.children.append(self.cl.uid)
            self.pt = None
        elif (m := _POINT.match(line)) and self._uid(art.article, (self.cl or art).clause, m.group(1)) not in self.taken:
            owner = self.cl or art
            self.pt = self._open("point", start, end, article=art.article, clause=owner.clause,
                                 point=m.group(1), parent=owner.uid)
            self.pt.breadcrumb = owner.breadcrumb
            owner.children.append(self.pt.uid)

    def _outside(self, start: int, end: int, line: str) -> None:
        """A line before the first article or after "Nơi nhận:": header, legal bases, signature, or
        the heading of an attached text ("QUY ĐỊNH", "(Ban hành kèm theo …)")."""
        if re.fullmatch(r"[-_=\s]+", line):
            return
        if t := _ANNEX_TYPE.match(line):
            self.annex_type, self.closing = t.group(1).capitalize(), False
        elif _ANNEX_LINE.match(line):
            self.closing = False
        elif END_MATTER.match(line):  # a plan's or a notice's recipients: it has no article to end
            self.closing = True
        label = SIGNATURE if self.closing else _preamble_label(line)
        if label == NUMBER_AND_DATE and _after_the_motto(self.units, self.doc.text):
            del self.units[-1]  # the number, the motto and the date: one block of the header
        _preamble_unit(self.units, self.doc.doc_id, start, end, label, self.short_doc)

    def _crumbs(self, *extra: str) -> str:
        return CRUMB.join(p for p in (self.short_doc, self.annex, self.chapter, self.section, *extra) if p)

    def _uid(self, article: int | None, clause: int | None = None, point: str | None = None) -> str:
        return f"{self.doc.doc_id}#{self.annex + ': ' if self.annex else ''}{unit_label(article, clause, point)}"

    def _open(self, kind: str, start: int, end: int, **addr) -> Unit:
        uid = self._uid(addr.get("article"), addr.get("clause"), addr.get("point"))
        label = unit_label(addr.get("article"), addr.get("clause"), addr.get("point"))
        u = Unit(uid, self.doc.doc_id, kind, label, "", "", start, end, annex=self.annex, **addr)
        self.units.append(u)
        self.taken.add(uid)
        return u


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
SIGNATURE = "Nơi nhận, chữ ký"


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


def _news_units(doc: Document, spans: list[tuple[int, int]]) -> list[Unit]:
    """Its paragraphs (`spans`, from `news_paragraphs`), numbered from 1 in reading order."""
    units = []
    for i, (start, end) in enumerate(spans, 1):
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
    no article ("Điều 1."), a plan or a notice, is read as paragraphs like news, and keeps its kind
    (it is shown as the document it is, not as a news item) and the blocks of its header and end
    that say its number, date and signer ("Ai ký Kế hoạch 12/KH-UBND?" had been refused)."""
    units = _news_units(doc, news_paragraphs(doc)) if doc.kind in NEWS_KINDS else _RegulationReader(doc).read()
    if doc.kind not in NEWS_KINDS and not any(u.kind == "article" for u in units):
        spans = news_paragraphs(doc)
        kept = [u for u in units if u.label in (NUMBER_AND_DATE, SIGNATURE)  # not a line of content as a whole
                and (u.start, u.end) not in spans]
        spans = [(start, end) for start, end in spans if not any(k.start <= start < k.end for k in kept)]
        units = sorted(kept + _news_units(doc, spans), key=lambda u: u.start)
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
