"""Sentence-transformers embeddings with e5's `query: ` / `passage: ` prompts, loaded lazily.

Example:
    >>> emb = Embedder("intfloat/multilingual-e5-small", model_dir)
    >>> emb.queries(["Đơn vị nào phụ trách mã số mã vạch?"]).shape
    (1, 384)
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from rag.models.embedding import resolve_model

log = logging.getLogger(__name__)


class Embedder:
    def __init__(self, model_id: str, model_dir: Path, batch_size: int = 32):
        self.model_id = model_id
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._model = None

    def warm_up(self) -> None:
        """Load the model (provisioning it offline first when it is the packaged e5-small)."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(resolve_model(self.model_id, self.model_dir), device="cpu")
            log.info("embedding model %s loaded", self.model_id)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dim(self) -> int:
        self.warm_up()
        return int(self._model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], prompt: str, progress: bool) -> np.ndarray:
        self.warm_up()
        prompts = self._model.prompts or {}
        vecs = self._model.encode(texts, prompt=prompts.get(prompt, ""), batch_size=self.batch_size,
                                  normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        """Unit-length query vectors, shape (len(texts), dim)."""
        return self._encode(texts, "query", progress=False)

    def passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length passage vectors, shape (len(texts), dim)."""
        return self._encode(texts, "document", progress=progress)
