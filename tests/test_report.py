"""The eval report: folder name, header, number formatting and charts, from made-up rows (no index)."""
import os
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rag.evaluation import report  # noqa: E402
from rag.evaluation.evaluate import run_eval, summarize  # noqa: E402

GOOD = {"hit@1": 1.0, "hit@5": 1.0, "mrr@10": 1.0, "ndcg@10": 1.0, "recall@10": 1.0, "citation_validity": 1.0,
        "citation_precision": 1.0, "citation_recall": 1.0, "gold_cited": 1.0, "mention": 1.0, "n_citations": 2.0}


def _row(i: int, kind: str, abstain: bool, retrieve_ms: float, answer_ms: float) -> dict:
    row = {"id": f"q{i}", "kind": kind, "abstain": abstain, "question": "Câu hỏi?", "style": None, "split": None,
           "answered_abstained": abstain, "retrieve_ms": retrieve_ms, "answer_ms": answer_ms, "first_token_ms": None,
           "article": None if abstain else 7, "doc_id": None if abstain else "tt", "retrieved": ["Điều 7"],
           "answer": "Trả lời [1].", "cited": ["Điều 7"], "standalone": None}
    return row if abstain else {**row, **GOOD, "hit@1": float(i % 4 != 0)}


@pytest.fixture
def metrics() -> dict:
    """As the golden set's extractive runs: answers take 0-4 ms, retrieval 30-70 ms; every
    out-of-scope question refused (a mean of booleans that are all True: the int 1)."""
    rows = [_row(i, ("who", "structural", "lookup")[i % 3], False, 30 + (i * 7) % 40, (i % 5) * 0.01 + (i % 40 == 0) * 4)
            for i in range(120)]
    rows += [_row(200 + i, "out_of_scope", True, 35.0, 0.02) for i in range(12)]
    return {**summarize(rows, "extractive", baselines=False), "load": {"start": 0.5, "end": 1.25, "cpus": 2}}


def test_folder_name_carries_the_golden_set(metrics, tmp_path):
    path = report.write_report(metrics, tmp_path, "python -m rag eval", Path("eval/laws-dev-tune.jsonl"))
    assert re.fullmatch(r"\d{8}-\d{6}-laws-dev-tune-extractive", path.name)
    assert (path / "report.md").is_file()
    assert report.set_name(Path("x/Câu_hỏi Đời.v2.jsonl")) == "cau-hoi-doi-v2"


def test_cmd_eval_names_the_report_after_its_golden_file(metrics, tmp_path, monkeypatch, capsys):
    from rag.app import cli
    from rag.evaluation import evaluate

    golden = tmp_path / "holdout.jsonl"
    golden.write_text('{"id": "a", "question": "Hỏi?", "gold": [], "kind": "who", "abstain": false, "mention": []}\n',
                      encoding="utf-8")
    monkeypatch.setattr(cli, "_assistant", _fake_assistant)
    monkeypatch.setattr(evaluate, "run_eval", lambda *a, **kw: metrics)
    monkeypatch.setenv("RAG_DATA_DIR", "../shared/laws")
    cli.main(["eval", "--golden", str(golden), "--reports-dir", str(tmp_path / "reports")])
    out = capsys.readouterr().out
    assert re.search(r"reports/\d{8}-\d{6}-holdout-extractive/report\.md", out)
    cli.main(["eval", "--quick", "--golden", str(golden), "--reports-dir", str(tmp_path / "reports")])
    report_md = Path(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("Báo cáo: "))
    assert re.fullmatch(r"\d{8}-\d{6}-holdout-quick-extractive", report_md.parent.name)  # not a full run's name
    assert "Lệnh: `RAG_DATA_DIR=../shared/laws " in report_md.read_text(encoding="utf-8")  # run again as it ran


def test_key_phrases_are_matched_with_their_accents_and_a_refusal_names_nothing():
    from rag.answers.assistant import Answer
    from rag.evaluation.evaluate import Item, answer_metrics, mentions

    assert mentions("Sở Khoa học và Công nghệ chủ trì.", ["Sở"])
    assert not mentions("về chuyển đổi số và cơ sở dữ liệu", ["Sở"])  # "số", and "sở" of "cơ sở"
    assert mentions("Ủy ban nhân dân cấp xã quyết định.", ["ủy ban nhân dân cấp xã"])  # sentence case
    item = Item("q", "Ai quản lý?", "who", False, [], [["Sở"]])
    refusal = Answer("q", "q", "Xin lỗi, … về chuyển đổi số …", [], True, "extractive")
    metrics = answer_metrics(refusal, item, [], {})
    assert metrics["mention"] == 0.0 and "citation_validity" not in metrics  # no citation to validate
    assert "mention" not in answer_metrics(refusal, Item("q", "?", "who", False, [], []), [], {})


