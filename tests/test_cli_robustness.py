"""JSONL batches survive hostile input: one strict UTF-8 JSON line out per line in, never a traceback.

Each case feeds raw bytes to the real CLI (`retrieve --jsonl`, `ask --jsonl`) through a stdin with a
binary buffer, as a shell pipe gives, followed by a good line that must still be answered.
"""
import io
import json

import pytest

from rag.app.cli import json_line, main, safe_id

pytestmark = pytest.mark.model

Q = ', "question": "Ai quản lý tem bưu chính?"}'.encode()
GOOD = json.dumps({"id": "ok", "question": "Điều 4 khoản 13"}).encode()


def strict(line: str) -> dict:
    """json.loads that refuses NaN / Infinity (what a strict JSON reader does)."""
    def refuse(name):
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(line, parse_constant=refuse)


def run_jsonl(capsys, monkeypatch, argv: list[str], lines: list[bytes]) -> tuple[int, list[dict], str]:
    raw = b"\n".join(lines) + b"\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="surrogateescape"))
    code = main(argv)
    out, err = capsys.readouterr()
    out.encode("utf-8")  # strict: no lone surrogates
    assert out.endswith("\n") and out.count("\n") == len(lines) == len(out.splitlines())
    assert "Traceback" not in err
    return code, [strict(x) for x in out.splitlines()], err


