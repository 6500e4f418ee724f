"""Hybrid retrieval over units: dense e5 + BM25 on words + BM25 on diacritic-free text, fused.

Pipeline for one question (each step a small function below):
1. normalise (NFC, tone marks) and expand abbreviations and English domain terms (glossary);
2. resolve explicit references ("điểm k khoản 11 Điều 2", "khoản 2 Điều 10") straight to units;
3. score every node with the three retrievers, min-max normalise each, take a weighted sum
   (queries typed without diacritics lean on the folded BM25; body names are left to step 4
   so that lexical matching looks at the topic), keep each unit's best node;
4. structural priors: units of the body the question names, the clause that answers a generic
   "có nhiệm vụ gì" about that body, and the circular over news unless the question names
   something only the news mention (a province, a person); with two bodies named, the best
   unit of each comes right after the top one;
5. confidence in [0, 1] from how much of the question's topic the top units cover and the dense
   similarity; zero when the question is about a department these documents do not cover.

Example:
    >>> r = Retriever(get_settings()); r.warm_up()
    >>> [s.unit.label for s in r.retrieve("Đơn vị nào phụ trách mã số mã vạch?").units[:1]]
    ['Điều 7, khoản 1']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .embed import Embedder
from .glossary import Body
from .index import LoadedIndex, load_index
from .nodes import index_text
from .parse import POINT_LETTERS, Unit
from .settings import Settings
from .text import fold, folded_terms, has_diacritics, normalize, restore_diacritics, words

# Fusion weights and priors, tuned on eval/golden.jsonl (see eval/README.md).
WEIGHTS_ACCENTED = {"dense": 0.45, "words": 0.30, "folded": 0.25}
WEIGHTS_UNACCENTED = {"dense": 0.45, "words": 0.15, "folded": 0.40}  # accents restored from the corpus
WEIGHTS_ENGLISH = {"dense": 0.5, "words": 0.25, "folded": 0.25}  # after the glossary adds Vietnamese terms
BODY_BONUS = 0.3  # the question names the body whose article this is
ASPECT_BONUS = 0.25  # "Trung tâm TĐC có nhiệm vụ gì?": the body's "Nhiệm vụ, quyền hạn" clause
NEWS_PENALTY = 0.1  # most questions are about the circular; news wins on its own facts
ROLE_BONUS = 0.15  # "đơn vị nào", "liên hệ ở đâu" → the service centres; "cơ quan nào" → Sở / Phòng
OTHER_TOPIC_WEIGHT = 4.0  # confidence falls (never rises) as a question looks more like tax, land, marriage… than any unit
_ENGLISH = set("the of what which who whom when where does do is are under in for to and how handles take effect "
               "duties body centre center".split())
_STOP = set(fold(
    "nào gì ai đâu sao bao nhiêu không có là của và thì được cho về với những các này đó ở tại trong theo "
    "hay hoặc tôi muốn cần phải làm như thế nào ạ vậy ơi nhỉ đơn vị cơ quan bộ phận phụ trách chịu trách nhiệm "
    "nhiệm vụ quyền hạn việc liên hệ hỏi xin cho biết ra sao khi nếu mình em anh chị bên thuộc quy định "
    "còn thì nói gì nội dung"
).split())
# Question scaffolding that says nothing about the topic; dropped from the lexical query only
# (the dense query keeps the whole question). "chịu trách nhiệm" would otherwise match every
# "Giám đốc ... chịu trách nhiệm trước ..." clause.
QUESTION_PHRASES = sorted((normalize(p) for p in (
    "chịu trách nhiệm", "phụ trách", "đơn vị nào", "cơ quan nào", "bộ phận nào", "ai", "nào", "gì", "ở đâu", "đâu",
    "liên hệ", "hỏi ai", "hỏi", "tìm", "thì", "không", "có", "là", "được", "như thế nào", "thế nào", "ra sao", "sao",
    "tôi", "muốn", "cần", "xin", "cho biết", "vậy", "ạ", "nhỉ", "làm sao", "bao nhiêu", "những", "các", "của",
    "theo thông tư", "quy định", "nội dung", "nói gì", "nói về", "còn", "thế còn",
)), key=len, reverse=True)
_REF = {
    "article": re.compile(r"\bdieu\s+(\d{1,2})\b"),
    "clause": re.compile(r"\bkhoan\s+(\d{1,2})\b"),
    "point": re.compile(rf"\bdiem\s+({'|'.join(fold(p) for p in POINT_LETTERS)})\b(?!\w)"),
}


@dataclass(frozen=True)
class ScoredUnit:
    unit: Unit
    score: float


@dataclass(frozen=True)
class Retrieval:
    question: str
    query: str  # normalised and expanded
    units: list[ScoredUnit]
    confidence: float
    referenced: bool  # the question named a unit explicitly and it exists
    out_of_scope: str | None = None  # the uncovered department the question names, if any
    bodies: tuple[Body, ...] = ()  # the bodies the question names and asks to act


def first_of_each_body(ranked: list, bodies, article) -> list:
    """The first item of `ranked` in each body's articles (`article(item)` gives an item's article)."""
    return [x for x in (next((x for x in ranked if article(x) in b.articles), None) for b in bodies) if x is not None]


def one_per_body(ranked: list[tuple[str, float]], units: dict[str, Unit], bodies: list) -> list[tuple[str, float]]:
    """With two or more bodies named ("Sở và Phòng Văn hóa - Xã hội làm gì về bưu chính?"), the best
    unit of each named body follows the top one, so a comparison sees every side. Order, not score,
    is then the rank."""
    if len(bodies) < 2 or not ranked:
        return ranked
    best = first_of_each_body(ranked, bodies, lambda pair: units[pair[0]].article)
    lifted = sorted({pair for pair in best if pair != ranked[0]}, key=lambda pair: -pair[1])
    return [ranked[0], *lifted, *(pair for pair in ranked[1:] if pair not in lifted)]


def _minmax(x: np.ndarray) -> np.ndarray:
    span = float(x.max() - x.min())
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def _bm25_scores(bm, tokens: list[str], n: int) -> np.ndarray:
    vocab = bm.vocab_dict
    known = [t for t in tokens if t in vocab]
    return np.asarray(bm.get_scores(known), dtype=np.float32) if known else np.zeros(n, np.float32)


def is_english(question: str) -> bool:
    tokens = re.findall(r"[a-z]+", question.lower())
    return not has_diacritics(question) and sum(t in _ENGLISH for t in tokens) >= 2


def _weights(question: str) -> dict[str, float]:
    if is_english(question):
        return WEIGHTS_ENGLISH
    return WEIGHTS_ACCENTED if has_diacritics(question) else WEIGHTS_UNACCENTED


def strip_question_words(text: str) -> str:
    """The question without its scaffolding ("ai", "ở đâu", "chịu trách nhiệm"): the topic words."""
    accented = has_diacritics(text)
    out = f" {normalize(text).lower() if accented else fold(text)} "
    for phrase in QUESTION_PHRASES:
        key = phrase.lower() if accented else fold(phrase)
        out = re.sub(rf"(?<![\w&]){re.escape(key)}(?![\w&])", " ", out)
    return " ".join(out.split())


def content_words(text: str) -> list[str]:
    """Folded syllables of `text` that carry its topic (question words and fillers dropped)."""
    return [t for t in re.findall(r"\w+", fold(text)) if t.isalpha() and t not in _STOP]


def parse_references(question: str) -> dict[str, int | str]:
    """Explicit legal address in a question, e.g. {"article": 2, "clause": 11, "point": "k"}."""
    folded = fold(question)
    ref: dict[str, int | str] = {}
    for key, rx in _REF.items():
        m = rx.search(folded)
        if m:
            ref[key] = int(m.group(1)) if key != "point" else m.group(1)
    if "point" in ref:  # folding turns "đ" into "d": take the letter as typed when it was typed
        typed = re.search(rf"(?i)điểm\s+({'|'.join(POINT_LETTERS)})(?!\w)", normalize(question))
        ref["point"] = typed.group(1).lower() if typed else ref["point"]
    return ref


class Retriever:
    def __init__(self, settings: Settings, index: LoadedIndex | None = None, embedder: Embedder | None = None):
        self.settings = settings
        self._index = index
        self.embedder = embedder or Embedder(settings.embed_model, settings.model_dir)
        self._vocab: dict[str, set[str]] = {}
        self._news_only: set[str] = set()
        self._other_topics: np.ndarray | None = None

    def warm_up(self) -> None:
        """Load the index (building it when missing or stale) and the embedding model."""
        if self._index is None:
            self._index = load_index(self.settings, rebuild=True)
        self.embedder.warm_up()
        self._unit_terms()
        topics = list(self.index.glossary.other_topics)
        self._other_topics = self.embedder.queries(topics) if topics else np.zeros((0, self.embedder.dim), np.float32)

    @property
    def index(self) -> LoadedIndex:
        if self._index is None:
            raise RuntimeError("Retriever not loaded: call warm_up() first")
        return self._index

    def _unit_terms(self) -> dict[str, set[str]]:
        """Folded syllables and syllable bigrams of each unit's indexed text; plus corpus-wide sets."""
        if not self._vocab:
            ix = self.index
            for uid, u in ix.units.items():
                syl = re.findall(r"\w+", fold(index_text(u, ix.glossary) + " " + u.text))
                self._vocab[uid] = set(syl) | {f"{a} {b}" for a, b in zip(syl, syl[1:])}
            regulation = set().union(*(v for k, v in self._vocab.items() if ix.units[k].kind != "paragraph"))
            news = set().union(*(v for k, v in self._vocab.items() if ix.units[k].kind == "paragraph"))
            self._news_only = news - regulation
        return self._vocab

    def _topic_terms(self, question: str) -> list[str]:
        """Content words of the question's topic: body names removed, abbreviations expanded then dropped."""
        g = self.index.glossary
        abbreviations = {t for a in g.expansions for t in re.findall(r"\w+", fold(a))}
        text = g.expand(g.residual(question)) if not is_english(question) else g.expand(question)[len(question):]
        return [t for t in content_words(text) if t not in abbreviations]

    def _node_scores(self, qv: np.ndarray, lexical_query: str) -> dict[str, np.ndarray]:
        ix, n = self.index, len(self.index.node_uids)
        dense_scores, dense_ids = ix.dense.search(qv, n)
        dense = np.zeros(n, np.float32)
        dense[dense_ids[0]] = dense_scores[0]
        return {"dense": dense, "words": _bm25_scores(ix.bm_words, words(lexical_query), n),
                "folded": _bm25_scores(ix.bm_folded, folded_terms(lexical_query), n)}

    def _about_news(self, question: str) -> bool:
        """The question names something only the news mention (a province, a person)."""
        self._unit_terms()
        return bool(set(self._topic_terms(question)) & self._news_only)

    def _priors(self, question: str, bodies: list, about_news: bool, defining: set[int]) -> dict[str, float]:
        """Structural bonuses: the body a question names, the aspect it asks about, news vs circular.

        `defining`: the articles of a cue that outweighs the bodies named ("ai quy định chức năng
        của Phòng …?": the Phòng is being defined, the ones acting are those of Điều 12)."""
        ix, g = self.index, self.index.glossary
        if defining:
            articles, cued = defining, set()
        else:
            articles = {a for b in bodies for a in b.articles}
            cued = set() if bodies or about_news else g.cued_articles(question)
        headings = g.aspects_in(question) if bodies and not content_words(g.residual(question)) else []
        prior: dict[str, float] = {}
        for uid, u in ix.units.items():
            bonus = -NEWS_PENALTY if u.kind == "paragraph" and not about_news else 0.0
            if u.article in cued and u.kind != "preamble":
                bonus += ROLE_BONUS
            if u.article in articles and u.kind != "preamble":
                bonus += BODY_BONUS
                if headings and self._under_heading(u, headings):
                    bonus += ASPECT_BONUS
            prior[uid] = bonus
        return prior

    def _under_heading(self, unit: Unit, headings: list[str]) -> bool:
        """True when the unit or one of its ancestors is headed by one of `headings`."""
        u: Unit | None = unit
        while u is not None:
            first_line = fold(u.own_text.split("\n", 1)[0])
            if any(fold(h) in first_line for h in headings):
                return True
            u = self.index.units.get(u.parent) if u.parent else None
        return False

    def _referenced_units(self, question: str) -> list[Unit]:
        ref = parse_references(question)
        if "article" not in ref:
            return []
        want = (ref.get("article"), ref.get("clause"), ref.get("point"))
        return [u for u in self.index.units.values()
                if u.kind in ("article", "clause", "point") and (u.article, u.clause, u.point) == want]

    def _confidence(self, question: str, top: list[Unit], dense_top: float, qv: np.ndarray) -> float:
        """Coverage of the question's topic by the top units (syllables, bigrams), dense similarity,
        and how much closer the question is to the corpus than to areas it does not cover."""
        syl = self._topic_terms(question) or content_words(question)
        if not syl:
            return 0.0
        bigrams = [f"{a} {b}" for a, b in zip(syl, syl[1:])]
        seen = set().union(*(self._unit_terms()[u.uid] for u in top))
        cov1 = sum(t in seen for t in syl) / len(syl)
        cov2 = sum(t in seen for t in bigrams) / len(bigrams) if bigrams else cov1
        dense_part = float(np.clip((dense_top - 0.78) / 0.1, 0.0, 1.0))
        other = float((self._other_topics @ qv[0]).max()) if len(self._other_topics) else 0.0
        score = 0.3 * cov1 + 0.45 * cov2 + 0.25 * dense_part + OTHER_TOPIC_WEIGHT * min(0.0, dense_top - other)
        return round(float(np.clip(score, 0.0, 1.0)), 4)

    def retrieve(self, question: str, top_k: int | None = None) -> Retrieval:
        """Ranked units for `question`, best first, with a confidence signal for abstention."""
        top_k = top_k or self.settings.top_k
        ix, g = self.index, self.index.glossary
        weights, english = _weights(question), is_english(question)
        if not has_diacritics(question) and not english:
            question = restore_diacritics(question, ix.accents)
        query = g.expand(normalize(question))
        subject = "; ".join(g.english_terms(question)) if english else question  # Vietnamese wording, for the priors
        topic = g.residual(subject)  # body names are handled by the priors, not matched as words
        about_news = self._about_news(question)
        named = [] if about_news else g.bodies_in(subject)
        defining = g.cued_articles(subject, overriding=True)
        bodies = [] if defining else named  # the bodies that act; a defined body is what is asked about
        lexical = g.expand(topic) if named and content_words(topic) else query
        lexical = strip_question_words(lexical) or lexical
        qv = self.embedder.queries([query])
        raw = self._node_scores(qv, lexical)
        fused = sum(w * _minmax(raw[name]) for name, w in weights.items() if w)
        by_unit: dict[str, float] = {}
        for uid, s in zip(ix.node_uids, fused.tolist()):
            by_unit[uid] = max(by_unit.get(uid, 0.0), s)
        prior = self._priors(subject, bodies, about_news, defining)
        ranked = sorted(((uid, s + prior[uid]) for uid, s in by_unit.items()), key=lambda kv: -kv[1])
        ranked = one_per_body(ranked, ix.units, bodies)
        referenced = self._referenced_units(question)
        head = [ScoredUnit(u, round(ranked[0][1] + 1.0, 4)) for u in referenced]
        seen = {u.uid for u in referenced}
        units = (head + [ScoredUnit(ix.units[uid], round(s, 4)) for uid, s in ranked if uid not in seen])[:top_k]
        foreign = g.foreign_body_in(question)
        if foreign:
            confidence = 0.0
        elif referenced:
            confidence = 1.0
        else:
            confidence = self._confidence(question, [s.unit for s in units[:3]], float(raw["dense"].max()), qv)
        return Retrieval(question, query, units, confidence, bool(referenced), foreign, tuple(bodies))


def unit_record(scored: ScoredUnit) -> dict:
    """The JSON shape of a retrieved unit in `retrieve --jsonl` and `ask --jsonl` output."""
    u = scored.unit
    return {"doc_id": u.doc_id, "article": u.article, "clause": u.clause, "point": u.point,
            "label": u.label, "score": float(scored.score), "text": u.text}
