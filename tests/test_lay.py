"""General lay terms: everyday words → the legal term, kept only where the loaded documents use it."""
import json
from pathlib import Path

import pytest

from rag.query.lay import LayTerms

FILE = Path(__file__).parent.parent / "rag" / "query" / "lay_terms.json"


def test_every_entry_has_a_legal_term_and_a_reason():
    terms = json.loads(FILE.read_text(encoding="utf-8"))["terms"]
    assert len(terms) >= 50
    assert all(len(v) == 2 and v[0].strip() and v[1].strip() for v in terms.values())


def test_only_legal_terms_the_documents_use_are_kept():
    lay = LayTerms(known=lambda phrase: phrase in {"ly hôn", "xe gắn máy"})
    assert lay.legal_terms("vợ chồng tôi muốn ly dị") == ["ly hôn"]
    assert lay.legal_terms("xe máy của tôi bị mất") == ["xe gắn máy"]  # "xe mô tô" is not in the documents
    assert lay.legal_terms("sổ đỏ bị mất thì làm lại ở đâu") == []  # no land law loaded


@pytest.mark.parametrize("text, found", [
    ("rác nhà tôi phân loại thế nào", ["chất thải rắn"]),
    ("rắc rối quá", []),  # another syllable, though it folds the same way
    ("rac nha toi", []),  # unaccented: only matched once accents are restored
    ("TÀI XẾ xe khách", ["người lái xe", "vận tải hành khách"]),
])
def test_words_match_whole_and_with_their_accents(text, found):
    lay = LayTerms(known=lambda phrase: True)
    assert lay.legal_terms(text) == found


def test_a_documents_own_overlay_wins_on_the_same_word():
    lay = LayTerms(known=lambda phrase: True, skip=frozenset({"nhà mạng"}))
    assert "nhà mạng" not in lay.terms and lay.legal_terms("nhà mạng thu cước") == ["giá cước"]


@pytest.mark.model
def test_the_loaded_corpus_decides_which_terms_apply_and_they_join_the_topic(retriever):
    terms = retriever.reader.lay_terms.terms
    assert "sổ đỏ" not in terms and "ly dị" not in terms  # Thông tư 10 has no land or marriage terms
    assert "nhà mạng" not in terms  # its overlay maps this one itself
    query = retriever.read("giáo viên trường công có được làm thêm không")
    assert {"cong", "lap"} <= set(query.topic_terms) and "lập" not in query.dense
