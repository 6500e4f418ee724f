"""Build, persist and load the retrieval index (FAISS dense + two BM25 variants) under `index/`.

Design choices:
- FAISS is used directly (`IndexFlatIP` over unit-length e5 vectors), not through llama-index's
  `FaissVectorStore`: the corpus is a few hundred units, exact search over all of them costs
  well under a millisecond, and fusion needs every unit's score, which a top-k vector store
  API does not give. llama-index keeps what it is good at: the node schema, its docstore
  persistence and the token-budget splitter.
- BM25 uses `bm25s` directly with our own tokens (pyvi words; diacritic-free syllables and
  bigrams), because llama-index's BM25 retriever defaults to English stemming and stopwords.
- The build writes to a temporary folder and renames it over `index/current`, so a crash
  never leaves a half-written index; `manifest.json` says what the index was built from.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import hashlib
import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


from rag.search.embed import Embedder, embedding_key
from rag.search.embed_cache import EmbeddingCache
from rag.documents.glossary import Glossary, load_glossary
from rag.documents.corpus import NEWS_KINDS, corpus_hash, load_documents
from rag.search.nodes import build_nodes
from rag.documents.parse import Unit, defined_aliases, parse_document
from rag.atomic import file_lock, remove_orphans, staged_dir
from rag.documents.ingest import corpus_lock
from rag.query.words import LEXICON_FILE, lexicon
from rag.settings import Settings
from rag.text import accent_table, fold, folded_terms, passage_words, plain_name, vietnamese_words

log = logging.getLogger(__name__)
FORMAT_VERSION = 14  # 14: folded text writes a final "y" after a consonant "i"; 13: a document without articles
# keeps its number-and-date and signature blocks; 12: annexes
BUILD_LOCK = ".build.lock"  # in the index folder: one build at a time, across processes and machines
_LIBS = ("faiss-cpu", "bm25s", "sentence-transformers", "llama-index-core", "pyvi", "torch")


class IndexStale(RuntimeError):
    """The index is missing or was built from something else; the message says what to run."""


def parse_corpus(data_dir: Path) -> tuple[list[Unit], Glossary]:
    """Every unit of every manifest document, and the glossary (file + short names the text defines)."""
    docs = load_documents(data_dir)
    units = [u for doc in docs for u in parse_document(doc)]
    glossary = load_glossary(data_dir, defined_aliases(units))
    return units, glossary.without_covered([d.text for d in docs if d.kind not in NEWS_KINDS and d.doc_id != glossary.doc_id])


def _accent_phrases(glossary: Glossary) -> list[str]:
    """The lay terms and the bodies' names as a text writes them. Not a name's plain variant (its
    connectives dropped, for matching): "trung tâm chuyển đổi số công nghệ thông tin" puts "số
    công" side by side, and as a phrase that pair outvoted the documents' "cộng đồng" in "tổ công
    nghệ số cộng đồng" typed without accents."""
    names = [n for b in glossary.bodies for n in b.names]
    spliced = {plain for n in names if (plain := plain_name(n)) != n}
    return [*glossary.lay_terms, *(n for n in names if n not in spliced)]


def _fingerprint(settings: Settings) -> dict:
    """What the index was built from: the index is stale when any of it changes (the lexicon feeds
    the accent table)."""
    lexicon_hash = hashlib.sha256(LEXICON_FILE.read_bytes()).hexdigest()[:16]
    return {"format": FORMAT_VERSION, "corpus_hash": corpus_hash(settings.data_dir), "model": embedding_key(settings.embed_model, settings.embed_backend),
            "chunk_tokens": settings.chunk_tokens, "lexicon": lexicon_hash}