def test_the_same_article_number_of_two_documents_is_two_rows():
    rows = [{**_row(i, "lookup", False, 30.0, 1.0), "doc_id": doc} for i, doc in enumerate(("52/2014/QH13", "91/2015/QH13"))]
    rows.append({**_row(9, "lookup", False, 30.0, 1.0), "doc_id": "tin-bai", "article": None})
    by_article = summarize(rows, "extractive", baselines=False)["by_article"]
    assert set(by_article) == {"Điều 7 — 52/2014/QH13", "Điều 7 — 91/2015/QH13", "tin bài"}


def _fake_assistant():
    return SimpleNamespace(retriever=SimpleNamespace(index=SimpleNamespace(units={})))


def test_the_judge_progress_bar_shows_only_when_judging(capsys):
    run_eval(_fake_assistant(), [], baselines=False, progress=True)
    assert "Chấm bằng LLM" not in capsys.readouterr().err
    run_eval(_fake_assistant(), [], baselines=False, progress=True, judge=object())
    assert "Chấm bằng LLM" in capsys.readouterr().err


def test_run_eval_records_the_machine_load():
    load = run_eval(_fake_assistant(), [], baselines=False, progress=False)["load"]
    assert load["cpus"] == os.cpu_count() and isinstance(load["start"], float) and isinstance(load["end"], float)


def test_header_shows_the_machine_load(metrics):
    header = report._markdown(metrics, [], "python -m rag eval").splitlines()[2]
    assert header.endswith("· tải máy (trung bình 1 phút) 0.50 → 1.25 trên 2 CPU")
    del metrics["load"]  # reports written before the load was recorded
    assert "tải máy" not in report._markdown(metrics, [], "python -m rag eval")


def test_every_rate_in_the_by_kind_table_has_three_decimals(metrics):
    assert metrics["by_kind"]["out_of_scope"]["refusal_oos"] == 1 and report._fmt(1) == "1.000"
    md = report._markdown(metrics, [], "python -m rag eval")
    assert "| out_of_scope | 12 | – | – | – | – | 1.000 |" in md


def _bars_and_legend(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    return ax, [p.get_window_extent(renderer) for p in ax.patches], ax.get_legend().get_window_extent(renderer)


@pytest.mark.parametrize("build", [
    lambda m: report._by_kind_figure(m["by_kind"], ["lookup", "structural", "who"]),
    lambda m: report._baselines_figure({**m, "baselines": {"bm25": m["headline"], "dense": m["headline"]}}),
])
def test_bar_charts_have_a_y_label_and_a_legend_clear_of_the_bars(metrics, build):
    fig = build(metrics)
    try:
        ax, bars, legend = _bars_and_legend(fig)
        assert ax.get_ylabel()
        assert legend.x0 >= ax.get_window_extent().x1  # beside the plot, not on it
        assert not any(legend.overlaps(b) for b in bars)
    finally:
        plt.close(fig)


def test_latency_histograms_are_labelled_and_scaled_to_bars_that_can_be_seen(metrics):
    fig = report._latency_figure(metrics["rows"])
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            assert ax.get_ylabel() == "số câu hỏi" and ax.get_xlabel()
            tallest = max(ax.patches, key=lambda p: p.get_height())
            assert tallest.get_window_extent(renderer).width >= 3  # not a one-pixel sliver
            assert ax.get_ylim()[1] <= tallest.get_height() * 1.1
    finally:
        plt.close(fig)


def test_charts_are_written(metrics, tmp_path):
    assert report._charts(metrics, tmp_path) == ["by_kind.png", "latency.png"]
    assert all((tmp_path / name).stat().st_size > 0 for name in ("by_kind.png", "latency.png"))


def test_citations_of_units_sharing_a_label_are_each_checked_against_their_own_text():
    """A preamble has several "Căn cứ ban hành" lines: each cited one is valid when retrieved and quoted verbatim."""
    from rag.answers.assistant import Answer, Citation
    from rag.documents.parse import Unit
    from rag.evaluation.evaluate import Item, answer_metrics, label_index
    from rag.search.retriever import ScoredUnit

    bases = [Unit(f"tt#preamble-{i}", "tt", "preamble", "Căn cứ ban hành", "tt", f"Căn cứ Nghị định số {i};", 0, 1)
             for i in (1, 2)]

    def cite(n: int, quote: str) -> Citation:
        return Citation(n, "tt", None, None, None, "Căn cứ ban hành", quote, "tt")

    item = Item("q", "Căn cứ ban hành là gì?", "lookup", False, [], [])
    for quotes, validity in ((["Căn cứ Nghị định số 1;", "Căn cứ Nghị định số 2;"], 1.0),
                             (["Căn cứ Nghị định số 1;", "Căn cứ Nghị định số 3;"], 0.5)):
        ans = Answer("q", "q", "…", [cite(n, q) for n, q in enumerate(quotes, 1)], False, "extractive",
                     retrieved=[ScoredUnit(u, 1.0) for u in bases])
        assert answer_metrics(ans, item, [], label_index({u.uid: u for u in bases}))["citation_validity"] == validity
