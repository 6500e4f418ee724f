"""Feedback store: 👍/👎 and comments on answers, in SQLite (WAL), append-only.

Why SQLite in WAL mode: concurrent app workers append safely, a crash mid-write rolls back
the one transaction and never corrupts earlier rows, and the eval team can read it while the
app runs. Rows are only ever inserted; `export` writes JSONL or CSV atomically.

Example:
    >>> store = FeedbackStore(Path("/tmp/fb.sqlite3"))
    >>> store.add(question="Đơn vị nào phụ trách mã số mã vạch?", answer="…", citations=["Điều 7, khoản 2, điểm k"],
    ...           mode="extractive", rating=1)
    1
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from pathlib import Path

from rag import __version__
from rag.atomic import atomic_write_text

EXPORT_FORMATS = ("jsonl", "csv")
_COLUMNS = ("id", "ts", "question", "answer", "citations", "mode", "rating", "comment", "app_version")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,          -- JSON list of cited labels
    mode TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 0, 1)),   -- 0: a comment without a vote
    comment TEXT NOT NULL DEFAULT '',
    app_version TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS feedback_no_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER IF NOT EXISTS feedback_no_delete BEFORE DELETE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
"""


class FeedbackStore:
    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(_SCHEMA)
        return conn

    def add(self, *, question: str, answer: str, citations: list[str], mode: str, rating: int,
            comment: str = "") -> int:
        """Append one record (in its own transaction); returns its id."""
        if rating not in (-1, 0, 1):
            raise ValueError("rating must be -1, 0 or 1")
        conn = self._connect()
        try:
            cur = conn.execute(
                "INSERT INTO feedback (ts, question, answer, citations, mode, rating, comment, app_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.strftime("%Y-%m-%dT%H:%M:%S%z"), question, answer, json.dumps(citations, ensure_ascii=False),
                 mode, rating, comment[:2000], __version__))
            return int(cur.lastrowid)
        finally:
            conn.close()

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        conn = self._connect()
        try:
            return [dict(zip(_COLUMNS, r)) for r in conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id")]
        finally:
            conn.close()

    def export(self, fmt: str, out: Path | None = None) -> str:
        """All records as JSONL or CSV; written atomically to `out` when given, returned otherwise."""
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"format {fmt!r} is not valid. Valid formats are: {', '.join(EXPORT_FORMATS)}")
        rows = self.rows()
        if fmt == "jsonl":
            text = "".join(json.dumps({**r, "citations": json.loads(r["citations"])}, ensure_ascii=False) + "\n"
                           for r in rows)
        else:
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
            text = buf.getvalue()
        if out is not None:
            atomic_write_text(out, text)
        return text
