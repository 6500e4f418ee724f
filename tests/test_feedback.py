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
    assert main(["feedback", "export", "--format", "csv", "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("\n") == 2
    assert not list(out.parent.glob(".export-*"))
