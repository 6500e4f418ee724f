"""LLM-judged faithfulness: is each sentence of an answer supported by the clauses it cites?

Kept apart from the deterministic metrics on purpose: it is a model's opinion (a 1.5B judge is
noisy), so it has its own section in the report and is never part of the CI gate. One call per
sentence at temperature 0 with `prompts/judge.txt`; the verdict is the reply's first word ("Có"
means supported). A sentence without a valid marker is unsupported without asking; sentences
with fewer than three topic words ("Có.") and headers ending in ":" ("Theo Thông tư …:") are not
judged. Extractive answers quote the corpus verbatim, so the judge's score on them measures the judge.
"""
from __future__ import annotations

import re

from rag.answers import extractive
from rag.answers.assistant import Answer
from rag.answers.grounding import MARKER, SENTENCE
from rag.answers.llm import LLMBackend
from rag.query.words import content_words
from rag.text import fold

MIN_WORDS = 3
FRAGMENT_CHARS = 300  # as the extractive answer quotes (settings.fragment_chars)


def claims(answer: Answer) -> list[tuple[str, list[str]]]:
    """(sentence without markers, quotes of the units it cites) for every judgeable sentence."""
    quotes = {c.n: c for c in answer.citations}
    units = {(s.unit.doc_id, s.unit.label): s.unit for s in answer.retrieved}
    out = []
    for line in answer.text.removeprefix(answer.caution).splitlines():  # the caution claims nothing
        for sentence in SENTENCE.split(line.lstrip("- ")):
            plain = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", sentence)).strip()
            if len(content_words(plain)) < MIN_WORDS or plain.endswith(":"):
                continue
            cited = [quotes[int(n)] for n in MARKER.findall(sentence) if int(n) in quotes]
            texts = [extractive.fragment(units[(c.doc_id, c.label)], plain, FRAGMENT_CHARS) if (c.doc_id, c.label) in units else c.quote
                     for c in cited]
            out.append((plain, texts))
    return out


def judge_answer(answerer: LLMBackend, answer: Answer) -> dict:
    """Per-answer verdicts: {"sentences": n, "supported": k, "unsupported": [sentences]}."""
    verdicts = []
    for sentence, quotes in claims(answer):
        if not quotes:
            verdicts.append((sentence, False))
            continue
        reply = answerer.complete(answerer.prompts["judge"].format(quote="\n".join(quotes), sentence=sentence))
        verdicts.append((sentence, fold(reply).strip(" \"'.").startswith("co")))
    return {"sentences": len(verdicts), "supported": sum(ok for _, ok in verdicts),
            "unsupported": [s for s, ok in verdicts if not ok]}


def summarize_judgements(rows: list[dict]) -> dict | None:
    """Share of judged sentences supported, and of answers with every sentence supported."""
    judged = [r["judge"] for r in rows if r.get("judge") and r["judge"]["sentences"]]
    if not judged:
        return None
    sentences = sum(j["sentences"] for j in judged)
    return {"answers": len(judged), "sentences": sentences,
            "sentence_support": round(sum(j["supported"] for j in judged) / sentences, 4),
            "fully_supported_answers": round(sum(j["supported"] == j["sentences"] for j in judged) / len(judged), 4)}
