"""Write an eval run to `eval/reports/<timestamp>-<set>-<mode>/`: report.md, metrics.json and PNG charts.

Files are written to a temporary folder and renamed into place, so a crash never leaves a
half-written report.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rag.atomic import staged_dir
from rag.evaluation.evaluate import HEADLINE
from rag.text import fold

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_TITLES = {"hit@1": "Hit@1", "hit@5": "Hit@5", "mrr@10": "MRR@10", "ndcg@10": "nDCG@10", "recall@10": "Recall@10",
           "citation_validity": "Trích dẫn hợp lệ", "gold_cited": "Trích đúng điều khoản", "mention": "Nêu đúng thực thể",
           "refusal_oos": "Từ chối ngoài phạm vi", "false_refusal": "Từ chối nhầm"}


def _fmt(v) -> str:
    """Every number the same way: a rate that is exactly 1 or 0 can arrive as an int (the mean of
    booleans that are all True), and must still read "1.000" beside "0.875"."""
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, (int, float)) else str(v))


def _legend_outside(ax: Axes, **kw) -> None:
    """Legend to the right of the plot: inside, it hid the tops of the bars it sits on (saved with
    bbox_inches="tight" so it is not cut off)."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, **kw)


def _by_kind_figure(by_kind: dict, kinds: list[str]) -> Figure:
    """Hit@1, gold cited and mention per question kind, as grouped bars."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    w = 0.27
    keys = [k for k in ("hit@1", "gold_cited", "mention") if any(by_kind[kind].get(k) is not None for kind in kinds)]
    for j, key in enumerate(keys):  # no bar for a figure the set does not measure (mention without key phrases)
        ax.bar([i + (j - 1) * w for i in range(len(kinds))], [by_kind[k][key] or 0 for k in kinds], w,
               label=_TITLES[key])
    ax.set_xticks(range(len(kinds)), kinds, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("loại câu hỏi")
    ax.set_ylabel("tỉ lệ (câu trong phạm vi)")
    ax.set_title("Theo loại câu hỏi")
    _legend_outside(ax)
    fig.tight_layout()
    return fig


def _baselines_figure(metrics: dict) -> Figure:
    """The product's retrieval metrics beside each baseline's, as grouped bars."""
    import matplotlib.pyplot as plt

    systems = {"sản phẩm": {k: metrics["headline"][k] for k in ("hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@10")}}
    systems.update({f"baseline: {k}": v for k, v in metrics["baselines"].items()})
    keys = list(next(iter(systems.values())))
    fig, ax = plt.subplots(figsize=(9, 4))
    w = 0.8 / len(systems)
    for j, (name, vals) in enumerate(systems.items()):
        ax.bar([i + j * w for i in range(len(keys))], [vals[k] or 0 for k in keys], w, label=name)
    ax.set_xticks([i + 0.4 - w / 2 for i in range(len(keys))], [_TITLES[k] for k in keys])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("giá trị (câu trong phạm vi)")
    ax.set_title("Sản phẩm so với các baseline (truy hồi)")
    _legend_outside(ax, fontsize=8)
    fig.tight_layout()
    return fig


def _latency_figure(rows: list[dict]) -> Figure:
    """One histogram per stage, side by side. On one shared axis each stage was binned over its own
    range: extractive answers take 0-4 ms against 30-70 ms retrieval, so their bars were a pixel
    wide and the y axis rose to a bar no one could see."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    stages = ("retrieve_ms", "answer_ms")
    fig, axes = plt.subplots(1, len(stages), figsize=(9, 3.5))
    for ax, key, colour in zip(axes, stages, ("C0", "C1")):
        ax.hist([r[key] for r in rows], bins=30, color=colour)
        ax.set_xlabel(f"{key} (ms)")
        ax.set_ylabel("số câu hỏi")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no "17.5" ticks
    fig.suptitle("Phân bố độ trễ")
    fig.tight_layout()
    return fig


