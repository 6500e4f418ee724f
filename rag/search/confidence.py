"""Retrieval confidence in [0, 1]: does what was found cover what was asked?

Three parts, mixed by `settings.confidence_mix`: the share of the question's topic syllables
and of its topic bigrams found in the top units (fillers and question words never count:
the query stage removed them), and the dense similarity of the best node, scaled from
`confidence_dense_floor` over `confidence_dense_span`. A question closer to an area these
documents do not cover (`glossary.other_topics`) than to any unit loses confidence, steeply
(`other_topic_weight`); it never gains from it.

Why dense similarity weighs most (0.5) and bigrams least (0.15): citizens ask in everyday words.
Their syllables occur in the law ("ngủ", "báo", "công an"), their word pairs rarely ("ngủ lại",
"báo công an"), so bigram coverage had refused in-scope stories at 0.45-0.49 while out-of-scope
questions worded like law passed. Questions outside a narrow corpus are caught by the named
uncovered areas and departments, which this mix leaves as they were.
"""
from __future__ import annotations

import math

import numpy as np

from rag.query.reading import Query
from rag.settings import Settings


def topic_weight(n: int, topic_size: int) -> float:
    """How many of a question's `n` topic terms count: all up to `topic_size`, then the square root
    of the rest. Why: a question's topic is a handful of terms; a citizen telling a story ("hàng
    xóm chụp ảnh con gái tôi rồi đăng lên trang bán hàng…") adds circumstances no clause repeats,
    and counting each of them in full refused such questions for their length alone."""
    return float(n) if n <= topic_size else topic_size + math.sqrt(n - topic_size)


def coverage(terms: list[str], seen: set[str], topic_size: int) -> tuple[float, float]:
    """Share of `terms` and of their adjacent pairs found in `seen` (syllables and bigrams), out of
    `topic_weight` of each count."""
    bigrams = [f"{a} {b}" for a, b in zip(terms, terms[1:])]
    cov1 = min(1.0, sum(t in seen for t in terms) / topic_weight(len(terms), topic_size))
    cov2 = min(1.0, sum(t in seen for t in bigrams) / topic_weight(len(bigrams), topic_size)) if bigrams else cov1
    return cov1, cov2


def confidence(query: Query, seen: set[str], dense_top: float, other_top: float, settings: Settings) -> float:
    """Confidence that the units whose terms are `seen` answer `query`.

    `dense_top`: best e5 similarity of any node; `other_top`: best similarity to an uncovered area."""
    terms = [t for t in query.coverage_terms if len(t) > 1]  # "x" names no topic
    if not terms:
        return 0.0
    cov1, cov2 = coverage(terms, seen, settings.topic_size)
    w1, w2, w3 = settings.confidence_mix
    dense_part = float(np.clip((dense_top - settings.confidence_dense_floor) / settings.confidence_dense_span, 0, 1))
    score = w1 * cov1 + w2 * cov2 + w3 * dense_part + settings.other_topic_weight * min(0.0, dense_top - other_top)
    return round(float(np.clip(score, 0.0, 1.0)), 4)
