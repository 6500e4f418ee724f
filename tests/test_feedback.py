import json
import sqlite3
import threading

import pytest

from rag.app.cli import main
from rag.app.feedback import FeedbackStore


def record(store, i=0, rating=1, comment=""):
    return store.add(question=f"câu hỏi {i}", answer="trả lời", citations=["Điều 7, khoản 2, điểm k"],
                     mode="extractive", rating=rating, comment=comment)


def test_records_are_appended_and_exported(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    assert record(store, 1) == 1 and record(store, 2, rating=-1, comment="thiếu ý") == 2
    rows = [json.loads(x) for x in store.export("jsonl").splitlines()]
    assert [r["rating"] for r in rows] == [1, -1] and rows[1]["comment"] == "thiếu ý"
    assert rows[0]["citations"] == ["Điều 7, khoản 2, điểm k"] and rows[0]["app_version"]
    assert store.export("csv").splitlines()[0].startswith("id,ts,question,answer")


def test_the_table_refuses_updates_and_deletes(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    record(store)
    conn = sqlite3.connect(tmp_path / "fb.sqlite3")
    for sql in ("UPDATE feedback SET rating = -1", "DELETE FROM feedback"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_concurrent_writers_lose_nothing(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    threads = [threading.Thread(target=lambda k=k: [record(store, k * 100 + j) for j in range(25)]) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = store.rows()
    assert len(rows) == 200 and len({r["question"] for r in rows}) == 200


@pytest.mark.parametrize("kwargs, error", [({"rating": 5}, "rating must be"), ])
def test_bad_rating_is_refused(tmp_path, kwargs, error):
    with pytest.raises(ValueError, match=error):
        FeedbackStore(tmp_path / "fb.sqlite3").add(question="q", answer="a", citations=[], mode="x", **kwargs)


def test_export_command_writes_the_file_atomically(tmp_path, monkeypatch, capsys):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")  # the autouse fixture points RAG_FEEDBACK_DB here
    record(store)
    out = tmp_path / "out" / "fb.csv"
    out.parent.mkdir()
    assert main(["feedback", "export", "--format", "csv", "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("\n") == 2
    assert [p.name for p in out.parent.iterdir()] == ["fb.csv"]  # no temporary file left


def test_export_to_a_folder_or_into_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    record(FeedbackStore(tmp_path / "feedback.sqlite3"))
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["feedback", "export", "--format", "csv", "--output", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err == f"Lỗi: {folder} là một thư mục; hãy cho tên tệp, ví dụ {folder / 'feedback.csv'}.\n"
    assert not list(tmp_path.glob(".*")) and not any(folder.iterdir())  # no temporary file beside or inside it
    missing = tmp_path / "no" / "such" / "fb.jsonl"
    assert main(["feedback", "export", "--output", str(missing)]) == 1
    assert "không tồn tại" in capsys.readouterr().err and not (tmp_path / "no").exists()


def test_an_export_that_cannot_be_written_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("rag.app.feedback.atomic_write_text", refuse)
    out = tmp_path / "fb.jsonl"
    assert main(["feedback", "export", "--output", str(out)]) == 1
    assert capsys.readouterr().err == f"Lỗi: Không ghi được {out} (Permission denied).\n"


def test_csv_export_neutralises_formulas_and_jsonl_is_unchanged(tmp_path):
    import csv
    import io

    store = FeedbackStore(tmp_path / "fb.sqlite3")
    cells = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "bình thường"]
    for i, text in enumerate(cells):
        store.add(question=text, answer="trả lời", citations=[], mode="extractive", rating=-1, comment=text)
    rows = list(csv.DictReader(io.StringIO(store.export("csv"))))
    assert [r["question"] for r in rows] == ["'" + c for c in cells[:-1]] + ["bình thường"]
    assert [r["comment"] for r in rows] == [r["question"] for r in rows]
    assert {r["rating"] for r in rows} == {"-1"}  # numbers are not text a spreadsheet would run
    jsonl = [json.loads(x) for x in store.export("jsonl").splitlines()]
    assert [r["question"] for r in jsonl] == cells and [r["comment"] for r in jsonl] == cells


def answer(store, msg_id="a1", session="s1", question="câu hỏi"):
    store.record_answer(msg_id=msg_id, session=session, question=question, answer="trả lời",
                        citations=["Điều 7, khoản 2, điểm k"], mode="extractive")


def test_answers_are_found_by_id_and_session_or_as_the_session_latest(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    answer(store, "a1", "s1", "một")
    answer(store, "a2", "s1", "hai")
    answer(store, "b1", "s2", "ba")
    assert store.find_answer("a1", "s1")["question"] == "một"
    assert store.find_answer("a1", "s1")["citations"] == ["Điều 7, khoản 2, điểm k"]
    assert store.find_answer("a1", "s2") is None  # another session's answer
    assert store.find_answer("zz", "s1") is None and store.find_answer(None, None) is None
    assert store.find_answer(session="s1")["msg_id"] == "a2" and store.find_answer(session="s3") is None
    assert store.rows() == []  # recording answers is not feedback


def test_the_answers_table_is_append_only(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    answer(store)
    with pytest.raises(sqlite3.IntegrityError):
        answer(store)  # the same msg_id twice
    conn = sqlite3.connect(tmp_path / "fb.sqlite3")
    for sql in ("UPDATE answers SET answer = 'x'", "DELETE FROM answers"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)


def test_a_locked_store_fails_after_its_timeout(tmp_path):
    import time

    store = FeedbackStore(tmp_path / "fb.sqlite3", timeout=0.2)
    store.check()
    lock = sqlite3.connect(tmp_path / "fb.sqlite3", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.perf_counter()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            record(store)
        assert time.perf_counter() - t0 < 5
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert record(store) == 1


def test_a_store_whose_folder_cannot_exist_raises_os_error(tmp_path):
    (tmp_path / "gone").write_text("a file where the folder was", encoding="utf-8")
    store = FeedbackStore(tmp_path / "gone" / "fb.sqlite3")
    with pytest.raises(OSError):
        store.check()
