"""A document's table of contents, read from its parsed units: its headings and its articles.

Why here, from the units: the answer to "Thông tư 10 có bao nhiêu điều?" and the document view
planned next (a table of contents with a link to every clause, ARCHITECTURE.md) need the same
outline, and it must be the one the citations point into. Nothing is guessed: a heading is the
chapter (and section) line of the breadcrumb as the document writes it, an article's heading its
first line, verbatim. The laws of `../shared/laws` carry no chapter lines, so their outline is one
group of articles under no heading.

Example:
    >>> [(g.heading, len(g.articles)) for g in outline(units, "10/2025/TT-BKHCN")]
    [('Chương I. SỞ KHOA HỌC VÀ CÔNG NGHỆ', 2), ('Chương II. CHỨC NĂNG, …', 2), …]
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rag.documents.parse import CRUMB, Unit


@dataclass(frozen=True)
class Group:
    """Consecutive articles under one heading ("Chương II. …", or "Chương II. … › Mục 1. …")."""

    heading: str  # "" for articles under no chapter
    articles: tuple[Unit, ...]

    @property
    def span(self) -> str:
        """"Điều 3–5", or "Điều 3" for one article."""
        first, last = self.articles[0].label, self.articles[-1].label
        return first if first == last else f"{first}–{last.removeprefix('Điều ')}"


def article_heading(article: Unit) -> str:
    """"Điều 1. Vị trí, chức năng": the article's first line, as written."""
    return article.text.split("\n", 1)[0].strip()


def articles_by_document(units: Iterable[Unit]) -> dict[str, list[Unit]]:
    """Each document's articles in reading order (an article's text holds its clauses and points)."""
    out: dict[str, list[Unit]] = {}
    for u in sorted((u for u in units if u.kind == "article"), key=lambda u: u.start):
        out.setdefault(u.doc_id, []).append(u)
    return out


def outline(units: Iterable[Unit], doc_id: str) -> list[Group]:
    """The articles of `doc_id` in document order, grouped by the heading they stand under."""
    articles = articles_by_document(u for u in units if u.doc_id == doc_id).get(doc_id, [])
    groups: list[tuple[str, list[Unit]]] = []
    for a in articles:
        heading = CRUMB.join(a.breadcrumb.split(CRUMB)[1:-1])  # between the document and the article
        if not groups or groups[-1][0] != heading:
            groups.append((heading, []))
        groups[-1][1].append(a)
    return [Group(h, tuple(arts)) for h, arts in groups]
