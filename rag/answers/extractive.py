"""Extractive answers: a short Vietnamese answer composed only of retrieved text, with [n] markers.

Why extractive by default: it is instant, runs anywhere, and cannot state a fact that is not in
a quoted unit. Units are grouped by the body whose duties their article sets out (the glossary
overlay of a document, e.g. Thông tư 10: Sở in Điều 1–2, the commune office in Điều 3–4, the
five centres in Điều 5–9), else by article; each group names the body with its role (or the
article's title), and quotes the decisive fragment of each unit (a verbatim substring of the cited unit).

Example (shape):
    Theo Thông tư 10/2025/TT-BKHCN:
    - Trung tâm Tiêu chuẩn Đo lường Chất lượng (Trung tâm TĐC) — đơn vị sự nghiệp công lập thuộc
      Sở, cung cấp dịch vụ: “ứng dụng công nghệ mã số, mã vạch” (Điều 7, khoản 2, điểm k) [1].
    - Sở Khoa học và Công nghệ — cơ quan quản lý nhà nước cấp tỉnh: “…nhãn hàng hóa, mã số, mã vạch…” [2].
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag.documents.corpus import DocumentInfo
from rag.documents.glossary import Body, Glossary
from rag.documents.parse import CRUMB, Unit
from rag.query.words import content_words, strip_question_words
from rag.search.retriever import Retrieval, ScoredUnit
from rag.search.scoring import first_of_each_body
from rag.settings import Settings
from rag.text import fold

_MARKER = re.compile(r"^\s*(?:\d+\.|[a-zđ]\))\s*")


@dataclass(frozen=True)
class Library:
    """What composing needs to know about the corpus: every unit, the glossary, the documents."""

    units: dict[str, Unit]
    glossary: Glossary
    documents: dict[str, DocumentInfo]

    def document(self, doc_id: str) -> DocumentInfo:
        return self.documents.get(doc_id) or DocumentInfo(doc_id, "regulation", doc_id)

    def body(self, unit: Unit) -> Body | None:
        return self.glossary.body_of(unit.doc_id, unit.article) if unit.kind != "paragraph" else None


@dataclass(frozen=True)
class Section:
    """One line of the answer: a heading (body or source) and the cited units under it."""

    heading: str
    units: list[Unit]


def choose_units(retrieval: Retrieval, library: Library, settings: Settings) -> list[Unit]:
    """The units worth citing: explicit references, else the best-scoring ones; one per body for "who"
    questions and for questions that name several bodies; never a unit and one that contains it.
    They come in the order the answer shows them (the best unit's section first, `sections`), so
    its markers read [1], [2], [3] and not [1], [3], [2]."""
    ranked, limit = retrieval.units, settings.max_cited
    if not ranked:
        return []
    if retrieval.referenced:
        return [s.unit for s in ranked if s.score > ranked[0].score - 1e-6][:limit]
    best = ranked[0].score
    candidates = [s for s in ranked[:8] if s.score >= best - settings.score_window]
    if len(retrieval.bodies) >= 2:  # a comparison: every body named gets its best unit (see retrieve.one_per_body)
        chosen = [ranked[0]]
        chosen += [s for s in first_of_each_body(ranked, retrieval.bodies, lambda s: s.unit.article) if s not in chosen]
        chosen += [s for s in candidates if s not in chosen]
    elif retrieval.query.asks_who:
        chosen: list[ScoredUnit] = []
        news_ok = ranked[0].unit.kind == "paragraph"  # news joins a "who" answer only when it leads
        for s in ranked[:8]:  # the best unit of each body first, then the rest
            if s.score >= best - settings.who_window and (news_ok or s.unit.kind != "paragraph") and \
                    _group_key(s.unit, library) not in {_group_key(c.unit, library) for c in chosen}:
                chosen.append(s)
        chosen += [s for s in candidates if s not in chosen]
    else:
        chosen = candidates
    if retrieval.query.asks_list:
        chosen = [ScoredUnit(whole_list(s.unit, library, settings.list_chars), s.score) for s in chosen]
    kept: list[Unit] = []  # a clause already quotes its points: never cite both
    for s in chosen[:limit]:
        if not any(k.contains(s.unit) or s.unit.contains(k) for k in kept):
            kept.append(s.unit)
    return [u for sec in sections(kept, library) for u in sec.units]


def whole_list(unit: Unit, library: Library, limit: int) -> Unit:
    """The list an item belongs to (a point's clause, a clause's article) when that list is at most
    `limit` characters long, else the item.

    Why: "hồ sơ đăng ký tạm trú gồm những gì?" ranks first the item that matches best ("b) Giấy tờ,
    tài liệu chứng minh chỗ ở hợp pháp"); quoted alone, it answers a question about a list with one
    of its items. A long list (a body's twenty duties) stays cut to the items asked about."""
    parent = library.units.get(unit.parent or "") if unit.kind in ("point", "clause") else None
    return parent if parent is not None and parent.kind in ("clause", "article") and len(parent.text) <= limit else unit


def _group_key(unit: Unit, library: Library) -> str:
    body = library.body(unit)
    return f"{unit.doc_id}|{body.short}" if body else unit.doc_id


def fragment(unit: Unit, question: str, limit: int) -> str:
    """The decisive verbatim fragment of a unit: whole when short, else the pieces that match the question.

    Pieces are the unit's lines, sentences and ";"-separated items, kept in source order; a piece
    too short to stand alone ("Lãnh đạo:") brings the next one with it.
    """
    text = _without_heading(unit) if unit.kind == "article" else _MARKER.sub("", unit.text, count=1)
    if len(" ".join(text.split())) <= limit:
        return " ".join(text.split()).rstrip(" ;.")
    terms = set(content_words(strip_question_words(question)))
    pieces = [" ".join(p.split()) for p in re.split(r"\n+|(?<=[;.])\s+", text) if p.strip()]
    merged: list[str] = []
    for p in pieces:
        if merged and len(merged[-1]) < 40:
            merged[-1] = f"{merged[-1]} {p}"
        else:
            merged.append(p)
    order = sorted(range(len(merged)), key=lambda i: (-len(terms & set(content_words(merged[i]))), i))
    keep: list[int] = []
    for i in order:  # the best pieces, allowing a second one to overrun the limit a little
        if keep and sum(len(merged[j]) for j in keep) + len(merged[i]) > limit + 200:
            break
        keep.append(i)
    picked = _joined(merged, sorted(keep))
    return picked if len(picked) <= limit + 200 else picked[: limit + 200].rsplit(" ", 1)[0] + " …"


def _joined(pieces: list[str], keep: list[int]) -> str:
    """The kept pieces in source order, "…" exactly where text was left out (before, between, after):
    items next to each other in the source read as they do there."""
    parts = ["…"] if keep[0] > 0 else []
    for k, i in enumerate(keep):
        if k and i != keep[k - 1] + 1:
            parts.append("…")
        parts.append(pieces[i])
    if keep[-1] < len(pieces) - 1:
        parts.append("…")
    return re.sub(r"[\s;.]+(?=…)", " ", " ".join(parts)).rstrip(" ;.")


def _without_heading(unit: Unit) -> str:
    """An article's text without its heading ("Điều 118. Chấm dứt nghĩa vụ cấp dưỡng"): the
    answer's line already shows it, and inside the quote it ran into the first sentence."""
    _, sep, rest = unit.text.partition("\n")
    return rest if sep and rest.strip() else unit.text


def sections(units: list[Unit], library: Library) -> list[Section]:
    """Group cited units by body (in the order first cited), else by article: a law has no bodies,
    and its article titles say what each quote is about."""
    out: dict[str, Section] = {}
    for u in units:
        key = _group_key(u, library) if library.body(u) or u.article is None else f"{u.doc_id}|{u.article}"
        if key not in out:
            out[key] = Section(_heading(u, library), [])
        out[key].units.append(u)
    return list(out.values())


def _heading(unit: Unit, library: Library) -> str:
    doc = library.document(unit.doc_id)
    if unit.kind == "paragraph":  # news, or a document without articles (a guidance), named as such
        return f"Theo bài «{doc.title}»" + (f" ({doc.date})" if doc.date else "") if doc.is_news else doc.name
    body = library.body(unit)
    if body is not None:
        return f"{body.display} — {body.role_label}" if body.role_label else body.display
    if unit.article is None:  # "Căn cứ ban hành của …", "Nơi nhận, chữ ký của …"
        return f"{unit.label} của {doc.name}"
    heading = next((p for p in unit.breadcrumb.split(CRUMB) if p.startswith(f"Điều {unit.article}.")), unit.label)
    return heading.rstrip(". ")  # an article without a title (the Constitution's) is "Điều 27", not "Điều 27."


def source_name(unit: Unit, library: Library) -> str:
    """"Trung tâm TĐC, Điều 7, khoản 2, điểm k": where a unit comes from, for LLM context.

    The body's short name: every context token costs ~11 ms of prompt evaluation on 2 cores."""
    if unit.kind == "paragraph":
        return _heading(unit, library)
    body = library.body(unit)
    return f"{body.short}, {unit.label}" if body else f"{library.document(unit.doc_id).name}, {address(unit)}"


def address(unit: Unit) -> str:
    """"Điều 4, khoản 2", or "Điều 4, khoản 2 của Quy định kèm theo" in a text a decision issues."""
    return f"{unit.label} của {unit.annex}" if unit.annex else unit.label


def lead_in(unit: Unit, library: Library) -> str:
    """The opening words of the clause a point continues, verbatim: "Ủy ban nhân dân các tỉnh, thành
    phố trực thuộc Trung ương" for Điều 12.1.b, "Trình Ủy ban nhân dân cấp tỉnh" for Điều 2.1.a.

    Why: a point often does not say who acts or about what; its clause's first line does. Generic
    headings ("Nhiệm vụ, quyền hạn", "Cơ cấu tổ chức") add nothing to the answer's heading: "" then."""
    parent = library.units.get(unit.parent or "") if unit.kind == "point" else None
    if parent is None or parent.kind != "clause":
        return ""
    first = _MARKER.sub("", parent.own_text.split("\n", 1)[0], count=1).strip().rstrip(":").strip()
    generic = any(fold(first).startswith(fold(h)) for h in library.glossary.aspects)
    return "" if generic or len(first) > 120 else first


def compose(question: str, units: list[Unit], library: Library, settings: Settings,
            whole_lists: bool = False) -> list[str]:
    """Answer lines; the unit cited as [n] is `units[n-1]`. A point's clause lead-in is shown once per
    section. With one document cited, the first line names it; with several, each label does.
    `whole_lists`: the question asks for a list, so a unit with items (clauses, points) is quoted
    up to `settings.list_chars`, not cut to the pieces that match the question."""
    number = {u.uid: i for i, u in enumerate(units, 1)}
    docs = list(dict.fromkeys(library.document(u.doc_id) for u in units))
    laws = [d for d in docs if not d.is_news]
    if len(laws) == 1:  # news quoted beside it say so here too: each of their lines names its article
        lines = [f"Theo {laws[0].name}" + (" và tin bài liên quan:" if len(docs) > 1 else ":")]
    else:
        lines = ["Theo các văn bản sau:" if laws else "Theo các tin bài liên quan:"]
    for sec in sections(units, library):
        quotes, shown = [], set()
        for u in sec.units:
            lead = lead_in(u, library)
            prefix = f"{lead}: " if lead and lead not in shown else ""
            shown.add(lead)
            where = address(u) if len(laws) <= 1 else f"{address(u)} — {library.document(u.doc_id).name}"
            label = f" ({where})" if u.kind != "paragraph" else ""
            limit = max(settings.list_chars, settings.fragment_chars) if whole_lists and u.children \
                else settings.fragment_chars
            quotes.append(f"{prefix}“{fragment(u, question, limit)}”{label} [{number[u.uid]}]")
        lines.append(f"- {sec.heading}: {'; '.join(quotes)}.")
    return lines
