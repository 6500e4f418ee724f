"""Passage embeddings cached on disk, keyed by the model and the embedded text (never a doc_id).

Why: adding one law to a 3,400-article corpus must not re-embed the other 22,000 units, and
text replicated under another doc_id is embedded once. The cache is SQLite (WAL): concurrent
builds append safely and a crash loses at most the batch being written. Vectors are float32.

Example:
    >>> cache = EmbeddingCache(Path("~/.cache/vn-legal-rag/embeddings.sqlite3"), "intfloat/multilingual-e5-small")
    >>> cache.get(["passage text"])          # {} until put
    >>> cache.put(["passage text"], vectors)
"""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np


class EmbeddingCache:
    def __init__(self, path: Path, model_id: str):
        self.path = path
        self.model_id = model_id

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.model_id}\0{text}".encode("utf-8")).digest()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, dim INTEGER NOT NULL, vec BLOB NOT NULL)")
        return conn

    def get(self, texts: list[str]) -> dict[int, np.ndarray]:
        """Index in `texts` → cached vector, for the texts already embedded by this model."""
        keys = [self._key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._connect() as conn:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                rows = conn.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def put(self, texts: list[str], vectors: np.ndarray) -> None:
        rows = [(self._key(t), int(v.shape[0]), np.asarray(v, np.float32).tobytes()) for t, v in zip(texts, vectors)]
        with self._connect() as conn:
            conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
