"""The CLI contract: run the real commands in-process and check exit code and exact output."""
import json

import pytest

from rag.cli import main

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
            assert set(item) == {"doc_id", "article", "clause", "point", "label", "score", "text"}
    news = rows[1]["retrieved"][0]
    assert news["doc_id"] == "son-la-trung-tam-ho-tro-dmst-cds" and news["article"] is None


def test_retrieve_needs_a_question_or_jsonl(capsys, built_index):
    with pytest.raises(SystemExit, match="either a QUESTION or --jsonl"):
        main(["retrieve"])


def test_bad_question_is_an_error_message_not_a_traceback(capsys, built_index):
    code, out, err = run(capsys, ["retrieve", "   "])
    assert code == 1 and out == "" and err.startswith("Lỗi: Câu hỏi đang trống")


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0 and "retrieve" in capsys.readouterr().out
