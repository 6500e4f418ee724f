import dataclasses
import json
import re

import pytest

from rag.search.index import IndexStale, build_index, check_index, load_index

pytestmark = pytest.mark.model


def test_manifest_records_what_the_index_was_built_from(built_index):
    m = check_index(built_index)
    assert m["model"] == "intfloat/multilingual-e5-small" and m["dim"] == 384
    assert m["units"] > 300 and m["nodes"] >= m["units"] - 20 and len(m["corpus_hash"]) == 64
    assert {"faiss-cpu", "bm25s", "sentence-transformers", "llama-index-core"} <= set(m["libraries"])


def test_a_missing_index_tells_the_user_what_to_run(tmp_path, built_index):
    s = dataclasses.replace(built_index, index_dir=tmp_path / "nothing")
    with pytest.raises(IndexStale, match="run `python -m rag build`"):
        load_index(s)


def test_a_changed_corpus_makes_the_index_stale(tmp_path, built_index):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(built_index.data_dir, data)
    s = dataclasses.replace(built_index, data_dir=data)
    with (data / "glossary.json").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    with pytest.raises(IndexStale, match="corpus_hash changed"):
        check_index(s)


def test_the_corpus_stamp_changes_with_any_file_the_hash_reads(tmp_path, built_index):
    import os
    import shutil

    from rag.documents.corpus import corpus_stamp, load_manifest

    data = tmp_path / "data"
    shutil.copytree(built_index.data_dir, data)
    before = corpus_stamp(data)
    assert corpus_stamp(data) == before  # nothing changed: /health does not hash again
    news = data / load_manifest(data)[-1]["file"]
    text = news.read_text(encoding="utf-8")
    news.write_text(text.replace("a", "b", 1), encoding="utf-8")  # same size, new time
    os.utime(news, ns=(1, 1))
    assert corpus_stamp(data) != before
    (data / "glossary.json").unlink()
    assert len(corpus_stamp(data)) == len(before) - 1


def test_a_corpus_edited_while_the_index_builds_leaves_it_stale(tmp_path, built_index, monkeypatch):
    """`rag remove` during another command's build: the index holds the document, so it must not be
    stamped with the corpus that no longer has it (a later `build --if-stale` had found it fresh)."""
    import shutil

    import rag.search.index as index_module

    data = tmp_path / "data"
    shutil.copytree(built_index.data_dir, data)
    s = dataclasses.replace(built_index, data_dir=data, index_dir=tmp_path / "index")
    parse = index_module.parse_corpus

    def parse_then_edit(data_dir):
        parsed = parse(data_dir)
        with (data / "glossary.json").open("a", encoding="utf-8") as fh:
            fh.write("\n")
        return parsed

    monkeypatch.setattr(index_module, "parse_corpus", parse_then_edit)
    build_index(s, progress=False)
    with pytest.raises(IndexStale, match="corpus_hash changed"):
        check_index(s)