def _bm25s():
    """The bm25s module, quiet: importing it sets its own logger to DEBUG, which printed "Building
    index from tokens" into every build, so the level is set after the import."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def _bm25(token_lists: list[list[str]]):
    bm = _bm25s().BM25(k1=1.2, b=0.75)
    bm.index(token_lists, show_progress=False)
    return bm


def embedding_cache(settings: Settings) -> EmbeddingCache:
    """The passage-embedding cache of this installation (shared by every build with the same model)."""
    return EmbeddingCache(settings.cache_dir / "embeddings.sqlite3", embedding_key(settings.embed_model, settings.embed_backend))


def build_index(settings: Settings, embedder: Embedder | None = None, progress: bool = True) -> Path:
    """Parse, embed and index the corpus into `settings.index_dir / "current"`; returns that path."""
    import faiss
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from tqdm import tqdm

    t0 = time.perf_counter()
    steps = tqdm(total=4, desc="Xây dựng chỉ mục", disable=not progress, unit="bước")
    # What the corpus was before it is read: a document added or removed while this build runs
    # leaves the index stale (rebuilt at the next check), never stamped as the new corpus.
    fingerprint = _fingerprint(settings)
    units, glossary = parse_corpus(settings.data_dir)
    nodes = build_nodes(units, glossary, settings.chunk_tokens)
    steps.update()
    embedder = embedder or Embedder(settings.embed_model, settings.model_dir, cache=embedding_cache(settings),
                                   backend=settings.embed_backend)
    vecs = embedder.passages([n.text for n in nodes], progress=progress)
    steps.update()
    dense = faiss.IndexFlatIP(vecs.shape[1])
    dense.add(vecs)
    bm_words = _bm25([passage_words(n.text) for n in nodes])
    bm_folded = _bm25([folded_terms(n.text) for n in nodes])
    steps.update()

    for orphan in remove_orphans(settings.index_dir / "current"):
        log.warning("removed %s, left by a build that did not finish", orphan)
    with staged_dir(settings.index_dir / "current") as tmp:
        faiss.write_index(dense, str(tmp / "dense.faiss"))
        bm_words.save(str(tmp / "bm25_words"), show_progress=False)
        bm_folded.save(str(tmp / "bm25_folded"), show_progress=False)
        docstore = SimpleDocumentStore()
        docstore.add_documents(nodes)
        docstore.persist(str(tmp / "docstore.json"))
        _write_json(tmp / "units.json", [dataclasses.asdict(u) for u in units])
        _write_json(tmp / "glossary.json", dataclasses.asdict(glossary))
        _write_json(tmp / "accents.json", accent_table([u.own_text for u in units], lexicon()["accent_words"],
                                                       dictionary=vietnamese_words(), phrases=_accent_phrases(glossary)))
        manifest = {**fingerprint, "dim": int(vecs.shape[1]), "units": len(units), "nodes": len(nodes),
                    "node_ids": [n.node_id for n in nodes], "node_uids": [n.metadata["uid"] for n in nodes],
                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "build_seconds": round(time.perf_counter() - t0, 2),
                    "libraries": {lib: _version(lib) for lib in _LIBS}}
        manifest["checksums"] = _checksums(tmp)
        _write_json(tmp / "manifest.json", manifest)
    steps.update()
    steps.close()
    log.info("index built: %d units, %d nodes in %.1fs", len(units), len(nodes), time.perf_counter() - t0)
    return settings.index_dir / "current"


def update_index(settings: Settings, embedder: Embedder | None = None, progress: bool = True, force: bool = False,
                 snapshot: bool = False) -> tuple[Path, bool]:
    """Build the index unless it is already of the corpus as it is now (`force`: build anyway), one
    build at a time: returns its path and whether this call built it.

    Why the lock: two writers (an upload on the admin replica, `rag add` on another machine) had
    built at once, and the one that started first finished last, leaving the older corpus in
    `index/current`; two replicas started together both built. Holding the index folder's build
    lock, a build reads the corpus as it is once its turn comes, so the last build is of the newest
    corpus, and a writer that waited finds the index already current. `snapshot`: build from a copy
    of the corpus taken under the corpus lock (the admin page: no half-done edit of another process
    is read, and the hash stamped is of the bytes embedded)."""
    with file_lock(settings.index_dir / BUILD_LOCK), _source(settings, snapshot) as source:
        if not force:
            with contextlib.suppress(IndexStale):
                check_index(source)
                return settings.index_dir / "current", False
        return build_index(source, embedder, progress), True


@contextlib.contextmanager
def _source(settings: Settings, snapshot: bool):
    """`settings`, or the same with `data_dir` a copy of the corpus taken under its lock."""
    if not snapshot:
        yield settings
        return
    with tempfile.TemporaryDirectory(prefix="rag-corpus-") as tmp:
        copy = Path(tmp) / "data"
        with corpus_lock(settings.data_dir):
            shutil.copytree(settings.data_dir, copy)
        yield dataclasses.replace(settings, data_dir=copy)


def _version(lib: str) -> str:
    try:
        return metadata.version(lib)
    except metadata.PackageNotFoundError:
        return "absent"


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, default=str), encoding="utf-8")


@dataclass
class LoadedIndex:
    units: dict[str, Unit]
    node_uids: list[str]
    glossary: Glossary
    dense: object
    bm_words: object
    bm_folded: object
    manifest: dict
    accents: dict[str, tuple[str, int]]  # folded n-gram -> (accented form, count), see text.restore_diacritics

    def at(self, reference: dict, documents: tuple[str, ...] = ()) -> list[Unit]:
        """Every unit at an explicit address ({"article": 7, "clause": 2, "point": "k"}) in the
        documents named (in any document when none is named); [] without an article. In a decision
        that issues a regulation, "Điều 2" is the decision's own (read first), "Điều 9" the one of
        the regulation when the decision has no Điều 9, and "Điều 2 của Quy chế kèm theo" (`annex`)
        the regulation's."""
        if "article" not in reference:
            return []
        want = (reference.get("article"), reference.get("clause"), reference.get("point"))
        found = [u for u in self.units.values() if u.kind in ("article", "clause", "point")
                 and (u.article, u.clause, u.point) == want and (not documents or u.doc_id in documents)]
        first = {}  # per document, the text the address is read in: its own articles, else its first annex
        annex_first = bool(reference.get("annex"))  # "Điều 3 của Quy chế kèm theo …": the annex, if there is one
        for u in sorted(found, key=lambda u: (annex_first == (u.annex == ""), u.start)):
            first.setdefault(u.doc_id, u.annex)
        return [u for u in found if u.annex == first[u.doc_id]]

    def preamble(self, doc_id: str, labels: tuple[str, ...]) -> list[Unit]:
        """The first preamble unit of `doc_id` under each of `labels` (folded: "so hieu, ngay ban
        hanh", "phan mo dau"), in document order: where its number, date and issuer are."""
        found = self._preambles.get(doc_id, {})
        return sorted((found[label] for label in set(labels) if label in found), key=lambda u: u.start)

    @functools.cached_property
    def _preambles(self) -> dict[str, dict[str, Unit]]:
        """doc_id → folded preamble label → its first unit; built once, not per question."""
        out: dict[str, dict[str, Unit]] = {}
        for u in sorted((u for u in self.units.values() if u.kind == "preamble"), key=lambda u: u.start):
            out.setdefault(u.doc_id, {}).setdefault(fold(u.label), u)
        return out


