"""Exact (FAISS flat) vs approximate (FAISS HNSW) dense search on a corpus replicated N times.

Why: at 3,400 articles the flat index answers in a few ms, but a province's corpus may grow
tenfold. This measures what an approximate index would buy and cost there: search latency per
question for the top 10 and for the top `candidates_per_retriever` (what fusion reads), and the
recall of the approximate top k against the exact one. Replicated vectors tie exactly, so recall
counts an approximate hit as right when its score reaches the exact k-th score (ties are
interchangeable). Prints figures; asserts nothing.

Usage (on an index built from the laws, e.g. `RAG_DATA_DIR=../shared/laws RAG_INDEX_DIR=/tmp/idx python -m rag build`):
    python benchmarks/ann.py --index /tmp/idx/current [--scale 10] [--questions 100]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.search.embed import Embedder  # noqa: E402
from rag.settings import ROOT, get_settings  # noqa: E402


def timed_search(index, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    """Per-question latency (ms) and the scores of the top k, one question at a time as in serving."""
    times, scores = [], []
    for q in queries:
        t0 = time.perf_counter()
        d, _ = index.search(q[None, :], k)
        times.append((time.perf_counter() - t0) * 1000)
        scores.append(d[0])
    return times, np.array(scores)


def recall(exact: np.ndarray, approx: np.ndarray) -> float:
    """Share of the approximate top k whose score reaches the exact k-th score."""
    kth = exact[:, -1:] - 1e-5
    return float((approx >= kth).sum() / exact.size)


def main() -> None:
    import faiss

    settings = get_settings()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True, help="an index folder (the one holding dense.faiss)")
    ap.add_argument("--laws", type=Path, default=ROOT.parent / "shared" / "laws")
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--m", type=int, default=32, help="HNSW neighbours per node")
    args = ap.parse_args()

    base = faiss.read_index(str(args.index / "dense.faiss"))
    vecs = np.tile(base.reconstruct_n(0, base.ntotal), (args.scale, 1))
    questions = [json.loads(line)["question"] for line in
                 (args.laws / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines()][: args.questions]
    queries = Embedder(settings.embed_model, settings.model_dir, backend=settings.embed_backend).queries(questions)
    print(f"{len(vecs):,} vectors ({args.scale}× {base.ntotal:,}), {len(questions)} questions")

    flat = faiss.IndexFlatIP(vecs.shape[1])
    flat.add(vecs)
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(vecs.shape[1], args.m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(vecs)
    print(f"HNSW build (M={args.m}, efConstruction=80): {time.perf_counter() - t0:.1f} s; "
          f"memory flat {vecs.nbytes / 2**20:.0f} MB, HNSW ~{(vecs.nbytes + len(vecs) * args.m * 2 * 4) / 2**20:.0f} MB")
    for k in (10, settings.candidates_per_retriever):
        t_flat, s_flat = timed_search(flat, queries, k)
        print(f"top {k}: flat p50 {statistics.median(t_flat):.1f} ms")
        for ef in sorted({max(64, k), 2 * k}):
            hnsw.hnsw.efSearch = ef
            t_h, s_h = timed_search(hnsw, queries, k)
            print(f"        HNSW efSearch={ef}: p50 {statistics.median(t_h):.1f} ms, "
                  f"×{statistics.median(t_flat) / statistics.median(t_h):.1f} faster, recall {recall(s_flat, s_h):.3f}")


if __name__ == "__main__":
    main()
