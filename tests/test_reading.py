"""The query stage on its own: a small glossary, no model, no index."""
import pytest

from rag.documents.glossary import Glossary
from rag.query.reading import QueryReader

NAMES = {"44/2019/QH14": ("44/2019/QH14", "Luật Phòng, chống tác hại của rượu, bia")}


@pytest.fixture
def reader():
    return QueryReader(Glossary("", {}, (), {}, ()), accents={}, news_only=frozenset(), document_names=NAMES)


@pytest.mark.parametrize("question", [
    "Luật phòng, chống tác hại của rượu bia có cấm bán bia trong trường học không?",
    "Theo luật phòng chống tác hại của rượu, bia: có cấm bán bia trong trường học không?",
    "Luật 44/2019/QH14 có cấm bán bia trong trường học không?",
])
def test_a_document_is_named_whatever_the_punctuation(reader, question):
    q = reader.read(question)
    assert q.documents == ("44/2019/QH14",)
    assert "44/2019" not in q.dense and "tác hại" not in q.dense and "cấm bán bia trong trường học" in q.dense


def test_another_law_of_a_similar_name_is_not_taken_for_it(reader):
    assert reader.read("Luật phòng chống tác hại của thuốc lá cấm gì?").documents == ()
