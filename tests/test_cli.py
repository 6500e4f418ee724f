"""The CLI contract: run the real commands in-process and check exit code and exact output."""
import json
import re

import pytest

from rag.app.cli import main
from rag.settings import get_settings

pytestmark = pytest.mark.model


def run(capsys, argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_retrieve_prints_a_ranked_list(capsys, built_index):
    code, out, _ = run(capsys, ["retrieve", "Đơn vị nào phụ trách mã số mã vạch?", "--top-k", "3"])
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(" 1. Điều 7") and lines[4].startswith(" 3. ")
    assert lines[-1].startswith("Độ tin cậy:")


@pytest.mark.parametrize("value", ["-5", "0", "ba"])
def test_a_top_k_below_one_is_refused_in_vietnamese(capsys, value):
    with pytest.raises(SystemExit) as exit_:
        main(["retrieve", "mã số", "--top-k", value])
    assert exit_.value.code == 2 and "cần một số nguyên ≥ 1" in capsys.readouterr().err


BAD_LINES = [
    ("not json", None, "không phải JSON"),
    ('{"id": 7}', 7, "Thiếu trường"),
    ('{"id": "x", "question": "   "}', "x", "trống"),
    ('{"id": 9, "question": "' + "a" * 2500 + '"}', 9, "quá dài"),
    ('[1, 2]', None, "đối tượng JSON"),
    ('{"id": 3, "question": 12}', 3, "văn bản"),
]


@pytest.mark.parametrize("line, rid, error", BAD_LINES)
def test_retrieve_jsonl_reports_bad_lines_and_goes_on(capsys, monkeypatch, built_index, line, rid, error):
    stdin = line + "\n" + json.dumps({"id": "ok", "question": "Điều 4 khoản 13"}) + "\n"
    code, out, _ = run(capsys, ["retrieve", "--jsonl", "--top-k", "2"], stdin, monkeypatch)
    first, second = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and first["id"] == rid and error in first["error"] and "retrieved" not in first
    assert second["id"] == "ok" and second["retrieved"][0]["label"] == "Điều 4, khoản 13"


def test_retrieve_jsonl_output_schema(capsys, monkeypatch, built_index):
    stdin = "\n".join(json.dumps({"id": i, "question": q}) for i, q in
                      enumerate(["Ai quản lý tem bưu chính?", "Sơn La có mấy phòng chuyên môn?"])) + "\n"
    code, out, _ = run(capsys, ["retrieve", "--jsonl"], stdin, monkeypatch)
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [r["id"] for r in rows] == [0, 1]
    for r in rows:
        assert len(r["retrieved"]) == 10
        for item in r["retrieved"]:
            assert set(item) == {"doc_id", "annex", "article", "clause", "point", "label", "score", "text"}
    news = rows[1]["retrieved"][0]
    assert news["doc_id"] == "son-la-trung-tam-ho-tro-dmst-cds" and news["article"] is None


def test_retrieve_needs_a_question_or_jsonl(capsys, built_index):
    with pytest.raises(SystemExit, match="cần một câu hỏi, hoặc --jsonl"):
        main(["retrieve"])


def test_bad_question_is_an_error_message_not_a_traceback(capsys, built_index):
    code, out, err = run(capsys, ["retrieve", "   "])
    assert code == 1 and out == "" and err.startswith("Lỗi: Câu hỏi đang trống")


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0 and "retrieve" in capsys.readouterr().out


def test_ask_prints_the_answer_and_its_sources(capsys, built_index):
    code, out, _ = run(capsys, ["ask", "Đơn vị nào phụ trách mã số mã vạch?", "--mode", "extractive"])
    answer, sources = out.split("\nNguồn:\n")
    assert code == 0 and "Trung tâm TĐC" in answer and "[1]" in answer
    assert sources.startswith("[1] Điều 7")


def test_ask_json_refuses_out_of_scope_without_sources(capsys, built_index):
    code, out, _ = run(capsys, ["ask", "Thủ tục đăng ký kết hôn?", "--json", "--mode", "extractive"])
    record = json.loads(out)
    assert code == 0 and record["abstained"] and record["citations"] == [] and "Xin lỗi" in record["answer"]


def test_ask_jsonl_schema_follow_ups_and_bad_lines(capsys, monkeypatch, built_index):
    history = [{"role": "user", "content": "Sở có nhiệm vụ gì về bưu chính?"}, {"role": "assistant", "content": "…"}]
    stdin = "\n".join([json.dumps({"id": 1, "question": "Còn cấp xã thì sao?", "history": history}, ensure_ascii=False),
                       json.dumps({"id": 2, "question": "Ai?", "history": "không phải danh sách"}, ensure_ascii=False),
                       "{oops"]) + "\n"
    code, out, _ = run(capsys, ["ask", "--jsonl", "--mode", "extractive"], stdin, monkeypatch)
    first, second, third = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {"id", "answer", "abstained", "mode", "citations", "retrieved", "latency_ms"} <= set(first)
    assert first["id"] == 1 and first["citations"][0]["article"] == 4 and not first["abstained"]
    assert set(first["citations"][0]) >= {"doc_id", "article", "clause", "point", "label", "quote"}
    assert second == {"id": 2, "error": second["error"]} and "history" in second["error"]
    assert third["id"] is None and "JSON" in third["error"]


def test_llm_mode_without_a_model_is_a_one_line_error(capsys, monkeypatch, built_index, tmp_path):
    monkeypatch.setenv("RAG_LLM_MODEL_PATH", str(tmp_path / "absent.gguf"))
    code, out, err = run(capsys, ["ask", "Đơn vị nào phụ trách mã số mã vạch?", "--mode", "llm"])
    assert code == 1 and out == "" and err.startswith("Lỗi:") and "setup-llm" in err and "Traceback" not in err


def test_eval_writes_a_report_with_charts(capsys, built_index, tmp_path):
    from pathlib import Path

    golden = Path(__file__).parent.parent / "eval" / "golden.jsonl"
    lines = golden.read_text(encoding="utf-8").splitlines()
    picked = [next(line for line in lines if f'"kind": "{kind}"' in line) for kind in ("who", "out_of_scope", "followup")]
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(picked) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, ["eval", "--quick", "--golden", str(small), "--reports-dir", str(tmp_path / "reports")])
    report = Path(out.strip().splitlines()[-1].removeprefix("Báo cáo: "))
    metrics = json.loads((report.parent / "metrics.json").read_text(encoding="utf-8"))
    assert code == 0 and metrics["n"] == 3 and metrics["headline"]["refusal_oos"] == 1.0
    assert "## Chỉ số chính" in report.read_text(encoding="utf-8")
    assert {"by_kind.png", "latency.png"} <= {p.name for p in report.parent.glob("*.png")}


