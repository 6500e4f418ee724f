"""The eval suite: golden set → retrieval, answer, citation and abstention metrics → report.

Deterministic by construction (no sampling; LLM at temperature 0): two runs give the same
quality numbers; only latencies vary. Metrics (in-scope questions unless stated):
- retrieval, unit level (a retrieved unit counts when it is a gold unit or lies inside one):
  Hit@1, Hit@5, MRR@10, nDCG@10 (each gold unit credited once), Recall@10;
- answers: citation validity (the cited unit exists, was retrieved for that question, and its
  quote is the corpus text verbatim), citation precision/recall against gold (a citation matches
  a gold unit when one contains the other), gold-cited rate, mention coverage (every group of
  alternative phrases present, diacritics ignored), refusal rate on out-of-scope questions,
  false-refusal rate in scope, follow-ups vs the same questions asked standalone;
- latency p50/p95 per stage and peak RSS; breakdowns by kind and by article;
- baselines in the same run: naive llama-index, BM25 alone, dense alone (see `baselines`).
"""
from __future__ import annotations

import json
import math
import os
import re
import resource
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rag.answers.assistant import Answer, Assistant
from rag.evaluation.baselines import BASELINES, NaiveLlamaIndex, Span, single_retriever
from rag.evaluation.judge import summarize_judgements
from rag.documents.parse import Unit
from rag.text import normalize

HEADLINE = ("hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@10", "citation_validity", "gold_cited",
            "mention", "refusal_oos", "false_refusal")


@dataclass
class Item:
    id: str
    question: str
    kind: str
    abstain: bool
    gold: list[dict]
    mention: list[list[str]]
    history: list[dict] = field(default_factory=list)
    standalone: str | None = None
    answer: str = ""
    clean: str | None = None  # informal sets: the same question written cleanly (asked too, for comparison)
    style: str | None = None  # informal sets: fillers, teencode, no_diacritics, casual_spelling, mixed
    split: str | None = None  # "tune" (rules were adjusted on it) or "check" (never looked at while tuning)


def load_golden(path: Path) -> list[Item]:
    """The questions of a golden JSONL file; ValueError saying, in Vietnamese, which file and which
    line is wrong (the evaluator had been shown "[Errno 2] …", "IsADirectoryError" or a JSON
    parser's column without the line of the file)."""
    if not path.is_file():
        raise ValueError(f"{path}: " + ("là một thư mục, không phải tệp JSONL." if path.is_dir() else "không có tệp này."))
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}, dòng {n}: không phải JSON hợp lệ ({e.msg}, cột {e.colno}).") from None
        if not isinstance(d, dict):
            raise ValueError(f"{path}, dòng {n}: mỗi dòng phải là một đối tượng JSON.")
        missing = {"id", "question", "gold", "kind", "abstain", "mention"} - set(d)
        if missing:
            raise ValueError(f"{path}, dòng {n}: thiếu trường {', '.join(sorted(missing))}.")
        items.append(Item(d["id"], d["question"], d["kind"], d["abstain"], d["gold"], d["mention"],
                          d.get("history") or [], d.get("standalone"), d.get("answer", ""), d.get("clean"),
                          d.get("style"), d.get("split")))
    if not items:  # a report of dashes would look like a run that measured something
        raise ValueError(f"{path.name} không có câu hỏi nào: không có gì để đánh giá.")
    return items


def resolve_gold(gold: dict, units: dict[str, Unit]) -> Unit:
    """The corpus unit a gold reference names; `KeyError` when it does not exist.

    A reference with no article and no paragraph (`{"doc_id": news, "article": null, …}`, the
    shape `retrieve --jsonl` gives news paragraphs) names the whole document: any of its
    paragraphs counts."""
    if gold.get("article") is None and gold.get("paragraph") is None:
        parts = [u for u in units.values() if u.doc_id == gold["doc_id"]]
        if not parts:
            raise KeyError(f"document {gold['doc_id']!r} is not in the corpus")
        return Unit(gold["doc_id"], gold["doc_id"], "document", parts[0].breadcrumb, parts[0].breadcrumb, "",
                    min(u.start for u in parts), max(u.end for u in parts))
    for u in units.values():
        if u.doc_id != gold["doc_id"]:
            continue
        if gold.get("paragraph") is not None and u.paragraph == gold["paragraph"]:
            return u
        if gold.get("paragraph") is None and u.kind in ("article", "clause", "point") and \
                (u.article, u.clause, u.point) == (gold["article"], gold["clause"], gold["point"]):
            return u
    raise KeyError(f"gold unit {gold} is not in the corpus")