def test_a_crash_during_build_leaves_the_previous_index_intact(built_index, monkeypatch):
    import rag.search.index as index_module

    before = (built_index.index_dir / "current" / "manifest.json").read_text(encoding="utf-8")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(index_module, "_write_json", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(built_index, progress=False)
    assert (built_index.index_dir / "current" / "manifest.json").read_text(encoding="utf-8") == before
    assert not list(built_index.index_dir.glob(".build-*"))
    json.loads(before)


def test_nodes_carry_the_label_and_parent_child_links(built_index):
    from llama_index.core.schema import NodeRelationship
    from llama_index.core.storage.docstore import SimpleDocumentStore

    store = SimpleDocumentStore.from_persist_path(str(built_index.index_dir / "current" / "docstore.json"))
    node = store.get_node("10/2025/TT-BKHCN#Điều 7, khoản 2, điểm k")
    assert node.metadata["label"] == "Điều 7, khoản 2, điểm k"
    assert node.relationships[NodeRelationship.PARENT].node_id == "10/2025/TT-BKHCN#Điều 7, khoản 2"
    assert "Trung tâm TĐC" in node.text and "mã số, mã vạch" in node.text


def test_every_piece_of_a_long_unit_carries_the_unit_head():
    from pathlib import Path

    from rag.documents.glossary import load_glossary
    from rag.documents.parse import Unit
    from rag.search.nodes import index_texts, token_counter

    text = " ".join(f"Câu số {i} nói về việc kiểm định phương tiện đo trên địa bàn tỉnh." for i in range(120))
    unit = Unit("d#Điều 5, khoản 1", "d", "clause", "Điều 5, khoản 1", "Luật Thử › Điều 5. Kiểm định", text, 0,
                len(text), article=5, clause=1, own_text=text)
    empty = load_glossary(Path("/nonexistent"))  # no glossary file: what any corpus without an overlay gets
    pieces = index_texts(unit, empty, 400)
    assert len(pieces) > 2
    assert all(p.startswith("Luật Thử › Điều 5. Kiểm định\nĐiều 5, khoản 1. ") for p in pieces)
    assert all(len(token_counter().encode(p)) <= 400 for p in pieces)
    assert index_texts(unit, empty, 100_000) == [f"Luật Thử › Điều 5. Kiểm định\nĐiều 5, khoản 1. {text}"]


def test_a_huge_unit_is_split_in_blocks_and_loses_no_sentence(monkeypatch):
    """A 30 MB one-paragraph text had failed every build (nltk's tokenizer times out on one huge
    string); blocks of at most SPLIT_BLOCK_CHARS reach the splitter instead, cut between words."""
    from pathlib import Path

    from llama_index.core.node_parser import SentenceSplitter

    import rag.search.nodes as nodes
    from rag.documents.glossary import load_glossary
    from rag.documents.parse import Unit

    text = " ".join(f"Câu số {i} nói về việc kiểm định phương tiện đo trên địa bàn tỉnh." for i in range(300))
    unit = Unit("d#Điều 5", "d", "article", "Điều 5", "Luật Thử › Điều 5. Kiểm định", text, 0, len(text),
                article=5, own_text=text)
    seen, original = [], SentenceSplitter.split_text
    monkeypatch.setattr(SentenceSplitter, "split_text", lambda self, t: seen.append(len(t)) or original(self, t))
    monkeypatch.setattr(nodes, "SPLIT_BLOCK_CHARS", 2_000)
    pieces = nodes.index_texts(unit, load_glossary(Path("/nonexistent")), 200)
    assert len(seen) >= len(text) // 2_000 and max(seen) <= 2_000
    assert all(p.startswith("Luật Thử › Điều 5. Kiểm định\nĐiều 5. ") for p in pieces)
    words = {w for p in pieces for w in p.split("\n", 1)[1].split()}
    assert set(text.split()) <= words  # every sentence's number among them: nothing lost at a cut


@pytest.mark.parametrize("text, size", [("một hai ba bốn năm", 7), ("x" * 25, 10), ("a\nbb ccc", 4)])
def test_blocks_cover_the_text_in_order_within_the_size(text, size):
    from rag.search.nodes import _blocks

    blocks = _blocks(text, size)
    assert "".join(blocks) == text and all(len(b) <= size for b in blocks)


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_damaged_index_is_detected_without_paths_and_rebuilt(tmp_path, built_index, damage):
    import shutil

    index = tmp_path / "index"
    shutil.copytree(built_index.index_dir / "current", index / "current")
    s = dataclasses.replace(built_index, index_dir=index)
    target = index / "current" / "dense.faiss"
    target.write_bytes(target.read_bytes()[:100]) if damage == "truncate" else target.unlink()
    with pytest.raises(IndexStale, match="damaged.*run `python -m rag build`") as why:
        load_index(s)
    assert str(tmp_path) not in str(why.value)
    loaded = load_index(s, rebuild=True)
    assert loaded.dense.ntotal == len(loaded.node_uids) and check_index(s)


def test_staging_folders_of_killed_builds_are_removed_at_the_next_build(tmp_path, built_index):
    import os
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = tmp_path / f".current.build-{dead.stdout.strip()}-abc"
    alive = tmp_path / f".current.build-{os.getpid()}-def"
    orphan.mkdir()
    alive.mkdir()
    build_index(dataclasses.replace(built_index, index_dir=tmp_path), progress=False)
    assert not orphan.exists() and alive.exists() and (tmp_path / "current" / "manifest.json").is_file()


def test_accent_counts_take_each_occurrence_in_the_documents_once(built_index):
    """Nested units overlap (an article's text holds its clauses'); counted per unit, a word in a
    point counted three times and outvoted a more frequent spelling ("gom" over "gồm")."""
    from rag.documents.corpus import load_documents
    from rag.text import fold

    accents = json.loads((built_index.index_dir / "current" / "accents.json").read_text(encoding="utf-8"))
    texts = [fold(d.text) for d in load_documents(built_index.data_dir)]
    for key in ("gom", "thu nghiem", "giam dinh"):
        assert accents[key][1] == sum(len(re.findall(rf"\b{key}\b", t)) for t in texts), key


def test_a_body_s_name_without_its_connectives_is_no_accent_phrase(built_index):
    """Bodies are matched by "Trung tâm Chuyển đổi số Công nghệ thông tin" too; as an accent phrase
    that spliced "số công", which then outvoted the documents' "cộng đồng" in "to cong nghe so cong dong"."""
    from rag.text import PREFERRED

    accents = json.loads((built_index.index_dir / "current" / "accents.json").read_text(encoding="utf-8"))
    assert accents["so va cong"][1] >= PREFERRED  # the name as the circular writes it
    assert accents["so cong"][1] < PREFERRED


def test_the_index_and_corpus_writes_are_readable_by_other_users(built_index, tmp_path):
    """tempfile makes files 0600 and folders 0700: a replica running as another user could not read
    the index or a document `add` wrote. They now get the umask's mode, as open() and mkdir() would."""
    import os
    import stat

    from rag.atomic import _umask, atomic_write_text, staged_dir

    index = built_index.index_dir / "current"
    assert stat.S_IMODE(index.stat().st_mode) == 0o777 & ~_umask()
    assert stat.S_IMODE((index / "manifest.json").stat().st_mode) == 0o666 & ~_umask()
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "manifest.json", "{}")
        with staged_dir(tmp_path / "folder") as tmp:
            (tmp / "x").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "manifest.json").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o750