def test_eval_of_questions_written_for_another_corpus_says_so(capsys, built_index, tmp_path):
    golden = tmp_path / "laws.jsonl"
    golden.write_text('{"id": "l1", "question": "Tuổi kết hôn?", "kind": "law", "abstain": false, "mention": [], '
                      '"gold": [{"doc_id": "52/2014/QH13", "article": 8, "clause": null, "point": null}]}\n', encoding="utf-8")
    code, _, err = run(capsys, ["eval", "--golden", str(golden), "--reports-dir", str(tmp_path)])
    assert code == 1 and err.startswith("Lỗi: 1 câu hỏi") and "l1: 52/2014/QH13 Điều 8" in err and "RAG_DATA_DIR" in err


def test_eval_judge_without_an_llm_is_a_one_line_error(capsys, monkeypatch, built_index, tmp_path):
    monkeypatch.setenv("RAG_LLM_MODEL_PATH", str(tmp_path / "absent.gguf"))
    code, _, err = run(capsys, ["eval", "--quick", "--judge", "--reports-dir", str(tmp_path)])
    assert code == 1 and err.startswith("Lỗi:") and "setup-llm" in err


def test_build_if_stale_skips_a_current_index_and_builds_a_missing_one(capsys, monkeypatch, built_index, tmp_path):
    manifest = built_index.index_dir / "current" / "manifest.json"
    before = manifest.read_bytes()
    assert main(["build", "--if-stale", "--quiet"]) == 0
    assert "không cần xây dựng lại" in capsys.readouterr().out and manifest.read_bytes() == before
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    get_settings.cache_clear()
    assert main(["build", "--if-stale", "--quiet"]) == 0
    assert "Đã xây dựng chỉ mục" in capsys.readouterr().out and (tmp_path / "index" / "current" / "manifest.json").is_file()


def test_jsonl_blank_lines_each_get_an_error_line(capsys, monkeypatch, built_index):
    good = json.dumps({"id": "ok", "question": "Điều 4 khoản 13"})
    code, out, _ = run(capsys, ["retrieve", "--jsonl", "--top-k", "1"], "\n".join([good, "", "  \t", good]) + "\n",
                       monkeypatch)
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [r["id"] for r in rows] == ["ok", None, None, "ok"]
    assert all(r == {"id": None, "error": r["error"]} and "Dòng trống" in r["error"] for r in rows[1:3])
    assert "retrieved" in rows[0] and "retrieved" in rows[3]


