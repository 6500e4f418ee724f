"""Scope follows the corpus: a question refused over the default documents is answered once a
document that covers it is loaded (real model, real index; reads ../shared/laws)."""
import dataclasses
import json
import shutil

import pytest

from rag.settings import ROOT

from shipped import DATA  # noqa: E402 - tests/ is on sys.path

pytestmark = pytest.mark.model
LAWS = ROOT.parent / "shared" / "laws"
QUESTION = "Thủ tục đăng ký kết hôn?"


@pytest.fixture(scope="module")
def with_marriage_law(tmp_path_factory, built_index):
    if not (LAWS / "luat-hon-nhan-va-gia-dinh.txt").is_file():
        pytest.skip("../shared/laws is not beside the repository")
    from rag.answers.assistant import Assistant

    data = tmp_path_factory.mktemp("data")
    for f in DATA.iterdir():
        shutil.copy(f, data / f.name)
    shutil.copy(LAWS / "luat-hon-nhan-va-gia-dinh.txt", data)
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"].append({"doc_id": "52/2014/QH13", "file": "luat-hon-nhan-va-gia-dinh.txt", "kind": "law",
                                  "title": "Luật Hôn nhân và gia đình"})
    (data / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    settings = dataclasses.replace(built_index, data_dir=data, index_dir=tmp_path_factory.mktemp("index"))
    a = Assistant(settings)
    a.warm_up()
    return a


def test_marriage_is_out_of_scope_for_the_default_corpus(retriever):
    from rag.answers.assistant import Assistant

    a = Assistant(retriever.settings, retriever)
    a.warm_up()
    assert a.ask(QUESTION, mode="extractive").abstained


def test_marriage_is_answered_from_the_marriage_law_once_loaded(with_marriage_law):
    ans = with_marriage_law.ask(QUESTION, mode="extractive")
    assert not ans.abstained and ans.citations[0].doc_id == "52/2014/QH13"
    assert "Luật Hôn nhân và gia đình 52/2014/QH13" in ans.text


def test_a_question_naming_a_document_and_an_article_gets_that_article(with_marriage_law):
    ans = with_marriage_law.ask("Điều 8 Luật Hôn nhân và gia đình quy định gì?", mode="extractive")
    assert ans.citations[0].doc_id == "52/2014/QH13" and ans.citations[0].article == 8
    ans = with_marriage_law.ask("khoản 2 Điều 10 Thông tư 10 nói gì?", mode="extractive")
    assert ans.citations[0].doc_id == "10/2025/TT-BKHCN" and (ans.citations[0].article, ans.citations[0].clause) == (10, 2)


def test_the_refusal_stays_short_however_many_documents_are_loaded():
    from types import SimpleNamespace

    from rag.answers.scope import Scope
    from rag.documents.corpus import DocumentInfo

    docs = {f"{n}/2026/QĐ-UBND": DocumentInfo(f"{n}/2026/QĐ-UBND", "decision", f"Quyết định ban hành quy định số {n} "
                                             "về quản lý vườn ươm doanh nghiệp khởi nghiệp sáng tạo") for n in range(1, 6)}
    units = {f"{d}#Điều 1": SimpleNamespace(doc_id=d, kind="article") for d in docs}
    library = SimpleNamespace(documents=docs, units=units, glossary=SimpleNamespace(bodies=(), examples=()))
    refusal = Scope.of(library).refusal(None)
    assert "và 4 văn bản khác" in refusal and refusal.count("vườn ươm") == 1 and len(refusal) < 400
    assert "Điều 1 Quyết định 1/2026/QĐ-UBND quy định gì?" in refusal  # an example it can answer
    two = dict(list(docs.items())[:2])
    scope = Scope.of(SimpleNamespace(documents=two, units=units, glossary=library.glossary))
    assert scope.documents_phrase.count("Quyết định") == 2
