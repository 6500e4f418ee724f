"""Candidate generation: each retriever returns its top N nodes with their raw scores.

Why top N and not every node: a shared store (pgvector's HNSW index, a BM25 engine) answers
top-k queries only; with each retriever limited to `settings.candidates_per_retriever` here,
fusion ranks exactly as it will over such a store. FAISS is used directly (exact inner product
over unit-length e5 vectors) and BM25 through `bm25s` with our own tokens; llama-index's
`QueryFusionRetriever` would re-embed and re-tokenise per retriever and cannot take the
folded-syllable tokens or the per-question weights, so fusion is ours (`scoring.py`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.text import folded_terms, words


@dataclass(frozen=True)
class Candidates:
    """Node indices (into `LoadedIndex.node_uids`) and raw scores of one retriever, best first."""

    name: str
    ids: np.ndarray
    scores: np.ndarray


def _top(scores: np.ndarray, n: int, name: str) -> Candidates:
    n = min(n, len(scores))
    ids = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    ids = ids[np.argsort(-scores[ids], kind="stable")]
    return Candidates(name, ids, scores[ids])


def bm25_scores(bm, tokens: list[str], n_nodes: int) -> np.ndarray:
    """BM25 score of every node for `tokens` (tokens the index never saw are ignored)."""
    vocab = bm.vocab_dict
    known = [t for t in tokens if t in vocab]
    return np.asarray(bm.get_scores(known), dtype=np.float32) if known else np.zeros(n_nodes, np.float32)


def dense(index, query_vector: np.ndarray, n: int) -> Candidates:
    """e5 inner-product top N (FAISS)."""
    scores, ids = index.dense.search(query_vector, min(n, len(index.node_uids)))
    keep = ids[0] >= 0
    return Candidates("dense", ids[0][keep], scores[0][keep])


def bm25_words(index, lexical: str, n: int) -> Candidates:
    """BM25 over pyvi words ("mã_số"): exact Vietnamese wording."""
    return _top(bm25_scores(index.bm_words, words(lexical), len(index.node_uids)), n, "words")


def bm25_folded(index, lexical: str, n: int) -> Candidates:
    """BM25 over diacritic-free syllables and bigrams: robust to missing or wrong accents."""
    return _top(bm25_scores(index.bm_folded, folded_terms(lexical), len(index.node_uids)), n, "folded")
