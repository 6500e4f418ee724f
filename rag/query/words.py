"""General Vietnamese question wording (`lexicon.json`): question words, stopwords, references.

Why one module: retrieval, follow-ups, the extractive answer and the LLM grounding all need to
know which words of a question carry its topic. Before, four overlapping lists lived in four
modules; now there is one data file and these few functions over it.

Example:
    >>> strip_question_words("Đơn vị nào phụ trách mã số mã vạch?")
    'mã số mã vạch?'
    >>> content_words("Ai quản lý điểm bưu chính ở xã?")
    ['quan', 'li', 'diem', 'buu', 'chinh', 'xa']
    >>> parse_references("điểm k khoản 2 Điều 7")
    {'article': 7, 'clause': 2, 'point': 'k'}
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path

from rag.documents.metadata import DOC_TYPES
from rag.documents.parse import ANNEX_TYPES
from rag.text import fold, has_diacritics, normalize, whole_words

LEXICON_FILE = Path(__file__).with_name("lexicon.json")
_REF = {
    "chapter": re.compile(r"\bchuong\s+([ivxl]{1,6}|\d{1,2})\b"),  # "chương II", "chuong 2"
    "article": re.compile(r"\bdieu\s+(\d{1,3})\b"),
    "clause": re.compile(r"\bkhoan\s+(\d{1,2})\b"),
    "point": re.compile(r"\bdiem\s+([a-z])\b(?!\w)"),  # any letter: "điểm z" is an address no unit has
}


def _any_of(phrases: list[str]) -> re.Pattern:
    """A case-insensitive pattern for any of `phrases` as whole words."""
    return re.compile(r"(?i)(?<!\w)(" + "|".join(map(re.escape, map(normalize, phrases))) + r")(?!\w)")


@functools.lru_cache(maxsize=1)
def lexicon() -> dict:
    """The general question lexicon, normalised (NFC, one tone placement)."""
    raw = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    phrases = sorted({normalize(p) for p in raw["question_phrases"]}, key=len, reverse=True)
    return {
        "question_phrases": phrases,
        "stopwords": frozenset(tuple(normalize(w).lower().split()) for w in raw["stopwords"].split(",") if w.strip()),
        "stopwords_folded": frozenset(tuple(fold(w).split()) for w in raw["stopwords"].split(",") if w.strip()),
        "who": _any_of(raw["who_words"]),
        "list": _any_of(raw["list_words"]),
        "followup": sorted((normalize(p) for p in raw["followup_words"]), key=len, reverse=True),
        "continuation": re.compile(r"^(?:{})(?!\w)|(?<!\w)(?:{})$".format(
            *("|".join(sorted({re.escape(fold(w)) for w in raw[key]}, key=len, reverse=True))
              for key in ("continuation_starts", "continuation_ends")))),
        "accent_words": [normalize(w).strip() for w in raw["accent_words"].split(",") if w.strip()],
        "english": frozenset(raw["english_words"].split()),
        "article_titles": [(tuple(normalize(t) for t in title.split("|")), [normalize(p) for p in phrases])
                           for title, phrases in raw["article_titles"].items()],
        "smalltalk": {kind: sorted({fold(p) for p in phrases}, key=len, reverse=True)
                      for kind, phrases in raw["smalltalk"].items() if kind != "about"},
    }


# A Vietnamese syllable typed without accents: onset, one to three vowels, coda.
_SYLLABLE = re.compile(r"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?")


def is_english(question: str) -> bool:
    """An unaccented question with an English function word, at least half of whose words cannot be
    Vietnamese syllables. Why not count function words alone: "do", "to", "the", "in" are also
    Vietnamese typed without accents ("giai the, to chuc lai … do ai …")."""
    tokens = re.findall(r"[a-z]+", question.lower())
    if has_diacritics(question) or not any(t in lexicon()["english"] for t in tokens):
        return False
    return 2 * sum(not _SYLLABLE.fullmatch(t) for t in tokens) >= len(tokens)


def asked_titles(question: str) -> tuple[str, ...]:
    """Standard article titles the wording asks for ("… là gì?" → "giải thích từ ngữ"), with their spellings."""
    text, accented = _keyed(question)
    found: list[str] = []
    for titles, phrases in lexicon()["article_titles"]:
        if any(re.search(_phrase_pattern(p, accented), f" {text} ") for p in phrases):
            found += titles
    return tuple(found)


def asks_who(question: str) -> bool:
    """"Ai …", "đơn vị nào …", "liên hệ ở đâu": the answer should name who acts."""
    return bool(lexicon()["who"].search(normalize(question)))


def asks_list(question: str) -> bool:
    """"Hồ sơ gồm những gì", "các trường hợp nào": the answer should quote the whole list."""
    return bool(lexicon()["list"].search(normalize(question)))


# "có bao nhiêu điều", "gồm mấy chương", "gồm những điều nào", "mục lục" (folded): the structural
# units are a closed set (phần, chương, mục, điều), so this is grammar, not a list of questions. With
# a document named and nothing else asked, "(Thông tư 10) quy định gì / nói về gì / nội dung là gì"
# asks what the whole document covers: its outline too.
_OUTLINE = re.compile(r"(?:\bgom\s+)?(?:\b(?:tat ca|tong cong)\s+)?\b(?:bao nhieu|may|nhung|cac)\s+"
                      r"(?:phan|chuong|muc|dieu)\b(?:\s+(?:nao|gi|tat ca|tong cong|het))*|\bmuc luc\b"
                      r"|\b(?:qui dinh|noi)(?: ve)?(?: nhung)? (?:gi|cai gi|van de gi)\b|\bnoi dung(?: chinh)?(?: la)? gi\b"
                      r"|\bco chuong (?:[ivxl]{1,6}|\d{1,2}) (?:khong|ko|k)\b")
# "Điều 11 thuộc chương nào?": where an article stands is read from the outline too
_CHAPTER_OF = re.compile(r"\bdieu\s+\d{1,3}\b.*?\b(?:thuoc|o|trong)\s+(?:chuong|muc|phan)\s+(?:nao|may|bao nhieu)\b")
_ANNEXES = "|".join(fold(t) for t in ANNEX_TYPES)
_DOCUMENT_WORDS = re.compile(r"\b(?:van ban|{}|{})(?:\s+nay)?\b|\b(?:ban hanh\s+)?kem theo\b".format(
    _ANNEXES, "|".join(fold(t) for t in DOC_TYPES)))


def asks_outline(text: str) -> bool:
    """"Thông tư 10 có bao nhiêu điều?", "luật này gồm những chương nào", "chương 2 gồm những điều
    nào", "Điều 11 thuộc chương nào?": a question about how a document is built, answered from its
    outline. `text` is the question with the documents it
    names taken out; nothing else may remain but scaffolding and document words ("văn bản này"),
    so "khi ly hôn cần lưu ý những điều gì?" and "bao nhiêu điều kiện" stay questions of content."""
    folded = fold(text)
    chapter_of = _CHAPTER_OF.search(folded)
    rest, n = _OUTLINE.subn(" ", _CHAPTER_OF.sub(" ", folded))
    return (n > 0 or bool(chapter_of)) and not content_words(_DOCUMENT_WORDS.sub(" ", _REF["chapter"].sub(" ", rest)))


def smalltalk(text: str, fillers: Iterable[str] = ()) -> str:
    """"greeting" (a greeting or a question about the assistant), "thanks", or "" when the message
    asks anything else: "Xin chào, Sở có nhiệm vụ gì?" is a question, "chào bạn, bạn là ai?" is not.
    Read on the message as typed: what is left once its greetings, thanks and questions about the
    assistant are removed must be only `fillers` (the informal reading's openers and closers) and
    the lexicon's small-talk particles (pronouns, "vâng", "nhiều"), so "dạ em cảm ơn ad nhiều ạ" is
    thanks."""
    rest, kinds = f" {fold(text)} ", set()
    phrases = lexicon()["smalltalk"]
    for kind in ("greeting", "identity", "thanks"):
        for phrase in phrases[kind]:
            rest, n = re.subn(whole_words(phrase), " ", rest)
            kinds |= {kind} if n else set()
    for phrase in _smalltalk_fillers(tuple(fillers)):
        rest = re.sub(whole_words(phrase), " ", rest)
    if re.search(r"\w", rest) or not kinds:
        return ""
    return "thanks" if kinds == {"thanks"} else "greeting"


@functools.lru_cache(maxsize=4)
def _smalltalk_fillers(fillers: tuple[str, ...]) -> list[str]:
    """The particles and `fillers`, folded, longest first: sorted once, not per message."""
    return sorted({*lexicon()["smalltalk"]["particles"], *(fold(f) for f in fillers)}, key=len, reverse=True)


def _keyed(text: str) -> tuple[str, bool]:
    """`text` as phrases are looked for in it (lower-cased, folded when typed without diacritics),
    and whether it was typed with them."""
    accented = has_diacritics(text)
    return (normalize(text).lower() if accented else fold(text)), accented


def _phrase_pattern(phrase: str, accented: bool) -> str:
    """A phrase as a whole-word pattern over `_keyed` text."""
    return whole_words(phrase.lower() if accented else fold(phrase))


def blank_phrases(text: str, phrases: list[str]) -> str:
    """`text` lower-cased (folded when typed without diacritics) with every phrase removed."""
    key, accented = _keyed(text)
    out = f" {key} "
    for phrase in phrases:
        out = re.sub(_phrase_pattern(phrase, accented), " ", out)
    return " ".join(out.split())


def strip_question_words(text: str) -> str:
    """The question without its scaffolding ("ai", "ở đâu", "chịu trách nhiệm"): the topic words."""
    return blank_phrases(text, lexicon()["question_phrases"])


def content_words(text: str) -> list[str]:
    """Folded syllables of `text` that carry its topic (question words, fillers and stopword
    phrases dropped; a phrase only where all its syllables stand together). Stopwords match with
    their accents when the text has any ("chị" is not the "chi" of "chi phí", "hỏi" not "hội")."""
    key, accented = _keyed(text)
    stop = lexicon()["stopwords" if accented else "stopwords_folded"]
    tokens = [t for t in re.findall(r"\w+", key) if t.isalpha()]
    keep = [True] * len(tokens)
    for n in (3, 2, 1):
        for i in range(len(tokens) - n + 1):
            if all(keep[i:i + n]) and tuple(tokens[i:i + n]) in stop:
                keep[i:i + n] = [False] * n
    return [fold(t) for t, k in zip(tokens, keep) if k]


# An address in the text a decision issues ("Điều 3 của Quy chế ban hành kèm theo Quyết định …",
# "Điều 2 Quy chế …"), folded ("quy" folds to "qui": `rag.text.unify_y`). Right after "Điều N" only
# the types that are no everyday word count: "Điều 3 Quyết định 18 quy định gì?" uses "quy định" as
# a verb, "hướng dẫn" and "kế hoạch" too.
_ANNEX_REF = re.compile(rf"\b(?:{_ANNEXES})\s+(?:ban hanh\s+)?kem theo\b"
                        r"|\b(?:dieu\s+\d+|chuong\s+(?:\d+|[ivxl]+))\s+(?:(?:cua|trong|thuoc)\s+)?(?:qui che|dieu le|qui trinh|de an)\b")


_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50}


def _number(text: str) -> int:
    """"12" → 12, "iv" → 4 (chapters are numbered in Roman numerals)."""
    if text.isdigit():
        return int(text)
    values = [_ROMAN[c] for c in text]
    return sum(-v if v < w else v for v, w in zip(values, values[1:] + [0]))


def parse_references(question: str) -> dict[str, int | str | bool]:
    """Explicit legal address in a question, e.g. {"article": 2, "clause": 11, "point": "k"}, with
    "annex": True when it is an address in the text a decision issues (`parse.Unit.annex`)."""
    folded = fold(question)
    ref: dict[str, int | str | bool] = {}
    for key, rx in _REF.items():
        m = rx.search(folded)
        if m:
            ref[key] = m.group(1) if key == "point" else _number(m.group(1))
    if ("article" in ref or "chapter" in ref) and _ANNEX_REF.search(folded):
        ref["annex"] = True
    if "point" in ref:  # folding turns "đ" into "d": take the letter as typed when it was typed
        typed = re.search(r"(?i)điểm\s+([a-zđ])(?!\w)", normalize(question))
        ref["point"] = typed.group(1).lower() if typed else ref["point"]
    return ref