def _hit(span: Span, gold: Unit, containment: bool) -> bool:
    if span.doc_id != gold.doc_id:
        return False
    if containment:
        return span.start >= gold.start and span.end <= gold.end
    overlap = min(span.end, gold.end) - max(span.start, gold.start)
    return overlap >= 0.5 * (gold.end - gold.start)


def unknown_golds(items: list[Item], units: dict[str, Unit]) -> list[str]:
    """"<id>: <gold>" for each question whose gold unit the loaded corpus does not have: the set
    was written for another corpus (the laws' questions against the default one)."""
    out = []
    for item in items:
        for gold in item.gold:
            try:
                resolve_gold(gold, units)
            except KeyError:
                out.append(f"{item.id}: {gold.get('doc_id')} Điều {gold.get('article')}")
    return out


def ranking_metrics(spans: list[Span], golds: list[Unit], containment: bool = True) -> dict[str, float]:
    """Hit@1, Hit@5, MRR@10, nDCG@10, Recall@10 of one ranked list against its gold units."""
    spans = spans[:10]
    first = next((i for i, s in enumerate(spans) if any(_hit(s, g, containment) for g in golds)), None)
    credited: set[int] = set()
    dcg = 0.0
    for i, s in enumerate(spans):
        new = [j for j, g in enumerate(golds) if j not in credited and _hit(s, g, containment)]
        if new:
            credited.add(new[0])
            dcg += 1 / math.log2(i + 2)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(golds), 10)))
    found = sum(any(_hit(s, g, containment) for s in spans) for g in golds)
    return {"hit@1": float(first == 0), "hit@5": float(first is not None and first < 5),
            "mrr@10": 1 / (first + 1) if first is not None else 0.0,
            "ndcg@10": dcg / ideal if ideal else 0.0, "recall@10": found / len(golds) if golds else 0.0}


def _spans(units: list[Unit]) -> list[Span]:
    return [Span(u.doc_id, u.start, u.end) for u in units]


def _cited_match(cited: Unit, gold: Unit) -> bool:
    return gold.contains(cited) or cited.contains(gold)


Labels = dict[tuple[str, str], list[Unit]]


def label_index(units: dict[str, Unit]) -> Labels:
    """(doc_id, label) → its units, built once per run. A label may name several units: a
    preamble's "Căn cứ ban hành" lines."""
    out: Labels = {}
    for u in units.values():
        out.setdefault((u.doc_id, u.label), []).append(u)
    return out


def cited_units(ans: Answer, labels: Labels) -> list[tuple[Unit | None, bool]]:
    """Each citation's unit (the one it quotes verbatim when several share its label; None when no
    unit has the label) and whether the citation is valid: retrieved and quoted verbatim."""
    retrieved = {s.unit.uid for s in ans.retrieved}
    out = []
    for c in ans.citations:
        named = labels.get((c.doc_id, c.label), [])
        quoted = [u for u in named if u.uid in retrieved and c.quote == u.text]
        out.append(((quoted or named or [None])[0], bool(quoted)))
    return out


def wrong_body_sentences(ans: Answer, labels: Labels, glossary) -> int:
    """LLM answer sentences naming a body that none of their cited units belongs to or names.

    An independent check of the answers (not the grounding code): a sentence's [n] markers give its
    cited units; a body counts as right when a cited unit's article sets out its duties or the unit's
    text names it."""
    cites = {c.n: u for c, (u, _) in zip(ans.citations, cited_units(ans, labels))}
    wrong = 0
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", ans.text):
        cited = [cites.get(int(n)) for n in re.findall(r"\[(\d+)\]", sentence)]
        cited = [u for u in cited if u is not None]
        if not cited:
            continue
        right = {glossary.body_of(u.doc_id, u.article) for u in cited} | {b for u in cited for b in glossary.bodies_in(u.text)}
        wrong += any(b not in right for b in glossary.bodies_in(re.sub(r"\[\d+\]", " ", sentence)))
    return wrong


