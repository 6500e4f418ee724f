"""Checks that an LLM answer says only what its cited units support.

Why: a 1.5B model puts [n] markers on most answers but not all, and may cite a number that was
not supplied. We drop markers that name no supplied unit, attribute unmarked sentences to the
unit they overlap most (at least `MIN_OVERLAP` topic words), and renumber the cited units from 1.

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


def validate_citations(text: str, units: list[Unit]) -> tuple[str, list[Unit]]:
    """Drop markers that name no supplied unit, attribute unmarked sentences by word overlap,
    and renumber the cited units from 1 in order of first use. Returns (text, cited units)."""
    k = len(units)
    sentences = [s for s in SENTENCE.split(text.strip()) if s.strip()]
    fixed = []
    for s in sentences:
        s = MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= k else "", s)
        if not MARKER.search(s) and k:
            overlap = [len(set(content_words(s)) & set(content_words(u.text))) for u in units]
            best = max(range(k), key=lambda i: overlap[i])
            if overlap[best] >= MIN_OVERLAP:
                s = s.rstrip() + f" [{best + 1}]"
        fixed.append(s.strip())
    order: list[int] = []
    for m in MARKER.finditer(" ".join(fixed)):
        if int(m.group(1)) not in order:
            order.append(int(m.group(1)))
    renumber = {old: new for new, old in enumerate(order, 1)}
    out = MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", "\n".join(fixed))
    return out, [units[i - 1] for i in order]
