"""Checks that an LLM answer says only what its cited units support.

Why: a 1.5B model puts [n] markers on most answers but not all, may cite a number that was not
supplied, and under prompt injection writes "Theo Điều 88, khoản 9 …" or "Sở quản lý giá xăng
dầu [2]" behind a valid marker. So, after generation:
1. `validate_citations`: markers that name no supplied unit are dropped, unmarked sentences are
   attributed to the unit they overlap most (at least `MIN_OVERLAP` topic words), renumbered;
2. `ground`: a sentence is dropped when a legal reference or document number it writes was not
   supplied, when its topic words are not in its cited units, or when it names a body its cited
   units neither belong to nor name. Nothing left → the Assistant answers extractively.
User text is `neutralize`d before prompting: chat-template tokens cannot open a new turn.

Example:
    >>> validate_citations("Trung tâm TĐC kiểm định phương tiện đo [1]. Xem [7].", [unit])
    ('Trung tâm TĐC kiểm định phương tiện đo [1].\\nXem .', [unit])
"""
from __future__ import annotations

import re

from rag.documents.parse import Unit
from rag.query.words import content_words

MARKER = re.compile(r"\[(\d+)\]")
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_OVERLAP = 3
_FINISHED = re.compile(r"(?:[.!?…:;]|\[\d+\])[\s\"”')\]]*$")  # a sentence the model ended itself


def validate_citations(text: str, units: list[Unit]) -> tuple[str, list[Unit]]:
    """Drop an unfinished last sentence and markers that name no supplied unit, attribute unmarked
    sentences by word overlap, and renumber the cited units from 1 in order of first use. Returns (text, cited units)."""
    k = len(units)
    sentences = [s for s in SENTENCE.split(text.strip()) if s.strip()]
    if len(sentences) > 1 and not _FINISHED.search(sentences[-1]):
        sentences.pop()  # cut off by the token limit mid-sentence ("… tổ chức thực hiện việc kiểm")
    fixed = []
    for s in sentences:
        s = MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= k else "", s)
        if not MARKER.search(s) and k:
            overlap = [len(set(content_words(s)) & set(content_words(u.text))) for u in units]
            best = max(range(k), key=lambda i: overlap[i])
            if overlap[best] >= MIN_OVERLAP:
                s = s.rstrip() + f" [{best + 1}]"
        fixed.append(s.strip())
    return renumber(fixed, units)


def renumber(sentences: list[str], units: list[Unit]) -> tuple[str, list[Unit]]:
    """The sentences joined, their markers renumbered from 1 in order of first use; the cited units."""
    order: list[int] = []
    for m in MARKER.finditer(" ".join(sentences)):
        if int(m.group(1)) not in order:
            order.append(int(m.group(1)))
    new = {old: n for n, old in enumerate(order, 1)}
    return MARKER.sub(lambda m: f"[{new[int(m.group(1))]}]", "\n".join(sentences)), [units[i - 1] for i in order]


_CONTROL = re.compile(r"<\|[^|>]{0,40}\|>|</?s>|\[/?INST\]|^\s*#{1,6}\s*(system|assistant|user)\b:?|"
                      r"^\s*(system|assistant|user)\s*:", re.IGNORECASE | re.MULTILINE)
_ARTICLE = re.compile(r"(?i)\bđiều\s+(\d{1,3})\b")
_CLAUSE = re.compile(r"(?i)\bkhoản\s+(\d{1,3})\b")
_POINT = re.compile(r"(?i)\bđiểm\s+([a-zđ])\b(?!\w)")
_CHAPTER = re.compile(r"(?i)\bchương\s+([IVXLC]+)\b")
DOC_NUMBER = re.compile(r"\b\d{1,4}/\d{4}/[A-ZĐa-zđ0-9\-]+")
MIN_SUPPORT = 0.5  # share of a sentence's topic-word pairs its cited units must contain


def neutralize(text: str) -> str:
    """User text without chat-template control tokens and role markers (`<|im_start|>system`,
    `### System:`, `[INST]`): what a user types can never open a new turn of the prompt."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _references_ok(sentence: str, units: list[Unit], doc_numbers: set[str]) -> bool:
    """Every Điều / khoản / điểm and document number the sentence writes is one of the supplied units
    (or encloses one): "Điều 88", "khoản 99" or an unknown "Thông tư 99/2030/…" fail."""
    articles = set(_ARTICLE.findall(sentence))
    clauses, points = set(_CLAUSE.findall(sentence)), {p.lower() for p in _POINT.findall(sentence)}
    if any(n not in doc_numbers for n in DOC_NUMBER.findall(sentence)):
        return False
    chapters = {c.upper() for c in _CHAPTER.findall(sentence)}
    if any(not any(re.search(rf"Chương {c}\b", u.breadcrumb) for u in units) for c in chapters):
        return False
    if not (articles or clauses or points):
        return True
    for u in units:
        if articles and (u.article is None or articles - {str(u.article)}):
            continue
        if clauses and (u.clause is None or clauses - {str(u.clause)}):
            continue
        if points and (u.point is None or points - {u.point}):
            continue
        return True
    return False


def _pairs(text: str) -> set[str]:
    words = content_words(text)
    return {f"{a} {b}" for a, b in zip(words, words[1:])} | set(words[:1] if len(words) == 1 else ())


def _supported(sentence: str, vocabulary: set[str]) -> bool:
    """Most adjacent pairs of the sentence's topic words occur in its cited units (and the names that
    introduce them): "Sở quản lý giá xăng dầu [2]" attached to a unit about measurement fails.
    Pairs, not single syllables: Vietnamese syllables ("giá", "đất") occur almost everywhere."""
    pairs = _pairs(MARKER.sub(" ", sentence))
    return not pairs or sum(p in vocabulary for p in pairs) / len(pairs) >= MIN_SUPPORT


def ground(text: str, units: list[Unit], names: dict[str, str], bodies_in, body_of,
           doc_numbers: set[str], topic_of=lambda s: s) -> tuple[str, list[Unit]]:
    """Keep only the sentences of a validated LLM answer that are grounded in what they cite.

    A sentence is dropped when it writes a legal reference or document number not supplied
    (`_references_ok`), when its topic words are not in its cited units (`_supported`), or when it
    names a body that is neither the body of a cited unit nor named in its text (`bodies_in(text)`
    lists the bodies a text names, `body_of(unit)` the body whose duties a unit sets out).
    `names[uid]` is the source name the prompt gave each unit; `topic_of(sentence)` is the sentence
    without the bodies it names (checked apart), so that a body's long name cannot carry an
    unsupported claim past the support check. Returns (text, units still cited)."""
    kept = []
    for sentence in (s for s in SENTENCE.split(text) if s.strip()):
        cited = [units[int(n) - 1] for n in MARKER.findall(sentence) if 1 <= int(n) <= len(units)]
        vocabulary = {p for u in cited for p in _pairs(f"{names.get(u.uid, '')}. {u.breadcrumb}. {u.text}")}
        allowed = {b for u in cited for b in [body_of(u), *bodies_in(u.text), *bodies_in(names.get(u.uid, ""))] if b}
        if not cited or not _references_ok(sentence, units, doc_numbers) or not _supported(topic_of(MARKER.sub(" ", sentence)), vocabulary):
            continue
        if any(b not in allowed for b in bodies_in(MARKER.sub(" ", sentence))):
            continue
        kept.append(sentence.strip())
    return renumber(kept, units)