def answer_metrics(ans: Answer, item: Item, golds: list[Unit], labels: Labels) -> dict[str, float]:
    """Citation validity / precision / recall, gold-cited, mention coverage for one answer;
    `labels` is the corpus' `label_index`."""
    found = cited_units(ans, labels)
    valid = sum(ok for _, ok in found)
    cited = [u for u, _ in found if u is not None]
    out = {
        "citation_precision": (sum(any(_cited_match(c, g) for g in golds) for c in cited) / len(cited)) if cited else 0.0,
        "citation_recall": (sum(any(_cited_match(c, g) for c in cited) for g in golds) / len(golds)) if golds else 0.0,
        "gold_cited": float(any(_cited_match(c, g) for c in cited for g in golds)),
        "n_citations": float(len(ans.citations)),
    }
    if ans.citations:  # an answer with no citation has none to validate (not a perfect score)
        out["citation_validity"] = valid / len(ans.citations)
    if item.mention:  # a set with no key phrases has no mention figure (not 1.0)
        out["mention"] = 0.0 if ans.abstained else float(all(mentions(ans.text, group) for group in item.mention))
    return out


def mentions(text: str, phrases: list[str]) -> bool:
    """Whether `text` names one of `phrases`, as a whole word and with its accents: "Sở" is not the
    "số" of "chuyển đổi số", nor the "sở" of "cơ sở" (a phrase written with a capital matches only
    so; one in lower case matches either case, as at the start of a sentence)."""
    text = normalize(text)
    return any(re.search(rf"(?<!\w){re.escape(normalize(p))}(?!\w)", text, 0 if p[:1].isupper() else re.IGNORECASE)
               for p in phrases)


