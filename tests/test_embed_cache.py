"""The passage-embedding cache: keyed by model and text, so rebuilds and replicated text embed nothing twice."""
import numpy as np
import pytest

from rag.search.embed_cache import EmbeddingCache


def test_vectors_round_trip_and_are_keyed_by_model_and_text(tmp_path):
    path = tmp_path / "emb.sqlite3"
    cache = EmbeddingCache(path, "model-a")
    vecs = np.arange(6, dtype=np.float32).reshape(2, 3)
    cache.put(["một", "hai"], vecs)
    got = cache.get(["hai", "ba", "một"])
    assert sorted(got) == [0, 2] and np.array_equal(got[0], vecs[1]) and np.array_equal(got[2], vecs[0])
    assert EmbeddingCache(path, "model-b").get(["một"]) == {}  # another model never reuses these


@pytest.mark.model
def test_cached_passages_equal_fresh_ones_and_are_not_embedded_again(tmp_path, retriever):
    from rag.search.embed import Embedder

    e = retriever.embedder
    cached = Embedder(e.model_id, e.model_dir, cache=EmbeddingCache(tmp_path / "c.sqlite3", e.model_id))
    cached._model = e._model
    texts = ["Trung tâm TĐC kiểm định phương tiện đo.", "Phòng Văn hóa - Xã hội quản lý bưu chính.", "ngắn"]
    first = cached.passages(texts)
    calls = []
    cached._encode = lambda *a, **k: calls.append(a)  # a second call must not embed anything
    again = cached.passages(list(reversed(texts)))
    assert calls == [] and np.allclose(again[::-1], first, atol=1e-6)
    assert np.allclose(first, e.passages(texts), atol=1e-5)
