"""Extractive answers: a short Vietnamese answer composed only of retrieved text, with [n] markers.

Why extractive by default: it is instant, runs anywhere, and cannot state a fact that is not in
a quoted unit. The circular is organised by body (Sở: Điều 1–2; Phòng Văn hóa - Xã hội cấp xã:
Điều 3–4; the five centres: Điều 5–9; general provisions: Điều 10–12), so the answer groups
the chosen units by body, names each body with its role, and quotes the decisive fragment of
each unit (a verbatim substring of the cited unit).

Example (shape):
    Theo Thông tư 10/2025/TT-BKHCN:
    - Trung tâm Tiêu chuẩn Đo lường Chất lượng (Trung tâm TĐC) — đơn vị sự nghiệp công lập thuộc
      Sở, cung cấp dịch vụ: “ứng dụng công nghệ mã số, mã vạch” [1].
    - Sở Khoa học và Công nghệ — cơ quan quản lý nhà nước cấp tỉnh: “…nhãn hàng hóa, mã số, mã vạch…” [2].
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .glossary import Body, Glossary
from .parse import Unit
from .retrieve import Retrieval, ScoredUnit, content_words, first_of_each_body, strip_question_words
from .text import fold

MAX_CITED = 3
SCORE_WINDOW = 0.12  # units scoring within this of the best are candidates
WHO_WINDOW = 0.25  # for "who" questions, another body's best unit may trail by this much
FRAGMENT_CHARS = 300
_MARKER = re.compile(r"^\s*(?:\d+\.|[a-zđ]\))\s*")
_WHO = re.compile(r"(?i)\b(ai|đơn vị nào|cơ quan nào|bộ phận nào|liên hệ|ở đâu|phụ trách|who|which)\b")


@dataclass(frozen=True)
class Section:
    """One line of the answer: a heading (body or source) and the cited units under it."""

    heading: str
    units: list[Unit]


def choose_units(retrieval: Retrieval, glossary: Glossary) -> list[Unit]:
    """The units worth citing: explicit references, else the best-scoring ones; one per body for "who"
    questions and for questions that name several bodies."""
    ranked = retrieval.units
    if not ranked:
        return []
    if retrieval.referenced:
        return [s.unit for s in ranked if s.score > ranked[0].score - 1e-6][:MAX_CITED]
    best = ranked[0].score
    candidates = [s for s in ranked[:8] if s.score >= best - SCORE_WINDOW]
    if len(retrieval.bodies) >= 2:  # a comparison: every body named gets its best unit (see retrieve.one_per_body)
        chosen = [ranked[0]]
        chosen += [s for s in first_of_each_body(ranked, retrieval.bodies, lambda s: s.unit.article) if s not in chosen]
        chosen += [s for s in candidates if s not in chosen]
    elif _WHO.search(retrieval.question):
        chosen: list[ScoredUnit] = []
        news_ok = ranked[0].unit.kind == "paragraph"  # news joins a "who" answer only when it leads
        for s in ranked[:8]:  # the best unit of each body first, then the rest
            if s.score >= best - WHO_WINDOW and (news_ok or s.unit.kind != "paragraph") and \
                    _group_key(s.unit, glossary) not in {_group_key(c.unit, glossary) for c in chosen}:
                chosen.append(s)
        chosen += [s for s in candidates if s not in chosen]
    else:
        chosen = candidates
    return [s.unit for s in chosen[:MAX_CITED]]


def _group_key(unit: Unit, glossary: Glossary) -> str:
    if unit.kind == "paragraph":
        return unit.doc_id
    body = glossary.body_of_article(unit.article)
    return body.short if body else "general"


def fragment(unit: Unit, question: str, limit: int = FRAGMENT_CHARS) -> str:
    """The decisive verbatim fragment of a unit: whole when short, else the pieces that match the question.

    Pieces are the unit's lines, sentences and ";"-separated items, kept in source order; a piece
    too short to stand alone ("Lãnh đạo:") brings the next one with it.
    """
    text = _MARKER.sub("", unit.text, count=1)
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
    picked = " … ".join(merged[i].rstrip(" ;.") for i in sorted(keep))
    return picked if len(picked) <= limit + 200 else picked[: limit + 200].rsplit(" ", 1)[0] + " …"


def sections(units: list[Unit], glossary: Glossary, titles: dict[str, tuple[str, str | None]]) -> list[Section]:
    """Group cited units by body (in the order first cited); news by article; general provisions by label."""
    out: dict[str, Section] = {}
    for u in units:
        key = _group_key(u, glossary)
        if key not in out:
            out[key] = Section(_heading(u, glossary.body_of_article(u.article), titles), [])
        out[key].units.append(u)
    return list(out.values())


def _heading(unit: Unit, body: Body | None, titles: dict[str, tuple[str, str | None]]) -> str:
    if unit.kind == "paragraph":
        title, date = titles.get(unit.doc_id, (unit.doc_id, None))
        return f"Theo bài «{title}»" + (f" ({date})" if date else "")
    if body is not None:
        return f"{body.display} — {body.role_label}" if body.role_label else body.display
    return "Quy định chung của Thông tư" if unit.article is not None else "Phần mở đầu của Thông tư"


def source_name(unit: Unit, glossary: Glossary, titles: dict[str, tuple[str, str | None]]) -> str:
    """"Trung tâm TĐC, Điều 7, khoản 2, điểm k": where a unit comes from, for LLM context.

    The body's short name: every context token costs ~11 ms of prompt evaluation on 2 cores."""
    body = glossary.body_of_article(unit.article) if unit.kind != "paragraph" else None
    if unit.kind == "paragraph":
        return _heading(unit, None, titles)
    return f"{body.short}, {unit.label}" if body else unit.label


