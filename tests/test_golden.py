"""The golden set is data the eval trusts: every gold unit must exist and the quotas must hold."""
from collections import Counter

import pytest

from rag.evaluation.evaluate import load_golden, quick_subset, resolve_gold
from rag.settings import ROOT

ITEMS = load_golden(ROOT / "eval" / "golden.jsonl")
KINDS = {"lookup", "who", "citizen", "no_diacritics", "abbreviation", "structural", "multi", "news", "followup",
         "out_of_scope", "english"}


@pytest.fixture(scope="module")
def units(corpus):
    return {u.uid: u for us in corpus[1].values() for u in us}


def test_size_ids_and_kinds():
    assert len(ITEMS) >= 150
    assert len({i.id for i in ITEMS}) == len(ITEMS)
    assert {i.kind for i in ITEMS} == KINDS


def test_every_gold_unit_exists_in_the_parsed_corpus(units):
    for item in ITEMS:
        for g in item.gold:
            resolve_gold(g, units)
        assert bool(item.gold) != item.abstain, item.id


def test_quotas():
    kinds = Counter(i.kind for i in ITEMS)
    assert kinds["followup"] / len(ITEMS) >= 0.10
    assert kinds["out_of_scope"] / len(ITEMS) >= 0.15
    assert all(i.history and i.standalone for i in ITEMS if i.kind == "followup")


def test_every_article_three_times_and_every_news_article_twice(corpus):
    articles = Counter()
    news = Counter()
    for item in ITEMS:
        for key in {(g["doc_id"], g.get("article")) for g in item.gold}:
            if key[1] is not None:
                articles[key[1]] += 1
            elif key[0] != "10/2025/TT-BKHCN":
                news[key[0]] += 1
    assert all(articles[a] >= 3 for a in range(1, 13)), articles
    news_docs = [d for d in corpus[0] if d != "10/2025/TT-BKHCN"]
    assert all(news[d] >= 2 for d in news_docs), news


def test_quick_subset_takes_every_other_item_of_each_kind():
    sub = quick_subset(ITEMS)
    for kind in KINDS:
        of_kind = [i.id for i in ITEMS if i.kind == kind]
        assert [i.id for i in sub if i.kind == kind] == of_kind[::2]


def test_mentions_are_groups_of_phrases():
    for item in ITEMS:
        assert all(isinstance(g, list) and g and all(isinstance(p, str) for p in g) for g in item.mention)


def test_an_empty_golden_set_is_an_error_not_an_empty_report(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="không có câu hỏi nào"):
        load_golden(empty)


def test_a_bad_golden_file_names_the_file_and_the_line(tmp_path):
    """An evaluator had seen "[Errno 2] No such file", "IsADirectoryError" and a JSON column without
    the line of the file."""
    with pytest.raises(ValueError, match="không có tệp này"):
        load_golden(tmp_path / "absent.jsonl")
    with pytest.raises(ValueError, match="là một thư mục"):
        load_golden(tmp_path)
    bad = tmp_path / "bad.jsonl"
    good = (ROOT / "eval" / "golden.jsonl").read_text(encoding="utf-8").splitlines()[0]
    bad.write_text(good + "\n" + '{"id": "x" "question": 1}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl, dòng 2: không phải JSON hợp lệ"):
        load_golden(bad)
    bad.write_text(good + "\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="dòng 2: mỗi dòng phải là một đối tượng JSON"):
        load_golden(bad)
