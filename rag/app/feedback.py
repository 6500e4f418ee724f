"""Feedback store: 👍/👎 and comments on answers, in SQLite (WAL), append-only.

Why SQLite in WAL mode: concurrent app workers append safely, a crash mid-write rolls back
the one transaction and never corrupts earlier rows, and the eval team can read it while the
app runs. Rows are only ever inserted; `export` writes JSONL or CSV atomically. The `answers`
table (also append-only) records every answer the chat showed with its session, so a vote or a
comment is stored only for an answer that session really received (`find_answer`).

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
COMMENT_CHARS = 2000  # longest comment stored; the chat refuses a longer one with a message
_COLUMNS = ("id", "ts", "question", "answer", "citations", "mode", "rating", "comment", "app_version")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets may read as a formula (OWASP)


def csv_safe(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with = + - @ tab or
    carriage return gets a leading single quote (OWASP CSV injection). Numbers (a -1 rating) stay."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


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
CREATE TABLE IF NOT EXISTS answers (   -- every answer shown, so votes/comments refer to one a session received
    msg_id TEXT PRIMARY KEY,
    session TEXT NOT NULL,
    ts TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,          -- JSON list of cited labels
    mode TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_session ON answers (session);
CREATE TRIGGER IF NOT EXISTS answers_no_update BEFORE UPDATE ON answers
BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
CREATE TRIGGER IF NOT EXISTS answers_no_delete BEFORE DELETE ON answers
BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
"""
_ANSWER_COLUMNS = ("msg_id", "session", "ts", "question", "answer", "citations", "mode")


class FeedbackStore:
    def __init__(self, path: Path, timeout: float = 30.0):
        self.path = path
        self.timeout = timeout  # seconds to wait for a lock held by another writer before failing

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    def check(self) -> None:
        """Open the store and create its tables; raises (sqlite3.Error, OSError) when it cannot be written."""
        self._connect().close()

    def record_answer(self, *, msg_id: str, session: str, question: str, answer: str, citations: list[str],
                      mode: str) -> None:
        """Append the answer shown as message `msg_id` to `session` (votes and comments look it up)."""
        conn = self._connect()
        try:
            conn.execute("INSERT INTO answers (msg_id, session, ts, question, answer, citations, mode) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (msg_id, session, time.strftime("%Y-%m-%dT%H:%M:%S%z"), question, answer,
                          json.dumps(citations, ensure_ascii=False), mode))
        finally:
            conn.close()

    def find_answer(self, msg_id: str | None = None, session: str | None = None) -> dict | None:
        """The answer `msg_id` (when `session` is given, only if that session received it), or the latest
        answer of `session` when no msg_id is given; None when there is none. Citations come back as a list."""
        if not msg_id and not session:
            return None
        sql, args = f"SELECT {', '.join(_ANSWER_COLUMNS)} FROM answers WHERE ", []
        if msg_id:
            sql, args = sql + "msg_id = ?", [msg_id]
            if session is not None:
                sql, args = sql + " AND session = ?", [*args, session]
        else:
            sql, args = sql + "session = ? ORDER BY rowid DESC LIMIT 1", [session]
        conn = self._connect()
        try:
            row = conn.execute(sql, args).fetchone()
        finally:
            conn.close()
        if row is None:
            return None
        record = dict(zip(_ANSWER_COLUMNS, row))
        return {**record, "citations": json.loads(record["citations"])}

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
                 mode, rating, comment[:COMMENT_CHARS], __version__))
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
            writer.writerows({k: csv_safe(v) for k, v in r.items()} for r in rows)
            text = buf.getvalue()
        if out is not None:
            atomic_write_text(out, text)
        return text
