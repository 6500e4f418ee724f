"""The one answer API used by the CLI, the chat app and the eval: `Assistant.ask` / `Assistant.stream`.

Pipeline: validate the question → read it once (`Query`: follow-ups made standalone, informal
wording resolved, accents restored) → retrieve → a question about how the documents are built
("có bao nhiêu điều?") is answered from their outline → refuse when retrieval is not confident or the
question names a department the documents do not cover → answer (extractive, or LLM whose
citations are validated, with an extractive fallback) → `Answer`.

The Assistant owns composing, citing, validating and falling back; the LLM backend only turns a
prompt into text.

Example:
    >>> a = Assistant(get_settings()); a.warm_up()
    >>> ans = a.ask("Đơn vị nào phụ trách mã số mã vạch?")
    >>> ans.abstained, ans.citations[0].label
    (False, 'Điều 7, khoản 2, điểm k')
"""
from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field

from rag.answers import extractive, outline
from rag.answers.extractive import Library
from rag.answers.grounding import DOC_NUMBER, ground, neutralize, validate_citations
from rag.answers.scope import Scope
from rag.documents.parse import Unit, unit_label
from rag.query.question import clean_question
from rag.query.reading import Query
from rag.search.nodes import token_counter
from rag.search.retriever import Retrieval, Retriever, ScoredUnit, unit_record
from rag.settings import ANSWER_MODES, Settings

log = logging.getLogger(__name__)
MAX_CONTEXT_UNITS = 3
FALLBACK_NOTE = "Mô hình ngôn ngữ không trích dẫn được điều khoản nào; dùng câu trả lời trích xuất."
FAILED_NOTE = "Mô hình ngôn ngữ không phản hồi; dùng câu trả lời trích xuất."
# An LLM answer with fewer words than this, markers aside, says nothing: the 1.5B model answered
# "Ai ký Quyết định 18/2026/QĐ-UBND?" with a bare "[1]".
MIN_LLM_WORDS = 3


class LLMFailed(RuntimeError):
    """The LLM was asked for explicitly (mode "llm") and failed; the message is safe to show."""


@dataclass(frozen=True)
class Referenced:
    """A unit the cited text refers to ("quy định tại khoản 2 Điều này"), shown beside the quote."""

    label: str
    quote: str  # its verbatim text


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    article: int | None
    clause: int | None
    point: str | None
    label: str
    quote: str  # the unit's verbatim corpus text
    breadcrumb: str
    title: str | None = None  # the document's title (news: the article's title)
    date: str | None = None  # news: publication date; regulations: effective date, when known
    document: str = ""  # how the answer names the document ("Luật Đất đai 31/2024/QH15")
    refs: tuple[Referenced, ...] = ()  # what its text refers to inside the same document
    annex: str = ""  # the text a decision issues that the address is in ("Quy định kèm theo"); "" for its own


@dataclass(frozen=True)
class Answer:
    question: str
    standalone: str  # the question as read (follow-ups made standalone, informal wording resolved)
    text: str
    citations: list[Citation]
    abstained: bool
    mode: str
    retrieved: list[ScoredUnit] = field(default_factory=list)
    confidence: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    note: str = ""  # e.g. why the LLM answer fell back to the extractive one
    understood: str = ""  # the question as understood, when reading changed its wording substantially
    caution: str = ""  # the opening caution of an answer given close above the threshold (also in `text`)

    def to_record(self) -> dict:
        """The JSON shape of `ask --jsonl` (plus a few extra fields)."""
        return {
            "answer": self.text, "abstained": self.abstained, "mode": self.mode,
            "citations": [{k: v for k, v in asdict(c).items() if k not in ("n", "breadcrumb")} for c in self.citations],
            "retrieved": [unit_record(s) for s in self.retrieved],
            "latency_ms": round(sum(self.timings.values()), 1),
            "standalone": self.standalone, "confidence": self.confidence, "note": self.note,
            "caution": bool(self.caution),
        }


