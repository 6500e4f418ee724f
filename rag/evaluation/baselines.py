"""Baselines measured in the same run as the product (eval and benchmark).

- naive: what a default llama-index pipeline does: `SentenceSplitter(1024, 200)` over whole
  files, the same e5-small model, exact FAISS search. Its chunks are spans of the source files;
  a chunk counts as retrieving a gold unit when it covers at least half of that unit's span
  (a chunk cannot "be" a clause, so this is the fairest unit-level reading of it).
- bm25: BM25 alone over our units (pyvi words), no priors, no fusion.
- dense: e5 alone over our units, no priors, no fusion.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.search.candidates import bm25_scores
from rag.search.retriever import Retriever
from rag.text import normalize, words

BASELINES = ("naive", "bm25", "dense")


@dataclass(frozen=True)
class Span:
    """A retrieved piece of a source file (doc_id, character span)."""

    doc_id: str
    start: int
    end: int


class NaiveLlamaIndex:
    """SentenceSplitter 1024/200 chunks of whole files, e5-small, FAISS inner product."""

    def __init__(self, retriever: Retriever):
        import faiss
        from llama_index.core.node_parser import SentenceSplitter

        from rag.documents.corpus import load_documents

        splitter = SentenceSplitter(chunk_size=1024, chunk_overlap=200)
        self.spans: list[Span] = []
        texts: list[str] = []
        for doc in load_documents(retriever.settings.data_dir):
            cursor = 0
            for chunk in splitter.split_text(doc.text):
                start = doc.text.find(chunk[:200], max(0, cursor - 3000))
                start = start if start >= 0 else cursor
                self.spans.append(Span(doc.doc_id, start, start + len(chunk)))
                texts.append(chunk)
                cursor = start + 1
        self.embedder = retriever.embedder
        vecs = self.embedder.passages(texts)
        self.index = faiss.IndexFlatIP(vecs.shape[1])
        self.index.add(vecs)

    def retrieve(self, question: str, top_k: int = 10) -> list[Span]:
        _, ids = self.index.search(self.embedder.queries([normalize(question)]), min(top_k, len(self.spans)))
        return [self.spans[i] for i in ids[0]]


def single_retriever(retriever: Retriever, name: str, question: str, top_k: int = 10) -> list[Span]:
    """Units ranked by one signal alone ("bm25" or "dense"), as spans."""
    ix = retriever.index
    n = len(ix.node_uids)
    if name == "bm25":
        scores = bm25_scores(ix.bm_words, words(normalize(question)), n)
    else:
        d, i = ix.dense.search(retriever.embedder.queries([normalize(question)]), n)
        scores = np.zeros(n, np.float32)
        scores[i[0]] = d[0]
    best: dict[str, float] = {}
    for uid, s in zip(ix.node_uids, scores.tolist()):
        best[uid] = max(best.get(uid, -1e9), s)
    ranked = sorted(best, key=lambda u: -best[u])[:top_k]
    return [Span(ix.units[u].doc_id, ix.units[u].start, ix.units[u].end) for u in ranked]