def _charts(metrics: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = {}
    kinds = [k for k, v in metrics["by_kind"].items() if v.get("hit@1") is not None]
    if kinds:
        figures["by_kind.png"] = _by_kind_figure(metrics["by_kind"], kinds)
    if metrics["baselines"]:
        figures["baselines.png"] = _baselines_figure(metrics)
    figures["latency.png"] = _latency_figure(metrics["rows"])
    for name, fig in figures.items():
        fig.savefig(out / name, dpi=110, bbox_inches="tight")
        plt.close(fig)
    return list(figures)


def _markdown(metrics: dict, charts: list[str], command: str) -> str:
    h = metrics["headline"]
    lines = [f"# Báo cáo đánh giá — chế độ `{metrics['mode']}`", "",
             f"Lệnh: `{command}` · {metrics['n']} câu hỏi ({metrics['n_in_scope']} trong phạm vi, "
             f"{metrics['n_out_of_scope']} ngoài phạm vi) · RSS đỉnh {metrics['peak_rss_mb']} MB{_load_phrase(metrics)}", "",
             "## Chỉ số chính", "", _denominators(metrics), "", "| chỉ số | giá trị |", "|---|---|"]
    lines += [f"| {_TITLES.get(k, k)} (`{k}`) | {_fmt(h.get(k))} |" for k in HEADLINE]
    lines += [f"| Citation precision | {_fmt(h.get('citation_precision'))} |",
              f"| Citation recall | {_fmt(h.get('citation_recall'))} |",
              f"| Trích dẫn mỗi câu trả lời (trung vị) | {_fmt(h.get('citations_median'))} |",
              f"| Câu trả lời LLM nêu sai cơ quan (bộ kiểm tra độc lập) | {_fmt(h.get('wrong_body_answers'))} |", ""]
    if metrics["baselines"]:
        keys = ("hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@10")
        lines += ["## So với baseline (cùng lần chạy)", "", "| hệ thống | " + " | ".join(_TITLES[k] for k in keys) + " |",
                  "|---" * (len(keys) + 1) + "|", "| **sản phẩm** | " + " | ".join(f"**{_fmt(h[k])}**" for k in keys) + " |"]
        lines += [f"| {n} | " + " | ".join(_fmt(v[k]) for k in keys) + " |" for n, v in metrics["baselines"].items()]
        lines += ["", "naive = llama-index SentenceSplitter 1024/200 trên toàn văn bản + e5-small + FAISS; "
                  "bm25 / dense = từng tín hiệu riêng trên cùng các đơn vị, không hợp nhất, không ưu tiên cấu trúc.", ""]
    lines += ["## Theo loại câu hỏi", "", "| loại | n | Hit@1 | MRR@10 | trích đúng | thực thể | từ chối ngoài phạm vi |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {k} | {v['n']} | {_fmt(v['hit@1'])} | {_fmt(v['mrr@10'])} | {_fmt(v['gold_cited'])} | "
              f"{_fmt(v['mention'])} | {_fmt(v.get('refusal_oos'))} |" for k, v in metrics["by_kind"].items()]
    lines += ["", "## Theo điều (câu trong phạm vi, theo đơn vị vàng đầu tiên)", "", "| Điều | n | Hit@1 | trích đúng |",
              "|---|---|---|---|"]
    lines += [f"| {a} | {v['n']} | {_fmt(v['hit@1'])} | {_fmt(v['gold_cited'])} |" for a, v in metrics["by_article"].items()]
    f = metrics["followups"]
    if f.get("n"):
        lines += ["", "## Câu hỏi nối tiếp so với cùng câu hỏi độc lập", "", "| chỉ số | nối tiếp | độc lập |", "|---|---|---|"]
        lines += [f"| {_TITLES[k]} | {_fmt(f[k])} | {_fmt(f[k + '_standalone'])} |" for k in ("hit@1", "gold_cited", "mention")]
    lines += _informal_section(metrics)
    lines += _judge_section(metrics)
    lat = metrics["latency"]
    lines += ["", "## Độ trễ (ms)", "", "| giai đoạn | p50 | p95 |", "|---|---|---|"]
    lines += [f"| {k} | {v['p50']} | {v['p95']} |" for k, v in lat.items()]
    lines += ["", "## Biểu đồ", ""] + [f"![{c}]({c})" for c in charts]
    lines += ["", f"## Câu hỏi còn sai ({len(metrics['failures'])})", ""]
    for fl in metrics["failures"]:
        lines += [f"- **{fl['id']}** ({fl['kind']}) {fl['question']} — {'; '.join(fl['why'])}",
                  f"  - truy hồi: {', '.join(fl['retrieved'][:5])}", f"  - trích dẫn: {', '.join(fl['cited']) or '–'}",
                  f"  - trả lời: {' '.join(fl['answer'].split())[:300]}"]
    return "\n".join(lines) + "\n"


def _denominators(metrics: dict) -> str:
    """What each figure is a share of, so that no two are compared on different counts."""
    h, n_in = metrics["headline"], metrics["n_in_scope"]
    answered = n_in - round((h.get("false_refusal") or 0) * n_in)
    return (f"Hit@k, MRR, nDCG, Recall, trích đúng điều khoản, nêu đúng thực thể (một câu bị từ chối tính là không nêu), "
            f"citation recall và từ chối nhầm: trên {n_in} câu trong phạm vi. Trích dẫn hợp lệ, citation precision và "
            f"số trích dẫn: trên {answered} câu trong phạm vi được trả lời (trích dẫn hợp lệ: những câu có trích dẫn). "
            f"Từ chối ngoài phạm vi: trên {metrics['n_out_of_scope']} câu ngoài phạm vi. “–”: bộ câu hỏi không đo chỉ số đó "
            "(ví dụ không ghi thực thể cần nêu).")


def _load_phrase(metrics: dict) -> str:
    """The machine's load during the run, so latencies from a busy machine are read as such
    (empty for runs that did not record it)."""
    load = metrics.get("load") or {}
    if load.get("start") is None or load.get("end") is None:
        return ""
    return f" · tải máy (trung bình 1 phút) {load['start']:.2f} → {load['end']:.2f} trên {load['cpus']} CPU"


def _informal_section(metrics: dict) -> list[str]:
    """Informal questions beside the same questions written cleanly, per style and per split."""
    inf = metrics.get("informal") or {}
    if not inf:
        return []
    lines = ["", "## Câu hỏi viết kiểu thường ngày so với cùng câu viết chuẩn", "",
             "| nhóm | n | từ chối nhầm (thường ngày / chuẩn) | Hit@1 (thường ngày / chuẩn) | trích đúng (thường ngày / chuẩn) "
             "| từ chối ngoài phạm vi |", "|---|---|---|---|---|---|"]
    groups = [("tất cả", inf["all"])] + [(f"{g}: {k}", v) for g in ("split", "style") for k, v in inf[g].items()]
    for name, v in groups:
        lines.append(f"| {name} | {v['n']} | {_fmt(v['false_refusal'])} / {_fmt(v['false_refusal_clean'])} | "
                     f"{_fmt(v['hit@1'])} / {_fmt(v['hit@1_clean'])} | {_fmt(v['gold_cited'])} / {_fmt(v['gold_cited_clean'])} "
                     f"| {_fmt(v['refusal_oos'])} |")
    return lines + ["", "`tune`: the half the normalisation was adjusted on; `check`: the half never looked at while tuning."]


def _judge_section(metrics: dict) -> list[str]:
    j = metrics.get("llm_judge")
    if not j:
        return []
    return ["", "## Trung thực do LLM chấm (tham khảo, không phải chỉ số xác định, không dùng làm cổng CI)", "",
            f"{j['sentences']} câu trong {j['answers']} câu trả lời, mỗi câu được LLM đối chiếu với đoạn trích nó dẫn "
            "(`prompts/judge.txt`).", "", "| chỉ số | giá trị |", "|---|---|",
            f"| câu được đoạn trích ủng hộ | {_fmt(j['sentence_support'])} |",
            f"| câu trả lời mọi câu đều được ủng hộ | {_fmt(j['fully_supported_answers'])} |"]


def set_name(golden: Path) -> str:
    """The golden file's stem as a folder-name part ([a-z0-9-]), so reports of different sets
    can be told apart by name."""
    return re.sub(r"[^a-z0-9]+", "-", fold(golden.stem)).strip("-")


def write_report(metrics: dict, reports_dir: Path, command: str, golden: Path | None = None,
                 quick: bool = False) -> Path:
    """Write the report folder `<timestamp>-<set>[-quick]-<mode>` atomically; returns its path."""
    parts = [time.strftime("%Y%m%d-%H%M%S"), set_name(golden) if golden else "", "quick" if quick else "",
             metrics["mode"]]
    final = reports_dir / "-".join(p for p in parts if p)
    with staged_dir(final) as tmp:
        charts = _charts(metrics, tmp)
        (tmp / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
        (tmp / "report.md").write_text(_markdown(metrics, charts, command), encoding="utf-8")
    return final