def test_a_build_waits_for_the_one_running_and_reads_the_corpus_when_its_turn_comes(tmp_path, built_index):
    """Two writers had built at once and the one that started first finished last, leaving the older
    corpus in index/current (an outside operator's finding). One build at a time, each reading the
    corpus once its turn comes; a writer that waited finds the index current and builds nothing."""
    import shutil
    import threading
    import time

    from rag.atomic import file_lock
    from rag.documents.ingest import add_document
    from rag.search.index import BUILD_LOCK, update_index

    from sample_law import LAW, LAW_NUMBER

    data, index = tmp_path / "data", tmp_path / "index"
    shutil.copytree(built_index.data_dir, data)
    shutil.copytree(built_index.index_dir / "current", index / "current")
    s = dataclasses.replace(built_index, data_dir=data, index_dir=index)
    results = []
    with file_lock(index / BUILD_LOCK):  # another writer's build is running
        waiting = threading.Thread(target=lambda: results.append(update_index(s, progress=False)))
        waiting.start()
        time.sleep(1.0)
        assert waiting.is_alive() and not results
        (tmp_path / "law.txt").write_text(LAW, encoding="utf-8")
        add_document(tmp_path / "law.txt", data)  # the corpus changes before this writer's turn
    waiting.join(600)
    assert results and results[0][1] is True
    manifest = check_index(s)  # of the corpus as it is now, the new law included
    assert LAW_NUMBER in (index / "current" / "units.json").read_text(encoding="utf-8")
    assert update_index(s, progress=False) == (index / "current", False)  # nothing left to build
    assert check_index(s)["built_at"] == manifest["built_at"]


def test_a_replica_that_cannot_write_the_index_answers_from_it_as_it_is(tmp_path, built_index, monkeypatch, caplog):
    """A replica mounting the shared index read-only, started after the corpus changed, had tried to
    build, failed with OSError and exited: it now serves the index it has, with a warning."""
    import errno
    import shutil

    import rag.search.index as index_module

    data = tmp_path / "data"
    shutil.copytree(built_index.data_dir, data)
    with (data / "glossary.json").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    s = dataclasses.replace(built_index, data_dir=data)

    def read_only(path):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(index_module, "file_lock", read_only)  # what opening the lock file gives there
    loaded = load_index(s, rebuild=True)
    assert loaded.manifest["corpus_hash"] == check_index(built_index)["corpus_hash"]
    assert "answering from the index as it is" in caplog.text
    monkeypatch.setattr(index_module, "file_lock", lambda path: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    with pytest.raises(OSError):  # any other failure still stops the start: nothing hidden
        load_index(s, rebuild=True)
