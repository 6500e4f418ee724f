"""The retrieval pipeline, top to bottom: Query → candidates → fusion → priors → references → confidence.

Each step is a small function in its own module (`candidates`, `scoring`, `confidence`);
`Retriever.retrieve` only wires them, so this is the one place to read how a question becomes
a ranked list of units:

1. candidates: dense e5 (FAISS), BM25 over pyvi words, BM25 over diacritic-free syllables,
   each its top `candidates_per_retriever` nodes;
2. fusion: weighted min-max fusion (weights by how the question was typed), each unit's best node;
3. priors: units of the bodies the question names (and the heading it asks about), the role
   its wording points to, news below regulations unless it asks about the news;
   with two bodies named, the best unit of each follows the top one;
4. references: units the question addresses explicitly ("khoản 2 Điều 10") come first;
5. confidence: coverage of the question's topic by the top three units and dense similarity;
   zero when the question names a department the documents do not cover.

Example:
    >>> r = Retriever(get_settings()); r.warm_up()
    >>> [s.unit.label for s in r.search("Đơn vị nào phụ trách mã số mã vạch?").units[:1]]
    ['Điều 7, khoản 2, điểm k']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.documents.corpus import DocumentInfo, document_infos
from rag.documents.metadata import replaced_numbers, stated_number
from rag.documents.outline import articles_by_document
from rag.documents.glossary import Body
from rag.documents.parse import Unit, unit_label
from rag.query.lay import LayTerms
from rag.query.reading import Query, QueryReader
from rag.search import candidates, scoring
from rag.search.confidence import confidence
from rag.search.embed import Embedder
from rag.search.index import LoadedIndex, embedding_cache, load_index
from rag.search.nodes import index_text
from rag.settings import Settings
from rag.text import fold


@dataclass(frozen=True)
class ScoredUnit:
    unit: Unit
    score: float


@dataclass(frozen=True)
class Retrieval:
    query: Query
    units: list[ScoredUnit]
    confidence: float
    referenced: bool  # the question named a unit explicitly and it exists
    missing: str = ""  # the address the question names when no document (of those it names) has it: "Điều 99"
    ambiguous: tuple[str, ...] = ()  # the documents that have the address the question names, when several do

    @property
    def bodies(self) -> tuple[Body, ...]:
        return self.query.bodies

    @property
    def out_of_scope(self) -> str | None:
        """The uncovered department the question names, if any."""
        return self.query.foreign


class Retriever:
    def __init__(self, settings: Settings, index: LoadedIndex | None = None, embedder: Embedder | None = None):
        self.settings = settings
        self._index = index
        self.embedder = embedder or Embedder(settings.embed_model, settings.model_dir, backend=settings.embed_backend,
                                             cache=embedding_cache(settings))  # passages: the eval's baselines
        self._terms: dict[str, set[str]] = {}
        self._headlines: dict[str, str] = {}
        self._other_topics = np.zeros((0, 1), np.float32)
        self.reader: QueryReader | None = None
        self.documents: dict[str, DocumentInfo] = {}  # doc_id → what answers say about each document
        self._news: frozenset[str] = frozenset()  # doc_ids of the news articles

    def warm_up(self) -> None:
        """Load the index (building it when missing or stale), the embedding model and the query reader."""
        if self._index is None:
            self._index = load_index(self.settings, rebuild=True)
        self.embedder.warm_up()
        self._terms = _unit_terms(self.index)
        self._headlines = scoring.headlines(self.index.units)
        topics = list(self.index.glossary.other_topics)
        self._other_topics = self.embedder.queries(topics) if topics else np.zeros((0, self.embedder.dim), np.float32)
        self.documents = document_infos(self.settings.data_dir)
        self._news = frozenset(d.doc_id for d in self.documents.values() if d.is_news)
        names = {d.doc_id: d.names for d in self.documents.values()}
        stated = frozenset(fold(n) for u in self.index.units.values()
                           if u.kind == "preamble" and (n := stated_number(u.text)))
        # known numbers: a document added under another doc_id keeps its number; a document a loaded one
        # replaces is answered from the clause that replaces it ("Quyết định 15/2019/QĐ-UBND còn hiệu lực không?")
        replaced = frozenset(fold(n) for articles in articles_by_document(self.index.units.values()).values()
                             for n in replaced_numbers("\n".join(u.text for u in articles)))
        regulation, news = _vocabularies(self.index, self._terms, self._news)
        vocabulary = regulation | news
        lay = LayTerms(lambda phrase: _known(phrase, vocabulary), skip=frozenset(self.index.glossary.lay_terms))
        self.reader = QueryReader(self.index.glossary, self.index.accents, frozenset(news - regulation), names, lay,
                                  known_numbers=stated | replaced)

    @property
    def loaded(self) -> bool:
        return self._index is not None and self.embedder.loaded

    @property
    def index(self) -> LoadedIndex:
        if self._index is None:
            raise RuntimeError("Retriever not loaded: call warm_up() first")
        return self._index

    def read(self, question: str, history: list[dict] | tuple = (), standalone: str | None = None) -> Query:
        """The question read against this index's knowledge (see `rag.query.reading`)."""
        if self.reader is None:
            raise RuntimeError("Retriever not loaded: call warm_up() first")
        return self.reader.read(question, history, standalone)

    def search(self, question: str, top_k: int | None = None) -> Retrieval:
        """Read a standalone question and retrieve for it (the CLI's and the benchmarks' entry)."""
        return self.retrieve(self.read(question), top_k)

    def retrieve(self, query: Query, top_k: int | None = None) -> Retrieval:
        """Ranked units for `query`, best first, with a confidence signal for abstention."""
        ix, s = self.index, self.settings
        qv = self.embedder.queries([query.dense])
        found = [candidates.dense(ix, qv, s.candidates_per_retriever),
                 candidates.bm25_words(ix, query.lexical, s.candidates_per_retriever),
                 candidates.bm25_folded(ix, query.lexical, s.candidates_per_retriever)]
        fused = scoring.fuse(found, scoring.weights_for(query, s), ix.node_uids)
        body_articles = set(query.defining) or {a for b in query.bodies for a in b.articles}

        folded = {h: fold(h) for h in (*query.titles, *query.aspects)}

        def heading(unit: Unit, headings: tuple[str, ...]) -> bool:
            return scoring.under_heading(unit, tuple(folded[h] for h in headings), ix.units, self._headlines)

        ranked = sorted(((uid, f + scoring.prior(ix.units[uid], query, s, body_articles, heading, self._news))
                         for uid, f in fused.items()), key=lambda kv: -kv[1])
        ranked = scoring.one_per_body(ranked, ix.units, query.bodies)
        # "Điều 3 quy định gì?" with several documents loaded: each one's Điều 3, in the documents' order
        referenced = ix.at(query.reference, query.documents) or (  # "Quyết định 12/2026 ban hành ngày nào?"
            ix.preamble(query.documents[0], tuple(fold(t) for t in query.titles))
            if len(query.documents) == 1 and query.titles else [])
        having = tuple(dict.fromkeys(u.doc_id for u in referenced))
        head = [ScoredUnit(u, round(ranked[0][1] + 1.0, 4) if ranked else 1.0) for u in referenced]
        seen = {u.uid for u in referenced}
        spread = scoring.spread_articles(ranked, ix.units, s.article_spread)
        units = head + [ScoredUnit(ix.units[uid], round(sc, 4)) for uid, sc in spread if uid not in seen]
        units = units[:top_k or s.top_k]
        missing = _missing(ix, query) if not referenced else ""
        if query.foreign or missing or query.unknown_document:
            conf = 0.0
        elif referenced:
            conf = 1.0
        else:
            dense_top = float(found[0].scores[0]) if len(found[0].scores) else 0.0
            other = float((self._other_topics @ qv[0]).max()) if len(self._other_topics) else 0.0
            other = max(other, self._topic_other(query, dense_top))
            best = [uid for uid, _ in ranked[:3]]  # the best-scoring units, before articles are spread out
            conf = confidence(query, set().union(*(self._terms[uid] for uid in best)), dense_top, other, s)
        return Retrieval(query, units, conf, bool(referenced), missing, having if len(having) > 1 else ())

    def _topic_other(self, query: Query, dense_top: float) -> float:
        """The similarity to an uncovered area that `confidence` must see for the question's topic
        alone, when it names a body (else 0). Why: a body's name pulls a question towards the
        documents that define that body. "Sở KHCN có nhiệm vụ cấp giấy chứng nhận quyền sử dụng
        đất không?" was answered from the Sở's licensing clause (confidence 0.85); its topic
        without the name ("cấp giấy chứng nhận quyền sử dụng đất") lies nearer the uncovered area
        "đất đai, sổ đỏ, …" (0.95) than any unit (0.86). A gap within `topic_other_margin` does
        not count: everyday wording ("tiệm net") sits about as near both."""
        margin = self.settings.topic_other_margin
        if not query.bodies or not len(self._other_topics) or not re.search(r"\w", query.lexical):
            return 0.0
        tv = self.embedder.queries([query.lexical])
        nearest = candidates.dense(self.index, tv, 1).scores
        gap = (float(nearest[0]) if len(nearest) else 0.0) - float((self._other_topics @ tv[0]).max())
        return dense_top - gap - margin if gap < -margin else 0.0