def _checksums(root: Path) -> dict[str, str]:
    """sha256 of every file of an index folder (relative names), recorded in its manifest."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def check_index(settings: Settings, current: bool = True) -> dict:
    """The manifest of a usable index, or `IndexStale` saying why and what to run (no paths: the
    message may reach a user). `current=False`: intact is enough, of whatever corpus."""
    root = settings.index_dir / "current"
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexStale("No index yet: run `python -m rag build`") from None
    except (OSError, ValueError):
        raise IndexStale("The index manifest is damaged: run `python -m rag build`") from None
    changed = [k for k, v in _fingerprint(settings).items() if manifest.get(k) != v] if current else []
    if changed:
        raise IndexStale(f"The index is out of date ({', '.join(changed)} changed): run `python -m rag build`")
    damaged = [name for name, digest in manifest.get("checksums", {}).items()
               if not (root / name).is_file() or hashlib.sha256((root / name).read_bytes()).hexdigest() != digest]
    if damaged:
        raise IndexStale(f"The index is damaged ({', '.join(damaged[:3])} changed on disk): run `python -m rag build`")
    return manifest


def load_index(settings: Settings, rebuild: bool = False, progress: bool = False) -> LoadedIndex:
    """Load the persisted index; with `rebuild`, build it first when missing, stale or damaged
    (checksums in its manifest), else `IndexStale` with what to run."""
    try:
        manifest = check_index(settings)
    except IndexStale as why:
        if not rebuild:
            raise
        manifest = _rebuilt_or_as_is(settings, why, progress)
    root = settings.index_dir / "current"
    try:
        return _read(root, manifest)
    except Exception as e:  # noqa: BLE001 - any unreadable file: one clear line, no library internals
        log.warning("index unreadable (%s)", e.__class__.__name__)
        if not rebuild:
            raise IndexStale("The index could not be read: run `python -m rag build`") from None
        update_index(settings, progress=progress, force=True)
        return _read(root, check_index(settings))


def _rebuilt_or_as_is(settings: Settings, why: IndexStale, progress: bool) -> dict:
    """The manifest after a build (or after the build another process was running), or, when this
    machine cannot write the index folder (a replica mounting shared storage read-only), the index
    as it is, with a warning. Why: such a replica had tried to build, failed and exited."""
    log.warning("%s; rebuilding now", why)
    try:
        update_index(settings, progress=progress)  # the build lock is taken first: a read-only folder fails at once
    except OSError as e:
        if e.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        manifest = check_index(settings, current=False)  # IndexStale when missing or damaged: nothing to serve
        log.warning("the index folder cannot be written here (%s): answering from the index as it is", e.strerror)
        return manifest
    return check_index(settings)


def _read(root: Path, manifest: dict) -> LoadedIndex:
    import faiss

    bm25s = _bm25s()

    units = {d["uid"]: Unit(**d) for d in json.loads((root / "units.json").read_text(encoding="utf-8"))}
    glossary = Glossary.from_dict(json.loads((root / "glossary.json").read_text(encoding="utf-8")))
    return LoadedIndex(
        units=units, node_uids=manifest["node_uids"], glossary=glossary,
        dense=faiss.read_index(str(root / "dense.faiss")),
        bm_words=bm25s.BM25.load(str(root / "bm25_words"), show_progress=False),
        bm_folded=bm25s.BM25.load(str(root / "bm25_folded"), show_progress=False),
        manifest=manifest,
        accents={k: tuple(v) for k, v in json.loads((root / "accents.json").read_text(encoding="utf-8")).items()},
    )
