"""The int8 ONNX encoder gives the float model's vectors within tolerance, and the same ranking."""
from collections import Counter

import numpy as np
import pytest

from rag.search.embed import Embedder, embedding_key
from rag.settings import get_settings

pytestmark = pytest.mark.model

PASSAGES = ["Trung tâm TĐC thực hiện dịch vụ về mã số, mã vạch, truy xuất nguồn gốc",
            "Phòng Văn hóa - Xã hội quản lý điểm bưu chính",
            "Kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo, chuẩn đo lường theo quy định của pháp luật;"]


@pytest.fixture(scope="module")
def encoders():
    s = get_settings()
    return Embedder(s.embed_model, s.model_dir), Embedder(s.embed_model, s.model_dir, backend="onnx-int8")


def test_int8_onnx_vectors_match_the_float_model(encoders):
    torch_e, onnx_e = encoders
    for texts, encode in ((PASSAGES, "passages"), (["Đơn vị nào phụ trách mã số mã vạch?"], "queries")):
        a, b = getattr(torch_e, encode)(texts), getattr(onnx_e, encode)(texts)
        assert a.shape == b.shape and np.allclose(np.linalg.norm(b, axis=1), 1, atol=1e-3)
        assert (a * b).sum(1).min() > 0.98


def test_int8_onnx_ranks_like_the_float_model(encoders):
    for e in encoders:
        scores = e.passages(PASSAGES) @ e.queries(["Đơn vị nào phụ trách mã số mã vạch?"])[0]
        assert scores.argmax() == 0


def test_backends_have_their_own_cache_key_and_unknown_ones_are_refused():
    from rag.models.onnx_encoder import GRAPH_VERSION

    assert embedding_key("m", "torch") == "m" and embedding_key("m", "onnx-int8") == f"m+onnx-int8.v{GRAPH_VERSION}"
    with pytest.raises(ValueError, match="embed_backend"):
        Embedder("m", get_settings().model_dir, backend="gpu")


def test_exported_graph_adds_the_attention_mask_instead_of_masking_each_layer():
    """The SDPA export spent a fifth of its time in per-layer `Where`/`IsNaN` masking; eager does not."""
    import onnx

    from rag.models.onnx_encoder import OnnxEncoder

    s = get_settings()
    folder = OnnxEncoder.load(s.model_dir, s.embed_model).folder
    ops = Counter(node.op_type for node in onnx.load(str(folder / "model.onnx")).graph.node)
    assert ops["DynamicQuantizeLinear"] and ops["Softmax"] == 12  # int8 linear layers; one attention per layer
    assert ops["IsNaN"] == 0 and ops["Where"] < ops["Softmax"]  # the mask is built once, not applied per layer