def _missing(ix: LoadedIndex, query: Query) -> str:
    """"Điều 99" when the question names that address and no document has it (of those named, if any).
    Why: ranked as usual, "Điều 99 nói gì?" was answered with confidence from Điều 10 and Điều 11; an
    address that is ambiguous (several documents have it) is not missing."""
    ref = query.reference
    if "article" not in ref or ix.at(ref, query.documents):
        return ""
    return unit_label(ref["article"], ref.get("clause"), ref.get("point"))


def _unit_terms(ix: LoadedIndex) -> dict[str, set[str]]:
    """Folded syllables and syllable bigrams of each unit's indexed text (for topic coverage)."""
    out = {}
    for uid, u in ix.units.items():
        syl = re.findall(r"\w+", fold(index_text(u, ix.glossary) + " " + u.text))
        out[uid] = set(syl) | {f"{a} {b}" for a, b in zip(syl, syl[1:])}
    return out


def _known(phrase: str, vocabulary: set[str]) -> bool:
    """Whether the documents use `phrase`: each of its folded syllable pairs (or its one syllable)
    occurs in some unit."""
    syl = re.findall(r"\w+", fold(phrase))
    keys = [f"{a} {b}" for a, b in zip(syl, syl[1:])] or syl
    return bool(keys) and all(k in vocabulary for k in keys)


def _vocabularies(ix: LoadedIndex, terms: dict[str, set[str]], news_docs: frozenset[str]) -> tuple[set[str], set[str]]:
    """The terms of the documents' units and of the news paragraphs. Together they are what the
    documents use (for the lay terms); words only the news use (provinces, people) tell a question
    about the news."""
    regulation = set().union(*(v for k, v in terms.items() if ix.units[k].doc_id not in news_docs))
    news = set().union(*(v for k, v in terms.items() if ix.units[k].doc_id in news_docs))
    return regulation, news


def unit_record(scored: ScoredUnit) -> dict:
    """The JSON shape of a retrieved unit in `retrieve --jsonl` and `ask --jsonl` output."""
    u = scored.unit
    return {"doc_id": u.doc_id, "annex": u.annex, "article": u.article, "clause": u.clause, "point": u.point,
            "label": u.label, "score": float(scored.score), "text": u.text}
