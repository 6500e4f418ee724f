"""The query stage: a question is read once into a frozen `Query` that every later stage reads.

Why: retrieval, the extractive answer, follow-ups and the LLM step all need the same facts about
a question (its accents, its topic words, the bodies and documents it names, an explicit
"Điều 7 khoản 2"). Computing them once keeps the stages consistent and cheap, and lets the
pure-logic tests of this stage run without torch or llama-index.

Reading, in order:
1. NFC and one tone placement; informal wording resolved (`informal.py`);
2. accents restored from the corpus when typed without them (`text.restore_diacritics`);
3. abbreviations, lay terms and English phrases expanded (glossary) → the dense query;
   everyday words' legal terms (`lay.py`) join the topic terms only;
4. bodies, aspects, role cues, other departments and explicit references found → the priors;
5. question scaffolding removed → the lexical query and the topic terms (for confidence).

Example:
    >>> reader = QueryReader(glossary, accents, news_only=frozenset())
    >>> q = reader.read("don vi nao phu trach ma so ma vach")
    >>> q.text, q.asks_who
    ('đơn vị nào phụ trách mã số mã vạch', True)
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from rag.documents.glossary import Body, Glossary
from rag.query.followup import condense
from rag.query.informal import fillers, normalize_informal
from rag.query.lay import LayTerms
from rag.query.words import (asked_titles, asks_list, asks_outline, asks_who, content_words, is_english,
                             parse_references, smalltalk, strip_question_words)
from rag.text import DOCUMENT_NUMBER, fold, has_diacritics, normalize, restore_diacritics


@dataclass(frozen=True)
class Query:
    """Everything later stages need to know about one question."""

    raw: str  # as the user typed it (validated), for display and logs
    text: str  # normalised, informal wording resolved, accents restored: what is matched
    english: bool
    accented: bool  # typed with diacritics (decides the fusion weights)
    dense: str  # text + expansions of abbreviations, lay terms and English phrases
    lexical: str  # the topic words for BM25 (scaffolding and, when a topic remains, body names removed)
    topic_terms: tuple[str, ...]  # folded content words of the topic (news detection)
    coverage_terms: tuple[str, ...] = ()  # what confidence looks for: the topic terms, else the whole question's
    bodies: tuple[Body, ...] = ()  # bodies named as the ones acting
    defining: frozenset[int] = frozenset()  # articles of a cue that outweighs the bodies named (Điều 12)
    cued: frozenset[int] = frozenset()  # articles of the role the wording points to
    aspects: tuple[str, ...] = ()  # headings asked about ("nhiệm vụ, quyền hạn") when no topic remains
    reference: dict = field(default_factory=dict)  # {"article": 7, "clause": 2, "point": "k"}
    foreign: str | None = None  # a department the documents do not cover, if named
    about_news: bool = False  # names something only the news mention (a province, a person)
    asks_who: bool = False
    asks_list: bool = False  # "hồ sơ gồm những gì": an item is quoted with the rest of its short list
    titles: tuple[str, ...] = ()  # standard article titles the wording asks for ("… là gì?" → "giải thích từ ngữ")
    documents: tuple[str, ...] = ()  # doc_ids of the documents the question names ("theo Luật Cư trú")
    smalltalk: str = ""  # "greeting" or "thanks" when the message asks nothing of the documents
    outline: bool = False  # "Thông tư 10 có bao nhiêu điều?": asks how the documents are built
    unknown_document: str = ""  # an official number the question names that no loaded document has ("99/2026/QĐ-UBND")

    @property
    def changed(self) -> bool:
        """Whether reading changed the wording beyond case, accents and punctuation."""
        return _letters(fold(self.raw)) != _letters(fold(self.text))


# What introduces a document's name, removed with it: "Theo quy định của [Luật X], …" (folded; not
# the "theo" of "Quy định kèm theo [Quyết định X]", which says which text of X is meant)
_INTRODUCER = re.compile(r"(?:theo qui dinh (?:cua|tai)|qui dinh (?:cua|tai)|(?<!kem )theo|cua|tai|trong)\s+$")


# A question keeps a named document's name in its search text unless this many content syllables
# remain without it (two words): "Luật Tiếp cận thông tin áp dụng cho ai?" without the name
# ("áp dụng cho ai?") matched every law's scope article and lost its confidence (0.98 → 0.62).
_TOPIC_SYLLABLES = 3


def _name_pattern(name: str) -> re.Pattern:
    """A folded document name as a regex that ignores the punctuation between its words: questions
    write "Luật phòng, chống tác hại của rượu bia" for "Luật Phòng, chống tác hại của rượu, bia"."""
    words = re.findall(r"\w[\w/-]*", name)
    return re.compile(r"(?<![\w/])" + r"[\s,;:.–-]+".join(map(re.escape, words)) + r"(?![\w/])")


DOCUMENT_NUMBER_RE = re.compile(DOCUMENT_NUMBER)


def document_numbers(text: str) -> list[str]:
    """The official numbers in `text`, folded ("Số: 12/2026/QĐ-UBND" → ["12/2026/qd-ubnd"])."""
    return DOCUMENT_NUMBER_RE.findall(fold(text))


def _letters(text: str) -> str:
    return " ".join(re.findall(r"\w+", text))


class QueryReader:
    """Reads questions against one corpus' knowledge: its glossary, accent table and news vocabulary."""

    def __init__(self, glossary: Glossary, accents: dict[str, tuple[str, int]], news_only: frozenset[str],
                 document_names: dict[str, tuple[str, ...]] | None = None, lay_terms: LayTerms | None = None,
                 known_numbers: frozenset[str] = frozenset()):
        self.glossary = glossary
        self.lay_terms = lay_terms
        self.accents = accents
        self.news_only = news_only
        names = sorted(((fold(n), doc_id) for doc_id, ns in (document_names or {}).items() for n in ns),
                       key=lambda nd: -len(nd[0]))  # longest first
        self._document_names = [(_name_pattern(n), doc_id) for n, doc_id in names]
        self._known_numbers = known_numbers | {x for n, _ in names for x in document_numbers(n)}
        self._abbreviation_terms = {t for a in glossary.expansions for t in re.findall(r"\w+", fold(a))}

    def read(self, question: str, history: list[dict] | tuple = (), standalone: str | None = None) -> Query:
        """The `Query` for one validated question; a follow-up is first made standalone from `history`
        by the rules of `followup.condense` (or given as `standalone`, e.g. rewritten by an LLM)."""
        g = self.glossary
        typed = normalize_informal(normalize(standalone or question))
        restore = functools.partial(restore_diacritics, table=self.accents)
        text = condense(typed, list(history), g, restore) if history and standalone is None else typed
        english = is_english(text)
        accented = has_diacritics(typed)  # as typed: a follow-up completed with a body's name is still unaccented
        if not accented and not english:
            text = restore(text)
        subject = "; ".join(g.english_terms(text)) if english else text  # Vietnamese wording, for names
        topic_terms = self._terms(g.residual(text), english, accented)
        about_news = bool(set(topic_terms) & self.news_only)
        named = () if about_news else tuple(g.bodies_in(subject))
        defining = frozenset(g.cued_articles(subject, overriding=True))
        bodies = () if defining else named  # a body being defined is what is asked about, not who acts
        documents, rest = self._documents_in(text)
        unnamed = rest if documents and len(content_words(rest)) >= _TOPIC_SYLLABLES else text
        dense = g.expand(unnamed, accented)
        topic = g.residual(subject)
        lexical = g.expand(topic, accented) if named and content_words(topic) else dense
        aspects = tuple(g.aspects_in(subject)) if bodies and not content_words(topic) else ()
        cued = frozenset() if bodies or about_news or defining else frozenset(g.cued_articles(subject))
        return Query(
            raw=question, text=text, english=english, accented=accented, dense=dense,
            lexical=strip_question_words(lexical) or lexical, topic_terms=tuple(topic_terms),
            coverage_terms=tuple(topic_terms or self._terms(text, english, accented)), bodies=bodies,
            defining=defining, cued=cued, aspects=aspects, reference=parse_references(text),
            foreign=g.foreign_body_in(text), about_news=about_news, asks_who=asks_who(text),
            asks_list=asks_list(text), titles=asked_titles(text), documents=documents, outline=asks_outline(rest),
            unknown_document="" if documents else self._unknown_number(text), smalltalk=smalltalk(question, fillers()),
        )

    def _unknown_number(self, text: str) -> str:
        """The first official number in `text` that no loaded document has, as typed, in upper case.
        Why: "Quyết định 99/2026/QĐ-UBND quy định gì?" was answered, confidently, from the opening
        lines of other decisions. Asked beside a loaded document ("Thông tư 10 căn cứ Nghị định
        55/2025/NĐ-CP"), a number is about that document and is not checked (`read` skips it)."""
        folded = fold(text)
        for m in DOCUMENT_NUMBER_RE.finditer(folded):
            if m.group(0) not in self._known_numbers:
                return (text[m.start():m.end()] if len(folded) == len(text) else m.group(0)).upper()
        return ""

    def _documents_in(self, text: str) -> tuple[tuple[str, ...], str]:
        """Documents the question names, each span of text used once ("Luật Hôn nhân và gia đình",
        "luật hôn nhân gia đình", "Thông tư 10", "52/2014/QH13"), and the question without those names.

        `read` searches without the names unless fewer than `_TOPIC_SYLLABLES` content syllables
        would remain. Why the names leave the dense query (and the lexical one, made from it unless a body is
        named): the document bonus already prefers the document named, and within it the name says
        nothing about which unit answers; left in, it drew the question towards the units that
        repeat the document's name (ALQAC checking half Hit@1 0.854 → 0.888, tuning half unchanged).
        Blanking it in the lexical query alone had cost gold citations (tuning half 0.899 → 0.876);
        keeping it there now changes nothing on the ALQAC halves and loses one citizen question."""
        hay, found, rest = f" {fold(text)} ", [], f" {text} "
        if len(hay) != len(rest):  # folding kept every character's place (it does for Vietnamese)
            rest = hay
        for pattern, doc_id in self._document_names:
            m = pattern.search(hay)
            if m and doc_id not in found:
                found.append(doc_id)
                intro = _INTRODUCER.search(hay[: m.start()])
                start = intro.start() if intro else m.start()
                hay = hay[:start] + " " * (m.end() - start) + hay[m.end():]
                rest = rest[:start] + " " * (m.end() - start) + rest[m.end():]
        return tuple(found), re.sub(r"\s+", " ", rest).strip(" ,")

    def _expand(self, text: str, typed_accents: bool) -> str:
        """`text` with the glossary's expansions and the general lay terms' legal terms appended (for
        topic coverage only: see `rag.query.lay`)."""
        out = self.glossary.expand(text, typed_accents)
        legal = [t for t in (self.lay_terms.legal_terms(text) if self.lay_terms else []) if t not in out]
        return f"{out} ({'; '.join(legal)})" if legal else out

    def _terms(self, text: str, english: bool, typed_accents: bool) -> list[str]:
        """Folded content words of `text` (the topic, or a question with none, "Sở KHCN là cơ quan gì?"),
        abbreviations expanded then dropped: the documents spell "KHCN" out."""
        g = self.glossary
        expanded = self._expand(text, typed_accents) if not english else g.expand(text)[len(text):]
        return [t for t in content_words(expanded) if t not in self._abbreviation_terms]
