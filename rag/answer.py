"""The one answer API used by the CLI, the chat app and the eval: `Assistant.ask` / `Assistant.stream`.

Pipeline: clean the question → make a follow-up standalone → retrieve → abstain when the
retrieval is not confident or the question names a department the documents do not cover →
answer (extractive, or LLM with citation validation and extractive fallback) → `Answer`.

Example:
    >>> a = Assistant(get_settings()); a.warm_up()
    >>> ans = a.ask("Đơn vị nào phụ trách mã số mã vạch?")
    >>> ans.abstained, ans.citations[0].label
    (False, 'Điều 7, khoản 2, điểm k')
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from . import extractive
from .followup import condense
from .parse import Unit
from .question import clean_question
from .retrieve import Retrieval, Retriever, ScoredUnit, unit_record
from .settings import ANSWER_MODES, Settings

log = logging.getLogger(__name__)

ABSTAIN_MESSAGE = (
    "Xin lỗi, tôi không tìm thấy nội dung này trong Thông tư 10/2025/TT-BKHCN và các tin bài liên quan, "
    "nên không thể trả lời chính xác."
)
ABSTAIN_SUGGESTIONS = (
    "Tôi có thể trả lời về: chức năng, nhiệm vụ của Sở Khoa học và Công nghệ; nhiệm vụ của Phòng Văn hóa - Xã hội "
    "cấp xã về khoa học, công nghệ, chuyển đổi số; nhiệm vụ của các trung tâm (Ứng dụng, Thông tin, Tiêu chuẩn Đo "
    "lường Chất lượng, Đổi mới sáng tạo, Chuyển đổi số). Ví dụ: “Đơn vị nào phụ trách mã số mã vạch?”"
)


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
    title: str | None = None  # news: article title
    date: str | None = None  # news: publication date, when the text states it


@dataclass
class Answer:
    question: str
    standalone: str  # the question retrieval used (differs for follow-ups)
    text: str
    citations: list[Citation]
    abstained: bool
    mode: str
    retrieved: list[ScoredUnit] = field(default_factory=list)
    confidence: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    note: str = ""  # e.g. why the LLM answer fell back to the extractive one

    def to_record(self) -> dict:
        """The JSON shape of `ask --jsonl` (plus a few extra fields)."""
        return {
            "answer": self.text, "abstained": self.abstained, "mode": self.mode,
            "citations": [{k: v for k, v in asdict(c).items() if k not in ("n", "breadcrumb")} for c in self.citations],
            "retrieved": [unit_record(s) for s in self.retrieved],
            "latency_ms": round(sum(self.timings.values()), 1),
            "standalone": self.standalone, "confidence": self.confidence, "note": self.note,
        }


class Assistant:
    def __init__(self, settings: Settings, retriever: Retriever | None = None, llm=None):
        self.settings = settings
        self.retriever = retriever or Retriever(settings)
        self._llm = llm  # an rag.llm.LLMAnswerer, created lazily when a mode needs it
        self.titles: dict[str, tuple[str, str | None]] = {}

    def warm_up(self) -> None:
        """Load the index and the embedding model (the LLM loads on first LLM answer)."""
        self.retriever.warm_up()
        from .load import load_manifest

        self.titles = {e["doc_id"]: (e["title"], e.get("date")) for e in load_manifest(self.settings.data_dir)}

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
        mode = self._resolve_mode(mode)
        standalone = self._standalone(question, list(history or []), mode)
        retrieval = self.retriever.retrieve(standalone)
        timings = {"retrieve": (time.perf_counter() - t0) * 1000}
        base = Answer(question, standalone, "", [], False, mode, retrieval.units, retrieval.confidence, timings)
        if self._should_abstain(retrieval):
            base.text, base.abstained = self._abstain_text(retrieval), True
            yield base.text
        elif mode == "llm":
            yield from self._llm_answer(base, retrieval)
        else:
            yield from self.compose_extractive(base, retrieval)
        base.timings["answer"] = (time.perf_counter() - t0) * 1000 - base.timings["retrieve"]
        log.info("answered mode=%s abstained=%s conf=%.2f %.0fms", base.mode, base.abstained, base.confidence,
                 sum(base.timings.values()))
        yield base

    # --- steps --------------------------------------------------------------------------------
    def _resolve_mode(self, mode: str | None) -> str:
        mode = mode or self.settings.answer_mode
        if mode not in ANSWER_MODES:
            raise ValueError(f"mode {mode!r} is not valid. Valid modes are: {', '.join(ANSWER_MODES)}")
        if mode == "auto":
            from .llm import llm_available

            ok, why = llm_available(self.settings)
            log.info("auto mode: %s (%s)", "llm" if ok else "extractive", why)
            return "llm" if ok else "extractive"
        return mode

    def _standalone(self, question: str, history: list[dict], mode: str) -> str:
        if not history:
            return question
        if mode == "llm" and self.llm_answerer().condenses:
            return self.llm_answerer().condense(question, history)
        return condense(question, history, self.retriever.index.glossary)

    def _should_abstain(self, retrieval: Retrieval) -> bool:
        return bool(retrieval.out_of_scope) or retrieval.confidence < self.settings.abstain_threshold

    def _abstain_text(self, retrieval: Retrieval) -> str:
        if retrieval.out_of_scope:
            lead = (f"Xin lỗi, câu hỏi về “{retrieval.out_of_scope}” nằm ngoài phạm vi Thông tư 10/2025/TT-BKHCN "
                    "(văn bản này chỉ hướng dẫn nhiệm vụ về khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số).")
        else:
            lead = ABSTAIN_MESSAGE
        return f"{lead}\n\n{ABSTAIN_SUGGESTIONS}"

    def citations_for(self, units: list[Unit]) -> list[Citation]:
        """Citations numbered from 1 in the order given; quotes are the verbatim unit text."""
        out = []
        for i, u in enumerate(units, 1):
            title, date = self.titles.get(u.doc_id, (None, None)) if u.kind == "paragraph" else (None, None)
            out.append(Citation(i, u.doc_id, u.article, u.clause, u.point, u.label, u.text, u.breadcrumb, title, date))
        return out

    def compose_extractive(self, base: Answer, retrieval: Retrieval) -> Iterator[str]:
        """Fill `base` with the extractive answer, yielding it line by line."""
        glossary = self.retriever.index.glossary
        units = extractive.choose_units(retrieval, glossary)
        lines = extractive.compose(base.question, units, glossary, self.titles, self.retriever.index.units)
        base.citations = self.citations_for(units)
        base.mode = "extractive"
        for i, line in enumerate(lines):
            chunk = line if i == 0 else "\n" + line
            base.text += chunk
            yield chunk

    def llm_answerer(self):
        """The LLM answerer, created on first use (raises `RuntimeError` when no LLM is available)."""
        if self._llm is None:
            from .llm import LLMAnswerer

            self._llm = LLMAnswerer.from_settings(self.settings)
        return self._llm

    def _llm_answer(self, base: Answer, retrieval: Retrieval) -> Iterator[str]:
        from .llm import answer_with_llm

        yield from answer_with_llm(self, self.llm_answerer(), base, retrieval)