@dataclass(frozen=True)
class _Result:
    text: str
    units: list[Unit]
    mode: str
    note: str = ""
    abstained: bool = False


def with_lists(retrieved: list[ScoredUnit], cited: list[Unit]) -> list[ScoredUnit]:
    """The retrieved units, then each cited unit that encloses a retrieved one without being one: the
    list a list question quotes whole (`extractive.whole_list`), scored as its best retrieved item.
    Why: the answer's evidence must hold every unit it cites; the ranking itself is left as it was."""
    have = {s.unit.uid for s in retrieved}
    extra = [ScoredUnit(u, max(s.score for s in retrieved if u.contains(s.unit)))
             for u in cited if u.uid not in have and any(u.contains(s.unit) for s in retrieved)]
    return [*retrieved, *extra]


class Assistant:
    def __init__(self, settings: Settings, retriever: Retriever | None = None, llm=None):
        self.settings = settings
        self.retriever = retriever or Retriever(settings)
        self._llm = llm  # an rag.answers.llm.LLMBackend, created lazily when a mode needs it
        self.library: Library | None = None
        self.scope: Scope | None = None

    def warm_up(self) -> None:
        """Load the index and the embedding model (the LLM loads on first LLM answer)."""
        self.retriever.warm_up()
        index = self.retriever.index
        self.library = Library(index.units, index.glossary, self.retriever.documents)
        self.scope = Scope.of(self.library)

    # --- public API -------------------------------------------------------------------------
    def ask(self, question: str, history: list[dict] | tuple = (), mode: str | None = None) -> Answer:
        """Answer one question (with optional chat history); see the module docstring."""
        answer = None
        for item in self.stream(question, history, mode):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history: list[dict] | tuple = (), mode: str | None = None
               ) -> Iterator[str | Answer]:
        """Yield answer text as it is produced (sentences, or LLM tokens), then the final `Answer`."""
        t0 = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        requested = mode or self.settings.answer_mode
        mode = self._resolve_mode(requested)
        query = self.retriever.read(question, list(history or ()), self._llm_standalone(question, history, mode))
        retrieval = self.retriever.retrieve(query)
        t_retrieve = (time.perf_counter() - t0) * 1000
        timings: dict[str, float] = {"retrieve": t_retrieve}
        caution = ""
        if described := self._outline(retrieval.query):
            result = _Result(described, [], "extractive")
            yield result.text
        elif self._should_abstain(retrieval):
            result = _Result(self._refusal(retrieval), [], mode, abstained=True)
            yield result.text
        else:
            caution = self._caution(retrieval)
            if caution:
                yield caution + "\n\n"
            if mode == "llm":
                result = yield from self._llm_answer(question, retrieval, timings, explicit=requested == "llm")
            else:
                result = yield from self._extractive(question, retrieval)
            if caution:
                result = dataclasses.replace(result, text=f"{caution}\n\n{result.text}")
        timings["answer"] = (time.perf_counter() - t0) * 1000 - t_retrieve
        confidence = 1.0 if described else retrieval.confidence  # an outline is read, not searched
        log.info("answered mode=%s abstained=%s conf=%.2f %.0fms", result.mode, result.abstained,
                 confidence, sum(timings.values()))
        yield Answer(question, query.text, result.text, self.citations_for(result.units), result.abstained, result.mode,
                     with_lists(retrieval.units, result.units), confidence, timings, result.note,
                     understood=query.text if query.changed and not query.smalltalk else "", caution=caution)

    # --- steps --------------------------------------------------------------------------------
    def _resolve_mode(self, mode: str) -> str:
        if mode not in ANSWER_MODES:
            raise ValueError(f"mode {mode!r} is not valid. Valid modes are: {', '.join(ANSWER_MODES)}")
        if mode == "auto":
            from rag.answers.llm import llm_available

            ok, why = llm_available(self.settings)
            log.debug("auto mode: %s (%s)", "llm" if ok else "extractive", why)
            return "llm" if ok else "extractive"
        return mode

    def _llm_standalone(self, question: str, history, mode: str) -> str | None:
        """A follow-up rewritten by an LLM that condenses well (a server's larger model); else None."""
        if not history or mode != "llm" or not self.llm_backend().condenses:
            return None
        return self.llm_backend().condense(question, list(history))

    def _outline(self, query: Query) -> str:
        """The documents' outline for a question about how they are built ("có bao nhiêu điều?",
        "chương 2 gồm những điều nào", "Điều 11 thuộc chương nào?"), else "". Not when it names a
        clause or point, a number no document has, or is small talk."""
        if not query.outline or {"clause", "point"} & set(query.reference) or query.unknown_document \
                or query.smalltalk:
            return ""
        return outline.describe(self.library, query.documents, query.reference)

    def _should_abstain(self, retrieval: Retrieval) -> bool:
        q = retrieval.query
        return bool(retrieval.out_of_scope or retrieval.missing or q.unknown_document or q.smalltalk) or \
            retrieval.confidence < self.settings.abstain_threshold

    def _refusal(self, retrieval: Retrieval) -> str:
        """What is said instead of quoting clauses: an address or a document number no loaded document
        has, the reply to small talk, an uncovered area, or a miss."""
        if retrieval.missing:
            named = [self.library.document(d).short_name for d in retrieval.query.documents]
            return self.scope.no_such_unit(retrieval.missing, " và ".join(named))
        if retrieval.query.unknown_document:
            return self.scope.no_such_document()
        if retrieval.query.smalltalk:
            return self.scope.reply(retrieval.query.smalltalk)
        return self.scope.refusal(retrieval.out_of_scope, self._nearest(retrieval))

    def _caution(self, retrieval: Retrieval) -> str:
        """The caution an answer opens with when its confidence is just above the threshold. Why: there
        a citizen's situation is often only partly what the cited clauses are about (on the laws'
        citizen-style tuning half, half of those answers cite no gold article). For an address that
        several documents have ("Điều 3 quy định gì?"), which they are: the answer quotes each one's."""
        s = self.settings
        if retrieval.ambiguous:
            label = unit_label(*(retrieval.query.reference.get(k) for k in ("article", "clause", "point")))
            names = "; ".join(self.library.document(d).short_name for d in retrieval.ambiguous)
            return (f"Lưu ý: {len(retrieval.ambiguous)} văn bản có {label} ({names}); dưới đây là {label} của "
                    "từng văn bản, theo thứ tự đã nạp. Hãy nêu tên văn bản để hỏi đúng văn bản cần tìm.")
        if retrieval.referenced or retrieval.confidence >= s.abstain_threshold + s.caution_margin:
            return ""
        return self.scope.caution

    def _nearest(self, retrieval: Retrieval) -> str | None:
        """Where a near-miss refusal points to: the best unit and its document. Why: questions told in
        everyday words ("quán bán bia cho học sinh lớp 10") often rank the right clause first yet
        cover too few of its words to be answered; naming it lets the reader look there."""
        s = self.settings
        if retrieval.out_of_scope or not retrieval.units or retrieval.confidence < s.abstain_threshold - s.nearest_margin:
            return None
        unit = retrieval.units[0].unit
        doc = self.library.document(unit.doc_id)
        return unit.label if doc.is_news else f"{unit.label} — {doc.name}"

    def citations_for(self, units: list[Unit]) -> list[Citation]:
        """Citations numbered from 1 in the order given; quotes are the verbatim unit text."""
        out = []
        for i, u in enumerate(units, 1):
            doc = self.library.document(u.doc_id)
            date = doc.date if doc.is_news else doc.effective
            refs = tuple(Referenced(r.label, r.text) for r in map(self.library.units.get, u.refs) if r)
            name = f"{u.annex} {doc.name}" if u.annex else doc.name  # "Quy định kèm theo Quyết định 27/…"
            out.append(Citation(i, u.doc_id, u.article, u.clause, u.point, u.label, u.text, u.breadcrumb,
                                doc.title, date, name, refs, u.annex))
        return out

    def _extractive(self, question: str, retrieval: Retrieval, note: str = "") -> Generator[str, None, _Result]:
        """The extractive answer, yielded line by line."""
        units = extractive.choose_units(retrieval, self.library, self.settings)
        lines = extractive.compose(question, units, self.library, self.settings, retrieval.query.asks_list)
        for i, line in enumerate(lines):
            yield line if i == 0 else "\n" + line
        if note:
            yield "\n\n" + note
        return _Result("\n".join(lines), units, "extractive", note)

    def llm_backend(self):
        """The LLM backend, created on first use (raises `RuntimeError` when no LLM is available)."""
        if self._llm is None:
            from rag.answers.llm import LLMBackend

            self._llm = LLMBackend.from_settings(self.settings, self.scope.documents_phrase if self.scope else "")
        return self._llm

    def pack(self, question: str, units: list[Unit]) -> list[tuple[Unit, str]]:
        """Up to MAX_CONTEXT_UNITS units with the fragment of each that fits `llm_context_tokens`."""
        enc, used, packed = token_counter(), 0, []
        budget = self.settings.llm_context_tokens
        for u in units[:MAX_CONTEXT_UNITS]:
            text = extractive.fragment(u, question, limit=budget // MAX_CONTEXT_UNITS * 2)
            cost = len(enc.encode(text)) + 12
            if packed and used + cost > budget:
                break
            packed.append((u, text))
            used += cost
        return packed

    def _ground(self, text: str, cited: list[Unit], names: dict[str, str]) -> tuple[str, list[Unit]]:
        """Drop LLM sentences with invented references, unsupported claims or the wrong body."""
        numbers = {u.doc_id for u in cited} | {n for u in cited for n in DOC_NUMBER.findall(u.text)}
        g = self.library.glossary
        return ground(text, cited, names, g.bodies_in, self.library.body, numbers, topic_of=g.residual)

    def _llm_answer(self, question: str, retrieval: Retrieval, timings: dict,
                    explicit: bool) -> Generator[str, None, _Result]:
        """Stream LLM tokens, then validate the citations; fall back to extractive when none is valid.

        Only the units the extractive answer would cite are given (the top ones, one per body for
        "who" and comparison questions): padding the context with runners-up made the 1.5B model
        cite them instead (gold cited 0.887 on eval/holdout.jsonl with three units always given).
        A backend failure raises `LLMFailed` when the LLM was asked for (`explicit`), else falls back."""
        packed = self.pack(question, extractive.choose_units(retrieval, self.library, self.settings))
        context = [(extractive.source_name(u, self.library), text) for u, text in packed]
        t0, raw, first = time.perf_counter(), "", None
        try:
            backend = self.llm_backend()
        except RuntimeError:
            if explicit:
                raise
            return (yield from self._extractive(question, retrieval, FAILED_NOTE))
        try:
            for token in backend.stream(backend.messages(neutralize(question), context)):
                first = first or (time.perf_counter() - t0) * 1000
                raw += token
                yield token
        except Exception as e:  # noqa: BLE001 - a failing backend must not lose the question
            log.warning("LLM failed (%s); answering extractively", e.__class__.__name__)
            if explicit:
                raise LLMFailed("Mô hình ngôn ngữ không phản hồi. Vui lòng thử lại hoặc dùng chế độ trích xuất.") from None
            yield "\n\n" if raw else ""
            return (yield from self._extractive(question, retrieval, FAILED_NOTE))
        timings["first_token"] = first or 0.0
        text, cited = validate_citations(raw, [u for u, _ in packed])
        text, cited = self._ground(text, cited, {u.uid: src for (u, _), (src, _) in zip(packed, context)})
        if not cited or len(re.sub(r"\[\d+\]", " ", text).split()) < MIN_LLM_WORDS:
            log.warning("LLM answer had no valid citation or no words of its own; falling back to extractive")
            return (yield from self._extractive(question, retrieval, FALLBACK_NOTE))
        return _Result(text, cited, "llm")
