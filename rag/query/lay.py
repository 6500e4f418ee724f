"""Everyday words → the term the law uses, for any corpus ("sổ đỏ" → "giấy chứng nhận quyền sử
dụng đất", "ly dị" → "ly hôn", "bệnh viện" → "cơ sở khám bệnh, chữa bệnh").

Why: citizens tell a situation in their own words, and the clause that answers it shares few of
them, so the topic coverage behind the refusal decision stays low and covered questions are
refused. The legal terms count as topic words covered when the retrieved units use them. They
are not added to the search query: there they moved the ranking the wrong way on the laws'
citizen-style questions (Hit@1 0.625 → 0.588). A document's glossary overlay may carry such terms
for its own subject (and wins on the same word); this general lexicon (`lay_terms.json`, one
reason per entry) serves every corpus, filtered by what is loaded: an entry keeps only the
alternatives of its legal term that occur in the documents.

Example:
    >>> lay = LayTerms(known=lambda phrase: phrase == "ly hôn")
    >>> lay.legal_terms("vợ chồng tôi muốn ly dị thì làm sao")
    ['ly hôn']
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path

from rag.text import normalize, whole_words

_FILE = Path(__file__).with_name("lay_terms.json")


@functools.lru_cache(maxsize=1)
def _entries() -> dict[str, str]:
    raw = json.loads(_FILE.read_text(encoding="utf-8"))["terms"]
    return {normalize(lay).lower(): normalize(legal) for lay, (legal, _why) in raw.items()}


class LayTerms:
    """The general lay terms whose legal term `known(phrase)` says the loaded documents use."""

    def __init__(self, known: Callable[[str], bool], skip: frozenset[str] = frozenset()):
        self.terms: dict[str, str] = {}
        for lay, legal in _entries().items():
            alternatives = [a.strip() for a in legal.split(",") if known(a.strip())]
            if alternatives and lay not in skip:
                self.terms[lay] = ", ".join(alternatives)
        self._pattern = re.compile(whole_words(*self.terms)) if self.terms else None

    def legal_terms(self, text: str) -> list[str]:
        """The legal terms for the everyday words of `text` (matched with their accents), each once."""
        if self._pattern is None:
            return []
        found = self._pattern.findall(f" {normalize(text).lower()} ")
        return list(dict.fromkeys(self.terms[lay] for lay in found))