BAD = [  # (input line, expected id, expected substring of "error" or None when the line is answered)
    (b"[" * 100_000 + b"]" * 100_000, None, "lồng nhau quá sâu"),
    (b'{"id": 1, "question": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", None, "lồng nhau quá sâu"),
    (b'{"id": ' + b"9" * 5000 + Q, "9" * 50 + "…", None),
    (b'{"id": -' + b"1" * 60 + Q, "-" + "1" * 49 + "…", None),
    (b'{"id": "\\ud800"' + Q, "?", None),
    (b'{"id": "a\\udfffb\\ud83d"' + Q, "a?b?", None),
    (b'{"id": NaN' + Q, "nan", None),
    (b'{"id": Infinity' + Q, "inf", None),
    (b'{"id": -Infinity, "question": 5}', "-inf", "văn bản"),
    (b'{"id": 1e999' + Q, "inf", None),
    (b'{"id": [1, NaN]' + Q, "[1, nan]", None),
    (b'{"id": "x\xe2\x80\xa8y\xc2\x85z"' + Q, "x\u2028y\x85z", None),
    (b'{"id": 5, "question": "ab\xff\xfe c"}', None, "UTF-8"),
    (b'\xc3\x28', None, "UTF-8"),
    (b'{"id": 6, "question": "\\u0000\\ud800"}', 6, "trống"),
    (b"\x00\x00", None, "JSON"),
]


def test_retrieve_jsonl_one_strict_line_per_input_line(capsys, monkeypatch, built_index):
    """All cases in one batch (loading the index costs seconds), each followed by a good line."""
    lines = [x for line, _, _ in BAD for x in (line, GOOD)]
    code, rows, _ = run_jsonl(capsys, monkeypatch, ["retrieve", "--jsonl", "--top-k", "2"], lines)
    assert code == 0
    for i, (_, rid, error) in enumerate(BAD):
        first, second = rows[2 * i], rows[2 * i + 1]
        assert first["id"] == rid, f"case {i}: {first}"
        if error is None:
            assert "error" not in first and len(first["retrieved"]) == 2, f"case {i}: {first}"
        else:
            assert error in first["error"] and "retrieved" not in first, f"case {i}: {first}"
        assert second["id"] == "ok" and second["retrieved"][0]["label"] == "Điều 4, khoản 13", f"case {i}"


def test_a_byte_order_mark_on_the_first_line_is_ignored(capsys, monkeypatch, built_index):
    code, rows, _ = run_jsonl(capsys, monkeypatch, ["retrieve", "--jsonl", "--top-k", "1"], [b"\xef\xbb\xbf" + GOOD, GOOD])
    assert code == 0 and [r["id"] for r in rows] == ["ok", "ok"] and all("retrieved" in r for r in rows)


def test_ask_jsonl_odd_history_and_a_failing_backend_do_not_stop_the_batch(capsys, monkeypatch, built_index):
    from rag.answers.assistant import Assistant

    real_ask = Assistant.ask

    def flaky_ask(self, question, history=(), mode=None):
        if question == "BOOM Ai quản lý tem bưu chính?":
            raise RuntimeError("backend down: /secret/path")
        return real_ask(self, question, history, mode)

    monkeypatch.setattr(Assistant, "ask", flaky_ask)
    follow = "Còn cấp xã thì sao?"
    previous = "Sở có nhiệm vụ gì về bưu chính?"
    lines = [json.dumps(x, ensure_ascii=False).encode() for x in [
        {"id": 1, "question": follow, "history": ["hi"]},
        {"id": 2, "question": follow, "history": [{"role": "user", "content": [{"text": 5}]}]},
        {"id": 3, "question": follow, "history": [{"role": "user", "content": [None]}]},
        {"id": 4, "question": follow, "history": [{"role": "user", "content": [{"type": "text", "text": previous}]}]},
        {"id": 5, "question": "BOOM Ai quản lý tem bưu chính?"},
        {"id": 6, "question": follow, "history": [{"role": "user", "content": previous}]},
    ]]
    code, rows, err = run_jsonl(capsys, monkeypatch, ["ask", "--jsonl", "--mode", "extractive"], lines)
    assert code == 0 and [r["id"] for r in rows] == [1, 2, 3, 4, 5, 6]
    for r in rows[:3]:  # history it cannot read is an error on its own line, not a guess
        assert set(r) == {"id", "error"} and "history" in r["error"]
    for r in (rows[3], rows[5]):
        assert "error" not in r and r["answer"] and isinstance(r["citations"], list)
    assert rows[4] == {"id": 5, "error": rows[4]["error"]} and "Lỗi nội bộ" in rows[4]["error"]
    assert "secret" not in rows[4]["error"] and "RuntimeError" not in err
    assert rows[3]["standalone"] == rows[5]["standalone"] != follow  # content parts read as the chat app does


@pytest.mark.parametrize("argv", [
    ["retrieve", "Ai quản lý tem bưu chính?", "--top-k", "-3"],
    ["retrieve", "Ai quản lý tem bưu chính?", "--top-k", "0"],
    ["retrieve", "Ai quản lý tem bưu chính?", "--top-k", "many"],
    ["retrieve", "Ai quản lý tem bưu chính?", "--top-k", "9" * 5000],
    ["retrieve", "Ai quản lý tem bưu chính?", "--jsonl"],
    ["retrieve"],
    ["ask", "Ai quản lý tem bưu chính?", "--jsonl"],
    ["ask"],
    ["retrieve", "--bogus", "x"],
    ["ask", "--mode", "bogus", "x"],
])
def test_usage_errors_exit_2_with_a_message(capsys, argv):
    with pytest.raises(SystemExit) as e:
        main(argv)
    _, err = capsys.readouterr()
    assert e.value.code == 2 and "lỗi:" in err and "--help" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not any(w in err for w in ("usage:", "error:", "invalid", "required"))


def test_top_k_1_is_accepted(capsys, built_index):
    assert main(["retrieve", "Đơn vị nào phụ trách mã số mã vạch?", "--top-k", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(" 1. ") and out[2].startswith("Độ tin cậy:")


@pytest.mark.parametrize("value, expected", [
    (None, None), (True, True), (0, 0), (-7, -7), (1.5, 1.5), ("x", "x"), ("\ud800", "?"),
    (10 ** 60, "1" + "0" * 49 + "…"), (float("nan"), "nan"), (float("-inf"), "-inf"),
    ({"a": [1, 2]}, {"a": [1, 2]}), ([float("nan")], "[nan]"), (list(range(400)), str(list(range(400)))[:1000] + "…"),
])
def test_safe_id(value, expected):
    assert safe_id(value) == expected


def test_json_line_falls_back_to_an_error_when_the_record_is_not_strict():
    for record in ({"id": 1, "retrieved": [{"score": float("nan")}]}, {"id": 1, "answer": "a\udc80"},
                   {"id": 1, "x": object()}):
        line = json_line(record)
        assert strict(line) == {"id": 1, "error": strict(line)["error"]} and line.encode("utf-8")
    assert json_line({"id": "a\u2028b", "answer": "c\u2029d"}).splitlines() == [
        '{"id": "a\\u2028b", "answer": "c\\u2029d"}']


def test_no_question_is_told_what_to_give(capsys):
    with pytest.raises(SystemExit):
        main(["ask"])
    err = capsys.readouterr().err
    assert "cần một câu hỏi, hoặc --jsonl" in err and "không dùng cả hai" not in err


def test_a_reader_that_stops_early_gets_no_traceback(built_index):
    """`python -m rag retrieve --jsonl < big.jsonl | head -1`: the closed pipe ends the batch quietly."""
    import subprocess
    import sys

    lines = "".join(json.dumps({"id": i, "question": "mã số mã vạch"}) + "\n" for i in range(300)).encode()
    proc = subprocess.Popen([sys.executable, "-m", "rag", "retrieve", "--jsonl"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(lines)
    proc.stdin.close()
    assert json.loads(proc.stdout.readline())["id"] == 0
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(120) == 1 and "Traceback" not in err and "BrokenPipe" not in err
