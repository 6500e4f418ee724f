"""Sentence-transformers embeddings with e5's `query: ` / `passage: ` prompts, loaded lazily.

Example:
    >>> emb = Embedder("intfloat/multilingual-e5-small", model_dir)
    >>> emb.queries(["Đơn vị nào phụ trách mã số mã vạch?"]).shape
    (1, 384)
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rag.models.embedding import resolve_model
from rag.models.onnx_encoder import GRAPH_VERSION, OnnxEncoder
from rag.search.embed_cache import EmbeddingCache

log = logging.getLogger(__name__)


def embedding_key(model_id: str, backend: str) -> str:
    """What identifies the vectors a model produces: the int8 ONNX encoder gives slightly other
    vectors, and each version of its exported graph too."""
    return model_id if backend == "torch" else f"{model_id}+{backend}.v{GRAPH_VERSION}"


BACKENDS = ("torch", "onnx-int8")


class Embedder:
    def __init__(self, model_id: str, model_dir: Path, batch_size: int = 8, cache: EmbeddingCache | None = None,
                 backend: str = "torch"):
        if backend not in BACKENDS:
            raise ValueError(f"embed_backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        self.model_id = model_id
        self.model_dir = model_dir
        self.backend = backend
        self.batch_size = batch_size  # 8: on 2 cores, 69 units/s with onnx-int8 vs 54 at 32 (torch: 32 vs 30)
        self.cache = cache
        self._model = None

    def warm_up(self) -> None:
        """Load the model (provisioning it offline first when it is the packaged e5-small)."""
        if self._model is not None:
            return
        if self.backend == "onnx-int8":
            self._model = OnnxEncoder.load(self.model_dir, self.model_id)
        else:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(resolve_model(self.model_id, self.model_dir), device="cpu")
        log.info("embedding model %s (%s) loaded", self.model_id, self.backend)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dim(self) -> int:
        self.warm_up()
        get = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        return int(get())

    def _encode(self, texts: list[str], prompt: str, progress: bool = False,
                on_chunk: Callable[[list[int], np.ndarray], None] | None = None) -> np.ndarray:
        """Embeddings, longest texts first in chunks (less padding per batch), with a progress bar in
        units per second and time left; `on_chunk(indices, vectors)` sees each chunk as it is done."""
        from tqdm import tqdm

        self.warm_up()
        prefix = (self._model.prompts or {}).get(prompt, "")
        out = np.zeros((len(texts), self.dim), np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = 256
        with tqdm(total=len(texts), desc="Nhúng văn bản", unit="đơn vị", disable=not progress) as bar:
            for start in range(0, len(order), step):
                idx = order[start:start + step]
                vecs = self._model.encode([texts[i] for i in idx], prompt=prefix, batch_size=self.batch_size,
                                          normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
                out[idx] = vecs
                if on_chunk:
                    on_chunk(idx, vecs)
                bar.update(len(idx))
        return out

    def queries(self, texts: list[str]) -> np.ndarray:
        """Unit-length query vectors, shape (len(texts), dim). One call per question: no chunking,
        ordering or progress bar on this path."""
        self.warm_up()
        vecs = self._model.encode(texts, prompt=(self._model.prompts or {}).get("query", ""), batch_size=self.batch_size,
                                  normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)

    def passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length passage vectors, shape (len(texts), dim); only texts not in the cache are embedded."""
        cached = self.cache.get(texts) if self.cache else {}
        missing = [i for i in range(len(texts)) if i not in cached]
        log.info("embedding %d passages (%d cached)", len(missing), len(cached))
        todo = [texts[i] for i in missing]
        save = (lambda idx, vecs: self.cache.put([todo[i] for i in idx], vecs)) if self.cache else None
        fresh = self._encode(todo, "document", progress=progress, on_chunk=save) if missing else None
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, v in cached.items():
            out[i] = v
        if fresh is not None:
            out[missing] = fresh
        return out