def _mean(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if key in r]
    return round(sum(vals) / len(vals), 4) if vals else None


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def load_1min() -> float | None:
    """The 1-minute load average (None where the platform has none): the report shows it so that
    latencies measured on a busy machine are not taken for the product's."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def run_eval(assistant: Assistant, items: list[Item], mode: str = "extractive", baselines: bool = True,
             progress: bool = True, judge=None) -> dict:
    """Run everything over `items`; returns the metrics dict written to metrics.json.

    `judge`: an `rag.answers.llm.LLMBackend` to also judge faithfulness (see `rag.evaluation.judge`), or None."""
    from tqdm import tqdm

    from rag.evaluation.judge import judge_answer

    units = assistant.retriever.index.units
    labels = label_index(units)
    naive = NaiveLlamaIndex(assistant.retriever) if baselines else None
    rows: list[dict] = []
    to_judge: list[tuple[dict, Answer]] = []
    load_start = load_1min()
    for item in tqdm(items, desc="Đánh giá", disable=not progress, unit="câu"):
        golds = [resolve_gold(g, units) for g in item.gold]
        ans = assistant.ask(item.question, item.history, mode)
        row = {"id": item.id, "kind": item.kind, "abstain": item.abstain, "question": item.question,
               "style": item.style, "split": item.split,
               "answered_abstained": ans.abstained, "retrieve_ms": ans.timings.get("retrieve", 0.0),
               "answer_ms": ans.timings.get("answer", 0.0), "first_token_ms": ans.timings.get("first_token"),
               "article": golds[0].article if golds else None, "doc_id": golds[0].doc_id if golds else None,
               "retrieved": [s.unit.label or s.unit.uid for s in ans.retrieved[:5]], "answer": ans.text,
               "cited": [c.label or c.doc_id for c in ans.citations], "standalone": ans.standalone}
        if not item.abstain:
            row.update(ranking_metrics(_spans([s.unit for s in ans.retrieved]), golds))
            row.update(answer_metrics(ans, item, golds, labels))
            if ans.mode == "llm":
                row["wrong_body_sentences"] = wrong_body_sentences(ans, labels, assistant.retriever.index.glossary)
            if baselines:
                q = item.standalone or item.question
                row["naive"] = ranking_metrics(naive.retrieve(q), golds, containment=False)
                for name in ("bm25", "dense"):
                    row[name] = ranking_metrics(single_retriever(assistant.retriever, name, q), golds)
            if judge is not None and not ans.abstained:
                to_judge.append((row, ans))
        if item.clean:
            clean = assistant.ask(item.clean, item.history, mode)
            row["clean_abstained"] = clean.abstained
            if not item.abstain:
                row["clean_metrics"] = {**ranking_metrics(_spans([s.unit for s in clean.retrieved]), golds),
                                        **answer_metrics(clean, item, golds, labels)}
        if not item.abstain:
            if item.standalone:
                alone = assistant.ask(item.standalone, (), mode)
                row["standalone_metrics"] = {**ranking_metrics(_spans([s.unit for s in alone.retrieved]), golds),
                                             **answer_metrics(alone, item, golds, labels)}
        rows.append(row)
    load = {"start": load_start, "end": load_1min(), "cpus": os.cpu_count()}  # while answering, not judging
    # Judged after all answers: a judge prompt evicts the LLM's cached answer prefix, which
    # would otherwise slow (and so misreport) every answer that follows it.
    for row, ans in tqdm(to_judge, desc="Chấm bằng LLM", disable=not progress or judge is None, unit="câu"):
        row["judge"] = judge_answer(judge, ans)
    return {**summarize(rows, mode, baselines), "load": load}


def summarize(rows: list[dict], mode: str, baselines: bool) -> dict:
    inscope = [r for r in rows if not r["abstain"]]
    answered = [r for r in inscope if not r["answered_abstained"]]
    oos = [r for r in rows if r["abstain"]]
    head = {k: _mean(inscope, k) for k in ("hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@10", "gold_cited", "mention")}
    head["citation_validity"] = _mean(answered, "citation_validity")
    head["citation_precision"] = _mean(answered, "citation_precision")
    head["citation_recall"] = _mean(inscope, "citation_recall")
    head["refusal_oos"] = round(sum(r["answered_abstained"] for r in oos) / len(oos), 4) if oos else None
    head["citations_median"] = statistics.median(r["n_citations"] for r in answered) if answered else None
    llm_rows = [r for r in answered if "wrong_body_sentences" in r]
    head["wrong_body_answers"] = (round(sum(r["wrong_body_sentences"] > 0 for r in llm_rows) / len(llm_rows), 4)
                                  if llm_rows else None)
    head["false_refusal"] = round(sum(r["answered_abstained"] for r in inscope) / len(inscope), 4) if inscope else None
    by_kind = {k: _group_metrics([r for r in rows if r["kind"] == k]) for k in sorted({r["kind"] for r in rows})}
    many = len({r["doc_id"] for r in inscope if r["article"] is not None}) > 1
    by_article = {_article_key(doc, a, many): _group_metrics(
        [r for r in inscope if (r["doc_id"], r["article"]) == (doc, a)])
        for doc, a in sorted({(r["doc_id"] or "", r["article"]) for r in inscope if r["article"] is not None})}
    news = [r for r in inscope if r["article"] is None and r["doc_id"]]
    if news:
        by_article["tin bài"] = _group_metrics(news)
    follow = [r for r in inscope if "standalone_metrics" in r]
    followups = {"n": len(follow)}
    for k in ("hit@1", "gold_cited", "mention"):
        followups[k] = _mean(follow, k)
        followups[f"{k}_standalone"] = _mean([r["standalone_metrics"] for r in follow], k)
    base = {}
    informal = {}
    if any(r.get("style") for r in rows):
        for group in ("style", "split"):
            informal[group] = {v: _informal_metrics([r for r in rows if r.get(group) == v])
                               for v in sorted({r[group] for r in rows if r.get(group)})}
        informal["all"] = _informal_metrics([r for r in rows if r.get("style")])
    if baselines:
        for name in BASELINES:
            base[name] = {k: _mean([r[name] for r in inscope], k) for k in ("hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@10")}
    lat = {"retrieve_ms": {"p50": _pct([r["retrieve_ms"] for r in rows], 0.5), "p95": _pct([r["retrieve_ms"] for r in rows], 0.95)},
           "answer_ms": {"p50": _pct([r["answer_ms"] for r in rows], 0.5), "p95": _pct([r["answer_ms"] for r in rows], 0.95)}}
    ftt = [r["first_token_ms"] for r in rows if r.get("first_token_ms")]
    if ftt:
        lat["first_token_ms"] = {"p50": _pct(ftt, 0.5), "p95": _pct(ftt, 0.95)}
    return {"mode": mode, "n": len(rows), "n_in_scope": len(inscope), "n_out_of_scope": len(oos),
            "headline": head, "by_kind": by_kind, "by_article": by_article, "followups": followups,
            "baselines": base, "informal": informal, "latency": lat, "llm_judge": summarize_judgements(rows),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "failures": _failures(rows), "rows": rows}


def _article_key(doc_id: str, article: int, many: bool) -> str:
    """"7", or "Điều 7 — 52/2014/QH13" when the set spans several documents (Điều 7 of each differs)."""
    return f"Điều {article} — {doc_id}" if many else str(article)


def _informal_metrics(rows: list[dict]) -> dict:
    """Informal questions beside their clean originals: refusals, Hit@1 and gold cited, both ways."""
    inscope = [r for r in rows if not r["abstain"]]
    oos = [r for r in rows if r["abstain"]]
    clean = [r["clean_metrics"] for r in inscope if "clean_metrics" in r]
    out = {"n": len(rows), "n_in_scope": len(inscope)}
    for k in ("hit@1", "gold_cited"):
        out[k] = _mean(inscope, k)
        out[f"{k}_clean"] = _mean(clean, k)
    out["false_refusal"] = round(statistics.mean(r["answered_abstained"] for r in inscope), 4) if inscope else None
    out["false_refusal_clean"] = (round(statistics.mean(r["clean_abstained"] for r in inscope if "clean_abstained" in r), 4)
                                  if any("clean_abstained" in r for r in inscope) else None)
    out["refusal_oos"] = round(statistics.mean(r["answered_abstained"] for r in oos), 4) if oos else None
    return out


def _group_metrics(rows: list[dict]) -> dict:
    inscope = [r for r in rows if not r["abstain"]]
    out = {"n": len(rows)}
    for k in ("hit@1", "mrr@10", "gold_cited", "mention"):
        out[k] = _mean(inscope, k)
    if any(r["abstain"] for r in rows):
        out["refusal_oos"] = round(statistics.mean(r["answered_abstained"] for r in rows if r["abstain"]), 4)
    return out


def _failures(rows: list[dict]) -> list[dict]:
    bad = []
    for r in rows:
        why = []
        if r["abstain"] and not r["answered_abstained"]:
            why.append("answered an out-of-scope question")
        if not r["abstain"]:
            if r["answered_abstained"]:
                why.append("refused an in-scope question")
            if r.get("hit@1", 1) < 1:
                why.append("gold not ranked first")
            if not r["answered_abstained"] and r.get("gold_cited", 1) < 1:
                why.append("no gold unit cited")
            if not r["answered_abstained"] and r.get("mention", 1) < 1:
                why.append("key phrase missing")
        if why:
            bad.append({"id": r["id"], "kind": r["kind"], "question": r["question"], "why": why,
                        "retrieved": r["retrieved"], "cited": r["cited"], "answer": r["answer"][:400]})
    return bad


def check_thresholds(metrics: dict, thresholds: dict[str, float]) -> list[str]:
    """Headline metrics below their committed thresholds (false_refusal is an upper bound)."""
    failed = []
    for key, bound in thresholds.items():
        value = metrics["headline"].get(key)
        if value is None:
            continue
        if (value > bound) if key == "false_refusal" else (value < bound):
            failed.append(f"{key} = {value} ({'>' if key == 'false_refusal' else '<'} {bound})")
    return failed


def quick_subset(items: list[Item]) -> list[Item]:
    """A fixed, stratified subset (every other item of each kind) for the CI gate."""
    by_kind: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        by_kind[it.kind].append(it)
    return [it for k in sorted(by_kind) for it in by_kind[k][::2]]