USER = {"role": "user", "content": "Sở có nhiệm vụ gì về bưu chính?"}
BAD_HISTORIES = [
    ({}, "phải là danh sách"),
    ([1, 2, None], "Lượt 1"),
    ([USER, {"role": "user"}], "Lượt 2"),
    ([{"role": "system", "content": "x"}], "Lượt 1"),
    ([{"content": "x"}], "Lượt 1"),
    ([{"role": "user", "content": [{"text": 5}]}], "Lượt 1"),
    ([USER, {"role": "assistant", "content": "a" * 1_000_000}], "Lượt 2 của \"history\" quá dài (1000000 ký tự)"),
    ([USER] * 21, "quá dài (21 lượt)"),
]


@pytest.mark.parametrize("history, error", BAD_HISTORIES)
def test_chat_history_refuses_what_it_cannot_read(history, error):
    from rag.app.cli import _chat_history
    from rag.query.question import BadQuestion

    with pytest.raises(BadQuestion, match=re.escape(error)):
        _chat_history(history, 2000)


def test_chat_history_takes_20_turns_of_2000_characters_and_no_more():
    from rag.app.cli import _chat_history
    from rag.query.question import BadQuestion

    parts = {"role": "user", "content": [{"type": "text", "text": "Sở có"}, {"type": "text", "text": "nhiệm vụ gì?"}]}
    turns = [parts, {"role": "assistant", "content": "a" * 2000}] * 10
    assert _chat_history(turns, 2000) == [{"role": "user", "content": "Sở có nhiệm vụ gì?"}, turns[1]] * 10
    for over in (turns + [USER], turns[:-1] + [{"role": "assistant", "content": "a" * 2001}]):
        with pytest.raises(BadQuestion, match="quá dài"):
            _chat_history(over, 2000)


def test_ask_jsonl_bad_history_is_an_error_on_its_line(capsys, monkeypatch, built_index):
    lines = [json.dumps({"id": i, "question": "Còn cấp xã thì sao?", "history": h}, ensure_ascii=False)
             for i, (h, _) in enumerate(BAD_HISTORIES)]
    lines.append(json.dumps({"id": "ok", "question": "Còn cấp xã thì sao?", "history": [USER]}, ensure_ascii=False))
    code, out, _ = run(capsys, ["ask", "--jsonl", "--mode", "extractive"], "\n".join(lines) + "\n", monkeypatch)
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [r["id"] for r in rows] == [*range(len(BAD_HISTORIES)), "ok"]
    for r, (_, error) in zip(rows, BAD_HISTORIES):
        assert r == {"id": r["id"], "error": r["error"]} and error in r["error"], r
    assert "error" not in rows[-1] and rows[-1]["answer"]


def test_serve_on_a_busy_port_fails_at_once_and_suggests_a_free_one(capsys):
    """It had loaded everything, printed "Sẵn sàng", then failed; and it suggested port + 1 even when
    that one was busy too."""
    import re
    import socket

    from rag.app.webapp import free_loopback_port

    port = free_loopback_port()
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", port))
        a.listen()
        try:
            b.bind(("127.0.0.1", port + 1))
            b.listen()
        except OSError:
            pytest.skip("the next port is taken by something else")
        assert main(["serve", "--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert "Sẵn sàng" not in out and f"Cổng {port} trên 127.0.0.1 đang được dùng" in err
    suggested = int(re.search(r"--port (\d+)", err).group(1))
    assert suggested > port + 1


def test_serve_refuses_a_port_out_of_range_and_an_address_not_of_this_machine(capsys):
    """--port 99999 had ended in "Lỗi không mong đợi (OverflowError)"; an address not of this machine
    was blamed on a busy port."""
    from rag.app.cli import UsageError

    with pytest.raises(UsageError):
        main(["serve", "--port", "99999"])
    assert "cổng là một số từ 1 đến 65535" in capsys.readouterr().err
    assert main(["serve", "--host", "192.0.2.254", "--port", "7999"]) == 1  # TEST-NET-1: never this machine's
    err = capsys.readouterr().err
    assert "Địa chỉ 192.0.2.254 không phải của máy này" in err and "đang được dùng" not in err


def test_two_servers_on_one_port_the_second_is_refused_before_it_says_ready():
    """Both had bound (SO_REUSEADDR), both said "Sẵn sàng", the second then died with a traceback."""
    from rag.app.webapp import _bound_socket, free_loopback_port

    port = free_loopback_port()
    first = _bound_socket("127.0.0.1", port)
    try:
        with pytest.raises(OSError):
            _bound_socket("127.0.0.1", port)
    finally:
        first.close()
