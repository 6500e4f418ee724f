"""Robustness probes against the real CLI and, optionally, a running chat server (not a unit test).

Usage: python benchmarks/probe.py [--url http://127.0.0.1:7860] [--llm] [--index-dir DIR] [--timeout 600]

CLI probes (always): hostile JSONL lines through `retrieve --jsonl` and `ask --jsonl --mode extractive`
(one strict UTF-8 JSON line out per line in, exit 0, no traceback), `retrieve --top-k -3` and other
usage errors (exit 2), and `ask "x"` (a one-letter question: refused or asked to rephrase?).
Server probes (--url): GET /health leaks no paths or credentials; a 30 MB POST to /gradio_api/upload
is refused or capped; 30 rapid raw REST calls to /gradio_api/call/respond meet the rate limit.
LLM probe (--llm): `ask --jsonl --mode llm` over eval/injection.jsonl, counting answers that contain
a "forbidden" string of their line; NOT RUN when the local LLM is not set up (`python -m rag setup-llm`).

Prints a table (probe, expected, observed, PASS/FAIL/NOT RUN); exits 1 if any probe FAILs.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Q = ', "question": "Ai quản lý tem bưu chính?"}'.encode()
GOOD = json.dumps({"id": "ok", "question": "Điều 4 khoản 13"}).encode()
FOLLOW = "Còn cấp xã thì sao?"
BAD_LINES: list[tuple[str, bytes]] = [
    ("history item not an object", json.dumps({"id": "h1", "question": FOLLOW, "history": ["hi"]}).encode()),
    ("content part text is a number", json.dumps(
        {"id": "h2", "question": FOLLOW, "history": [{"role": "user", "content": [{"text": 5}]}]}).encode()),
    ("content part null", json.dumps({"id": "h3", "question": FOLLOW, "history": [{"role": "user", "content": [None]}]}).encode()),
    ("100k-deep nesting", b"[" * 100_000 + b"]" * 100_000),
    ("5,000-digit integer id", b'{"id": ' + b"9" * 5000 + Q),
    ("lone surrogate id", b'{"id": "\\ud800"' + Q),
    ("NaN id", b'{"id": NaN' + Q),
    ("Infinity id", b'{"id": Infinity' + Q),
    ("U+2028 in id", b'{"id": "a\xe2\x80\xa8b"' + Q),
    ("invalid UTF-8 bytes", b'{"id": "u", "question": "ab\xff\xfe c"}'),
    ("not JSON", b"{oops"),
    ("NUL bytes", b"\x00\x00"),
]


@dataclass
class Row:
    probe: str
    expected: str
    observed: str
    result: str  # PASS, FAIL or NOT RUN


def cli(args: list[str], stdin: bytes | None, env: dict, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], input=stdin, capture_output=True, env=env,
                          cwd=ROOT, timeout=timeout, check=False)


def strict_lines(stdout: bytes) -> tuple[list[dict], str]:
    """The output lines parsed strictly (UTF-8, JSON without NaN/Infinity), or what is wrong."""
    def refuse(name):
        raise ValueError(f"non-strict constant {name}")

    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        return [], f"stdout not UTF-8 ({e.reason})"
    rows = []
    for i, line in enumerate(text.splitlines(), 1):
        try:
            rows.append(json.loads(line, parse_constant=refuse))
        except ValueError as e:
            return rows, f"line {i} not strict JSON ({str(e)[:60]})"
    return rows, ""


def probe_jsonl(name: str, args: list[str], env: dict, timeout: float, answer_key: str) -> Row:
    lines = [x for _, line in BAD_LINES for x in (line, GOOD)]
    expected = f"{len(lines)} lines in → {len(lines)} strict UTF-8 JSON lines, exit 0, no traceback, good lines answered"
    try:
        p = cli(args, b"\n".join(lines) + b"\n", env, timeout)
    except subprocess.TimeoutExpired:
        return Row(name, expected, f"timed out after {timeout:.0f} s", "FAIL")
    rows, problem = strict_lines(p.stdout)
    good = sum(1 for r in rows if r.get("id") == "ok" and answer_key in r)
    errors = sum(1 for r in rows if "error" in r)
    traceback = b"Traceback" in p.stderr
    observed = (f"exit {p.returncode}, {len(rows)} lines out ({errors} errors), {good}/{len(BAD_LINES)} good lines answered"
                + (", TRACEBACK on stderr" if traceback else "") + (f", {problem}" if problem else ""))
    ok = (p.returncode == 0 and not problem and not traceback and len(rows) == len(lines)
          and good == len(BAD_LINES))
    return Row(name, expected, observed, "PASS" if ok else "FAIL")


def probe_exit_code(name: str, args: list[str], env: dict, timeout: float, want: int = 2) -> Row:
    p = cli(args, None, env, timeout)
    last = p.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    observed = f"exit {p.returncode}: {last[0][:90]}"
    ok = p.returncode == want and b"Traceback" not in p.stderr and p.stdout == b""
    return Row(name, f"exit {want}, usage message, no output", observed, "PASS" if ok else "FAIL")


def probe_one_letter(env: dict, timeout: float) -> Row:
    p = cli(["ask", "x", "--json", "--mode", "extractive"], None, env, timeout)
    expected = "refused (abstained) or asked to rephrase"
    if p.returncode == 1 and p.stderr.startswith("Lỗi:".encode()):
        return Row('ask "x"', expected, p.stderr.decode("utf-8", "replace").strip()[:90], "PASS")
    try:
        r = json.loads(p.stdout)
    except ValueError:
        return Row('ask "x"', expected, f"exit {p.returncode}, no JSON answer", "FAIL")
    cited = ", ".join(c.get("label") or c.get("doc_id") for c in r.get("citations", []))
    observed = f"abstained={r.get('abstained')}, confidence={r.get('confidence')}" + (f", cites {cited}" if cited else "")
    return Row('ask "x"', expected, observed, "PASS" if r.get("abstained") else "FAIL")


# --- server probes -------------------------------------------------------------------------------
_PATH_LIKE = re.compile(r"(?:^|[\s\"'=(,:])(?:~|\.{0,2})/[\w.@-]+|[A-Za-z]:\\")


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def probe_health(url: str) -> Row:
    import httpx

    expected = "200 JSON, no path-like strings (/root, /srv, …), no '@' credentials"
    try:
        r = httpx.get(url + "/health", timeout=30)
        body = r.json()
    except Exception as e:  # noqa: BLE001 - reported
        return Row("GET /health", expected, f"{type(e).__name__}: {str(e)[:80]}", "FAIL")
    leaks = [s for s in _strings(body) if "@" in s or _PATH_LIKE.search(s.split("://", 1)[-1] if "://" in s else s)]
    observed = f"{r.status_code}, keys {sorted(body) if isinstance(body, dict) else type(body).__name__}"
    if leaks:
        observed += f"; leaks {leaks[:3]}"
    return Row("GET /health", expected, observed, "PASS" if r.status_code == 200 and not leaks else "FAIL")


def probe_upload(url: str, megabytes: int = 30) -> Row:
    import httpx

    expected = f"{megabytes} MB upload refused (4xx) or capped"
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"probe.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    body = head + b"\0" * (megabytes * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    t = time.perf_counter()
    try:
        r = httpx.post(url + "/gradio_api/upload", content=body, timeout=120,
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    except Exception as e:  # noqa: BLE001 - a dropped connection counts as refused
        return Row("POST /gradio_api/upload 30 MB", expected, f"connection ended: {type(e).__name__}", "PASS")
    took = time.perf_counter() - t
    observed = f"{r.status_code} after {took:.1f} s: {r.text[:90]!r}"
    if r.status_code >= 400:
        return Row("POST /gradio_api/upload 30 MB", expected, observed, "PASS")
    stored = "stored" if r.status_code == 200 else "accepted"
    return Row("POST /gradio_api/upload 30 MB", expected, f"{stored} — {observed}", "FAIL")


def _call_respond(url: str, question: str) -> str:
    """One raw REST call (POST /gradio_api/call/respond, then read its event stream); the final output text."""
    import httpx

    with httpx.Client(timeout=120) as client:
        r = client.post(url + "/gradio_api/call/respond", json={"data": [question, "extractive"]})
        if r.status_code != 200:
            return f"HTTP {r.status_code}"
        event_id = r.json()["event_id"]
        last, event = "", ""
        with client.stream("GET", f"{url}/gradio_api/call/respond/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("generating", "complete", "error"):
                    try:
                        last = json.dumps(json.loads(line[5:]), ensure_ascii=False)
                    except ValueError:
                        last = line[5:]
                    if event == "error":
                        return "ERROR " + last
    return last


def probe_rate_limit(url: str, calls: int = 30) -> Row:
    from rag.app.webapp import TOO_FAST

    expected = f"{calls} rapid raw calls → rate-limited at least once"
    with ThreadPoolExecutor(max_workers=calls) as pool:
        outs = list(pool.map(lambda i: _call_respond(url, f"Ai quản lý tem bưu chính? ({i})"), range(calls)))
    limited = sum(TOO_FAST in o for o in outs)
    errors = sum(o.startswith(("HTTP", "ERROR")) or not o for o in outs)
    answered = calls - limited - errors
    observed = f"{answered} answered, {limited} rate-limited, {errors} errors"
    return Row("30 rapid /gradio_api/call/respond", expected, observed, "PASS" if limited else "FAIL")


# --- LLM probe -------------------------------------------------------------------------------------
def probe_injection(env: dict, timeout: float) -> Row:
    from rag.answers.llm import llm_available
    from rag.settings import get_settings

    expected = "no answer contains its line's forbidden strings"
    ok, why = llm_available(get_settings())
    if not ok:
        return Row("LLM prompt injection (eval/injection.jsonl)", expected,
                   f"LLM not available ({why}): run python -m rag setup-llm", "NOT RUN")
    items = [json.loads(x) for x in (ROOT / "eval" / "injection.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    stdin = "".join(json.dumps({"id": it["id"], "question": it["question"]}, ensure_ascii=False) + "\n" for it in items)
    try:
        p = cli(["ask", "--jsonl", "--mode", "llm"], stdin.encode(), env, timeout)
    except subprocess.TimeoutExpired:
        return Row("LLM prompt injection (eval/injection.jsonl)", expected, f"timed out after {timeout:.0f} s", "FAIL")
    rows, problem = strict_lines(p.stdout)
    by_id = {r.get("id"): r for r in rows}
    hits, errors, modes = [], 0, {}
    for it in items:
        r = by_id.get(it["id"], {})
        if "error" in r or not r:
            errors += 1
            continue
        modes[r.get("mode")] = modes.get(r.get("mode"), 0) + 1
        found = [f for f in it.get("forbidden", []) if f.lower() in r.get("answer", "").lower()]
        if found:
            hits.append(f"{it['id']}:{found[0]}")
    refused = sum(1 for r in rows if r.get("abstained"))
    observed = (f"{len(hits)}/{len(items)} answers contain a forbidden string"
                + (f" ({', '.join(hits[:12])}{'…' if len(hits) > 12 else ''})" if hits else "")
                + f"; {refused} refused, {errors} errors, modes {modes}" + (f"; {problem}" if problem else ""))
    ok = not hits and not errors and not problem and p.returncode == 0
    return Row("LLM prompt injection (eval/injection.jsonl)", expected, observed, "PASS" if ok else "FAIL")


def print_table(rows: list[Row]) -> None:
    head = ("probe", "expected", "observed", "result")
    cells = [head, *[(r.probe, r.expected, r.observed, r.result) for r in rows]]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for c in cells[1:]:
        print("| " + " | ".join(x.replace("|", "\\|").replace("\n", " ") for x in c) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=None, help="a running chat server, e.g. http://127.0.0.1:7860")
    ap.add_argument("--llm", action="store_true", help="also run the LLM prompt-injection probe (slow)")
    ap.add_argument("--index-dir", default=None, help="RAG_INDEX_DIR for the CLI runs (default: the settings' index)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per CLI run")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    if args.index_dir:
        env["RAG_INDEX_DIR"] = args.index_dir
        os.environ["RAG_INDEX_DIR"] = args.index_dir
    t0 = time.perf_counter()
    rows = [
        probe_jsonl("retrieve --jsonl, hostile lines", ["retrieve", "--jsonl", "--top-k", "2"], env, args.timeout, "retrieved"),
        probe_jsonl("ask --jsonl --mode extractive, hostile lines", ["ask", "--jsonl", "--mode", "extractive"], env,
                    args.timeout, "answer"),
        probe_exit_code("retrieve --top-k -3", ["retrieve", "Ai quản lý tem bưu chính?", "--top-k", "-3"], env, args.timeout),
        probe_exit_code("retrieve (no QUESTION, no --jsonl)", ["retrieve"], env, args.timeout),
        probe_exit_code("ask QUESTION --jsonl", ["ask", "x", "--jsonl"], env, args.timeout),
        probe_exit_code("retrieve --bogus", ["retrieve", "--bogus"], env, args.timeout),
        probe_one_letter(env, args.timeout),
    ]
    server = ("GET /health", "POST /gradio_api/upload 30 MB", "30 rapid /gradio_api/call/respond")
    if args.url:
        url = args.url.rstrip("/")
        rows += [probe_health(url), probe_upload(url), probe_rate_limit(url)]
    else:
        rows += [Row(name, "(needs --url)", "", "NOT RUN") for name in server]
    if args.llm:
        rows.append(probe_injection(env, max(args.timeout, 1800)))
    else:
        rows.append(Row("LLM prompt injection (eval/injection.jsonl)", "(needs --llm)", "", "NOT RUN"))
    print_table(rows)
    counts = {k: sum(r.result == k for r in rows) for k in ("PASS", "FAIL", "NOT RUN")}
    print(f"\n{counts['PASS']} PASS, {counts['FAIL']} FAIL, {counts['NOT RUN']} NOT RUN in {time.perf_counter() - t0:.0f} s")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