def lead_in(unit: Unit, all_units: dict[str, Unit], glossary: Glossary) -> str:
    """The opening words of the clause a point continues, verbatim: "Ủy ban nhân dân các tỉnh, thành
    phố trực thuộc Trung ương" for Điều 12.1.b, "Trình Ủy ban nhân dân cấp tỉnh" for Điều 2.1.a.

    Why: a point often does not say who acts or about what; its clause's first line does. Generic
    headings ("Nhiệm vụ, quyền hạn", "Cơ cấu tổ chức") add nothing to the answer's heading: "" then."""
    parent = all_units.get(unit.parent or "") if unit.kind == "point" else None
    if parent is None or parent.kind != "clause":
        return ""
    first = _MARKER.sub("", parent.own_text.split("\n", 1)[0], count=1).strip().rstrip(":").strip()
    generic = any(fold(first).startswith(fold(h)) for h in glossary.aspects)
    return "" if generic or len(first) > 120 else first


def compose(question: str, units: list[Unit], glossary: Glossary,
            titles: dict[str, tuple[str, str | None]], all_units: dict[str, Unit]) -> list[str]:
    """Answer lines; the unit cited as [n] is `units[n-1]`. `all_units` (uid → unit) gives each
    point its clause's lead-in, shown once per section."""
    number = {u.uid: i for i, u in enumerate(units, 1)}
    regulation = any(u.kind != "paragraph" for u in units)
    lines = ["Theo Thông tư 10/2025/TT-BKHCN:" if regulation else "Theo các tin bài liên quan:"]
    for sec in sections(units, glossary, titles):
        quotes, shown = [], set()
        for u in sec.units:
            lead = lead_in(u, all_units, glossary)
            prefix = f"{lead}: " if lead and lead not in shown else ""
            shown.add(lead)
            label = f" ({u.label})" if u.kind != "paragraph" else ""
            quotes.append(f"{prefix}“{fragment(u, question)}”{label} [{number[u.uid]}]")
        lines.append(f"- {sec.heading}: {'; '.join(quotes)}.")
    return lines
