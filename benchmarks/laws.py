"""Benchmark on the 28-law corpus (../shared/laws): build (cold and warm embedding cache), adding one
law, retrieval and extractive latency, peak RSS; optionally the same at 10× (the corpus replicated
under new doc_ids, exact FAISS search; `benchmarks/ann.py` compares an approximate index). Prints figures;
asserts nothing.

Usage:
    python benchmarks/laws.py [--laws ../shared/laws] [--questions 100] [--scale 10]
The laws folder is read, never written: documents are copied into a temporary corpus folder.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.answers.assistant import Assistant  # noqa: E402
from rag.search.index import embedding_cache, parse_corpus  # noqa: E402
from rag.search.nodes import build_nodes  # noqa: E402
from rag.settings import ROOT, get_settings  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def copy_corpus(src: Path, dst: Path, skip: str | None = None, copies: int = 1) -> None:
    """The laws (minus `skip`) into `dst`, `copies` times under new doc_ids (same text, so the
    embedding cache serves the copies)."""
    manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    docs = []
    for k in range(copies):
        for e in manifest["documents"]:
            if e["file"] == skip:
                continue
            name = e["file"] if k == 0 else f"copy{k}-{e['file']}"
            shutil.copy(src / e["file"], dst / name)
            docs.append({**e, "file": name, "doc_id": e["doc_id"] if k == 0 else f"{e['doc_id']}#copy{k}"})
    (dst / "manifest.json").write_text(json.dumps({"documents": docs}, ensure_ascii=False), encoding="utf-8")


def seed_copies(settings) -> int:
    """Give each replicated unit its original's cached vector. Why: a copy's node text differs from
    the original only by the "#copyN" in its document number (the breadcrumb names the document),
    so without this the 10× build would embed 200,000 units (hours on 2 cores) to measure search
    over vectors that are, for this purpose, the same. Returns how many vectors were seeded."""
    units, glossary = parse_corpus(settings.data_dir)
    texts = [n.text for n in build_nodes(units, glossary, settings.chunk_tokens)]
    cache = embedding_cache(settings)
    copies = [t for t in texts if re.search(r"#copy\d+", t)]
    seeded = 0
    for start in range(0, len(copies), 5000):
        batch = copies[start:start + 5000]
        originals = [re.sub(r"#copy\d+", "", t) for t in batch]
        found = cache.get(originals)
        pairs = [(batch[i], v) for i, v in found.items()]
        if pairs:
            cache.put([t for t, _ in pairs], np.stack([v for _, v in pairs]))
            seeded += len(pairs)
    return seeded


def timed_build(settings) -> float:
    """Wall time of `python -m rag build` in a fresh process, as a user runs it: imports and model
    load included, no cache of an earlier build in this process."""
    env = {**os.environ, "RAG_DATA_DIR": str(settings.data_dir), "RAG_INDEX_DIR": str(settings.index_dir),
           "RAG_CACHE_DIR": str(settings.cache_dir), "RAG_EMBED_BACKEND": settings.embed_backend}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rag", "build"], env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t0


def latency(settings, questions: list[str]) -> tuple[list[float], list[float]]:
    a = Assistant(settings)
    a.warm_up()
    retrieve, answer = [], []
    for q in questions:
        t0 = time.perf_counter()
        a.retriever.search(q)
        retrieve.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        a.ask(q, mode="extractive")
        answer.append((time.perf_counter() - t0) * 1000)
    return retrieve, answer


def measure_base(args, cold, questions: list[str]) -> None:
    """Build without one law, add it, rebuild all; latency and peak RSS over the 28 laws."""
    copy_corpus(args.laws, cold.data_dir, skip=args.add)
    print(f"build, 27 laws, {'shared' if args.shared_cache else 'cold'} embedding cache: {timed_build(cold):.1f} s")
    copy_corpus(args.laws, cold.data_dir)
    print(f"add one law ({args.add}) and rebuild, warm cache: {timed_build(cold):.1f} s")
    print(f"full rebuild of the 28 laws, warm cache: {timed_build(cold):.1f} s")
    retrieve, answer = latency(cold, questions)
    print(f"retrieval p50 {statistics.median(retrieve):.0f} ms, p95 {pct(retrieve, 0.95):.0f} ms; "
          f"extractive answer p50 {statistics.median(answer):.0f} ms ({len(questions)} questions)")
    print(f"peak RSS serving (index and model loaded, {len(questions)} questions): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"building: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--laws", type=Path, default=ROOT.parent / "shared" / "laws")
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--scale", type=int, default=0, help="also measure the corpus replicated this many times")
    ap.add_argument("--add", default="luat-cu-tru.txt", help="the law added to the rest (about 40 articles)")
    ap.add_argument("--shared-cache", action="store_true",
                    help="use this installation's embedding cache instead of an empty one (skips the cold build figure)")
    ap.add_argument("--scaled-only", action="store_true", help="only the --scale figures (needs --shared-cache)")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in
                 (args.laws / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines()][: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "data").mkdir()
        cache = get_settings().cache_dir if args.shared_cache else tmp / "cache"
        cold = dataclasses.replace(get_settings(), data_dir=tmp / "data", index_dir=tmp / "index", cache_dir=cache)
        if not args.scaled_only:
            measure_base(args, cold, questions)
        if args.scale > 1:
            big = dataclasses.replace(cold, cache_dir=tmp / "cache-scaled")  # the seeded copies stay out of yours
            big.cache_dir.mkdir()
            for f in cold.cache_dir.glob("embeddings.sqlite3*"):
                shutil.copy(f, big.cache_dir / f.name)
            copy_corpus(args.laws, big.data_dir, copies=args.scale)
            print(f"{seed_copies(big):,} replicated units given their original's cached vector")
            print(f"build at {args.scale}× (replicated text, warm cache): {timed_build(big):.1f} s")
            retrieve, _ = latency(big, questions)
            print(f"retrieval at {args.scale}×, FAISS flat: p50 {statistics.median(retrieve):.0f} ms, "
                  f"p95 {pct(retrieve, 0.95):.0f} ms")


if __name__ == "__main__":
    main()
