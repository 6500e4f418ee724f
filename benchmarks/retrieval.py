"""Benchmark: index build time, query latency after load, peak RSS, and retrieval quality side by
side with the baselines, in one run on the golden set. Prints figures; asserts nothing.

Usage: python benchmarks/retrieval.py [--golden eval/golden.jsonl] [--repeat 3] [--llm]
Medians and ratios are reported because these 2-core machines are noisy.
"""
from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.answers.assistant import Assistant  # noqa: E402
from rag.evaluation.baselines import NaiveLlamaIndex, Span, single_retriever  # noqa: E402
from rag.evaluation.evaluate import load_golden, ranking_metrics, resolve_gold  # noqa: E402
from rag.search.index import build_index  # noqa: E402
from rag.settings import ROOT, get_settings  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--golden", type=Path, default=ROOT / "eval" / "golden.jsonl")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over the questions")
    ap.add_argument("--llm", action="store_true", help="also time LLM answers (needs `python -m rag setup-llm`)")
    args = ap.parse_args()
    settings = get_settings()

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build_index(dataclasses.replace(settings, index_dir=Path(tmp)), progress=False)
        build_s = time.perf_counter() - t0
    print(f"index build (parse + embed + FAISS + BM25, model already provisioned): {build_s:.1f} s")

    t0 = time.perf_counter()
    assistant = Assistant(settings)
    assistant.warm_up()
    print(f"load (index + model): {time.perf_counter() - t0:.1f} s")
    items = [i for i in load_golden(args.golden) if not i.history]
    questions = [i.question for i in items]
    lat: list[float] = []
    for _ in range(args.repeat):
        for q in questions:
            t = time.perf_counter()
            assistant.retriever.search(q)
            lat.append((time.perf_counter() - t) * 1000)
    ans_lat = []
    for q in questions:
        t = time.perf_counter()
        assistant.ask(q, (), "extractive")
        ans_lat.append((time.perf_counter() - t) * 1000)
    print(f"query latency after load, {len(lat)} queries: p50 {statistics.median(lat):.1f} ms, p95 {pct(lat, .95):.1f} ms")
    print(f"extractive answer latency (retrieve + compose): p50 {statistics.median(ans_lat):.1f} ms, "
          f"p95 {pct(ans_lat, .95):.1f} ms")
    print(f"peak RSS after load and queries: {rss_mb():.0f} MB")

    units = assistant.retriever.index.units
    naive = NaiveLlamaIndex(assistant.retriever)
    systems = {"product": [], "naive llama-index": [], "bm25 alone": [], "dense alone": []}
    for it in items:
        if it.abstain:
            continue
        golds = [resolve_gold(g, units) for g in it.gold]
        res = assistant.retriever.search(it.question)
        systems["product"].append(ranking_metrics([Span(s.unit.doc_id, s.unit.start, s.unit.end) for s in res.units], golds))
        systems["naive llama-index"].append(ranking_metrics(naive.retrieve(it.question), golds, containment=False))
        systems["bm25 alone"].append(ranking_metrics(single_retriever(assistant.retriever, "bm25", it.question), golds))
        systems["dense alone"].append(ranking_metrics(single_retriever(assistant.retriever, "dense", it.question), golds))
    keys = ("hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@10")
    n = len(systems["product"])
    print(f"\nretrieval quality on {n} in-scope golden questions (no follow-ups), top 10:")
    print(f"{'system':<20}" + "".join(f"{k:>11}" for k in keys))
    for name, rows in systems.items():
        print(f"{name:<20}" + "".join(f"{statistics.mean(r[k] for r in rows):>11.3f}" for k in keys))

    if args.llm:
        ttft, full = [], []
        for q in questions[:20]:
            t = time.perf_counter()
            first = None
            for chunk in assistant.stream(q, (), "llm"):
                if first is None and isinstance(chunk, str):
                    first = (time.perf_counter() - t) * 1000
            full.append((time.perf_counter() - t) * 1000)
            ttft.append(first or full[-1])
        print(f"\nLLM (local) on 20 questions: time to first token p50 {statistics.median(ttft):.0f} ms, "
              f"p95 {pct(ttft, .95):.0f} ms; full answer p50 {statistics.median(full):.0f} ms, p95 {pct(full, .95):.0f} ms")


if __name__ == "__main__":
    main()
