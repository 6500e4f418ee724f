"""The answer to a question about how the documents are built ("Thông tư 10 có bao nhiêu điều?",
"luật này gồm những chương nào"), from their outlines (`rag.documents.outline`).

Why not retrieval: no clause says how many articles its document has. Searched, "Thông tư 10 có
bao nhiêu điều?" found Điều 10 ("Thông tư này có hiệu lực …") and quoted it at confidence 0.85.
The answer cites no unit: it lists the documents' own heading lines, verbatim, as places to look.

Example:
    >>> print(describe(library, ("10/2025/TT-BKHCN",)))
    Thông tư 10/2025/TT-BKHCN có 12 điều, chia thành 4 chương:
    - Chương I. SỞ KHOA HỌC VÀ CÔNG NGHỆ (Điều 1–2)
      - Điều 1. Vị trí, chức năng
      …
"""
from __future__ import annotations

from rag.answers.extractive import Library
from rag.documents.corpus import DocumentInfo
from rag.documents.outline import Group, article_heading, articles_by_document, outline
from rag.documents.parse import CRUMB, Unit

# A document of up to this many articles has each article's heading listed; a longer one is shown
# by its chapters (or its first and last article): 689 headings of the civil code are no answer.
LISTED_ARTICLES = 40


def _count(groups: list[Group]) -> str:
    """"12 điều, chia thành 4 chương" / "38 điều"; a decision's own articles, then each text it
    issues: "3 điều; Quy định kèm theo có 13 điều, chia thành 3 chương"."""
    texts: dict[str, list[Group]] = {}
    for g in groups:
        texts.setdefault(g.articles[0].annex, []).append(g)
    parts = []
    for annex, gs in texts.items():
        chapters = sum(g.heading.removeprefix(annex).strip(" ›") != "" for g in gs)
        count = f"{sum(len(g.articles) for g in gs)} điều" + (f", chia thành {chapters} chương" if chapters else "")
        parts.append(f"{annex} có {count}" if annex else count)
    return "; ".join(parts)


def _detail(groups: list[Group]) -> list[str]:
    """One line per chapter (with its articles' headings when the document is short), or one per article."""
    articles = [a for g in groups for a in g.articles]
    short = len(articles) <= LISTED_ARTICLES
    if any(g.heading for g in groups):
        return [line for g in groups for line in [f"- {g.heading or 'Không thuộc chương nào'} ({g.span})",
                                                  *(f"  - {article_heading(a)}" for a in g.articles if short)]]
    if short:
        return [f"- {article_heading(a)}" for a in articles]
    return [f"- từ {article_heading(articles[0])} đến {article_heading(articles[-1])}"]


def describe(library: Library, doc_ids: tuple[str, ...], reference: dict | None = None) -> str:
    """The outline of each document in `doc_ids` (of every regulation loaded when none is named):
    in full for one document, a line each for several. "" when there is no regulation to describe.
    With a chapter ({"chapter": 2}) or an article ({"article": 11}) in `reference`, that chapter, or
    the chapter the article stands in."""
    docs = [library.document(d) for d in (doc_ids or tuple(library.documents))]
    articles = articles_by_document(library.units.values())  # once, not once per document
    outlines = [(d, outline(articles.get(d.doc_id, []), d.doc_id)) for d in docs if not d.is_news]
    if reference and ("chapter" in reference or "article" in reference):
        return _chapter(outlines, reference, named=bool(doc_ids))
    if doc_ids and len(outlines) == 1 and not outlines[0][1]:  # a plan or a notice named: no article to list
        doc = outlines[0][0]
        paragraphs = sum(u.doc_id == doc.doc_id and u.kind == "paragraph" for u in library.units.values())
        return f"{doc.name} không chia thành chương, điều: văn bản gồm {paragraphs} đoạn, được trích dẫn theo đoạn."
    outlines = [(d, groups) for d, groups in outlines if groups]
    if len(outlines) == 1:
        doc, groups = outlines[0]
        return "\n".join([f"{doc.name} có {_count(groups)}:", *_detail(groups)])
    return "\n".join(["Các văn bản đã nạp:", *(f"- {d.name}: {_count(groups)}" for d, groups in outlines)]) \
        if outlines else ""


def chapters(groups: list[Group], annex: str = "") -> list[tuple[str, list[Unit]]]:
    """(heading, articles) of each chapter of the document's own text (or of the text it issues,
    `annex`), in order: the groups of one chapter's sections together."""
    out: list[tuple[str, list[Unit]]] = []
    for g in groups:
        heading = g.heading.removeprefix(annex).strip(" ›").split(CRUMB)[0]
        if g.articles[0].annex != annex or not heading:
            continue
        if not out or out[-1][0] != heading:
            out.append((heading, []))
        out[-1][1].extend(g.articles)
    return out


def _chapter(outlines: list[tuple[DocumentInfo, list[Group]]], reference: dict, named: bool) -> str:
    """Chapter N of each document (counted in order, as the documents number them), or the chapter
    holding article N; for one document named, also that it has no such chapter. A decision's own
    text is read first, the text it issues when the question says so ("Chương I của Quy chế kèm
    theo …") or when only that one has the chapter or article. Without a document named, only
    documents with chapters answer (the laws of ../shared/laws have none)."""
    lines = []
    for doc, groups in outlines:
        annexes = list(dict.fromkeys(g.articles[0].annex for g in groups))
        first = next((a for a in annexes if a), "") if reference.get("annex") or "" not in annexes else ""
        texts = [first, *(a for a in annexes if a != first)]
        if "article" in reference:
            text = next((t for t in texts if any(a.article == reference["article"] and a.annex == t
                                                 for g in groups for a in g.articles)), first)
        else:
            text = next((t for t in texts if chapters(groups, t)), first)
        found = chapters(groups, text)
        name = f"{text} {doc.name}" if text else doc.name
        if "chapter" in reference:
            n = reference["chapter"]
            pick = found[n - 1] if 1 <= n <= len(found) else None
            missing = f"{name} không có chương {n}: văn bản có {len(found)} chương." if found else \
                f"{name} không chia thành chương."
        else:
            pick = next((c for c in found if any(a.article == reference["article"] for a in c[1])), None)
            missing = f"Điều {reference['article']} của {name} không thuộc chương nào."
        if pick is None:
            lines += [missing] if named and len(outlines) == 1 else []
            continue
        heading, arts = pick
        lines.append(f"{name}, {heading} ({Group(heading, tuple(arts)).span}) gồm {len(arts)} điều:")
        lines += [f"- {article_heading(a)}" for a in arts[:LISTED_ARTICLES]]
    return "\n".join(lines)
